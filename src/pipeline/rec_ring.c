/* rec_ring.c - encoded Kafka records handed between two threads in chunks;
 * see rec_ring.h. */
#include "rec_ring.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

struct rec_ring {
    rec_chunk *chunks;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    size_t head, tail; /* full chunks are [head, tail) mod REC_RING_CHUNKS */
    int done;          /* the filler has finished */
    int quit;          /* the drainer has stopped */
};

rec_ring *rec_ring_new(void)
{
    rec_ring *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->chunks = calloc(REC_RING_CHUNKS, sizeof(rec_chunk));
    if (!r->chunks) {
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cond, NULL);
    return r;
}

void rec_ring_free(rec_ring *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < REC_RING_CHUNKS; i++)
        buf_release(&r->chunks[i].data);
    free(r->chunks);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cond);
    free(r);
}

rec_chunk *rec_ring_fill_begin(rec_ring *r)
{
    pthread_mutex_lock(&r->mu);
    while (!r->quit && r->tail - r->head == REC_RING_CHUNKS)
        pthread_cond_wait(&r->cond, &r->mu);
    int quit = r->quit;
    pthread_mutex_unlock(&r->mu);
    if (quit)
        return NULL;
    /* Only the filler moves tail, and the drainer is done with this slot. */
    rec_chunk *c = &r->chunks[r->tail % REC_RING_CHUNKS];
    buf_reset(&c->data);
    c->n[0] = c->n[1] = 0;
    return c;
}

buf *rec_chunk_begin(rec_chunk *c, int k, const char *key, size_t key_len)
{
    kafka_rec *rec = &c->recs[k][c->n[k]];
    rec->key = (const void *)(uintptr_t)c->data.len;
    rec->key_len = key_len;
    buf_append(&c->data, key, key_len);
    rec->value = (const void *)(uintptr_t)c->data.len;
    rec->stamp = 0;
    return &c->data;
}

void rec_chunk_end(rec_chunk *c, int k)
{
    kafka_rec *rec = &c->recs[k][c->n[k]++];
    rec->value_len = c->data.len - (uintptr_t)rec->value;
}

int rec_chunk_full(const rec_chunk *c)
{
    return c->n[0] == REC_CHUNK_RECS || c->n[1] == REC_CHUNK_RECS;
}

void rec_ring_fill_end(rec_ring *r)
{
    rec_chunk *c = &r->chunks[r->tail % REC_RING_CHUNKS];
    /* The buffer no longer moves: offsets become pointers. */
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < c->n[k]; i++) {
            c->recs[k][i].key = c->data.data + (uintptr_t)c->recs[k][i].key;
            c->recs[k][i].value = c->data.data + (uintptr_t)c->recs[k][i].value;
        }
    pthread_mutex_lock(&r->mu);
    r->tail++;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
}

void rec_ring_fill_done(rec_ring *r)
{
    pthread_mutex_lock(&r->mu);
    r->done = 1;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
}

rec_chunk *rec_ring_drain_begin(rec_ring *r)
{
    pthread_mutex_lock(&r->mu);
    while (r->head == r->tail && !r->done)
        pthread_cond_wait(&r->cond, &r->mu);
    rec_chunk *c = r->head != r->tail ? &r->chunks[r->head % REC_RING_CHUNKS] : NULL;
    pthread_mutex_unlock(&r->mu);
    return c;
}

void rec_ring_drain_end(rec_ring *r)
{
    pthread_mutex_lock(&r->mu);
    r->head++;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
}

void rec_ring_quit(rec_ring *r)
{
    pthread_mutex_lock(&r->mu);
    r->quit = 1;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
}
