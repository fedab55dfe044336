/* catalog_sql.c - views over the lake's tables and the analysis macros; see catalog_sql.h. */
#include "catalog_sql.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog_json.h"
#include "lakepath.h"

/* --- Views -------------------------------------------------------------- */

/* 1 if folder abs holds a data file now. */
static int has_data_now(const char *abs)
{
    dir_entry *ents;
    size_t n;
    char err[256];
    if (list_dir(abs, &ents, &n, err, sizeof(err)) != 0)
        return 0;
    int found = 0;
    for (size_t i = 0; i < n && !found; i++)
        found = !ents[i].is_dir && lake_name_is_parquet_data(ents[i].name);
    dir_entries_free(ents, n);
    return found;
}

/* Where the SQL reads lake path rel (relative to the lake): under the local
 * root, or under src (an s3:// URL of the same lake) when it is not NULL.
 * Allocated. */
static char *src_path(const char *root, const char *src, const char *rel)
{
    return src ? xprintf("%s/%s", src, rel) : lake_abs(root, rel);
}

/* Appends to sql the Parquet files of folder abs that are not covered by a
 * compacted file (lakepath.h), when it holds a compacted ("~") file now, as
 * paths under sdir (abs itself, or the folder's s3:// URL); returns how many,
 * or 0 when it holds none (then a glob that leaves "~" files out reads it: a
 * compaction that commits later only adds a file the glob does not match, and
 * its sources stay until the grace period ends). */
static size_t put_compacted_sources(buf *sql, const char *abs, const char *sdir, size_t n0)
{
    dir_entry *ents;
    size_t n, added = 0;
    char err[256];
    if (list_dir(abs, &ents, &n, err, sizeof(err)) != 0)
        return 0;
    int compacted = 0;
    for (size_t i = 0; i < n; i++)
        compacted |= !ents[i].is_dir && ents[i].name[0] == '~';
    const char **names = compacted ? xmalloc(n * sizeof(*names)) : NULL;
    for (size_t i = 0; compacted && i < n; i++)
        names[i] = ents[i].name;
    for (size_t i = 0; compacted && i < n; i++) {
        if (ents[i].is_dir || !lake_name_is_parquet_data(ents[i].name) ||
            lake_name_covered(ents[i].name, names, n))
            continue;
        char *path = xprintf("%s/%s", sdir, ents[i].name);
        buf_puts(sql, n0 + added++ ? ", " : "");
        engine_quote_literal(sql, path);
        free(path);
    }
    free(names);
    dir_entries_free(ents, n);
    return added;
}

/* Appends to sql the files of folder abs that the glob "[!._~]*.parquet"
 * matches, as paths under sdir; returns how many. For a remote lake, whose
 * folder listings the mirror holds: explicit URLs need no listing at query
 * time, and DuckDB's S3 glob decodes a '+' in a listed key as a space
 * (the sink's file names have '+'), so those files could not be read. */
static size_t put_listed_sources(buf *sql, const char *abs, const char *sdir, size_t n0)
{
    dir_entry *ents;
    size_t n, added = 0;
    char err[256];
    if (list_dir(abs, &ents, &n, err, sizeof(err)) != 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = ents[i].name;
        if (ents[i].is_dir || name[0] == '.' || name[0] == '_' || name[0] == '~' ||
            !str_ends_with(name, ".parquet"))
            continue;
        char *path = xprintf("%s/%s", sdir, name);
        buf_puts(sql, n0 + added++ ? ", " : "");
        engine_quote_literal(sql, path);
        free(path);
    }
    dir_entries_free(ents, n);
    return added;
}

/* 1 if a known bad file lies directly in partition p. */
static int has_bad_file(const catalog_table *t, const catalog_partition *p)
{
    size_t n = strlen(p->location);
    for (size_t i = 0; i < t->nbad_files; i++) {
        const char *path = t->bad_files[i].path;
        if (strncmp(path, p->location, n) == 0 && path[n] == '/' && !strchr(path + n + 1, '/'))
            return 1;
    }
    return 0;
}

#define CATALOG_UNION_BY_NAME_MAX 64

/* The schema of the files of partition p: its files' common schema index,
 * or -1 when they differ. */
static long partition_schema(const catalog_partition *p)
{
    long k = p->nfiles ? (long)p->files[0].schema : -1;
    for (size_t j = 1; j < p->nfiles; j++)
        if ((long)p->files[j].schema != k)
            return -1;
    return k;
}

/* Appends the sources of branch k (schema k; -1 for all) of t: a glob per
 * Parquet partition whose files all have that schema and no bad file, else
 * the partition's files of that schema that exist now. Folders are looked at
 * under root; the SQL reads them there, or under src when not NULL. Returns
 * how many. */
static size_t put_sources(buf *sql, const char *root, const char *src, const catalog_table *t,
                          long k)
{
    size_t n = 0;
    int parquet = !t->format || strcmp(t->format, "parquet") == 0;
    for (size_t i = 0; i < t->npartitions; i++) {
        const catalog_partition *p = &t->partitions[i];
        if (p->deprecated)
            continue;
        long ps = partition_schema(p);
        if (parquet && !has_bad_file(t, p) && (k < 0 || ps == k)) {
            char *dir = lake_abs(root, p->location);
            char *sdir = src_path(root, src, p->location);
            size_t listed = put_compacted_sources(sql, dir, sdir, n);
            n += listed;
            if (!listed && src) {
                n += put_listed_sources(sql, dir, sdir, n);
            } else if (!listed && has_data_now(dir)) {
                char *glob = xprintf("%s/[!._~]*.parquet", sdir);
                buf_puts(sql, n++ ? ", " : "");
                engine_quote_literal(sql, glob);
                free(glob);
            }
            free(dir);
            free(sdir);
            continue;
        }
        for (size_t j = 0; j < p->nfiles; j++) {
            if (k >= 0 && (long)p->files[j].schema != k)
                continue;
            char *abs = lake_abs(root, p->files[j].path);
            if (path_exists(abs)) {
                char *sp = src_path(root, src, p->files[j].path);
                buf_puts(sql, n++ ? ", " : "");
                engine_quote_literal(sql, sp);
                free(sp);
            }
            free(abs);
        }
    }
    return n;
}

/* The type column name has in schema s, or NULL. */
static const char *schema_type(const catalog_schema *s, const char *name)
{
    for (size_t j = 0; s && j < s->ncolumns; j++)
        if (strcasecmp(s->columns[j].name, name) == 0)
            return s->columns[j].type;
    return NULL;
}

/* One SELECT over the files of schema k (-1: all of them, when the table has
 * one schema) projecting the catalog's columns in order: as read when the
 * type agrees, CAST when the catalog type is the supertype, TRY_CAST
 * otherwise (a type kept by --on-change log, or text formats), NULL when the
 * files lack the column; then the partition keys. 0 when no file is there. */
static int put_branch(buf *sql, const char *root, const char *from, const catalog_table *t, long k)
{
    buf src = {0};
    size_t nsrc = put_sources(&src, root, from, t, k);
    if (nsrc == 0) {
        buf_release(&src);
        return 0;
    }
    const char *format = t->format ? t->format : "parquet";
    int text = strcmp(format, "parquet") != 0;
    TL_ASSERT(k < (long)t->nschemas);
    const catalog_schema *s = k >= 0 ? &t->schemas[k] : (t->nschemas ? &t->schemas[0] : NULL);
    buf_puts(sql, "SELECT ");
    for (size_t i = 0; i < t->ncolumns; i++) {
        const catalog_column *c = &t->columns[i];
        const char *ft = schema_type(s, c->name);
        if (i)
            buf_puts(sql, ", ");
        if (!ft) {
            buf_printf(sql, "CAST(NULL AS %s)", c->type);
        } else if (strcmp(ft, c->type) == 0 && !text) {
            engine_quote_ident(sql, c->name);
        } else {
            int widening = !text && strcmp(catalog_supertype(ft, c->type), c->type) == 0;
            buf_puts(sql, widening ? "CAST(" : "TRY_CAST(");
            engine_quote_ident(sql, c->name);
            buf_printf(sql, " AS %s)", c->type);
        }
        buf_puts(sql, " AS ");
        engine_quote_ident(sql, c->name);
    }
    for (size_t i = 0; i < t->nkeys; i++) {
        buf_puts(sql, t->ncolumns + i ? ", " : "");
        engine_quote_ident(sql, t->partition_keys[i].name);
    }
    const char *reader = strcmp(format, "csv") == 0    ? "read_csv"
                         : strcmp(format, "json") == 0 ? "read_json"
                                                       : "read_parquet";
    /* Every file of a branch had the branch's schema when crawled, so the scan
     * needs no union_by_name, which would read every footer when the query is
     * planned (seconds over thousands of files). Small branches keep it, so a
     * file of another schema written after the crawl still reads. */
    buf_printf(sql, " FROM %s([%s], hive_partitioning = %s, union_by_name = %s", reader, src.data,
               t->nkeys ? "true" : "false",
               text || nsrc <= CATALOG_UNION_BY_NAME_MAX ? "true" : "false");
    if (strcmp(format, "csv") == 0)
        buf_puts(sql, ", header = true");
    if (strcmp(format, "json") == 0)
        buf_puts(sql, ", format = 'auto'");
    if (t->nkeys) {
        buf_puts(sql, ", hive_types = {");
        for (size_t j = 0; j < t->nkeys; j++) {
            if (j)
                buf_puts(sql, ", ");
            engine_quote_literal(sql, t->partition_keys[j].name);
            buf_puts(sql, ": ");
            engine_quote_literal(sql, t->partition_keys[j].type);
        }
        buf_putc(sql, '}');
    }
    buf_putc(sql, ')');
    buf_release(&src);
    return 1;
}

/* The catalog's columns of t, then its partition keys, as NULLs of their
 * types: the select list of a view with no files to read. */
static void put_null_columns(buf *sql, const catalog_table *t)
{
    for (size_t i = 0; i < t->ncolumns + t->nkeys; i++) {
        const catalog_column *c =
            i < t->ncolumns ? &t->columns[i] : &t->partition_keys[i - t->ncolumns];
        buf_printf(sql, "%sCAST(NULL AS %s) AS ", i ? ", " : "", c->type);
        engine_quote_ident(sql, c->name);
    }
}

/* Runs sql, the statement that creates the view of t. */
static int exec_view(engine *e, const catalog_table *t, const char *sql, char *errstr,
                     size_t errstr_size)
{
    char err[1024];
    int rc = engine_exec(e, sql, err, sizeof(err));
    if (rc != 0)
        set_err(errstr, errstr_size, "unable to create view '%s': %s", t->name, err);
    return rc;
}

/* The view of a table: one branch when its files share one schema, else one
 * branch per schema joined by UNION ALL, so that no two files whose types
 * DuckDB cannot unify are ever read by one scan. */
static int create_view(engine *e, const char *root, const char *from, const catalog_table *t,
                       char *errstr, size_t errstr_size)
{
    buf sql = {0};
    buf_puts(&sql, "CREATE OR REPLACE TEMP VIEW ");
    engine_quote_ident(&sql, t->name);
    buf_puts(&sql, " AS ");
    size_t nbranches = 0;
    if (t->nschemas <= 1) {
        nbranches = (size_t)put_branch(&sql, root, from, t, -1);
    } else {
        for (size_t k = 0; k < t->nschemas; k++) {
            size_t before = sql.len;
            if (nbranches)
                buf_puts(&sql, "\nUNION ALL ");
            if (put_branch(&sql, root, from, t, (long)k))
                nbranches++;
            else
                sql.len = before, sql.data[before] = '\0';
        }
    }
    if (nbranches == 0) {
        /* Nothing to read: an empty view with the catalog's columns. */
        buf_puts(&sql, "SELECT ");
        put_null_columns(&sql, t);
        buf_puts(&sql, " WHERE false");
    }
    int rc = exec_view(e, t, sql.data, errstr, errstr_size);
    buf_release(&sql);
    return rc;
}

/* A view over a table whose files are not here: it fails when read. */
static int create_absent_view(engine *e, const catalog_table *t, const char *why, char *errstr,
                              size_t errstr_size)
{
    buf sql = {0}, msg = {0};
    buf_puts(&sql, "CREATE OR REPLACE TEMP VIEW ");
    engine_quote_ident(&sql, t->name);
    buf_puts(&sql, " AS SELECT ");
    put_null_columns(&sql, t);
    buf_printf(&msg, "table '%s' %s", t->name, why);
    buf_puts(&sql, " FROM range(1) WHERE error(");
    engine_quote_literal(&sql, msg.data);
    buf_puts(&sql, ") IS NULL");
    int rc = exec_view(e, t, sql.data, errstr, errstr_size);
    buf_release(&sql);
    buf_release(&msg);
    return rc;
}

int catalog_attach_ext(engine *e, const char *lake, const char *const *absent, size_t nabsent,
                       const char *why, size_t *ntables, char *errstr, size_t errstr_size)
{
    return catalog_attach_from(e, lake, NULL, absent, nabsent, why, ntables, errstr, errstr_size);
}

int catalog_attach_from(engine *e, const char *lake, const char *from, const char *const *absent,
                        size_t nabsent, const char *why, size_t *ntables, char *errstr,
                        size_t errstr_size)
{
    if (ntables)
        *ntables = 0;
    char *root = lake_root(lake);
    catalog *c = NULL;
    int rc = catalog_load(root, &c, errstr, errstr_size);
    size_t n = 0;
    for (size_t i = 0; rc == 0 && c && i < c->ntables; i++) {
        const catalog_table *t = &c->tables[i];
        if (t->ncolumns == 0 && t->nkeys == 0)
            continue;
        int away = 0;
        for (size_t k = 0; k < nabsent && !away; k++)
            away = strcmp(absent[k], t->name) == 0;
        rc = away ? create_absent_view(e, t, why ? why : "is not available", errstr, errstr_size)
                  : create_view(e, root, from, t, errstr, errstr_size);
        n += rc == 0;
    }
    if (ntables)
        *ntables = n;
    catalog_free(c);
    free(root);
    return rc;
}

int catalog_attach(engine *e, const char *lake, size_t *ntables, char *errstr, size_t errstr_size)
{
    return catalog_attach_ext(e, lake, NULL, 0, NULL, ntables, errstr, errstr_size);
}

/* --- Analysis macros ---------------------------------------------------- */

/* Each macro takes optional named arguments that filter before grouping, so
 * the date range prunes partitions: sym := 'AAPL', from_date := DATE
 * '2026-01-02', to_date := DATE '2026-01-31' (both inclusive). `every` is
 * an INTERVAL of whole microseconds (1 ms .. days). Bars start at multiples of
 * the interval since the epoch, as the pipeline's bars do; open and close
 * follow event time with ties broken by trade id, and vwap is turnover /
 * volume clamped to [low, high], as DATA.md defines them. */
static const char *const trade_macros =
    "CREATE OR REPLACE TEMP MACRO tl_interval_ns(every) AS "
    "  epoch_us(TIMESTAMP '1970-01-01' + CAST(every AS INTERVAL)) * 1000;\n"
    "CREATE OR REPLACE TEMP MACRO tl_trades(sym := NULL, from_date := NULL, to_date := NULL) AS "
    "TABLE SELECT * FROM trades WHERE (sym IS NULL OR symbol = sym) "
    "  AND (from_date IS NULL OR date >= CAST(from_date AS DATE)) "
    "  AND (to_date IS NULL OR date <= CAST(to_date AS DATE));\n"
    "CREATE OR REPLACE TEMP MACRO ohlc(every, sym := NULL, from_date := NULL, to_date := NULL) AS "
    "TABLE WITH s AS (SELECT tl_interval_ns(every) AS step), "
    "b AS (SELECT symbol, epoch_ns(ts) // step AS bucket, step, ts, id, price, size "
    "  FROM tl_trades(sym := sym, from_date := from_date, to_date := to_date), s) "
    "SELECT symbol, make_timestamp_ns(bucket * step) AS window_start, "
    "  arg_min(price, (ts, id)) AS open, max(price) AS high, min(price) AS low, "
    "  arg_max(price, (ts, id)) AS close, sum(size) AS volume, "
    "  least(greatest(sum(price * size) / sum(size), min(price)), max(price)) AS vwap, "
    "  count(*) AS trades, sum(price * size) AS turnover "
    "FROM b GROUP BY symbol, bucket, step;\n"
    /* every NULL: per UTC day, from the date partition key (equal to the
     * day of ts by the lake's contract; a constant per file, so cheaper per
     * row). One computed key, so the CASE folds away: grouping on (symbol,
     * window_start) costs what the plain SQL costs (docs/PERFORMANCE.md). */
    "CREATE OR REPLACE TEMP MACRO vwap(every := NULL, sym := NULL, from_date := NULL, "
    "  to_date := NULL) AS "
    "TABLE SELECT symbol, window_start, "
    "  least(greatest(sum(price * size) / sum(size), min(price)), max(price)) AS vwap, "
    "  sum(size) AS volume, count(*) AS trades "
    "FROM (SELECT symbol, CASE WHEN every IS NULL THEN CAST(date AS TIMESTAMP_NS) "
    "    ELSE make_timestamp_ns(epoch_ns(ts) // tl_interval_ns(every) * tl_interval_ns(every)) "
    "    END AS window_start, price, size "
    "  FROM tl_trades(sym := sym, from_date := from_date, to_date := to_date)) "
    "GROUP BY symbol, window_start;\n"
    "CREATE OR REPLACE TEMP MACRO returns(every := '1 day', sym := NULL, "
    "  from_date := NULL, to_date := NULL) AS "
    "TABLE SELECT symbol, window_start, close, "
    "  lag(close) OVER w AS prev_close, close / lag(close) OVER w - 1 AS ret, "
    "  ln(close / lag(close) OVER w) AS log_ret "
    "FROM ohlc(every, sym := sym, from_date := from_date, to_date := to_date) "
    "WINDOW w AS (PARTITION BY symbol ORDER BY window_start);\n"
    /* First and last trade in two steps (their times, then their prices by a
     * semi-join): much faster than arg_min over every trade. */
    "CREATE OR REPLACE TEMP MACRO top_movers(n := 10, from_date := NULL, to_date := NULL) AS "
    "TABLE WITH t AS NOT MATERIALIZED (SELECT * FROM tl_trades(from_date := from_date, to_date := "
    "to_date)), "
    "e AS (SELECT symbol, min(ts) AS t0, max(ts) AS t1, sum(size) AS volume, count(*) AS trades "
    "  FROM t GROUP BY symbol), "
    "f AS (SELECT t.symbol, arg_min(t.price, t.id) AS p FROM t "
    "  SEMI JOIN e ON t.symbol = e.symbol AND t.ts = e.t0 GROUP BY 1), "
    "l AS (SELECT t.symbol, arg_max(t.price, t.id) AS p FROM t "
    "  SEMI JOIN e ON t.symbol = e.symbol AND t.ts = e.t1 GROUP BY 1) "
    "SELECT e.symbol, f.p AS first_price, l.p AS last_price, l.p / f.p - 1 AS ret, volume, "
    "  trades FROM e JOIN f USING (symbol) JOIN l USING (symbol) "
    "ORDER BY abs(ret) DESC, symbol LIMIT n;\n"
    "CREATE OR REPLACE TEMP MACRO anomalies(every := '1 minute', z := 4, sym := NULL, "
    "  from_date := NULL, to_date := NULL) AS "
    "TABLE WITH r AS (SELECT symbol, window_start, close, volume, "
    "    ln(close / lag(close) OVER (PARTITION BY symbol ORDER BY window_start)) AS log_ret "
    "  FROM ohlc(every, sym := sym, from_date := from_date, to_date := to_date)), "
    "s AS (SELECT *, "
    "    (log_ret - avg(log_ret) OVER p) / nullif(stddev_samp(log_ret) OVER p, 0) AS ret_z, "
    "    (volume - avg(volume) OVER p) / nullif(stddev_samp(volume) OVER p, 0) AS volume_z "
    "  FROM r WINDOW p AS (PARTITION BY symbol)) "
    "SELECT symbol, window_start, close, log_ret, ret_z, volume, volume_z FROM s "
    "WHERE abs(ret_z) >= z OR volume_z >= z ORDER BY symbol, window_start;\n";

static int has_column(const catalog_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncolumns; i++)
        if (strcasecmp(t->columns[i].name, name) == 0)
            return 1;
    for (size_t i = 0; i < t->nkeys; i++)
        if (strcasecmp(t->partition_keys[i].name, name) == 0)
            return 1;
    return 0;
}

int catalog_define_macros(engine *e, const char *lake, char *errstr, size_t errstr_size)
{
    catalog *c = NULL;
    if (catalog_load(lake, &c, errstr, errstr_size) != 0)
        return -1;
    const catalog_table *t = catalog_find_table(c, "trades");
    static const char *const need[] = {"symbol", "ts", "price", "size", "id", "date"};
    int ok = t != NULL && t->ncolumns > 0;
    for (size_t i = 0; ok && i < sizeof(need) / sizeof(need[0]); i++)
        ok = has_column(t, need[i]);
    int rc = 0;
    if (ok) {
        char err[1024];
        rc = engine_exec(e, trade_macros, err, sizeof(err));
        if (rc != 0)
            set_err(errstr, errstr_size, "unable to define the analysis macros: %s", err);
    }
    catalog_free(c);
    return rc;
}
