/* cmd_crawl.c - `ticklake crawl`: discover tables, schemas and partitions. */
#include <stdio.h>
#include <string.h>

#include "catalog_crawl.h"
#include "catalog_json.h"
#include "cli.h"
#include "commands.h"
#include "engine.h"
#include "lakecache.h"

int cmd_crawl(int argc, char **argv)
{
    const char *lake = "./lake", *on_change = "update", *on_delete = "deprecate", *database = NULL;
    const char *s3_endpoint = NULL, *s3_region = NULL, *s3_addressing = NULL, *cache_dir = NULL,
               *s3_profile = NULL;
    int verbose = 0, quiet = 0;
    const cli_option options[] = {
        {0, "lake", CLI_STRING, &lake, "URL",
         "lake: a directory or s3://bucket/prefix (default ./lake)"},
        LAKE_S3_OPTIONS(&s3_endpoint, &s3_region, &s3_addressing, &cache_dir, &s3_profile),
        {0, "database", CLI_STRING, &database, "NAME",
         "the database the tables are recorded in (default: as before, else ticklake)"},
        {0, "on-change", CLI_STRING, &on_change, "POLICY",
         "schema changes: update (default) the catalog, or log them and keep the old schema"},
        {0, "on-delete", CLI_STRING, &on_delete, "POLICY",
         "tables and partitions whose data is gone: deprecate (default; kept, marked), "
         "delete (removed) or log (kept as they were)"},
        CLI_LOG_OPTIONS(&verbose, &quiet),
        CLI_OPT_END};
    const cli_command cmd = {
        "crawl", "ticklake crawl [options]",
        "Scans the lake as a Glue crawler does: every top-level folder is a table,\n"
        "key=value folders are partitions, schemas come from Parquet footers (CSV and\n"
        "JSON files are sampled). Records a new catalog version in <lake>/_catalog/\n"
        "when anything changed; unchanged files are not read again. A column typed\n"
        "differently across files gets their common supertype (a warning says so).\n"
        "An S3 lake is read through a local cache (--cache-dir): only the footers of\n"
        "new or changed Parquet files are downloaded (ranged GETs); the catalog is\n"
        "stored in the lake's _catalog/ objects.",
        options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 0, &npos);
    cli_apply_log(verbose, quiet);
    catalog_crawl_opts opts = {.database = database};
    for (const char *p = database; p && *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
              (p > database && *p >= '0' && *p <= '9')))
            return cli_usage_error(&cmd, "invalid --database '%s' (letters, digits and '_')",
                                   database);
    if (database && !*database)
        return cli_usage_error(&cmd, "--database must not be empty");
    if (strcmp(on_change, "update") == 0)
        opts.on_change = CATALOG_CHANGE_UPDATE;
    else if (strcmp(on_change, "log") == 0)
        opts.on_change = CATALOG_CHANGE_LOG;
    else
        return cli_usage_error(&cmd, "unknown --on-change '%s' (update or log)", on_change);
    if (strcmp(on_delete, "delete") == 0)
        opts.on_delete = CATALOG_DELETE_DELETE;
    else if (strcmp(on_delete, "log") == 0)
        opts.on_delete = CATALOG_DELETE_LOG;
    else if (strcmp(on_delete, "deprecate") == 0)
        opts.on_delete = CATALOG_DELETE_DEPRECATE;
    else
        return cli_usage_error(&cmd, "unknown --on-delete '%s' (deprecate, delete or log)",
                               on_delete);
    if (s3_addressing && strcmp(s3_addressing, "path") != 0 &&
        strcmp(s3_addressing, "virtual") != 0 && strcmp(s3_addressing, "auto") != 0)
        return cli_usage_error(&cmd, "--s3-addressing must be path, virtual or auto, not '%s'",
                               s3_addressing);
    char err[1024];
    lakecache *lc = NULL;
    if (lakecache_is_s3(lake)) {
        storage_options so = {.s3_endpoint = s3_endpoint,
                              .s3_region = s3_region,
                              .s3_addressing = s3_addressing,
                              .s3_profile = s3_profile};
        if (lakecache_open(&lc, lake, &so, cache_dir, err, sizeof(err)) != 0) {
            fprintf(stderr, "ticklake crawl: %s\n", err);
            return 1;
        }
    }
    engine *e = engine_open(NULL, 0, err, sizeof(err));
    if (!e) {
        fprintf(stderr, "ticklake crawl: %s\n", err);
        lakecache_free(lc);
        return 1;
    }
    catalog_crawl_stats st;
    int rc = lc ? lakecache_crawl(lc, e, &opts, &st, err, sizeof(err))
                : catalog_crawl_ext(e, lake, &opts, &st, err, sizeof(err));
    engine_close(e);
    if (lc) {
        buf sum = {0};
        lakecache_describe_stats(lc, &sum);
        fprintf(stderr, "ticklake crawl: %s\n", sum.data);
        buf_release(&sum);
        lake = lakecache_dir(lc); /* the warnings below read the cached catalog */
    }
    if (rc != 0) {
        fprintf(stderr, "ticklake crawl: %s\n", err);
        lakecache_free(lc);
        return 1;
    }
    printf("catalog version %lld%s: %zu tables (+%zu -%zu), %zu partitions (+%zu ~%zu -%zu), "
           "%zu files (%zu read, %zu unchanged, %zu unreadable), %lld rows, %lld bytes, "
           "%zu warnings\n",
           (long long)st.version, st.written ? "" : " (unchanged)", st.tables, st.tables_added,
           st.tables_removed, st.partitions, st.partitions_added, st.partitions_changed,
           st.partitions_removed, st.files, st.files_read, st.files_skipped, st.files_failed,
           (long long)st.rows, (long long)st.bytes, st.warnings);
    if (st.warnings) {
        catalog *c = NULL;
        if (catalog_load(lake, &c, err, sizeof(err)) == 0) {
            for (size_t i = 0; i < c->nwarnings; i++)
                fprintf(stderr, "warning: %s\n", c->warnings[i]);
            for (size_t t = 0; t < c->ntables; t++)
                for (size_t i = 0; i < c->tables[t].nwarnings; i++)
                    fprintf(stderr, "warning: table '%s': %s\n", c->tables[t].name,
                            c->tables[t].warnings[i]);
            catalog_free(c);
        }
    }
    lakecache_free(lc);
    return 0;
}
