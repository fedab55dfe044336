/* lakepath.h - names in the lake: tables, Hive partitions, deterministic file names, which
 * names are data, and paths below a lake folder.
 *
 * Layout: <lake>/<table>/date=YYYY-MM-DD/<topic>+<partition>+<start offset>.parquet
 * The file name derives only from the Kafka topic, partition and the offset of
 * the first record it holds, so a retried write lands on the same name and
 * replaces the earlier attempt instead of adding a duplicate. Pure: no I/O. */
#ifndef TICKLAKE_LAKEPATH_H
#define TICKLAKE_LAKEPATH_H

#include <stddef.h>
#include <stdint.h>

#define LAKE_DATE_LEN 11 /* "YYYY-MM-DD" + NUL */

/* Formats the UTC date of ns since the epoch as YYYY-MM-DD. */
void lake_date(int64_t ns, char out[LAKE_DATE_LEN]);
/* The start of the UTC day holding ns, in ns since the epoch. */
int64_t lake_day_start(int64_t ns);
/* The start of the UTC year holding ns, in ns since the epoch (clamped to
 * INT64_MIN for the first, partial year of int64 ns time). */
int64_t lake_year_start(int64_t ns);

/* Parses YYYY-MM-DD into the ns at the start of that UTC day. 0 or -1. */
int lake_parse_date(const char *s, int64_t *ns);

/* The lake table a topic lands in: dots become underscores ("bars.1s" ->
 * "bars_1s"). Returns -1 if out is too small or topic has characters outside
 * [A-Za-z0-9._-]. */
int lake_table_for_topic(const char *topic, char *out, size_t out_size);

/* "<lake>/<table>/date=<date>" into out. -1 if it does not fit. */
int lake_partition_dir(const char *lake, const char *table, const char *date, char *out,
                       size_t out_size);
/* "<topic>+<partition>+<offset, 20 digits>.parquet" into out. -1 if it does not fit. */
int lake_file_name(const char *topic, int32_t partition, int64_t start_offset, char *out,
                   size_t out_size);
/* Parses a file name made by lake_file_name. 0 or -1. topic_out gets the topic. */
int lake_parse_file_name(const char *name, char *topic_out, size_t topic_size, int32_t *partition,
                         int64_t *start_offset);

/* Compaction (compact.h) replaces sink files of one topic partition in one
 * partition folder by "~<topic>+<partition>+<first>-<last>.parquet", where
 * first and last are the offsets in the names of the first and last file it
 * replaces (a sink file <topic>+<partition>+<o> stands for the range [o, o]).
 * A file is covered, i.e. replaced, when another compacted file of the same
 * topic partition in the folder has a strictly larger range that contains
 * its range; readers leave covered files out, so the appearance of the
 * compacted file (one rename or PutObject) is the atomic switch. */
#define LAKE_TOPIC_MAX 256
typedef struct lake_file_id {
    char topic[LAKE_TOPIC_MAX];
    int32_t partition;
    int64_t first, last; /* offsets in the name; equal for a sink file */
    int compacted;       /* a "~" name */
} lake_file_id;

/* The compacted file name into out. -1 if it does not fit. */
int lake_compacted_name(const char *topic, int32_t partition, int64_t first, int64_t last,
                        char *out, size_t out_size);
/* Parses a sink file name or a compacted one. 0 or -1 (not a lake file name). */
int lake_parse_any_name(const char *name, lake_file_id *id);
/* 1 if the file name is covered by one of names (the files of its folder). */
int lake_name_covered(const char *name, const char *const *names, size_t n);

/* Which names are data (the crawler's rules, catalog_crawl.h). Names that
 * start with '.' or '_' are hidden: not data (the catalog, writers' temporary
 * files). Names that end in ".tmp" or hold ".tmp-" are files being written. */
int lake_name_is_hidden(const char *name);
int lake_name_is_temp(const char *name);
/* The format of a data file by its name: "parquet", "csv", "json" (also
 * .jsonl, .ndjson), or NULL for a file that is not data. */
const char *lake_file_format(const char *name);
/* 1 if name is a data file: neither hidden nor temporary, of a format above. */
int lake_name_is_data(const char *name);
/* 1 if name is a Parquet data file. */
int lake_name_is_parquet_data(const char *name);

/* The path of a local lake without trailing slashes ("/" stays "/"; "" is
 * "."), allocated. */
char *lake_root(const char *lake);
/* "<root>/<rel>" ("/<rel>" under "/"), allocated; root is a lake_root. */
char *lake_abs(const char *root, const char *rel);

#endif
