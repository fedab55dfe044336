/* serve_api.c - the JSON API of `ticklake serve` (docs/API.md): the catalog,
 * SQL queries on a pool of query sessions, bars from the lake continued by
 * the stream's bars, alerts, symbols and the market overview. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "catalog.h"
#include "catalog_ddl.h"
#include "catalog_json.h"
#include "json.h"
#include "log.h"
#include "serve_internal.h"

#define SLOT_WAIT_NS (5 * NS_PER_SEC)
/* A result's bytes at most (in memory while it is answered, up to three
 * copies): a wide or unlimited query is stopped there, not the server. */
#define MAX_RESULT_BYTES ((size_t)64 << 20)

/* A query's output, in memory up to a cap: past it, writes fail and the
 * query is cancelled. */
typedef struct capped_out {
    buf b;
    size_t cap;
    int over;
    volatile sig_atomic_t *cancel;
} capped_out;

static ssize_t capped_write(void *cookie, const char *data, size_t n)
{
    capped_out *c = cookie;
    if (c->over || c->b.len + n > c->cap) {
        c->over = 1;
        *c->cancel = 1;
        return -1;
    }
    buf_append(&c->b, data, n);
    return (ssize_t)n;
}

void serve_api_init(serve_server *s, int slots)
{
    pthread_mutex_init(&s->qmu, NULL);
    pthread_cond_init(&s->qcv, NULL);
    s->nslots = slots;
    s->slots = xcalloc((size_t)slots, sizeof(serve_slot));
}

void serve_api_cancel_all(serve_server *s)
{
    if (!s->slots)
        return;
    pthread_mutex_lock(&s->qmu);
    pthread_cond_broadcast(&s->qcv); /* requests waiting for a slot stop waiting */
    /* Until they have ended (5 s at most): once the HTTP server stops, no
     * reply goes out, and their clients are to hear why. */
    int64_t until = mono_ns() + 5 * NS_PER_SEC;
    for (;;) {
        int busy = 0;
        for (int i = 0; i < s->nslots; i++) {
            if (s->slots[i].cancel)
                *s->slots[i].cancel = 1;
            busy |= s->slots[i].busy;
        }
        if (!busy || mono_ns() >= until)
            break;
        pthread_mutex_unlock(&s->qmu);
        sleep_ns(20 * 1000000LL);
        pthread_mutex_lock(&s->qmu);
    }
    pthread_mutex_unlock(&s->qmu);
}

void serve_api_release(serve_server *s)
{
    if (!s->slots)
        return;
    for (int i = 0; i < s->nslots; i++)
        query_session_close(s->slots[i].session);
    free(s->slots);
    s->slots = NULL;
    pthread_mutex_destroy(&s->qmu);
    pthread_cond_destroy(&s->qcv);
}

/* Takes a free query slot (waiting up to SLOT_WAIT_NS) with a session over
 * the catalog as it is now. NULL with errstr and *status (503) otherwise. */
static serve_slot *slot_acquire(serve_server *s, int *status, char *errstr, size_t errstr_size)
{
    serve_slot *slot = NULL;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += SLOT_WAIT_NS / NS_PER_SEC;
    pthread_mutex_lock(&s->qmu);
    for (;;) {
        for (int i = 0; i < s->nslots && !slot; i++)
            if (!s->slots[i].busy)
                slot = &s->slots[i];
        if (slot || atomic_load(&s->stop) || pthread_cond_timedwait(&s->qcv, &s->qmu, &until) != 0)
            break;
    }
    if (slot)
        slot->busy = 1;
    pthread_mutex_unlock(&s->qmu);
    *status = 503;
    if (!slot) {
        set_err(errstr, errstr_size, "every query slot is busy; try again");
        return NULL;
    }
    int64_t mt = serve_catalog_mtime(s);
    if (mt < 0) {
        set_err(errstr, errstr_size, "the lake has no catalog yet (crawl it)");
        goto fail;
    }
    if (slot->session && (slot->catalog_mtime != mt ||
                          (!s->local_lake && mono_ns() - slot->opened_ns > 30 * NS_PER_SEC))) {
        query_session_close(slot->session);
        slot->session = NULL;
    }
    if (!slot->session) {
        query_lake_opts lo;
        serve_lake_query_opts(s, &lo);
        /* One DuckDB thread a slot, so that --query-slots bounds the CPU;
         * reading S3 in place a thread mostly waits on its GET, and one
         * request in flight at a time would take minutes (decision 0045). */
        query_s3_read how = lo.s3_read ? lo.s3_read : QUERY_S3_READ_DEFAULT;
        int threads = !s->local_lake && how == QUERY_S3_IN_PLACE ? QUERY_S3_THREADS : 1;
        slot->session = query_session_open_ext(s->lake, &lo, threads, errstr, errstr_size);
        if (!slot->session)
            goto fail;
        slot->catalog_mtime = mt;
        slot->opened_ns = mono_ns();
    }
    return slot;
fail:
    pthread_mutex_lock(&s->qmu);
    slot->busy = 0;
    pthread_cond_signal(&s->qcv);
    pthread_mutex_unlock(&s->qmu);
    return NULL;
}

static void slot_release(serve_server *s, serve_slot *slot)
{
    pthread_mutex_lock(&s->qmu);
    slot->busy = 0;
    slot->cancel = NULL;
    pthread_cond_signal(&s->qcv);
    pthread_mutex_unlock(&s->qmu);
}

/* Runs sql in a slot, the rows as NDJSON (or CSV, or a Parquet file) into *out. */
static int run_sql(serve_server *s, const char *sql, query_out fmt, int64_t max_rows,
                   int64_t timeout_ms, int save, volatile sig_atomic_t *cancel, buf *out,
                   query_meta *meta, int *status, char *errstr, size_t errstr_size)
{
    memset(meta, 0, sizeof(*meta));
    serve_slot *slot = slot_acquire(s, status, errstr, errstr_size);
    if (!slot)
        return -1;
    volatile sig_atomic_t own_cancel = 0;
    capped_out co = {.cap = MAX_RESULT_BYTES, .cancel = cancel ? cancel : &own_cancel};
    buf_init(&co.b);
    /* Reachable by serve_api_cancel_all while it runs; under qmu, where
     * stop is seen set when the server stops before this. */
    pthread_mutex_lock(&s->qmu);
    slot->cancel = co.cancel;
    if (atomic_load(&s->stop))
        *co.cancel = 1;
    pthread_mutex_unlock(&s->qmu);
    FILE *f = fopencookie(&co, "w", (cookie_io_functions_t){.write = capped_write});
    if (!f) {
        slot_release(s, slot);
        *status = 500;
        return set_err(errstr, errstr_size, "out of memory");
    }
    query_opts o = {.format = fmt,
                    .out = f,
                    .max_rows = max_rows,
                    .timeout_ns = timeout_ms * 1000000LL,
                    .save = save,
                    .cancel = co.cancel,
                    /* A Parquet result is written whole before it is sent:
                     * its file stops the query as it passes the cap. */
                    .max_bytes = fmt == QUERY_OUT_PARQUET ? (int64_t)MAX_RESULT_BYTES : 0,
                    .too_large = &co.over};
    int64_t t0 = mono_ns();
    int rc = query_session_run(slot->session, sql, &o, meta, errstr, errstr_size);
    fclose(f);
    /* The slot is shared by every request: a session this query changed
     * (a view dropped or replaced, a transaction left open) goes. */
    if (query_session_changed(slot->session)) {
        query_session_close(slot->session);
        slot->session = NULL;
    }
    serve_hist_observe(&s->query_seconds, mono_ns() - t0);
    slot_release(s, slot);
    if (co.over) {
        buf_release(&co.b);
        meta->id[0] = '\0'; /* answered as an error, not as the cancelled query */
        *status = 413;
        return set_err(errstr, errstr_size,
                       "the result is larger than %zu MiB: ask for fewer rows (LIMIT, "
                       "max_rows) or fewer or narrower columns",
                       MAX_RESULT_BYTES >> 20);
    }
    buf_append(out, co.b.data, co.b.len);
    buf_release(&co.b);
    *status = rc == 0 ? 200 : 400;
    return rc;
}

/* --- the catalog -------------------------------------------------------- */

/* The lake's catalog into *c: 0; 1 when the lake has none yet; -1 with err
 * when it cannot be read. */
static int lake_catalog(serve_server *s, catalog **c, char *err, size_t err_size)
{
    *c = NULL;
    if (serve_catalog_mtime(s) < 0)
        return 1;
    return catalog_load(serve_lake_dir(s), c, err, err_size) == 0 ? 0 : -1;
}

static int load_catalog(serve_server *s, const http_request *r, catalog **c)
{
    char err[512];
    if (lake_catalog(s, c, err, sizeof(err)) != 0)
        return serve_error(r, 503, "the lake has no catalog yet (crawl it)");
    return 0;
}

static void put_time(buf *b, const char *key, int has, int64_t ns)
{
    buf_printf(b, ",\"%s\":", key);
    if (has)
        buf_put_int64(b, ns);
    else
        buf_puts(b, "null");
}

static void put_str(buf *b, const char *key, const char *v)
{
    buf_printf(b, "\"%s\":", key);
    if (v)
        buf_put_json_str(b, v, strlen(v));
    else
        buf_puts(b, "null");
}

static void put_columns(buf *b, const char *key, const catalog_column *c, size_t n)
{
    buf_printf(b, ",\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        buf_puts(b, i ? ",{" : "{");
        put_str(b, "name", c[i].name);
        buf_putc(b, ',');
        put_str(b, "type", c[i].type);
        buf_putc(b, '}');
    }
    buf_putc(b, ']');
}

int serve_api_tables(serve_server *s, const http_request *r)
{
    catalog *c;
    int st = load_catalog(s, r, &c);
    if (!c)
        return st;
    buf b;
    buf_init(&b);
    buf_printf(&b, "{\"version\":%lld,\"crawled_at_ns\":%lld,\"tables\":[", (long long)c->version,
               (long long)c->crawled_at_ns);
    for (size_t i = 0; i < c->ntables; i++) {
        const catalog_table *t = &c->tables[i];
        buf_puts(&b, i ? ",{" : "{");
        put_str(&b, "name", t->name);
        buf_putc(&b, ',');
        put_str(&b, "format", t->format);
        buf_printf(&b, ",\"rows\":%lld,\"bytes\":%lld,\"files\":%lld,\"partitions\":%zu,",
                   (long long)t->rows, (long long)t->bytes, (long long)t->files, t->npartitions);
        put_str(&b, "time_column", t->time_column);
        put_time(&b, "min_time_ns", t->has_time, t->min_time_ns);
        put_time(&b, "max_time_ns", t->has_time, t->max_time_ns);
        buf_printf(&b, ",\"deprecated\":%s", t->deprecated ? "true" : "false");
        put_columns(&b, "columns", t->columns, t->ncolumns);
        put_columns(&b, "partition_keys", t->partition_keys, t->nkeys);
        buf_putc(&b, '}');
    }
    buf_puts(&b, "]}\n");
    catalog_free(c);
    st = serve_json(s, r, 200, &b);
    buf_release(&b);
    return st;
}

/* what: 0 describe, 1 partitions, 2 DDL (?dialect=hive|trino). */
int serve_api_describe(serve_server *s, const http_request *r, const char *name, int what)
{
    catalog *c;
    int st = load_catalog(s, r, &c);
    if (!c)
        return st;
    const catalog_table *t = catalog_find_table(c, name);
    if (!t) {
        catalog_free(c);
        return serve_error(r, 404, "no such table");
    }
    buf b;
    buf_init(&b);
    buf_putc(&b, '{');
    put_str(&b, "name", t->name);
    buf_putc(&b, ',');
    put_str(&b, "location", t->location);
    if (what == 0) {
        buf_putc(&b, ',');
        put_str(&b, "format", t->format);
        put_columns(&b, "columns", t->columns, t->ncolumns);
        put_columns(&b, "partition_keys", t->partition_keys, t->nkeys);
        buf_printf(&b, ",\"rows\":%lld,\"bytes\":%lld,\"files\":%lld,", (long long)t->rows,
                   (long long)t->bytes, (long long)t->files);
        put_str(&b, "time_column", t->time_column);
        put_time(&b, "min_time_ns", t->has_time, t->min_time_ns);
        put_time(&b, "max_time_ns", t->has_time, t->max_time_ns);
    } else if (what == 1) {
        buf_puts(&b, ",\"partitions\":[");
        for (size_t i = 0; i < t->npartitions; i++) {
            const catalog_partition *p = &t->partitions[i];
            buf_puts(&b, i ? ",{\"values\":{" : "{\"values\":{");
            for (size_t k = 0; k < p->nvalues && k < t->nkeys; k++) {
                if (k)
                    buf_putc(&b, ',');
                buf_put_json_str(&b, t->partition_keys[k].name, strlen(t->partition_keys[k].name));
                buf_putc(&b, ':');
                buf_put_json_str(&b, p->values[k], strlen(p->values[k]));
            }
            buf_puts(&b, "},");
            put_str(&b, "location", p->location);
            buf_printf(&b, ",\"rows\":%lld,\"bytes\":%lld,\"files\":%zu,\"deprecated\":%s}",
                       (long long)p->rows, (long long)p->bytes, p->nfiles,
                       p->deprecated ? "true" : "false");
        }
        buf_putc(&b, ']');
    } else {
        char d[16], err[512];
        if (http_form_var(r->query, "dialect", 0, d, sizeof(d)) < 0)
            strcpy(d, "hive"); /* absent (the buffer is cleared then) or too long */
        if (strcmp(d, "hive") != 0 && strcmp(d, "trino") != 0) {
            buf_release(&b);
            catalog_free(c);
            return serve_error(r, 400, "dialect: hive or trino");
        }
        /* A local lake's folder means nothing to Athena or Trino: the
         * placeholder says where its copy in S3 goes. */
        const char *loc = s->local_lake ? "s3://BUCKET/PREFIX" : s->lake;
        buf ddl;
        buf_init(&ddl);
        if (catalog_ddl(t, loc, strcmp(d, "hive") == 0 ? CATALOG_DDL_HIVE : CATALOG_DDL_TRINO, 0,
                        &ddl, err, sizeof(err)) != 0) {
            buf_release(&ddl);
            buf_release(&b);
            catalog_free(c);
            return serve_error(r, 422, err);
        }
        buf_puts(&b, ",\"ddl\":");
        buf_put_json_str(&b, ddl.data ? ddl.data : "", ddl.len);
        buf_release(&ddl);
    }
    buf_puts(&b, "}\n");
    catalog_free(c);
    st = serve_json(s, r, 200, &b);
    buf_release(&b);
    return st;
}

/* --- queries ------------------------------------------------------------ */

static void put_meta(buf *b, const query_meta *m)
{
    buf_puts(b, "\"id\":");
    buf_put_json_str(b, m->id, strlen(m->id));
    buf_putc(b, ',');
    put_str(b, "status", m->status ? m->status : "FAILED");
    buf_putc(b, ',');
    put_str(b, "kind", m->kind);
    buf_printf(b, ",\"rows\":%lld,\"truncated\":%s,\"elapsed_ns\":%lld,\"bytes_scanned\":%lld,",
               (long long)m->rows, m->truncated ? "true" : "false", (long long)m->elapsed_ns,
               (long long)m->bytes_scanned);
    put_str(b, "error", m->error);
    buf_putc(b, ',');
    put_str(b, "sql", m->sql);
    buf_printf(b, ",\"submitted_ns\":%lld", (long long)m->submitted_ns);
}

/* At most this many columns in a JSON answer (CSV and Parquet have no limit). */
#define MAX_JSON_COLUMNS 4096

/* "columns" (the result's names, a JSON array; NULL: none) and the NDJSON
 * rows (one object each) as "data" (arrays of their values). -1 when a row
 * has more than MAX_JSON_COLUMNS members, -2 with the reason in err when a
 * row is not JSON this server can read back (nested deeper than json.c
 * takes); b is then incomplete, and no row is ever left out. */
static int put_rows(buf *b, const char *columns, const char *nd, size_t len, char *errstr,
                    size_t errstr_size)
{
    buf_puts(b, ",\"columns\":");
    buf_puts(b, columns ? columns : "[]");
    buf_puts(b, ",\"data\":[");
    serve_span *keys = xmalloc(MAX_JSON_COLUMNS * sizeof(*keys));
    serve_span *vals = xmalloc(MAX_JSON_COLUMNS * sizeof(*vals));
    int first_row = 1, rc = 0;
    int64_t row = 0;
    for (size_t i = 0; i < len && rc == 0;) {
        const char *nl = memchr(nd + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (nd + i)) : len - i;
        if (n == 0) {
            i++;
            continue;
        }
        row++;
        char err[128];
        /* Checked whole first; then each value goes out as the engine wrote
         * it: every digit of a HUGEINT or DECIMAL, lists and structs as JSON. */
        json_doc *d = json_parse(nd + i, n, err, sizeof(err));
        int k = d ? serve_json_members(nd + i, n, keys, vals, MAX_JSON_COLUMNS) : -1;
        json_doc_free(d);
        if (k > MAX_JSON_COLUMNS) {
            rc = -1;
        } else if (k < 0) {
            rc = -2;
            set_err(errstr, errstr_size, "row %lld cannot be sent as JSON (%s)", (long long)row,
                    d ? "not an object" : err);
        } else {
            buf_puts(b, first_row ? "[" : ",[");
            for (int c = 0; c < k; c++) {
                if (c)
                    buf_putc(b, ',');
                buf_append(b, vals[c].p, vals[c].n);
            }
            buf_putc(b, ']');
            first_row = 0;
        }
        i += n + 1;
    }
    free(keys);
    free(vals);
    buf_putc(b, ']');
    return rc;
}

int serve_api_query(serve_server *s, const http_request *r)
{
    char *body = xmalloc(s->max_body + 1);
    int64_t n = http_read_body(r, body, s->max_body);
    if (n < 0) {
        free(body);
        return n == -2 ? serve_error_with(r, 413, "request body too large", HTTP_CLOSE)
                       : serve_error(r, 400, "cannot read the request body");
    }
    body[n] = '\0';
    serve_query_req q;
    char err[1024];
    if (serve_query_parse(body, (size_t)n, 1000, s->max_rows, 30000, s->max_timeout_ms, &q, err,
                          sizeof(err)) != 0) {
        free(body);
        return serve_error(r, 400, err);
    }
    free(body);
    atomic_fetch_add(&s->queries, 1);
    buf out, b;
    buf_init(&out);
    buf_init(&b);
    query_meta meta;
    int status;
    /* A tagged query can be cancelled (serve_api_cancel) while it runs. */
    serve_running *run = NULL;
    if (q.tag[0]) {
        pthread_mutex_lock(&s->qmu);
        for (int i = 0; i < SERVE_MAX_RUNNING && !run; i++)
            if (!s->running[i].tag[0]) {
                run = &s->running[i];
                strlcpy_tl(run->tag, q.tag, sizeof(run->tag));
                run->cancel = 0;
            }
        pthread_mutex_unlock(&s->qmu);
    }
    /* A file format: its query output, content type and file name extension. */
    static const struct {
        query_out out;
        const char *type, *ext;
    } files[] = {
        [SERVE_FMT_JSON] = {QUERY_OUT_JSON, NULL, NULL},
        [SERVE_FMT_CSV] = {QUERY_OUT_CSV, "text/csv; charset=utf-8", "csv"},
        [SERVE_FMT_PARQUET] = {QUERY_OUT_PARQUET, "application/vnd.apache.parquet", "parquet"},
        [SERVE_FMT_ARROW] = {QUERY_OUT_ARROW, "application/vnd.apache.arrow.stream", "arrows"}};
    query_out fmt = files[q.format].out;
    int rc = run_sql(s, q.sql, fmt, q.max_rows, q.timeout_ms, 1, run ? &run->cancel : NULL, &out,
                     &meta, &status, err, sizeof(err));
    if (run) {
        pthread_mutex_lock(&s->qmu);
        run->tag[0] = '\0';
        pthread_mutex_unlock(&s->qmu);
    }
    if (rc != 0)
        atomic_fetch_add(&s->query_failures, 1);
    if (rc != 0 && atomic_load(&s->stop)) {
        status = 503; /* cancelled by serve_stop, or refused a slot */
        snprintf(err, sizeof(err), "the server is stopping: the query was cancelled%s%s%s",
                 meta.id[0] ? " (query " : "", meta.id, meta.id[0] ? ")" : "");
        meta.id[0] = '\0';
    }
    if (rc != 0 && !meta.id[0]) {
        serve_query_req_release(&q);
        buf_release(&out);
        buf_release(&b);
        query_meta_release(&meta);
        return serve_error(r, status, err);
    }
    if (rc == 0 && files[q.format].type) {
        char extra[200];
        snprintf(extra, sizeof(extra),
                 "Content-Disposition: attachment; filename=\"%s.%s\"\r\nX-Query-Id: "
                 "%s\r\nX-Truncated: %s\r\n",
                 meta.id, files[q.format].ext, meta.id, meta.truncated ? "true" : "false");
        status = http_reply(r, 200, files[q.format].type, extra, out.data, out.len);
    } else {
        buf_putc(&b, '{');
        put_meta(&b, &meta);
        char rerr[256];
        /* CREATE TABLE AS returns no rows: its line says what "rows" and
         * "table" in the metadata say. */
        int ctas = meta.kind && strcmp(meta.kind, "CTAS") == 0;
        int pr = rc == 0
                     ? put_rows(&b, meta.columns, out.data, ctas ? 0 : out.len, rerr, sizeof(rerr))
                     : 0;
        if (pr != 0) {
            /* Cut rows would not match the names, left-out ones would lie:
             * said instead. */
            char msg[512];
            if (pr == -1)
                snprintf(msg, sizeof(msg),
                         "the result has more than %d columns: ask for fewer, or for CSV or "
                         "Parquet (query %s)",
                         MAX_JSON_COLUMNS, meta.id);
            else
                snprintf(msg, sizeof(msg),
                         "%s: ask for CSV, Arrow or Parquet, or select the value as text "
                         "(query %s)",
                         rerr, meta.id);
            status = serve_error(r, pr == -1 ? 413 : 422, msg);
        } else {
            buf_puts(&b, "}\n");
            status = serve_json(s, r, status, &b);
        }
    }
    serve_query_req_release(&q);
    query_meta_release(&meta);
    buf_release(&out);
    buf_release(&b);
    return status;
}

int serve_api_cancel(serve_server *s, const http_request *r)
{
    char body[512], tag[40], err[300];
    int64_t n = http_read_body(r, body, sizeof(body) - 1);
    if (n < 0)
        return n == -2 ? serve_error_with(r, 413, "request body too large", HTTP_CLOSE)
                       : serve_error(r, 400, "cannot read the request body");
    body[n] = '\0';
    if (serve_cancel_parse(body, (size_t)n, tag, err, sizeof(err)) != 0)
        return serve_error(r, 400, err);
    int found = 0;
    pthread_mutex_lock(&s->qmu);
    for (int i = 0; i < SERVE_MAX_RUNNING; i++)
        if (s->running[i].tag[0] && strcmp(s->running[i].tag, tag) == 0) {
            s->running[i].cancel = 1;
            found++;
        }
    pthread_mutex_unlock(&s->qmu);
    if (!found) /* errors have one shape: {"error": ...} (API.md) */
        return serve_error(r, 404, "no running query has that tag");
    buf b;
    buf_init(&b);
    buf_printf(&b, "{\"cancelled\":%d}\n", found);
    int st = serve_json(s, r, 200, &b);
    buf_release(&b);
    return st;
}

int serve_api_history(serve_server *s, const http_request *r)
{
    query_meta *v;
    size_t n, skipped;
    char err[512];
    if (serve_lake_sync_results(s, err, sizeof(err)) != 0 ||
        query_history_load(serve_lake_dir(s), &v, &n, &skipped, err, sizeof(err)) != 0)
        return serve_error(r, 500, err);
    buf b;
    buf_init(&b);
    buf_puts(&b, "{\"queries\":[");
    size_t shown = 0;
    for (size_t i = n; i-- > 0 && shown < 200; shown++) {
        buf_puts(&b, shown ? ",{" : "{");
        put_meta(&b, &v[i]);
        buf_putc(&b, '}');
    }
    buf_puts(&b, "]}\n");
    query_history_free(v, n);
    int st = serve_json(s, r, 200, &b);
    buf_release(&b);
    return st;
}

int serve_api_result(serve_server *s, const http_request *r, const char *id)
{
    return serve_lake_result(s, r, id);
}

/* --- bars, alerts, symbols, the overview -------------------------------- */

/* The table bars of interval iv come from, into table and *src_iv: of the
 * sink's bars_<interval> tables (the canonical name, partitioned by date: a
 * table a query made, bars_01m say, is neither), the coarsest whose
 * interval divides iv: the fewest rows to bucket, and no partial bucket
 * where the lake ends (1m from bars_1s would end on part of a minute that
 * the stream's closed 1m bar then could not replace). 0; 1 when the lake
 * has none; -1 with err when its catalog cannot be read. */
static int bars_source(serve_server *s, int64_t iv, char *table, size_t size, int64_t *src_iv,
                       char *err, size_t err_size)
{
    catalog *c;
    int rc = lake_catalog(s, &c, err, err_size);
    if (rc != 0)
        return rc;
    int64_t best = 0;
    for (size_t i = 0; i < c->ntables; i++) {
        const catalog_table *t = &c->tables[i];
        const char *n = t->name;
        int64_t tiv;
        char canon[32];
        if (strncmp(n, "bars_", 5) != 0 || t->deprecated || interval_parse(n + 5, &tiv) != 0 ||
            tiv <= 0 || iv % tiv != 0)
            continue;
        interval_name(tiv, canon, sizeof(canon));
        if (strcmp(n + 5, canon) != 0 || t->nkeys == 0 ||
            strcmp(t->partition_keys[0].name, "date") != 0)
            continue;
        if (tiv > best) {
            best = tiv;
            strlcpy_tl(table, n, size);
        }
    }
    catalog_free(c);
    *src_iv = best;
    return best ? 0 : 1;
}

/* 1 when the lake's catalog has table name; 0 when not (or no catalog yet);
 * -1 with err when the catalog cannot be read. */
static int lake_has_table(serve_server *s, const char *name, char *err, size_t err_size)
{
    catalog *c;
    int rc = lake_catalog(s, &c, err, err_size);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    int found = 0;
    for (size_t i = 0; i < c->ntables && !found; i++)
        found = strcmp(c->tables[i].name, name) == 0;
    catalog_free(c);
    return found;
}

/* The length of the bar line of out at start, and its time into *t; 0 when
 * it is not one. */
static size_t lake_line(const buf *out, size_t start, int64_t *t)
{
    const char *line = out->data + start;
    const char *nl = memchr(line, '\n', out->len - start);
    size_t n = nl ? (size_t)(nl - line) : out->len - start;
    char err[128];
    json_doc *d = json_parse(line, n, err, sizeof(err));
    int ok = d && json_get_int(json_root(d), "t", t) == 0;
    json_doc_free(d);
    return ok ? n : 0;
}

int serve_api_bars(serve_server *s, const http_request *r)
{
    char sym[64], ivs[32], v[64], err[512];
    if (http_form_var(r->query, "symbol", 0, sym, sizeof(sym)) <= 0 || !serve_symbol_valid(sym))
        return serve_error(r, 400, "symbol: required, e.g. symbol=SYM000");
    int64_t iv;
    int ivn = http_form_var(r->query, "interval", 0, ivs, sizeof(ivs));
    if (ivn == -1)
        strcpy(ivs, "1m"); /* absent: the library cleared the buffer */
    if (ivn == -2 || interval_parse(ivs, &iv) != 0 || iv <= 0 || iv > BAR_MAX_INTERVAL_NS)
        return serve_error(r, 400, "interval: e.g. 1s, 1m, 5m, 1h");
    int64_t to = now_ns() + 86400 * NS_PER_SEC, from = 0, limit = 5000;
    /* -2: longer than v, which no valid value is (not the default). */
    int vn = http_form_var(r->query, "from", 0, v, sizeof(v));
    if (vn == -2 || (vn >= 0 && serve_parse_time(v, &from) != 0))
        return serve_error(r, 400, "from: seconds since the epoch or YYYY-MM-DD[THH:MM:SSZ]");
    vn = http_form_var(r->query, "to", 0, v, sizeof(v));
    if (vn == -2 || (vn >= 0 && serve_parse_time(v, &to) != 0))
        return serve_error(r, 400, "to: seconds since the epoch or YYYY-MM-DD[THH:MM:SSZ]");
    vn = http_form_var(r->query, "limit", 0, v, sizeof(v));
    if (vn == -2 || (vn >= 0 && parse_int64(v, 1, 100000, &limit) != 0))
        return serve_error(r, 400, "limit: 1 to 100000");
    buf b, out;
    buf_init(&b);
    buf_init(&out);
    buf_puts(&b, "{\"symbol\":");
    buf_put_json_str(&b, sym, strlen(sym));
    buf_printf(&b, ",\"interval\":\"%s\",\"bars\":[", ivs);
    int64_t last = INT64_MIN;
    size_t nb = 0, nlines = 0, *starts = NULL; /* the lake's bars: lines of out, newest first */
    int lake_failed = 0;
    char table[80];
    int64_t src_iv;
    int src = bars_source(s, iv, table, sizeof(table), &src_iv, err, sizeof(err));
    if (src < 0) {
        lake_failed = 1;
        LOG_WARN("serve: bars from the lake: %s", err);
    } else if (src == 0) {
        /* The last revision of each source bar, then buckets of iv. */
        char *sql = xprintf(
            "SELECT (epoch_ns(window_start) // %lld) * %lld AS t, arg_min(open, window_start) AS o,"
            " max(high) AS h, min(low) AS l, arg_max(close, window_start) AS c,"
            " sum(volume) AS v, sum(trades) AS n FROM (SELECT * FROM %s WHERE symbol = '%s'"
            " AND window_start >= make_timestamp_ns(%lld) AND window_start < "
            "make_timestamp_ns(%lld)"
            " QUALIFY row_number() OVER (PARTITION BY window_start ORDER BY revision DESC) = 1)"
            " GROUP BY 1 ORDER BY 1 DESC LIMIT %lld",
            (long long)iv, (long long)iv, table, sym, (long long)from, (long long)to,
            (long long)limit);
        query_meta meta;
        int status;
        int rc = run_sql(s, sql, QUERY_OUT_JSON, limit, 10000, 0, NULL, &out, &meta, &status, err,
                         sizeof(err));
        free(sql);
        query_meta_release(&meta);
        if (rc == 0) {
            /* Newest first from SQL (for the limit): written below in time order. */
            size_t cap = 0;
            for (size_t i = 0; i < out.len;) {
                const char *nl = memchr(out.data + i, '\n', out.len - i);
                size_t n = nl ? (size_t)(nl - out.data - i) : out.len - i;
                if (n) {
                    if (nlines == cap) {
                        cap = cap ? 2 * cap : 256;
                        starts = xrealloc(starts, cap * sizeof(size_t));
                    }
                    starts[nlines++] = i;
                }
                i += n + 1;
            }
            if (nlines > 0) /* the lake's newest bar: the stream's continue after it */
                lake_line(&out, starts[0], &last);
        } else {
            /* Said in the answer: the client then knows the history is missing. */
            lake_failed = 1;
            if (status == 503)
                LOG_DEBUG("serve: bars from the lake: %s", err);
            else
                LOG_WARN("serve: bars from the lake: %s", err);
        }
    }
    /* Then the closed bars the stream saw after the lake's last one; of
     * both, the newest limit. */
    serve_bar *live;
    size_t nl = serve_stream_bars(s, sym, iv, last, &live), nlive = 0;
    for (size_t i = 0; i < nl; i++)
        nlive += live[i].start >= from && live[i].start < to;
    size_t skip = nlines + nlive > (size_t)limit ? nlines + nlive - (size_t)limit : 0;
    size_t skip_lake = skip < nlines ? skip : nlines, skip_live = skip - skip_lake;
    for (size_t k = nlines - skip_lake; k-- > 0;) {
        int64_t t;
        size_t n = lake_line(&out, starts[k], &t);
        if (n) {
            buf_puts(&b, nb++ ? "," : "");
            buf_append(&b, out.data + starts[k], n);
        }
    }
    free(starts);
    for (size_t i = 0; i < nl; i++) {
        if (live[i].start < from || live[i].start >= to || (skip_live && skip_live--))
            continue;
        buf_puts(&b, nb++ ? "," : "");
        buf_printf(&b, "{\"t\":%lld,\"o\":", (long long)live[i].start);
        json_put_double(&b, live[i].open);
        buf_puts(&b, ",\"h\":");
        json_put_double(&b, live[i].high);
        buf_puts(&b, ",\"l\":");
        json_put_double(&b, live[i].low);
        buf_puts(&b, ",\"c\":");
        json_put_double(&b, live[i].close);
        buf_printf(&b, ",\"v\":%lld,\"n\":%lld,\"live\":true}", (long long)live[i].volume,
                   (long long)live[i].trades);
    }
    free(live);
    buf_putc(&b, ']');
    if (lake_failed) {
        buf_puts(&b, ",\"lake_error\":");
        buf_put_json_str(&b, err, strlen(err));
    }
    buf_puts(&b, "}\n");
    int st = serve_json(s, r, 200, &b);
    buf_release(&b);
    buf_release(&out);
    return st;
}

int serve_api_alerts(serve_server *s, const http_request *r)
{
    char sym[64] = "", v[32];
    int64_t limit = 200;
    if (http_form_var(r->query, "symbol", 0, sym, sizeof(sym)) > 0 && !serve_symbol_valid(sym))
        return serve_error(r, 400, "symbol: not a symbol");
    if (http_form_var(r->query, "limit", 0, v, sizeof(v)) >= 0 &&
        parse_int64(v, 1, SERVE_ALERT_RING, &limit) != 0)
        return serve_error(r, 400, "limit: 1 to 1000");
    buf b;
    buf_init(&b);
    buf_puts(&b, "{\"source\":");
    if (s->streaming) {
        /* The recent live alerts, newest first. */
        buf_puts(&b, "\"stream\",\"alerts\":[");
        size_t shown = 0;
        pthread_mutex_lock(&s->hub.mu);
        for (size_t k = 0; k < s->hub.nalerts && (int64_t)shown < limit; k++) {
            size_t i = (s->hub.alerts_head + SERVE_ALERT_RING - 1 - k) % SERVE_ALERT_RING;
            const char *a = s->hub.alerts[i];
            if (sym[0]) {
                char want[80];
                snprintf(want, sizeof(want), "\"symbol\":\"%s\"", sym);
                if (!strstr(a, want))
                    continue;
            }
            buf_puts(&b, shown++ ? "," : "");
            buf_puts(&b, a);
        }
        pthread_mutex_unlock(&s->hub.mu);
        buf_puts(&b, "]}\n");
    } else {
        /* No stream: the lake's alerts table (none yet: no alerts). */
        char err[512];
        int has = lake_has_table(s, "alerts", err, sizeof(err));
        char *sql =
            has <= 0 ? NULL
                     : xprintf("SELECT symbol, epoch_ns(ts) AS ts, kind, value, threshold, "
                               "bar_interval, epoch_ns(bar_start) AS bar_start FROM alerts%s%s%s "
                               "ORDER BY ts DESC LIMIT %lld",
                               sym[0] ? " WHERE symbol = '" : "", sym, sym[0] ? "'" : "",
                               (long long)limit);
        buf out;
        buf_init(&out);
        query_meta meta;
        int status = 500, rc = has < 0 ? -1 : 0;
        if (sql) {
            rc = run_sql(s, sql, QUERY_OUT_JSON, limit, 10000, 0, NULL, &out, &meta, &status, err,
                         sizeof(err));
            free(sql);
            query_meta_release(&meta);
        }
        buf_puts(&b, "\"lake\",\"alerts\":[");
        for (size_t i = 0, k = 0; rc == 0 && i < out.len;) {
            const char *nl = memchr(out.data + i, '\n', out.len - i);
            size_t n = nl ? (size_t)(nl - out.data - i) : out.len - i;
            if (n) {
                buf_puts(&b, k++ ? "," : "");
                buf_append(&b, out.data + i, n);
            }
            i += n + 1;
        }
        buf_release(&out);
        buf_putc(&b, ']');
        if (rc != 0) {
            if (status != 503)
                LOG_WARN("serve: alerts from the lake: %s", err);
            buf_puts(&b, ",\"lake_error\":");
            buf_put_json_str(&b, err, strlen(err));
        }
        buf_puts(&b, "}\n");
    }
    int st = serve_json(s, r, 200, &b);
    buf_release(&b);
    return st;
}

/* A symbol's overview row, copied out under the hub's lock (a whole
 * serve_sym, with its forming bars, is 1.5 KiB: 1.5 MB per request at 1,000
 * symbols, with the stream's consumer waiting on the lock). */
typedef struct sym_row {
    char name[32];
    serve_summary sum;
} sym_row;

static int sym_cmp(const void *a, const void *b)
{
    return strcmp(((const sym_row *)a)->name, ((const sym_row *)b)->name);
}

/* symbols=1: names only; else the overview: last, change since the
 * stream's first trade, high, low, volume, trades. */
static int live_symbols(serve_server *s, const http_request *r, int names_only)
{
    buf b;
    buf_init(&b);
    buf_puts(&b, "{\"symbols\":[");
    pthread_mutex_lock(&s->hub.mu);
    size_t total = s->streaming ? s->hub.nsyms : 0, n = 0;
    sym_row *rows = total ? xmalloc(total * sizeof(sym_row)) : NULL;
    for (size_t i = 0; i < total; i++) {
        const serve_sym *y = &s->hub.syms[i];
        if (!y->sum.trades && !y->chain_last)
            continue; /* known only from a stream client's symbols= */
        memcpy(rows[n].name, y->name, sizeof(rows[n].name));
        rows[n++].sum = y->sum;
    }
    pthread_mutex_unlock(&s->hub.mu);
    qsort(rows, n, sizeof(sym_row), sym_cmp);
    for (size_t i = 0; i < n; i++) {
        const char *name = rows[i].name;
        const serve_summary *y = &rows[i].sum;
        if (i)
            buf_putc(&b, ',');
        if (names_only) {
            buf_put_json_str(&b, name, strlen(name));
            continue;
        }
        buf_puts(&b, "{\"symbol\":");
        buf_put_json_str(&b, name, strlen(name));
        buf_puts(&b, ",\"last\":");
        json_put_double(&b, y->last);
        buf_puts(&b, ",\"first\":");
        json_put_double(&b, y->first);
        buf_puts(&b, ",\"change_pct\":");
        json_put_double(&b, y->first > 0 ? (y->last / y->first - 1) * 100 : 0);
        buf_puts(&b, ",\"high\":");
        json_put_double(&b, y->high);
        buf_puts(&b, ",\"low\":");
        json_put_double(&b, y->low);
        buf_printf(&b, ",\"volume\":%lld,\"trades\":%lld,\"last_ts\":%lld}", (long long)y->volume,
                   (long long)y->trades, (long long)y->last_ts);
    }
    free(rows);
    buf_puts(&b, "]}\n");
    int st = serve_json(s, r, 200, &b);
    buf_release(&b);
    return st;
}

int serve_api_symbols(serve_server *s, const http_request *r)
{
    return live_symbols(s, r, 1);
}

int serve_api_overview(serve_server *s, const http_request *r)
{
    return live_symbols(s, r, 0);
}
