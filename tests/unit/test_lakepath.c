/* Unit tests for lakepath.c: dates, partitions and deterministic file names. */
#include "lakepath.h"
#include "testlib.h"
#include "util.h"

static void test_dates(void)
{
    char d[LAKE_DATE_LEN];
    lake_date(0, d);
    CHECK_EQ_STR(d, "1970-01-01");
    lake_date(1764115200LL * NS_PER_SEC - 1, d);
    CHECK_EQ_STR(d, "2025-11-25");
    lake_date(1764115200LL * NS_PER_SEC, d);
    CHECK_EQ_STR(d, "2025-11-26");
    lake_date(-1, d);
    CHECK_EQ_STR(d, "1969-12-31");
    lake_date(951782400LL * NS_PER_SEC, d); /* leap day 2000 */
    CHECK_EQ_STR(d, "2000-02-29");
    int64_t ns;
    CHECK(lake_parse_date("2025-11-26", &ns) == 0 && ns == 1764115200LL * NS_PER_SEC);
    CHECK(lake_parse_date("1986-12-31", &ns) == 0);
    lake_date(ns, d);
    CHECK_EQ_STR(d, "1986-12-31");
    CHECK(lake_parse_date("2023-02-29", &ns) == -1);
    CHECK(lake_parse_date("2024-02-29", &ns) == 0);
    CHECK(lake_parse_date("2024-13-01", &ns) == -1);
    CHECK(lake_parse_date("2024-1-01", &ns) == -1);
    CHECK(lake_parse_date("2024-01-01x", &ns) == -1);
    CHECK_EQ_INT(lake_day_start(1764115200LL * NS_PER_SEC + 5), 1764115200LL * NS_PER_SEC);
    CHECK_EQ_INT(lake_day_start(-1), -86400LL * NS_PER_SEC);
    /* Regressions (found by fuzz_csv): dates outside int64 ns time overflowed. */
    CHECK(lake_parse_date("2263-01-01", &ns) == -1);
    CHECK(lake_parse_date("1677-12-31", &ns) == -1);
    CHECK(lake_parse_date("2261-12-31", &ns) == 0);
    CHECK_EQ_INT(lake_day_start(INT64_MIN), INT64_MIN);
    lake_date(INT64_MIN, d); /* must not overflow */
    CHECK(lake_parse_date("1987-01-01", &ns) == 0);
    int64_t y87 = ns;
    CHECK(lake_parse_date("1987-12-31", &ns) == 0);
    CHECK_EQ_INT(lake_year_start(ns + 3600LL * NS_PER_SEC), y87);
    CHECK_EQ_INT(lake_year_start(y87), y87);
    CHECK_EQ_INT(lake_year_start(y87 - 1) + 365LL * 86400 * NS_PER_SEC, y87);
    CHECK_EQ_INT(lake_year_start(INT64_MIN), INT64_MIN);
    /* Every day of int64 ns time writes a date that parses back to it. */
    int64_t first, last;
    CHECK(lake_parse_date("1678-01-01", &first) == 0 && lake_parse_date("2261-12-31", &last) == 0);
    for (int64_t day = first; day <= last; day += 86400LL * NS_PER_SEC) {
        lake_date(day + 7, d);
        int back = lake_parse_date(d, &ns) == 0 && ns == day;
        CHECK(back);
        if (!back)
            break;
    }
}

static void test_names(void)
{
    char t[64], p[256], f[128], topic[64];
    CHECK(lake_table_for_topic("bars.1s", t, sizeof(t)) == 0);
    CHECK_EQ_STR(t, "bars_1s");
    CHECK(lake_table_for_topic("../x", t, sizeof(t)) == -1);
    CHECK(lake_table_for_topic("", t, sizeof(t)) == -1);
    CHECK(lake_partition_dir("/l", "trades", "2025-11-26", p, sizeof(p)) == 0);
    CHECK_EQ_STR(p, "/l/trades/date=2025-11-26");
    CHECK(lake_file_name("bars.1s", 3, 42, f, sizeof(f)) == 0);
    CHECK_EQ_STR(f, "bars.1s+3+00000000000000000042.parquet");
    int32_t part;
    int64_t off;
    CHECK(lake_parse_file_name(f, topic, sizeof(topic), &part, &off) == 0);
    CHECK_EQ_STR(topic, "bars.1s");
    CHECK_EQ_INT(part, 3);
    CHECK_EQ_INT(off, 42);
    CHECK(lake_parse_file_name("x.parquet", topic, sizeof(topic), &part, &off) == -1);
    CHECK(lake_parse_file_name("a+b+c.parquet", topic, sizeof(topic), &part, &off) == -1);
    CHECK(lake_file_name("t", 0, 0, f, 8) == -1);
}

static void test_compacted(void)
{
    char f[160];
    lake_file_id id;
    CHECK(lake_compacted_name("p.trades", 2, 10, 900, f, sizeof(f)) == 0);
    CHECK_EQ_STR(f, "~p.trades+2+00000000000000000010-00000000000000000900.parquet");
    CHECK(lake_parse_any_name(f, &id) == 0);
    CHECK_EQ_STR(id.topic, "p.trades");
    CHECK_EQ_INT(id.partition, 2);
    CHECK_EQ_INT(id.first, 10);
    CHECK_EQ_INT(id.last, 900);
    CHECK_EQ_INT(id.compacted, 1);
    CHECK(lake_parse_any_name("bars-1s+3+00000000000000000042.parquet", &id) == 0);
    CHECK_EQ_STR(id.topic, "bars-1s");
    CHECK_EQ_INT(id.first, 42);
    CHECK_EQ_INT(id.last, 42);
    CHECK_EQ_INT(id.compacted, 0);
    CHECK(lake_parse_any_name("~t+1+00000000000000000009-00000000000000000008.parquet", &id) == -1);
    CHECK(lake_parse_any_name("~t+1+5.parquet", &id) == -1);
    CHECK(lake_parse_any_name("~-.parquet", &id) == -1);
    CHECK(lake_parse_any_name("~", &id) == -1);
    CHECK(lake_parse_any_name("other.parquet", &id) == -1);
    CHECK(lake_compacted_name("t", 0, 0, 0, f, 20) == -1);

    const char *names[] = {"t+0+00000000000000000000.parquet",
                           "t+0+00000000000000000100.parquet",
                           "t+0+00000000000000000200.parquet",
                           "t+0+00000000000000000300.parquet",
                           "t+1+00000000000000000100.parquet",
                           "u+0+00000000000000000100.parquet",
                           "~t+0+00000000000000000000-00000000000000000200.parquet",
                           "~t+0+00000000000000000000-00000000000000000100.parquet",
                           "x.parquet"};
    size_t n = sizeof(names) / sizeof(names[0]);
    CHECK_EQ_INT(lake_name_covered(names[0], names, n), 1);
    CHECK_EQ_INT(lake_name_covered(names[1], names, n), 1);
    CHECK_EQ_INT(lake_name_covered(names[2], names, n), 1);
    CHECK_EQ_INT(lake_name_covered(names[3], names, n), 0); /* newer than the compaction */
    CHECK_EQ_INT(lake_name_covered(names[4], names, n), 0); /* another partition */
    CHECK_EQ_INT(lake_name_covered(names[5], names, n), 0); /* another topic */
    CHECK_EQ_INT(lake_name_covered(names[6], names, n), 0); /* the widest */
    CHECK_EQ_INT(lake_name_covered(names[7], names, n), 1); /* an earlier compaction */
    CHECK_EQ_INT(lake_name_covered(names[8], names, n), 0);
    /* An embedded broker's runs (sink.h): a merge of one run's files covers
     * none of another's, whose offsets started at 0 again. */
    const char *runs[] = {
        "t~20261204T204330.979Z+0+00000000000000000050.parquet",
        "t~20261204T204334.898Z+0+00000000000000000050.parquet",
        "~t~20261204T204330.979Z+0+00000000000000000000-00000000000000000100.parquet"};
    CHECK(lake_parse_any_name(runs[2], &id) == 0);
    CHECK_EQ_STR(id.topic, "t~20261204T204330.979Z");
    CHECK_EQ_INT(lake_name_covered(runs[0], runs, 3), 1);
    CHECK_EQ_INT(lake_name_covered(runs[1], runs, 3), 0);
}

TEST_MAIN(TEST(test_dates), TEST(test_names), TEST(test_compacted))
