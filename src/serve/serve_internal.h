/* serve_internal.h - what serve.c, serve_api.c, serve_stream.c and serve_lake.c share;
 * private to src/serve/. */
#ifndef TICKLAKE_SERVE_INTERNAL_H
#define TICKLAKE_SERVE_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#include "bar.h"
#include "engine.h"
#include "http.h"
#include "kafka.h"
#include "kafka_consumer.h"
#include "query.h"
#include "serve.h"
#include "serve_req.h"
#include "storage.h"
#include "util.h"

#define SERVE_RING 65536        /* events the stream keeps for its clients, by default */
#define SERVE_BAR_RING 240      /* closed bars kept per symbol and interval */
#define SERVE_ALERT_RING 1000   /* recent alerts kept for /api/alerts */
#define SERVE_MAX_SYMBOLS 20000 /* symbols the stream follows at most */
/* Of them, names that only a client's symbols= brought in and that have not
 * traded yet: clients cannot fill the table with made-up names, which would
 * leave no room for symbols that trade. */
#define SERVE_MAX_UNTRADED 1024
#define SERVE_MAX_IV 8

enum { EV_TRADE = 1, EV_FORMING = 2, EV_BAR = 4, EV_ALERT = 8 };

typedef struct serve_event {
    uint64_t seq;
    uint64_t next_same; /* seq + 1 of the next event of the same symbol; 0: none yet */
    uint64_t prev_same; /* seq + 1 of the one before (maybe gone from the ring); 0: none */
    int kind;
    int64_t interval_ns; /* bars and forming bars; 0 else */
    char symbol[32];
    char *frame; /* the whole SSE frame, owned; the slot's next event reuses it */
    size_t len;
    size_t cap; /* bytes allocated at frame */
} serve_event;

/* A compact closed bar, kept for /api/bars. */
typedef struct serve_bar {
    int64_t start;
    double open, high, low, close, vwap;
    int64_t volume, trades;
} serve_bar;

/* What a symbol has traded since the stream began: the overview's row. */
typedef struct serve_summary {
    double first, last, high, low;
    int64_t volume, trades, last_ts;
} serve_summary;

typedef struct serve_sym {
    char name[32];
    /* Its events on the ring, as a chain through serve_event.next_same and
     * prev_same, so a client of one symbol visits only that symbol's events:
     * seq + 1 of the newest (0: none yet). */
    uint64_t chain_last;
    serve_summary sum;
    bar forming[SERVE_MAX_IV];
    int64_t forming_sent[SERVE_MAX_IV]; /* mono_ns of the last forming event */
    serve_bar *bars[SERVE_MAX_IV];      /* rings of SERVE_BAR_RING, lazily allocated */
    size_t nbars[SERVE_MAX_IV], head[SERVE_MAX_IV];
    int want_trades, want_forming; /* stream clients of this symbol that want them */
    int client_made;               /* brought in by a client's symbols=, not traded yet */
} serve_sym;

struct client_filter;

typedef struct serve_hub {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    serve_event *ring; /* cap slots; seq s is in slot s % cap */
    size_t cap;
    uint64_t next_seq; /* the seq of the next event; events [next_seq - cap, next_seq) */
    serve_sym *syms;
    size_t nsyms;
    int32_t *index;      /* open addressing over syms, 2 * SERVE_MAX_SYMBOLS slots, -1 empty */
    char **alerts;       /* JSON of the recent alerts, a ring of SERVE_ALERT_RING */
    uint64_t *alert_ids; /* a hash of each (symbol, JSON), beside alerts */
    size_t nalerts, alerts_head;
    /* Stream clients of every symbol that want trades, forming bars. Trades
     * and forming bars no client wants are not framed (serve_stream.c). */
    int all_want_trades, all_want_forming;
    size_t untraded; /* entries with client_made set, at most SERVE_MAX_UNTRADED */
    /* Stream clients with a symbol that had no entry when they came: their
     * wants are counted when it gets one (serve_stream.c). */
    struct client_filter *waiting;
} serve_hub;

/* A query that may be cancelled by its tag. */
typedef struct serve_running {
    char tag[40]; /* "" when the entry is free */
    volatile sig_atomic_t cancel;
} serve_running;
#define SERVE_MAX_RUNNING 64

typedef struct serve_slot {
    query_session *session;
    int busy;
    /* The running query's cancel flag while it runs, under qmu: serve_stop
     * sets it so that no query holds the stop up to its timeout. */
    volatile sig_atomic_t *cancel;
    int64_t catalog_mtime;
    int64_t opened_ns;
} serve_slot;

/* A Prometheus histogram with fixed buckets (seconds). */
#define SERVE_BUCKETS 11
typedef struct serve_hist {
    atomic_llong count[SERVE_BUCKETS + 1]; /* the last is +Inf */
    atomic_llong sum_us;
} serve_hist;

struct serve_server {
    char *lake, *listen, *web_dir, *cors, *prefix;
    char token[80];
    int token_generated;
    char url[128];
    int local_lake;
    /* An S3 lake (serve_lake.c): its cache and storage, under lakemu; the
     * options, owned, for query sessions too. */
    pthread_mutex_t lakemu;
    struct lakecache *lc;
    struct storage *st;
    storage_options so;
    char *cache_dir;
    int64_t catalog_synced_ns, results_synced_ns;
    size_t max_body;
    int64_t max_rows, max_timeout_ms;
    int64_t query_memory, query_temp; /* each query session's DuckDB limits, bytes */
    int threads, max_streams;
    size_t ring_size;
    int64_t intervals[SERVE_MAX_IV];
    size_t nintervals;
    const pipeline_stats *stats;
    http_server *http;
    atomic_int stop;
    /* queries */
    pthread_mutex_t qmu;
    pthread_cond_t qcv;
    serve_slot *slots;
    int nslots;
    serve_running running[SERVE_MAX_RUNNING]; /* under qmu */
    /* the stream */
    serve_hub hub;
    kafka_opts kafka;
    const char **kprops; /* owned list behind kafka.props */
    char *brokers;
    int streaming;
    pthread_t consumer, crawler;
    int consumer_started, crawler_started;
    atomic_int consumer_ready;
    int64_t crawl_every;
    atomic_llong crawls, crawl_failures;
    /* metrics */
    atomic_llong requests[6]; /* by status class: 1xx..5xx, [0] other */
    atomic_llong unauthorized;
    serve_hist request_seconds, query_seconds;
    serve_hist trade_delay; /* a trade's event time to its arrival here (live feeds) */
    atomic_llong queries, query_failures;
    atomic_int streams;
    atomic_llong stream_events, stream_bytes, stream_dropped, stream_clients_total;
    atomic_llong stream_wakeups; /* the consumer's wake-ups of the clients */
    atomic_llong consumed, consume_errors;
    atomic_llong alerts_in_process, alerts_repeated;
    int64_t started_ns;
    /* consumer lag (serve_lag.c): one admin connection, made on first use */
    pthread_mutex_t lagmu;
    struct kafka_lag_client *lag;
};

void serve_hist_observe(serve_hist *h, int64_t ns);
/* Appends h as a Prometheus histogram (HELP, TYPE, buckets, _sum and _count
 * in seconds, each value as json_put_double writes it). */
void serve_hist_text(buf *b, const char *name, const char *help, serve_hist *h);

/* serve_api.c: the JSON API. Each answers r and returns the status. */
int serve_api_tables(serve_server *s, const http_request *r);
int serve_api_describe(serve_server *s, const http_request *r, const char *name, int what);
int serve_api_query(serve_server *s, const http_request *r);
int serve_api_cancel(serve_server *s, const http_request *r);
int serve_api_history(serve_server *s, const http_request *r);
int serve_api_result(serve_server *s, const http_request *r, const char *id);
int serve_api_bars(serve_server *s, const http_request *r);
int serve_api_alerts(serve_server *s, const http_request *r);
int serve_api_symbols(serve_server *s, const http_request *r);
int serve_api_overview(serve_server *s, const http_request *r);
/* GET /api/lag[?group=a,b]: the consumer groups' lag per partition (serve_lag.c). */
int serve_api_lag(serve_server *s, const http_request *r);
void serve_api_init(serve_server *s, int slots);
/* Cancels every running query (s->stop is set first: one that starts
 * afterwards is cancelled as it starts) and waits up to 5 s for them to end
 * and answer. */
void serve_api_cancel_all(serve_server *s);
void serve_api_release(serve_server *s);
/* serve_lake.c: the lake, local or S3 through its cache. */
int serve_lake_open(serve_server *s, const serve_config *c, char *errstr, size_t errstr_size);
void serve_lake_close(serve_server *s);
/* The folder the catalog code reads: the lake's, or an S3 lake's mirror. */
const char *serve_lake_dir(const serve_server *s);
/* How query sessions reach the lake. */
void serve_lake_query_opts(const serve_server *s, query_lake_opts *lo);
/* The catalog's mtime (ns), an S3 lake's brought in first at most every
 * 5 s; -1 when the lake has none. */
int64_t serve_catalog_mtime(serve_server *s);
/* 1 when the lake has a catalog. */
int serve_lake_has_catalog(serve_server *s);
/* Brings an S3 lake's saved queries' metadata into the mirror (at most every 5 s). */
int serve_lake_sync_results(serve_server *s, char *errstr, size_t errstr_size);
/* Answers GET /api/results/<id> (id already checked): the saved CSV. */
int serve_lake_result(serve_server *s, const http_request *r, const char *id);
/* One crawl of the lake; *lc is the crawler's own cache handle of an S3 lake
 * (made on first use, freed by the caller with lakecache_free). */
int serve_lake_crawl(serve_server *s, struct lakecache **lc, engine *e, char *errstr,
                     size_t errstr_size);

/* serve_stream.c: the consumer, the hub and the SSE handler. */
int serve_stream_start(serve_server *s, char *errstr, size_t errstr_size);
/* Wakes the stream handlers (s->stop set) and stops the consumer. */
void serve_stream_stop(serve_server *s);
/* Frees the hub, once the HTTP server has stopped. */
void serve_stream_free(serve_server *s);
int serve_stream_handle(serve_server *s, const http_request *r);
/* Copies the recent closed bars of (symbol, interval) newer than after_ns
 * into *out (caller frees); returns how many; 0 when not followed. */
size_t serve_stream_bars(serve_server *s, const char *symbol, int64_t interval_ns, int64_t after_ns,
                         serve_bar **out);

/* A JSON error reply {"error": msg}. */
int serve_error(const http_request *r, int status, const char *msg);
/* The same with extra headers ("Name: value\r\n" lines; may be NULL). */
int serve_error_with(const http_request *r, int status, const char *msg, const char *extra);
/* A JSON reply of body. */
int serve_json(serve_server *s, const http_request *r, int status, const buf *body);

#endif
