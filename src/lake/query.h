/* query.h - Athena-style queries over the lake: sessions, query ids, the
 * statement policy, CREATE TABLE AS, saved results and the query history.
 *
 * A session is one engine with a view per catalog table (catalog_attach),
 * the analysis macros (catalog_define_macros), and file access confined to
 * the lake (engine_restrict_files). Every query run in it gets an id (a
 * time-ordered UUID, version 7) and leaves two files in the lake. A query is
 * one statement: `ticklake query` splits a script with query_split and runs
 * each statement as its own query, so each has its id, metadata and result.
 *
 *   <lake>/_results/<id>.csv    the rows of the last statement (RFC 4180, header)
 *   <lake>/_results/<id>.json   its metadata (query_meta below)
 *
 * The metadata, field by field:
 *
 *   {"format": "ticklake-query/1", "id": "0190f0c2-...", "sql": "SELECT ...",
 *    "kind": "SELECT",                 statement kind of the last statement, or "CTAS"
 *    "status": "SUCCEEDED",            or "FAILED" (with "error"), "TIMEOUT", "CANCELLED"
 *    "error": "...",                   only when not SUCCEEDED
 *    "submitted_at": "2026-...Z", "submitted_ns": 1767...,
 *    "elapsed_ns": 1234567,            wall time of the run
 *    "rows": 10, "truncated": false,   rows output (and saved); truncated by --max-rows
 *    "bytes_scanned": 52000,           bytes its reading of the lake's files took (below)
 *    "result": "_results/<id>.csv",    absent when the statement returns no rows
 *    "result_bytes": 300,
 *    "table": "name"}                  CTAS only: the table created
 *
 * bytes_scanned counts what the process read (read(2), pread(2): the rchar of
 * /proc/self/io) while the engine ran the statement itself: Parquet column
 * chunks and footers of the files it scanned (a page header can be read twice,
 * so a full scan may come to slightly more than the files' size). Not counted:
 * the catalog, the crawl after CREATE TABLE AS, writing and reading back the
 * result. A statement that read nothing (SELECT 1, one that did not parse or
 * was refused) has 0, as has data DuckDB still holds from earlier in the
 * session (footers read when the session opened, for one). For an S3 lake read
 * in place it adds the bytes of the S3 responses DuckDB received (the bodies
 * of its ranged GETs, from DuckDB's HTTP log).
 *
 * Write protection. Queries read the lake and write nothing into it but
 * _results/ and, through CREATE TABLE AS, one new table folder:
 * - statements are checked once bound and before they run
 *   (query_check_statement): INSERT, UPDATE, DELETE, COPY, EXPORT, ATTACH,
 *   DETACH, LOAD/INSTALL, PREPARE/EXECUTE, ALTER, VACUUM and the like are
 *   refused with the reason, and nothing of that statement or any after it runs;
 * - the engine can reach no file outside the lake (for an S3 lake read in
 *   place: nothing outside its s3://bucket/prefix/, with the credentials in
 *   a temporary secret scoped to it), loads no extension after httpfs, keeps
 *   no secret on disk, and its settings are locked (engine_restrict_files);
 * - CREATE TABLE AS is ticklake's own path: it checks that the query is a
 *   single SELECT, that the table does not exist (no overwrite), writes
 *   <lake>/<name>/<id>.parquet through a temporary name, then crawls.
 * DROP, CREATE VIEW/MACRO and SET act on the session's in-memory objects only. */
#ifndef TICKLAKE_QUERY_H
#define TICKLAKE_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>

#include "engine.h"
#include "storage.h"
#include "util.h"

#define QUERY_RESULTS_DIR "_results"
#define QUERY_META_FORMAT "ticklake-query/1"
#define QUERY_ID_LEN 36

/* Writes a new query id (a UUID version 7: time-ordered, random low bits)
 * into out (QUERY_ID_LEN + 1 bytes). */
void query_new_id(char *out);
/* 1 if s has the shape of a query id (36 characters, lower-case hex and
 * dashes at 8, 13, 18, 23). Pure. */
int query_id_valid(const char *s);

/* The metadata of one query (see above). Strings are owned. */
typedef struct query_meta {
    char id[QUERY_ID_LEN + 1];
    char *sql;
    char *kind;
    char *status;
    char *error; /* NULL when SUCCEEDED */
    int64_t submitted_ns, elapsed_ns;
    int64_t rows;
    int truncated;
    int64_t bytes_scanned;
    char *result; /* relative to the lake; NULL when none */
    int64_t result_bytes;
    char *table;   /* CTAS: the table created */
    char *columns; /* the result's column names as a JSON array (also when it has no
                      rows); NULL when the statement returns none. Not saved. */
} query_meta;

void query_meta_release(query_meta *m);
/* Appends the JSON form of m to out (one object and a newline). */
void query_meta_to_json(const query_meta *m, buf *out);
/* Parses metadata JSON text into *m (release with query_meta_release). Pure. */
int query_meta_parse(const char *text, size_t len, query_meta *m, char *errstr, size_t errstr_size);

/* Loads the metadata of every query saved in the lake, oldest first. Files
 * that cannot be parsed are skipped (counted in *skipped, may be NULL). A lake
 * without _results has no history (0 queries, no error). */
int query_history_load(const char *lake, query_meta **out, size_t *n, size_t *skipped, char *errstr,
                       size_t errstr_size);
void query_history_free(query_meta *v, size_t n);

/* --- Sessions -------------------------------------------------------- */

typedef struct query_session query_session;

/* Opens a session over the lake's catalog (the catalog must exist). threads
 * 0 means DuckDB's default. NULL with errstr on failure. */
query_session *query_session_open(const char *lake, int threads, char *errstr, size_t errstr_size);

/* How the queries of a session over an S3 lake read its data files. */
typedef enum query_s3_read {
    QUERY_S3_DEFAULT = 0, /* QUERY_S3_READ_DEFAULT */
    QUERY_S3_IN_PLACE,    /* DuckDB reads the byte ranges it needs from S3 (httpfs) */
    QUERY_S3_CACHE        /* the files are downloaded whole into the local cache first */
} query_s3_read;
/* The default: in place (docs/decisions/0037-s3-queries-in-place.md). */
#define QUERY_S3_READ_DEFAULT QUERY_S3_IN_PLACE
/* DuckDB's threads for a session that reads S3 in place and was given 0:
 * each thread waits on its own ranged GETs, so more threads than cores keep
 * more requests in flight (a daily VWAP at 20 ms a request: 27.1 s with 2,
 * 6.8 s with 16, 6.1 s with 32; docs/decisions/0045). */
#define QUERY_S3_THREADS 16

/* "in-place" or "cache" into *out; 0, or -1. Pure. */
int query_parse_s3_read(const char *s, query_s3_read *out);

/* Where the lake is, for query_session_open_ext. */
typedef struct query_lake_opts {
    const storage_options *storage; /* how to reach an s3:// lake; may be NULL */
    const char *cache_dir;          /* its local cache (lakecache.h); NULL: the default */
    query_s3_read s3_read;          /* how an S3 lake's files are read */
    const char *sql;       /* the SQL the session will run, when known (NULL: any, as the shell):
                              an S3 lake then brings in only the tables it names */
    int64_t memory_limit;  /* the session engine's memory, bytes; 0: DuckDB's 80% of the RAM */
    int64_t max_temp_size; /* what it may spill to disk, bytes; 0: DuckDB's 90% of the free disk */
} query_lake_opts;

/* As query_session_open, for a local lake or an s3://bucket/prefix lake (lo
 * may be NULL: a local lake with DuckDB's memory defaults); threads 0 means
 * QUERY_S3_THREADS when the session reads S3 in place. For
 * an S3 lake the catalog is brought into the local cache (lakecache.h) and
 * the S3 folders of the catalog's partitions are listed when the session
 * opens (with lo->sql, only the tables whose names appear in it, and trades
 * for the analysis macros; the other tables' views fail when read, never
 * answer empty). Then, as lo->s3_read says: in place, the views read the
 * objects' s3:// URLs, DuckDB fetching only the footers and column chunks a
 * query needs (httpfs, with the credentials ticklake resolved, confined to
 * the lake's prefix); or through the cache, the files are downloaded whole
 * (only those not cached yet) and the views read the local copies. Results,
 * their metadata and CTAS tables are uploaded to the lake (_results/,
 * <name>/) as they are written. */
query_session *query_session_open_ext(const char *lake, const query_lake_opts *lo, int threads,
                                      char *errstr, size_t errstr_size);
/* The session's local lake folder (the cache's mirror for an S3 lake). */
const char *query_session_dir(const query_session *s);
/* Appends the cache counters of an S3 session (nothing for a local one). */
void query_session_describe_cache(const query_session *s, buf *out);
void query_session_close(query_session *s);
/* Catalog tables attached as views. */
size_t query_session_tables(const query_session *s);

/* 1 once a script run in s has let through a statement whose effect
 * outlives it (CREATE, DROP, a transaction, SET, SET VARIABLE), even one
 * that then failed: a session shared by requests is then closed, so that
 * one query cannot leave the next a dropped view, a forged one or an
 * aborted transaction. */
int query_session_changed(const query_session *s);

/* ARROW is an Arrow IPC stream of the result (engine.h), for one statement that returns rows. */
typedef enum {
    QUERY_OUT_TABLE,
    QUERY_OUT_CSV,
    QUERY_OUT_JSON,
    QUERY_OUT_PARQUET,
    QUERY_OUT_ARROW
} query_out;

typedef struct query_opts {
    query_out format;
    FILE *out;            /* display for TABLE/CSV/JSON/ARROW; Parquet bytes go here too unless
                             out_path is set; NULL for no display */
    const char *out_path; /* PARQUET: write the file here instead of to out (may be NULL) */
    int64_t max_rows;     /* 0: all */
    int64_t timeout_ns;   /* 0: none */
    int save;             /* save _results/<id>.csv and <id>.json */
    volatile sig_atomic_t *cancel; /* may be NULL; set, it stops the query ("CANCELLED") */
    int64_t max_bytes; /* PARQUET: a file growing past this stops the query (0: no limit); it
                          fails, the file is removed and *too_large (may be NULL) is set */
    int *too_large;
    int *results; /* may be NULL; the statements of a script run one by one share it: it
                     counts what they wrote to out (results, CTAS's line), and once it is
                     non-zero, a TABLE or CSV result is preceded by a blank line */
} query_opts;

/* Runs sql (one statement; of several, all run and the last one's rows are
 * the result) in the session. meta (required) is filled in whatever happens
 * (release it with query_meta_release); when o->save the metadata is saved
 * too, also for a failed query. Returns 0, or -1 with errstr (the query's
 * error, also in meta->error). */
int query_session_run(query_session *s, const char *sql, const query_opts *o, query_meta *meta,
                      char *errstr, size_t errstr_size);

/* 1 when path (existing or not) lies inside the lake folder. */
int query_path_in_lake(const char *lake, const char *path);

/* Prints a small table given as text (cells: nrows * ncols, row by row,
 * NULL for SQL NULL) in the query output formats; types are SQL types the
 * cells are cast to (numbers align right and are JSON numbers). */
int query_print_rows(const char *const *names, const char *const *types, size_t ncols,
                     const char *const *cells, size_t nrows, query_out fmt, FILE *out, char *errstr,
                     size_t errstr_size);

#endif
