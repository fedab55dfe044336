/* engine_parquet.c - the sink's Parquet files from rows buffered in C (rowbuf.h), already
 * sorted: a table function (tl_rowbuf_scan) hands them to COPY one vector at a time, written
 * straight into the output chunk's vectors, so no table, appender or ORDER BY stands between the
 * buffer and the Parquet writer. TIMESTAMP_NS vectors hold int64 nanoseconds, so timestamps are
 * exact. */
#include "engine_internal.h"

#include <math.h>
#include <string.h>

#include "rowbuf.h"

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
    for (size_t c = 0; c < e->scan_ncols; c++) {
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
    TL_ASSERT(rb != NULL && st->pos <= e->scan_n); /* only while a COPY runs (bind checked) */
    size_t cnt = e->scan_n - st->pos, cap = duckdb_vector_size(), ahead = 16;
    if (cnt > cap)
        cnt = cap;
    const uint32_t *rows = e->scan_rows + st->pos;
    for (size_t c = 0; c < e->scan_ncols && cnt > 0; c++) {
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
                int64_t x = col->i[rows[k]];
                ((int64_t *)data)[k] = x;
                if (x == ENGINE_NULL_INT)
                    set_null(v, k);
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
                    /* rowbuf checked the UTF-8 once per distinct string (rowbuf.h). */
                    duckdb_unsafe_vector_assign_string_element_len(v, k, str, len);
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
    return engine_write_parquet_cols(e, rb, rowbuf_table(rb)->ncolumns, rows, n, path, rows_out,
                                     errstr, errstr_size);
}

int engine_write_parquet_cols(engine *e, const rowbuf *rb, size_t ncols, const uint32_t *rows,
                              size_t n, const char *path, int64_t *rows_out, char *errstr,
                              size_t errstr_size)
{
    if (rows_out)
        *rows_out = 0;
    TL_ASSERT(e->scan_rb == NULL && n <= rowbuf_rows(rb)); /* one COPY at a time */
    TL_ASSERT(ncols >= 1 && ncols <= rowbuf_table(rb)->ncolumns);
    if (register_scan(e, errstr, errstr_size) != 0)
        return -1;
    buf sql = {0};
    buf_puts(&sql, "COPY (SELECT * FROM tl_rowbuf_scan()) TO ");
    engine_quote_literal(&sql, path);
    buf_puts(&sql, " (" ENGINE_PARQUET_OPTIONS ")");
    e->scan_rb = rb;
    e->scan_ncols = ncols;
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
