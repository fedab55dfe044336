/* catalog.h - the catalog model: what a Glue-style crawl of a lake found (catalog_crawl.h), its
 * tables, partitions, files and their schemas, kept as JSON in the lake (catalog_json.h) and read
 * by SQL views (catalog_sql.h) and by other engines' DDL (catalog_ddl.h).
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
 * files of another format are left out with a warning. */
#ifndef TICKLAKE_CATALOG_H
#define TICKLAKE_CATALOG_H

#include <stddef.h>
#include <stdint.h>

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

/* Frees c and everything in it. Accepts NULL. */
void catalog_free(catalog *c);

/* Building a catalog (the crawler and the JSON reader). Arrays in the model
 * grow by ARRAY_PUSH (util.h). */
/* Appends a column with copies of name and type. */
void catalog_column_push(catalog_column **cols, size_t *n, const char *name, const char *type);
/* Appends copies of the nfrom columns of from. */
void catalog_columns_append(catalog_column **cols, size_t *n, const catalog_column *from,
                            size_t nfrom);
/* Frees n columns and the array. */
void catalog_columns_free(catalog_column *c, size_t n);
/* The index of the schema equal to cols (same names and types in the same
 * order) among t's schemas, added (copied) if new. */
size_t catalog_schema_intern(catalog_table *t, const catalog_column *cols, size_t n);
/* Frees what p holds (not p). */
void catalog_partition_release(catalog_partition *p);

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
/* 1 when type has the shape of a DuckDB type as the crawler writes one
 * (VARCHAR, DECIMAL(18,3), TIMESTAMP WITH TIME ZONE, INTEGER[], INTEGER[3],
 * STRUCT("a b" VARCHAR, c MAP(VARCHAR, BIGINT))): words of letters, digits
 * and '_', double-quoted names, and ( ) [ ] , and spaces, the brackets
 * nested and closed, at most 64 KiB. Views paste a column's type into SQL
 * (CAST(x AS type)), and catalog.json is a file anyone who can write the
 * lake can write: nothing else may pass for a type. */
int catalog_type_valid(const char *type);
/* 1 for DATE, the TIMESTAMP types and TIMESTAMP WITH TIME ZONE. */
int catalog_is_time_type(const char *type);
/* The type of a partition key from all of its values: "DATE" if every value
 * is a valid YYYY-MM-DD date, "BIGINT" if every value is a base-10 int64,
 * else "VARCHAR" (also when n is 0). */
const char *catalog_key_type(const char *const *values, size_t n);

#endif
