/* cmd_crawl.c - `ticklake crawl`: discover tables, schemas and partitions. */
#include <stdio.h>

#include "catalog.h"
#include "cli.h"
#include "commands.h"
#include "engine.h"

int cmd_crawl(int argc, char **argv)
{
    const char *lake = "./lake";
    int verbose = 0, quiet = 0;
    const cli_option options[] = {
        {0, "lake", CLI_STRING, &lake, "PATH", "lake directory (default ./lake)"},
        CLI_LOG_OPTIONS(&verbose, &quiet),
        CLI_OPT_END};
    const cli_command cmd = {
        "crawl", "ticklake crawl [--lake PATH]",
        "Scans the lake as a Glue crawler does: every top-level folder is a table,\n"
        "key=value folders are partitions, schemas come from Parquet footers. Records\n"
        "a new catalog version in <lake>/_catalog/ when anything changed; unchanged\n"
        "files are not read again.",
        options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 0, &npos);
    cli_apply_log(verbose, quiet);
    char err[1024];
    engine *e = engine_open(NULL, 0, err, sizeof(err));
    if (!e) {
        fprintf(stderr, "ticklake crawl: %s\n", err);
        return 1;
    }
    catalog_crawl_stats st;
    int rc = catalog_crawl(e, lake, &st, err, sizeof(err));
    engine_close(e);
    if (rc != 0) {
        fprintf(stderr, "ticklake crawl: %s\n", err);
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
    return 0;
}
