/* cmd_compact.c - `ticklake compact`: merge small lake files, apply retention. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "compact.h"
#include "lakepath.h"
#include "lakecache.h"
#include "pipeline.h"

int cmd_compact(int argc, char **argv)
{
    const char *lake = "./lake", *date = NULL, *today = NULL;
    const char *s3_endpoint = NULL, *s3_region = NULL, *s3_addressing = NULL, *cache_dir = NULL,
               *s3_profile = NULL;
    int64_t target = COMPACT_DEFAULT_TARGET, grace = COMPACT_DEFAULT_GRACE_NS, retain = 0;
    int retain_only = 0, verbose = 0, quiet = 0;
    const cli_option options[] = {
        {0, "lake", CLI_STRING, &lake, "URL",
         "lake: a directory, file:///path or s3://bucket/prefix (default ./lake)"},
        {0, "date", CLI_STRING, &date, "D",
         "compact only this partition (date=D, or year=D for yearly tables)"},
        {0, "target-bytes", CLI_INT, &target, "N", "size of the merged files (default 128 MiB)"},
        {0, "grace", CLI_DURATION, &grace, "DUR",
         "keep merged files this long for queries that listed them (default 60s)"},
        {0, "retain-days", CLI_INT, &retain, "N",
         "delete whole partitions older than N days (UTC dates before today - N; default keep)"},
        {0, "retain-only", CLI_FLAG, &retain_only, NULL, "apply --retain-days, do not merge"},
        {0, "today", CLI_STRING, &today, "D", "the date retention counts from (default: today)"},
        LAKE_S3_OPTIONS(&s3_endpoint, &s3_region, &s3_addressing, &cache_dir, &s3_profile),
        CLI_LOG_OPTIONS(&verbose, &quiet),
        CLI_OPT_END};
    const cli_command cmd = {
        "compact", "ticklake compact TABLE [options]",
        "Merges each partition's small files into files of about --target-bytes. The\n"
        "merged file replaces its inputs in one step for ticklake query and the\n"
        "catalog; the inputs are deleted after --grace. The file the sink may still\n"
        "rewrite (the newest of each topic partition) is left alone. With\n"
        "--retain-days, partitions older than that are deleted. The catalog is\n"
        "crawled afterwards (an S3 lake through its local cache, as crawl does).",
        options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 1, &npos);
    cli_apply_log(verbose, quiet);
    if (npos != 1)
        return cli_usage_error(&cmd, "name the table to compact");
    if (target < 1)
        return cli_usage_error(&cmd, "--target-bytes must be at least 1");
    if (grace < 0)
        return cli_usage_error(&cmd, "--grace must not be negative");
    if (retain < 0 || retain > 100000)
        return cli_usage_error(&cmd, "--retain-days must be between 0 and 100000");
    if (retain_only && retain == 0)
        return cli_usage_error(&cmd, "--retain-only needs --retain-days");
    compact_opts o = {.lake = lake,
                      .table = pos[0],
                      .partition = date,
                      .target_bytes = target,
                      .grace_ns = grace,
                      .retain_days = retain,
                      .no_compact = retain_only};
    if (today && lake_parse_date(today, &o.now_ns) != 0)
        return cli_usage_error(&cmd, "--today expects YYYY-MM-DD, not '%s'", today);
    o.storage.s3_endpoint = s3_endpoint;
    o.storage.s3_region = s3_region;
    o.storage.s3_addressing = s3_addressing;
    o.storage.s3_profile = s3_profile;
    o.cache_dir = cache_dir;
    static stage_control ctl;
    cli_handle_signals(&ctl);
    o.cancel = &ctl.stop;
    compact_stats st;
    char err[1024];
    int rc = compact_run(&o, &st, err, sizeof(err));
    if (rc != 0 && !st.partitions && !st.partitions_dropped && !st.files_removed) {
        /* Nothing was done: only the reason. */
        fprintf(stderr, "ticklake compact: %s\n", err);
        return 1;
    }
    printf("compacted %lld partitions: %lld files (%lld bytes) -> %lld files (%lld bytes), "
           "%lld rows; %lld merged files deleted; retention dropped %lld partitions "
           "(%lld files)",
           (long long)st.partitions, (long long)st.files_in, (long long)st.bytes_in,
           (long long)st.files_out, (long long)st.bytes_out, (long long)st.rows,
           (long long)st.files_removed, (long long)st.partitions_dropped,
           (long long)st.files_dropped);
    if (st.catalog_version)
        printf("; catalog version %lld", (long long)st.catalog_version);
    if (st.groups_skipped)
        printf("; %lld groups left unmerged (unreadable inputs, logged)",
               (long long)st.groups_skipped);
    printf("\n");
    if (rc != 0) {
        fprintf(stderr, "ticklake compact: %s\n", err);
        return 1;
    }
    return cli_signalled() ? 1 : 0;
}
