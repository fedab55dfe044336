/* engine_internal.h - private to the engine's files (engine*.c): the engine itself, and the
 * result stream and value rendering they share. With engine_duckdb.h, which it includes, the
 * only header that includes duckdb.h: nothing outside the engine's files includes either. */
#ifndef TICKLAKE_ENGINE_INTERNAL_H
#define TICKLAKE_ENGINE_INTERNAL_H

#include <duckdb.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "engine_duckdb.h"

struct engine {
    duckdb_database db;
    duckdb_connection con;
    int s3_log; /* engine_attach_s3 turned DuckDB's HTTP log on */
    /* engine_restrict_files: the private folder DuckDB spills to (NULL
     * before), removed with what is in it by engine_close. */
    char *spill_dir;
    /* engine_write_parquet_rows: its table function, and what it reads while
     * a COPY runs (NULL otherwise). */
    int scan_registered;
    const rowbuf *scan_rb;
    size_t scan_ncols; /* the first scan_ncols columns of its table */
    const uint32_t *scan_rows;
    size_t scan_n;
};

/* engine_load.c: loads libduckdb.so and resolves the functions of
 * engine_duckdb.h, once per process. 0, or -1 with errstr when DuckDB is
 * missing or lacks a function. */
int engine_load_duckdb(char *errstr, size_t errstr_size);

/* engine.c: copies a DuckDB message (may be NULL) into errstr verbatim;
 * returns -1. */
int engine_duck_err(char *errstr, size_t errstr_size, const char *msg);

/* engine_result.c: the last statement of a script as a stream of chunks
 * (duckdb_fetch_chunk over a streaming result). */
typedef struct engine_result {
    duckdb_prepared_statement ps;
    duckdb_pending_result pending;
    duckdb_result res;
    int have_res;
    idx_t ncols;
    duckdb_logical_type *types;
    duckdb_type *ids;
    const char **names; /* owned by res */
} engine_result;

/* Runs every statement of sql; all but the last are executed and their
 * results dropped, the last one is started as a streaming result in q. check
 * (may be NULL) sees each statement before it runs. 0, or -1 with errstr (q
 * is then ended). */
int engine_result_start(engine *e, const char *sql, engine_result *q, engine_check_cb check,
                        void *opaque, char *errstr, size_t errstr_size);
/* Frees q; it may be started again. */
void engine_result_end(engine_result *q);
/* After the last chunk: a streaming result reports a late error here. */
int engine_result_check(engine_result *q, char *errstr, size_t errstr_size);
/* 1 when the statement returns no rows to show (SET, CREATE, ...). */
int engine_result_empty(engine_result *q);

/* engine_render.c: values as text (DuckDB's CAST(x AS VARCHAR)) or JSON. */
enum { R_TEXT, R_JSON };
/* 0 when the value at row of v is NULL. */
int engine_is_valid(duckdb_vector v, idx_t row);
/* 1 for the number types (right-aligned in tables). */
int engine_type_is_numeric(duckdb_type t);
/* Appends the value at row of vector v (logical type lt) to out in mode
 * R_TEXT or R_JSON; nested is 1 inside a list, struct or map. In R_TEXT mode
 * a top-level NULL is never passed here; nested NULLs print as NULL. In
 * R_JSON mode the output is one JSON value. */
void engine_render(buf *out, duckdb_vector v, duckdb_logical_type lt, idx_t row, int mode,
                   int nested);

#endif
