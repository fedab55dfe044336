/* serve.c - `ticklake serve`'s server: start and stop, the dispatch of each
 * request (route, method, token, limits), the console's static files,
 * /healthz, /readyz, /metrics, /api/status and the crawler thread. The API
 * is in serve_api.c, the push stream in serve_stream.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog_crawl.h"
#include "engine.h"
#include "json.h"
#include "kafka_health.h"
#include "kafka_lag.h"
#include "lakecache.h"
#include "log.h"
#include "serve_internal.h"

#ifndef TICKLAKE_WEB_DIR
#define TICKLAKE_WEB_DIR "web"
#endif
#define TICKLAKE_WEB_INSTALLED "/../share/ticklake/web" /* from the binary's folder */

/* The console's files: <bindir>/../share/ticklake/web when installed
 * (`make install`), else the source tree's web/ the build named. */
static char *default_web_dir(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - sizeof(TICKLAKE_WEB_INSTALLED));
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            strcpy(slash, TICKLAKE_WEB_INSTALLED);
            if (path_exists(exe))
                return xstrdup(exe);
        }
    }
    return xstrdup(TICKLAKE_WEB_DIR);
}

/* Upper bounds of the histograms' buckets, microseconds. */
static const int64_t bucket_us[SERVE_BUCKETS] = {1000,   5000,   10000,   25000,   50000,   100000,
                                                 250000, 500000, 1000000, 5000000, 30000000};

void serve_hist_observe(serve_hist *h, int64_t ns)
{
    int64_t us = ns / 1000;
    int i = 0;
    while (i < SERVE_BUCKETS && us > bucket_us[i])
        i++;
    atomic_fetch_add(&h->count[i], 1);
    atomic_fetch_add(&h->sum_us, us);
}

int serve_error(const http_request *r, int status, const char *msg)
{
    return serve_error_with(r, status, msg, NULL);
}

int serve_error_with(const http_request *r, int status, const char *msg, const char *extra)
{
    buf b;
    buf_init(&b);
    buf_puts(&b, "{\"error\":");
    buf_put_json_str(&b, msg, strlen(msg));
    buf_puts(&b, "}\n");
    http_reply(r, status, "application/json", extra, b.data, b.len);
    buf_release(&b);
    return status;
}

int serve_json(serve_server *s, const http_request *r, int status, const buf *body)
{
    return http_reply(r, status, "application/json", "Cache-Control: no-store\r\n", body->data,
                      body->len);
}

/* --- the console's files ----------------------------------------------- */

static int serve_static(serve_server *s, const http_request *r)
{
    char rel[512], path[4096], real[PATH_MAX], root[PATH_MAX];
    if (serve_static_path(r->path, rel, sizeof(rel)) != 0)
        return serve_error(r, 404, "not found");
    snprintf(path, sizeof(path), "%s/%s", s->web_dir, rel);
    /* The name is checked; the real path must still lie below the folder
     * (a symbolic link inside it cannot lead out). */
    if (!realpath(s->web_dir, root) || !realpath(path, real))
        return serve_error(r, 404, "not found");
    size_t n = strlen(root);
    struct stat sb;
    if (strncmp(real, root, n) != 0 || real[n] != '/' || stat(real, &sb) != 0 ||
        !S_ISREG(sb.st_mode))
        return serve_error(r, 404, "not found");
    int st = http_send_file(r, real, "Cache-Control: no-cache\r\n");
    return st < 0 ? serve_error(r, 404, "not found") : st;
}

/* --- metrics ------------------------------------------------------------ */

static void metric(buf *b, const char *name, const char *type, const char *help, double v)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s ", name, help, name, type, name);
    json_put_double(b, v);
    buf_putc(b, '\n');
}

void serve_hist_text(buf *b, const char *name, const char *help, serve_hist *h)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    long long cum = 0;
    for (int i = 0; i <= SERVE_BUCKETS; i++) {
        cum += atomic_load(&h->count[i]);
        if (i < SERVE_BUCKETS)
            buf_printf(b, "%s_bucket{le=\"%g\"} %lld\n", name, (double)bucket_us[i] / 1e6, cum);
        else
            buf_printf(b, "%s_bucket{le=\"+Inf\"} %lld\n", name, cum);
    }
    /* Every digit of the sum, as the other values (%g kept 6: 1.23457e+06). */
    buf_printf(b, "%s_sum ", name);
    json_put_double(b, (double)atomic_load(&h->sum_us) / 1e6);
    buf_printf(b, "\n%s_count %lld\n", name, cum);
}

static int serve_metrics(serve_server *s, const http_request *r)
{
    buf b;
    buf_init(&b);
    buf_puts(&b, "# HELP ticklake_http_requests_total HTTP requests answered, by status class.\n"
                 "# TYPE ticklake_http_requests_total counter\n");
    for (int i = 1; i <= 5; i++)
        buf_printf(&b, "ticklake_http_requests_total{code=\"%dxx\"} %lld\n", i,
                   (long long)atomic_load(&s->requests[i]));
    metric(&b, "ticklake_http_unauthorized_total", "counter",
           "Requests refused for a missing or wrong token.", (double)atomic_load(&s->unauthorized));
    serve_hist_text(&b, "ticklake_http_request_duration_seconds",
                    "Time to answer an HTTP request (streams excluded).", &s->request_seconds);
    metric(&b, "ticklake_queries_total", "counter", "SQL queries run through the API.",
           (double)atomic_load(&s->queries));
    metric(&b, "ticklake_query_failures_total", "counter",
           "SQL queries that failed, timed out or were refused.",
           (double)atomic_load(&s->query_failures));
    serve_hist_text(&b, "ticklake_query_duration_seconds", "Wall time of API SQL queries.",
                    &s->query_seconds);
    serve_hist_text(
        &b, "ticklake_stream_trade_delay_seconds",
        "From a trade's event time to its arrival at the push stream, for live feeds (whose "
        "event time is the wall clock); trades over an hour old, a replay's, are left out.",
        &s->trade_delay);
    metric(&b, "ticklake_stream_clients", "gauge", "Push-stream clients connected.",
           (double)atomic_load(&s->streams));
    size_t nsyms = 0, untraded = 0;
    if (s->streaming) {
        pthread_mutex_lock(&s->hub.mu);
        nsyms = s->hub.nsyms;
        untraded = s->hub.untraded;
        pthread_mutex_unlock(&s->hub.mu);
    }
    metric(&b, "ticklake_stream_symbols", "gauge",
           "Symbols the push stream holds (at most 20,000), of them untraded ones that clients "
           "named (at most 1,024) in ticklake_stream_symbols_untraded.",
           (double)nsyms);
    metric(&b, "ticklake_stream_symbols_untraded", "gauge",
           "Symbols clients named in symbols= that have not traded.", (double)untraded);
    metric(&b, "ticklake_stream_clients_total", "counter", "Push-stream clients accepted.",
           (double)atomic_load(&s->stream_clients_total));
    metric(&b, "ticklake_stream_clients_dropped_total", "counter",
           "Push-stream clients disconnected for falling a whole buffer behind, or for "
           "taking nothing for 30 s.",
           (double)atomic_load(&s->stream_dropped));
    metric(&b, "ticklake_stream_events_total", "counter",
           "Events put on the push stream (trades and forming bars of followed symbols, bars, "
           "alerts).",
           (double)atomic_load(&s->stream_events));
    metric(&b, "ticklake_stream_sent_bytes_total", "counter", "Bytes sent to push-stream clients.",
           (double)atomic_load(&s->stream_bytes));
    metric(&b, "ticklake_stream_wakeups_total", "counter",
           "Times the stream consumer woke the push-stream clients (at most every 20 ms, and at "
           "each alert handed over in process).",
           (double)atomic_load(&s->stream_wakeups));
    metric(&b, "ticklake_stream_alerts_in_process_total", "counter",
           "Alerts handed over by a processor in this process (ticklake run), before the broker.",
           (double)atomic_load(&s->alerts_in_process));
    metric(&b, "ticklake_stream_alerts_repeated_total", "counter",
           "Alerts not shown again: equal to a recent one (in process and from alerts.live, or "
           "raised again after an aborted transaction).",
           (double)atomic_load(&s->alerts_repeated));
    metric(&b, "ticklake_serve_consumed_records_total", "counter",
           "Kafka records the server's consumer read.", (double)atomic_load(&s->consumed));
    metric(&b, "ticklake_serve_bad_records_total", "counter",
           "Kafka records the server's consumer could not decode.",
           (double)atomic_load(&s->consume_errors));
    metric(&b, "ticklake_crawls_total", "counter", "Crawls of the lake run by the server.",
           (double)atomic_load(&s->crawls));
    metric(&b, "ticklake_crawl_failures_total", "counter", "Crawls of the lake that failed.",
           (double)atomic_load(&s->crawl_failures));
    metric(&b, "ticklake_serve_uptime_seconds", "gauge", "Seconds since the server started.",
           (double)(mono_ns() - s->started_ns) / 1e9);
    /* The brokers this process's Kafka clients know of and have lost (kafka_health.h). */
    kafka_health_snapshot hs;
    kafka_health_get(&hs);
    metric(&b, "ticklake_kafka_brokers", "gauge", "Kafka brokers this process's clients know of.",
           hs.known);
    metric(&b, "ticklake_kafka_brokers_up", "gauge", "Of them, those not lost.", hs.up);
    buf_printf(&b, "# HELP ticklake_kafka_broker_down_seconds Seconds since a lost broker was "
                   "lost (one series per broker down).\n"
                   "# TYPE ticklake_kafka_broker_down_seconds gauge\n");
    int64_t now_ms = now_ns() / 1000000;
    for (size_t i = 0; i < hs.ndown; i++) {
        buf_printf(&b, "ticklake_kafka_broker_down_seconds{broker=\"%d\",address=\"",
                   (int)hs.down[i].id);
        for (const char *c = hs.down[i].addr; *c; c++) {
            if (*c == '"' || *c == '\\' || *c == '\n')
                buf_putc(&b, '\\');
            buf_putc(&b, *c == '\n' ? 'n' : *c);
        }
        buf_printf(&b, "\"} ");
        json_put_double(&b, (double)(now_ms - hs.down[i].down_since_ms) / 1e3);
        buf_putc(&b, '\n');
    }
    const pipeline_stats *st = s->stats;
    if (st) {
        metric(&b, "ticklake_ingest_records_total", "counter",
               "Ticks ingest delivered to Kafka (with acks=0 sent, unconfirmed).",
               (double)atomic_load(&st->ticks_produced));
        metric(&b, "ticklake_ingest_failed_records_total", "counter", "Ticks that failed delivery.",
               (double)atomic_load(&st->ticks_failed));
        metric(&b, "ticklake_process_trades_total", "counter",
               "Trades the processor folded into windows.",
               (double)atomic_load(&st->trades_processed));
        metric(&b, "ticklake_process_late_trades_total", "counter",
               "(trade, interval) pairs dropped as late.", (double)atomic_load(&st->trades_late));
        metric(&b, "ticklake_process_bars_total", "counter", "Bars the processor produced.",
               (double)atomic_load(&st->bars_emitted));
        metric(&b, "ticklake_process_alerts_total", "counter", "Alerts the processor raised.",
               (double)atomic_load(&st->alerts_emitted));
        metric(&b, "ticklake_bad_records_total", "counter",
               "Records process and sink could not decode.", (double)atomic_load(&st->bad_records));
        metric(&b, "ticklake_dlq_records_total", "counter",
               "Records sent to the dead-letter topic.", (double)atomic_load(&st->dlq_records));
        metric(&b, "ticklake_process_transaction_aborts_total", "counter",
               "Transactions the processor aborted and replayed.",
               (double)atomic_load(&st->txn_aborts));
        metric(&b, "ticklake_sink_rows_total", "counter", "Rows the sink made durable in the lake.",
               (double)atomic_load(&st->lake_rows));
        metric(&b, "ticklake_sink_files_total", "counter", "Parquet files the sink wrote.",
               (double)atomic_load(&st->lake_files));
        metric(&b, "ticklake_sink_bytes_total", "counter", "Bytes of the sink's Parquet files.",
               (double)atomic_load(&st->lake_bytes));
        metric(&b, "ticklake_process_consumer_lag_records", "gauge",
               "The processor's consumer lag, records.", (double)atomic_load(&st->process_lag));
        metric(&b, "ticklake_sink_consumer_lag_records", "gauge",
               "The sink's consumer lag, records.", (double)atomic_load(&st->sink_lag));
        metric(&b, "ticklake_process_consumer_lag_max_records", "gauge",
               "The processor's largest lag on one partition, records.",
               (double)atomic_load(&st->process_lag_max));
        metric(&b, "ticklake_sink_consumer_lag_max_records", "gauge",
               "The sink's largest lag on one partition, records.",
               (double)atomic_load(&st->sink_lag_max));
    }
    int status =
        http_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, b.data, b.len);
    buf_release(&b);
    return status;
}

/* The counters as one JSON object, for the console's health page. */
static int serve_status(serve_server *s, const http_request *r)
{
    buf b;
    buf_init(&b);
    buf_printf(
        &b, "{\"now_ns\":%lld,\"uptime_s\":%.3f,\"streaming\":%s,\"ready\":%s", (long long)now_ns(),
        (double)(mono_ns() - s->started_ns) / 1e9, s->streaming ? "true" : "false",
        serve_lake_has_catalog(s) && (!s->streaming || atomic_load(&s->consumer_ready)) ? "true"
                                                                                        : "false");
    buf_printf(&b,
               ",\"serve\":{\"stream_clients\":%d,\"stream_events\":%lld,\"stream_dropped\":%lld,"
               "\"consumed\":%lld,\"bad_records\":%lld,\"queries\":%lld,\"query_failures\":%lld,"
               "\"crawls\":%lld,\"crawl_failures\":%lld}",
               atomic_load(&s->streams), (long long)atomic_load(&s->stream_events),
               (long long)atomic_load(&s->stream_dropped), (long long)atomic_load(&s->consumed),
               (long long)atomic_load(&s->consume_errors), (long long)atomic_load(&s->queries),
               (long long)atomic_load(&s->query_failures), (long long)atomic_load(&s->crawls),
               (long long)atomic_load(&s->crawl_failures));
    const pipeline_stats *st = s->stats;
    if (st)
        buf_printf(
            &b,
            ",\"pipeline\":{\"ticks_produced\":%lld,\"ticks_failed\":%lld,"
            "\"trades_processed\":%lld,\"trades_late\":%lld,\"bars_emitted\":%lld,"
            "\"alerts_emitted\":%lld,\"bad_records\":%lld,\"dlq_records\":%lld,"
            "\"txn_aborts\":%lld,\"lake_rows\":%lld,\"lake_files\":%lld,"
            "\"lake_bytes\":%lld,\"process_lag\":%lld,\"sink_lag\":%lld}",
            (long long)atomic_load(&st->ticks_produced), (long long)atomic_load(&st->ticks_failed),
            (long long)atomic_load(&st->trades_processed), (long long)atomic_load(&st->trades_late),
            (long long)atomic_load(&st->bars_emitted), (long long)atomic_load(&st->alerts_emitted),
            (long long)atomic_load(&st->bad_records), (long long)atomic_load(&st->dlq_records),
            (long long)atomic_load(&st->txn_aborts), (long long)atomic_load(&st->lake_rows),
            (long long)atomic_load(&st->lake_files), (long long)atomic_load(&st->lake_bytes),
            (long long)atomic_load(&st->process_lag), (long long)atomic_load(&st->sink_lag));
    buf_puts(&b, "}\n");
    int status = serve_json(s, r, 200, &b);
    buf_release(&b);
    return status;
}

/* --- dispatch ----------------------------------------------------------- */

/* 1 when r may pass: no token in force, or it carries the right one. */
static int authorized(serve_server *s, const http_request *r)
{
    if (!s->token[0])
        return 1;
    size_t n = 0;
    const char *t =
        serve_request_token(http_header(r, "Authorization"), http_header(r, "Cookie"), &n);
    return t && serve_token_equal(t, n, s->token, strlen(s->token));
}

/* GET /?token=T with the right token: set the cookie, and send the browser
 * to / without the token in its address bar or history. */
static int token_login(serve_server *s, const http_request *r)
{
    char t[128];
    int n = http_form_var(r->query, "token", 0, t, sizeof(t));
    if (n <= 0 || !s->token[0] || !serve_token_equal(t, (size_t)n, s->token, strlen(s->token)))
        return 0;
    char extra[256];
    snprintf(extra, sizeof(extra),
             "Set-Cookie: ticklake_token=%s; Path=/; HttpOnly; SameSite=Strict\r\n"
             "Location: /\r\n",
             s->token);
    return http_reply(r, 303, "text/plain", extra, "", 0);
}

static int dispatch(serve_server *s, const http_request *r)
{
    /* A %00 would end the path early: /index.html%00.js would be index.html. */
    if (strlen(r->path) != r->path_len)
        return serve_error(r, 400, "a NUL byte in the path");
    char name[SERVE_NAME_MAX];
    serve_route route = serve_route_of(r->path, name);
    if (s->cors && strcmp(r->method, "OPTIONS") == 0) /* the CORS headers come with every reply */
        return http_reply(r, 204, NULL, "Access-Control-Allow-Methods: GET, POST\r\n", "", 0);
    if (route == SERVE_ROUTE_HEALTHZ)
        return http_reply(r, 200, "text/plain", NULL, "ok\n", 3);
    const char *foreign = serve_request_foreign(http_header(r, "Host"), http_header(r, "Origin"),
                                                s->cors, !s->token[0]);
    if (foreign) {
        atomic_fetch_add(&s->unauthorized, 1);
        return serve_error(r, 403, foreign);
    }
    /* A link's login only: GET or HEAD, as a browser opens it. */
    if (strcmp(r->path, "/") == 0 && s->token[0] && strstr(r->query, "token=") &&
        (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)) {
        int st = token_login(s, r);
        if (st)
            return st;
    }
    if (!authorized(s, r)) {
        atomic_fetch_add(&s->unauthorized, 1);
        /* RFC 9110 11.6.1: a 401 names the scheme it wants. */
        return serve_error_with(r, 401,
                                "a token is required: Authorization: Bearer <token>, or open "
                                "/?token=<token> once",
                                "WWW-Authenticate: Bearer realm=\"ticklake\"\r\n");
    }
    if (route == SERVE_ROUTE_NONE)
        return serve_error(r, 404, "no such resource");
    if (!serve_method_allowed(route, r->method)) {
        char allow[64]; /* RFC 9110 15.5.6: a 405 lists what the resource accepts */
        snprintf(allow, sizeof(allow), "Allow: %s\r\n", serve_route_methods(route));
        return serve_error_with(r, 405, "method not allowed", allow);
    }
    switch (route) {
    case SERVE_ROUTE_STATIC:
        return serve_static(s, r);
    case SERVE_ROUTE_READYZ: {
        int ready = serve_lake_has_catalog(s) && (!s->streaming || atomic_load(&s->consumer_ready));
        return ready ? http_reply(r, 200, "text/plain", NULL, "ready\n", 6)
                     : http_reply(r, 503, "text/plain", NULL, "not ready\n", 10);
    }
    case SERVE_ROUTE_METRICS:
        return serve_metrics(s, r);
    case SERVE_ROUTE_STATUS:
        return serve_status(s, r);
    case SERVE_ROUTE_TABLES:
        return serve_api_tables(s, r);
    case SERVE_ROUTE_DESCRIBE:
        return serve_api_describe(s, r, name, 0);
    case SERVE_ROUTE_PARTITIONS:
        return serve_api_describe(s, r, name, 1);
    case SERVE_ROUTE_DDL:
        return serve_api_describe(s, r, name, 2);
    case SERVE_ROUTE_QUERY:
        return serve_api_query(s, r);
    case SERVE_ROUTE_CANCEL:
        return serve_api_cancel(s, r);
    case SERVE_ROUTE_HISTORY:
        return serve_api_history(s, r);
    case SERVE_ROUTE_RESULT:
        return serve_api_result(s, r, name);
    case SERVE_ROUTE_BARS:
        return serve_api_bars(s, r);
    case SERVE_ROUTE_ALERTS:
        return serve_api_alerts(s, r);
    case SERVE_ROUTE_SYMBOLS:
        return serve_api_symbols(s, r);
    case SERVE_ROUTE_OVERVIEW:
        return serve_api_overview(s, r);
    case SERVE_ROUTE_STREAM:
        return serve_stream_handle(s, r);
    case SERVE_ROUTE_LAG:
        return serve_api_lag(s, r);
    default:
        return serve_error(r, 404, "no such resource");
    }
}

static int on_request(void *opaque, const http_request *r)
{
    serve_server *s = opaque;
    int64_t t0 = mono_ns();
    if (r->content_length > (int64_t)s->max_body) {
        atomic_fetch_add(&s->requests[4], 1);
        return serve_error_with(r, 413, "request body too large", HTTP_CLOSE);
    }
    int status = dispatch(s, r);
    int cls = status / 100;
    atomic_fetch_add(&s->requests[cls >= 1 && cls <= 5 ? cls : 0], 1);
    if (strcmp(r->path, "/api/stream") != 0)
        serve_hist_observe(&s->request_seconds, mono_ns() - t0);
    return status;
}

/* --- the crawler -------------------------------------------------------- */

static void *crawl_thread(void *arg)
{
    serve_server *s = arg;
    int64_t next = mono_ns();
    lakecache *lc = NULL;
    while (!atomic_load(&s->stop)) {
        if (mono_ns() < next) {
            sleep_ns(100 * 1000000LL);
            continue;
        }
        char err[512];
        engine *e = engine_open(NULL, 1, err, sizeof(err));
        if (e && serve_lake_crawl(s, &lc, e, err, sizeof(err)) == 0) {
            atomic_fetch_add(&s->crawls, 1);
        } else {
            atomic_fetch_add(&s->crawl_failures, 1);
            LOG_DEBUG("serve: crawl: %s (again in a moment)", err);
        }
        engine_close(e);
        next = mono_ns() + s->crawl_every;
    }
    lakecache_free(lc);
    return NULL;
}

/* --- start and stop ----------------------------------------------------- */

static int make_token(char *out, size_t size)
{
    unsigned char raw[24];
    size_t got = 0;
    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
        if (n < 0 && errno != EINTR)
            return -1;
        if (n > 0)
            got += (size_t)n;
    }
    static const char hex[] = "0123456789abcdef";
    if (size < 2 * sizeof(raw) + 1)
        return -1;
    for (size_t i = 0; i < sizeof(raw); i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * sizeof(raw)] = '\0';
    return 0;
}

serve_server *serve_start(const serve_config *c, char *errstr, size_t errstr_size)
{
    serve_server *s = xcalloc(1, sizeof(*s));
    s->started_ns = mono_ns();
    pthread_mutex_init(&s->lagmu, NULL);
    s->listen = xstrdup(c->listen ? c->listen : "127.0.0.1:8080");
    if (serve_listen_check(s->listen, errstr, errstr_size) != 0)
        goto fail;
    if (serve_lake_open(s, c, errstr, errstr_size) != 0)
        goto fail;
    s->web_dir = c->web_dir ? xstrdup(c->web_dir) : default_web_dir();
    s->cors = c->cors_origin ? xstrdup(c->cors_origin) : NULL;
    s->prefix = xstrdup(c->topic_prefix ? c->topic_prefix : "");
    s->max_body = c->max_body ? c->max_body : 1 << 20;
    s->max_rows = c->max_rows > 0 ? c->max_rows : 100000;
    s->max_timeout_ms = c->max_timeout_ms > 0 ? c->max_timeout_ms : 60000;
    /* Not DuckDB's 80% of the RAM per session: --query-slots sessions and
     * the pipeline beside them (ticklake run) share the machine. */
    s->query_memory = c->query_memory > 0 ? c->query_memory : 2000000000LL;
    s->query_temp = c->query_temp > 0 ? c->query_temp : 10000000000LL;
    s->threads = c->threads > 0 ? c->threads : 64;
    /* Keep some workers for the API whatever the streams do. */
    s->max_streams = s->threads > 8 ? s->threads - 4 : s->threads / 2;
    s->stats = c->stats;
    s->ring_size = c->stream_buffer ? c->stream_buffer : SERVE_RING;
    s->crawl_every = c->crawl_every;
    static const int64_t def_iv[] = {NS_PER_SEC, 60 * NS_PER_SEC, 300 * NS_PER_SEC};
    if (c->nintervals) {
        s->nintervals = c->nintervals > SERVE_MAX_IV ? SERVE_MAX_IV : c->nintervals;
        memcpy(s->intervals, c->intervals, s->nintervals * sizeof(int64_t));
    } else {
        s->nintervals = 3;
        memcpy(s->intervals, def_iv, sizeof(def_iv));
    }
    if (c->token && *c->token) {
        if (strlen(c->token) >= sizeof(s->token) || strlen(c->token) < 8) {
            set_err(errstr, errstr_size, "the token must be 8 to %zu characters",
                    sizeof(s->token) - 1);
            goto fail;
        }
        for (const char *p = c->token; *p; p++)
            if (*p <= ' ' || *p == ';' || *p == ',' || *p > '~') {
                set_err(errstr, errstr_size,
                        "the token may hold only printable characters "
                        "other than ';' and ','");
                goto fail;
            }
        strlcpy_tl(s->token, c->token, sizeof(s->token));
    } else if (!serve_listen_is_loopback(s->listen)) {
        if (make_token(s->token, sizeof(s->token)) != 0) {
            set_err(errstr, errstr_size, "cannot generate a token");
            goto fail;
        }
        s->token_generated = 1;
    }
    serve_api_init(s, c->query_slots > 0 ? c->query_slots : 2);
    if (c->kafka.brokers) {
        s->brokers = xstrdup(c->kafka.brokers);
        s->kafka = c->kafka;
        s->kafka.brokers = s->brokers;
        /* Live display: a fresh group that starts at the end of each log.
         * Topics the stages create after the server started (a new
         * --topic-prefix on a real cluster) are found within 2 s, not at
         * librdkafka's default metadata refresh (5 min). */
        static const char *const ours[] = {"auto.offset.reset=latest",
                                           "topic.metadata.refresh.interval.ms=2000"};
        s->kprops = kafka_opts_prepend(&c->kafka, ours, 2, &s->kafka);
        s->kafka.brokers = s->brokers;
        if (serve_stream_start(s, errstr, errstr_size) != 0)
            goto fail;
    }
    if (s->crawl_every > 0) {
        if (pthread_create(&s->crawler, NULL, crawl_thread, s) == 0)
            s->crawler_started = 1;
    }
    /* The allowed origin reads every answer: errors, downloads and their
     * X-Query-Id and X-Truncated, the stream. */
    char cors[512] = "";
    if (s->cors)
        snprintf(cors, sizeof(cors),
                 "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n"
                 "Access-Control-Allow-Headers: Authorization, Content-Type\r\n"
                 "Access-Control-Expose-Headers: X-Query-Id, X-Truncated\r\n",
                 s->cors);
    http_config hc = {.listen = s->listen,
                      .threads = s->threads,
                      .request_timeout_ms = 30000,
                      .handler = on_request,
                      .opaque = s,
                      .headers = cors};
    s->http = http_start(&hc, errstr, errstr_size);
    if (!s->http)
        goto fail;
    /* The printed URL: the host as given (0.0.0.0 means this machine). */
    char host[96];
    const char *colon = strrchr(s->listen, ':');
    size_t hn = colon ? (size_t)(colon - s->listen) : 0;
    if (hn >= sizeof(host))
        hn = sizeof(host) - 1;
    memcpy(host, s->listen, hn);
    host[hn] = '\0';
    if (hn == 0 || strcmp(host, "0.0.0.0") == 0)
        strcpy(host, "127.0.0.1");
    snprintf(s->url, sizeof(s->url), "http://%s:%d/", host, http_port(s->http));
    return s;
fail:
    serve_stop(s);
    return NULL;
}

const char *serve_url(const serve_server *s)
{
    return s->url;
}

const char *serve_token(const serve_server *s)
{
    return s->token;
}

int serve_token_generated(const serve_server *s)
{
    return s->token_generated;
}

void serve_stop(serve_server *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, 1);
    serve_stream_stop(s); /* wakes the stream handlers, so the HTTP server can stop */
    /* http_stop waits for every handler: a query would hold it up to its
     * timeout (60 s at most); cancelled, it ends at once with an error. */
    serve_api_cancel_all(s);
    http_stop(s->http);
    if (s->crawler_started)
        pthread_join(s->crawler, NULL);
    serve_stream_free(s);
    serve_api_release(s);
    kafka_lag_client_free(s->lag);
    pthread_mutex_destroy(&s->lagmu);
    free(s->kprops);
    free(s->brokers);
    serve_lake_close(s);
    free(s->lake);
    free(s->listen);
    free(s->web_dir);
    free(s->cors);
    free(s->prefix);
    free(s);
}
