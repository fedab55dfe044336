/* catalog.h - a Glue-style crawler and catalog over a Parquet lake, and SQL views over it.
 *
 * Lake layout (as ticklake writes it; other tools may add key=value levels):
 *
 *   <lake>/<table>/<key>=<value>[/<key>=<value>...]/<file>.parquet
 *   <lake>/_catalog/catalog.json            the current catalog
 *   <lake>/_catalog/versions/<version>.json every version ever written
 *
 * Each top-level folder is a table. Folders and files whose names start with
 * '_' or '.' are not data; names ending in ".tmp" or containing ".tmp-" are
 * in-flight temporary files; data files are "*.parquet", and the "*.csv" and
 * "*.json" / "*.jsonl" / "*.ndjson" files other tools drop into the lake. A
 * folder holding data files is a partition; its key=value folders (in path
 * order) give the partition keys. Data files directly in the table folder make
 * an unpartitioned table (one partition with no values). A table has one
 * format, that of most of its files (Parquet, then JSON, then CSV on a tie);
 * files of another format are left out with a warning.
 *
 * The crawl is incremental: a file whose size and mtime match the previous
 * catalog version is not read again; new and changed files have their footer
 * read through DuckDB (schema, row count, and min/max statistics of the time
 * column). CSV and JSON files are sampled as Glue classifiers do: the types
 * from the first 20,480 rows (the whole file when a later value does not fit),
 * then one pass for the row count and time range. A new version is written
 * only when something changed. Policies (catalog_crawl_opts): schema changes
 * are applied or only logged; tables and partitions whose data is gone are
 * deleted, kept (logged), or kept marked deprecated.
 *
 * Rules:
 * - Columns: the union by name over the table's readable files, in order of
 *   first appearance (files in path order). A column named like a partition
 *   key is left to the partition key (with a warning).
 * - A column typed differently across files gets a common supertype
 *   (catalog_supertype) and a table warning; the view casts it. Views read
 *   files of different schemas in separate scans joined by UNION ALL, so a
 *   conflict DuckDB cannot unify in one scan (a STRUCT and an INTEGER:
 *   VARCHAR by the rule) never makes a query fail.
 * - Partition key types are inferred from all of the key's values
 *   (catalog_key_type): DATE, BIGINT or VARCHAR. Values are kept exactly as
 *   written in the folder names.
 * - Partitions whose key names differ from the table's (those of most
 *   partitions) are skipped with a warning.
 * - A file that cannot be read as Parquet is recorded in the table's
 *   bad_files with a warning, is not counted, and is not read again until its
 *   size or mtime changes. The crawl goes on.
 * - The time column is "ts", else "window_start", else "date" (index_daily),
 *   when its type is a TIMESTAMP or DATE type (a DATE's range is of days, as
 *   midnights UTC); min/max come from the Parquet statistics and are given
 *   only when every file with rows has them. A file a previous crawl found no
 *   range in because it did not take "date" for a time column is read again.
 * - A table whose folder exists but holds no data keeps the columns and keys
 *   of its previous version (none on a first crawl).
 *
 * catalog.json, field by field (paths are relative to the lake, so a lake can
 * be moved; every array is sorted: tables by name, partitions by location,
 * files by path):
 *
 * {
 *   "format": "ticklake-catalog/1",
 *   "database": "ticklake",
 *   "version": 3,                          increases by one per written crawl
 *   "crawled_at": "2026-01-02T03:04:05.123456789Z",
 *   "crawled_at_ns": 1767323045123456789,
 *   "tables": [{
 *     "name": "trades",
 *     "location": "trades",
 *     "format": "csv",                       optional: absent means "parquet"
 *     "deprecated": true,                    optional: the folder is gone (--on-delete deprecate)
 *     "columns": [{"name": "symbol", "type": "VARCHAR"}, ...],   resolved, no keys
 *     "partition_keys": [{"name": "date", "type": "DATE"}],
 *     "rows": 1000, "bytes": 52000, "files": 4,                   totals (not deprecated)
 *     "time_column": "ts",                                        optional, with:
 *     "min_time_ns": ..., "max_time_ns": ...,                     optional
 *     "min_time": "2026-01-01T00:00:00Z", "max_time": "...",      optional
 *     "schemas": [[{"name": "symbol", "type": "VARCHAR"}, ...]],  distinct file schemas
 *     "partitions": [{
 *       "values": ["2026-01-01"],                                 one per key
 *       "location": "trades/date=2026-01-01",
 *       "deprecated": true,                                       optional, as for tables
 *       "rows": 500, "bytes": 26000,
 *       "files": [{"path": "trades/date=2026-01-01/t+0+00000000000000000000.parquet",
 *                  "size": 26000, "mtime_ns": ..., "rows": 500,
 *                  "schema": 0,                                   index into schemas
 *                  "min_time_ns": ..., "max_time_ns": ...}]       optional
 *     }],
 *     "bad_files": [{"path": "...", "size": 5, "mtime_ns": ..., "error": "..."}],
 *     "warnings": ["column 'price' has types BIGINT, DOUBLE across files: using DOUBLE"]
 *   }],
 *   "warnings": []                                                lake-wide
 * }
 *
 * The optional members were added without changing the format name: older
 * catalogs read as Parquet tables with nothing deprecated, and older readers
 * ignore the members.
 *
 * File-system access is kept in a few functions of catalog.c (list a folder,
 * read, write atomically, lock) so a storage interface can replace them. */
#ifndef TICKLAKE_CATALOG_H
#define TICKLAKE_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "util.h"

#define CATALOG_DATABASE "ticklake"
#define CATALOG_FORMAT "ticklake-catalog/1"
#define CATALOG_DIR "_catalog"

typedef struct catalog_column {
    char *name;
    char *type; /* a DuckDB type name: "VARCHAR", "TIMESTAMP_NS", "DECIMAL(18,3)" */
} catalog_column;

typedef struct catalog_schema {
    catalog_column *columns;
    size_t ncolumns;
} catalog_schema;

typedef struct catalog_file {
    char *path; /* relative to the lake */
    int64_t size;
    int64_t mtime_ns;
    int64_t rows;
    size_t schema; /* index into the table's schemas */
    int has_time;  /* min/max_time_ns are set */
    int64_t min_time_ns, max_time_ns;
} catalog_file;

typedef struct catalog_bad_file {
    char *path; /* relative to the lake */
    int64_t size;
    int64_t mtime_ns;
    char *error;
} catalog_bad_file;

typedef struct catalog_partition {
    char **values; /* one per partition key, as written in the folder name */
    size_t nvalues;
    int deprecated; /* its folder is gone; kept by --on-delete deprecate */
    char *location; /* relative to the lake */
    catalog_file *files;
    size_t nfiles;
    int64_t rows, bytes;
} catalog_partition;

typedef struct catalog_table {
    char *name;
    char *location;          /* relative to the lake */
    char *format;            /* "parquet", "csv" or "json" */
    int deprecated;          /* its folder is gone; kept by --on-delete deprecate */
    catalog_column *columns; /* resolved over all files; partition keys not included */
    size_t ncolumns;
    catalog_column *partition_keys;
    size_t nkeys;
    catalog_partition *partitions;
    size_t npartitions;
    catalog_schema *schemas;
    size_t nschemas;
    catalog_bad_file *bad_files;
    size_t nbad_files;
    int64_t rows, bytes, files; /* totals over the partitions not deprecated */
    char *time_column;          /* NULL when the table has none */
    int has_time;               /* min/max_time_ns are set */
    int64_t min_time_ns, max_time_ns;
    char **warnings;
    size_t nwarnings;
} catalog_table;

/* A loaded catalog. Every string and array is owned by it; free the whole
 * with catalog_free. */
typedef struct catalog {
    int64_t version;
    char *database;
    int64_t crawled_at_ns;
    catalog_table *tables;
    size_t ntables;
    char **warnings;
    size_t nwarnings;
} catalog;

typedef struct catalog_crawl_stats {
    int64_t version; /* the catalog version after the crawl */
    int written;     /* 1 if this crawl wrote a new version */
    size_t tables;   /* tables in the catalog */
    size_t tables_added, tables_removed;
    size_t partitions; /* partitions in the catalog */
    size_t partitions_added, partitions_changed, partitions_unchanged, partitions_removed;
    size_t files;         /* readable data files in the catalog */
    size_t files_read;    /* footers read in this crawl (new or changed files) */
    size_t files_skipped; /* not read: unchanged since the previous version */
    size_t files_failed;  /* not readable as Parquet (bad_files, each with a warning) */
    size_t files_ignored; /* not data: not *.parquet, or temporary */
    size_t warnings;      /* in the catalog, lake-wide and per table */
    int64_t rows, bytes;  /* totals over the catalog */
} catalog_crawl_stats;

/* What a crawl does when a table's schema changed since the previous
 * version (Glue's SchemaChangePolicy.UpdateBehavior). */
typedef enum {
    CATALOG_CHANGE_UPDATE, /* the catalog takes the new columns and types */
    CATALOG_CHANGE_LOG     /* the previous columns and types stay; each difference is a
                              warning; views read the files as the catalog says (TRY_CAST
                              to the kept type, NULL for a column a file lacks) */
} catalog_on_change;

/* What a crawl does with tables and partitions whose data is gone (Glue's
 * DeleteBehavior). */
typedef enum {
    CATALOG_DELETE_DELETE,   /* removed from the catalog */
    CATALOG_DELETE_LOG,      /* kept as they were, with a warning */
    CATALOG_DELETE_DEPRECATE /* kept, marked "deprecated": true, left out of totals */
} catalog_on_delete;

typedef struct catalog_crawl_opts {
    catalog_on_change on_change;
    catalog_on_delete on_delete;
    /* The database the tables are recorded in (Glue's DatabaseName): NULL
     * keeps the previous version's, else CATALOG_DATABASE. [A-Za-z_][A-Za-z0-9_]*. */
    const char *database;
} catalog_crawl_opts;

/* Crawls the lake and writes a new catalog version if anything changed
 * (see above), with UPDATE and DELETE as policies. e runs the footer
 * queries. st (may be NULL) is filled in.
 * Only one crawl of a lake runs at a time (a lock in _catalog/). Returns 0,
 * or -1 with errstr: a lake that cannot be listed, a previous catalog that
 * cannot be parsed, a catalog that cannot be written. Unreadable data files
 * are warnings, not errors. */
int catalog_crawl(engine *e, const char *lake, catalog_crawl_stats *st, char *errstr,
                  size_t errstr_size);
/* catalog_crawl with the policies of opts (NULL: UPDATE and DELETE). */
int catalog_crawl_ext(engine *e, const char *lake, const catalog_crawl_opts *opts,
                      catalog_crawl_stats *st, char *errstr, size_t errstr_size);

/* Reads <lake>/_catalog/catalog.json and creates in e one TEMP VIEW per table,
 * named as the table, selecting the catalog's columns in order, then the
 * partition keys, from
 *   read_parquet([<one glob per partition>], hive_partitioning=true,
 *                union_by_name=true, hive_types={<key>: <type>, ...})
 * (read_csv / read_json for those formats; one such scan per file schema,
 * joined by UNION ALL, when the files' schemas differ) so partition keys
 * appear as columns of their catalog types and filters on them prune files. The partitions are the
 * catalog's; the files are whatever each partition folder holds at query time ("[!._~]*.parquet"),
 * except that a partition with known bad files lists its good files instead, a partition whose
 * folder holds a compacted "~" file (compact.h) lists the files no such file covers (lakepath.h)
 * as they are when the view is made, and a partition whose folder holds no data file now is left
 * out. The crawler leaves covered files out too. A table without partitions gets an empty view with
 * the catalog's columns; a table without columns gets no view. Columns typed differently across
 * files are cast to the catalog type. *ntables (may be NULL) gets the number of views. The error
 * for a missing catalog is "no catalog in '<lake>': run 'ticklake crawl' first". */
int catalog_attach(engine *e, const char *lake, size_t *ntables, char *errstr, size_t errstr_size);

/* catalog_attach, except that the tables named in absent (their files are
 * not here, e.g. not in an S3 lake's cache) get a view with the catalog's
 * columns that fails when read: "table '<name>' <why>". */
int catalog_attach_ext(engine *e, const char *lake, const char *const *absent, size_t nabsent,
                       const char *why, size_t *ntables, char *errstr, size_t errstr_size);

/* Defines the analysis macros in e when the catalog has a trades table with
 * symbol, ts, price, size, id and date (a lake the pipeline writes); without
 * one it defines nothing and succeeds. Table macros, each with the optional
 * named filters sym := 'X', from_date := DATE, to_date := DATE (inclusive,
 * on the date partition key, so they prune files):
 *   ohlc(every)                 OHLCV bars from trades at any interval:
 *                               symbol, window_start, open, high, low, close,
 *                               volume, vwap, trades, turnover
 *   vwap(every := 1 day)        symbol, window_start, vwap, volume, trades
 *   returns(every := 1 day)     symbol, window_start, close, prev_close, ret, log_ret
 *   top_movers(n := 10)         symbol, first_price, last_price, ret, volume, trades
 *                               (largest |ret| over the date range first)
 *   anomalies(every := 1 minute, z := 4)
 *                               bars whose log return or volume is at least z
 *                               standard deviations from the symbol's mean
 * Windows start at multiples of `every` since the epoch; open/close follow
 * event time, ties broken by trade id, and vwap is turnover / volume clamped
 * to [low, high], as the pipeline's bars. */
int catalog_define_macros(engine *e, const char *lake, char *errstr, size_t errstr_size);

/* Loads <lake>/_catalog/catalog.json into *out (free with catalog_free).
 * Same missing-catalog error as catalog_attach. */
int catalog_load(const char *lake, catalog **out, char *errstr, size_t errstr_size);
/* Loads <lake>/_catalog/versions/<version>.json. */
int catalog_load_version(const char *lake, int64_t version, catalog **out, char *errstr,
                         size_t errstr_size);
/* Parses catalog JSON text (pure). 0, or -1 with errstr naming what is wrong. */
int catalog_parse(const char *text, size_t len, catalog **out, char *errstr, size_t errstr_size);
/* Appends the JSON form of c (the shape above) to out. */
void catalog_to_json(const catalog *c, buf *out);
/* Frees c and everything in it. Accepts NULL. */
void catalog_free(catalog *c);

/* DDL dialects: Hive's (Athena, Glue, Spark, Hive) and Trino's. */
typedef enum { CATALOG_DDL_HIVE, CATALOG_DDL_TRINO } catalog_ddl_dialect;

/* Appends to out the statement that declares table t in another engine over
 * the same files, with the table's folder under location (the lake's URI,
 * e.g. "s3://bucket/lake" once the lake is copied there):
 *   Hive:  CREATE EXTERNAL TABLE IF NOT EXISTS `t` (...) PARTITIONED BY (...)
 *          STORED AS PARQUET LOCATION '<location>/<table>/' TBLPROPERTIES (...);
 *          (CSV: ROW FORMAT DELIMITED ... TEXTFILE; JSON: the OpenX JSON SerDe)
 *   Trino: CREATE TABLE IF NOT EXISTS "t" (..., keys last) WITH (format =
 *          'PARQUET', external_location = '...', partitioned_by = ARRAY[...]);
 * With add_partitions it also registers the catalog's partitions (Hive: ALTER
 * TABLE ADD IF NOT EXISTS PARTITION ... LOCATION ...; Trino:
 * system.sync_partition_metadata). -1 with errstr when a column's type has no
 * equivalent there (TIME, UUID, INTERVAL, ...). Pure. */
int catalog_ddl(const catalog_table *t, const char *location, catalog_ddl_dialect d,
                int add_partitions, buf *out, char *errstr, size_t errstr_size);
/* Appends the other engine's name of DuckDB type duck (nested types too:
 * "INTEGER[]" is array<int> / array(integer)). -1 with errstr if none. Pure. */
int catalog_ddl_type(const char *duck, catalog_ddl_dialect d, buf *out, char *errstr,
                     size_t errstr_size);

/* Deep copies: every string and array of *from copied into *p or *t, which
 * are overwritten (free them with the catalog that holds them). */
void catalog_partition_copy(catalog_partition *p, const catalog_partition *from);
void catalog_table_copy(catalog_table *t, const catalog_table *from);

/* The table named name, or NULL. */
const catalog_table *catalog_find_table(const catalog *c, const char *name);

/* The common type of two column types, as the crawler resolves them:
 * equal types stay; integers widen to the smallest signed type holding both
 * (UBIGINT with a signed type gives HUGEINT); integers, DECIMALs, FLOAT and
 * DOUBLE mixed give DOUBLE; DATE and TIMESTAMP types mixed give the finest
 * timestamp (TIMESTAMP_S < _MS < TIMESTAMP < TIMESTAMP_NS); anything else is
 * VARCHAR. Returns a pointer to a or b, or to a static string. */
const char *catalog_supertype(const char *a, const char *b);
/* The type of a partition key from all of its values: "DATE" if every value
 * is a valid YYYY-MM-DD date, "BIGINT" if every value is a base-10 int64,
 * else "VARCHAR" (also when n is 0). */
const char *catalog_key_type(const char *const *values, size_t n);

#endif
