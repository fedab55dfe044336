/* serve.h - `ticklake serve`: the web console, the HTTP API, the push stream
 * and /metrics, over the lake (and Kafka, when brokers are given).
 *
 * A server answers on the HTTP library's worker threads (src/http/):
 * - the console's static files from a folder (web/ of the repository);
 * - the JSON API (docs/API.md) over the lake's catalog and queries
 *   (src/lake/query.c, with `ticklake query`'s read-only policy), on a small
 *   pool of query sessions (the concurrency limit of SQL);
 * - /api/stream, Server-Sent Events of trades, forming and closed bars and
 *   alerts, fanned out from ONE Kafka consumer per server through a bounded
 *   ring: the consumer never waits for a client, and a client that falls a
 *   whole ring behind is disconnected;
 * - /healthz, /readyz and /metrics (Prometheus text format).
 * Listening on anything but loopback needs a token; requests then carry it
 * as "Authorization: Bearer <token>" or the cookie that opening
 * /?token=<token> sets. */
#ifndef TICKLAKE_SERVE_H
#define TICKLAKE_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "kafka.h"
#include "pipeline.h"
#include "storage.h"

typedef struct serve_config {
    const char *lake; /* a local folder, file:///path or s3://bucket/prefix */
    /* An s3:// lake: how to reach it (NULL: the defaults; copied) and its
     * local cache (NULL: lakecache.h's default). */
    const storage_options *storage;
    const char *cache_dir;
    const char *listen;      /* "host:port"; default 127.0.0.1:8080 */
    const char *token;       /* NULL: none on loopback, generated elsewhere */
    const char *web_dir;     /* the console's files; NULL: the repository's web/ */
    const char *cors_origin; /* NULL: no CORS headers */
    /* The push stream: brokers NULL means no stream (the API still works). */
    kafka_opts kafka;
    const char *topic_prefix;
    int64_t intervals[8]; /* the bar intervals to follow; 0 of them: 1s,1m,5m */
    size_t nintervals;
    int threads;            /* HTTP worker threads (connections at once); 0: 64 */
    int query_slots;        /* SQL queries at once; 0: 2 */
    size_t stream_buffer;   /* events the push stream keeps for its clients; 0: 65536 */
    int64_t crawl_every;    /* crawl the lake this often (ns); 0: never */
    size_t max_body;        /* request body limit; 0: 1 MiB */
    int64_t max_rows;       /* row limit of a query; 0: 100000 */
    int64_t max_timeout_ms; /* time limit of a query; 0: 60000 */
    int64_t query_memory;   /* DuckDB's memory per query session, bytes; 0: 2 GB */
    int64_t query_temp;     /* what a query session may spill to disk, bytes; 0: 10 GB */
    /* Counters of a pipeline in the same process (`ticklake run`) for
     * /metrics and the health page; NULL for none. */
    const pipeline_stats *stats;
} serve_config;

typedef struct serve_server serve_server;

/* Starts serving. The configuration's strings are copied. NULL with errstr
 * when the address cannot be bound, a non-loopback address has no token
 * (and none could be generated), or the Kafka consumer cannot start. */
serve_server *serve_start(const serve_config *c, char *errstr, size_t errstr_size);
/* The URL to open, e.g. "http://127.0.0.1:8080/" (never with the token). */
const char *serve_url(const serve_server *s);
/* The token in force ("" when none): the command prints a generated one once. */
const char *serve_token(const serve_server *s);
/* 1 when the token was generated here. */
int serve_token_generated(const serve_server *s);
/* Puts an alert (its JSON record, docs/DATA.md) on the push stream and in
 * /api/alerts at once, as a processor in the same process computes it, so a
 * client does not wait for the broker's round trip; the same alert arriving
 * again through alerts.live is not shown twice. Any thread; copies what it
 * keeps; does nothing without a push stream. */
void serve_alert(serve_server *s, const char *symbol, const char *json, size_t len);
/* Closes streams, stops the consumer and the HTTP server, frees. Accepts NULL. */
void serve_stop(serve_server *s);

#endif
