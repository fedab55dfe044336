/* engine.h - the one home of DuckDB: SQL execution, result output, Parquet writing.
 *
 * Only the engine's own files (engine*.c, through the private engine_internal.h)
 * include duckdb.h. An engine is one DuckDB database
 * (in memory unless a path is given) with one connection; use one engine per
 * thread. Every function returns 0 on success or -1 with a message in errstr
 * (DuckDB's own message for SQL errors). */
#ifndef TICKLAKE_ENGINE_H
#define TICKLAKE_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>

#include "engine_stmt.h"
#include "rowbuf.h" /* table layouts and values: engine_table, engine_value */
#include "util.h"

typedef struct engine engine;

/* Opens an engine. path NULL means in memory. threads 0 means DuckDB's default.
 * Returns NULL with errstr on failure. */
engine *engine_open(const char *path, int threads, char *errstr, size_t errstr_size);
/* Closes the connection and database. Accepts NULL. */
void engine_close(engine *e);

/* The version of the DuckDB library loaded ("v1.4.4"), loading it if need be;
 * *path (when path is not NULL) gets the file it was loaded from. NULL with
 * errstr when it cannot be loaded. */
const char *engine_duckdb_version(const char **path, char *errstr, size_t errstr_size);

/* Runs SQL (one or more statements) and discards any result. */
int engine_exec(engine *e, const char *sql, char *errstr, size_t errstr_size);

/* Runs one query and returns the first column of the first row as int64
 * (0 if there is no row or it is NULL). */
int engine_query_int64(engine *e, const char *sql, int64_t *out, char *errstr, size_t errstr_size);

/* Runs one query and calls row_cb once per row with every column rendered as
 * text (NULL for SQL NULL) and the column names. A non-zero return from row_cb
 * stops the iteration and is returned. */
typedef int (*engine_row_cb)(void *opaque, size_t ncols, const char *const *names,
                             const char *const *values);
int engine_query_rows(engine *e, const char *sql, engine_row_cb row_cb, void *opaque, char *errstr,
                      size_t errstr_size);

/* Output formats of engine_query_print. */
typedef enum {
    ENGINE_OUT_TABLE,
    ENGINE_OUT_CSV,
    ENGINE_OUT_JSON,
    ENGINE_OUT_ARROW
} engine_out_format;

/* Runs one query and writes its result to out: TABLE is an aligned text table
 * with a header and a row count line, numbers right-aligned; CSV is RFC 4180
 * with a header; JSON is one object per line (NDJSON) with typed values; ARROW
 * is an Arrow IPC stream (arrow_ipc.h), one record batch per DuckDB chunk, with
 * DuckDB's own Arrow types.
 * *rows_out (may be NULL) receives the number of rows. */
int engine_query_print(engine *e, const char *sql, engine_out_format fmt, FILE *out,
                       int64_t *rows_out, char *errstr, size_t errstr_size);

/* Called for each statement of a script once it is parsed and bound and
 * before it runs: 0 lets it run; -1 (with errstr) stops the script there,
 * so neither that statement nor any after it runs. */
typedef int (*engine_check_cb)(void *opaque, engine_stmt kind, char *errstr, size_t errstr_size);

/* How engine_query_run runs a script and where the last statement's rows go. */
typedef struct engine_run_opts {
    engine_out_format fmt; /* the display format, as engine_query_print */
    FILE *out;             /* the display; NULL for none */
    FILE *csv;             /* also the rows as CSV with a header (may be NULL) */
    int64_t max_rows;      /* output at most this many rows; 0 for all */
    int64_t timeout_ns;    /* interrupt the script after this long; 0 for never */
    engine_check_cb check; /* may be NULL: every statement runs */
    void *check_opaque;
    /* May be NULL. Set to non-zero (from a signal handler, say) while the
     * script runs, it interrupts it with the error "query cancelled". */
    volatile sig_atomic_t *cancel;
    const char *lead; /* written to out before the rows when the last statement returns
                         rows (a blank line between results, say); may be NULL */
    buf *names;       /* may be NULL; the caller's: set to the last statement's column
                         names as a JSON array when it returns rows (also when none) */
} engine_run_opts;

typedef struct engine_run_stats {
    engine_stmt statement; /* kind of the last statement */
    int has_result;        /* the last statement returns rows (a SELECT, not a SET) */
    int64_t columns;       /* its columns */
    int64_t rows;          /* rows output */
    int truncated;         /* max_rows stopped the output before the last row */
    int timed_out;         /* timeout_ns passed: the script was interrupted */
    int cancelled;         /* *cancel was set: the script was interrupted */
} engine_run_stats;

/* Runs the statements of sql in order (as engine_query_print does) under the
 * options of o. A timeout is an error "query timed out after N s". st (may be
 * NULL) is filled in also on failure. */
int engine_query_run(engine *e, const char *sql, const engine_run_opts *o, engine_run_stats *st,
                     char *errstr, size_t errstr_size);

/* Limits the engine's memory (memory_limit) and the size of what it spills
 * to its temporary folder (max_temp_directory_size), in bytes; 0 leaves
 * DuckDB's default (80% of the RAM, 90% of the free disk). Call it before
 * engine_restrict_files, which locks the settings. */
int engine_limit_memory(engine *e, int64_t memory_bytes, int64_t temp_bytes, char *errstr,
                        size_t errstr_size);

/* Confines the engine's file access for good: afterwards SQL may read and
 * write only below the folders dirs (each given with a trailing '/'; an
 * "s3://bucket/prefix/" one after engine_attach_s3) and the files paths;
 * extensions are neither installed nor loaded, secrets are never persisted,
 * and no setting can be changed again. */
int engine_restrict_files(engine *e, const char *const *dirs, size_t ndirs,
                          const char *const *paths, size_t npaths, char *errstr,
                          size_t errstr_size);

/* --- Reading S3 in place ---------------------------------------------- */

/* Where and how an engine reads s3:// URLs itself. Strings are borrowed. */
typedef struct engine_s3 {
    const char *scope;    /* "s3://bucket/prefix/": the credentials apply below it */
    const char *endpoint; /* host[:port] */
    int use_ssl;          /* https (1) or http (0) */
    int path_style;       /* path-style URLs (1) or virtual-host (0) */
    const char *region;
    const char *key_id;
    const char *secret;
    const char *session_token; /* NULL when none */
    const char *ca_file;       /* CA bundle of https (httpfs' ca_cert_file); NULL: the system's */
} engine_s3;

/* Lets SQL in e read s3:// URLs below s3->scope: loads DuckDB's httpfs
 * extension from the file fetched beside libduckdb (ENGINE_HTTPFS_EXT, set by
 * the Makefile) with signature checking on, so only a build DuckDB signed
 * loads, keeps HTTP connections open in a pool across requests, and
 * creates a temporary secret with s3's credentials. Call it
 * before engine_restrict_files, which locks the settings and refuses loading
 * extensions (list s3->scope among its dirs). Secrets never appear in errstr. */
int engine_attach_s3(engine *e, const engine_s3 *s3, char *errstr, size_t errstr_size);
/* Replaces the secret of engine_attach_s3 with s3's credentials (refreshed
 * temporary keys): queries started afterwards use them. Works after
 * engine_restrict_files. Secrets never appear in errstr. */
int engine_s3_secret(engine *e, const engine_s3 *s3, char *errstr, size_t errstr_size);

/* The bytes of S3 response bodies (GETs: footers and column chunks) e has
 * received since engine_attach_s3 or the last call, from DuckDB's HTTP log,
 * which is then emptied; 0 for an engine without S3. */
int64_t engine_s3_take_bytes(engine *e);

/* --- Writing rows to Parquet ------------------------------------------- */

/* The options of every Parquet file ticklake writes (COPY ... TO (...)):
 * ZSTD, and Parquet 2 data pages, whose DELTA_BINARY_PACKED encoding of
 * integers and timestamps (sorted by time within a symbol) makes files about
 * 25% smaller and time columns about a third cheaper to scan (see
 * docs/decisions/0023-parquet-zstd-v2-pages.md). Readers: DuckDB, Spark 3,
 * Trino/Athena engine 3. */
#define ENGINE_PARQUET_OPTIONS "FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION V2"

/* Writes rows[0..n) of rb, in that order, to a Parquet file at path with
 * ENGINE_PARQUET_OPTIONS, then fsyncs it; the caller sorted them
 * (rowbuf_sort), so there is no ORDER BY. The values go straight from rb's
 * arrays into DuckDB's Parquet writer through a table function, without a
 * table in between. *rows_out (may be NULL) gets the count written. */
int engine_write_parquet_rows(engine *e, const rowbuf *rb, const uint32_t *rows, size_t n,
                              const char *path, int64_t *rows_out, char *errstr,
                              size_t errstr_size);
/* The same with only the first ncols columns of rb's table (1..ncolumns). */
int engine_write_parquet_cols(engine *e, const rowbuf *rb, size_t ncols, const uint32_t *rows,
                              size_t n, const char *path, int64_t *rows_out, char *errstr,
                              size_t errstr_size);

/* Appends s to out as a SQL string literal ('...' with quotes doubled). */
void engine_quote_literal(buf *out, const char *s);
/* Appends s to out as a SQL identifier ("..." with quotes doubled). */
void engine_quote_ident(buf *out, const char *s);

#endif
