/* rest_poll.c - REST market data -> Kafka; see rest_poll.h. */
#include "rest_poll.h"

#include <stdlib.h>
#include <string.h>

#include "feed_rest.h"
#include "http_get.h"
#include "kafka_admin.h"
#include "kafka_producer.h"
#include "log.h"
#include "util.h"

#define FLUSH_TIMEOUT_MS 30000
#define MAX_BACKOFF_NS (600 * NS_PER_SEC)

/* Sleeps until mono time `until`, serving delivery reports; 1 if stopped. */
static int wait_until(kafka_producer *p, stage_control *ctl, int64_t until)
{
    while (!atomic_load(&ctl->stop)) {
        int64_t left = until - mono_ns();
        if (left <= 0)
            return 0;
        kafka_producer_poll(p, left > 100000000 ? 100 : (int)(left / 1000000) + 1);
    }
    return 1;
}

/* Alpha Vantage's answer to a bad key names the key ("the parameter apikey
 * is invalid or missing"); "Invalid API call" is its answer to a symbol it
 * does not know, an error of that symbol only. */
static int key_rejected(const char *text)
{
    return strstr(text, "API key") || strstr(text, "apikey");
}

/* What the topic already holds, per symbol: the newest snapshot time, or the
 * newest bar start of this poller's interval. */
typedef struct seed_ctx {
    const rest_poll_config *cfg;
    int fh;
    const char *interval;
    int64_t *last;
    int64_t records, unreadable;
} seed_ctx;

static void seed_record(void *opaque, int64_t offset, const void *key, size_t key_len,
                        const void *value, size_t value_len)
{
    (void)offset;
    seed_ctx *c = opaque;
    size_t i = 0;
    while (i < c->cfg->nsymbols && !(strlen(c->cfg->symbols[i]) == key_len &&
                                     memcmp(c->cfg->symbols[i], key, key_len) == 0))
        i++;
    if (i == c->cfg->nsymbols)
        return; /* another poller's symbol */
    char source[TICK_SOURCE_MAX], err[256];
    int64_t t;
    if (c->fh) {
        rest_snapshot s;
        int64_t recv;
        if (rest_snapshot_decode_json(value, value_len, &s, source, &recv, err, sizeof(err)) != 0) {
            c->unreadable++;
            return;
        }
        t = s.ts;
    } else {
        rest_bar b;
        if (rest_bar_decode_json(value, value_len, &b, source, err, sizeof(err)) != 0) {
            c->unreadable++;
            return;
        }
        if (strcmp(b.interval, c->interval) != 0)
            return;
        t = b.window_start;
    }
    c->records++;
    if (t > c->last[i])
        c->last[i] = t;
}

/* Fills last from the topic's tail, so that a restarted poller publishes
 * nothing twice either: what it would publish again is already there. */
static int seed_last(const rest_poll_config *cfg, const char *topic, int fh, const char *interval,
                     int64_t *last, char *errstr, size_t errstr_size)
{
    seed_ctx c = {.cfg = cfg, .fh = fh, .interval = interval, .last = last};
    /* The tail of each partition: a round publishes at most 100 records a
     * symbol (an Alpha Vantage answer), so this holds every symbol's newest
     * record unless other pollers' symbols crowded it out; then that one
     * record is published again, as before. */
    int64_t tail = 200 * (int64_t)cfg->nsymbols;
    if (tail < 10000)
        tail = 10000;
    int rc = kafka_read_topic_tail(&cfg->kafka, topic, tail, NULL, 60000, seed_record, &c, errstr,
                                   errstr_size);
    if (rc == 0 && c.records + c.unreadable > 0)
        LOG_INFO("%s: %lld records of these symbols already in '%s'",
                 fh ? "finnhub" : "alphavantage", (long long)c.records, topic);
    if (rc == 0 && c.unreadable > 0)
        LOG_WARN("%s: %lld records of these symbols in '%s' are unreadable: skipped, not taken "
                 "as published",
                 fh ? "finnhub" : "alphavantage", (long long)c.unreadable, topic);
    return rc;
}

int rest_poll_run(const rest_poll_config *cfg, stage_control *ctl, pipeline_stats *st,
                  rest_poll_result *res, char *errstr, size_t errstr_size)
{
    memset(res, 0, sizeof(*res));
    int fh = cfg->kind == REST_FINNHUB_QUOTE;
    const char *name = fh ? "finnhub" : "alphavantage";
    const char *topic = cfg->topic ? cfg->topic : fh ? TOPIC_SNAPSHOTS : TOPIC_BARS_REST;
    const char *interval = cfg->interval ? cfg->interval : "5min";
    int64_t round_ns = cfg->interval_ns > 0 ? cfg->interval_ns : 60 * NS_PER_SEC;
    int64_t gap_ns = cfg->min_gap_ns > 0 ? cfg->min_gap_ns
                     : fh                ? 1100 * 1000000LL
                                         : 12500 * 1000000LL;
    if (kafka_ensure_topics(&cfg->kafka, &topic, 1, cfg->partitions, cfg->replication, cfg->min_isr,
                            errstr, errstr_size) != 0)
        return -1;
    kafka_producer *p = kafka_producer_new(&cfg->kafka, "ticklake-rest", errstr, errstr_size);
    if (!p)
        return -1;
    int64_t *last = xcalloc(cfg->nsymbols, sizeof(int64_t)); /* snapshot ts / bar start */
    if (seed_last(cfg, topic, fh, interval, last, errstr, errstr_size) != 0) {
        kafka_producer_free(p);
        free(last);
        return -1;
    }
    buf url, body, rec;
    buf_init(&url);
    buf_init(&body);
    buf_init(&rec);
    int rc = 0;
    int64_t backoff = 0, next_req = mono_ns();
    while (rc == 0 && !atomic_load(&ctl->stop)) {
        int64_t round_start = mono_ns();
        for (size_t i = 0; rc == 0 && i < cfg->nsymbols; i++) {
            if (wait_until(p, ctl, next_req))
                break;
            const char *sym = cfg->symbols[i];
            buf_reset(&url);
            if (fh)
                rest_finnhub_quote_url(cfg->url, sym, cfg->key, &url);
            else
                rest_av_intraday_url(cfg->url, sym, interval, cfg->key, &url);
            buf_putc(&url, '\0');
            long status = 0;
            char err[512];
            res->requests++;
            next_req = mono_ns() + gap_ns;
            if (http_get(url.data, cfg->ca_file, 30000, &status, &body, err, sizeof(err)) != 0) {
                res->errors++;
                LOG_WARN("%s: %s", name, err);
                continue;
            }
            if (status == 401 || status == 403) {
                rc = set_err(errstr, errstr_size, "%s: the key was rejected (HTTP %ld)", name,
                             status);
                break;
            }
            int throttled = status == 429;
            if (!throttled && status != 200) {
                res->errors++;
                LOG_WARN("%s %s: HTTP %ld", name, sym, status);
                continue;
            }
            int64_t recv = now_ns();
            if (!throttled && fh) {
                rest_snapshot s;
                if (rest_finnhub_quote_parse(body.data, body.len, sym, &s, err, sizeof(err)) != 0) {
                    res->errors++;
                    LOG_WARN("%s", err);
                } else if (s.ts > last[i]) { /* an older answer (a lagging node) came before */
                    last[i] = s.ts;
                    buf_reset(&rec);
                    rest_snapshot_encode_json(&s, name, recv, &rec);
                    if (kafka_produce(p, topic, sym, strlen(sym), rec.data, rec.len, errstr,
                                      errstr_size) != 0)
                        rc = -1;
                    else
                        res->records++;
                }
            } else if (!throttled) {
                rest_bar *bars;
                size_t n;
                int r =
                    rest_av_intraday_parse(body.data, body.len, sym, &bars, &n, err, sizeof(err));
                if (r == 1) {
                    throttled = 1;
                } else if (r < 0) {
                    if (key_rejected(err)) {
                        rc = set_err(errstr, errstr_size, "%s", err);
                        break;
                    }
                    res->errors++;
                    LOG_WARN("%s", err);
                } else {
                    for (size_t k = 0; rc == 0 && k < n; k++) {
                        if (bars[k].window_start <= last[i])
                            continue;
                        buf_reset(&rec);
                        rest_bar_encode_json(&bars[k], name, &rec);
                        if (kafka_produce(p, topic, sym, strlen(sym), rec.data, rec.len, errstr,
                                          errstr_size) != 0)
                            rc = -1;
                        else
                            res->records++;
                    }
                    if (n)
                        last[i] =
                            bars[n - 1].window_start > last[i] ? bars[n - 1].window_start : last[i];
                    free(bars);
                }
            }
            if (throttled) {
                res->throttled++;
                backoff = backoff ? (backoff * 2 > MAX_BACKOFF_NS ? MAX_BACKOFF_NS : backoff * 2)
                                  : round_ns;
                LOG_WARN("%s %s: throttled (%s); next request in %lld ms", name, sym,
                         status == 429 ? "HTTP 429" : err, (long long)(backoff / 1000000));
                next_req = mono_ns() + backoff;
                i--; /* the same symbol again */
            } else {
                backoff = 0;
            }
        }
        if (rc == 0)
            wait_until(p, ctl, round_start + round_ns);
        atomic_store(&st->ticks_produced, kafka_producer_published(p));
    }
    char ferr[256];
    if (kafka_producer_flush(p, FLUSH_TIMEOUT_MS, ferr, sizeof(ferr)) != 0 && rc == 0)
        rc = set_err(errstr, errstr_size, "%s", ferr);
    res->delivered = kafka_producer_delivered(p);
    res->failed = kafka_producer_failed(p);
    res->unacked = kafka_producer_unacked(p);
    atomic_store(&st->ticks_produced, kafka_producer_published(p));
    if (rc == 0 && res->delivered + res->unacked != res->records)
        rc = set_err(errstr, errstr_size, "%lld of %lld records not delivered",
                     (long long)(res->records - res->delivered - res->unacked),
                     (long long)res->records);
    kafka_producer_free(p);
    free(last);
    buf_release(&url);
    buf_release(&body);
    buf_release(&rec);
    return rc;
}
