/* engine.c - the one home of DuckDB: SQL execution, result output, Parquet writing; see engine.h.
 *
 * Results are read chunk by chunk (duckdb_fetch_chunk over a streaming result)
 * and every value is rendered here from the vectors, so CSV and JSON output and
 * engine_query_rows never hold a whole result in memory. Only TABLE output
 * buffers: the first ENGINE_TABLE_BUFFER_ROWS rows (or ENGINE_TABLE_BUFFER_BYTES
 * of rendered text, whichever comes first) decide the column widths; rows after
 * that are printed as they come with those widths, a longer value overflowing
 * its column.
 *
 * Text rendering follows DuckDB's CAST(x AS VARCHAR) for scalar types (doubles
 * as shortest round-trip digits, "100.0", "1e+16"; timestamps as
 * "2026-01-02 03:04:05.123456789"; TIMESTAMP WITH TIME ZONE in UTC with "+00",
 * the engine's session time zone being UTC). Nested values use DuckDB's
 * notation ([1, 2], {'a': 1}, {k=v}). BIGNUM and other rare types are shown as
 * "<TYPE>": cast them to VARCHAR in SQL. In JSON, numbers are numbers (NaN and
 * infinities null), timestamps ISO-8601 strings in UTC ("...T...Z"), lists
 * arrays, structs and maps objects. CSV quotes as RFC 4180 says (fields with
 * a comma, quote, CR or LF, and empty strings, so that NULL, an empty field,
 * stays distinct) but ends lines with LF rather than CRLF, for shell tools.
 *
 * The sink's Parquet files come from rows buffered in C (rowbuf.h), already
 * sorted: a table function (tl_rowbuf_scan) hands them to COPY one vector at
 * a time, written straight into the output chunk's vectors, so no table,
 * appender or ORDER BY stands between the buffer and the Parquet writer.
 * TIMESTAMP_NS vectors hold int64 nanoseconds, so timestamps are exact. */
#include "engine.h"

#include "rowbuf.h"

#include <dlfcn.h>
#include <duckdb.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <time.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "engine_duckdb.h"

#define ENGINE_TABLE_BUFFER_ROWS 10000
#define ENGINE_TABLE_BUFFER_BYTES (64u << 20)

struct engine {
    duckdb_database db;
    duckdb_connection con;
    /* engine_write_parquet_rows: its table function, and what it reads while
     * a COPY runs (NULL otherwise). */
    int scan_registered;
    const rowbuf *scan_rb;
    const uint32_t *scan_rows;
    size_t scan_n;
};

/* Copies a DuckDB message (may be NULL) into errstr verbatim. */
static int duck_err(char *errstr, size_t errstr_size, const char *msg)
{
    return set_err(errstr, errstr_size, "%s", msg && *msg ? msg : "unknown DuckDB error");
}

/* libduckdb.so is loaded from the DuckDB the binary was built against
 * (ENGINE_DUCKDB_LIB, an absolute path set by the Makefile), else by name
 * (LD_LIBRARY_PATH, the system). Not through the run path: sanitizers
 * intercept dlopen, and the run path of the interceptor's library, not ours,
 * would apply. Loaded once, never unloaded. */
#ifndef ENGINE_DUCKDB_LIB
#define ENGINE_DUCKDB_LIB "libduckdb.so"
#endif
static pthread_once_t duckdb_once = PTHREAD_ONCE_INIT;
static char duckdb_load_err[512];

static void duckdb_load(void)
{
    void *h = dlopen(ENGINE_DUCKDB_LIB, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        h = dlopen("libduckdb.so", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(duckdb_load_err, sizeof(duckdb_load_err),
                 "cannot load DuckDB (`./dev setup` fetches it): %s", dlerror());
        return;
    }
#define X(f)                                                                                       \
    if (!duckdb_load_err[0] && !(p_##f = (__typeof__(p_##f))dlsym(h, #f)))                         \
        snprintf(duckdb_load_err, sizeof(duckdb_load_err),                                         \
                 "libduckdb.so has no %s: DuckDB 1.4 is required", #f);
    ENGINE_DUCKDB_FUNCS(X)
#undef X
}

engine *engine_open(const char *path, int threads, char *errstr, size_t errstr_size)
{
    pthread_once(&duckdb_once, duckdb_load);
    if (duckdb_load_err[0]) {
        set_err(errstr, errstr_size, "%s", duckdb_load_err);
        return NULL;
    }
    engine *e = calloc(1, sizeof(*e));
    if (!e) {
        set_err(errstr, errstr_size, "out of memory");
        return NULL;
    }
    duckdb_config config = NULL;
    if (duckdb_create_config(&config) != DuckDBSuccess) {
        free(e);
        set_err(errstr, errstr_size, "unable to create a DuckDB configuration");
        return NULL;
    }
    if (threads > 0) {
        char n[16];
        snprintf(n, sizeof(n), "%d", threads);
        duckdb_set_config(config, "threads", n);
    }
    char *open_err = NULL;
    duckdb_state st = duckdb_open_ext(path, &e->db, config, &open_err);
    duckdb_destroy_config(&config);
    if (st != DuckDBSuccess) {
        set_err(errstr, errstr_size, "unable to open database '%s': %s",
                path ? path : ":memory:", open_err ? open_err : "unknown error");
        duckdb_free(open_err);
        free(e);
        return NULL;
    }
    if (duckdb_connect(e->db, &e->con) != DuckDBSuccess) {
        duckdb_close(&e->db);
        free(e);
        set_err(errstr, errstr_size, "unable to connect to database '%s'",
                path ? path : ":memory:");
        return NULL;
    }
    /* Timestamps in ticklake are UTC; make TIMESTAMPTZ functions agree on any
     * host. Needs ICU, which the pinned libduckdb has built in; without it the
     * setting does not exist and DuckDB works in UTC anyway. */
    duckdb_result r;
    duckdb_query(e->con, "SET TimeZone = 'UTC'", &r);
    duckdb_destroy_result(&r);
    return e;
}

void engine_close(engine *e)
{
    if (!e)
        return;
    duckdb_disconnect(&e->con);
    duckdb_close(&e->db);
    free(e);
}

int engine_exec(engine *e, const char *sql, char *errstr, size_t errstr_size)
{
    duckdb_result r;
    if (duckdb_query(e->con, sql, &r) != DuckDBSuccess) {
        duck_err(errstr, errstr_size, duckdb_result_error(&r));
        duckdb_destroy_result(&r);
        return -1;
    }
    duckdb_destroy_result(&r);
    return 0;
}

void engine_quote_literal(buf *out, const char *s)
{
    buf_putc(out, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            buf_putc(out, '\'');
        buf_putc(out, *s);
    }
    buf_putc(out, '\'');
}

void engine_quote_ident(buf *out, const char *s)
{
    buf_putc(out, '"');
    for (; *s; s++) {
        if (*s == '"')
            buf_putc(out, '"');
        buf_putc(out, *s);
    }
    buf_putc(out, '"');
}

/* --- Running a query as a stream of chunks ------------------------------ */

typedef struct query {
    duckdb_prepared_statement ps;
    duckdb_pending_result pending;
    duckdb_result res;
    int have_res;
    idx_t ncols;
    duckdb_logical_type *types;
    duckdb_type *ids;
    const char **names; /* owned by res */
} query;

static void query_end(query *q)
{
    if (q->types) {
        for (idx_t i = 0; i < q->ncols; i++)
            duckdb_destroy_logical_type(&q->types[i]);
    }
    free(q->types);
    free(q->ids);
    free(q->names);
    if (q->have_res)
        duckdb_destroy_result(&q->res);
    if (q->pending)
        duckdb_destroy_pending(&q->pending);
    if (q->ps)
        duckdb_destroy_prepare(&q->ps);
    memset(q, 0, sizeof(*q));
}

/* Runs every statement of sql; all but the last are executed and their
 * results dropped, the last one is started as a streaming result in q. */
static int query_start(engine *e, const char *sql, query *q, engine_check_cb check, void *opaque,
                       char *errstr, size_t errstr_size)
{
    memset(q, 0, sizeof(*q));
    duckdb_extracted_statements ex = NULL;
    idx_t n = duckdb_extract_statements(e->con, sql, &ex);
    if (n == 0) {
        const char *msg = duckdb_extract_statements_error(ex);
        if (msg && *msg)
            duck_err(errstr, errstr_size, msg);
        else
            set_err(errstr, errstr_size, "no SQL statement in the query");
        duckdb_destroy_extracted(&ex);
        return -1;
    }
    for (idx_t i = 0; i < n; i++) {
        duckdb_prepared_statement ps = NULL;
        if (duckdb_prepare_extracted_statement(e->con, ex, i, &ps) != DuckDBSuccess) {
            duck_err(errstr, errstr_size, duckdb_prepare_error(ps));
            duckdb_destroy_prepare(&ps);
            duckdb_destroy_extracted(&ex);
            return -1;
        }
        if (check && check(opaque, (engine_stmt)duckdb_prepared_statement_type(ps), errstr,
                           errstr_size) != 0) {
            duckdb_destroy_prepare(&ps);
            duckdb_destroy_extracted(&ex);
            return -1;
        }
        if (i + 1 < n) {
            duckdb_result r;
            duckdb_state st = duckdb_execute_prepared(ps, &r);
            if (st != DuckDBSuccess)
                duck_err(errstr, errstr_size, duckdb_result_error(&r));
            duckdb_destroy_result(&r);
            duckdb_destroy_prepare(&ps);
            if (st != DuckDBSuccess) {
                duckdb_destroy_extracted(&ex);
                return -1;
            }
            continue;
        }
        q->ps = ps;
    }
    duckdb_destroy_extracted(&ex);

    if (duckdb_pending_prepared_streaming(q->ps, &q->pending) != DuckDBSuccess) {
        duck_err(errstr, errstr_size, duckdb_pending_error(q->pending));
        query_end(q);
        return -1;
    }
    if (duckdb_execute_pending(q->pending, &q->res) != DuckDBSuccess) {
        duck_err(errstr, errstr_size, duckdb_result_error(&q->res));
        duckdb_destroy_result(&q->res);
        query_end(q);
        return -1;
    }
    q->have_res = 1;
    q->ncols = duckdb_column_count(&q->res);
    size_t nc = q->ncols ? q->ncols : 1;
    q->types = calloc(nc, sizeof(*q->types));
    q->ids = calloc(nc, sizeof(*q->ids));
    q->names = calloc(nc, sizeof(*q->names));
    if (!q->types || !q->ids || !q->names) {
        query_end(q);
        return set_err(errstr, errstr_size, "out of memory");
    }
    for (idx_t i = 0; i < q->ncols; i++) {
        q->types[i] = duckdb_column_logical_type(&q->res, i);
        q->ids[i] = duckdb_get_type_id(q->types[i]);
        const char *name = duckdb_column_name(&q->res, i);
        q->names[i] = name ? name : "";
    }
    return 0;
}

/* After the last chunk: a streaming result reports a late error here. */
static int query_check(query *q, char *errstr, size_t errstr_size)
{
    const char *msg = duckdb_result_error(&q->res);
    if (msg && *msg)
        return duck_err(errstr, errstr_size, msg);
    return 0;
}

/* 1 when the statement returns no rows to show (SET, CREATE, ...). */
static int query_returns_nothing(query *q)
{
    return duckdb_result_return_type(q->res) == DUCKDB_RESULT_TYPE_NOTHING;
}

/* --- Rendering values --------------------------------------------------- */

enum { R_TEXT, R_JSON };

static int is_valid(duckdb_vector v, idx_t row)
{
    uint64_t *validity = duckdb_vector_get_validity(v);
    return !validity || duckdb_validity_row_is_valid(validity, row);
}

static int type_is_numeric(duckdb_type t)
{
    switch (t) {
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_DECIMAL:
        return 1;
    default:
        return 0;
    }
}

static void put_u128(buf *out, unsigned __int128 v)
{
    char tmp[48];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    buf_append(out, tmp + i, sizeof(tmp) - i);
}

static void put_i128(buf *out, __int128 v)
{
    if (v < 0) {
        buf_putc(out, '-');
        put_u128(out, (unsigned __int128)0 - (unsigned __int128)v);
    } else {
        put_u128(out, (unsigned __int128)v);
    }
}

/* A scaled integer as a decimal number: 150 with scale 2 is "1.50". */
static void put_decimal(buf *out, __int128 v, unsigned scale)
{
    if (scale == 0) {
        put_i128(out, v);
        return;
    }
    unsigned __int128 mag =
        v < 0 ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    buf digits = {0};
    put_u128(&digits, mag);
    if (v < 0)
        buf_putc(out, '-');
    if (digits.len <= scale) {
        buf_puts(out, "0.");
        for (size_t i = digits.len; i < scale; i++)
            buf_putc(out, '0');
        buf_append(out, digits.data, digits.len);
    } else {
        buf_append(out, digits.data, digits.len - scale);
        buf_putc(out, '.');
        buf_append(out, digits.data + digits.len - scale, scale);
    }
    buf_release(&digits);
}

/* Shortest round-trip digits, laid out like DuckDB (and Python's repr):
 * fixed notation for decimal exponents -5 < x < 16 with ".0" on whole
 * numbers, else "1e+16" / "1.5e-07". Non-finite values: nan, inf, -inf. */
static void put_float_text(buf *out, double v, int is_float)
{
    if (isnan(v)) {
        buf_puts(out, "nan");
        return;
    }
    if (isinf(v)) {
        buf_puts(out, v < 0 ? "-inf" : "inf");
        return;
    }
    char sci[40];
    int maxp = is_float ? 9 : 17;
    for (int p = 1; p <= maxp; p++) {
        snprintf(sci, sizeof(sci), "%.*e", p - 1, v);
        if (is_float ? (float)strtod(sci, NULL) == (float)v : strtod(sci, NULL) == v)
            break;
    }
    /* sci is "-d.ddde+XX": split into sign, digits and exponent. */
    const char *p = sci;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    char digits[24];
    size_t nd = 0;
    for (; *p && *p != 'e'; p++) {
        if (*p != '.' && nd < sizeof(digits) - 1)
            digits[nd++] = *p;
    }
    digits[nd] = '\0';
    int exp10 = *p == 'e' ? atoi(p + 1) : 0;
    if (neg)
        buf_putc(out, '-');
    if (exp10 > -5 && exp10 < 16) {
        if (exp10 < 0) {
            buf_puts(out, "0.");
            for (int i = -1; i > exp10; i--)
                buf_putc(out, '0');
            buf_append(out, digits, nd);
        } else {
            size_t ip = (size_t)exp10 + 1;
            for (size_t i = 0; i < ip; i++)
                buf_putc(out, i < nd ? digits[i] : '0');
            buf_putc(out, '.');
            if (nd > ip)
                buf_append(out, digits + ip, nd - ip);
            else
                buf_putc(out, '0');
        }
    } else {
        buf_putc(out, digits[0]);
        if (nd > 1) {
            buf_putc(out, '.');
            buf_append(out, digits + 1, nd - 1);
        }
        buf_printf(out, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    }
}

static void put_float(buf *out, double v, int is_float, int mode)
{
    if (mode == R_JSON && !isfinite(v))
        buf_puts(out, "null");
    else
        put_float_text(out, v, is_float);
}

static void put_date(buf *out, int64_t days, int mode)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y > 0)
        buf_printf(out, "%04" PRId64 "-%02u-%02u", y, m, d);
    else if (mode == R_JSON) /* ISO-8601: astronomical year numbering */
        buf_printf(out, "-%04" PRId64 "-%02u-%02u", -y, m, d);
    else
        buf_printf(out, "%04" PRId64 "-%02u-%02u (BC)", 1 - y, m, d);
}

/* HH:MM:SS and a fraction without trailing zeros. hours may exceed 23. */
static void put_clock(buf *out, int64_t ns)
{
    int64_t s = ns / NS_PER_SEC;
    int64_t frac = ns % NS_PER_SEC;
    buf_printf(out, "%02" PRId64 ":%02d:%02d", s / 3600, (int)(s / 60 % 60), (int)(s % 60));
    if (frac) {
        char f[16];
        snprintf(f, sizeof(f), "%09" PRId64, frac);
        size_t n = 9;
        while (n > 0 && f[n - 1] == '0')
            n--;
        buf_putc(out, '.');
        buf_append(out, f, n);
    }
}

/* A timestamp given as whole seconds plus nanoseconds within the second. */
static void put_timestamp(buf *out, int64_t secs, int64_t ns_in_sec, int with_tz, int mode)
{
    int64_t days = floor_div(secs, 86400);
    int64_t tod = secs - days * 86400;
    if (mode == R_JSON)
        buf_putc(out, '"');
    put_date(out, days, mode);
    buf_putc(out, mode == R_JSON ? 'T' : ' ');
    put_clock(out, tod * NS_PER_SEC + ns_in_sec);
    if (mode == R_JSON)
        buf_puts(out, "Z\"");
    else if (with_tz)
        buf_puts(out, "+00");
}

static void put_ts_units(buf *out, int64_t v, int64_t units_per_sec, int with_tz, int mode)
{
    if (v == INT64_MAX || v == -INT64_MAX) {
        const char *s = v > 0 ? "infinity" : "-infinity";
        if (mode == R_JSON)
            buf_put_json_str(out, s, strlen(s));
        else
            buf_puts(out, s);
        return;
    }
    int64_t secs = floor_div(v, units_per_sec);
    int64_t rem = v - secs * units_per_sec;
    put_timestamp(out, secs, rem * (NS_PER_SEC / units_per_sec), with_tz, mode);
}

static void put_plural(buf *out, int64_t n, const char *unit)
{
    if (out->len)
        buf_putc(out, ' ');
    buf_printf(out, "%" PRId64 " %s%s", n, unit, n == 1 || n == -1 ? "" : "s");
}

/* DuckDB's interval text: "1 year 3 days 04:00:00.000005". */
static void put_interval(buf *out, duckdb_interval iv)
{
    buf tmp = {0};
    int64_t years = iv.months / 12, months = iv.months % 12;
    if (years)
        put_plural(&tmp, years, "year");
    if (months)
        put_plural(&tmp, months, "month");
    if (iv.days)
        put_plural(&tmp, iv.days, "day");
    if (iv.micros) {
        if (tmp.len)
            buf_putc(&tmp, ' ');
        uint64_t mag = iv.micros < 0 ? (uint64_t)0 - (uint64_t)iv.micros : (uint64_t)iv.micros;
        if (iv.micros < 0)
            buf_putc(&tmp, '-');
        put_clock(&tmp, (int64_t)(mag * 1000));
    }
    if (!tmp.len)
        buf_puts(&tmp, "00:00:00");
    buf_append(out, tmp.data, tmp.len);
    buf_release(&tmp);
}

static void put_uuid(buf *out, duckdb_hugeint h)
{
    uint64_t hi = (uint64_t)h.upper ^ ((uint64_t)1 << 63), lo = h.lower;
    buf_printf(out, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64, hi >> 32,
               (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48, lo & (uint64_t)0xffffffffffff);
}

static void put_blob(buf *out, const char *p, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 32 && c <= 126 && c != '\\' && c != '\'' && c != '"') {
            buf_putc(out, (char)c);
        } else {
            char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            buf_append(out, esc, 4);
        }
    }
}

/* A BIT value: the first byte counts the padding bits of the next byte. */
static void put_bits(buf *out, const char *p, size_t n)
{
    if (n == 0)
        return;
    unsigned pad = (unsigned char)p[0];
    for (size_t i = 1; i < n; i++) {
        for (int b = 7; b >= 0; b--) {
            if (i == 1 && (unsigned)(7 - b) < pad)
                continue;
            buf_putc(out, ((unsigned char)p[i] >> b) & 1 ? '1' : '0');
        }
    }
}

/* A string inside a list, struct or map, quoted as DuckDB does when needed. */
static void put_nested_str(buf *out, const char *p, size_t n)
{
    int quote =
        n == 0 || (n == 4 && strncasecmp(p, "null", 4) == 0) || p[0] == ' ' || p[n - 1] == ' ';
    for (size_t i = 0; i < n && !quote; i++)
        quote = strchr(",'\"[]{}():=\\", p[i]) != NULL || (unsigned char)p[i] < 32;
    if (!quote) {
        buf_append(out, p, n);
        return;
    }
    buf_putc(out, '\'');
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\'' || p[i] == '\\')
            buf_putc(out, '\\');
        buf_putc(out, p[i]);
    }
    buf_putc(out, '\'');
}

static void put_type_name(buf *out, duckdb_type id)
{
    static const struct {
        duckdb_type id;
        const char *name;
    } names[] = {{DUCKDB_TYPE_BIGNUM, "BIGNUM"}, {DUCKDB_TYPE_ANY, "ANY"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].id == id) {
            buf_printf(out, "<%s>", names[i].name);
            return;
        }
    }
    buf_printf(out, "<type %d>", (int)id);
}

/* Appends the value at row of vector v (logical type lt) to out. In R_TEXT
 * mode a top-level NULL is never passed here; nested NULLs print as NULL. In
 * R_JSON mode the output is one JSON value. */
static void render(buf *out, duckdb_vector v, duckdb_logical_type lt, idx_t row, int mode,
                   int nested)
{
    if (!is_valid(v, row)) {
        buf_puts(out, mode == R_JSON ? "null" : "NULL");
        return;
    }
    duckdb_type id = duckdb_get_type_id(lt);
    void *data = duckdb_vector_get_data(v);
    switch (id) {
    case DUCKDB_TYPE_BOOLEAN:
        buf_puts(out, ((bool *)data)[row] ? "true" : "false");
        return;
    case DUCKDB_TYPE_TINYINT:
        buf_printf(out, "%d", ((int8_t *)data)[row]);
        return;
    case DUCKDB_TYPE_SMALLINT:
        buf_printf(out, "%d", ((int16_t *)data)[row]);
        return;
    case DUCKDB_TYPE_INTEGER:
        buf_printf(out, "%" PRId32, ((int32_t *)data)[row]);
        return;
    case DUCKDB_TYPE_BIGINT:
        buf_printf(out, "%" PRId64, ((int64_t *)data)[row]);
        return;
    case DUCKDB_TYPE_UTINYINT:
        buf_printf(out, "%u", ((uint8_t *)data)[row]);
        return;
    case DUCKDB_TYPE_USMALLINT:
        buf_printf(out, "%u", ((uint16_t *)data)[row]);
        return;
    case DUCKDB_TYPE_UINTEGER:
        buf_printf(out, "%" PRIu32, ((uint32_t *)data)[row]);
        return;
    case DUCKDB_TYPE_UBIGINT:
        buf_printf(out, "%" PRIu64, ((uint64_t *)data)[row]);
        return;
    case DUCKDB_TYPE_HUGEINT: {
        duckdb_hugeint h = ((duckdb_hugeint *)data)[row];
        put_i128(out, (__int128)(((unsigned __int128)(uint64_t)h.upper << 64) | h.lower));
        return;
    }
    case DUCKDB_TYPE_UHUGEINT: {
        duckdb_uhugeint h = ((duckdb_uhugeint *)data)[row];
        put_u128(out, ((unsigned __int128)h.upper << 64) | h.lower);
        return;
    }
    case DUCKDB_TYPE_FLOAT:
        put_float(out, ((float *)data)[row], 1, mode);
        return;
    case DUCKDB_TYPE_DOUBLE:
        put_float(out, ((double *)data)[row], 0, mode);
        return;
    case DUCKDB_TYPE_DECIMAL: {
        unsigned scale = duckdb_decimal_scale(lt);
        __int128 x;
        switch (duckdb_decimal_internal_type(lt)) {
        case DUCKDB_TYPE_SMALLINT:
            x = ((int16_t *)data)[row];
            break;
        case DUCKDB_TYPE_INTEGER:
            x = ((int32_t *)data)[row];
            break;
        case DUCKDB_TYPE_BIGINT:
            x = ((int64_t *)data)[row];
            break;
        default: {
            duckdb_hugeint h = ((duckdb_hugeint *)data)[row];
            x = (__int128)(((unsigned __int128)(uint64_t)h.upper << 64) | h.lower);
        }
        }
        put_decimal(out, x, scale);
        return;
    }
    case DUCKDB_TYPE_VARCHAR: {
        duckdb_string_t *s = &((duckdb_string_t *)data)[row];
        const char *p = duckdb_string_t_data(s);
        size_t n = duckdb_string_t_length(*s);
        if (mode == R_JSON)
            buf_put_json_str(out, p, n);
        else if (nested)
            put_nested_str(out, p, n);
        else
            buf_append(out, p, n);
        return;
    }
    case DUCKDB_TYPE_BLOB:
    case DUCKDB_TYPE_BIT: {
        duckdb_string_t *s = &((duckdb_string_t *)data)[row];
        const char *p = duckdb_string_t_data(s);
        size_t n = duckdb_string_t_length(*s);
        buf tmp = {0};
        if (id == DUCKDB_TYPE_BLOB)
            put_blob(&tmp, p, n);
        else
            put_bits(&tmp, p, n);
        if (mode == R_JSON)
            buf_put_json_str(out, tmp.data ? tmp.data : "", tmp.len);
        else
            buf_append(out, tmp.data, tmp.len);
        buf_release(&tmp);
        return;
    }
    case DUCKDB_TYPE_DATE: {
        int32_t days = ((int32_t *)data)[row];
        if (mode == R_JSON)
            buf_putc(out, '"');
        if (days == INT32_MAX || days == -INT32_MAX)
            buf_puts(out, days > 0 ? "infinity" : "-infinity");
        else
            put_date(out, days, mode);
        if (mode == R_JSON)
            buf_putc(out, '"');
        return;
    }
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIME_NS: {
        int64_t t = ((int64_t *)data)[row];
        if (mode == R_JSON)
            buf_putc(out, '"');
        put_clock(out, id == DUCKDB_TYPE_TIME ? t * 1000 : t);
        if (mode == R_JSON)
            buf_putc(out, '"');
        return;
    }
    case DUCKDB_TYPE_TIME_TZ: {
        duckdb_time_tz_struct t = duckdb_from_time_tz(((duckdb_time_tz *)data)[row]);
        buf tmp = {0};
        put_clock(&tmp, ((int64_t)t.time.hour * 3600 + t.time.min * 60 + t.time.sec) * NS_PER_SEC +
                            (int64_t)t.time.micros * 1000);
        int off = t.offset < 0 ? -t.offset : t.offset;
        buf_printf(&tmp, "%c%02d", t.offset < 0 ? '-' : '+', off / 3600);
        if (off % 3600)
            buf_printf(&tmp, ":%02d", off / 60 % 60);
        if (mode == R_JSON)
            buf_put_json_str(out, tmp.data, tmp.len);
        else
            buf_append(out, tmp.data, tmp.len);
        buf_release(&tmp);
        return;
    }
    case DUCKDB_TYPE_TIMESTAMP_S:
        put_ts_units(out, ((int64_t *)data)[row], 1, 0, mode);
        return;
    case DUCKDB_TYPE_TIMESTAMP_MS:
        put_ts_units(out, ((int64_t *)data)[row], 1000, 0, mode);
        return;
    case DUCKDB_TYPE_TIMESTAMP:
        put_ts_units(out, ((int64_t *)data)[row], 1000000, 0, mode);
        return;
    case DUCKDB_TYPE_TIMESTAMP_TZ:
        put_ts_units(out, ((int64_t *)data)[row], 1000000, 1, mode);
        return;
    case DUCKDB_TYPE_TIMESTAMP_NS:
        put_ts_units(out, ((int64_t *)data)[row], NS_PER_SEC, 0, mode);
        return;
    case DUCKDB_TYPE_INTERVAL: {
        buf tmp = {0};
        put_interval(&tmp, ((duckdb_interval *)data)[row]);
        if (mode == R_JSON)
            buf_put_json_str(out, tmp.data, tmp.len);
        else
            buf_append(out, tmp.data, tmp.len);
        buf_release(&tmp);
        return;
    }
    case DUCKDB_TYPE_UUID: {
        if (mode == R_JSON)
            buf_putc(out, '"');
        put_uuid(out, ((duckdb_hugeint *)data)[row]);
        if (mode == R_JSON)
            buf_putc(out, '"');
        return;
    }
    case DUCKDB_TYPE_ENUM: {
        idx_t idx;
        switch (duckdb_enum_internal_type(lt)) {
        case DUCKDB_TYPE_UTINYINT:
            idx = ((uint8_t *)data)[row];
            break;
        case DUCKDB_TYPE_USMALLINT:
            idx = ((uint16_t *)data)[row];
            break;
        default:
            idx = ((uint32_t *)data)[row];
        }
        char *s = duckdb_enum_dictionary_value(lt, idx);
        const char *t = s ? s : "";
        if (mode == R_JSON)
            buf_put_json_str(out, t, strlen(t));
        else if (nested)
            put_nested_str(out, t, strlen(t));
        else
            buf_puts(out, t);
        duckdb_free(s);
        return;
    }
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY: {
        duckdb_logical_type ct;
        duckdb_vector child;
        idx_t off, len;
        if (id == DUCKDB_TYPE_LIST) {
            duckdb_list_entry le = ((duckdb_list_entry *)data)[row];
            ct = duckdb_list_type_child_type(lt);
            child = duckdb_list_vector_get_child(v);
            off = le.offset;
            len = le.length;
        } else {
            ct = duckdb_array_type_child_type(lt);
            child = duckdb_array_vector_get_child(v);
            len = duckdb_array_type_array_size(lt);
            off = row * len;
        }
        buf_putc(out, '[');
        for (idx_t i = 0; i < len; i++) {
            if (i)
                buf_puts(out, mode == R_JSON ? "," : ", ");
            render(out, child, ct, off + i, mode, 1);
        }
        buf_putc(out, ']');
        duckdb_destroy_logical_type(&ct);
        return;
    }
    case DUCKDB_TYPE_STRUCT: {
        idx_t n = duckdb_struct_type_child_count(lt);
        buf_putc(out, '{');
        for (idx_t i = 0; i < n; i++) {
            char *name = duckdb_struct_type_child_name(lt, i);
            duckdb_logical_type ct = duckdb_struct_type_child_type(lt, i);
            const char *nm = name ? name : "";
            if (i)
                buf_puts(out, mode == R_JSON ? "," : ", ");
            if (mode == R_JSON) {
                buf_put_json_str(out, nm, strlen(nm));
                buf_putc(out, ':');
            } else {
                buf_putc(out, '\'');
                buf_puts(out, nm);
                buf_puts(out, "': ");
            }
            render(out, duckdb_struct_vector_get_child(v, i), ct, row, mode, 1);
            duckdb_destroy_logical_type(&ct);
            duckdb_free(name);
        }
        buf_putc(out, '}');
        return;
    }
    case DUCKDB_TYPE_MAP: {
        duckdb_list_entry le = ((duckdb_list_entry *)data)[row];
        duckdb_vector entries = duckdb_list_vector_get_child(v);
        duckdb_vector keys = duckdb_struct_vector_get_child(entries, 0);
        duckdb_vector vals = duckdb_struct_vector_get_child(entries, 1);
        duckdb_logical_type kt = duckdb_map_type_key_type(lt);
        duckdb_logical_type vt = duckdb_map_type_value_type(lt);
        buf_putc(out, '{');
        for (idx_t i = 0; i < le.length; i++) {
            if (i)
                buf_puts(out, mode == R_JSON ? "," : ", ");
            if (mode == R_JSON) {
                buf key = {0};
                render(&key, keys, kt, le.offset + i, R_TEXT, 0);
                buf_put_json_str(out, key.data ? key.data : "", key.len);
                buf_release(&key);
                buf_putc(out, ':');
            } else {
                render(out, keys, kt, le.offset + i, mode, 1);
                buf_putc(out, '=');
            }
            render(out, vals, vt, le.offset + i, mode, 1);
        }
        buf_putc(out, '}');
        duckdb_destroy_logical_type(&kt);
        duckdb_destroy_logical_type(&vt);
        return;
    }
    case DUCKDB_TYPE_UNION: {
        duckdb_vector tags = duckdb_struct_vector_get_child(v, 0);
        uint8_t tag = ((uint8_t *)duckdb_vector_get_data(tags))[row];
        duckdb_logical_type mt = duckdb_union_type_member_type(lt, tag);
        render(out, duckdb_struct_vector_get_child(v, (idx_t)tag + 1), mt, row, mode, nested);
        duckdb_destroy_logical_type(&mt);
        return;
    }
    case DUCKDB_TYPE_SQLNULL:
        buf_puts(out, mode == R_JSON ? "null" : "NULL");
        return;
    default: {
        buf tmp = {0};
        put_type_name(&tmp, id);
        if (mode == R_JSON)
            buf_put_json_str(out, tmp.data, tmp.len);
        else
            buf_append(out, tmp.data, tmp.len);
        buf_release(&tmp);
    }
    }
}

/* --- Queries ------------------------------------------------------------ */

int engine_query_rows(engine *e, const char *sql, engine_row_cb row_cb, void *opaque, char *errstr,
                      size_t errstr_size)
{
    query q;
    if (query_start(e, sql, &q, NULL, NULL, errstr, errstr_size) != 0)
        return -1;
    size_t nc = q.ncols;
    size_t *offs = calloc(nc ? nc : 1, sizeof(*offs));
    const char **vals = calloc(nc ? nc : 1, sizeof(*vals));
    if (!offs || !vals) {
        free(offs);
        free(vals);
        query_end(&q);
        return set_err(errstr, errstr_size, "out of memory");
    }
    buf line = {0};
    int rc = 0;
    duckdb_data_chunk chunk;
    while (rc == 0 && (chunk = duckdb_fetch_chunk(q.res)) != NULL) {
        idx_t n = duckdb_data_chunk_get_size(chunk);
        for (idx_t row = 0; row < n && rc == 0; row++) {
            buf_reset(&line);
            for (size_t c = 0; c < nc; c++) {
                duckdb_vector v = duckdb_data_chunk_get_vector(chunk, c);
                if (!is_valid(v, row)) {
                    offs[c] = SIZE_MAX;
                    continue;
                }
                offs[c] = line.len;
                render(&line, v, q.types[c], row, R_TEXT, 0);
                buf_putc(&line, '\0');
            }
            for (size_t c = 0; c < nc; c++)
                vals[c] = offs[c] == SIZE_MAX ? NULL : line.data + offs[c];
            rc = row_cb(opaque, nc, q.names, vals);
        }
        duckdb_destroy_data_chunk(&chunk);
    }
    if (rc == 0)
        rc = query_check(&q, errstr, errstr_size);
    buf_release(&line);
    free(offs);
    free(vals);
    query_end(&q);
    return rc;
}

/* v * ns_per_unit, or an error when that does not fit in int64. */
static int scale_to_ns(int64_t v, int64_t ns_per_unit, int64_t *out, char *errstr,
                       size_t errstr_size)
{
    if (__builtin_mul_overflow(v, ns_per_unit, out))
        return set_err(errstr, errstr_size, "time value out of range for nanoseconds");
    return 0;
}

/* The value at row of v as int64 (see engine_query_int64): integers as they
 * are (BOOLEAN as 0/1), floating point truncated, dates and timestamps as ns
 * since the epoch (ticklake's time unit), text parsed as a base-10 integer. */
static int value_to_int64(duckdb_vector v, duckdb_logical_type lt, idx_t row, int64_t *out,
                          char *errstr, size_t errstr_size)
{
    void *data = duckdb_vector_get_data(v);
    switch (duckdb_get_type_id(lt)) {
    case DUCKDB_TYPE_BOOLEAN:
        *out = ((bool *)data)[row];
        return 0;
    case DUCKDB_TYPE_TINYINT:
        *out = ((int8_t *)data)[row];
        return 0;
    case DUCKDB_TYPE_SMALLINT:
        *out = ((int16_t *)data)[row];
        return 0;
    case DUCKDB_TYPE_INTEGER:
        *out = ((int32_t *)data)[row];
        return 0;
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_TIMESTAMP_NS:
        *out = ((int64_t *)data)[row];
        return 0;
    case DUCKDB_TYPE_DATE:
        return scale_to_ns(((int32_t *)data)[row], 86400 * NS_PER_SEC, out, errstr, errstr_size);
    case DUCKDB_TYPE_TIMESTAMP_S:
        return scale_to_ns(((int64_t *)data)[row], NS_PER_SEC, out, errstr, errstr_size);
    case DUCKDB_TYPE_TIMESTAMP_MS:
        return scale_to_ns(((int64_t *)data)[row], 1000000, out, errstr, errstr_size);
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
        return scale_to_ns(((int64_t *)data)[row], 1000, out, errstr, errstr_size);
    case DUCKDB_TYPE_UTINYINT:
        *out = ((uint8_t *)data)[row];
        return 0;
    case DUCKDB_TYPE_USMALLINT:
        *out = ((uint16_t *)data)[row];
        return 0;
    case DUCKDB_TYPE_UINTEGER:
        *out = ((uint32_t *)data)[row];
        return 0;
    case DUCKDB_TYPE_UBIGINT: {
        uint64_t u = ((uint64_t *)data)[row];
        if (u > INT64_MAX)
            return set_err(errstr, errstr_size, "value %" PRIu64 " does not fit in BIGINT", u);
        *out = (int64_t)u;
        return 0;
    }
    case DUCKDB_TYPE_HUGEINT: {
        duckdb_hugeint h = ((duckdb_hugeint *)data)[row];
        if (!((h.upper == 0 && h.lower <= INT64_MAX) ||
              (h.upper == -1 && h.lower >= (uint64_t)INT64_MAX + 1)))
            return set_err(errstr, errstr_size, "HUGEINT value does not fit in BIGINT");
        *out = (int64_t)h.lower;
        return 0;
    }
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE: {
        double d = duckdb_get_type_id(lt) == DUCKDB_TYPE_FLOAT ? ((float *)data)[row]
                                                               : ((double *)data)[row];
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
            return set_err(errstr, errstr_size, "value %g does not fit in BIGINT", d);
        *out = (int64_t)d;
        return 0;
    }
    default: {
        buf tmp = {0};
        render(&tmp, v, lt, row, R_TEXT, 0);
        int rc = parse_int64(tmp.data, INT64_MIN, INT64_MAX, out);
        if (rc != 0)
            set_err(errstr, errstr_size, "'%s' is not an integer", tmp.data ? tmp.data : "");
        buf_release(&tmp);
        return rc;
    }
    }
}

int engine_query_int64(engine *e, const char *sql, int64_t *out, char *errstr, size_t errstr_size)
{
    *out = 0;
    query q;
    if (query_start(e, sql, &q, NULL, NULL, errstr, errstr_size) != 0)
        return -1;
    int rc = 0, done = 0;
    duckdb_data_chunk chunk;
    while (!done && (chunk = duckdb_fetch_chunk(q.res)) != NULL) {
        if (duckdb_data_chunk_get_size(chunk) > 0) {
            done = 1;
            if (q.ncols > 0) {
                duckdb_vector v = duckdb_data_chunk_get_vector(chunk, 0);
                if (is_valid(v, 0))
                    rc = value_to_int64(v, q.types[0], 0, out, errstr, errstr_size);
            }
        }
        duckdb_destroy_data_chunk(&chunk);
    }
    if (rc == 0 && !done)
        rc = query_check(&q, errstr, errstr_size);
    query_end(&q);
    return rc;
}

/* --- Printing ----------------------------------------------------------- */

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
static void csv_row(buf *line, buf *cell, duckdb_vector *vecs, const query *q, idx_t row)
{
    for (size_t c = 0; c < q->ncols; c++) {
        if (c)
            buf_putc(line, ',');
        if (!is_valid(vecs[c], row))
            continue;
        buf_reset(cell);
        render(cell, vecs[c], q->types[c], row, R_TEXT, 0);
        put_csv_field(line, cell->data ? cell->data : "", cell->len);
    }
    buf_puts(line, "\n");
}

static int run_rows(engine *e, query *q, const engine_run_opts *o, engine_run_stats *st,
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
        numeric[c] = type_is_numeric(q->ids[c]);
    table_state t = {.ncols = nc, .names = q->names, .numeric = numeric, .width = width};
    buf line = {0}, cell = {0}, csv = {0};
    int64_t rows = 0;
    int rc = 0, want_csv = o->csv || (out && fmt == ENGINE_OUT_CSV);

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
        for (idx_t row = 0; row < n; row++) {
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
                    render(&line, vecs[c], q->types[c], row, R_JSON, 0);
                }
                buf_puts(&line, "}\n");
            } else if (out && fmt == ENGINE_OUT_TABLE) {
                for (size_t c = 0; c < nc; c++) {
                    buf_reset(&cell);
                    if (is_valid(vecs[c], row))
                        render(&cell, vecs[c], q->types[c], row, R_TEXT, 0);
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
        rc = query_check(q, errstr, errstr_size);
    if (rc == 0 && out && fmt == ENGINE_OUT_TABLE) {
        rc = table_flush(&t, out, errstr, errstr_size);
        if (rc == 0)
            buf_printf(&line, "(%" PRId64 " row%s%s)\n", rows, rows == 1 ? "" : "s",
                       st->truncated ? ", truncated" : "");
    }
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
    query q;
    int rc = query_start(e, sql, &q, o->check, o->check_opaque, errstr, errstr_size);
    if (rc == 0) {
        st->statement = (engine_stmt)duckdb_prepared_statement_type(q.ps);
        if (!query_returns_nothing(&q)) {
            st->has_result = 1;
            st->columns = (int64_t)q.ncols;
            if (o->lead && o->out)
                fputs(o->lead, o->out);
            rc = run_rows(e, &q, o, st, errstr, errstr_size);
        }
        query_end(&q);
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

int engine_restrict_files(engine *e, const char *const *dirs, size_t ndirs,
                          const char *const *paths, size_t npaths, char *errstr, size_t errstr_size)
{
    buf sql = {0};
    buf_puts(&sql, "SET allowed_directories = [");
    for (size_t i = 0; i < ndirs; i++) {
        if (i)
            buf_puts(&sql, ", ");
        engine_quote_literal(&sql, dirs[i]);
    }
    buf_puts(&sql, "]; SET allowed_paths = [");
    for (size_t i = 0; i < npaths; i++) {
        if (i)
            buf_puts(&sql, ", ");
        engine_quote_literal(&sql, paths[i]);
    }
    buf_puts(&sql, "]; SET enable_external_access = false; SET autoinstall_known_extensions = "
                   "false; SET autoload_known_extensions = false; SET lock_configuration = true");
    int rc = engine_exec(e, sql.data, errstr, errstr_size);
    buf_release(&sql);
    return rc;
}

const char *engine_stmt_name(engine_stmt s)
{
    static const char *const names[] = {
        "INVALID",     "SELECT",  "INSERT",   "UPDATE",       "EXPLAIN",
        "DELETE",      "PREPARE", "CREATE",   "EXECUTE",      "ALTER",
        "TRANSACTION", "COPY",    "ANALYZE",  "SET VARIABLE", "CREATE FUNCTION",
        "DROP",        "EXPORT",  "PRAGMA",   "VACUUM",       "CALL",
        "SET",         "LOAD",    "RELATION", "EXTENSION",    "LOGICAL PLAN",
        "ATTACH",      "DETACH",  "MULTI"};
    return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "UNKNOWN";
}

/* --- Parquet straight from a rowbuf ------------------------------------- */

static duckdb_type engine_type_duck(engine_type t)
{
    switch (t) {
    case ENGINE_VARCHAR:
        return DUCKDB_TYPE_VARCHAR;
    case ENGINE_BIGINT:
        return DUCKDB_TYPE_BIGINT;
    case ENGINE_DOUBLE:
        return DUCKDB_TYPE_DOUBLE;
    case ENGINE_TIMESTAMP_NS:
        return DUCKDB_TYPE_TIMESTAMP_NS;
    case ENGINE_DATE:
        return DUCKDB_TYPE_DATE;
    }
    return DUCKDB_TYPE_VARCHAR;
}

/* The table function tl_rowbuf_scan() yields e->scan_rows of e->scan_rb in
 * order, one vector at a time, on one thread (so COPY keeps the order). */
typedef struct scan_state {
    size_t pos;
} scan_state;

static void scan_bind(duckdb_bind_info info)
{
    engine *e = duckdb_bind_get_extra_info(info);
    if (!e->scan_rb) {
        duckdb_bind_set_error(info, "tl_rowbuf_scan: nothing to scan");
        return;
    }
    const engine_table *t = rowbuf_table(e->scan_rb);
    for (size_t c = 0; c < t->ncolumns; c++) {
        duckdb_logical_type lt = duckdb_create_logical_type(engine_type_duck(t->columns[c].type));
        duckdb_bind_add_result_column(info, t->columns[c].name, lt);
        duckdb_destroy_logical_type(&lt);
    }
}

static void scan_init(duckdb_init_info info)
{
    scan_state *st = duckdb_malloc(sizeof(*st));
    if (!st) {
        duckdb_init_set_error(info, "out of memory");
        return;
    }
    st->pos = 0;
    duckdb_init_set_init_data(info, st, duckdb_free);
    duckdb_init_set_max_threads(info, 1);
}

static void set_null(duckdb_vector v, idx_t row)
{
    duckdb_vector_ensure_validity_writable(v);
    duckdb_validity_set_row_invalid(duckdb_vector_get_validity(v), row);
}

/* The rows of a bucket are far apart in the buffer (one symbol's among
 * hundreds): fetch the value `ahead` rows on while copying this one. */
#define PREFETCH(arr, k)                                                                           \
    do {                                                                                           \
        if ((k) + ahead < cnt)                                                                     \
            __builtin_prefetch(&(arr)[rows[(k) + ahead]]);                                         \
    } while (0)

static void scan_next(duckdb_function_info info, duckdb_data_chunk out)
{
    engine *e = duckdb_function_get_extra_info(info);
    scan_state *st = duckdb_function_get_init_data(info);
    const rowbuf *rb = e->scan_rb;
    size_t cnt = e->scan_n - st->pos, cap = duckdb_vector_size(), ahead = 16;
    if (cnt > cap)
        cnt = cap;
    const uint32_t *rows = e->scan_rows + st->pos;
    const engine_table *t = rowbuf_table(rb);
    for (size_t c = 0; c < t->ncolumns && cnt > 0; c++) {
        const rowbuf_column *col = rowbuf_col(rb, c);
        duckdb_vector v = duckdb_data_chunk_get_vector(out, c);
        void *data = duckdb_vector_get_data(v);
        switch (col->type) {
        case ENGINE_BIGINT:
            for (size_t k = 0; k < cnt; k++) {
                PREFETCH(col->i, k);
                int64_t x = col->i[rows[k]];
                ((int64_t *)data)[k] = x;
                if (x == ENGINE_NULL_INT)
                    set_null(v, k);
            }
            break;
        case ENGINE_TIMESTAMP_NS:
            for (size_t k = 0; k < cnt; k++) {
                PREFETCH(col->i, k);
                ((int64_t *)data)[k] = col->i[rows[k]];
            }
            break;
        case ENGINE_DATE:
            for (size_t k = 0; k < cnt; k++) {
                int64_t ns = col->i[rows[k]], day = 86400LL * 1000000000LL;
                ((int32_t *)data)[k] = (int32_t)(ns / day - (ns % day < 0));
            }
            break;
        case ENGINE_DOUBLE:
            for (size_t k = 0; k < cnt; k++) {
                PREFETCH(col->d, k);
                double x = col->d[rows[k]];
                ((double *)data)[k] = x;
                if (isnan(x))
                    set_null(v, k);
            }
            break;
        case ENGINE_VARCHAR:
            for (size_t k = 0; k < cnt; k++) {
                PREFETCH(col->s, k);
                uint32_t id = col->s[rows[k]];
                if (id == ROWBUF_NULL_STR) {
                    set_null(v, k);
                } else {
                    size_t len;
                    const char *str = rowbuf_str(rb, id, &len);
                    duckdb_vector_assign_string_element_len(v, k, str, len);
                }
            }
            break;
        }
    }
    st->pos += cnt;
    duckdb_data_chunk_set_size(out, cnt);
}

static int register_scan(engine *e, char *errstr, size_t errstr_size)
{
    if (e->scan_registered)
        return 0;
    duckdb_table_function f = duckdb_create_table_function();
    duckdb_table_function_set_name(f, "tl_rowbuf_scan");
    duckdb_table_function_set_extra_info(f, e, NULL);
    duckdb_table_function_set_bind(f, scan_bind);
    duckdb_table_function_set_init(f, scan_init);
    duckdb_table_function_set_function(f, scan_next);
    duckdb_state st = duckdb_register_table_function(e->con, f);
    duckdb_destroy_table_function(&f);
    if (st != DuckDBSuccess)
        return set_err(errstr, errstr_size, "unable to register the table function tl_rowbuf_scan");
    e->scan_registered = 1;
    return 0;
}

int engine_write_parquet_rows(engine *e, const rowbuf *rb, const uint32_t *rows, size_t n,
                              const char *path, int64_t *rows_out, char *errstr, size_t errstr_size)
{
    if (rows_out)
        *rows_out = 0;
    if (register_scan(e, errstr, errstr_size) != 0)
        return -1;
    buf sql = {0};
    buf_puts(&sql, "COPY (SELECT * FROM tl_rowbuf_scan()) TO ");
    engine_quote_literal(&sql, path);
    buf_puts(&sql, " (" ENGINE_PARQUET_OPTIONS ")");
    e->scan_rb = rb;
    e->scan_rows = rows;
    e->scan_n = n;
    duckdb_result r;
    duckdb_state st = duckdb_query(e->con, sql.data, &r);
    e->scan_rb = NULL;
    e->scan_rows = NULL;
    e->scan_n = 0;
    buf_release(&sql);
    if (st != DuckDBSuccess) {
        set_err(errstr, errstr_size, "unable to write '%s': %s", path,
                duckdb_result_error(&r) ? duckdb_result_error(&r) : "unknown DuckDB error");
        duckdb_destroy_result(&r);
        return -1;
    }
    int64_t written = 0;
    duckdb_data_chunk chunk = duckdb_fetch_chunk(r);
    if (chunk) {
        if (duckdb_data_chunk_get_size(chunk) > 0 && duckdb_data_chunk_get_column_count(chunk) > 0)
            written =
                ((int64_t *)duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, 0)))[0];
        duckdb_destroy_data_chunk(&chunk);
    }
    duckdb_destroy_result(&r);
    if (written != (int64_t)n)
        return set_err(errstr, errstr_size, "unable to write '%s': %lld of %zu rows written", path,
                       (long long)written, n);
    if (fsync_path(path, errstr, errstr_size) != 0)
        return -1;
    if (rows_out)
        *rows_out = written;
    return 0;
}
