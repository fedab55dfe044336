/* cmd_history.c - `ticklake history`: the queries run over the lake, from the
 * metadata saved in <lake>/_results/. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "lakecache.h"
#include "query.h"
#include "util.h"

static char *fmt_time(int64_t ns)
{
    time_t s = (time_t)(ns / NS_PER_SEC);
    struct tm tm;
    gmtime_r(&s, &tm);
    char b[96];
    snprintf(b, sizeof(b), "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ns % NS_PER_SEC / 1000000));
    return strdup(b);
}

static char *fmt_int(int64_t v)
{
    char b[32];
    snprintf(b, sizeof(b), "%" PRId64, v);
    return strdup(b);
}

/* The SQL on one line, at most max characters (with "..." when cut). */
static char *one_line(const char *sql, size_t max)
{
    buf b = {0};
    int space = 0;
    for (const char *p = sql ? sql : ""; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t' || *p == ' ') {
            space = b.len > 0;
            continue;
        }
        if (space)
            buf_putc(&b, ' ');
        space = 0;
        buf_putc(&b, *p);
    }
    if (max && b.len > max) {
        size_t n = max - 3;
        while (n > 0 && ((unsigned char)b.data[n] & 0xC0) == 0x80)
            n--;
        b.len = n;
        buf_puts(&b, "...");
    }
    buf_puts(&b, "");
    return b.data;
}

int cmd_history(int argc, char **argv)
{
    const char *lake = "./lake", *format = "table", *status = NULL;
    int64_t limit = 20;
    int full = 0;
    const char *s3_endpoint = NULL, *s3_region = NULL, *s3_addressing = NULL, *cache_dir = NULL,
               *s3_profile = NULL;
    const cli_option options[] = {
        {0, "lake", CLI_STRING, &lake, "URL",
         "lake: a directory or s3://bucket/prefix (default ./lake)"},
        LAKE_S3_OPTIONS(&s3_endpoint, &s3_region, &s3_addressing, &cache_dir, &s3_profile),
        {0, "format", CLI_STRING, &format, "FMT", "output as table (default), csv or json"},
        {'n', "limit", CLI_INT, &limit, "N", "the last N queries (default 20; 0 for all)"},
        {0, "status", CLI_STRING, &status, "STATUS",
         "only queries with this status (SUCCEEDED, FAILED, TIMEOUT)"},
        {0, "full", CLI_FLAG, &full, NULL, "show the whole SQL and the error"},
        CLI_OPT_END};
    const cli_command cmd = {
        "history", "ticklake history [options] [ID]",
        "Lists past queries over the lake, oldest first: id, time, status, rows,\n"
        "bytes scanned, elapsed time and SQL. With an ID, prints that query's\n"
        "metadata (JSON); its rows are in <lake>/_results/<id>.csv.",
        options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 1, &npos);
    query_out fmt;
    if (strcmp(format, "table") == 0)
        fmt = QUERY_OUT_TABLE;
    else if (strcmp(format, "csv") == 0)
        fmt = QUERY_OUT_CSV;
    else if (strcmp(format, "json") == 0)
        fmt = QUERY_OUT_JSON;
    else
        return cli_usage_error(&cmd, "unknown --format '%s' (table, csv or json)", format);
    if (limit < 0)
        return cli_usage_error(&cmd, "--limit must be 0 or more");
    if (npos && !query_id_valid(pos[0]))
        return cli_usage_error(&cmd, "'%s' is not a query id", pos[0]);

    query_meta *v = NULL;
    size_t n = 0, skipped = 0;
    char err[1024];
    lakecache *lc = NULL;
    const char *url = lake;
    if (lakecache_is_s3(lake)) {
        /* The metadata of every query is in the lake's _results/: cached. */
        storage_options so = {.s3_endpoint = s3_endpoint,
                              .s3_region = s3_region,
                              .s3_addressing = s3_addressing,
                              .s3_profile = s3_profile};
        if (lakecache_open(&lc, lake, &so, cache_dir, err, sizeof(err)) != 0 ||
            lakecache_sync_results(lc, err, sizeof(err)) != 0) {
            fprintf(stderr, "ticklake history: %s\n", err);
            lakecache_free(lc);
            return 1;
        }
        lake = lakecache_dir(lc);
    }
    int lrc = query_history_load(lake, &v, &n, &skipped, err, sizeof(err));
    if (lrc != 0) {
        fprintf(stderr, "ticklake history: %s\n", err);
        lakecache_free(lc);
        return 1;
    }
    lake = url;
    lakecache_free(lc);
    if (skipped)
        fprintf(stderr, "ticklake history: %zu unreadable metadata files skipped\n", skipped);
    int rc = 0;
    if (npos) {
        size_t i = 0;
        while (i < n && strcmp(v[i].id, pos[0]) != 0)
            i++;
        if (i == n) {
            fprintf(stderr, "ticklake history: no query '%s' in '%s'\n", pos[0], lake);
            rc = 1;
        } else {
            buf j = {0};
            query_meta_to_json(&v[i], &j);
            fputs(j.data, stdout);
            buf_release(&j);
        }
        query_history_free(v, n);
        return rc;
    }
    size_t first = 0, count = 0;
    for (size_t i = 0; i < n; i++)
        count += !status || (v[i].status && strcmp(v[i].status, status) == 0);
    size_t skip = limit > 0 && count > (size_t)limit ? count - (size_t)limit : 0;
    static const char *const cols[] = {"id",        "submitted_at", "status",
                                       "kind",      "rows",         "bytes_scanned",
                                       "elapsed_s", "sql",          "error"};
    static const char *const types[] = {"VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "BIGINT",
                                        "BIGINT",  "DOUBLE",  "VARCHAR", "VARCHAR"};
    char **cells = calloc((count ? count : 1) * 9, sizeof(*cells));
    size_t rows = 0;
    for (size_t i = first; cells && i < n; i++) {
        if (status && (!v[i].status || strcmp(v[i].status, status) != 0))
            continue;
        if (skip) {
            skip--;
            continue;
        }
        char **r = cells + rows * 9;
        char el[32];
        snprintf(el, sizeof(el), "%.3f", (double)v[i].elapsed_ns / NS_PER_SEC);
        r[0] = strdup(v[i].id);
        r[1] = fmt_time(v[i].submitted_ns);
        r[2] = strdup(v[i].status ? v[i].status : "");
        r[3] = strdup(v[i].kind ? v[i].kind : "");
        r[4] = fmt_int(v[i].rows);
        r[5] = fmt_int(v[i].bytes_scanned);
        r[6] = strdup(el);
        r[7] = one_line(v[i].sql, full || fmt != QUERY_OUT_TABLE ? 0 : 60);
        r[8] = v[i].error ? one_line(v[i].error, full || fmt != QUERY_OUT_TABLE ? 0 : 60) : NULL;
        rows++;
    }
    if (!cells) {
        fprintf(stderr, "ticklake history: out of memory\n");
        rc = 1;
    } else if (query_print_rows(cols, types, 9, (const char *const *)cells, rows, fmt, stdout, err,
                                sizeof(err)) != 0) {
        fprintf(stderr, "ticklake history: %s\n", err);
        rc = 1;
    }
    for (size_t i = 0; cells && i < rows * 9; i++)
        free(cells[i]);
    free(cells);
    query_history_free(v, n);
    return rc;
}
