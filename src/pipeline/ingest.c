/* ingest.c - simulator -> Kafka; see ingest.h.
 *
 * Paced runs (real time) generate, encode and enqueue each tick on one thread,
 * holding it until its event time comes round. Unpaced runs (--rate max) are
 * a two-stage pipeline: a generator thread runs the simulator and encodes
 * ticks into chunks of a few thousand records (keys and values back to back
 * in one buffer, no allocation per record), and the calling thread hands each
 * chunk to librdkafka with one produce_batch call per topic, while
 * librdkafka's own thread compresses and sends. Chunks go round a small ring,
 * so the generator runs at most RING_CHUNKS ahead, and the records of a symbol
 * keep their order. */
#include "ingest.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_admin.h"
#include "kafka_producer.h"
#include "log.h"
#include "tick.h"
#include "util.h"

#define FLUSH_TIMEOUT_MS 30000
#define CHUNK_RECS 4096
#define RING_CHUNKS 4

typedef struct chunk {
    buf data;                      /* keys and values of every record */
    size_t n[2];                   /* records for the trades [0] and quotes [1] topics */
    kafka_rec recs[2][CHUNK_RECS]; /* offsets into data while filling, then pointers */
} chunk;

typedef struct gen {
    const ingest_config *cfg;
    stage_control *ctl;
    sim *s;
    chunk *chunks;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    size_t head, tail; /* full chunks are [head, tail) mod RING_CHUNKS */
    int done;          /* the generator has finished (count reached or stopped) */
    int quit;          /* the producer side asks the generator to stop */
    int64_t planned;   /* ticks put into chunks so far */
} gen;

/* Appends one tick's key and value to c. */
static void chunk_add(chunk *c, const sim_tick *t, tick_encoding enc)
{
    int q = t->kind == SIM_QUOTE;
    const char *sym = q ? t->u.quote.symbol : t->u.trade.symbol;
    kafka_rec *r = &c->recs[q][c->n[q]++];
    size_t klen = strlen(sym);
    r->key = (const void *)(uintptr_t)c->data.len;
    r->key_len = klen;
    buf_append(&c->data, sym, klen);
    size_t voff = c->data.len;
    if (q)
        quote_encode(&t->u.quote, enc, &c->data);
    else
        trade_encode(&t->u.trade, enc, &c->data);
    r->value = (const void *)(uintptr_t)voff;
    r->value_len = c->data.len - voff;
    r->stamp = 0;
}

/* Turns the offsets of a filled chunk into pointers (the buffer no longer moves). */
static void chunk_seal(chunk *c)
{
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < c->n[k]; i++) {
            c->recs[k][i].key = c->data.data + (uintptr_t)c->recs[k][i].key;
            c->recs[k][i].value = c->data.data + (uintptr_t)c->recs[k][i].value;
        }
}

static void *gen_main(void *arg)
{
    gen *g = arg;
    const ingest_config *cfg = g->cfg;
    for (;;) {
        pthread_mutex_lock(&g->mu);
        while (!g->quit && g->tail - g->head == RING_CHUNKS)
            pthread_cond_wait(&g->cond, &g->mu);
        int quit = g->quit;
        pthread_mutex_unlock(&g->mu);
        if (quit || atomic_load(&g->ctl->stop) || (cfg->count && g->planned >= cfg->count))
            break;
        chunk *c = &g->chunks[g->tail % RING_CHUNKS];
        buf_reset(&c->data);
        c->n[0] = c->n[1] = 0;
        int64_t want = CHUNK_RECS;
        if (cfg->count && cfg->count - g->planned < want)
            want = cfg->count - g->planned;
        sim_tick t;
        for (int64_t i = 0; i < want; i++) {
            sim_next_tick(g->s, &t);
            chunk_add(c, &t, cfg->encoding);
        }
        g->planned += want;
        chunk_seal(c);
        pthread_mutex_lock(&g->mu);
        g->tail++;
        pthread_cond_broadcast(&g->cond);
        pthread_mutex_unlock(&g->mu);
    }
    pthread_mutex_lock(&g->mu);
    g->done = 1;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

/* Publishes stats and checks for a fatal producer error; -1 on one. */
static int progress(kafka_producer *p, pipeline_stats *st, int64_t *last_delivered, char *errstr,
                    size_t errstr_size)
{
    kafka_producer_poll(p, 0);
    int64_t d = kafka_producer_delivered(p);
    atomic_fetch_add(&st->ticks_produced, d - *last_delivered);
    *last_delivered = d;
    return kafka_producer_fatal(p, errstr, errstr_size) ? -1 : 0;
}

/* The unpaced pipeline: see the file comment. */
static int run_unpaced(const ingest_config *cfg, stage_control *ctl, pipeline_stats *st, sim *s,
                       kafka_producer *p, const char *const topics[2], ingest_result *res,
                       int64_t *last_delivered, char *errstr, size_t errstr_size)
{
    gen g = {.cfg = cfg, .ctl = ctl, .s = s};
    g.chunks = calloc(RING_CHUNKS, sizeof(chunk));
    if (!g.chunks)
        return set_err(errstr, errstr_size, "out of memory");
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.cond, NULL);
    pthread_t th;
    int rc = 0;
    if (pthread_create(&th, NULL, gen_main, &g) != 0) {
        rc = set_err(errstr, errstr_size, "unable to start the generator thread");
        goto out;
    }
    for (;;) {
        pthread_mutex_lock(&g.mu);
        while (g.head == g.tail && !g.done)
            pthread_cond_wait(&g.cond, &g.mu);
        int have = g.head != g.tail;
        pthread_mutex_unlock(&g.mu);
        if (!have || atomic_load(&ctl->stop))
            break;
        chunk *c = &g.chunks[g.head % RING_CHUNKS];
        for (int k = 0; k < 2 && rc == 0; k++)
            if (c->n[k] &&
                kafka_produce_batch(p, topics[k], c->recs[k], c->n[k], errstr, errstr_size) != 0)
                rc = -1;
        if (rc)
            break;
        res->generated += (int64_t)(c->n[0] + c->n[1]);
        res->quotes += (int64_t)c->n[1];
        pthread_mutex_lock(&g.mu);
        g.head++;
        pthread_cond_broadcast(&g.cond);
        pthread_mutex_unlock(&g.mu);
        if (progress(p, st, last_delivered, errstr, errstr_size) != 0) {
            rc = -1;
            break;
        }
    }
    pthread_mutex_lock(&g.mu);
    g.quit = 1;
    pthread_cond_broadcast(&g.cond);
    pthread_mutex_unlock(&g.mu);
    pthread_join(th, NULL);
out:
    for (size_t i = 0; i < RING_CHUNKS; i++)
        buf_release(&g.chunks[i].data);
    free(g.chunks);
    pthread_mutex_destroy(&g.mu);
    pthread_cond_destroy(&g.cond);
    return rc;
}

/* The paced loop: each tick waits for its event time (scaled by speed). */
static int run_paced(const ingest_config *cfg, stage_control *ctl, pipeline_stats *st, sim *s,
                     kafka_producer *p, const char *const topics[2], ingest_result *res,
                     int64_t *last_delivered, char *errstr, size_t errstr_size)
{
    int64_t start_ns = cfg->sim.start_ns;
    buf rec;
    buf_init(&rec);
    int rc = 0;
    int64_t wall0 = mono_ns();
    double speed = cfg->speed > 0 ? cfg->speed : 1.0;
    sim_tick t;
    while (!atomic_load(&ctl->stop) && (cfg->count == 0 || res->generated < cfg->count)) {
        sim_next_tick(s, &t);
        int is_quote = t.kind == SIM_QUOTE;
        int64_t ts = is_quote ? t.u.quote.ts : t.u.trade.ts;
        const char *sym = is_quote ? t.u.quote.symbol : t.u.trade.symbol;
        /* Real time: hold each tick until its event time comes round. */
        int64_t due = wall0 + (int64_t)((double)(ts - start_ns) / speed);
        for (int64_t now = mono_ns(); now < due && !atomic_load(&ctl->stop); now = mono_ns()) {
            int64_t wait_ms = (due - now) / 1000000;
            kafka_producer_poll(p, wait_ms > 100 ? 100 : (int)wait_ms);
            if (wait_ms == 0)
                break;
        }
        if (atomic_load(&ctl->stop))
            break;
        buf_reset(&rec);
        if (is_quote)
            quote_encode(&t.u.quote, cfg->encoding, &rec);
        else
            trade_encode(&t.u.trade, cfg->encoding, &rec);
        if (kafka_produce(p, topics[is_quote], sym, strlen(sym), rec.data, rec.len, errstr,
                          errstr_size) != 0) {
            rc = -1;
            break;
        }
        res->generated++;
        res->quotes += is_quote;
        if ((res->generated & 1023) == 0 &&
            progress(p, st, last_delivered, errstr, errstr_size) != 0) {
            rc = -1;
            break;
        }
    }
    buf_release(&rec);
    return rc;
}

int ingest_run(const ingest_config *cfg, stage_control *ctl, pipeline_stats *st, ingest_result *res,
               char *errstr, size_t errstr_size)
{
    memset(res, 0, sizeof(*res));
    const char *const topics[2] = {cfg->topic ? cfg->topic : TOPIC_TRADES,
                                   cfg->quotes_topic ? cfg->quotes_topic : TOPIC_QUOTES};
    if (kafka_ensure_topics(&cfg->kafka, topics, cfg->sim.quote_ratio > 0 ? 2 : 1, cfg->partitions,
                            cfg->replication, cfg->min_isr, errstr, errstr_size) != 0)
        return -1;
    /* A paced run is a live feed: a tick waits at most 1 ms to be batched
     * (the producer's default is 5 ms, which is right for --rate max), so
     * what reacts to it downstream sees it sooner. The user's -X wins. */
    static const char *const paced[] = {"linger.ms=1"};
    kafka_opts po;
    const char **props = kafka_opts_prepend(&cfg->kafka, paced, cfg->max_rate ? 0 : 1, &po);
    if (!props)
        return set_err(errstr, errstr_size, "out of memory");
    kafka_producer *p = kafka_producer_new(&po, "ticklake-ingest", errstr, errstr_size);
    if (!p) {
        free(props);
        return -1;
    }
    /* Made last, so that a live feed (start_now) starts at the wall clock
     * once the topics and the producer are ready. */
    ingest_config c = *cfg;
    if (c.start_now && !c.max_rate)
        c.sim.start_ns = now_ns();
    sim *s = sim_new(&c.sim, errstr, errstr_size);
    if (!s) {
        kafka_producer_free(p);
        free(props);
        return -1;
    }
    int64_t last_delivered = 0;
    int rc = (c.max_rate ? run_unpaced : run_paced)(&c, ctl, st, s, p, topics, res, &last_delivered,
                                                    errstr, errstr_size);
    char ferr[256];
    if (kafka_producer_flush(p, FLUSH_TIMEOUT_MS, ferr, sizeof(ferr)) != 0 && rc == 0)
        rc = set_err(errstr, errstr_size, "%s", ferr);
    res->delivered = kafka_producer_delivered(p);
    res->failed = kafka_producer_failed(p);
    atomic_fetch_add(&st->ticks_produced, res->delivered - last_delivered);
    atomic_fetch_add(&st->ticks_failed, res->failed);
    if (rc == 0 && res->delivered != res->generated)
        rc = set_err(errstr, errstr_size, "%lld of %lld ticks not delivered",
                     (long long)(res->generated - res->delivered), (long long)res->generated);
    LOG_INFO("ingest: %lld ticks generated (%lld quotes), %lld delivered, %lld failed",
             (long long)res->generated, (long long)res->quotes, (long long)res->delivered,
             (long long)res->failed);
    kafka_producer_free(p);
    free(props);
    sim_free(s);
    return rc;
}
