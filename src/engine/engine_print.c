/* engine_print.c - query output: an aligned TABLE, CSV, NDJSON and ARROW (each chunk converted
 * by DuckDB to Arrow C data interface arrays, written by arrow_ipc.c), under a watchdog that
 * interrupts a script on a timeout or a cancel.
 *
 * Rows come from the result stream (engine_result.c) and are written as they
 * come. Only TABLE output buffers: the first ENGINE_TABLE_BUFFER_ROWS rows (or
 * ENGINE_TABLE_BUFFER_BYTES of rendered text, whichever comes first) decide
 * the column widths; rows after that are printed as they come with those
 * widths, a longer value overflowing its column. CSV quotes as RFC 4180 says
 * (fields with a comma, quote, CR or LF, and empty strings, so that NULL, an
 * empty field, stays distinct) but ends lines with LF rather than CRLF, for
 * shell tools. */
#include "engine_internal.h"

#include "arrow_ipc.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ENGINE_TABLE_BUFFER_ROWS 10000
#define ENGINE_TABLE_BUFFER_BYTES (64u << 20)

static int write_out(FILE *out, const buf *b, char *errstr, size_t errstr_size)
{
    if (b->len && fwrite(b->data, 1, b->len, out) != b->len)
        return set_err(errstr, errstr_size, "unable to write query output");
    return 0;
}

static void put_csv_field(buf *out, const char *p, size_t n)
{
    int quote = n == 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = p[i] == ',' || p[i] == '"' || p[i] == '\r' || p[i] == '\n';
    if (!quote) {
        buf_append(out, p, n);
        return;
    }
    buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"')
            buf_putc(out, '"');
        buf_putc(out, p[i]);
    }
    buf_putc(out, '"');
}

/* Display width of UTF-8 text: one column per code point. */
static size_t text_width(const char *p, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)p[i] & 0xC0) != 0x80;
    return w;
}

/* A TABLE cell: the text form with control characters shown as escapes, so
 * that every row stays on one line. */
static void put_table_cell(buf *out, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\n')
            buf_puts(out, "\\n");
        else if (c == '\r')
            buf_puts(out, "\\r");
        else if (c == '\t')
            buf_puts(out, "\\t");
        else if (c < 32)
            buf_printf(out, "\\x%02X", c);
        else
            buf_putc(out, (char)c);
    }
}

typedef struct table_state {
    size_t ncols;
    const char **names;
    const int *numeric;
    size_t *width;
    buf cells;    /* buffered rows: cell texts, each NUL-terminated */
    size_t nrows; /* rows in cells */
    int flushed;  /* widths fixed and header printed */
} table_state;

static void table_pad(buf *line, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_putc(line, ' ');
}

/* Appends one row (ncols NUL-separated cells at p) to line, aligned. */
static void table_row(const table_state *t, buf *line, const char *const *cells)
{
    size_t start = line->len;
    for (size_t c = 0; c < t->ncols; c++) {
        size_t n = strlen(cells[c]);
        size_t w = text_width(cells[c], n);
        size_t pad = t->width[c] > w ? t->width[c] - w : 0;
        if (c)
            buf_puts(line, "  ");
        if (t->numeric[c])
            table_pad(line, pad);
        buf_append(line, cells[c], n);
        if (!t->numeric[c])
            table_pad(line, pad);
    }
    while (line->len > start && line->data[line->len - 1] == ' ')
        line->len--;
    line->data[line->len] = '\0';
    buf_putc(line, '\n');
}

static int table_flush(table_state *t, FILE *out, char *errstr, size_t errstr_size)
{
    buf line = {0};
    const char **cells = calloc(t->ncols ? t->ncols : 1, sizeof(*cells));
    if (!cells)
        return set_err(errstr, errstr_size, "out of memory");
    if (!t->flushed) {
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = text_width(t->names[c], strlen(t->names[c]));
            if (w > t->width[c])
                t->width[c] = w;
        }
        table_row(t, &line, t->names);
        size_t start = line.len;
        for (size_t c = 0; c < t->ncols; c++) {
            if (c)
                buf_puts(&line, "  ");
            for (size_t i = 0; i < t->width[c]; i++)
                buf_putc(&line, '-');
        }
        while (line.len > start && line.data[line.len - 1] == ' ')
            line.len--;
        buf_putc(&line, '\n');
        t->flushed = 1;
    }
    const char *p = t->cells.data;
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            cells[c] = p;
            p += strlen(p) + 1;
        }
        table_row(t, &line, cells);
        if (line.len > 65536) {
            if (write_out(out, &line, errstr, errstr_size) != 0)
                goto fail;
            buf_reset(&line);
        }
    }
    /* The buffered rows are exactly nrows rows of ncols cells. */
    TL_ASSERT(t->nrows == 0 || (size_t)(p - t->cells.data) == t->cells.len);
    if (write_out(out, &line, errstr, errstr_size) != 0)
        goto fail;
    buf_reset(&t->cells);
    t->nrows = 0;
    buf_release(&line);
    free(cells);
    return 0;
fail:
    buf_release(&line);
    free(cells);
    return -1;
}

/* The watchdog of engine_query_run: interrupts the connection when the
 * deadline passes before the query ends. */
typedef struct watchdog {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, fired, cancelled;
    int64_t timeout_ns; /* 0: none */
    volatile sig_atomic_t *cancel;
    duckdb_connection con;
    pthread_t th;
} watchdog;

static void *watchdog_main(void *arg)
{
    watchdog *w = arg;
    int64_t end = w->timeout_ns > 0 ? mono_ns() + w->timeout_ns : INT64_MAX;
    pthread_mutex_lock(&w->mu);
    while (!w->done) {
        /* Wake every 50 ms to look at the cancel flag, or at the deadline. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t now = (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
        int64_t wake = w->cancel ? now + 50000000 : end;
        if (wake > end)
            wake = end;
        ts.tv_sec = (time_t)(wake / NS_PER_SEC);
        ts.tv_nsec = (long)(wake % NS_PER_SEC);
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        if (w->done)
            break;
        if (w->cancel && *w->cancel) {
            w->cancelled = 1;
            duckdb_interrupt(w->con);
            break;
        }
        if (mono_ns() >= end) {
            w->fired = 1;
            duckdb_interrupt(w->con);
            break;
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static int watchdog_start(watchdog *w, duckdb_connection con, int64_t timeout_ns,
                          volatile sig_atomic_t *cancel)
{
    memset(w, 0, sizeof(*w));
    w->timeout_ns = timeout_ns;
    w->cancel = cancel;
    w->con = con;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->th, NULL, watchdog_main, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        return -1;
    }
    return 0;
}

/* Stops the watchdog: 1 if it interrupted the query for the timeout, 2 for
 * a cancel, else 0. */
static int watchdog_stop(watchdog *w)
{
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    return w->fired ? 1 : w->cancelled ? 2 : 0;
}

/* Renders one row as a CSV line (with LF) into line. */
static void csv_row(buf *line, buf *cell, duckdb_vector *vecs, const engine_result *q, idx_t row)
{
    for (size_t c = 0; c < q->ncols; c++) {
        if (c)
            buf_putc(line, ',');
        if (!engine_is_valid(vecs[c], row))
            continue;
        buf_reset(cell);
        engine_render(cell, vecs[c], q->types[c], row, R_TEXT, 0);
        put_csv_field(line, cell->data ? cell->data : "", cell->len);
    }
    buf_puts(line, "\n");
}

/* Arrow output of a result: DuckDB's schema and options, taken at the start. */
typedef struct arrow_out {
    duckdb_arrow_options opts;
    struct ArrowSchema schema;
    int have_schema;
} arrow_out;

/* Copies a DuckDB error (and frees it); -1 when there was one. */
static int arrow_err(duckdb_error_data ed, const char *what, char *errstr, size_t errstr_size)
{
    if (!ed)
        return 0;
    int rc = 0;
    if (duckdb_error_data_has_error(ed))
        rc = set_err(errstr, errstr_size, "Arrow output: %s: %s", what,
                     duckdb_error_data_message(ed));
    duckdb_destroy_error_data(&ed);
    return rc;
}

/* The Schema message of q's columns into out. */
static int arrow_start(arrow_out *a, engine_result *q, buf *out, char *errstr, size_t errstr_size)
{
    memset(a, 0, sizeof(*a));
    a->opts = duckdb_result_get_arrow_options(&q->res);
    if (arrow_err(duckdb_to_arrow_schema(a->opts, q->types, q->names, q->ncols, &a->schema),
                  "the schema", errstr, errstr_size) != 0)
        return -1;
    a->have_schema = 1;
    return arrow_ipc_schema(&a->schema, out, errstr, errstr_size);
}

/* The first rows rows of chunk as a RecordBatch message into out. */
static int arrow_chunk(arrow_out *a, duckdb_data_chunk chunk, int64_t rows, buf *out, char *errstr,
                       size_t errstr_size)
{
    struct ArrowArray arr;
    memset(&arr, 0, sizeof(arr));
    if (arrow_err(duckdb_data_chunk_to_arrow(a->opts, chunk, &arr), "a chunk", errstr,
                  errstr_size) != 0)
        return -1;
    int rc = arrow_ipc_batch(&a->schema, &arr, rows, out, errstr, errstr_size);
    if (arr.release)
        arr.release(&arr);
    return rc;
}

static void arrow_end(arrow_out *a)
{
    if (a->have_schema && a->schema.release)
        a->schema.release(&a->schema);
    if (a->opts)
        duckdb_destroy_arrow_options(&a->opts);
}

static int run_rows(engine *e, engine_result *q, const engine_run_opts *o, engine_run_stats *st,
                    char *errstr, size_t errstr_size)
{
    size_t nc = q->ncols;
    FILE *out = o->out;
    engine_out_format fmt = o->fmt;
    int *numeric = calloc(nc ? nc : 1, sizeof(*numeric));
    size_t *width = calloc(nc ? nc : 1, sizeof(*width));
    if (!numeric || !width) {
        free(numeric);
        free(width);
        return set_err(errstr, errstr_size, "out of memory");
    }
    for (size_t c = 0; c < nc; c++)
        numeric[c] = engine_type_is_numeric(q->ids[c]);
    table_state t = {.ncols = nc, .names = q->names, .numeric = numeric, .width = width};
    buf line = {0}, cell = {0}, csv = {0};
    int64_t rows = 0;
    int rc = 0, want_csv = o->csv || (out && fmt == ENGINE_OUT_CSV);
    int want_arrow = out && fmt == ENGINE_OUT_ARROW;
    arrow_out arrow;
    if (want_arrow)
        rc = arrow_start(&arrow, q, &line, errstr, errstr_size);

    if (want_csv) {
        for (size_t c = 0; c < nc; c++) {
            if (c)
                buf_putc(&csv, ',');
            put_csv_field(&csv, q->names[c], strlen(q->names[c]));
        }
        buf_puts(&csv, "\n");
    }
    duckdb_data_chunk chunk;
    int stop = 0;
    while (rc == 0 && !stop && (chunk = duckdb_fetch_chunk(q->res)) != NULL) {
        idx_t n = duckdb_data_chunk_get_size(chunk);
        duckdb_vector vecs[nc ? nc : 1];
        for (size_t c = 0; c < nc; c++)
            vecs[c] = duckdb_data_chunk_get_vector(chunk, c);
        if (want_arrow) {
            /* The whole chunk, or what max_rows leaves of it; the loop below counts it. */
            int64_t take = (int64_t)n;
            if (o->max_rows > 0 && rows + take > o->max_rows)
                take = o->max_rows > rows ? o->max_rows - rows : 0;
            if (take > 0)
                rc = arrow_chunk(&arrow, chunk, take, &line, errstr, errstr_size);
        }
        for (idx_t row = 0; row < n && rc == 0; row++) {
            if (o->max_rows > 0 && rows >= o->max_rows) {
                st->truncated = 1;
                stop = 1;
                break;
            }
            if (want_csv)
                csv_row(&csv, &cell, vecs, q, row);
            if (out && fmt == ENGINE_OUT_JSON) {
                buf_putc(&line, '{');
                for (size_t c = 0; c < nc; c++) {
                    if (c)
                        buf_putc(&line, ',');
                    buf_put_json_str(&line, q->names[c], strlen(q->names[c]));
                    buf_putc(&line, ':');
                    engine_render(&line, vecs[c], q->types[c], row, R_JSON, 0);
                }
                buf_puts(&line, "}\n");
            } else if (out && fmt == ENGINE_OUT_TABLE) {
                for (size_t c = 0; c < nc; c++) {
                    buf_reset(&cell);
                    if (engine_is_valid(vecs[c], row))
                        engine_render(&cell, vecs[c], q->types[c], row, R_TEXT, 0);
                    else
                        buf_puts(&cell, "NULL");
                    size_t start = t.cells.len;
                    put_table_cell(&t.cells, cell.data ? cell.data : "", cell.len);
                    size_t w = text_width(t.cells.data + start, t.cells.len - start);
                    if (!t.flushed && w > width[c])
                        width[c] = w;
                    buf_putc(&t.cells, '\0');
                }
                t.nrows++;
                /* Until the widths are fixed, buffer up to the limit; after
                 * that, print in small batches. */
                int full = t.flushed ? t.nrows >= 256 || t.cells.len >= 65536
                                     : t.nrows >= ENGINE_TABLE_BUFFER_ROWS ||
                                           t.cells.len >= ENGINE_TABLE_BUFFER_BYTES;
                if (full && (rc = table_flush(&t, out, errstr, errstr_size)) != 0)
                    break;
            }
            rows++;
            if (csv.len >= 65536) {
                if (o->csv)
                    rc = write_out(o->csv, &csv, errstr, errstr_size);
                if (rc == 0 && out && fmt == ENGINE_OUT_CSV)
                    rc = write_out(out, &csv, errstr, errstr_size);
                buf_reset(&csv);
            }
            if (rc == 0 && line.len >= 65536) {
                rc = write_out(out, &line, errstr, errstr_size);
                buf_reset(&line);
            }
            if (rc != 0)
                break;
        }
        duckdb_destroy_data_chunk(&chunk);
    }
    if (rc == 0 && !stop)
        rc = engine_result_check(q, errstr, errstr_size);
    if (rc == 0 && out && fmt == ENGINE_OUT_TABLE) {
        rc = table_flush(&t, out, errstr, errstr_size);
        if (rc == 0)
            buf_printf(&line, "(%" PRId64 " row%s%s)\n", rows, rows == 1 ? "" : "s",
                       st->truncated ? ", truncated" : "");
    }
    if (rc == 0 && want_arrow)
        arrow_ipc_end(&line);
    if (want_arrow)
        arrow_end(&arrow);
    if (rc == 0 && o->csv)
        rc = write_out(o->csv, &csv, errstr, errstr_size);
    if (rc == 0 && out && fmt == ENGINE_OUT_CSV)
        rc = write_out(out, &csv, errstr, errstr_size);
    if (rc == 0 && out)
        rc = write_out(out, &line, errstr, errstr_size);
    if (rc == 0 && out && fflush(out) != 0)
        rc = set_err(errstr, errstr_size, "unable to write query output");
    if (rc == 0 && o->csv && fflush(o->csv) != 0)
        rc = set_err(errstr, errstr_size, "unable to write the CSV result");
    st->rows = rows;
    buf_release(&line);
    buf_release(&cell);
    buf_release(&csv);
    buf_release(&t.cells);
    free(numeric);
    free(width);
    (void)e;
    return rc;
}

int engine_query_run(engine *e, const char *sql, const engine_run_opts *o, engine_run_stats *st,
                     char *errstr, size_t errstr_size)
{
    engine_run_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof(*st));
    watchdog w;
    int have_wd = (o->timeout_ns > 0 || o->cancel) &&
                  watchdog_start(&w, e->con, o->timeout_ns, o->cancel) == 0;
    engine_result q;
    int rc = engine_result_start(e, sql, &q, o->check, o->check_opaque, errstr, errstr_size);
    if (rc == 0) {
        st->statement = (engine_stmt)duckdb_prepared_statement_type(q.ps);
        if (!engine_result_empty(&q)) {
            st->has_result = 1;
            st->columns = (int64_t)q.ncols;
            if (o->names) {
                buf_reset(o->names);
                buf_putc(o->names, '[');
                for (size_t c = 0; c < q.ncols; c++) {
                    if (c)
                        buf_putc(o->names, ',');
                    buf_put_json_str(o->names, q.names[c], strlen(q.names[c]));
                }
                buf_putc(o->names, ']');
            }
            if (o->lead && o->out)
                fputs(o->lead, o->out);
            rc = run_rows(e, &q, o, st, errstr, errstr_size);
        }
        engine_result_end(&q);
    }
    int why = have_wd ? watchdog_stop(&w) : 0;
    if (why == 1) {
        st->timed_out = 1;
        rc = set_err(errstr, errstr_size, "query timed out after %.3g s",
                     (double)o->timeout_ns / NS_PER_SEC);
    } else if (why == 2) {
        st->cancelled = 1;
        rc = set_err(errstr, errstr_size, "query cancelled");
    }
    return rc;
}

int engine_query_print(engine *e, const char *sql, engine_out_format fmt, FILE *out,
                       int64_t *rows_out, char *errstr, size_t errstr_size)
{
    engine_run_opts o = {.fmt = fmt, .out = out};
    engine_run_stats st;
    int rc = engine_query_run(e, sql, &o, &st, errstr, errstr_size);
    if (rows_out)
        *rows_out = st.rows;
    return rc;
}
