/* serve_stream.c - the push stream: one Kafka consumer per server (trades,
 * bars.<interval>, alerts.live) feeding a hub, and the Server-Sent Events
 * handler of each client.
 *
 * The hub is a ring of events (--stream-buffer, SERVE_RING by default), each a ready SSE frame with
 * its kind, symbol and interval. The consumer appends under the hub's lock and never waits for a
 * client: a new event overwrites the oldest. Each client's thread keeps its own cursor, copies the
 * frames it wants under the lock and writes them without it. A client whose cursor the ring has
 * overtaken (it fell a whole ring behind, a few seconds at 10,000 trades/s) is disconnected; the
 * browser's EventSource reconnects at the live edge.
 *
 * Forming bars are folded here from the trades, per symbol and interval, and
 * sent at most every FORMING_EVERY per series (and when a window opens).
 * Closed bars and alerts are also kept (a ring per series, a ring of alerts)
 * for /api/bars and /api/alerts.
 *
 * Clients start at the live edge, so an event no connected client wants would be read by no one:
 * trades and forming bars are framed and put on the ring only for a symbol some client follows
 * (serve_sym's want_*, or the hub's all_want_* for clients of every symbol). Framing each of
 * 100,000 trades/s for nobody was a quarter of `ticklake run`'s CPU. Closed bars and alerts,
 * a few a second per symbol, always go on the ring. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pipeline.h"
#include "serve_internal.h"
#include "tick.h"

#define FORMING_EVERY (200 * 1000000LL)
/* A client that left is noticed only by a write (civetweb gives no way to
 * poll an idle connection for its close), and the first write after the
 * close may still succeed: a client of quiet symbols that leaves holds its
 * stream slot and worker thread for up to two heartbeats (a client's loop
 * wakes at least every second, so they come every 5-6 s). */
#define HEARTBEAT_NS (5 * NS_PER_SEC)
#define CLIENT_CHUNK (1 << 20) /* bytes a client copies out per turn at most */
/* The consumer wakes the clients at most this often. A wake-up costs every
 * client a context switch, the hub's lock and a send, and the consumer the
 * waking of each (pthread_cond_broadcast: half its CPU at 200 clients). At
 * 100,000 trades/s a wake-up per polled batch made hundreds a second, and the
 * runnable threads starved the rest of the machine: in the load test the
 * feed itself fell seconds behind. Load test, 40 s, two runs each, worst lag
 * of a client: a wake-up per batch 0.30 s and 6.8 s (failed), at most every
 * 5 ms 0.45 and 3.3 s, every 20 ms 0.09 and 0.24 s. Alerts handed over in
 * process (serve_alert) wake the clients at once. */
#define WAKE_EVERY_NS (20 * 1000000LL)

/* --- the hub (callers hold hub->mu) ------------------------------------- */

/* A stream client's filter. Its counted bits and wait links change under
 * hub->mu only. */
typedef struct client_filter {
    char syms[64][32];
    int nsyms; /* 0: all */
    int kinds;
    int64_t interval_ns; /* 0: all */
    uint64_t counted;    /* bit i: syms[i]'s wants are in the hub's counts */
    /* On the hub's list of clients with a symbol not counted (no entry for
     * it when they came: the untraded names were at their limit). */
    int waiting;
    struct client_filter *wait_prev, *wait_next;
} client_filter;

static uint64_t all_bits(const client_filter *f)
{
    return f->nsyms >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << f->nsyms) - 1;
}

static void wait_unlink(serve_hub *h, client_filter *f)
{
    if (!f->waiting)
        return;
    if (f->wait_prev)
        f->wait_prev->wait_next = f->wait_next;
    else
        h->waiting = f->wait_next;
    if (f->wait_next)
        f->wait_next->wait_prev = f->wait_prev;
    f->wait_prev = f->wait_next = NULL;
    f->waiting = 0;
}

/* A new entry y: the clients that named it before it had one have their
 * wants counted now, or its trades would not be framed for them. */
static void count_waiting(serve_hub *h, serve_sym *y)
{
    for (client_filter *f = h->waiting, *next; f; f = next) {
        next = f->wait_next;
        for (int i = 0; i < f->nsyms; i++) {
            uint64_t bit = (uint64_t)1 << i;
            if ((f->counted & bit) || strcmp(f->syms[i], y->name) != 0)
                continue;
            y->want_trades += (f->kinds & EV_TRADE) != 0;
            y->want_forming += (f->kinds & EV_FORMING) != 0;
            f->counted |= bit;
        }
        if (f->counted == all_bits(f))
            wait_unlink(h, f);
    }
}

static serve_sym *sym_find(serve_hub *h, const char *name, int create)
{
    size_t cap = 2 * SERVE_MAX_SYMBOLS;
    for (size_t i = fnv1a_bytes(FNV1A_BASIS, name, strlen(name)) % cap;; i = (i + 1) % cap) {
        int32_t k = h->index[i];
        if (k < 0) {
            if (!create || h->nsyms >= SERVE_MAX_SYMBOLS)
                return NULL;
            if (!h->syms)
                h->syms = xcalloc(SERVE_MAX_SYMBOLS, sizeof(serve_sym));
            serve_sym *y = &h->syms[h->nsyms];
            memset(y, 0, sizeof(*y));
            strlcpy_tl(y->name, name, sizeof(y->name));
            h->index[i] = (int32_t)h->nsyms++;
            count_waiting(h, y);
            return y;
        }
        if (strcmp(h->syms[k].name, name) == 0)
            return &h->syms[k];
    }
}

/* Appends an event of symbol y (NULL when the hub follows too many symbols:
 * then it is on no chain). */
static void hub_push(serve_server *s, int kind, serve_sym *y, const char *symbol,
                     int64_t interval_ns, const char *event, const char *json, size_t len)
{
    serve_hub *h = &s->hub;
    serve_event *e = &h->ring[h->next_seq % h->cap];
    /* The slot's memory is written over: at 100,000 events/s a new frame
     * each (and the growth of its buffer) was a quarter of the consumer's
     * CPU in malloc and free. */
    buf f = {.data = e->frame, .len = 0, .cap = e->cap};
    serve_sse_frame(&f, h->next_seq, event, json, len);
    e->seq = h->next_seq++;
    e->next_same = 0;
    e->prev_same = 0;
    e->kind = kind;
    e->interval_ns = interval_ns;
    strlcpy_tl(e->symbol, symbol, sizeof(e->symbol));
    if (y) {
        uint64_t prev = y->chain_last;
        /* prev's slot is still its own (e took the slot of seq - cap) */
        if (prev && h->next_seq - prev < h->cap)
            h->ring[(prev - 1) % h->cap].next_same = e->seq + 1;
        e->prev_same = prev;
        y->chain_last = e->seq + 1;
    }
    e->frame = f.data; /* the buffer's memory passes to the event */
    e->len = f.len;
    e->cap = f.cap;
    atomic_fetch_add(&s->stream_events, 1);
}

static int iv_index(const serve_server *s, int64_t iv)
{
    for (size_t i = 0; i < s->nintervals; i++)
        if (s->intervals[i] == iv)
            return (int)i;
    return -1;
}

static void on_trade(serve_server *s, const trade *t, buf *scratch, int64_t now, int64_t wall)
{
    serve_hub *h = &s->hub;
    serve_sym *y = sym_find(h, t->symbol, 1);
    if (!y)
        return;
    if (y->client_made) {
        y->client_made = 0;
        h->untraded--;
    }
    serve_summary *m = &y->sum;
    if (m->trades == 0)
        m->first = m->high = m->low = t->price;
    m->last = t->price;
    if (t->price > m->high)
        m->high = t->price;
    if (t->price < m->low)
        m->low = t->price;
    m->volume += t->size;
    m->trades++;
    m->last_ts = t->ts;
    /* A trade over an hour old is a replay's, not a late live one. */
    int64_t delay = wall - t->ts;
    if (delay >= 0 && delay < 3600 * NS_PER_SEC)
        serve_hist_observe(&s->trade_delay, delay);
    if (h->all_want_trades || y->want_trades) {
        buf_reset(scratch);
        trade_encode_json(t, scratch);
        hub_push(s, EV_TRADE, y, t->symbol, 0, "trade", scratch->data, scratch->len);
    }
    int forming_wanted = h->all_want_forming || y->want_forming;
    for (size_t i = 0; i < s->nintervals; i++) {
        int64_t iv = s->intervals[i];
        int64_t start = floor_div(t->ts, iv) * iv;
        bar *b = &y->forming[i];
        int opened = 0;
        if (b->trades == 0 || start > b->window_start) {
            bar_init(b, t, iv, start);
            opened = 1;
        } else if (start == b->window_start) {
            bar_add(b, t);
        } else {
            continue; /* a late trade of a window already left behind */
        }
        if (forming_wanted && (opened || now - y->forming_sent[i] >= FORMING_EVERY)) {
            y->forming_sent[i] = now;
            buf_reset(scratch);
            bar_encode_json(b, scratch);
            hub_push(s, EV_FORMING, y, t->symbol, iv, "forming", scratch->data, scratch->len);
        }
    }
}

static void on_bar(serve_server *s, const bar *b, const void *json, size_t len)
{
    serve_hub *h = &s->hub;
    int i = iv_index(s, b->interval_ns);
    serve_sym *y = sym_find(h, b->symbol, 1);
    if (i >= 0 && y) {
        if (!y->bars[i])
            y->bars[i] = xcalloc(SERVE_BAR_RING, sizeof(serve_bar));
        serve_bar v = {b->window_start, b->open, b->high,   b->low,
                       b->close,        b->vwap, b->volume, b->trades};
        size_t last = (y->head[i] + SERVE_BAR_RING - 1) % SERVE_BAR_RING;
        if (y->nbars[i] && y->bars[i][last].start == b->window_start) {
            y->bars[i][last] = v; /* a revision */
        } else if (!y->nbars[i] || b->window_start > y->bars[i][last].start) {
            y->bars[i][y->head[i]] = v;
            y->head[i] = (y->head[i] + 1) % SERVE_BAR_RING;
            if (y->nbars[i] < SERVE_BAR_RING)
                y->nbars[i]++;
        }
    }
    hub_push(s, EV_BAR, y, b->symbol, b->interval_ns, "bar", json, len);
}

/* An alert can come twice: from a processor in this process (serve_alert)
 * and again through alerts.live, and alerts.live repeats the alerts of an
 * aborted transaction byte for byte. One that equals one of the recent
 * alerts is not shown again. */
static void on_alert(serve_server *s, const char *symbol, const char *json, size_t len)
{
    serve_hub *h = &s->hub;
    uint64_t id = fnv1a_bytes(fnv1a_bytes(FNV1A_BASIS, symbol, strlen(symbol) + 1), json, len);
    for (size_t i = 0; i < h->nalerts; i++)
        if (h->alert_ids[i] == id && strlen(h->alerts[i]) == len &&
            memcmp(h->alerts[i], json, len) == 0) {
            atomic_fetch_add(&s->alerts_repeated, 1);
            return;
        }
    char *copy = xstrndup(json, len);
    if (h->nalerts == SERVE_ALERT_RING)
        free(h->alerts[h->alerts_head]);
    else
        h->nalerts++;
    h->alerts[h->alerts_head] = copy;
    h->alert_ids[h->alerts_head] = id;
    h->alerts_head = (h->alerts_head + 1) % SERVE_ALERT_RING;
    hub_push(s, EV_ALERT, sym_find(h, symbol, 1), symbol, 0, "alert", json, len);
}

void serve_alert(serve_server *s, const char *symbol, const char *json, size_t len)
{
    if (!s || !s->streaming || !utf8_valid(json, len) || memchr(json, '\0', len))
        return;
    pthread_mutex_lock(&s->hub.mu);
    on_alert(s, symbol, json, len);
    pthread_mutex_unlock(&s->hub.mu);
    pthread_cond_broadcast(&s->hub.cv);
    atomic_fetch_add(&s->stream_wakeups, 1);
    atomic_fetch_add(&s->alerts_in_process, 1);
}

/* --- the consumer ------------------------------------------------------- */

typedef struct topic_map {
    char trades[200], alerts[200];
    char bars[SERVE_MAX_IV][200];
} topic_map;

static void handle(serve_server *s, const topic_map *tm, const kafka_msg *m, buf *scratch,
                   int64_t now, int64_t wall)
{
    char err[256];
    if (strcmp(m->topic, tm->trades) == 0) {
        trade t;
        if (trade_decode(m->value, m->value_len, &t, err, sizeof(err)) != 0) {
            atomic_fetch_add(&s->consume_errors, 1);
            return;
        }
        on_trade(s, &t, scratch, now, wall);
        return;
    }
    if (strcmp(m->topic, tm->alerts) == 0) {
        char sym[32];
        size_t n = m->key_len < sizeof(sym) - 1 ? m->key_len : sizeof(sym) - 1;
        memcpy(sym, m->key ? m->key : "", m->key ? n : 0);
        sym[m->key ? n : 0] = '\0';
        if (!utf8_valid(m->value, m->value_len) || memchr(m->value, '\0', m->value_len)) {
            atomic_fetch_add(&s->consume_errors, 1);
            return;
        }
        on_alert(s, sym, m->value, m->value_len);
        return;
    }
    bar b;
    if (bar_decode_json(m->value, m->value_len, &b, err, sizeof(err)) != 0) {
        atomic_fetch_add(&s->consume_errors, 1);
        return;
    }
    on_bar(s, &b, m->value, m->value_len);
}

static void *consumer_thread(void *arg)
{
    serve_server *s = arg;
    pthread_setname_np(pthread_self(), "tl-serve");
    topic_map tm;
    const char *topics[SERVE_MAX_IV + 2];
    size_t n = 0;
    snprintf(tm.trades, sizeof(tm.trades), "%s%s", s->prefix, TOPIC_TRADES);
    snprintf(tm.alerts, sizeof(tm.alerts), "%s%s", s->prefix, TOPIC_ALERTS_LIVE);
    topics[n++] = tm.trades;
    topics[n++] = tm.alerts;
    for (size_t i = 0; i < s->nintervals; i++) {
        char name[32];
        interval_name(s->intervals[i], name, sizeof(name));
        snprintf(tm.bars[i], sizeof(tm.bars[i]), "%s%s%s", s->prefix, TOPIC_BARS_PREFIX, name);
        topics[n++] = tm.bars[i];
    }
    char group[96], err[512];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(group, sizeof(group), "ticklake-serve-%d-%lld", (int)getpid(),
             (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    kafka_consumer *c = NULL;
    while (!c && !atomic_load(&s->stop)) {
        c = kafka_consumer_new(&s->kafka, group, topics, n, NULL, err, sizeof(err));
        if (!c) {
            LOG_WARN("serve: stream consumer: %s (retrying)", err);
            for (int i = 0; i < 20 && !atomic_load(&s->stop); i++)
                sleep_ns(100 * 1000000LL);
        }
    }
    kafka_msg ms[256];
    buf scratch;
    buf_init(&scratch);
    int64_t last_wake = 0;
    int pending = 0; /* events pushed since the last wake-up */
    while (!atomic_load(&s->stop)) {
        int timeout_ms = 100;
        if (pending) {
            int64_t left = last_wake + WAKE_EVERY_NS - mono_ns();
            timeout_ms = left > 0 ? (int)((left + 999999) / 1000000) : 0;
        }
        int got = kafka_consumer_poll_batch(c, timeout_ms, ms, 256, err, sizeof(err));
        if (got < 0) {
            LOG_WARN("serve: stream consumer: %s", err);
            sleep_ns(500 * 1000000LL);
            got = 0;
        }
        atomic_store(&s->consumer_ready, 1);
        int64_t now = mono_ns();
        pending |= got > 0;
        int wake = pending && now - last_wake >= WAKE_EVERY_NS;
        if (got > 0) {
            int64_t wall = now_ns(); /* the batch's arrival, for the trade-delay histogram */
            pthread_mutex_lock(&s->hub.mu);
            for (int i = 0; i < got; i++)
                handle(s, &tm, &ms[i], &scratch, now, wall);
            pthread_mutex_unlock(&s->hub.mu);
        }
        /* After the unlock: the woken clients take the lock at once, instead
         * of each waiting on it for the consumer (their predicate is read
         * under the lock, so no wake-up is lost). */
        if (wake) {
            pthread_cond_broadcast(&s->hub.cv);
            atomic_fetch_add(&s->stream_wakeups, 1);
            last_wake = now;
            pending = 0;
        }
        atomic_fetch_add(&s->consumed, got);
        for (int i = 0; i < got; i++)
            kafka_msg_release(&ms[i]);
    }
    buf_release(&scratch);
    kafka_consumer_close(c);
    return NULL;
}

int serve_stream_start(serve_server *s, char *errstr, size_t errstr_size)
{
    /* The consumer thread retries until the cluster is up; a setting that
     * kafka_consumer_new refuses would be retried forever. */
    if (kafka_consumer_check(&s->kafka, 0, errstr, errstr_size) != 0)
        return -1;
    serve_hub *h = &s->hub;
    pthread_mutex_init(&h->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cv, &ca);
    pthread_condattr_destroy(&ca);
    h->cap = s->ring_size;
    h->ring = xcalloc(h->cap, sizeof(serve_event));
    h->index = xmalloc(2 * SERVE_MAX_SYMBOLS * sizeof(int32_t));
    memset(h->index, 0xff, 2 * SERVE_MAX_SYMBOLS * sizeof(int32_t));
    h->alerts = xcalloc(SERVE_ALERT_RING, sizeof(char *));
    h->alert_ids = xcalloc(SERVE_ALERT_RING, sizeof(uint64_t));
    s->streaming = 1;
    if (pthread_create(&s->consumer, NULL, consumer_thread, s) != 0)
        return set_err(errstr, errstr_size, "cannot start the stream's consumer thread");
    s->consumer_started = 1;
    return 0;
}

void serve_stream_stop(serve_server *s)
{
    if (!s->streaming)
        return;
    pthread_mutex_lock(&s->hub.mu);
    pthread_cond_broadcast(&s->hub.cv);
    pthread_mutex_unlock(&s->hub.mu);
    if (s->consumer_started)
        pthread_join(s->consumer, NULL);
    s->consumer_started = 0;
}

void serve_stream_free(serve_server *s)
{
    if (!s->streaming)
        return;
    serve_hub *h = &s->hub;
    for (size_t i = 0; i < h->cap; i++)
        free(h->ring[i].frame);
    free(h->ring);
    for (size_t i = 0; i < h->nsyms; i++)
        for (size_t k = 0; k < SERVE_MAX_IV; k++)
            free(h->syms[i].bars[k]);
    free(h->syms);
    free(h->index);
    for (size_t i = 0; i < SERVE_ALERT_RING; i++)
        free(h->alerts[i]);
    free(h->alerts);
    free(h->alert_ids);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    s->streaming = 0;
}

size_t serve_stream_bars(serve_server *s, const char *symbol, int64_t interval_ns, int64_t after_ns,
                         serve_bar **out)
{
    *out = NULL;
    int i = iv_index(s, interval_ns);
    if (!s->streaming || i < 0)
        return 0;
    serve_hub *h = &s->hub;
    size_t n = 0;
    pthread_mutex_lock(&h->mu);
    serve_sym *y = sym_find(h, symbol, 0);
    if (y && y->nbars[i]) {
        *out = xmalloc(y->nbars[i] * sizeof(serve_bar));
        size_t first = (y->head[i] + SERVE_BAR_RING - y->nbars[i]) % SERVE_BAR_RING;
        for (size_t k = 0; k < y->nbars[i]; k++) {
            serve_bar *b = &y->bars[i][(first + k) % SERVE_BAR_RING];
            if (b->start > after_ns)
                (*out)[n++] = *b;
        }
    }
    pthread_mutex_unlock(&h->mu);
    return n;
}

/* --- the client's handler ---------------------------------------------- */

static int wants(const client_filter *f, const serve_event *e)
{
    if (!(f->kinds & e->kind))
        return 0;
    if (f->interval_ns && e->interval_ns && e->interval_ns != f->interval_ns)
        return 0;
    if (!f->nsyms)
        return 1;
    for (int i = 0; i < f->nsyms; i++)
        if (strcmp(f->syms[i], e->symbol) == 0)
            return 1;
    return 0;
}

/* Adds (dir 1) or removes (dir -1) a client's wants to the hub's counts.
 * Callers hold hub->mu. A symbol the hub does not follow yet gets its entry
 * now, so its first trade is framed (the entry stays, as every symbol's does).
 * When the untraded names are at their limit (or the hub follows
 * SERVE_MAX_SYMBOLS) it gets none: the client waits on the hub's list, and
 * its wants are counted when the symbol's entry is made (count_waiting).
 * Untraded entries are never freed, so without that a client of a symbol yet
 * to trade got none of its trades once clients had named 1,024 others. */
static void want_register(serve_hub *h, client_filter *f, int dir)
{
    int tr = (f->kinds & EV_TRADE) ? dir : 0, fo = (f->kinds & EV_FORMING) ? dir : 0;
    if (!f->nsyms) {
        h->all_want_trades += tr;
        h->all_want_forming += fo;
        return;
    }
    /* Only what was counted is taken back: a symbol without an entry when
     * the client came (the hub full) may have one when it goes, made by
     * its first trade, and its counts went below zero, which hid its
     * trades from the next client. */
    for (int i = 0; i < f->nsyms; i++) {
        uint64_t bit = (uint64_t)1 << i;
        if (dir < 0 && !(f->counted & bit))
            continue;
        serve_sym *y = sym_find(h, f->syms[i], 0);
        if (!y && dir > 0 && h->untraded < SERVE_MAX_UNTRADED &&
            (y = sym_find(h, f->syms[i], 1)) != NULL) {
            y->client_made = 1;
            h->untraded++;
        }
        if (y) {
            y->want_trades += tr;
            y->want_forming += fo;
            if (dir > 0)
                f->counted |= bit;
            else
                f->counted &= ~bit;
        }
    }
    if (dir > 0 && f->counted != all_bits(f)) {
        f->wait_prev = NULL;
        f->wait_next = h->waiting;
        if (h->waiting)
            h->waiting->wait_prev = f;
        h->waiting = f;
        f->waiting = 1;
    } else if (dir < 0) {
        wait_unlink(h, f);
    }
}

static int parse_filter(const http_request *r, client_filter *f, char *err, size_t errsz)
{
    memset(f, 0, sizeof(*f));
    char v[2048];
    int n = http_form_var(r->query, "symbols", 0, v, sizeof(v));
    if (n == -2)
        return set_err(err, errsz, "symbols: too long");
    if (n >= 0) {
        int k = serve_symbols_parse(v, f->syms, 64, err, errsz);
        if (k < 0)
            return -1;
        f->nsyms = k;
    }
    n = http_form_var(r->query, "kinds", 0, v, sizeof(v));
    if (n == -2)
        return set_err(err, errsz, "kinds: too long");
    if (n < 0 || !*v) {
        f->kinds = EV_TRADE | EV_FORMING | EV_BAR | EV_ALERT;
    } else {
        for (char *save = NULL, *t = strtok_r(v, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (strcmp(t, "trade") == 0)
                f->kinds |= EV_TRADE;
            else if (strcmp(t, "forming") == 0)
                f->kinds |= EV_FORMING;
            else if (strcmp(t, "bar") == 0)
                f->kinds |= EV_BAR;
            else if (strcmp(t, "alert") == 0)
                f->kinds |= EV_ALERT;
            else
                return set_err(err, errsz, "kinds: '%s' is not trade, forming, bar or alert", t);
        }
    }
    n = http_form_var(r->query, "interval", 0, v, sizeof(v));
    if (n == -2 || (n > 0 && (interval_parse(v, &f->interval_ns) != 0 || f->interval_ns <= 0)))
        return set_err(err, errsz, "interval: not an interval such as 1s or 1m");
    return 0;
}

int serve_stream_handle(serve_server *s, const http_request *r)
{
    if (!s->streaming)
        return serve_error(r, 503, "no push stream: the server has no Kafka brokers (--brokers)");
    client_filter *f = xmalloc(sizeof(*f));
    char err[256];
    if (parse_filter(r, f, err, sizeof(err)) != 0) {
        free(f);
        return serve_error(r, 400, err);
    }
    if (atomic_fetch_add(&s->streams, 1) >= s->max_streams) {
        atomic_fetch_sub(&s->streams, 1);
        free(f);
        return serve_error(r, 503, "too many stream clients");
    }
    atomic_fetch_add(&s->stream_clients_total, 1);
    buf out;
    buf_init(&out);
    int ok = http_stream_start(r, "text/event-stream", NULL) == 0; /* CORS: the server's headers */
    static const char hello[] = "retry: 2000\n: ticklake stream\n\n";
    ok = ok && http_write(r, hello, sizeof(hello) - 1) == 0;
    serve_hub *h = &s->hub;
    /* A client of one symbol walks that symbol's chain (serve_sym): at
     * 100,000 events/s and 200 clients, scanning the whole ring each cost
     * 20 million comparisons a second under the hub's lock. Either way the
     * client has sent every event it wants before cursor, so it fell behind
     * only when the ring overtook cursor; a quiet symbol's last event may
     * leave the ring without its client being behind. */
    int follow = f->nsyms == 1;
    serve_sym *y = NULL;
    int more = 0;
    pthread_mutex_lock(&h->mu);
    uint64_t cursor = h->next_seq; /* from the live edge */
    want_register(h, f, 1);
    pthread_mutex_unlock(&h->mu);
    int64_t last_write = mono_ns();
    while (ok && !atomic_load(&s->stop)) {
        buf_reset(&out);
        int dropped = 0;
        pthread_mutex_lock(&h->mu);
        if (cursor == h->next_seq && !more) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&h->cv, &h->mu, &until);
        }
        more = 0;
        if (h->next_seq - cursor > h->cap) {
            dropped = 1;
        } else if (follow) {
            if (!y)
                y = sym_find(h, f->syms[0], 0);
            /* Its first event at or after cursor, back from the newest (all
             * of them are on the ring), then forward. */
            uint64_t first = 0, end = h->next_seq;
            for (uint64_t q = y ? y->chain_last : 0; q && q - 1 >= cursor;
                 q = h->ring[(q - 1) % h->cap].prev_same)
                first = q;
            for (uint64_t q = first; q;) {
                if (out.len >= CLIENT_CHUNK) {
                    end = q - 1;
                    more = 1;
                    break;
                }
                const serve_event *e = &h->ring[(q - 1) % h->cap];
                if (wants(f, e))
                    buf_append(&out, e->frame, e->len);
                q = e->next_same;
            }
            cursor = end;
        } else {
            while (cursor < h->next_seq && out.len < CLIENT_CHUNK) {
                const serve_event *e = &h->ring[cursor % h->cap];
                if (wants(f, e))
                    buf_append(&out, e->frame, e->len);
                cursor++;
            }
        }
        pthread_mutex_unlock(&h->mu);
        if (dropped) {
            atomic_fetch_add(&s->stream_dropped, 1);
            static const char bye[] = "event: dropped\ndata: {\"reason\":\"too slow\"}\n\n";
            http_write(r, bye, sizeof(bye) - 1);
            break;
        }
        int64_t now = mono_ns();
        if (!out.len && now - last_write >= HEARTBEAT_NS)
            buf_puts(&out, ": ping\n\n");
        if (out.len) {
            int w = http_write(r, out.data, out.len);
            ok = w == 0;
            if (ok) /* sent bytes only */
                atomic_fetch_add(&s->stream_bytes, (long long)out.len);
            else if (w == -2) /* it stopped reading: dropped as one too slow */
                atomic_fetch_add(&s->stream_dropped, 1);
            last_write = now;
        }
    }
    pthread_mutex_lock(&h->mu);
    want_register(h, f, -1);
    pthread_mutex_unlock(&h->mu);
    buf_release(&out);
    free(f);
    atomic_fetch_sub(&s->streams, 1);
    return 200;
}
