/* compact.h - merging a lake partition's small files into large ones, and
 * retention (dropping whole partitions older than N days).
 *
 * Compaction works per partition folder (<table>/date=D) and per Kafka topic
 * partition within it. Its inputs are the sealed files: every sink file
 * ("<topic>+<p>+<offset>.parquet") and earlier compacted file of that topic
 * partition except the sink file with the highest offset, which the sink may
 * still rewrite (a retry after a crash rewrites only the file of its last,
 * uncommitted flush, and that file has the highest offset of its folder).
 * Sealed files are taken in offset order and grouped until a group reaches
 * target_bytes; every group of two or more files is merged (sorted as the
 * sink sorts, by all columns: symbol and time first) into
 * "~<topic>+<p>+<first>-<last>.parquet", where first and last are the
 * offsets in the names of its first and last input (lakepath.h). A group that
 * stays below the target (the tail) is merged too; the next run merges that
 * file with the files that arrived since, until it reaches the target.
 *
 * Atomicity: the merged file appears in one step (rename, or one PutObject /
 * completed multipart upload) and from then on covers its inputs: readers that
 * apply the covering rule (ticklake query, the crawler) switch from the inputs
 * to the merged file at that instant, never seeing a row twice or missing one.
 * The inputs are deleted only after grace_ns, so a query that listed them just
 * before the switch can still read them (by this run, which waits, or with
 * defer_deletes by the next run after the grace). A crash at any point leaves either
 * no merged file (its temporary file is removed by the next run; on S3 also
 * the staging copies of its inputs and the merged object's incomplete
 * multipart upload) or a merged file with inputs it covers (deleted by the
 * next run once their grace has passed). Before writing, the merged rows are counted against the
 * inputs'.
 *
 * Retention: with retain_days N, partitions date=D with D before (today - N
 * days, UTC) are deleted whole (year=Y partitions when the whole year is), and
 * the catalog is crawled afterwards so they leave it too. A writer's
 * temporary file modified within the last hour stays (the sink landing late
 * rows of an expired date renames it into place; the next run drops that).
 *
 * One compaction of a table runs at a time (local lakes: a lock file
 * <table>/_compact.lock; on S3 this is the caller's to ensure). */
#ifndef TICKLAKE_COMPACT_H
#define TICKLAKE_COMPACT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "storage.h"

#define COMPACT_DEFAULT_TARGET (128LL << 20)
#define COMPACT_DEFAULT_GRACE_NS (60LL * 1000000000LL)

typedef struct compact_opts {
    const char *lake;         /* a storage.h URL */
    storage_options storage;  /* S3 settings */
    const char *cache_dir;    /* S3 lakes: the local cache (NULL: lakecache.h's default) */
    const char *table;        /* the table's folder, e.g. "trades" */
    const char *partition;    /* one partition value ("2026-03-04"), NULL for all */
    int64_t target_bytes;     /* 0: COMPACT_DEFAULT_TARGET */
    int64_t grace_ns;         /* < 0: COMPACT_DEFAULT_GRACE_NS; 0: delete inputs at once */
    int64_t retain_days;      /* 0: keep every partition */
    int64_t now_ns;           /* 0: the clock (retention's "today") */
    int no_compact;           /* only apply retention */
    const atomic_int *cancel; /* optional: stop early (nothing half done is left visible) */
    /* For a caller that compacts again and again (`ticklake run`): */
    int defer_deletes; /* do not wait out the grace: this run's inputs stay, covered, and a
                          later run deletes them once their grace has passed */
    int no_crawl;      /* leave the catalog alone (the caller crawls, or a user does) */
    int quiet;         /* log each merge at debug level, not info */
} compact_opts;

typedef struct compact_stats {
    int64_t partitions; /* partition folders looked at */
    int64_t files_in;   /* files merged */
    int64_t files_out;  /* files written */
    int64_t bytes_in, bytes_out, rows;
    int64_t files_removed;                     /* inputs deleted (this run's and earlier runs') */
    int64_t partitions_dropped, files_dropped; /* by retention */
    int64_t catalog_version;                   /* after the crawl; 0 if none ran */
    int64_t groups_skipped; /* groups left unmerged: an input DuckDB could not read (logged) */
} compact_stats;

/* Runs compaction and retention on one table. 0, or -1 with errstr; a table
 * the lake has no folder for is an error that lists the tables it has. */
int compact_run(const compact_opts *o, compact_stats *st, char *errstr, size_t errstr_size);

/* The merge plan of one topic partition's sealed files (pure): sizes of n
 * files in offset order. Fills groups[k] = {first index, end index} for each
 * group to merge (two or more files); returns the number of groups. */
size_t compact_plan(const int64_t *sizes, size_t n, int64_t target, size_t (*groups)[2]);

#endif
