/* serve_req.h - the pure parts of `ticklake serve`'s requests: routes, the
 * parameters of the API (symbols, intervals, times, limits), query bodies,
 * static file paths, token comparison and Server-Sent Event frames.
 *
 * No I/O: every function here is unit-tested and fuzzed (tests/fuzz/fuzz_serve.c).
 * Query-string decoding itself is the HTTP library's (http_form_var). */
#ifndef TICKLAKE_SERVE_REQ_H
#define TICKLAKE_SERVE_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

typedef enum {
    SERVE_ROUTE_NONE = 0, /* no such route: 404 */
    SERVE_ROUTE_STATIC,   /* a file of the web console */
    SERVE_ROUTE_HEALTHZ,
    SERVE_ROUTE_READYZ,
    SERVE_ROUTE_METRICS,
    SERVE_ROUTE_TABLES,     /* /api/tables */
    SERVE_ROUTE_DESCRIBE,   /* /api/tables/<name> */
    SERVE_ROUTE_PARTITIONS, /* /api/tables/<name>/partitions */
    SERVE_ROUTE_DDL,        /* /api/tables/<name>/ddl */
    SERVE_ROUTE_QUERY,      /* /api/query (POST) */
    SERVE_ROUTE_CANCEL,     /* /api/query/cancel (POST) */
    SERVE_ROUTE_HISTORY,    /* /api/queries */
    SERVE_ROUTE_RESULT,     /* /api/queries/<id>.csv */
    SERVE_ROUTE_BARS,       /* /api/bars */
    SERVE_ROUTE_ALERTS,     /* /api/alerts */
    SERVE_ROUTE_SYMBOLS,    /* /api/symbols */
    SERVE_ROUTE_OVERVIEW,   /* /api/overview */
    SERVE_ROUTE_STATUS,     /* /api/status: counters as JSON for the health page */
    SERVE_ROUTE_STREAM,     /* /api/stream (Server-Sent Events) */
    SERVE_ROUTE_LAG,        /* /api/lag: consumer lag per group and partition */
} serve_route;

#define SERVE_NAME_MAX 65 /* a table name or a query id, with its NUL */

/* The route of a URL-decoded path; for the routes with a name (a table, a
 * query id) the name goes to name (validated: [A-Za-z_][A-Za-z0-9_]* for
 * tables, the query id's shape for results). An /api/ path that matches
 * nothing, or a name that does not validate, is SERVE_ROUTE_NONE. */
serve_route serve_route_of(const char *path, char name[SERVE_NAME_MAX]);

/* 1 when method is allowed on route: POST for the query and its cancel, GET
 * for the push stream (a HEAD of it would hold a stream slot), GET and HEAD
 * elsewhere. */
int serve_method_allowed(serve_route route, const char *method);
/* The methods route accepts, as a 405's Allow header lists them ("GET, HEAD",
 * "POST", "GET"): serve_method_allowed's answer is 1 for these only. */
const char *serve_route_methods(serve_route route);

/* Maps a URL path of the web console to a file below its folder: "/" is
 * "index.html"; segments are [A-Za-z0-9_-][A-Za-z0-9._-]* (no "..", no
 * hidden files, no empty segments, no backslashes), at most 8 deep and 255
 * bytes. 0 with the relative path in out, else -1. */
int serve_static_path(const char *path, char *out, size_t out_size);

/* 1 when s is a symbol the API accepts: 1..31 bytes of [A-Za-z0-9.^=_:-]
 * (what lands in the lake; it is also safe inside a SQL string). */
int serve_symbol_valid(const char *s);

/* A comma-separated list of symbols into out (up to max, duplicates kept
 * once); "*" or "" means all and gives 0 symbols. Returns the count, or -1
 * with errstr naming the bad symbol. */
int serve_symbols_parse(const char *list, char (*out)[32], size_t max, char *errstr,
                        size_t errstr_size);

/* A time in the API: seconds since the epoch (digits, optionally with a
 * fraction and a leading '-'), or UTC YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS[.frac]][Z]
 * of the years 1678 to 2261 (what int64 nanoseconds hold).
 * 0 with ns since the epoch, -1 otherwise. */
int serve_parse_time(const char *s, int64_t *ns);

/* What a query answers with: the JSON document, or the whole result as a file (CSV, Parquet,
 * an Arrow IPC stream). */
typedef enum { SERVE_FMT_JSON, SERVE_FMT_CSV, SERVE_FMT_PARQUET, SERVE_FMT_ARROW } serve_format;

/* A query request: the JSON body {"sql": "...", "max_rows": N, "timeout_ms": N,
 * "format": "json"|"csv"|"parquet"|"arrow", "tag": "..."}. sql is required and non-blank;
 * max_rows and timeout_ms default to the given defaults and are capped at the
 * maxima; tag (1..36 of [A-Za-z0-9_-], optional) names the running query for
 * POST /api/query/cancel {"tag": "..."} (parsed by serve_cancel_parse). */
typedef struct serve_query_req {
    char *sql;    /* owned */
    char tag[40]; /* "" when none */
    int64_t max_rows;
    int64_t timeout_ms;
    serve_format format; /* "format"; JSON when absent */
} serve_query_req;
int serve_query_parse(const char *body, size_t len, int64_t default_rows, int64_t max_rows,
                      int64_t default_timeout_ms, int64_t max_timeout_ms, serve_query_req *out,
                      char *errstr, size_t errstr_size);
void serve_query_req_release(serve_query_req *q);
/* The body of a cancel: {"tag": "..."} into tag. 0, or -1 with errstr. */
int serve_cancel_parse(const char *body, size_t len, char tag[40], char *errstr,
                       size_t errstr_size);

/* 1 when the a_len bytes of a equal the b_len bytes of b, in time that
 * depends on the lengths only, not on where they differ. */
int serve_token_equal(const char *a, size_t a_len, const char *b, size_t b_len);

/* The token a request carries: "Authorization: Bearer <t>" (auth may be
 * NULL), else the cookie ticklake_token=<t> in cookie (may be NULL). Points
 * into the header; *len its length; NULL when none. */
const char *serve_request_token(const char *auth, const char *cookie, size_t *len);

/* The top-level members of one JSON object's text (valid JSON: check it
 * first), as the text of each key (with its quotes) and of its value, as
 * written: a query's row keeps every digit of its numbers and its nested
 * values. Fills at most max pairs; returns the members, or -1 when the text
 * is not an object. Pure. */
typedef struct serve_span {
    const char *p;
    size_t n;
} serve_span;
int serve_json_members(const char *s, size_t n, serve_span *keys, serve_span *vals, size_t max);

/* Whether a browser request comes from a page of another site: NULL when it
 * may pass, else the reason. host and origin are the request's headers (each
 * may be NULL: curl sends no Origin), cors the allowed --cors-origin (may be
 * NULL). An Origin other than the server's own (scheme://Host) or cors is
 * refused: a page elsewhere could otherwise POST SQL with a form. With
 * loopback_only (no token in force), Host must name a loopback address
 * (localhost, 127.0.0.0/8, [::1]): a page whose name an attacker points at
 * 127.0.0.1 (DNS rebinding) is same-origin to itself and would read every
 * answer. */
const char *serve_request_foreign(const char *host, const char *origin, const char *cors,
                                  int loopback_only);

/* Appends one Server-Sent Event: "id: <id>\nevent: <event>\ndata: <line>\n"
 * for each line of data, then a blank line. */
void serve_sse_frame(buf *out, uint64_t id, const char *event, const char *data, size_t len);

/* 0 when listen is one address HOST:PORT (a name or IPv4 address, or
 * [IPv6]; a port 0-65535), else -1 with the reason: civetweb would take a
 * list ("127.0.0.1:1,0.0.0.0:2"), which must not pass for loopback. */
int serve_listen_check(const char *listen, char *errstr, size_t errstr_size);

/* 1 when listen is one address "host:port" whose host is a loopback
 * address (127.0.0.0/8, [::1], localhost). */
int serve_listen_is_loopback(const char *listen);

#endif
