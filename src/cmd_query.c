/* cmd_query.c - `ticklake query`: SQL over the catalog's tables. */
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "cli.h"
#include "commands.h"
#include "engine.h"
#include "util.h"

int cmd_query(int argc, char **argv)
{
    const char *lake = "./lake", *format = "table", *file = NULL;
    int verbose = 0, quiet = 0;
    const cli_option options[] = {
        {0, "lake", CLI_STRING, &lake, "PATH", "lake directory (default ./lake)"},
        {0, "format", CLI_STRING, &format, "FMT", "output as table (default), csv or json"},
        {'f', "file", CLI_STRING, &file, "FILE", "read the SQL from FILE ('-' for stdin)"},
        CLI_LOG_OPTIONS(&verbose, &quiet),
        CLI_OPT_END};
    const cli_command cmd = {
        "query", "ticklake query [options] SQL | -f FILE",
        "Runs SQL with DuckDB over the tables of the lake's catalog (run 'ticklake\n"
        "crawl' first). Results go to stdout; errors to stderr with exit status 1.",
        options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 1, &npos);
    cli_apply_log(verbose, quiet);
    if (npos + (file != NULL) != 1)
        return cli_usage_error(&cmd, "expected the SQL as one argument or with -f FILE");
    buf sql;
    buf_init(&sql);
    if (file) {
        char ferr[512];
        int frc = strcmp(file, "-") == 0 ? read_stream(stdin, &sql)
                                         : read_file(file, &sql, ferr, sizeof(ferr));
        if (frc != 0) {
            fprintf(stderr, "ticklake query: %s\n", strcmp(file, "-") == 0 ? "unable to read stdin" : ferr);
            buf_release(&sql);
            return 1;
        }
    } else {
        buf_puts(&sql, pos[0]);
    }
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
        buf_release(&sql);
        return 1;
    }
    int rc = 1;
    if (catalog_attach(e, lake, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "ticklake query: %s\n", err);
        goto out;
    }
    if (engine_query_print(e, sql.data, fmt, stdout, NULL, err, sizeof(err)) != 0) {
        fflush(stdout);
        fprintf(stderr, "ticklake query: %s\n", err);
        goto out;
    }
    rc = 0;
out:
    engine_close(e);
    buf_release(&sql);
    return rc;
}
