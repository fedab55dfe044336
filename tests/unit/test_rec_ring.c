/* Unit tests for rec_ring.c: records cross from a filling thread to a
 * draining one whole and in order, a small ring makes the filler wait, and
 * a drainer that quits stops the filler. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "rec_ring.h"
#include "testlib.h"

#define RECORDS 100000 /* about 25 chunks: the ring of 4 fills and wraps many times */

typedef struct filler {
    rec_ring *ring;
    int64_t filled; /* records put in chunks */
    int stopped;    /* fill_begin said the drainer quit */
} filler;

/* Record i goes to topic i % 3 == 0 (else 0); key "k<i>", value "v<i>" plus
 * i % 50 dots, so records differ in length. */
static void *fill_main(void *arg)
{
    filler *f = arg;
    rec_chunk *c = rec_ring_fill_begin(f->ring);
    for (int64_t i = 0; c && i < RECORDS; i++) {
        char key[32];
        int kl = snprintf(key, sizeof(key), "k%lld", (long long)i);
        int k = i % 3 == 0;
        buf *out = rec_chunk_begin(c, k, key, (size_t)kl, 0);
        buf_printf(out, "v%lld", (long long)i);
        for (int d = 0; d < i % 50; d++)
            buf_putc(out, '.');
        rec_chunk_end(c, k);
        f->filled++;
        if (rec_chunk_full(c)) {
            rec_ring_fill_end(f->ring);
            c = rec_ring_fill_begin(f->ring);
        }
    }
    if (c)
        rec_ring_fill_end(f->ring);
    else
        f->stopped = 1;
    rec_ring_fill_done(f->ring);
    return NULL;
}

static int same_record(const kafka_rec *r, int64_t i)
{
    char key[32], val[96];
    int kl = snprintf(key, sizeof(key), "k%lld", (long long)i);
    int vl = snprintf(val, sizeof(val), "v%lld", (long long)i);
    for (int d = 0; d < i % 50; d++)
        val[vl++] = '.';
    return r->key_len == (size_t)kl && memcmp(r->key, key, (size_t)kl) == 0 &&
           r->value_len == (size_t)vl && memcmp(r->value, val, (size_t)vl) == 0 && r->stamp == 0;
}

static void test_in_order_and_whole(void)
{
    filler f = {.ring = rec_ring_new()};
    CHECK(f.ring != NULL);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, fill_main, &f) == 0);
    int64_t next[2] = {0, 0}; /* the next record expected on each topic */
    int64_t got = 0, bad = 0, chunks = 0;
    rec_chunk *c;
    while ((c = rec_ring_drain_begin(f.ring)) != NULL) {
        chunks++;
        CHECK(c->n[0] <= REC_CHUNK_RECS && c->n[1] <= REC_CHUNK_RECS);
        for (int k = 0; k < 2; k++)
            for (size_t j = 0; j < c->n[k]; j++) {
                while (next[k] < RECORDS && (next[k] % 3 == 0) != k)
                    next[k]++;
                bad += !same_record(&c->recs[k][j], next[k]);
                next[k]++;
                got++;
            }
        rec_ring_drain_end(f.ring);
    }
    pthread_join(th, NULL);
    CHECK_EQ_INT(got, RECORDS);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(f.filled, RECORDS);
    CHECK(chunks > REC_RING_CHUNKS);
    CHECK_EQ_INT(f.stopped, 0);
    rec_ring_free(f.ring);
}

static void test_drainer_quits(void)
{
    filler f = {.ring = rec_ring_new()};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, fill_main, &f) == 0);
    rec_chunk *c = rec_ring_drain_begin(f.ring);
    CHECK(c != NULL && same_record(&c->recs[1][0], 0));
    rec_ring_drain_end(f.ring);
    rec_ring_quit(f.ring);
    pthread_join(th, NULL);
    /* The filler stopped within a ring's length of what was drained. */
    CHECK_EQ_INT(f.stopped, 1);
    CHECK(f.filled < RECORDS);
    CHECK(f.filled <= (int64_t)(REC_RING_CHUNKS + 2) * REC_CHUNK_RECS * 3 / 2);
    rec_ring_free(f.ring);
}

static void test_empty(void)
{
    rec_ring *r = rec_ring_new();
    rec_chunk *c = rec_ring_fill_begin(r);
    CHECK(c != NULL && !rec_chunk_full(c));
    rec_ring_fill_end(r);
    rec_ring_fill_done(r);
    c = rec_ring_drain_begin(r);
    CHECK(c != NULL && c->n[0] == 0 && c->n[1] == 0);
    rec_ring_drain_end(r);
    CHECK(rec_ring_drain_begin(r) == NULL);
    rec_ring_free(r);
}

TEST_MAIN(TEST(test_in_order_and_whole), TEST(test_drainer_quits), TEST(test_empty))
