/* cmd_query.c - `ticklake query`: SQL over the catalog's tables. */
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "cli.h"
#include "commands.h"
#include "engine.h"

int cmd_query(int argc, char **argv)
{
    const char *lake = "./lake", *format = "table";
    int verbose = 0, quiet = 0;
    const cli_option options[] = {
        {0, "lake", CLI_STRING, &lake, "PATH", "lake directory (default ./lake)"},
        {'f', "format", CLI_STRING, &format, "FMT", "table (default), csv or json"},
        CLI_LOG_OPTIONS(&verbose, &quiet),
        CLI_OPT_END};
    const cli_command cmd = {
        "query", "ticklake query [options] SQL",
        "Runs SQL with DuckDB over the tables of the lake's catalog (run 'ticklake\n"
        "crawl' first). Results go to stdout; errors to stderr with exit status 1.",
        options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 1, &npos);
    cli_apply_log(verbose, quiet);
    if (npos != 1)
        return cli_usage_error(&cmd, "expected one SQL statement");
    engine_out_format fmt;
    if (strcmp(format, "table") == 0)
        fmt = ENGINE_OUT_TABLE;
    else if (strcmp(format, "csv") == 0)
        fmt = ENGINE_OUT_CSV;
    else if (strcmp(format, "json") == 0)
        fmt = ENGINE_OUT_JSON;
    else
        return cli_usage_error(&cmd, "unknown --format '%s' (table, csv or json)", format);

    char err[4096];
    engine *e = engine_open(NULL, 0, err, sizeof(err));
    if (!e) {
        fprintf(stderr, "ticklake query: %s\n", err);
        return 1;
    }
    int rc = 1;
    if (catalog_attach(e, lake, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "ticklake query: %s\n", err);
        goto out;
    }
    if (engine_query_print(e, pos[0], fmt, stdout, NULL, err, sizeof(err)) != 0) {
        fflush(stdout);
        fprintf(stderr, "ticklake query: %s\n", err);
        goto out;
    }
    rc = 0;
out:
    engine_close(e);
    return rc;
}
