/* rec_ring.c - encoded Kafka records in chunks, handed between two threads;
 * see rec_ring.h. */
#include "rec_ring.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

/* ---- chunks ------------------------------------------------------------------ */

void rec_chunk_clear(rec_chunk *c)
{
    buf_reset(&c->data);
    c->n[0] = c->n[1] = 0;
}

buf *rec_chunk_begin(rec_chunk *c, int k, const char *key, size_t key_len, int64_t stamp)
{
    kafka_rec *rec = &c->recs[k][c->n[k]];
    rec->key = (const void *)(uintptr_t)c->data.len;
    rec->key_len = key_len;
    buf_append(&c->data, key, key_len);
    rec->value = (const void *)(uintptr_t)c->data.len;
    rec->stamp = stamp;
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

void rec_chunk_seal(rec_chunk *c)
{
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < c->n[k]; i++) {
            c->recs[k][i].key = c->data.data + (uintptr_t)c->recs[k][i].key;
            c->recs[k][i].value = c->data.data + (uintptr_t)c->recs[k][i].value;
        }
}

int rec_chunk_produce(const rec_chunk *c, kafka_producer *p, const char *const topics[2],
                      char *errstr, size_t errstr_size)
{
    for (int k = 0; k < 2; k++)
        if (c->n[k] &&
            kafka_produce_batch(p, topics[k], c->recs[k], c->n[k], errstr, errstr_size) != 0)
            return -1;
    return 0;
}

void rec_chunk_release(rec_chunk *c)
{
    buf_release(&c->data);
    c->n[0] = c->n[1] = 0;
}

/* ---- the ring ---------------------------------------------------------------- */

struct rec_ring {
    rec_chunk *chunks;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    size_t head, tail; /* full chunks are [head, tail) mod REC_RING_CHUNKS */
    size_t done;       /* nonzero: the filler has finished */
    size_t quit;       /* nonzero: the drainer has stopped */
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
        rec_chunk_release(&r->chunks[i]);
    free(r->chunks);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cond);
    free(r);
}

/* Adds one to v (head or tail, or a flag: done, quit) and wakes the other side. */
static void bump(rec_ring *r, size_t *v)
{
    pthread_mutex_lock(&r->mu);
    (*v)++;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
}

rec_chunk *rec_ring_fill_begin(rec_ring *r)
{
    pthread_mutex_lock(&r->mu);
    while (!r->quit && r->tail - r->head == REC_RING_CHUNKS)
        pthread_cond_wait(&r->cond, &r->mu);
    size_t quit = r->quit;
    pthread_mutex_unlock(&r->mu);
    if (quit)
        return NULL;
    /* Only the filler moves tail, and the drainer is done with this slot. */
    rec_chunk *c = &r->chunks[r->tail % REC_RING_CHUNKS];
    rec_chunk_clear(c);
    return c;
}

void rec_ring_fill_end(rec_ring *r)
{
    rec_chunk_seal(&r->chunks[r->tail % REC_RING_CHUNKS]);
    bump(r, &r->tail);
}

void rec_ring_fill_done(rec_ring *r)
{
    bump(r, &r->done);
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
    bump(r, &r->head);
}

void rec_ring_quit(rec_ring *r)
{
    bump(r, &r->quit);
}

/* ---- the pump ---------------------------------------------------------------- */

typedef struct pump_job {
    rec_ring *r;
    const rec_pump *pp;
} pump_job;

static void *fill_main(void *arg)
{
    pump_job *j = arg;
    j->pp->fill(j->r, j->pp->arg);
    rec_ring_fill_done(j->r);
    return NULL;
}

int rec_ring_pump(const rec_pump *pp, int64_t sent[2], char *errstr, size_t errstr_size)
{
    sent[0] = sent[1] = 0;
    pump_job j = {.r = rec_ring_new(), .pp = pp};
    if (!j.r)
        return set_err(errstr, errstr_size, "out of memory");
    pthread_t th;
    if (pthread_create(&th, NULL, fill_main, &j) != 0) {
        rec_ring_free(j.r);
        return set_err(errstr, errstr_size, "unable to start the thread that encodes records");
    }
    int rc = 0;
    rec_chunk *c;
    while (rc == 0 && !(pp->stop && atomic_load(pp->stop)) &&
           (c = rec_ring_drain_begin(j.r)) != NULL) {
        rc = rec_chunk_produce(c, pp->p, pp->topics, errstr, errstr_size);
        if (rc == 0) {
            sent[0] += (int64_t)c->n[0];
            sent[1] += (int64_t)c->n[1];
        }
        rec_ring_drain_end(j.r);
        kafka_producer_poll(pp->p, 0);
        publish_tally_update(pp->tally, pp->p, pp->st);
        if (rc == 0 && kafka_producer_fatal(pp->p, errstr, errstr_size))
            rc = -1;
    }
    rec_ring_quit(j.r);
    pthread_join(th, NULL);
    rec_ring_free(j.r);
    return rc;
}
