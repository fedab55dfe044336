/* engine_result.c - a script's last result read chunk by chunk (duckdb_fetch_chunk over a
 * streaming result), so that no output holds a whole result in memory; rows as text for
 * engine_query_rows, one value for engine_query_int64. */
#include "engine_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void engine_result_end(engine_result *q)
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
int engine_result_start(engine *e, const char *sql, engine_result *q, engine_check_cb check,
                        void *opaque, char *errstr, size_t errstr_size)
{
    memset(q, 0, sizeof(*q));
    duckdb_extracted_statements ex = NULL;
    idx_t n = duckdb_extract_statements(e->con, sql, &ex);
    if (n == 0) {
        const char *msg = duckdb_extract_statements_error(ex);
        if (msg && *msg)
            engine_duck_err(errstr, errstr_size, msg);
        else
            set_err(errstr, errstr_size, "no SQL statement in the query");
        duckdb_destroy_extracted(&ex);
        return -1;
    }
    for (idx_t i = 0; i < n; i++) {
        duckdb_prepared_statement ps = NULL;
        if (duckdb_prepare_extracted_statement(e->con, ex, i, &ps) != DuckDBSuccess) {
            engine_duck_err(errstr, errstr_size, duckdb_prepare_error(ps));
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
                engine_duck_err(errstr, errstr_size, duckdb_result_error(&r));
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
    TL_ASSERT(q->ps != NULL); /* n > 0: the last statement is kept */

    if (duckdb_pending_prepared_streaming(q->ps, &q->pending) != DuckDBSuccess) {
        engine_duck_err(errstr, errstr_size, duckdb_pending_error(q->pending));
        engine_result_end(q);
        return -1;
    }
    if (duckdb_execute_pending(q->pending, &q->res) != DuckDBSuccess) {
        engine_duck_err(errstr, errstr_size, duckdb_result_error(&q->res));
        duckdb_destroy_result(&q->res);
        engine_result_end(q);
        return -1;
    }
    q->have_res = 1;
    q->ncols = duckdb_column_count(&q->res);
    size_t nc = q->ncols ? q->ncols : 1;
    q->types = calloc(nc, sizeof(*q->types));
    q->ids = calloc(nc, sizeof(*q->ids));
    q->names = calloc(nc, sizeof(*q->names));
    if (!q->types || !q->ids || !q->names) {
        engine_result_end(q);
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
int engine_result_check(engine_result *q, char *errstr, size_t errstr_size)
{
    const char *msg = duckdb_result_error(&q->res);
    if (msg && *msg)
        return engine_duck_err(errstr, errstr_size, msg);
    return 0;
}

/* 1 when the statement returns no rows to show (SET, CREATE, ...). */
int engine_result_empty(engine_result *q)
{
    return duckdb_result_return_type(q->res) == DUCKDB_RESULT_TYPE_NOTHING;
}

/* --- Queries ------------------------------------------------------------ */

int engine_query_rows(engine *e, const char *sql, engine_row_cb row_cb, void *opaque, char *errstr,
                      size_t errstr_size)
{
    engine_result q;
    if (engine_result_start(e, sql, &q, NULL, NULL, errstr, errstr_size) != 0)
        return -1;
    size_t nc = q.ncols;
    size_t *offs = calloc(nc ? nc : 1, sizeof(*offs));
    const char **vals = calloc(nc ? nc : 1, sizeof(*vals));
    if (!offs || !vals) {
        free(offs);
        free(vals);
        engine_result_end(&q);
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
                if (!engine_is_valid(v, row)) {
                    offs[c] = SIZE_MAX;
                    continue;
                }
                offs[c] = line.len;
                engine_render(&line, v, q.types[c], row, R_TEXT, 0);
                buf_putc(&line, '\0');
            }
            for (size_t c = 0; c < nc; c++)
                vals[c] = offs[c] == SIZE_MAX ? NULL : line.data + offs[c];
            rc = row_cb(opaque, nc, q.names, vals);
        }
        duckdb_destroy_data_chunk(&chunk);
    }
    if (rc == 0)
        rc = engine_result_check(&q, errstr, errstr_size);
    buf_release(&line);
    free(offs);
    free(vals);
    engine_result_end(&q);
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
        engine_render(&tmp, v, lt, row, R_TEXT, 0);
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
    engine_result q;
    if (engine_result_start(e, sql, &q, NULL, NULL, errstr, errstr_size) != 0)
        return -1;
    int rc = 0, done = 0;
    duckdb_data_chunk chunk;
    while (!done && (chunk = duckdb_fetch_chunk(q.res)) != NULL) {
        if (duckdb_data_chunk_get_size(chunk) > 0) {
            done = 1;
            if (q.ncols > 0) {
                duckdb_vector v = duckdb_data_chunk_get_vector(chunk, 0);
                if (engine_is_valid(v, 0))
                    rc = value_to_int64(v, q.types[0], 0, out, errstr, errstr_size);
            }
        }
        duckdb_destroy_data_chunk(&chunk);
    }
    if (rc == 0 && !done)
        rc = engine_result_check(&q, errstr, errstr_size);
    engine_result_end(&q);
    return rc;
}
