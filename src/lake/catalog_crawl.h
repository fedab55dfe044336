/* catalog_crawl.h - the crawler: builds the next catalog version (catalog.h) of a local lake
 * from its folders and the footers of its files, read through DuckDB.
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
 * The crawl reads a local folder (util.h's list_dir); an S3 lake is crawled
 * through its local mirror (lakecache.h). */
#ifndef TICKLAKE_CATALOG_CRAWL_H
#define TICKLAKE_CATALOG_CRAWL_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "engine.h"

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

#endif
