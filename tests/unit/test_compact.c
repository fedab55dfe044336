/* test_compact.c - the merge plan of compact.c (pure); compact_run on a local
 * lake: a table the lake does not have, as `ticklake run` calls it
 * (deferred deletes, no crawl), and under a query session open throughout. */
#include "catalog_crawl.h"
#include "compact.h"
#include "engine.h"
#include "query.h"
#include "testlib.h"

#include <dirent.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static void test_plan(void)
{
    size_t g[8][2];
    /* Groups close once they reach the target; the tail below it is merged too. */
    int64_t a[] = {40, 40, 40, 10, 200, 30, 30};
    size_t n = compact_plan(a, 7, 100, g);
    CHECK_EQ_INT((int64_t)n, 3);
    CHECK_EQ_INT((int64_t)g[2][0], 5);
    CHECK_EQ_INT((int64_t)g[2][1], 7);
    CHECK_EQ_INT((int64_t)g[0][0], 0);
    CHECK_EQ_INT((int64_t)g[0][1], 3); /* 40+40+40 >= 100 */
    CHECK_EQ_INT((int64_t)g[1][0], 3);
    CHECK_EQ_INT((int64_t)g[1][1], 5); /* 10+200 */
    /* A file at the target alone is left alone; the tail of two is merged... */
    int64_t b[] = {150, 30, 30};
    n = compact_plan(b, 3, 100, g);
    CHECK_EQ_INT((int64_t)n, 1);
    CHECK_EQ_INT((int64_t)g[0][0], 1);
    CHECK_EQ_INT((int64_t)g[0][1], 3);
    /* ...merged; a single small file stays. */
    int64_t c[] = {150, 30};
    CHECK_EQ_INT((int64_t)compact_plan(c, 2, 100, g), 0);
    CHECK_EQ_INT((int64_t)compact_plan(c, 0, 100, g), 0);
    int64_t d[] = {1, 1, 1, 1};
    n = compact_plan(d, 4, 100, g);
    CHECK_EQ_INT((int64_t)n, 1);
    CHECK_EQ_INT((int64_t)g[0][1], 4);
}

/* An unknown table is an error that lists the lake's tables, and nothing is
 * created for it (not even the lock file's folder). */
static void test_unknown_table(void)
{
    char lake[] = "/tmp/tl-compact-XXXXXX", path[256], err[512];
    if (!mkdtemp(lake))
        abort();
    snprintf(path, sizeof(path), "%s/trades/date=2026-01-02", lake);
    CHECK_EQ_INT(mkdir_p(path, err, sizeof(err)), 0);
    snprintf(path, sizeof(path), "%s/bars_1s", lake);
    CHECK_EQ_INT(mkdir_p(path, err, sizeof(err)), 0);
    snprintf(path, sizeof(path), "%s/_catalog", lake);
    CHECK_EQ_INT(mkdir_p(path, err, sizeof(err)), 0);
    compact_opts o = {.lake = lake, .table = "nosuch", .grace_ns = 0};
    compact_stats st;
    err[0] = '\0';
    CHECK_EQ_INT(compact_run(&o, &st, err, sizeof(err)), -1);
    CHECK(strstr(err, "no table 'nosuch'") != NULL);
    CHECK(strstr(err, "(tables: bars_1s, trades)") != NULL ||
          strstr(err, "(tables: trades, bars_1s)") != NULL);
    CHECK_EQ_INT(st.partitions, 0);
    snprintf(path, sizeof(path), "%s/nosuch", lake);
    CHECK(access(path, F_OK) != 0);
    /* A table the lake has: its (empty) partition is looked at. */
    o.table = "trades";
    CHECK_EQ_INT(compact_run(&o, &st, err, sizeof(err)), 0);
    CHECK_EQ_INT(st.partitions, 1);
    snprintf(path, sizeof(path), "rm -rf '%s'", lake);
    CHECK_EQ_INT(system(path), 0);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

/* The names in dir that start with prefix, sorted, space-separated. */
static char *names_in(const char *dir, const char *prefix)
{
    static char out[4096];
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (strncmp(ents[i]->d_name, prefix, strlen(prefix)) == 0) {
            if (out[0])
                strcat(out, " ");
            strcat(out, ents[i]->d_name);
        }
        free(ents[i]);
    }
    free(n > 0 ? ents : NULL);
    return out;
}

/* Writes n sink files of 10 trades into dir (offsets 0, 10, ...). */
static void write_files(engine *e, const char *dir, int n)
{
    char err[512];
    CHECK_EQ_INT(mkdir_p(dir, err, sizeof(err)), 0);
    for (int f = 0; f < n; f++) {
        char sql[512];
        snprintf(
            sql, sizeof(sql),
            "COPY (SELECT 'S' AS symbol, make_timestamp_ns(%d * 1000 + i) AS ts, 1.5 AS price, "
            "1::BIGINT AS size, (%d * 10 + i)::BIGINT AS id FROM range(10) t(i)) TO "
            "'%s/trades+0+%020d.parquet' (FORMAT parquet)",
            f, f, dir, f * 10);
        CHECK_EQ_INT(engine_exec(e, sql, err, sizeof(err)), 0);
    }
}

/* defer_deletes: a run leaves its inputs (covered) in place and returns at
 * once; the next run deletes them once their grace has passed. no_crawl:
 * no catalog appears. */
static void test_deferred_deletes(void)
{
    char lake[] = "/tmp/tl-compact-XXXXXX", err[512];
    CHECK(mkdtemp(lake) != NULL);
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/trades/date=2026-03-04", lake);
    engine *e = engine_open(NULL, 1, err, sizeof(err));
    CHECK(e != NULL);
    write_files(e, dir, 4);
    engine_close(e);
    compact_opts o = {.lake = lake,
                      .table = "trades",
                      .grace_ns = 3600 * 1000000000LL,
                      .defer_deletes = 1,
                      .no_crawl = 1,
                      .quiet = 1};
    compact_stats st;
    int64_t t0 = mono_ns();
    CHECK_EQ_INT(compact_run(&o, &st, err, sizeof(err)), 0);
    CHECK(mono_ns() - t0 < 30 * 1000000000LL); /* did not wait out the hour */
    CHECK_EQ_INT(st.files_in, 3);              /* the newest sink file is the sink's */
    CHECK_EQ_INT(st.files_out, 1);
    CHECK_EQ_INT(st.files_removed, 0);
    CHECK_EQ_STR(names_in(dir, "~"), "~trades+0+00000000000000000000-00000000000000000020.parquet");
    CHECK_EQ_STR(names_in(dir, "trades"),
                 "trades+0+00000000000000000000.parquet trades+0+00000000000000000010.parquet "
                 "trades+0+00000000000000000020.parquet trades+0+00000000000000000030.parquet");
    char cat[256];
    snprintf(cat, sizeof(cat), "%s/_catalog", lake);
    CHECK(access(cat, F_OK) != 0);
    /* Within the grace: still there. Past it (grace 0 now): deleted. */
    CHECK_EQ_INT(compact_run(&o, &st, err, sizeof(err)), 0);
    CHECK_EQ_INT(st.files_removed, 0);
    o.grace_ns = 0;
    CHECK_EQ_INT(compact_run(&o, &st, err, sizeof(err)), 0);
    CHECK_EQ_INT(st.files_removed, 3);
    CHECK_EQ_STR(names_in(dir, "trades"), "trades+0+00000000000000000030.parquet");
    CHECK(access(cat, F_OK) != 0);
    nftw(lake, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* count(*) of trades in session s, as text. */
static const char *count_trades(query_session *s)
{
    static char out[64];
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    query_opts qo = {.format = QUERY_OUT_CSV, .out = f};
    query_meta m;
    char err[512];
    int rc = query_session_run(s, "SELECT count(*) AS n FROM trades", &qo, &m, err, sizeof(err));
    fclose(f);
    if (rc != 0)
        fprintf(stderr, "  query: %s\n", err);
    snprintf(out, sizeof(out), "%s", rc == 0 && text ? text : "failed");
    free(text);
    query_meta_release(&m);
    return out;
}

/* A session open before a compaction, and still after its inputs are
 * deleted, counts every row: its partition's view globbed the sink's files
 * at each query, which then matched neither the merged file nor the
 * deleted inputs (30 of 40 rows gone, no error). */
static void test_session_across_compaction(void)
{
    char lake[] = "/tmp/tl-compact-XXXXXX", err[512];
    CHECK(mkdtemp(lake) != NULL);
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/trades/date=2026-03-04", lake);
    engine *e = engine_open(NULL, 1, err, sizeof(err));
    CHECK(e != NULL);
    write_files(e, dir, 4);
    catalog_crawl_stats cs;
    CHECK_EQ_INT(catalog_crawl(e, lake, &cs, err, sizeof(err)), 0);
    engine_close(e);
    query_session *s = query_session_open(lake, 1, err, sizeof(err));
    CHECK(s != NULL);
    CHECK_EQ_STR(count_trades(s), "n\n40\n");
    compact_opts o = {.lake = lake, .table = "trades", .grace_ns = 0, .quiet = 1};
    compact_stats st;
    CHECK_EQ_INT(compact_run(&o, &st, err, sizeof(err)), 0);
    CHECK_EQ_INT(st.files_out, 1);
    CHECK_EQ_INT(st.files_removed, 3);
    CHECK_EQ_STR(count_trades(s), "n\n40\n");
    query_session_close(s);
    nftw(lake, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* An input DuckDB cannot read leaves its group unmerged, counted and
 * logged; the partitions after it are still compacted (one bad file
 * stopped every later partition, run after run). */
static void test_unreadable_input(void)
{
    char lake[] = "/tmp/tl-compact-XXXXXX", err[512];
    CHECK(mkdtemp(lake) != NULL);
    char d1[256], d2[256], bad[320];
    snprintf(d1, sizeof(d1), "%s/trades/date=2026-01-01", lake);
    snprintf(d2, sizeof(d2), "%s/trades/date=2026-01-02", lake);
    engine *e = engine_open(NULL, 1, err, sizeof(err));
    CHECK(e != NULL);
    write_files(e, d1, 4);
    write_files(e, d2, 4);
    engine_close(e);
    snprintf(bad, sizeof(bad), "%s/trades+0+%020d.parquet", d1, 10);
    CHECK_EQ_INT(truncate(bad, 0), 0);
    compact_opts o = {.lake = lake, .table = "trades", .grace_ns = 0, .no_crawl = 1, .quiet = 1};
    compact_stats st;
    CHECK_EQ_INT(compact_run(&o, &st, err, sizeof(err)), 0);
    CHECK_EQ_INT(st.groups_skipped, 1);
    CHECK_EQ_INT(st.files_out, 1);
    CHECK_EQ_INT(st.files_removed, 3);
    CHECK_EQ_STR(names_in(d1, "~"), "");
    CHECK_EQ_STR(names_in(d1, "trades"),
                 "trades+0+00000000000000000000.parquet trades+0+00000000000000000010.parquet "
                 "trades+0+00000000000000000020.parquet trades+0+00000000000000000030.parquet");
    CHECK_EQ_STR(names_in(d2, "~"), "~trades+0+00000000000000000000-00000000000000000020.parquet");
    nftw(lake, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TEST_MAIN(TEST(test_plan), TEST(test_unknown_table), TEST(test_deferred_deletes),
          TEST(test_session_across_compaction), TEST(test_unreadable_input))
