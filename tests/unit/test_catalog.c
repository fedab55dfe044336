/* test_catalog.c - the crawler and views over real lakes in temporary folders:
 * stats, the catalog model, incremental crawls, type conflicts, bad files,
 * and queries through catalog_attach. */
#include "catalog.h"
#include "catalog_crawl.h"
#include "catalog_ddl.h"
#include "catalog_json.h"
#include "catalog_sql.h"
#include "engine.h"
#include "testlib.h"

#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static char lake[64];
static engine *eng;

static void setup(void)
{
    strcpy(lake, "/tmp/tl-catalog-XXXXXX");
    if (!mkdtemp(lake))
        abort();
    char err[256];
    eng = engine_open(NULL, 2, err, sizeof(err));
    if (!eng) {
        fprintf(stderr, "engine_open: %s\n", err);
        abort();
    }
}

static void teardown(void)
{
    engine_close(eng);
    eng = NULL;
    tl_rm_rf(lake);
}

static char *lpath(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *lpath(const char *fmt, ...)
{
    static char out[4][512];
    static int slot;
    char rel[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof(rel), fmt, ap);
    va_end(ap);
    char *p = out[slot++ % 4];
    snprintf(p, 512, "%s/%s", lake, rel);
    return p;
}

/* Writes the result of select to <lake>/<rel> as Parquet. */
static void write_parquet(const char *rel, const char *select)
{
    char dir[512], err[512];
    snprintf(dir, sizeof(dir), "%s", lpath("%s", rel));
    *strrchr(dir, '/') = '\0';
    CHECK_EQ_INT(mkdir_p(dir, err, sizeof(err)), 0);
    buf sql = {0};
    buf_printf(&sql, "COPY (%s) TO ", select);
    engine_quote_literal(&sql, lpath("%s", rel));
    buf_puts(&sql, " (FORMAT parquet)");
    if (engine_exec(eng, sql.data, err, sizeof(err)) != 0)
        fprintf(stderr, "  write %s: %s\n", rel, err);
    buf_release(&sql);
}

static void write_text(const char *rel, const char *text)
{
    char dir[512], err[256];
    snprintf(dir, sizeof(dir), "%s", lpath("%s", rel));
    *strrchr(dir, '/') = '\0';
    mkdir_p(dir, err, sizeof(err));
    FILE *f = fopen(lpath("%s", rel), "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* n trades on day (1..31 of 2026-01), ts = midnight + i seconds + i ns. */
static void write_trades(const char *rel, int day, int n)
{
    char sel[512];
    snprintf(sel, sizeof(sel),
             "SELECT 'S' || (i %% 3) AS symbol, "
             "make_timestamp_ns(epoch_ns(DATE '2026-01-%02d') + i * 1000000001) AS ts, "
             "100.0::DOUBLE + i AS price, i AS size FROM range(%d) t(i)",
             day, n);
    write_parquet(rel, sel);
}

static void write_bars(const char *rel, int day, int n)
{
    char sel[512];
    snprintf(sel, sizeof(sel),
             "SELECT 'S' AS symbol, "
             "make_timestamp_ns(epoch_ns(DATE '2026-01-%02d') + i * 60000000000) "
             "AS window_start, 1.5 AS close, i AS volume FROM range(%d) t(i)",
             day, n);
    write_parquet(rel, sel);
}

static int64_t q64(engine *e, const char *sql)
{
    int64_t v = -1;
    char err[512];
    if (engine_query_int64(e, sql, &v, err, sizeof(err)) != 0) {
        fprintf(stderr, "  query %s: %s\n", sql, err);
        return -999;
    }
    return v;
}

static int collect_cb(void *opaque, size_t ncols, const char *const *names,
                      const char *const *values)
{
    buf *out = opaque;
    for (size_t i = 0; i < ncols; i++) {
        if (i)
            buf_putc(out, '|');
        buf_puts(out, values[i] ? values[i] : "\\N");
    }
    buf_putc(out, '\n');
    return 0;
}

static char *qtext(engine *e, const char *sql)
{
    static buf out;
    char err[512];
    buf_reset(&out);
    buf_puts(&out, "");
    if (engine_query_rows(e, sql, collect_cb, &out, err, sizeof(err)) != 0) {
        fprintf(stderr, "  query %s: %s\n", sql, err);
        buf_puts(&out, "ERROR");
    }
    return out.data;
}

static int crawl(catalog_crawl_stats *st)
{
    char err[512];
    int rc = catalog_crawl(eng, lake, st, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "  crawl: %s\n", err);
    return rc;
}

static engine *attach(size_t *n)
{
    char err[512];
    engine *e = engine_open(NULL, 2, err, sizeof(err));
    if (e && catalog_attach(e, lake, n, err, sizeof(err)) != 0) {
        fprintf(stderr, "  attach: %s\n", err);
        engine_close(e);
        return NULL;
    }
    return e;
}

static int has_warning(const catalog_table *t, const char *needle)
{
    for (size_t i = 0; t && i < t->nwarnings; i++)
        if (strstr(t->warnings[i], needle))
            return 1;
    return 0;
}

/* Two tables, several date partitions, files that are not data. */
static void make_lake(void)
{
    write_trades("trades/date=2026-01-01/trades+0+00000000000000000000.parquet", 1, 100);
    write_trades("trades/date=2026-01-01/trades+1+00000000000000000000.parquet", 1, 50);
    write_trades("trades/date=2026-01-02/trades+0+00000000000000000100.parquet", 2, 70);
    write_trades("trades/date=2026-01-03/trades+0+00000000000000000170.parquet", 3, 30);
    write_bars("bars/date=2026-01-01/bars+0+00000000000000000000.parquet", 1, 10);
    write_bars("bars/date=2026-01-02/bars+0+00000000000000000010.parquet", 2, 20);
    /* Not data: in-flight, hidden, temporary, other formats, the catalog. */
    write_trades("trades/date=2026-01-02/.tmp-trades+0+00000000000000000170.parquet", 2, 1000);
    write_trades("trades/date=2026-01-02/_partial.parquet", 2, 1000);
    write_text("trades/date=2026-01-02/x.parquet.tmp", "half");
    write_text("trades/date=2026-01-02/y.tmp-42", "half");
    write_text("trades/_SUCCESS", "");
    write_text("trades/date=2026-01-03/notes.txt", "hello");
    write_text("README", "lake");
    write_trades(".hidden/date=2026-01-01/a.parquet", 1, 5);
    write_trades("_scratch/a.parquet", 1, 5);
}

static void test_crawl_and_attach(void)
{
    setup();
    make_lake();
    catalog_crawl_stats st;
    CHECK_EQ_INT(crawl(&st), 0);
    CHECK_EQ_INT(st.version, 1);
    CHECK_EQ_INT(st.written, 1);
    CHECK_EQ_INT(st.tables, 2);
    CHECK_EQ_INT(st.tables_added, 2);
    CHECK_EQ_INT(st.partitions, 5);
    CHECK_EQ_INT(st.partitions_added, 5);
    CHECK_EQ_INT(st.partitions_unchanged, 0);
    CHECK_EQ_INT(st.files, 6);
    CHECK_EQ_INT(st.files_read, 6);
    CHECK_EQ_INT(st.files_skipped, 0);
    CHECK_EQ_INT(st.files_failed, 0);
    /* .tmp-*.parquet, _partial.parquet, *.tmp, *.tmp-42, _SUCCESS, notes.txt, README */
    CHECK_EQ_INT(st.files_ignored, 7);
    CHECK_EQ_INT(st.rows, 100 + 50 + 70 + 30 + 10 + 20);
    CHECK_EQ_INT(st.warnings, 0);

    catalog *c = NULL;
    char err[512];
    CHECK_EQ_INT(catalog_load(lake, &c, err, sizeof(err)), 0);
    if (!c) {
        teardown();
        return;
    }
    CHECK_EQ_INT(c->version, 1);
    CHECK_EQ_STR(c->database, "ticklake");
    CHECK_EQ_INT(c->ntables, 2);
    const catalog_table *t = catalog_find_table(c, "trades");
    CHECK(t != NULL);
    CHECK_EQ_STR(c->tables[0].name, "bars");
    if (t) {
        CHECK_EQ_INT(t->ncolumns, 4);
        CHECK_EQ_STR(t->columns[0].name, "symbol");
        CHECK_EQ_STR(t->columns[0].type, "VARCHAR");
        CHECK_EQ_STR(t->columns[1].name, "ts");
        CHECK_EQ_STR(t->columns[1].type, "TIMESTAMP_NS");
        CHECK_EQ_STR(t->columns[2].type, "DOUBLE");
        CHECK_EQ_STR(t->columns[3].type, "BIGINT");
        CHECK_EQ_INT(t->nkeys, 1);
        CHECK_EQ_STR(t->partition_keys[0].name, "date");
        CHECK_EQ_STR(t->partition_keys[0].type, "DATE");
        CHECK_EQ_INT(t->npartitions, 3);
        CHECK_EQ_STR(t->partitions[0].location, "trades/date=2026-01-01");
        CHECK_EQ_STR(t->partitions[0].values[0], "2026-01-01");
        CHECK_EQ_INT(t->partitions[0].nfiles, 2);
        CHECK_EQ_INT(t->partitions[0].rows, 150);
        CHECK_EQ_STR(t->partitions[0].files[1].path,
                     "trades/date=2026-01-01/trades+1+00000000000000000000.parquet");
        CHECK_EQ_INT(t->partitions[1].rows, 70);
        CHECK_EQ_INT(t->rows, 250);
        CHECK_EQ_INT(t->files, 4);
        CHECK(t->bytes > 0);
        CHECK_EQ_INT(t->nschemas, 1);
        CHECK_EQ_STR(t->time_column, "ts");
        CHECK_EQ_INT(t->has_time, 1);
        /* Exact to the ns: day 1 i=0, day 3 i=29 (29 s + 29 ns). */
        CHECK_EQ_INT(t->min_time_ns, 1767225600000000000LL);
        CHECK_EQ_INT(t->max_time_ns, 1767398400000000000LL + 29 * 1000000001LL);
    }
    const catalog_table *b = catalog_find_table(c, "bars");
    if (b) {
        CHECK_EQ_STR(b->time_column, "window_start");
        CHECK_EQ_INT(b->has_time, 1);
        CHECK_EQ_INT(b->rows, 30);
    }
    CHECK(catalog_find_table(c, "_scratch") == NULL);
    CHECK(catalog_find_table(c, ".hidden") == NULL);

    /* The JSON round-trips through catalog_parse. */
    buf j1 = {0}, j2 = {0};
    catalog_to_json(c, &j1);
    catalog *c2 = NULL;
    CHECK_EQ_INT(catalog_parse(j1.data, j1.len, &c2, err, sizeof(err)), 0);
    if (c2)
        catalog_to_json(c2, &j2);
    CHECK(j2.data && strcmp(j1.data, j2.data) == 0);
    catalog_free(c2);
    buf_release(&j1);
    buf_release(&j2);
    catalog_free(c);

    CHECK(access(lpath("_catalog/catalog.json"), F_OK) == 0);
    CHECK(access(lpath("_catalog/versions/1.json"), F_OK) == 0);
    CHECK_EQ_INT(catalog_load_version(lake, 1, &c, err, sizeof(err)), 0);
    catalog_free(c);
    CHECK_EQ_INT(catalog_load_version(lake, 7, &c, err, sizeof(err)), -1);

    size_t n = 0;
    engine *e = attach(&n);
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ_INT(n, 2);
        CHECK_EQ_INT(q64(e, "SELECT count(*) FROM trades"), 250);
        CHECK_EQ_INT(q64(e, "SELECT count(*) FROM bars"), 30);
        CHECK_EQ_INT(q64(e, "SELECT count(*) FROM trades WHERE date = DATE '2026-01-02'"), 70);
        CHECK_EQ_STR(qtext(e, "SELECT DISTINCT typeof(date), typeof(ts) FROM trades"),
                     "DATE|TIMESTAMP_NS\n");
        CHECK_EQ_STR(qtext(e, "SELECT max(ts) FROM trades"), "2026-01-03 00:00:29.000000029\n");
        CHECK_EQ_STR(qtext(e, "SELECT date, count(*) FROM trades GROUP BY ALL ORDER BY 1"),
                     "2026-01-01|150\n2026-01-02|70\n2026-01-03|30\n");
        /* A filter on the partition key reads only that partition's files. */
        CHECK(strstr(qtext(e, "EXPLAIN ANALYZE SELECT count(*) FROM trades "
                              "WHERE date = DATE '2026-01-02'"),
                     "Total Files Read: 1") != NULL);
        /* Files written after the crawl into a known partition are seen. */
        write_trades("trades/date=2026-01-03/trades+0+00000000000000000200.parquet", 3, 5);
        CHECK_EQ_INT(q64(e, "SELECT count(*) FROM trades"), 255);
        engine_close(e);
    }
    /* A table whose files are not here (an S3 lake's table a query did not
     * name) fails when read, with why: never an empty answer. */
    e = engine_open(NULL, 2, err, sizeof(err));
    const char *absent[] = {"trades"};
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ_INT(catalog_attach_ext(e, lake, absent, 1, "is not in the local cache", &n, err,
                                        sizeof(err)),
                     0);
        int64_t v = -1;
        CHECK_EQ_INT(engine_query_int64(e, "SELECT count(*) FROM trades", &v, err, sizeof(err)),
                     -1);
        CHECK(strstr(err, "table 'trades' is not in the local cache") != NULL);
        CHECK_EQ_INT(q64(e, "SELECT count(*) FROM bars"), 30);
        engine_close(e);
    }
    teardown();
}

static void test_incremental(void)
{
    setup();
    make_lake();
    catalog_crawl_stats st;
    CHECK_EQ_INT(crawl(&st), 0);
    /* Unchanged: nothing read, no new version. */
    CHECK_EQ_INT(crawl(&st), 0);
    CHECK_EQ_INT(st.version, 1);
    CHECK_EQ_INT(st.written, 0);
    CHECK_EQ_INT(st.files_read, 0);
    CHECK_EQ_INT(st.files_skipped, 6);
    CHECK_EQ_INT(st.partitions_unchanged, 5);
    CHECK_EQ_INT(st.partitions_added + st.partitions_changed + st.partitions_removed, 0);
    CHECK_EQ_INT(st.rows, 280);

    /* A new partition: only its file is read. */
    write_trades("trades/date=2026-01-04/trades+0+00000000000000000200.parquet", 4, 40);
    CHECK_EQ_INT(crawl(&st), 0);
    CHECK_EQ_INT(st.version, 2);
    CHECK_EQ_INT(st.written, 1);
    CHECK_EQ_INT(st.files_read, 1);
    CHECK_EQ_INT(st.files_skipped, 6);
    CHECK_EQ_INT(st.partitions_added, 1);
    CHECK_EQ_INT(st.partitions_unchanged, 5);
    CHECK_EQ_INT(st.tables_added, 0);
    CHECK_EQ_INT(st.rows, 320);
    CHECK(access(lpath("_catalog/versions/2.json"), F_OK) == 0);
    CHECK(access(lpath("_catalog/versions/1.json"), F_OK) == 0);

    /* A rewritten file (other size) and a removed partition. */
    write_trades("trades/date=2026-01-02/trades+0+00000000000000000100.parquet", 2, 7);
    tl_rm_rf(lpath("bars/date=2026-01-01"));
    CHECK_EQ_INT(crawl(&st), 0);
    CHECK_EQ_INT(st.version, 3);
    CHECK_EQ_INT(st.files_read, 1);
    CHECK_EQ_INT(st.partitions_changed, 1);
    CHECK_EQ_INT(st.partitions_removed, 1);
    CHECK_EQ_INT(st.partitions_unchanged, 4);
    CHECK_EQ_INT(st.rows, 320 - 70 + 7 - 10);

    /* A table removed entirely; an empty table folder. */
    tl_rm_rf(lpath("bars"));
    mkdir(lpath("empty"), 0755);
    CHECK_EQ_INT(crawl(&st), 0);
    CHECK_EQ_INT(st.tables, 2);
    CHECK_EQ_INT(st.tables_removed, 1);
    CHECK_EQ_INT(st.tables_added, 1);
    CHECK_EQ_INT(st.partitions_removed, 1);

    size_t n = 0;
    engine *e = attach(&n);
    if (e) {
        CHECK_EQ_INT(n, 1); /* "empty" has no columns: no view */
        CHECK_EQ_INT(q64(e, "SELECT count(*) FROM trades"), 100 + 50 + 7 + 30 + 40);
        engine_close(e);
    }

    /* All data of a table gone: the view stays, empty, with the old columns. */
    tl_rm_rf(lpath("trades"));
    mkdir(lpath("trades"), 0755);
    CHECK_EQ_INT(crawl(&st), 0);
    CHECK_EQ_INT(st.partitions_removed, 4);
    e = attach(&n);
    if (e) {
        CHECK_EQ_INT(n, 1);
        CHECK_EQ_INT(q64(e, "SELECT count(*) FROM trades"), 0);
        CHECK_EQ_STR(qtext(e, "SELECT column_name, data_type FROM information_schema.columns "
                              "WHERE table_name = 'trades' ORDER BY ordinal_position"),
                     "symbol|VARCHAR\nts|TIMESTAMP_NS\nprice|DOUBLE\nsize|BIGINT\n"
                     "date|DATE\n");
        engine_close(e);
    }
    teardown();
}

static void test_type_conflict(void)
{
    setup();
    write_parquet("quotes/date=2026-01-01/a.parquet",
                  "SELECT 'A' AS symbol, 5::BIGINT AS price, 1::INTEGER AS n");
    write_parquet("quotes/date=2026-01-02/b.parquet",
                  "SELECT 'B' AS symbol, 2.5::DOUBLE AS price, 2::BIGINT AS n, 'x' AS extra");
    write_parquet("quotes/date=2026-01-03/c.parquet",
                  "SELECT 'C' AS symbol, 7::BIGINT AS price, 3::SMALLINT AS n");
    catalog_crawl_stats st;
    CHECK_EQ_INT(crawl(&st), 0);
    CHECK_EQ_INT(st.warnings, 2);
    catalog *c = NULL;
    char err[512];
    CHECK_EQ_INT(catalog_load(lake, &c, err, sizeof(err)), 0);
    const catalog_table *t = catalog_find_table(c, "quotes");
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ_INT(t->ncolumns, 4);
        CHECK_EQ_STR(t->columns[1].name, "price");
        CHECK_EQ_STR(t->columns[1].type, "DOUBLE");
        CHECK_EQ_STR(t->columns[2].type, "BIGINT");
        CHECK_EQ_STR(t->columns[3].name, "extra");
        CHECK_EQ_INT(t->nschemas, 3);
        CHECK(has_warning(t, "column 'price' has types BIGINT, DOUBLE across files: using DOUBLE"));
        CHECK(has_warning(t, "column 'n' has types INTEGER, BIGINT, SMALLINT across files: using "
                             "BIGINT"));
    }
    catalog_free(c);
    size_t n = 0;
    engine *e = attach(&n);
    if (e) {
        CHECK_EQ_STR(qtext(e, "SELECT symbol, price, typeof(price), n, typeof(n), extra "
                              "FROM quotes ORDER BY symbol"),
                     "A|5.0|DOUBLE|1|BIGINT|\\N\nB|2.5|DOUBLE|2|BIGINT|x\n"
                     "C|7.0|DOUBLE|3|BIGINT|\\N\n");
        CHECK_EQ_STR(qtext(e, "SELECT sum(price) FROM quotes"), "14.5\n");
        engine_close(e);
    }
    teardown();
}

static void test_bad_file(void)
{
    setup();
    make_lake();
    write_text("trades/date=2026-01-02/x.parquet", "this is not parquet at all, really not");
    catalog_crawl_stats st;
    CHECK_EQ_INT(crawl(&st), 0);
    CHECK_EQ_INT(st.files_failed, 1);
    CHECK_EQ_INT(st.files_read, 7);
    CHECK_EQ_INT(st.files, 6);
    CHECK_EQ_INT(st.warnings, 1);
    catalog *c = NULL;
    char err[512];
    CHECK_EQ_INT(catalog_load(lake, &c, err, sizeof(err)), 0);
    const catalog_table *t = catalog_find_table(c, "trades");
    if (t) {
        CHECK_EQ_INT(t->nbad_files, 1);
        CHECK_EQ_STR(t->bad_files[0].path, "trades/date=2026-01-02/x.parquet");
        CHECK(strstr(t->bad_files[0].error, "Invalid Input Error") == t->bad_files[0].error);
        CHECK(has_warning(t, "unable to read 'trades/date=2026-01-02/x.parquet': Invalid Input"));
        CHECK_EQ_INT(t->rows, 250);
    }
    catalog_free(c);
    /* Unchanged bad file: not read again, still reported. */
    CHECK_EQ_INT(crawl(&st), 0);
    CHECK_EQ_INT(st.files_read, 0);
    CHECK_EQ_INT(st.files_skipped, 7);
    CHECK_EQ_INT(st.files_failed, 1);
    CHECK_EQ_INT(st.written, 0);
    /* Queries skip it. */
    size_t n;
    engine *e = attach(&n);
    if (e) {
        CHECK_EQ_INT(q64(e, "SELECT count(*) FROM trades"), 250);
        CHECK_EQ_INT(q64(e, "SELECT count(*) FROM trades WHERE date = '2026-01-02'"), 70);
        engine_close(e);
    }
    /* A partition holding only a bad file is no partition. */
    write_text("trades/date=2026-01-09/y.parquet", "PAR1 not really");
    CHECK_EQ_INT(crawl(&st), 0);
    CHECK_EQ_INT(st.files_failed, 2);
    CHECK_EQ_INT(st.partitions, 5);
    teardown();
}

static void test_layouts(void)
{
    setup();
    /* Unpartitioned table; two key levels with an integer key; a stray folder. */
    write_parquet("plain/a.parquet", "SELECT 1 AS x");
    write_parquet("plain/b.parquet", "SELECT 2 AS x");
    write_parquet("ticks/date=2026-01-01/hour=9/a.parquet", "SELECT 1 AS v");
    write_parquet("ticks/date=2026-01-01/hour=10/a.parquet", "SELECT 2 AS v");
    write_parquet("ticks/date=2026-01-02/hour=9/a.parquet", "SELECT 3 AS v");
    write_parquet("ticks/date=2026-01-02/odd/a.parquet", "SELECT 4 AS v");
    write_parquet("ticks/venue=X/a.parquet", "SELECT 5 AS v");
    write_parquet("names/sym=A B/a.parquet", "SELECT 1 AS v");
    write_parquet("names/sym=2026-13-01/a.parquet", "SELECT 2 AS v");
    catalog_crawl_stats st;
    CHECK_EQ_INT(crawl(&st), 0);
    catalog *c = NULL;
    char err[512];
    CHECK_EQ_INT(catalog_load(lake, &c, err, sizeof(err)), 0);
    const catalog_table *t = catalog_find_table(c, "plain");
    if (t) {
        CHECK_EQ_INT(t->nkeys, 0);
        CHECK_EQ_INT(t->npartitions, 1);
        CHECK_EQ_STR(t->partitions[0].location, "plain");
        CHECK_EQ_INT(t->partitions[0].nvalues, 0);
        CHECK_EQ_INT(t->rows, 2);
        CHECK(t->time_column == NULL);
    }
    t = catalog_find_table(c, "ticks");
    if (t) {
        CHECK_EQ_INT(t->nkeys, 2);
        CHECK_EQ_STR(t->partition_keys[0].name, "date");
        CHECK_EQ_STR(t->partition_keys[0].type, "DATE");
        CHECK_EQ_STR(t->partition_keys[1].name, "hour");
        CHECK_EQ_STR(t->partition_keys[1].type, "BIGINT");
        CHECK_EQ_INT(t->npartitions, 3);
        CHECK(has_warning(t, "folder 'ticks/date=2026-01-02/odd' is not a key=value"));
        CHECK(has_warning(t, "partition 'ticks/venue=X' has keys (venue) unlike the table's "
                             "(date/hour): skipped"));
    }
    t = catalog_find_table(c, "names");
    if (t)
        CHECK_EQ_STR(t->partition_keys[0].type, "VARCHAR");
    catalog_free(c);
    size_t n;
    engine *e = attach(&n);
    if (e) {
        CHECK_EQ_INT(n, 3);
        CHECK_EQ_INT(q64(e, "SELECT sum(x) FROM plain"), 3);
        CHECK_EQ_STR(qtext(e, "SELECT date, hour, typeof(hour), v FROM ticks ORDER BY v"),
                     "2026-01-01|9|BIGINT|1\n2026-01-01|10|BIGINT|2\n2026-01-02|9|BIGINT|3\n");
        CHECK_EQ_INT(q64(e, "SELECT v FROM ticks WHERE hour = 10"), 2);
        CHECK_EQ_STR(qtext(e, "SELECT sym FROM names ORDER BY v"), "A B\n2026-13-01\n");
        engine_close(e);
    }
    teardown();
}

static void test_missing_catalog(void)
{
    setup();
    char err[512], want[256];
    size_t n = 9;
    CHECK_EQ_INT(catalog_attach(eng, lake, &n, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "no catalog in '%s': run 'ticklake crawl' first", lake);
    CHECK_EQ_STR(err, want);
    CHECK_EQ_INT(n, 0);
    catalog *c = (catalog *)1;
    CHECK_EQ_INT(catalog_load(lake, &c, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, want);
    CHECK(c == NULL);
    /* A lake that does not exist cannot be crawled. */
    CHECK_EQ_INT(catalog_crawl(eng, "/nonexistent/lake", NULL, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "unable to list '/nonexistent/lake': No such file or directory");
    /* A catalog that is not valid is an error, not a fresh start. */
    write_text("_catalog/catalog.json", "{\"version\": 1");
    CHECK_EQ_INT(catalog_crawl(eng, lake, NULL, err, sizeof(err)), -1);
    CHECK(strstr(err, "unable to load '") == err);
    teardown();
    catalog_free(NULL);
}

/* Two crawls of one lake do not run at once. */
static void test_lock(void)
{
    setup();
    make_lake();
    catalog_crawl_stats st;
    CHECK_EQ_INT(crawl(&st), 0);
    int fd = open(lpath("_catalog/.lock"), O_RDWR);
    CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0);
    char err[512], want[512];
    CHECK_EQ_INT(catalog_crawl(eng, lake, &st, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "unable to lock '%s': another crawl is running",
             lpath("_catalog/.lock"));
    CHECK_EQ_STR(err, want);
    close(fd);
    CHECK_EQ_INT(crawl(&st), 0);
    teardown();
}

static void test_parse_errors(void)
{
    char err[256];
    catalog *c = NULL;
    CHECK_EQ_INT(catalog_parse("[]", 2, &c, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "invalid catalog: not a JSON object");
    const char *noversion = "{\"tables\": []}";
    CHECK_EQ_INT(catalog_parse(noversion, strlen(noversion), &c, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "invalid catalog: no valid \"version\"");
    const char *badvalues = "{\"version\": 2, \"tables\": [{\"name\": \"t\", \"partition_keys\": "
                            "[{\"name\": \"date\", \"type\": \"DATE\"}], \"partitions\": "
                            "[{\"location\": \"t/x\", \"values\": []}]}]}";
    CHECK_EQ_INT(catalog_parse(badvalues, strlen(badvalues), &c, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "invalid catalog: partition 't/x': 0 values for 1 partition keys");
    /* Totals of a hostile catalog that would overflow: refused (they were signed
     * overflow, caught by fuzz_catalog's review), and so are negative counts. */
    const char *huge =
        "{\"version\": 1, \"tables\": [{\"name\": \"t\", \"partitions\": [{\"location\": "
        "\"t\", \"files\": [{\"path\": \"x\", \"rows\": 9223372036854775807}, {\"path\": "
        "\"y\", \"rows\": 1}]}]}]}";
    CHECK_EQ_INT(catalog_parse(huge, strlen(huge), &c, err, sizeof(err)), -1);
    CHECK_EQ_STR(err,
                 "invalid catalog: partition 't': the files' rows or bytes add up beyond 2^63");
    const char *huge2 = "{\"version\": 1, \"tables\": [{\"name\": \"t\", \"partition_keys\": "
                        "[{\"name\": \"d\", \"type\": \"VARCHAR\"}], \"partitions\": ["
                        "{\"location\": \"t/d=1\", \"values\": [\"1\"], \"files\": [{\"path\": "
                        "\"x\", \"size\": 9223372036854775807}]}, {\"location\": \"t/d=2\", "
                        "\"values\": [\"2\"], \"files\": [{\"path\": \"y\", \"size\": 1}]}]}]}";
    CHECK_EQ_INT(catalog_parse(huge2, strlen(huge2), &c, err, sizeof(err)), -1);
    CHECK_EQ_STR(err,
                 "invalid catalog: table 't': the partitions' rows or bytes add up beyond 2^63");
    const char *negative =
        "{\"version\": 1, \"tables\": [{\"name\": \"t\", \"partitions\": "
        "[{\"location\": \"t\", \"files\": [{\"path\": \"x\", \"size\": -5}]}]}]}";
    CHECK_EQ_INT(catalog_parse(negative, strlen(negative), &c, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "invalid catalog: partition 't': file 'x' has a negative size or row count");
    const char *ok = "{\"version\": 4, \"tables\": [{\"name\": \"t\", \"columns\": "
                     "[{\"name\": \"a\", \"type\": \"BIGINT\"}]}]}";
    CHECK_EQ_INT(catalog_parse(ok, strlen(ok), &c, err, sizeof(err)), 0);
    if (c) {
        CHECK_EQ_INT(c->version, 4);
        CHECK_EQ_STR(c->tables[0].location, "t");
        CHECK_EQ_INT(c->tables[0].ncolumns, 1);
    }
    catalog_free(c);
}

/* catalog_table_copy copies every member: the copy prints as the original
 * does, shares no memory with it, and grows like any table the crawler
 * builds (ARRAY_PUSH on its arrays). */
static void test_table_copy(void)
{
    const char *text =
        "{\"version\": 7, \"database\": \"db\", \"crawled_at_ns\": 5, \"tables\": ["
        "{\"name\": \"t\", \"location\": \"t\", \"format\": \"csv\", \"deprecated\": true,"
        " \"columns\": [{\"name\": \"ts\", \"type\": \"TIMESTAMP_NS\"}, {\"name\": \"p\","
        " \"type\": \"DOUBLE\"}, {\"name\": \"q\", \"type\": \"BIGINT\"}],"
        " \"partition_keys\": [{\"name\": \"date\", \"type\": \"DATE\"}],"
        " \"time_column\": \"ts\", \"min_time_ns\": 10, \"max_time_ns\": 90,"
        " \"schemas\": [[{\"name\": \"ts\", \"type\": \"TIMESTAMP_NS\"}],"
        "  [{\"name\": \"ts\", \"type\": \"TIMESTAMP_NS\"}, {\"name\": \"p\", \"type\": "
        "\"DOUBLE\"}],"
        "  [{\"name\": \"q\", \"type\": \"BIGINT\"}]],"
        " \"partitions\": ["
        "  {\"values\": [\"2026-01-01\"], \"location\": \"t/date=2026-01-01\", \"files\": ["
        "   {\"path\": \"t/date=2026-01-01/a.csv\", \"size\": 10, \"mtime_ns\": 1, \"rows\": 2,"
        "    \"schema\": 1, \"min_time_ns\": 10, \"max_time_ns\": 20},"
        "   {\"path\": \"t/date=2026-01-01/b.csv\", \"size\": 11, \"mtime_ns\": 2, \"rows\": 3,"
        "    \"schema\": 2}]},"
        "  {\"values\": [\"2026-01-02\"], \"location\": \"t/date=2026-01-02\", \"deprecated\": "
        "true,"
        "   \"files\": [{\"path\": \"t/date=2026-01-02/c.csv\", \"size\": 12, \"mtime_ns\": 3,"
        "    \"rows\": 4, \"schema\": 0, \"min_time_ns\": 30, \"max_time_ns\": 90}]},"
        "  {\"values\": [\"2026-01-03\"], \"location\": \"t/date=2026-01-03\", \"files\": []}],"
        " \"bad_files\": [{\"path\": \"t/date=2026-01-01/x.csv\", \"size\": 5, \"mtime_ns\": 4,"
        "  \"error\": \"not CSV\"}],"
        " \"warnings\": [\"w1\", \"w2\", \"w3\"]},"
        "{\"name\": \"u\", \"columns\": []}],"
        " \"warnings\": [\"lake-wide\"]}";
    char err[256];
    catalog *c = NULL;
    CHECK_EQ_INT(catalog_parse(text, strlen(text), &c, err, sizeof(err)), 0);
    if (!c)
        return;
    catalog *d = calloc(1, sizeof(*d));
    d->version = c->version;
    d->crawled_at_ns = c->crawled_at_ns;
    d->database = strdup(c->database);
    for (size_t i = 0; i < c->ntables; i++)
        catalog_table_copy(ARRAY_PUSH(d->tables, d->ntables), &c->tables[i]);
    for (size_t i = 0; i < c->nwarnings; i++)
        strv_push(&d->warnings, &d->nwarnings, xstrdup(c->warnings[i]));
    buf a = {0}, b = {0};
    catalog_to_json(c, &a);
    catalog_to_json(d, &b);
    CHECK_EQ_STR(b.data, a.data);
    const catalog_table *ct = &c->tables[0];
    catalog_table *dt = &d->tables[0];
    CHECK_EQ_INT(dt->rows, ct->rows);
    CHECK_EQ_INT(dt->bytes, 21);
    CHECK_EQ_INT(dt->files, 2);
    CHECK(dt->has_time && dt->min_time_ns == 10 && dt->max_time_ns == 90);
    CHECK_EQ_INT(dt->partitions[0].files[1].schema, 2);
    CHECK(!dt->partitions[0].files[1].has_time);
    /* Nothing shared. */
    CHECK(dt->name != ct->name && dt->format != ct->format && dt->time_column != ct->time_column);
    CHECK(dt->columns != ct->columns && dt->columns[0].name != ct->columns[0].name);
    CHECK(dt->partitions != ct->partitions && dt->partitions[0].values != ct->partitions[0].values);
    CHECK(dt->partitions[0].files[0].path != ct->partitions[0].files[0].path);
    CHECK(dt->schemas[1].columns != ct->schemas[1].columns);
    CHECK(dt->bad_files[0].error != ct->bad_files[0].error);
    CHECK(dt->warnings[2] != ct->warnings[2]);
    CHECK(d->tables[1].time_column == NULL && d->tables[1].ncolumns == 0);
    /* The copy changes and grows on its own (3 columns, 3 partitions and 3
     * warnings: pushes past a length that is not a power of two). */
    free(dt->columns[0].name);
    dt->columns[0].name = strdup("changed");
    catalog_column *col = ARRAY_PUSH(dt->columns, dt->ncolumns);
    col->name = strdup("added");
    col->type = strdup("VARCHAR");
    catalog_partition_copy(ARRAY_PUSH(dt->partitions, dt->npartitions), &ct->partitions[0]);
    strv_push(&dt->warnings, &dt->nwarnings, xstrdup("w4"));
    strv_push(&dt->partitions[0].values, &dt->partitions[0].nvalues, xstrdup("extra"));
    CHECK_EQ_INT(dt->ncolumns, 4);
    CHECK_EQ_INT(dt->npartitions, 4);
    CHECK_EQ_STR(dt->partitions[3].files[1].path, "t/date=2026-01-01/b.csv");
    CHECK_EQ_INT(dt->nwarnings, 4);
    buf_reset(&b);
    catalog_to_json(c, &b);
    CHECK_EQ_STR(b.data, a.data); /* the original is as it was */
    buf_release(&a);
    buf_release(&b);
    catalog_free(d);
    catalog_free(c);
}

static void test_types(void)
{
    /* What DuckDB names, and nothing that could close a CAST and go on. */
    static const char *const good[] = {"VARCHAR",
                                       "DECIMAL(18,3)",
                                       "TIMESTAMP WITH TIME ZONE",
                                       "INTEGER[]",
                                       "DOUBLE[3][]",
                                       "MAP(VARCHAR, BIGINT)",
                                       "STRUCT(\"a b\" VARCHAR, c STRUCT(d INTEGER[]))",
                                       "STRUCT(\"x\"\"); DROP\" INTEGER)",
                                       "UNION(n INTEGER, s VARCHAR)"};
    static const char *const bad[] = {"",
                                      "INTEGER) AS x; COPY (SELECT 1) TO 'x'; SELECT CAST(NULL AS "
                                      "INTEGER",
                                      "INTEGER) FROM t, (SELECT 1",
                                      "INTEGER -- x",
                                      "INTEGER /* x */",
                                      "VARCHAR COLLATE 'x'",
                                      "STRUCT(a INTEGER]",
                                      "STRUCT(\"a INTEGER)",
                                      "DOUBLE[(SELECT 1]",
                                      "INTEGER::VARCHAR",
                                      "$$x$$"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        CHECK_EQ_INT(catalog_type_valid(good[i]), 1);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ_INT(catalog_type_valid(bad[i]), 0);
    CHECK_EQ_STR(catalog_supertype("BIGINT", "BIGINT"), "BIGINT");
    CHECK_EQ_STR(catalog_supertype("INTEGER", "BIGINT"), "BIGINT");
    CHECK_EQ_STR(catalog_supertype("TINYINT", "SMALLINT"), "SMALLINT");
    CHECK_EQ_STR(catalog_supertype("UINTEGER", "INTEGER"), "BIGINT");
    CHECK_EQ_STR(catalog_supertype("UBIGINT", "BIGINT"), "HUGEINT");
    CHECK_EQ_STR(catalog_supertype("UTINYINT", "USMALLINT"), "USMALLINT");
    CHECK_EQ_STR(catalog_supertype("BIGINT", "DOUBLE"), "DOUBLE");
    CHECK_EQ_STR(catalog_supertype("FLOAT", "DOUBLE"), "DOUBLE");
    CHECK_EQ_STR(catalog_supertype("DECIMAL(18,3)", "BIGINT"), "DOUBLE");
    CHECK_EQ_STR(catalog_supertype("TIMESTAMP", "TIMESTAMP_NS"), "TIMESTAMP_NS");
    CHECK_EQ_STR(catalog_supertype("DATE", "TIMESTAMP_MS"), "TIMESTAMP_MS");
    CHECK_EQ_STR(catalog_supertype("BIGINT", "VARCHAR"), "VARCHAR");
    CHECK_EQ_STR(catalog_supertype("DATE", "BIGINT"), "VARCHAR");
    CHECK_EQ_STR(catalog_supertype("BOOLEAN", "INTEGER"), "VARCHAR");

    const char *dates[] = {"2026-01-01", "2024-02-29"};
    const char *baddate[] = {"2026-01-01", "2023-02-29"};
    const char *ints[] = {"9", "-10", "9223372036854775807"};
    const char *big[] = {"9", "9223372036854775808"};
    const char *mixed[] = {"2026-01-01", "7"};
    CHECK_EQ_STR(catalog_key_type(dates, 2), "DATE");
    CHECK_EQ_STR(catalog_key_type(baddate, 2), "VARCHAR");
    CHECK_EQ_STR(catalog_key_type(ints, 3), "BIGINT");
    CHECK_EQ_STR(catalog_key_type(big, 2), "VARCHAR");
    CHECK_EQ_STR(catalog_key_type(mixed, 2), "VARCHAR");
    CHECK_EQ_STR(catalog_key_type(NULL, 0), "VARCHAR");
}

static int crawl_opts(catalog_on_change ch, catalog_on_delete del, catalog_crawl_stats *st)
{
    char err[512];
    catalog_crawl_opts o = {ch, del, NULL};
    int rc = catalog_crawl_ext(eng, lake, &o, st, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "  crawl: %s\n", err);
    return rc;
}

/* A new column in new partitions: old and new partitions query together;
 * with --on-change log the catalog keeps the old columns. */
static void test_schema_evolution(void)
{
    setup();
    write_parquet("t/date=2026-01-01/a.parquet", "SELECT 'A' AS symbol, 1.5 AS price");
    catalog_crawl_stats st;
    CHECK_EQ_INT(crawl(&st), 0);
    write_parquet("t/date=2026-01-02/b.parquet",
                  "SELECT 'B' AS symbol, 2.5 AS price, 'XNAS' AS venue");
    /* LOG: the change is reported, not applied. */
    CHECK_EQ_INT(crawl_opts(CATALOG_CHANGE_LOG, CATALOG_DELETE_DELETE, &st), 0);
    catalog *c = NULL;
    char err[512];
    CHECK_EQ_INT(catalog_load(lake, &c, err, sizeof(err)), 0);
    const catalog_table *t = catalog_find_table(c, "t");
    if (t) {
        CHECK_EQ_INT(t->ncolumns, 2);
        CHECK(has_warning(t, "schema change not applied (--on-change log): new column 'venue' "
                             "VARCHAR"));
        CHECK_EQ_INT(t->npartitions, 2);
    }
    catalog_free(c);
    size_t n;
    engine *e = attach(&n);
    if (e) {
        CHECK_EQ_STR(qtext(e, "SELECT * FROM t ORDER BY symbol"),
                     "A|1.5|2026-01-01\nB|2.5|2026-01-02\n");
        engine_close(e);
    }
    /* UPDATE: the new column appears, NULL in old partitions. */
    CHECK_EQ_INT(crawl(&st), 0);
    e = attach(&n);
    if (e) {
        CHECK_EQ_STR(qtext(e, "SELECT symbol, price, venue, date FROM t ORDER BY symbol"),
                     "A|1.5|\\N|2026-01-01\nB|2.5|XNAS|2026-01-02\n");
        CHECK_EQ_INT(q64(e, "SELECT count(*) FROM t WHERE venue IS NULL"), 1);
        engine_close(e);
    }
    teardown();
}

/* Types DuckDB cannot unify in one scan (a STRUCT and an INTEGER) still
 * give a readable table: VARCHAR, by the documented rule. */
static void test_incompatible_types(void)
{
    setup();
    write_parquet("q/date=2026-01-01/a.parquet", "SELECT 1::INTEGER AS a, 'x' AS b");
    write_parquet("q/date=2026-01-02/b.parquet", "SELECT {'k': 1} AS a, 'y' AS b");
    catalog_crawl_stats st;
    CHECK_EQ_INT(crawl(&st), 0);
    CHECK_EQ_INT(st.warnings, 1);
    size_t n;
    engine *e = attach(&n);
    if (e) {
        CHECK_EQ_STR(qtext(e, "SELECT a, typeof(a), b FROM q ORDER BY b"),
                     "1|VARCHAR|x\n{'k': 1}|VARCHAR|y\n");
        CHECK_EQ_INT(q64(e, "SELECT count(*) FROM q WHERE date = '2026-01-02'"), 1);
        engine_close(e);
    }
    teardown();
}

static void test_on_delete(void)
{
    setup();
    make_lake();
    catalog_crawl_stats st;
    CHECK_EQ_INT(crawl(&st), 0);
    tl_rm_rf(lpath("trades/date=2026-01-03"));
    tl_rm_rf(lpath("bars"));
    /* LOG: kept as they were. */
    CHECK_EQ_INT(crawl_opts(CATALOG_CHANGE_UPDATE, CATALOG_DELETE_LOG, &st), 0);
    CHECK_EQ_INT(st.partitions_removed, 3);
    catalog *c = NULL;
    char err[512];
    CHECK_EQ_INT(catalog_load(lake, &c, err, sizeof(err)), 0);
    const catalog_table *t = catalog_find_table(c, "trades");
    if (t) {
        CHECK_EQ_INT(t->npartitions, 3);
        CHECK_EQ_INT(t->rows, 250);
        CHECK(has_warning(t, "partition 'trades/date=2026-01-03' is gone: kept"));
    }
    t = catalog_find_table(c, "bars");
    CHECK(t != NULL && !t->deprecated && t->rows == 30);
    catalog_free(c);
    /* DEPRECATE: kept, marked, out of the totals; queries see no rows there. */
    CHECK_EQ_INT(crawl_opts(CATALOG_CHANGE_UPDATE, CATALOG_DELETE_DEPRECATE, &st), 0);
    CHECK_EQ_INT(catalog_load(lake, &c, err, sizeof(err)), 0);
    t = catalog_find_table(c, "trades");
    if (t) {
        CHECK_EQ_INT(t->npartitions, 3);
        CHECK_EQ_INT(t->partitions[2].deprecated, 1);
        CHECK_EQ_INT(t->partitions[1].deprecated, 0);
        CHECK_EQ_INT(t->rows, 220);
    }
    t = catalog_find_table(c, "bars");
    CHECK(t != NULL && t->deprecated && t->rows == 0);
    CHECK(t != NULL && has_warning(t, "table folder 'bars' is gone: deprecated"));
    int64_t version = c->version;
    catalog_free(c);
    /* Nothing changed since: no new version (one that only dropped the
     * warnings was written before), and the warnings stay with theirs. */
    CHECK_EQ_INT(crawl_opts(CATALOG_CHANGE_UPDATE, CATALOG_DELETE_DEPRECATE, &st), 0);
    CHECK_EQ_INT(st.written, 0);
    CHECK_EQ_INT(st.version, version);
    CHECK_EQ_INT(catalog_load(lake, &c, err, sizeof(err)), 0);
    t = catalog_find_table(c, "bars");
    CHECK(t != NULL && has_warning(t, "table folder 'bars' is gone: deprecated"));
    catalog_free(c);
    size_t n;
    engine *e = attach(&n);
    if (e) {
        CHECK_EQ_INT(q64(e, "SELECT count(*) FROM trades"), 220);
        CHECK_EQ_INT(q64(e, "SELECT count(*) FROM bars"), 0);
        engine_close(e);
    }
    /* The data back: active again. DELETE: gone from the catalog. */
    write_trades("trades/date=2026-01-03/trades+0+00000000000000000170.parquet", 3, 30);
    CHECK_EQ_INT(crawl_opts(CATALOG_CHANGE_UPDATE, CATALOG_DELETE_DELETE, &st), 0);
    CHECK_EQ_INT(catalog_load(lake, &c, err, sizeof(err)), 0);
    CHECK(catalog_find_table(c, "bars") == NULL);
    t = catalog_find_table(c, "trades");
    CHECK(t != NULL && t->rows == 250 && !t->partitions[2].deprecated);
    catalog_free(c);
    teardown();
}

/* CSV and JSON files that other tools drop are sampled into tables. */
static void test_text_formats(void)
{
    setup();
    write_text("quotes_csv/date=2026-01-01/a.csv",
               "symbol,ts,bid\nAAPL,2026-01-01 10:00:00,189.5\nMSFT,2026-01-01 10:00:01,400\n");
    write_text("quotes_csv/date=2026-01-02/b.csv", "symbol,ts,bid\nAAPL,2026-01-02 09:00:00,190\n");
    write_text("events/e.jsonl",
               "{\"kind\": \"halt\", \"n\": 1}\n{\"kind\": \"resume\", \"n\": 2}\n");
    write_text("events/f.parquet.csv", "kind,n\nx,3\n");
    catalog_crawl_stats st;
    CHECK_EQ_INT(crawl(&st), 0);
    catalog *c = NULL;
    char err[512];
    CHECK_EQ_INT(catalog_load(lake, &c, err, sizeof(err)), 0);
    const catalog_table *t = catalog_find_table(c, "quotes_csv");
    if (t) {
        CHECK_EQ_STR(t->format, "csv");
        CHECK_EQ_INT(t->rows, 3);
        CHECK_EQ_INT(t->ncolumns, 3);
        CHECK_EQ_STR(t->columns[1].type, "TIMESTAMP");
        CHECK_EQ_STR(t->columns[2].type, "DOUBLE");
        CHECK_EQ_INT(t->has_time, 1);
    }
    t = catalog_find_table(c, "events");
    if (t) {
        CHECK_EQ_STR(t->format, "json");
        CHECK_EQ_INT(t->rows, 2);
        CHECK(has_warning(t, "file 'events/f.parquet.csv' is not json like the rest"));
    }
    buf ddl = {0};
    const catalog_table *q = catalog_find_table(c, "quotes_csv");
    if (q && catalog_ddl(q, "s3://b/l", CATALOG_DDL_HIVE, 0, &ddl, err, sizeof(err)) == 0)
        CHECK(strstr(ddl.data, "ROW FORMAT DELIMITED FIELDS TERMINATED BY ','\nSTORED AS "
                               "TEXTFILE\nLOCATION 's3://b/l/quotes_csv/'\nTBLPROPERTIES "
                               "('skip.header.line.count' = '1');") != NULL);
    buf_release(&ddl);
    catalog_free(c);
    size_t n;
    engine *e = attach(&n);
    if (e) {
        CHECK_EQ_STR(qtext(e, "SELECT symbol, bid, date FROM quotes_csv ORDER BY ts"),
                     "AAPL|189.5|2026-01-01\nMSFT|400.0|2026-01-01\nAAPL|190.0|2026-01-02\n");
        CHECK_EQ_STR(qtext(e, "SELECT kind, n FROM events ORDER BY n"), "halt|1\nresume|2\n");
        engine_close(e);
    }
    teardown();
}

static void test_ddl(void)
{
    setup();
    make_lake();
    write_parquet("nested/a.parquet",
                  "SELECT [1, 2]::INTEGER[] AS l, {'x': 1.5, 'y': 'a'} AS s, "
                  "MAP {'k': 1} AS m, 1.25::DECIMAL(18,3) AS d, 'x'::BLOB AS b");
    write_parquet("timey/a.parquet", "SELECT TIME '10:00:00' AS t");
    write_parquet("quoted/k=O'B\\x/a.parquet", "SELECT 1 AS v");
    write_parquet("odd/a.parquet", "SELECT {'a:b': 1} AS s");
    catalog_crawl_stats st;
    CHECK_EQ_INT(crawl(&st), 0);
    catalog *c = NULL;
    char err[512];
    CHECK_EQ_INT(catalog_load(lake, &c, err, sizeof(err)), 0);
    buf b = {0};
    const catalog_table *t = catalog_find_table(c, "trades");
    CHECK_EQ_INT(catalog_ddl(t, "s3://bucket/lake/", CATALOG_DDL_HIVE, 1, &b, err, sizeof(err)), 0);
    CHECK_EQ_STR(b.data, "CREATE EXTERNAL TABLE IF NOT EXISTS `trades` (\n"
                         "  `symbol` string,\n  `ts` timestamp,\n  `price` double,\n"
                         "  `size` bigint\n)\nPARTITIONED BY (\n  `date` date\n)\n"
                         "STORED AS PARQUET\nLOCATION 's3://bucket/lake/trades/'\n"
                         "TBLPROPERTIES ('parquet.compression' = 'ZSTD');\n"
                         "ALTER TABLE `trades` ADD IF NOT EXISTS\n"
                         "  PARTITION (`date` = '2026-01-01') LOCATION "
                         "'s3://bucket/lake/trades/date=2026-01-01/'\n"
                         "  PARTITION (`date` = '2026-01-02') LOCATION "
                         "'s3://bucket/lake/trades/date=2026-01-02/'\n"
                         "  PARTITION (`date` = '2026-01-03') LOCATION "
                         "'s3://bucket/lake/trades/date=2026-01-03/';\n");
    buf_reset(&b);
    CHECK_EQ_INT(catalog_ddl(t, "s3://bucket/lake", CATALOG_DDL_TRINO, 0, &b, err, sizeof(err)), 0);
    CHECK_EQ_STR(b.data, "CREATE TABLE IF NOT EXISTS \"trades\" (\n"
                         "  \"symbol\" varchar,\n  \"ts\" timestamp(9),\n  \"price\" double,\n"
                         "  \"size\" bigint,\n  \"date\" date\n)\nWITH (\n"
                         "  format = 'PARQUET',\n"
                         "  external_location = 's3://bucket/lake/trades/',\n"
                         "  partitioned_by = ARRAY['date']\n);\n");
    buf_reset(&b);
    t = catalog_find_table(c, "nested");
    CHECK_EQ_INT(catalog_ddl(t, "s3://b", CATALOG_DDL_HIVE, 0, &b, err, sizeof(err)), 0);
    CHECK(strstr(b.data, "  `l` array<int>,\n  `s` struct<x:decimal(2,1),y:string>,\n"
                         "  `m` map<string,int>,\n  `d` decimal(18,3),\n  `b` binary\n") != NULL);
    buf_reset(&b);
    CHECK_EQ_INT(catalog_ddl(t, "s3://b", CATALOG_DDL_TRINO, 0, &b, err, sizeof(err)), 0);
    CHECK(strstr(b.data, "\"s\" row(\"x\" decimal(2,1), \"y\" varchar)") != NULL);
    CHECK(strstr(b.data, "\"l\" array(integer)") != NULL);
    buf_reset(&b);
    t = catalog_find_table(c, "timey");
    CHECK_EQ_INT(catalog_ddl(t, "s3://b", CATALOG_DDL_HIVE, 0, &b, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "column 't' has type TIME, which Hive/Athena/Glue cannot read");
    /* Hive's literals escape with backslashes ('a''b' is "ab" there);
     * Trino's double the quote. */
    buf_reset(&b);
    t = catalog_find_table(c, "quoted");
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ_INT(catalog_ddl(t, "s3://b", CATALOG_DDL_HIVE, 1, &b, err, sizeof(err)), 0);
        CHECK(strstr(b.data,
                     "PARTITION (`k` = 'O\\'B\\\\x') LOCATION 's3://b/quoted/k=O\\'B\\\\x/'") !=
              NULL);
        buf_reset(&b);
        CHECK_EQ_INT(catalog_ddl(t, "s3://b'", CATALOG_DDL_TRINO, 0, &b, err, sizeof(err)), 0);
        CHECK(strstr(b.data, "external_location = 's3://b''/quoted/'") != NULL);
    }
    /* Hive cannot quote a struct field's name. */
    buf_reset(&b);
    t = catalog_find_table(c, "odd");
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ_INT(catalog_ddl(t, "s3://b", CATALOG_DDL_HIVE, 0, &b, err, sizeof(err)), -1);
        buf_reset(&b);
        CHECK_EQ_INT(catalog_ddl(t, "s3://b", CATALOG_DDL_TRINO, 0, &b, err, sizeof(err)), 0);
        CHECK(strstr(b.data, "\"s\" row(\"a:b\" integer)") != NULL);
    }
    buf_release(&b);
    catalog_free(c);
    teardown();
}

/* --database names the database; later crawls keep it. */
static void test_database(void)
{
    setup();
    make_lake();
    char err[512];
    catalog_crawl_opts o = {CATALOG_CHANGE_UPDATE, CATALOG_DELETE_DELETE, "markets"};
    catalog_crawl_stats st;
    CHECK_EQ_INT(catalog_crawl_ext(eng, lake, &o, &st, err, sizeof(err)), 0);
    CHECK_EQ_INT(crawl(&st), 0);
    CHECK_EQ_INT(st.written, 0);
    catalog *c = NULL;
    CHECK_EQ_INT(catalog_load(lake, &c, err, sizeof(err)), 0);
    if (c)
        CHECK_EQ_STR(c->database, "markets");
    catalog_free(c);
    teardown();
}

/* Many new files are read in batches; the catalog is the same as when they
 * are read one by one: columns in file order, rows, time ranges, a nested
 * schema, a second schema, and a file that is not Parquet. */
static void test_batched_footers(void)
{
    setup();
    for (int d = 1; d <= 9; d++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "trades/date=2026-01-%02d/t+0+%020d.parquet", d, d);
        write_trades(rel, d, 10 + d);
    }
    write_parquet("trades/date=2026-01-10/n.parquet",
                  "SELECT 'N' AS symbol, TIMESTAMP_NS '2026-01-10 00:00:01' AS ts, 1.0::DOUBLE AS "
                  "price, 5::BIGINT AS size, {'a': 1, 'b': [2, 3]} AS extra");
    write_parquet("trades/date=2026-01-11/z.parquet",
                  "SELECT 7::BIGINT AS size, 'Z' AS symbol, 2.0::DOUBLE AS price, "
                  "TIMESTAMP_NS '2026-01-11 00:00:02' AS ts");
    write_text("trades/date=2026-01-12/bad.parquet", "PAR1 this is not parquet");
    catalog_crawl_stats st;
    CHECK_EQ_INT(crawl(&st), 0);
    CHECK_EQ_INT(st.files_read, 12);
    CHECK_EQ_INT(st.files_failed, 1);
    CHECK_EQ_INT(st.files, 11);
    CHECK_EQ_INT(st.rows, (10 + 1 + 10 + 9) * 9 / 2 + 2);
    catalog *c = NULL;
    char err[512];
    CHECK_EQ_INT(catalog_load(lake, &c, err, sizeof(err)), 0);
    const catalog_table *t = catalog_find_table(c, "trades");
    if (t) {
        CHECK_EQ_INT(t->nschemas, 3);
        CHECK_EQ_INT(t->ncolumns, 5);
        CHECK_EQ_STR(t->columns[1].name, "ts");
        CHECK_EQ_STR(t->columns[4].name, "extra");
        CHECK_EQ_STR(t->columns[4].type, "STRUCT(a INTEGER, b INTEGER[])");
        CHECK_EQ_INT(t->has_time, 1);
        CHECK_EQ_INT(t->min_time_ns, 1767225600000000000LL);
        CHECK_EQ_INT(t->max_time_ns, 1767225600000000000LL + 11LL * 86400000000000LL -
                                         86400000000000LL + 2000000000LL);
        const catalog_schema *z = &t->schemas[t->partitions[10].files[0].schema];
        CHECK_EQ_STR(z->columns[0].name, "size");
        CHECK_EQ_STR(z->columns[3].name, "ts");
        CHECK_EQ_INT(t->partitions[3].files[0].rows, 14);
        CHECK(t->partitions[3].files[0].has_time);
        CHECK_EQ_INT(t->nbad_files, 1);
    }
    catalog_free(c);
    size_t n;
    engine *e = attach(&n);
    if (e) {
        CHECK_EQ_INT(q64(e, "SELECT count(*) FROM trades"), (10 + 1 + 10 + 9) * 9 / 2 + 2);
        CHECK_EQ_STR(qtext(e, "SELECT symbol, size, extra.a FROM trades WHERE date >= "
                              "'2026-01-10' ORDER BY ts"),
                     "N|5|1\nZ|7|\\N\n");
        engine_close(e);
    }
    teardown();
}

/* Daily rows (index_daily: a DATE "date" column, year partitions): the date
 * is the time column, so tables and partitions have a time range. */
static void write_daily(const char *rel, const char *first, int n)
{
    char sel[512];
    snprintf(sel, sizeof(sel),
             "SELECT 'HSI' AS \"index\", DATE '%s' + i::INTEGER AS date, 2568.3 + i AS close, "
             "i * 1000 AS volume FROM range(%d) t(i)",
             first, n);
    write_parquet(rel, sel);
}

static void check_daily(const char *name, int64_t min_ns, int64_t max_ns)
{
    catalog *c = NULL;
    char err[512];
    CHECK_EQ_INT(catalog_load(lake, &c, err, sizeof(err)), 0);
    const catalog_table *t = c ? catalog_find_table(c, name) : NULL;
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ_STR(t->time_column, "date");
        CHECK_EQ_INT(t->has_time, 1);
        CHECK_EQ_INT(t->min_time_ns, min_ns);
        CHECK_EQ_INT(t->max_time_ns, max_ns);
        for (size_t i = 0; i < t->npartitions; i++)
            for (size_t j = 0; j < t->partitions[i].nfiles; j++)
                CHECK_EQ_INT(t->partitions[i].files[j].has_time, 1);
    }
    catalog_free(c);
}

static void test_daily_time_range(void)
{
    setup();
    /* Few files (read one by one) and many (read in batches). */
    write_daily("few/year=1986/index.daily+0+00000000000000000000.parquet", "1986-12-31", 1);
    write_daily("few/year=1987/index.daily+0+00000000000000000001.parquet", "1987-01-02", 10);
    for (int y = 1986; y <= 2010; y++) {
        char rel[128], first[32];
        snprintf(rel, sizeof(rel), "index_daily/year=%d/index.daily+0+%020d.parquet", y, y);
        snprintf(first, sizeof(first), "%d-01-02", y);
        write_daily(rel, first, y == 2010 ? 7 : 200);
    }
    catalog_crawl_stats st;
    CHECK_EQ_INT(crawl(&st), 0);
    const int64_t day = 86400LL * 1000000000LL;
    const int64_t d1986_12_31 = 6208 * day, d1987_01_02 = 6210 * day; /* days since 1970 */
    const int64_t d1986_01_02 = 5845 * day, d2010_01_08 = 14617 * day;
    check_daily("few", d1986_12_31, d1987_01_02 + 9 * day);
    check_daily("index_daily", d1986_01_02, d2010_01_08);

    /* A catalog written before "date" was a time column: the next crawl reads
     * those files again for their range, and the one after that reads nothing. */
    catalog *c = NULL;
    char err[512];
    CHECK_EQ_INT(catalog_load(lake, &c, err, sizeof(err)), 0);
    for (size_t i = 0; c && i < c->ntables; i++) {
        catalog_table *t = &c->tables[i];
        free(t->time_column);
        t->time_column = NULL;
        t->has_time = 0;
        for (size_t p = 0; p < t->npartitions; p++)
            for (size_t j = 0; j < t->partitions[p].nfiles; j++)
                t->partitions[p].files[j].has_time = 0;
    }
    buf j = {0};
    catalog_to_json(c, &j);
    CHECK_EQ_INT(write_file_atomic(lpath("_catalog/catalog.json"), j.data, j.len, err, sizeof(err)),
                 0);
    buf_release(&j);
    catalog_free(c);
    CHECK_EQ_INT(crawl(&st), 0);
    CHECK_EQ_INT(st.files_read, 2 + 25);
    check_daily("few", d1986_12_31, d1987_01_02 + 9 * day);
    check_daily("index_daily", d1986_01_02, d2010_01_08);
    CHECK_EQ_INT(crawl(&st), 0);
    CHECK_EQ_INT(st.files_read, 0);
    CHECK_EQ_INT(st.written, 0);
    teardown();
}

/* The macros' vwap follows the bars' rule (DATA.md): turnover / volume
 * clamped to [low, high]. Every trade at 7.33 with these sizes makes the
 * plain quotient 7.330000000000001 (symbol A) or 7.329999999999999 (B). */
static void test_macros_vwap_within_low_high(void)
{
    setup();
    write_parquet("trades/date=2026-01-01/trades+0+00000000000000000000.parquet",
                  "SELECT symbol, make_timestamp_ns(epoch_ns(DATE '2026-01-01') + i) AS ts, "
                  "7.33::DOUBLE AS price, (1 + (i * 7919) % 500)::BIGINT AS size, i::BIGINT AS id "
                  "FROM (SELECT 'A' AS symbol, i FROM range(7) t(i) UNION ALL "
                  "SELECT 'B', i FROM range(2) t(i)) ORDER BY ALL");
    catalog_crawl_stats st;
    CHECK_EQ_INT(crawl(&st), 0);
    size_t n;
    engine *e = attach(&n);
    CHECK(e != NULL);
    char err[512];
    CHECK_EQ_INT(catalog_define_macros(e, lake, err, sizeof(err)), 0);
    /* The case is real: the plain quotient misses the price. */
    CHECK_EQ_STR(qtext(e, "SELECT symbol, sum(price * size) / sum(size) <> 7.33 FROM trades "
                          "GROUP BY 1 ORDER BY 1"),
                 "A|true\nB|true\n");
    CHECK_EQ_STR(qtext(e, "SELECT symbol, vwap = 7.33, low <= vwap AND vwap <= high "
                          "FROM ohlc(INTERVAL 1 second) ORDER BY 1"),
                 "A|true|true\nB|true|true\n");
    CHECK_EQ_STR(qtext(e, "SELECT symbol, vwap = 7.33 FROM vwap() ORDER BY 1"), "A|true\nB|true\n");
    CHECK_EQ_STR(qtext(e, "SELECT symbol, vwap = 7.33 FROM vwap(every := INTERVAL 1 second) "
                          "ORDER BY 1"),
                 "A|true\nB|true\n");
    engine_close(e);
    teardown();
}

TEST_MAIN(TEST(test_daily_time_range), TEST(test_batched_footers), TEST(test_database),
          TEST(test_schema_evolution), TEST(test_incompatible_types), TEST(test_on_delete),
          TEST(test_text_formats), TEST(test_ddl), TEST(test_crawl_and_attach),
          TEST(test_incremental), TEST(test_type_conflict), TEST(test_bad_file), TEST(test_layouts),
          TEST(test_missing_catalog), TEST(test_lock), TEST(test_parse_errors),
          TEST(test_table_copy), TEST(test_types), TEST(test_macros_vwap_within_low_high))
