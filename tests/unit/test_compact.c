/* test_compact.c - the merge plan of compact.c (pure), and what compact_run
 * does with a table the lake does not have. */
#include "compact.h"
#include "testlib.h"

#include <stdlib.h>
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

TEST_MAIN(TEST(test_plan), TEST(test_unknown_table))
