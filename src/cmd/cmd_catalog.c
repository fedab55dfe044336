/* cmd_catalog.c - the catalog's views for people and other engines:
 * `ticklake tables`, `describe TABLE`, `partitions TABLE` and `ddl TABLE`. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "catalog_ddl.h"
#include "catalog_json.h"
#include "cli.h"
#include "commands.h"
#include "lakecache.h"
#include "query.h"
#include "util.h"

/* Cells of a table being built, all owned. */
typedef struct cells {
    char **v;
    size_t n, cap;
} cells;

static void cells_add(cells *c, char *owned)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        char **v = realloc(c->v, c->cap * sizeof(*v));
        if (!v) {
            fprintf(stderr, "out of memory\n");
            abort();
        }
        c->v = v;
    }
    c->v[c->n++] = owned;
}

static void cells_str(cells *c, const char *s)
{
    cells_add(c, s ? strdup(s) : NULL);
}

static void cells_int(cells *c, int64_t v)
{
    char b[32];
    snprintf(b, sizeof(b), "%" PRId64, v);
    cells_str(c, b);
}

static void cells_time(cells *c, int has, int64_t ns)
{
    if (!has) {
        cells_str(c, NULL);
        return;
    }
    time_t s = (time_t)(ns >= 0 ? ns / NS_PER_SEC : (ns - NS_PER_SEC + 1) / NS_PER_SEC);
    int64_t frac = ns - (int64_t)s * NS_PER_SEC;
    struct tm tm;
    gmtime_r(&s, &tm);
    char b[64];
    snprintf(b, sizeof(b), "%04d-%02d-%02d %02d:%02d:%02d.%09" PRId64, tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    cells_str(c, b);
}

static void cells_free(cells *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i]);
    free(c->v);
}

static int parse_fmt(const char *s, query_out *f)
{
    if (strcmp(s, "table") == 0)
        *f = QUERY_OUT_TABLE;
    else if (strcmp(s, "csv") == 0)
        *f = QUERY_OUT_CSV;
    else if (strcmp(s, "json") == 0)
        *f = QUERY_OUT_JSON;
    else
        return -1;
    return 0;
}

static int print_cells(const char *name, const char *const *cols, const char *const *types,
                       size_t ncols, cells *c, query_out fmt)
{
    char err[1024];
    int rc = query_print_rows(cols, types, ncols, (const char *const *)c->v, c->n / ncols, fmt,
                              stdout, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "ticklake %s: %s\n", name, err);
    cells_free(c);
    return rc == 0 ? 0 : 1;
}

/* The S3 options of these commands. */
typedef struct s3_args {
    const char *endpoint, *region, *addressing, *cache_dir, *profile;
    lakecache *lc;
} s3_args;

/* For an s3:// lake: brings its catalog into the local cache and points
 * *lake at the cache's mirror. 0, or 1 after printing the error. */
static int resolve_lake(const char *cmd, const char **lake, s3_args *a)
{
    if (!lakecache_is_s3(*lake))
        return 0;
    storage_options so = {.s3_endpoint = a->endpoint,
                          .s3_region = a->region,
                          .s3_addressing = a->addressing,
                          .s3_profile = a->profile};
    char err[1024];
    if (lakecache_open(&a->lc, *lake, &so, a->cache_dir, err, sizeof(err)) != 0 ||
        lakecache_sync_catalog(a->lc, err, sizeof(err)) != 0) {
        fprintf(stderr, "ticklake %s: %s\n", cmd, err);
        lakecache_free(a->lc);
        a->lc = NULL;
        return 1;
    }
    *lake = lakecache_dir(a->lc);
    return 0;
}

/* Loads the catalog and finds the table; prints the error and returns NULL
 * (*c freed) when either is missing. */
static const catalog_table *load_table(const char *cmd, const char *lake, const char *name,
                                       catalog **c)
{
    char err[1024];
    if (catalog_load(lake, c, err, sizeof(err)) != 0) {
        fprintf(stderr, "ticklake %s: %s\n", cmd, err);
        return NULL;
    }
    const catalog_table *t = catalog_find_table(*c, name);
    if (!t) {
        buf names = {0};
        for (size_t i = 0; i < (*c)->ntables; i++)
            buf_printf(&names, "%s%s", i ? ", " : "", (*c)->tables[i].name);
        fprintf(stderr, "ticklake %s: no table '%s' in the catalog of '%s' (tables: %s)\n", cmd,
                name, lake, names.len ? names.data : "none");
        buf_release(&names);
        catalog_free(*c);
        *c = NULL;
    }
    return t;
}

static void keys_text(buf *b, const catalog_table *t)
{
    for (size_t k = 0; k < t->nkeys; k++)
        buf_printf(b, "%s%s", k ? ", " : "", t->partition_keys[k].name);
}

int cmd_tables(int argc, char **argv)
{
    const char *lake = "./lake", *format = "table";
    s3_args s3 = {0};
    const cli_option options[] = {
        {0, "lake", CLI_STRING, &lake, "URL",
         "lake: a directory or s3://bucket/prefix (default ./lake)"},
        LAKE_S3_OPTIONS(&s3.endpoint, &s3.region, &s3.addressing, &s3.cache_dir, &s3.profile),
        {0, "format", CLI_STRING, &format, "FMT", "output as table (default), csv or json"},
        CLI_OPT_END};
    const cli_command cmd = {"tables", "ticklake tables [--lake PATH] [--format FMT]",
                             "Lists the tables of the lake's catalog (run 'ticklake crawl' "
                             "first) with their\nformat, partition keys, sizes and time range.",
                             options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 0, &npos);
    query_out fmt;
    if (parse_fmt(format, &fmt) != 0)
        return cli_usage_error(&cmd, "unknown --format '%s' (table, csv or json)", format);
    catalog *c = NULL;
    char err[1024];
    if (resolve_lake("tables", &lake, &s3) != 0)
        return 1;
    int lrc = catalog_load(lake, &c, err, sizeof(err));
    lakecache_free(s3.lc); /* the catalog is loaded: the cache is no longer needed */
    if (lrc != 0) {
        fprintf(stderr, "ticklake tables: %s\n", err);
        return 1;
    }
    static const char *const cols[] = {
        "table", "format",   "columns",  "partition_keys", "partitions", "files",   "rows",
        "bytes", "min_time", "max_time", "status",         "warnings",   "database"};
    static const char *const types[] = {"VARCHAR", "VARCHAR", "BIGINT", "VARCHAR", "BIGINT",
                                        "BIGINT",  "BIGINT",  "BIGINT", "VARCHAR", "VARCHAR",
                                        "VARCHAR", "BIGINT",  "VARCHAR"};
    cells cl = {0};
    for (size_t i = 0; i < c->ntables; i++) {
        const catalog_table *t = &c->tables[i];
        buf keys = {0};
        keys_text(&keys, t);
        size_t live = 0;
        for (size_t p = 0; p < t->npartitions; p++)
            live += !t->partitions[p].deprecated;
        cells_str(&cl, t->name);
        cells_str(&cl, t->format ? t->format : "parquet");
        cells_int(&cl, (int64_t)t->ncolumns);
        cells_str(&cl, keys.data ? keys.data : "");
        cells_int(&cl, (int64_t)live);
        cells_int(&cl, t->files);
        cells_int(&cl, t->rows);
        cells_int(&cl, t->bytes);
        cells_time(&cl, t->has_time, t->min_time_ns);
        cells_time(&cl, t->has_time, t->max_time_ns);
        cells_str(&cl, t->deprecated ? "deprecated" : "active");
        cells_int(&cl, (int64_t)t->nwarnings);
        cells_str(&cl, c->database);
        buf_release(&keys);
    }
    printf("%s", "");
    int rc = print_cells("tables", cols, types, 13, &cl, fmt);
    catalog_free(c);
    return rc;
}

int cmd_describe(int argc, char **argv)
{
    const char *lake = "./lake", *format = "table";
    s3_args s3 = {0};
    const cli_option options[] = {
        {0, "lake", CLI_STRING, &lake, "URL",
         "lake: a directory or s3://bucket/prefix (default ./lake)"},
        LAKE_S3_OPTIONS(&s3.endpoint, &s3.region, &s3.addressing, &s3.cache_dir, &s3.profile),
        {0, "format", CLI_STRING, &format, "FMT", "output as table (default), csv or json"},
        CLI_OPT_END};
    const cli_command cmd = {
        "describe", "ticklake describe [--lake PATH] [--format FMT] TABLE",
        "Shows a table's columns and partition keys with their types, and for a\n"
        "column typed differently across files, every type seen (the catalog type is\n"
        "their common supertype). The table's warnings go to stderr.",
        options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 1, &npos);
    if (npos != 1)
        return cli_usage_error(&cmd, "expected one TABLE");
    query_out fmt;
    if (parse_fmt(format, &fmt) != 0)
        return cli_usage_error(&cmd, "unknown --format '%s' (table, csv or json)", format);
    catalog *c = NULL;
    if (resolve_lake("describe", &lake, &s3) != 0)
        return 1;
    const catalog_table *t = load_table("describe", lake, pos[0], &c);
    lakecache_free(s3.lc);
    if (!t)
        return 1;
    static const char *const cols[] = {"column", "type", "partition_key", "types_in_files"};
    static const char *const types[] = {"VARCHAR", "VARCHAR", "BOOLEAN", "VARCHAR"};
    cells cl = {0};
    for (size_t i = 0; i < t->ncolumns + t->nkeys; i++) {
        int key = i >= t->ncolumns;
        const catalog_column *col = key ? &t->partition_keys[i - t->ncolumns] : &t->columns[i];
        buf seen = {0};
        for (size_t s = 0; !key && s < t->nschemas; s++) {
            for (size_t j = 0; j < t->schemas[s].ncolumns; j++) {
                const catalog_column *sc = &t->schemas[s].columns[j];
                if (strcasecmp(sc->name, col->name) != 0)
                    continue;
                size_t tl = strlen(sc->type);
                int dup = 0;
                for (const char *p = seen.data; p && (p = strstr(p, sc->type)) != NULL; p++)
                    if ((p == seen.data || p[-1] == ' ') && (p[tl] == ',' || p[tl] == '\0'))
                        dup = 1;
                if (!dup)
                    buf_printf(&seen, "%s%s", seen.len ? ", " : "", sc->type);
            }
        }
        cells_str(&cl, col->name);
        cells_str(&cl, col->type);
        cells_str(&cl, key ? "true" : "false");
        cells_str(&cl, seen.data ? seen.data : col->type);
        buf_release(&seen);
    }
    for (size_t i = 0; i < t->nwarnings; i++)
        fprintf(stderr, "warning: %s\n", t->warnings[i]);
    if (t->deprecated)
        fprintf(stderr, "note: table '%s' is deprecated: its folder is gone\n", t->name);
    int rc = print_cells("describe", cols, types, 4, &cl, fmt);
    catalog_free(c);
    return rc;
}

int cmd_partitions(int argc, char **argv)
{
    const char *lake = "./lake", *format = "table";
    s3_args s3 = {0};
    const cli_option options[] = {
        {0, "lake", CLI_STRING, &lake, "URL",
         "lake: a directory or s3://bucket/prefix (default ./lake)"},
        LAKE_S3_OPTIONS(&s3.endpoint, &s3.region, &s3.addressing, &s3.cache_dir, &s3.profile),
        {0, "format", CLI_STRING, &format, "FMT", "output as table (default), csv or json"},
        CLI_OPT_END};
    const cli_command cmd = {"partitions", "ticklake partitions [--lake PATH] [--format FMT] TABLE",
                             "Lists a table's partitions: key values, location, files, rows, "
                             "bytes and\ntime range, as the last crawl saw them.",
                             options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 1, &npos);
    if (npos != 1)
        return cli_usage_error(&cmd, "expected one TABLE");
    query_out fmt;
    if (parse_fmt(format, &fmt) != 0)
        return cli_usage_error(&cmd, "unknown --format '%s' (table, csv or json)", format);
    catalog *c = NULL;
    if (resolve_lake("partitions", &lake, &s3) != 0)
        return 1;
    const catalog_table *t = load_table("partitions", lake, pos[0], &c);
    lakecache_free(s3.lc);
    if (!t)
        return 1;
    size_t ncols = t->nkeys + 7;
    const char **cols = calloc(ncols, sizeof(*cols));
    const char **types = calloc(ncols, sizeof(*types));
    if (!cols || !types) {
        fprintf(stderr, "ticklake partitions: out of memory\n");
        free(cols);
        free(types);
        catalog_free(c);
        return 1;
    }
    for (size_t k = 0; k < t->nkeys; k++) {
        cols[k] = t->partition_keys[k].name;
        types[k] = t->partition_keys[k].type;
    }
    static const char *const rest[] = {"location", "files",    "rows",  "bytes",
                                       "min_time", "max_time", "status"};
    static const char *const rest_types[] = {"VARCHAR", "BIGINT",  "BIGINT", "BIGINT",
                                             "VARCHAR", "VARCHAR", "VARCHAR"};
    for (size_t k = 0; k < 7; k++) {
        cols[t->nkeys + k] = rest[k];
        types[t->nkeys + k] = rest_types[k];
    }
    cells cl = {0};
    for (size_t i = 0; i < t->npartitions; i++) {
        const catalog_partition *p = &t->partitions[i];
        for (size_t k = 0; k < t->nkeys; k++)
            cells_str(&cl, k < p->nvalues ? p->values[k] : NULL);
        /* The range of the files with rows, when every one of them has it. */
        int all = 1, any = 0;
        int64_t lo = 0, hi = 0;
        for (size_t j = 0; j < p->nfiles && all; j++) {
            const catalog_file *f = &p->files[j];
            if (f->rows == 0)
                continue;
            if (!f->has_time) {
                all = 0;
                break;
            }
            if (!any || f->min_time_ns < lo)
                lo = f->min_time_ns;
            if (!any || f->max_time_ns > hi)
                hi = f->max_time_ns;
            any = 1;
        }
        int has = all && any;
        cells_str(&cl, p->location);
        cells_int(&cl, (int64_t)p->nfiles);
        cells_int(&cl, p->rows);
        cells_int(&cl, p->bytes);
        cells_time(&cl, has && t->time_column, lo);
        cells_time(&cl, has && t->time_column, hi);
        cells_str(&cl, p->deprecated ? "deprecated" : "active");
    }
    int rc = print_cells("partitions", cols, types, ncols, &cl, fmt);
    free(cols);
    free(types);
    catalog_free(c);
    return rc;
}

int cmd_ddl(int argc, char **argv)
{
    const char *lake = "./lake", *location = NULL, *dialect = "hive";
    s3_args s3 = {0};
    int add_partitions = 0, all = 0;
    const cli_option options[] = {
        {0, "lake", CLI_STRING, &lake, "URL",
         "lake: a directory or s3://bucket/prefix (default ./lake)"},
        LAKE_S3_OPTIONS(&s3.endpoint, &s3.region, &s3.addressing, &s3.cache_dir, &s3.profile),
        {0, "location", CLI_STRING, &location, "URI",
         "where the lake is for the other engine, e.g. s3://bucket/lake (default: file:// and "
         "the lake's absolute path)"},
        {0, "dialect", CLI_STRING, &dialect, "NAME",
         "hive (default: Athena, Glue, Spark, Hive) or trino"},
        {0, "partitions", CLI_FLAG, &add_partitions, NULL,
         "also register the partitions (ALTER TABLE ... ADD PARTITION; Trino: "
         "sync_partition_metadata)"},
        {0, "all", CLI_FLAG, &all, NULL, "every table of the catalog (then no TABLE)"},
        CLI_OPT_END};
    const cli_command cmd = {
        "ddl", "ticklake ddl [options] TABLE | --all",
        "Prints the CREATE EXTERNAL TABLE ... PARTITIONED BY ... STORED AS PARQUET\n"
        "LOCATION '...' statement that declares the table in Athena, Glue or Hive\n"
        "(--dialect trino: Trino's Hive connector) over the same files, so the lake can\n"
        "be queried there once copied (e.g. aws s3 sync LAKE s3://bucket/lake).",
        options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 1, &npos);
    if (npos + (all != 0) != 1)
        return cli_usage_error(&cmd, "expected one TABLE, or --all");
    catalog_ddl_dialect d;
    if (strcmp(dialect, "hive") == 0 || strcmp(dialect, "athena") == 0)
        d = CATALOG_DDL_HIVE;
    else if (strcmp(dialect, "trino") == 0)
        d = CATALOG_DDL_TRINO;
    else
        return cli_usage_error(&cmd, "unknown --dialect '%s' (hive or trino)", dialect);
    buf loc = {0};
    const char *url = lake;
    if (resolve_lake("ddl", &lake, &s3) != 0)
        return 1;
    if (location) {
        buf_puts(&loc, location);
    } else if (s3.lc) {
        buf_puts(&loc, url); /* the lake is where the other engine reads it */
    } else {
        char abs[PATH_MAX];
        if (!realpath(lake, abs)) {
            fprintf(stderr, "ticklake ddl: unable to open lake '%s': %s\n", lake, strerror(errno));
            return 1;
        }
        buf_printf(&loc, "file://%s", abs);
    }
    catalog *c = NULL;
    const catalog_table *t = NULL;
    char err[1024];
    if (all) {
        if (catalog_load(lake, &c, err, sizeof(err)) != 0) {
            fprintf(stderr, "ticklake ddl: %s\n", err);
            buf_release(&loc);
            lakecache_free(s3.lc);
            return 1;
        }
    } else if (!(t = load_table("ddl", lake, pos[0], &c))) {
        buf_release(&loc);
        lakecache_free(s3.lc);
        return 1;
    }
    buf out = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < c->ntables; i++) {
        const catalog_table *ti = &c->tables[i];
        if ((t && ti != t) || ti->deprecated || (all && ti->ncolumns == 0))
            continue;
        if (out.len)
            buf_putc(&out, '\n');
        if (catalog_ddl(ti, loc.data, d, add_partitions, &out, err, sizeof(err)) != 0) {
            fprintf(stderr, "ticklake ddl: table '%s': %s\n", ti->name, err);
            rc = 1;
        }
    }
    if (rc == 0) {
        fputs(out.data ? out.data : "", stdout);
        if (!add_partitions && fflush(stdout) == 0)
            fprintf(stderr, "%s",
                    d == CATALOG_DDL_TRINO
                        ? "-- then load partitions: CALL system.sync_partition_metadata(...), "
                          "or use --partitions\n"
                        : "-- then load partitions: MSCK REPAIR TABLE <table>; or use "
                          "--partitions\n");
    }
    buf_release(&out);
    buf_release(&loc);
    catalog_free(c);
    lakecache_free(s3.lc);
    return rc;
}
