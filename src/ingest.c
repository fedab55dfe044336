/* ingest.c - simulator -> Kafka; see ingest.h. */
#include "ingest.h"

#include <string.h>

#include "log.h"
#include "tick.h"
#include "util.h"

#define FLUSH_TIMEOUT_MS 30000

int ingest_run(const ingest_config *cfg, stage_control *ctl, pipeline_stats *st, ingest_result *res,
               char *errstr, size_t errstr_size)
{
    memset(res, 0, sizeof(*res));
    const char *topic = cfg->topic ? cfg->topic : TOPIC_TRADES;
    const char *qtopic = cfg->quotes_topic ? cfg->quotes_topic : TOPIC_QUOTES;
    const char *topics[] = {topic, qtopic};
    if (kafka_ensure_topics(&cfg->kafka, topics, cfg->sim.quote_ratio > 0 ? 2 : 1, cfg->partitions,
                            cfg->replication, errstr, errstr_size) != 0)
        return -1;
    sim *s = sim_new(&cfg->sim, errstr, errstr_size);
    if (!s)
        return -1;
    kafka_producer *p = kafka_producer_new(&cfg->kafka, "ticklake-ingest", errstr, errstr_size);
    if (!p) {
        sim_free(s);
        return -1;
    }
    buf rec;
    buf_init(&rec);
    int rc = 0;
    int64_t wall0 = mono_ns();
    int64_t last_delivered = 0;
    sim_tick t;
    while (!atomic_load(&ctl->stop) && (cfg->count == 0 || res->generated < cfg->count)) {
        sim_next_tick(s, &t);
        int is_quote = t.kind == SIM_QUOTE;
        int64_t ts = is_quote ? t.u.quote.ts : t.u.trade.ts;
        const char *sym = is_quote ? t.u.quote.symbol : t.u.trade.symbol;
        if (!cfg->max_rate) {
            /* Real time: hold each trade until its event time comes round. */
            double speed = cfg->speed > 0 ? cfg->speed : 1.0;
            int64_t due = wall0 + (int64_t)((double)(ts - cfg->sim.start_ns) / speed);
            for (int64_t now = mono_ns(); now < due && !atomic_load(&ctl->stop); now = mono_ns()) {
                int64_t wait_ms = (due - now) / 1000000;
                kafka_producer_poll(p, wait_ms > 100 ? 100 : (int)wait_ms);
                if (wait_ms == 0)
                    break;
            }
            if (atomic_load(&ctl->stop))
                break;
        }
        buf_reset(&rec);
        if (is_quote)
            quote_encode(&t.u.quote, cfg->encoding, &rec);
        else
            trade_encode(&t.u.trade, cfg->encoding, &rec);
        if (kafka_produce(p, is_quote ? qtopic : topic, sym, strlen(sym), rec.data, rec.len, errstr,
                          errstr_size) != 0) {
            rc = -1;
            break;
        }
        res->generated++;
        res->quotes += is_quote;
        if ((res->generated & 1023) == 0) {
            kafka_producer_poll(p, 0);
            int64_t d = kafka_producer_delivered(p);
            atomic_fetch_add(&st->ticks_produced, d - last_delivered);
            last_delivered = d;
            if (kafka_producer_fatal(p, errstr, errstr_size)) {
                rc = -1;
                break;
            }
        }
    }
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
    buf_release(&rec);
    kafka_producer_free(p);
    sim_free(s);
    return rc;
}
