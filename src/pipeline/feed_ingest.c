/* feed_ingest.c - live provider feeds -> Kafka; see feed_ingest.h. */
#include "feed_ingest.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed_seen.h"
#include "kafka_admin.h"
#include "kafka_producer.h"
#include "log.h"
#include "publish_tally.h"
#include "rec_ring.h"
#include "util.h"
#include "ws.h"

#define FLUSH_TIMEOUT_MS 30000
#define RECV_SLICE_MS 200
#define MAX_SYMS FEED_MAX_SYMBOLS

typedef struct shared {
    const feed_ingest_config *cfg;
    stage_control *ctl;
    pipeline_stats *st;
    feed_ingest_result *res;
    kafka_producer *p;
    const char *topic, *quotes_topic;
    pthread_mutex_t mu; /* producing (the producer's topic handles), fatal_err */
    atomic_int fatal;
    /* The sources' WebSocket waits end when it is set: at a stop, and at
     * once when one source fails for good (a rejected key), so the others
     * do not hold the exit for their connect or subscribe timeouts. */
    atomic_int quit;
    char fatal_err[512];
    int produce_failed;
} shared;

typedef struct source {
    shared *sh;
    size_t idx;
    const feed_source_config *sc;
    feed_source_stats *ss;
    char url[2048];
    char shown[2048]; /* url without its query, for logs (it may hold a key) */
    feed_seen *seen;  /* trades sent and the highest id, per symbol (feed_seen.h) */
    uint64_t rng;
    buf qrec; /* the quote being produced */
    feed_msg m;
    int64_t arrived;    /* mono_ns when the message being handled arrived */
    long long with_bad; /* messages holding unusable trades, for the log's pace */
    /* Trades encoded and not produced yet (topic 0 only): the messages of
     * one read go to the producer as one batch (flush_trades). */
    rec_chunk *batch;
} source;

const char *feed_state_name(int state)
{
    switch (state) {
    case FEED_STATE_CONNECTING:
        return "connecting";
    case FEED_STATE_CONNECTED:
        return "connected";
    case FEED_STATE_RECONNECTING:
        return "reconnecting";
    default:
        return "stopped";
    }
}

static int stopping(const source *s)
{
    return atomic_load(&s->sh->ctl->stop) || atomic_load(&s->sh->fatal);
}

static void set_fatal(source *s, const char *msg)
{
    pthread_mutex_lock(&s->sh->mu);
    if (!atomic_load(&s->sh->fatal)) {
        snprintf(s->sh->fatal_err, sizeof(s->sh->fatal_err), "%s", msg);
        atomic_store(&s->sh->fatal, 1);
    }
    atomic_store(&s->sh->quit, 1);
    pthread_mutex_unlock(&s->sh->mu);
}

static uint64_t next_rand(source *s)
{
    s->rng += 0x9e3779b97f4a7c15ull;
    return mix64(s->rng);
}

/* Sleeps up to ns, waking early on stop. */
static void nap(const source *s, int64_t ns)
{
    int64_t end = mono_ns() + ns;
    while (!stopping(s)) {
        int64_t left = end - mono_ns();
        if (left <= 0)
            break;
        sleep_ns(left > 50000000 ? 50000000 : left);
    }
}

static int consecutive_ids(feed_provider p)
{
    return p == FEED_COINBASE || p == FEED_BINANCE || p == FEED_KRAKEN;
}

/* Enqueues the pending trades as one batch, under one lock. -1 on a
 * producer error. */
static int flush_trades(source *s, char *errstr, size_t errstr_size)
{
    size_t n = s->batch->n[0];
    if (n == 0)
        return 0;
    const char *const topics[2] = {s->sh->topic, NULL};
    rec_chunk_seal(s->batch);
    pthread_mutex_lock(&s->sh->mu);
    int rc = rec_chunk_produce(s->batch, s->sh->p, topics, errstr, errstr_size);
    pthread_mutex_unlock(&s->sh->mu);
    rec_chunk_clear(s->batch);
    if (rc != 0)
        return -1;
    atomic_fetch_add(&s->ss->trades, (long long)n);
    return 0;
}

/* A trade id received, through the duplicate filter and the gap bookkeeping
 * (feed_seen_trade): gaps counted and logged. 1 if it is a duplicate. */
static int seen_trade(source *s, const char *symbol, int64_t id)
{
    feed_gap g;
    if (feed_seen_trade(s->seen, symbol, id, consecutive_ids(s->sc->provider), &g))
        return 1;
    const char *name = feed_provider_name(s->sc->provider);
    if (g.missing > 0) {
        atomic_fetch_add(&s->ss->gaps, g.missing);
        LOG_WARN("feed %s: %s: gap of %lld trades (ids %lld..%lld never received)", name, symbol,
                 (long long)g.missing, (long long)g.from, (long long)(id - 1));
    } else if (g.jumped) {
        LOG_WARN("feed %s: %s: trade id jumped from %lld to %lld; not counted as a gap", name,
                 symbol, (long long)g.from, (long long)id);
    } else if (g.filled) {
        atomic_fetch_sub(&s->ss->gaps, 1);
        LOG_INFO("feed %s: %s: trade %lld arrived late, filling a gap", name, symbol,
                 (long long)id);
    }
    return 0;
}

/* The bad trades of s->m whose ids were read and that came before its good trade i (all that are
 * left with i = ntrades): their ids were received, so they are no gap (nor sent, being bad). */
static void rejected_ids(source *s, size_t i, size_t *next)
{
    const feed_msg *m = &s->m;
    for (; *next < m->nrejected && m->rejected[*next].before <= i; (*next)++)
        seen_trade(s, m->rejected[*next].symbol, m->rejected[*next].id);
}

/* Dedupe and gap check each trade of s->m, then encode it into s->batch
 * (the key too: s->m is the next message's by the flush) for flush_trades,
 * which runs here only when the batch is full: a Polygon or Alpaca message
 * carries up to hundreds, a Coinbase one a single trade, and one read brings
 * many. -1 on a producer error. */
static int handle_trades(source *s, char *errstr, size_t errstr_size)
{
    feed_msg *m = &s->m;
    size_t next_rejected = 0;
    for (size_t i = 0; i < m->ntrades; i++) {
        const trade *t = &m->trades[i];
        rejected_ids(s, i, &next_rejected);
        if (seen_trade(s, t->symbol, t->id)) {
            atomic_fetch_add(&s->ss->duplicates, 1);
            continue;
        }
        if (rec_chunk_full(s->batch) && flush_trades(s, errstr, errstr_size) != 0)
            return -1;
        buf *out = rec_chunk_begin(s->batch, 0, t->symbol, strlen(t->symbol), s->arrived);
        trade_encode_json_detail(t, &m->details[i], out);
        rec_chunk_end(s->batch, 0);
    }
    rejected_ids(s, m->ntrades, &next_rejected);
    return 0;
}

/* Produces each quote of s->m to the quotes topic. -1 on a producer error. */
static int handle_quotes(source *s, char *errstr, size_t errstr_size)
{
    feed_msg *m = &s->m;
    for (size_t i = 0; i < m->nquotes; i++) {
        const quote *q = &m->quotes[i];
        buf_reset(&s->qrec);
        quote_encode_json(q, &s->qrec);
        pthread_mutex_lock(&s->sh->mu);
        int rc = kafka_produce_stamped(s->sh->p, s->sh->quotes_topic, q->symbol, strlen(q->symbol),
                                       s->qrec.data, s->qrec.len, s->arrived, errstr, errstr_size);
        pthread_mutex_unlock(&s->sh->mu);
        if (rc != 0)
            return -1;
        atomic_fetch_add(&s->ss->quotes, 1);
    }
    return 0;
}

/* A Coinbase heartbeat's last_trade_id ahead of the trades seen: a gap. */
static void heartbeat_gap(source *s)
{
    feed_msg *m = &s->m;
    if (!m->hb_last_trade_id || !m->hb_symbol[0])
        return;
    int64_t before = 0;
    const int64_t *last = feed_seen_last(s->seen, m->hb_symbol);
    if (last)
        before = *last;
    feed_gap g = feed_seen_gap_heartbeat(s->seen, m->hb_symbol, m->hb_last_trade_id);
    if (g.missing > 0) {
        atomic_fetch_add(&s->ss->gaps, g.missing);
        LOG_WARN("feed %s: %s: heartbeat says the last trade is %lld, the last received is %lld: "
                 "gap of %lld trades",
                 feed_provider_name(s->sc->provider), m->hb_symbol, (long long)m->hb_last_trade_id,
                 (long long)before, (long long)g.missing);
    }
}

enum { MSG_OK, MSG_RECONNECT, MSG_FATAL };

static int handle_message(source *s, const buf *msg, char *errstr, size_t errstr_size);

/* Handles one received message. more: another is waiting (ws_pending), so
 * its trades may join this one's in the batch; else, and whenever the
 * connection is to end, the pending trades are produced now. */
static int on_message(source *s, const buf *msg, int more, char *errstr, size_t errstr_size)
{
    int rc = handle_message(s, msg, errstr, errstr_size);
    if (rc == MSG_FATAL || (rc == MSG_OK && more))
        return rc;
    char err[256];
    if (flush_trades(s, err, sizeof(err)) != 0) {
        set_err(errstr, errstr_size, "%s", err);
        return MSG_FATAL;
    }
    return rc;
}

static int handle_message(source *s, const buf *msg, char *errstr, size_t errstr_size)
{
    const char *name = feed_provider_name(s->sc->provider);
    atomic_fetch_add(&s->ss->messages, 1);
    s->arrived = mono_ns();
    atomic_store(&s->ss->last_msg_ns, s->arrived);
    char err[256];
    if (feed_decode(s->sc->provider, msg->data, msg->len, now_ns(), &s->m, err, sizeof(err)) != 0) {
        long long n = atomic_fetch_add(&s->ss->bad, 1) + 1;
        if (n <= 10 || (n & (n - 1)) == 0)
            LOG_WARN("feed %s: malformed message #%lld (%s): %.*s", name, n, err,
                     (int)(msg->len > 200 ? 200 : msg->len), msg->data);
        return MSG_OK;
    }
    feed_msg *m = &s->m;
    if (m->bad) {
        long long n = ++s->with_bad;
        long long total = atomic_fetch_add(&s->ss->bad, m->bad) + m->bad;
        if (n <= 10 || (n & (n - 1)) == 0) /* as malformed messages: not one line each */
            LOG_WARN("feed %s: %lld unusable trade(s) in a message (%lld so far): %s: %.*s", name,
                     (long long)m->bad, total, m->bad_reason,
                     (int)(msg->len > 200 ? 200 : msg->len), msg->data);
    }
    if (m->skipped)
        atomic_fetch_add(&s->ss->skipped, m->skipped);
    if (handle_trades(s, errstr, errstr_size) != 0 || handle_quotes(s, errstr, errstr_size) != 0)
        return MSG_FATAL;
    if (m->heartbeat)
        heartbeat_gap(s);
    if (m->error) {
        if (m->fatal) {
            set_err(errstr, errstr_size, "%s", m->error_text);
            return MSG_FATAL;
        }
        LOG_WARN("feed %s: %s; reconnecting", name, m->error_text);
        return MSG_RECONNECT;
    }
    if (m->shutdown) {
        LOG_INFO("feed %s: the server announced a shutdown; reconnecting", name);
        return MSG_RECONNECT;
    }
    return MSG_OK;
}

/* Reads messages until want(m) holds (auth or subscription answered).
 * 0 when it did; -1 with errstr when the wait ended, the connection failed, or
 * a message was fatal (*fatal set). */
static int await(source *s, ws_conn *c, buf *msg, int auth, int *fatal, char *errstr,
                 size_t errstr_size)
{
    int64_t wait = s->sh->cfg->confirm_ns > 0 ? s->sh->cfg->confirm_ns : 10 * NS_PER_SEC;
    int64_t end = mono_ns() + wait;
    while (!stopping(s)) {
        int64_t left = end - mono_ns();
        if (left <= 0)
            return set_err(errstr, errstr_size, "no %s answer within %lld ms",
                           auth ? "authentication" : "subscription", (long long)(wait / 1000000));
        int r = ws_recv(
            c, msg, left > RECV_SLICE_MS * 1000000LL ? RECV_SLICE_MS : (int)(left / 1000000) + 1,
            errstr, errstr_size);
        if (r < 0)
            return -1;
        if (r == 0)
            continue;
        int rc = on_message(s, msg, 0, errstr, errstr_size);
        if (rc == MSG_FATAL) {
            *fatal = 1;
            return -1;
        }
        if (rc == MSG_RECONNECT)
            return set_err(errstr, errstr_size, "the provider refused");
        if (auth ? s->m.auth_ok : s->m.subscribed)
            return 0;
    }
    return set_err(errstr, errstr_size, "stopped");
}

/* Sends each '\n'-terminated message of b. */
static int send_lines(ws_conn *c, const buf *b, char *errstr, size_t errstr_size)
{
    size_t off = 0;
    while (off < b->len) {
        const char *nl = memchr(b->data + off, '\n', b->len - off);
        size_t n = nl ? (size_t)(nl - (b->data + off)) : b->len - off;
        if (n && ws_send_text(c, b->data + off, n, errstr, errstr_size) != 0)
            return -1;
        off += n + 1;
    }
    return 0;
}

/* An HTTP 401 or 403 to the upgrade: the key in the URL was refused. */
static int rejected_key(const char *err)
{
    return strstr(err, "HTTP 401") || strstr(err, "HTTP 403");
}

/* Providers whose streams are silent for hours by design (stocks outside
 * trading hours) and send no heartbeat: there the watchdog pings a silent
 * server after half of --feed-stall, and a pong counts as a sign of life, so
 * that a quiet market is not a reconnect every --feed-stall. Elsewhere
 * (heartbeats, or crypto trading around the clock) silence is a stall. */
static int quiet_hours(feed_provider p)
{
    return p == FEED_ALPACA || p == FEED_POLYGON;
}

/* The session counts as subscribed: connected on the status line, and the
 * backoff starts again. */
static void subscribed(source *s, int *got)
{
    *got = 1;
    atomic_store(&s->ss->state, FEED_STATE_CONNECTED);
    LOG_INFO("feed %s: connected to %s, subscribed to %zu symbol(s)",
             feed_provider_name(s->sc->provider), s->shown, s->sh->cfg->nsymbols);
}

/* One connection's life: connect, auth, subscribe, read until it fails,
 * stalls or the stage stops. Returns 1 if it got as far as subscribed, 0 if
 * not, -1 on a fatal error (set_fatal done). */
static int session(source *s, buf *msg)
{
    const char *name = feed_provider_name(s->sc->provider);
    const feed_ingest_config *cfg = s->sh->cfg;
    char err[1024], full[1200];
    ws_opts wo = {.ca_file = cfg->ca_file, .insecure = cfg->insecure, .cancel = &s->sh->quit};
    ws_conn *c = ws_connect(s->url, &wo, err, sizeof(err));
    if (!c) {
        if (rejected_key(err) && s->sc->key) {
            snprintf(full, sizeof(full), "%s: the key was rejected: %s", name, err);
            set_fatal(s, full);
            return -1;
        }
        LOG_WARN("feed %s: %s", name, err);
        return 0;
    }
    int fatal = 0, got = 0;
    buf out;
    buf_init(&out);
    if (feed_needs_auth(s->sc->provider)) {
        feed_auth_message(s->sc->provider, s->sc->key, s->sc->secret, &out);
        if (ws_send_text(c, out.data, out.len, err, sizeof(err)) != 0 ||
            await(s, c, msg, 1, &fatal, err, sizeof(err)) != 0)
            goto done;
    }
    buf_reset(&out);
    if (feed_subscribe_messages(s->sc->provider, cfg->symbols, cfg->nsymbols, 1,
                                cfg->quotes && feed_has_quotes(s->sc->provider), &out, err,
                                sizeof(err)) != 0) {
        fatal = 1;
        goto done;
    }
    if (send_lines(c, &out, err, sizeof(err)) != 0)
        goto done;
    /* Finnhub confirms nothing: its first message is the confirmation (below;
     * until then the session does not count as subscribed, so a server that
     * accepts and hangs up keeps the backoff growing). */
    if (s->sc->provider != FEED_FINNHUB) {
        if (await(s, c, msg, 0, &fatal, err, sizeof(err)) != 0)
            goto done;
        subscribed(s, &got);
    }
    int64_t stall = cfg->stall_ns > 0 ? cfg->stall_ns : 30 * NS_PER_SEC;
    int64_t last = mono_ns(), pongs = ws_pongs(c);
    int pinged = 0, by_ping = quiet_hours(s->sc->provider);
    while (!stopping(s)) {
        int r = ws_recv(c, msg, RECV_SLICE_MS, err, sizeof(err));
        if (r < 0)
            break;
        if (r == 0) {
            int64_t now = mono_ns();
            if (by_ping && ws_pongs(c) != pongs) { /* the server is there */
                pongs = ws_pongs(c);
                last = now;
                pinged = 0;
            } else if (by_ping && !pinged && now - last > stall / 2) {
                if (ws_send_ping(c, err, sizeof(err)) != 0)
                    break;
                pinged = 1;
            }
            if (now - last > stall) {
                snprintf(err, sizeof(err), "silent for %lld ms (watchdog)",
                         (long long)((mono_ns() - last) / 1000000));
                break;
            }
            continue;
        }
        last = mono_ns();
        pinged = 0;
        if (!got)
            subscribed(s, &got);
        int rc = on_message(s, msg, ws_pending(c), err, sizeof(err));
        if (rc == MSG_FATAL) {
            fatal = 1;
            break;
        }
        if (rc == MSG_RECONNECT) {
            snprintf(err, sizeof(err), "reconnect asked");
            break;
        }
    }
done:
    /* Messages already received when the loop ended (a reconnect asked in
     * the middle of a read, a stop) are handled: no provider sends them
     * again. Those that are ready without waiting, for at most 200 ms. */
    for (int64_t until = mono_ns() + 200 * 1000000LL; !fatal && mono_ns() < until;) {
        char derr[256];
        if (ws_recv(c, msg, 0, derr, sizeof(derr)) <= 0)
            break;
        if (on_message(s, msg, ws_pending(c), derr, sizeof(derr)) == MSG_FATAL) {
            fatal = 1;
            snprintf(err, sizeof(err), "%s", derr);
        }
    }
    if (s->batch->n[0]) { /* read before the loop ended: they go out */
        char ferr[256];
        if (flush_trades(s, ferr, sizeof(ferr)) != 0 && !fatal) {
            fatal = 1;
            snprintf(err, sizeof(err), "%s", ferr);
        }
    }
    if (fatal) {
        snprintf(full, sizeof(full), "%s: %s", name, err);
        set_fatal(s, full);
    } else if (!stopping(s)) {
        LOG_WARN("feed %s: connection lost: %s", name, err);
    }
    ws_close(c);
    buf_release(&out);
    return fatal ? -1 : got;
}

static void *source_main(void *arg)
{
    source *s = arg;
    const feed_ingest_config *cfg = s->sh->cfg;
    const char *name = feed_provider_name(s->sc->provider);
    int64_t bmin = cfg->backoff_min_ns > 0 ? cfg->backoff_min_ns : 500 * 1000000LL;
    int64_t bmax = cfg->backoff_max_ns > 0 ? cfg->backoff_max_ns : 30 * NS_PER_SEC;
    int64_t backoff = bmin, failures = 0;
    buf msg;
    buf_init(&msg);
    for (int first = 1; !stopping(s); first = 0) {
        if (!first) {
            atomic_store(&s->ss->state, FEED_STATE_RECONNECTING);
            atomic_fetch_add(&s->ss->reconnects, 1);
            /* Uniform in [backoff/2, backoff]: apart from other clients that
             * lost the same server at the same moment. */
            int64_t wait = backoff / 2 + (int64_t)(next_rand(s) % (uint64_t)(backoff / 2 + 1));
            LOG_INFO("feed %s: reconnecting in %lld ms", name, (long long)(wait / 1000000));
            nap(s, wait);
            if (stopping(s))
                break;
        }
        int r = session(s, &msg);
        if (r < 0)
            break;
        if (r > 0) {
            backoff = bmin;
            failures = 0;
        } else {
            backoff = backoff * 2 > bmax ? bmax : backoff * 2;
            if (cfg->max_reconnects && ++failures > cfg->max_reconnects) {
                char e[256];
                snprintf(e, sizeof(e), "%s: no connection after %lld attempts", name,
                         (long long)failures);
                set_fatal(s, e);
                break;
            }
        }
    }
    atomic_store(&s->ss->state, FEED_STATE_STOPPED);
    buf_release(&msg);
    return NULL;
}

void feed_status_lines(const feed_ingest_config *cfg, const feed_ingest_result *res,
                       feed_rate_memo *prev, char *out, size_t out_size)
{
    int64_t now = mono_ns();
    double dt = prev->at_ns ? (double)(now - prev->at_ns) / 1e9 : 0;
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < cfg->nsources && o < out_size; i++) {
        const feed_source_stats *ss = &res->src[i];
        int64_t msgs = atomic_load(&ss->messages), trades = atomic_load(&ss->trades);
        int64_t last = atomic_load(&ss->last_msg_ns);
        char qs[48] = "";
        if (atomic_load(&ss->quotes))
            snprintf(qs, sizeof(qs), ", %lld quotes", (long long)atomic_load(&ss->quotes));
        char age[48];
        if (last)
            snprintf(age, sizeof(age), "last message %.1fs ago", (double)(now - last) / 1e9);
        else
            snprintf(age, sizeof(age), "no message yet");
        int n =
            snprintf(out + o, out_size - o,
                     "%s%s: %s, %.0f msg/s, %.0f trades/s, %s, %lld trades, %lld gaps, "
                     "%lld duplicates dropped, %lld reconnects, %lld bad%s",
                     i ? "; " : "", feed_provider_name(cfg->sources[i].provider),
                     feed_state_name(atomic_load(&ss->state)),
                     dt > 0 ? (double)(msgs - prev->messages[i]) / dt : 0,
                     dt > 0 ? (double)(trades - prev->trades[i]) / dt : 0, age, (long long)trades,
                     (long long)atomic_load(&ss->gaps), (long long)atomic_load(&ss->duplicates),
                     (long long)atomic_load(&ss->reconnects), (long long)atomic_load(&ss->bad), qs);
        if (n < 0)
            break;
        o += (size_t)n;
        prev->messages[i] = msgs;
        prev->trades[i] = trades;
    }
    /* The sources share one producer: its failures are the run's, not a
     * source's. Shown as soon as there is one, so a long run's failing
     * deliveries are seen while they happen. */
    long long failing = atomic_load(&res->failing);
    if (failing > 0 && o < out_size)
        snprintf(out + o, out_size - o, "; %lld records failed delivery", failing);
    prev->at_ns = now;
}

/* The URL of source sc: its override, else the provider's, with Finnhub's
 * token appended. */
static int source_url(const feed_source_config *sc, char *out, size_t out_size, char *errstr,
                      size_t errstr_size)
{
    const char *base = sc->url ? sc->url : feed_default_url(sc->provider);
    int n;
    if (sc->provider == FEED_FINNHUB && sc->key && !strstr(base, "token="))
        n = snprintf(out, out_size, "%s%stoken=%s", base, strchr(base, '?') ? "&" : "?", sc->key);
    else
        n = snprintf(out, out_size, "%s", base);
    if (n < 0 || (size_t)n >= out_size)
        return set_err(errstr, errstr_size, "%s: URL too long", feed_provider_name(sc->provider));
    return 0;
}

#define SEED_PER_SYMBOL 100           /* trades a symbol's seed looks for (a snapshot is 50) */
#define SEED_TAIL_MAX 2000000         /* records a partition, the deepest seed read */
#define SEED_SYM_SLOTS (2 * MAX_SYMS) /* the subscribed symbols by hash, half full at most */

typedef struct seed_ctx {
    source *srcs;
    size_t n;
    const feed_ingest_config *cfg;
    int64_t records, unreadable; /* this read's trades of these sources; not trades */
    /* This read's trades of these sources per subscribed symbol, found by
     * hash: slot[] holds the symbol's index + 1, 0 when empty. */
    int64_t found[MAX_SYMS];
    uint16_t slot[SEED_SYM_SLOTS];
} seed_ctx;

static size_t seed_sym_slot(const seed_ctx *c, const char *sym)
{
    size_t i = fnv1a_bytes(FNV1A_BASIS, sym, strlen(sym)) & (SEED_SYM_SLOTS - 1);
    while (c->slot[i] && strcmp(c->cfg->symbols[c->slot[i] - 1], sym) != 0)
        i = (i + 1) & (SEED_SYM_SLOTS - 1);
    return i;
}

static void seed_record(void *opaque, int64_t offset, const void *key, size_t key_len,
                        const void *value, size_t value_len)
{
    (void)offset;
    (void)key;
    (void)key_len;
    seed_ctx *c = opaque;
    trade t;
    trade_detail d;
    char err[256];
    /* Feeds publish JSON only: a binary trade (the simulator's or a
     * replay's --encoding binary) is nobody's here, and no error. */
    if (tick_is_binary(value, value_len))
        return;
    if (trade_decode_json_detail(value, value_len, &t, &d, err, sizeof(err)) != 0) {
        c->unreadable++;
        return;
    }
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(t.source, feed_provider_name(c->srcs[i].sc->provider)) == 0) {
            feed_seen_seed(c->srcs[i].seen, t.symbol, t.id,
                           consecutive_ids(c->srcs[i].sc->provider));
            c->records++;
            size_t k = seed_sym_slot(c, t.symbol);
            if (c->slot[k])
                c->found[c->slot[k] - 1]++;
        }
}

/* The duplicate filter learns the trades of these sources already in the
 * topic: a restarted feed does not publish again what its provider sends
 * again on subscribe (Kraken's snapshot of recent trades, Coinbase's
 * last_match), which would count their volume twice. It reads the last
 * max(10,000, 100 a symbol) records of each partition, and again with twice
 * that while some subscribed symbol has fewer than SEED_PER_SYMBOL trades of
 * these sources there (a quiet symbol beside busy ones) and some partition is
 * longer than the read, up to SEED_TAIL_MAX records a partition. Only the
 * first read's failure is an error: a deeper one that fails keeps what it
 * learnt. */
static int seed_seen(const feed_ingest_config *cfg, const char *topic, source *srcs, char *errstr,
                     size_t errstr_size)
{
    seed_ctx *c = xcalloc(1, sizeof(*c));
    c->srcs = srcs;
    c->n = cfg->nsources;
    c->cfg = cfg;
    for (size_t j = 0; j < cfg->nsymbols && j < MAX_SYMS; j++) {
        size_t k = seed_sym_slot(c, cfg->symbols[j]);
        if (!c->slot[k])
            c->slot[k] = (uint16_t)(j + 1);
    }
    int64_t tail = SEED_PER_SYMBOL * (int64_t)cfg->nsymbols;
    if (tail < 10000)
        tail = 10000;
    int rc = 0, whole = 1;
    size_t nshort = 0;
    for (int round = 0;; round++) {
        memset(c->found, 0, sizeof(c->found));
        c->records = c->unreadable = 0;
        char err[512];
        int64_t t0 = mono_ns();
        int r = kafka_read_topic_tail(&cfg->kafka, topic, tail, &whole, 60000 + (int)(tail / 50),
                                      seed_record, c, err, sizeof(err));
        if (r != 0 && round == 0) {
            rc = set_err(errstr, errstr_size, "%s", err);
            break;
        }
        if (r != 0) {
            LOG_WARN("feeds: reading the last %lld records a partition of '%s' failed (%s): "
                     "the trades learnt so far are kept",
                     (long long)tail, topic, err);
            nshort = 0; /* this read's counts are partial: the warning says enough */
            break;
        }
        nshort = 0;
        for (size_t j = 0; j < cfg->nsymbols && j < MAX_SYMS; j++)
            if (c->found[j] < SEED_PER_SYMBOL)
                nshort++;
        if (round > 0)
            LOG_INFO("feeds: read the last %lld records a partition of '%s' in %lld ms: %zu "
                     "symbol(s) with fewer than %d trades there",
                     (long long)tail, topic, (long long)((mono_ns() - t0) / 1000000), nshort,
                     SEED_PER_SYMBOL);
        if (nshort == 0 || whole || tail >= SEED_TAIL_MAX)
            break;
        tail = tail * 2 > SEED_TAIL_MAX ? SEED_TAIL_MAX : tail * 2;
    }
    if (rc == 0 && nshort > 0 && !whole) {
        /* Their older trades are not known: what a provider sends again for
         * them on subscribe may be published a second time. */
        char list[512];
        size_t o = 0;
        list[0] = '\0';
        for (size_t j = 0; j < cfg->nsymbols && j < MAX_SYMS && o < sizeof(list); j++)
            if (c->found[j] < SEED_PER_SYMBOL) {
                int w = snprintf(list + o, sizeof(list) - o, "%s%s %lld", o ? ", " : "",
                                 cfg->symbols[j], (long long)c->found[j]);
                if (w < 0)
                    break;
                o += (size_t)w;
            }
        LOG_INFO("feeds: fewer than %d trades in the last %lld records a partition of '%s' for "
                 "(symbol, trades found): %s%s; a trade sent again on subscribe before those may "
                 "be published twice",
                 SEED_PER_SYMBOL, (long long)tail, topic, list, o >= sizeof(list) ? "..." : "");
    }
    if (rc == 0 && c->records > 0)
        LOG_INFO("feeds: %lld trades of these sources already in '%s': not published again",
                 (long long)c->records, topic);
    if (rc == 0 && c->unreadable > 0)
        LOG_WARN("feeds: %lld records in the tail of '%s' are not trades: skipped",
                 (long long)c->unreadable, topic);
    free(c);
    return rc;
}

int feed_ingest_run(const feed_ingest_config *cfg, stage_control *ctl, pipeline_stats *st,
                    feed_ingest_result *res, char *errstr, size_t errstr_size)
{
    if (cfg->nsources == 0 || cfg->nsymbols == 0)
        return set_err(errstr, errstr_size, "no source or no symbol");
    const char *const topics[2] = {cfg->topic ? cfg->topic : TOPIC_TRADES,
                                   cfg->quotes_topic ? cfg->quotes_topic : TOPIC_QUOTES};
    if (kafka_ensure_topics(&cfg->kafka, topics, cfg->quotes ? 2 : 1, cfg->partitions,
                            cfg->replication, cfg->min_isr, errstr, errstr_size) != 0)
        return -1;
    /* A live feed: a trade waits at most 1 ms to be batched (as a paced
     * simulator run). The user's -X wins. */
    static const char *const live[] = {"linger.ms=1"};
    kafka_opts po;
    const char **props = kafka_opts_prepend(&cfg->kafka, live, 1, &po);
    if (!props)
        return set_err(errstr, errstr_size, "out of memory");
    shared sh = {.cfg = cfg,
                 .ctl = ctl,
                 .st = st,
                 .res = res,
                 .topic = topics[0],
                 .quotes_topic = topics[1]};
    sh.p = kafka_producer_new(&po, "ticklake-feed", errstr, errstr_size);
    if (!sh.p) {
        free(props);
        return -1;
    }
    pthread_mutex_init(&sh.mu, NULL);
    source *srcs = xcalloc(cfg->nsources, sizeof(source));
    pthread_t th[FEED_MAX_SOURCES];
    size_t started = 0;
    int rc = 0;
    for (size_t i = 0; i < cfg->nsources; i++) {
        source *s = &srcs[i];
        s->sh = &sh;
        s->idx = i;
        s->sc = &cfg->sources[i];
        s->ss = &res->src[i];
        s->rng = (uint64_t)now_ns() ^ (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ull;
        s->seen = feed_seen_new();
        s->batch = xcalloc(1, sizeof(*s->batch));
        buf_init(&s->qrec);
        feed_msg_init(&s->m);
        if (source_url(s->sc, s->url, sizeof(s->url), errstr, errstr_size) != 0) {
            rc = -1;
            break;
        }
        snprintf(s->shown, sizeof(s->shown), "%.*s%s", (int)strcspn(s->url, "?"), s->url,
                 strchr(s->url, '?') ? "?..." : "");
    }
    if (rc == 0 && seed_seen(cfg, topics[0], srcs, errstr, errstr_size) != 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < cfg->nsources; i++) {
        if (pthread_create(&th[i], NULL, source_main, &srcs[i]) != 0) {
            rc = set_err(errstr, errstr_size, "unable to start a feed thread");
            atomic_store(&sh.fatal, 1);
            break;
        }
        started++;
    }
    /* Serve delivery reports and the counters while the sources run. */
    publish_tally tally = {0};
    int64_t logged_failing = 0;
    feed_rate_memo memo = {0};
    int64_t next_log = mono_ns() + 10 * NS_PER_SEC;
    while (rc == 0 && !atomic_load(&ctl->stop) && !atomic_load(&sh.fatal)) {
        /* Delivery reports as they come, so each record's latency ends at its
         * acknowledgement, not at the next poll; polling is thread-safe and
         * the report handler touches only atomics (the mutex guards the
         * producer's topic handles). */
        kafka_producer_poll(sh.p, 50);
        char perr[256];
        int pf = kafka_producer_fatal(sh.p, perr, sizeof(perr));
        if (pf) {
            rc = set_err(errstr, errstr_size, "%s", perr);
            atomic_store(&sh.fatal, 1);
            break;
        }
        publish_tally_update(&tally, sh.p, st);
        atomic_store(&res->failing, kafka_producer_failed(sh.p));
        if (mono_ns() >= next_log) {
            char line[2048];
            feed_status_lines(cfg, res, &memo, line, sizeof(line));
            /* The producer logs only its first failure: more since the last
             * line are a warning of their own. */
            int64_t failing = atomic_load(&res->failing);
            if (failing > logged_failing)
                LOG_WARN("feed: %lld more records failed delivery in the last 10 s: %s",
                         (long long)(failing - logged_failing), line);
            else
                LOG_INFO("feed: %s", line);
            logged_failing = failing;
            next_log = mono_ns() + 10 * NS_PER_SEC;
        }
    }
    atomic_store(&sh.quit, 1);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (rc == 0 && atomic_load(&sh.fatal))
        rc = set_err(errstr, errstr_size, "%s", sh.fatal_err);
    char ferr[256];
    if (kafka_producer_flush(sh.p, FLUSH_TIMEOUT_MS, ferr, sizeof(ferr)) != 0 && rc == 0)
        rc = set_err(errstr, errstr_size, "%s", ferr);
    res->delivered = kafka_producer_delivered(sh.p);
    res->failed = kafka_producer_failed(sh.p);
    res->unacked = kafka_producer_unacked(sh.p);
    atomic_store(&res->failing, res->failed);
    res->latency_p50_ns = kafka_producer_latency(sh.p, 0.50, &res->latency_count);
    res->latency_p99_ns = kafka_producer_latency(sh.p, 0.99, NULL);
    publish_tally_update(&tally, sh.p, st);
    int64_t sent = 0;
    for (size_t i = 0; i < cfg->nsources; i++)
        sent += atomic_load(&res->src[i].trades) + atomic_load(&res->src[i].quotes);
    if (rc == 0 && res->delivered + res->unacked != sent)
        rc = set_err(errstr, errstr_size, "%lld of %lld records not delivered",
                     (long long)(sent - res->delivered - res->unacked), (long long)sent);
    char line[2048];
    feed_rate_memo none = {0};
    feed_status_lines(cfg, res, &none, line, sizeof(line));
    LOG_INFO("feed: %s; %lld delivered, %lld failed; arrival to acknowledgement p50 %.2f ms, "
             "p99 %.2f ms",
             line, (long long)res->delivered, (long long)res->failed, res->latency_p50_ns / 1e6,
             res->latency_p99_ns / 1e6);
    for (size_t i = 0; i < cfg->nsources; i++) {
        feed_seen_free(srcs[i].seen);
        if (srcs[i].batch)
            rec_chunk_release(srcs[i].batch);
        free(srcs[i].batch);
        buf_release(&srcs[i].qrec);
        feed_msg_release(&srcs[i].m);
    }
    free(srcs);
    kafka_producer_free(sh.p);
    pthread_mutex_destroy(&sh.mu);
    free(props);
    return rc;
}
