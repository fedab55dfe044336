/* ingest.c - simulator -> Kafka; see ingest.h.
 *
 * Paced runs (real time) generate, encode and enqueue each tick on one thread,
 * holding it until its event time comes round. Unpaced runs (--rate max) are
 * a two-stage pipeline (rec_ring.h): a generator thread runs the simulator
 * and encodes ticks into chunks of a few thousand records, and the calling
 * thread hands each chunk to librdkafka with one produce_batch call per topic,
 * while librdkafka's own thread compresses and sends. */
#include "ingest.h"

#include <stdlib.h>
#include <string.h>

#include "kafka_admin.h"
#include "kafka_producer.h"
#include "log.h"
#include "publish_tally.h"
#include "rec_ring.h"
#include "tick.h"
#include "util.h"

#define FLUSH_TIMEOUT_MS 30000

typedef struct gen {
    const ingest_config *cfg;
    stage_control *ctl;
    sim *s;
} gen;

/* The generator (rec_ring_pump's filler): chunks of at most REC_CHUNK_RECS
 * ticks until the count is reached, the stage stops or the producing side
 * quits. */
static void generate(rec_ring *r, void *arg)
{
    gen *g = arg;
    const ingest_config *cfg = g->cfg;
    int64_t planned = 0;
    rec_chunk *c;
    while (!atomic_load(&g->ctl->stop) && (!cfg->count || planned < cfg->count) &&
           (c = rec_ring_fill_begin(r)) != NULL) {
        int64_t want = REC_CHUNK_RECS;
        if (cfg->count && cfg->count - planned < want)
            want = cfg->count - planned;
        sim_tick t;
        for (int64_t i = 0; i < want; i++) {
            sim_next_tick(g->s, &t);
            int q = t.kind == SIM_QUOTE;
            const char *sym = q ? t.u.quote.symbol : t.u.trade.symbol;
            buf *out = rec_chunk_begin(c, q, sym, strlen(sym), 0);
            if (q)
                quote_encode(&t.u.quote, cfg->encoding, out);
            else
                trade_encode(&t.u.trade, cfg->encoding, out);
            rec_chunk_end(c, q);
        }
        planned += want;
        rec_ring_fill_end(r);
    }
}

/* Publishes stats and checks for a fatal producer error; -1 on one. */
static int progress(kafka_producer *p, pipeline_stats *st, publish_tally *tally, char *errstr,
                    size_t errstr_size)
{
    kafka_producer_poll(p, 0);
    publish_tally_update(tally, p, st);
    return kafka_producer_fatal(p, errstr, errstr_size) ? -1 : 0;
}

/* The unpaced pipeline: see the file comment. */
static int run_unpaced(const ingest_config *cfg, stage_control *ctl, pipeline_stats *st, sim *s,
                       kafka_producer *p, const char *const topics[2], ingest_result *res,
                       publish_tally *tally, char *errstr, size_t errstr_size)
{
    gen g = {.cfg = cfg, .ctl = ctl, .s = s};
    rec_pump pp = {.p = p,
                   .topics = topics,
                   .fill = generate,
                   .arg = &g,
                   .stop = &ctl->stop,
                   .st = st,
                   .tally = tally};
    int64_t sent[2];
    int rc = rec_ring_pump(&pp, sent, errstr, errstr_size);
    res->generated += sent[0] + sent[1];
    res->quotes += sent[1];
    return rc;
}

/* The paced loop: each tick waits for its event time (scaled by speed). */
static int run_paced(const ingest_config *cfg, stage_control *ctl, pipeline_stats *st, sim *s,
                     kafka_producer *p, const char *const topics[2], ingest_result *res,
                     publish_tally *tally, char *errstr, size_t errstr_size)
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
        if ((res->generated & 1023) == 0 && progress(p, st, tally, errstr, errstr_size) != 0) {
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
    publish_tally tally = {0};
    int rc = (c.max_rate ? run_unpaced : run_paced)(&c, ctl, st, s, p, topics, res, &tally, errstr,
                                                    errstr_size);
    char ferr[256];
    if (kafka_producer_flush(p, FLUSH_TIMEOUT_MS, ferr, sizeof(ferr)) != 0 && rc == 0)
        rc = set_err(errstr, errstr_size, "%s", ferr);
    res->delivered = kafka_producer_delivered(p);
    res->failed = kafka_producer_failed(p);
    res->unacked = kafka_producer_unacked(p);
    publish_tally_update(&tally, p, st);
    if (rc == 0 && res->delivered + res->unacked != res->generated)
        rc = set_err(errstr, errstr_size, "%lld of %lld ticks not delivered",
                     (long long)(res->generated - res->delivered - res->unacked),
                     (long long)res->generated);
    char unacked[64] = ""; /* acks=0 only */
    if (res->unacked)
        snprintf(unacked, sizeof(unacked), ", %lld sent unconfirmed (acks=0)",
                 (long long)res->unacked);
    LOG_INFO("ingest: %lld ticks generated (%lld quotes), %lld delivered, %lld failed%s",
             (long long)res->generated, (long long)res->quotes, (long long)res->delivered,
             (long long)res->failed, unacked);
    kafka_producer_free(p);
    free(props);
    sim_free(s);
    return rc;
}
