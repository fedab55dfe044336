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
 * in-flight temporary files; only "*.parquet" files are data. A folder holding
 * data files is a partition; its key=value folders (in path order) give the
 * partition keys. Data files directly in the table folder make an
 * unpartitioned table (one partition with no values).
 *
 * The crawl is incremental: a file whose size and mtime match the previous
 * catalog version is not read again; new and changed files have their footer
 * read through DuckDB (schema, row count, and min/max statistics of the time
 * column). A new version is written only when something changed.
 *
 * Rules:
 * - Columns: the union by name over the table's readable files, in order of
 *   first appearance (files in path order). A column named like a partition
 *   key is left to the partition key (with a warning).
 * - A column typed differently across files gets a common supertype
 *   (catalog_supertype) and a table warning; the view casts it.
 * - Partition key types are inferred from all of the key's values
 *   (catalog_key_type): DATE, BIGINT or VARCHAR. Values are kept exactly as
 *   written in the folder names.
 * - Partitions whose key names differ from the table's (those of most
 *   partitions) are skipped with a warning.
 * - A file that cannot be read as Parquet is recorded in the table's
 *   bad_files with a warning, is not counted, and is not read again until its
 *   size or mtime changes. The crawl goes on.
 * - The time column is "ts", else "window_start", when its type is a
 *   TIMESTAMP or DATE type; min/max come from the Parquet statistics and are
 *   given only when every file with rows has them.
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
 *     "columns": [{"name": "symbol", "type": "VARCHAR"}, ...],   resolved, no keys
 *     "partition_keys": [{"name": "date", "type": "DATE"}],
 *     "rows": 1000, "bytes": 52000, "files": 4,                   totals
 *     "time_column": "ts",                                        optional, with:
 *     "min_time_ns": ..., "max_time_ns": ...,                     optional
 *     "min_time": "2026-01-01T00:00:00Z", "max_time": "...",      optional
 *     "schemas": [[{"name": "symbol", "type": "VARCHAR"}, ...]],  distinct file schemas
 *     "partitions": [{
 *       "values": ["2026-01-01"],                                 one per key
 *       "location": "trades/date=2026-01-01",
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
    char *location; /* relative to the lake */
    catalog_file *files;
    size_t nfiles;
    int64_t rows, bytes;
} catalog_partition;

typedef struct catalog_table {
    char *name;
    char *location;          /* relative to the lake */
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
    int64_t rows, bytes, files;
    char *time_column; /* NULL when the table has none */
    int has_time;      /* min/max_time_ns are set */
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

/* Crawls the lake and writes a new catalog version if anything changed
 * (see above). e runs the footer queries. st (may be NULL) is filled in.
 * Only one crawl of a lake runs at a time (a lock in _catalog/). Returns 0,
 * or -1 with errstr: a lake that cannot be listed, a previous catalog that
 * cannot be parsed, a catalog that cannot be written. Unreadable data files
 * are warnings, not errors. */
int catalog_crawl(engine *e, const char *lake, catalog_crawl_stats *st, char *errstr,
                  size_t errstr_size);

/* Reads <lake>/_catalog/catalog.json and creates in e one TEMP VIEW per table,
 * named as the table, over
 *   read_parquet([<one glob per partition>], hive_partitioning=true,
 *                union_by_name=true, hive_types={<key>: <type>, ...})
 * so partition keys appear as columns of their catalog types and filters on
 * them prune files. The partitions are the catalog's; the files are whatever
 * each partition folder holds at query time ("[!._]*.parquet"), except that a
 * partition with known bad files lists its good files instead, and a
 * partition whose folder holds no data file now is left out. A table without
 * partitions gets an empty view with the catalog's columns; a table without
 * columns gets no view. Columns typed differently across files are cast to
 * the catalog type. *ntables (may be NULL) gets the number of views. The
 * error for a missing catalog is "no catalog in '<lake>': run 'ticklake
 * crawl' first". */
int catalog_attach(engine *e, const char *lake, size_t *ntables, char *errstr, size_t errstr_size);

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
