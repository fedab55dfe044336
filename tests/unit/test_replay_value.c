/* Unit tests for replay_value.c: null tokens, numbers, dates and their order,
 * timestamps, --from/--to ranges, symbols and file names. */
#include "replay_value.h"
#include "lakepath.h"
#include "testlib.h"
#include "tick.h"
#include "util.h"

#include <stdlib.h>

#define DAY_NS (86400LL * NS_PER_SEC)

/* ---- values ---------------------------------------------------------------- */

static void test_nulls_and_numbers(void)
{
    const char *nulls[] = {"",    " ",   "null", "NULL", "Null", "NaN",  "nan",
                           "N/A", "n/a", "NA",   "None", "-",    "#N/A", " null\t"};
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
        CHECK(replay_is_null(nulls[i], strlen(nulls[i])));
    const char *values[] = {"0", "x", "nullx", "--", "-1", "nil ", "n"};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        CHECK(!replay_is_null(values[i], strlen(values[i])));

    double d;
    CHECK(replay_parse_double("2568.300049", 11, false, &d) == 0 && d == 2568.300049);
    CHECK(replay_parse_double(" -1.5e3 ", 8, false, &d) == 0 && d == -1500);
    CHECK(replay_parse_double("+.5", 3, false, &d) == 0 && d == 0.5);
    CHECK(replay_parse_double("7", 1, false, &d) == 0 && d == 7);
    CHECK(replay_parse_double("1E-2", 4, false, &d) == 0 && d == 0.01);
    CHECK(replay_parse_double("1,5", 3, true, &d) == 0 && d == 1.5);
    const char *bad[] = {"",   "2913.", "1,5", "1,000.5", "inf", "Infinity", "nan", "1e999", "0x10",
                         "1e", "1.2.3", "abc", "--1",     "1 2", ".",        "+",   "1e+",   "€5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (replay_parse_double(bad[i], strlen(bad[i]), false, &d) == 0) {
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
            CHECK(0);
        }
    }
    CHECK(replay_parse_double("1.000,5", 7, true, &d) == -1);
    CHECK(replay_parse_double("1,", 2, true, &d) == -1);
    char longnum[80];
    memset(longnum, '1', 64);
    CHECK(replay_parse_double(longnum, 63, false, &d) == 0);
    CHECK(replay_parse_double(longnum, 64, false, &d) == -1);

    int64_t v;
    CHECK(replay_parse_whole("1495365300.0", 12, &v) == 0 && v == 1495365300);
    CHECK(replay_parse_whole(" 100 ", 5, &v) == 0 && v == 100);
    CHECK(replay_parse_whole("-5", 2, &v) == 0 && v == -5);
    CHECK(replay_parse_whole("9223372036854775807", 19, &v) == 0 && v == INT64_MAX);
    CHECK(replay_parse_whole("-9223372036854775808", 20, &v) == 0 && v == INT64_MIN);
    CHECK(replay_parse_whole("9223372036854775808", 19, &v) == -1);
    CHECK(replay_parse_whole("1.5", 3, &v) == -1);
    CHECK(replay_parse_whole("1.", 2, &v) == -1);
    CHECK(replay_parse_whole("1e3", 3, &v) == -1);
    CHECK(replay_parse_whole("", 0, &v) == -1);
    CHECK(replay_parse_whole("-", 1, &v) == -1);
}

static void test_dates(void)
{
    int64_t ns;
    const replay_date_order A = REPLAY_DATE_AUTO;
    CHECK(replay_parse_date("1986-12-31", 10, A, &ns) == 0 && ns == 536371200LL * NS_PER_SEC);
    CHECK(replay_parse_date("31/12/1986", 10, A, &ns) == 0 && ns == 536371200LL * NS_PER_SEC);
    CHECK(replay_parse_date("2/1/1987", 8, A, &ns) == 0 && ns == 536544000LL * NS_PER_SEC);
    CHECK(replay_parse_date(" 1970-01-01 ", 12, A, &ns) == 0 && ns == 0);
    CHECK(replay_parse_date("1969-12-31", 10, A, &ns) == 0 && ns == -DAY_NS);
    CHECK(replay_parse_date("29/02/2024", 10, A, &ns) == 0);
    CHECK(replay_parse_date("2000-02-29", 10, A, &ns) == 0);
    CHECK(replay_parse_date("2261-12-31", 10, A, &ns) == 0);
    CHECK(replay_parse_date("1678-01-01", 10, A, &ns) == 0);
    CHECK(replay_parse_date("1677-12-31", 10, A, &ns) == -1);
    CHECK(replay_parse_date("2262-01-01", 10, A, &ns) == -1);
    /* A date alone: no time, even at midnight (a --to timestamp is an instant). */
    const char *bad[] = {"31/02/2020",  "29/02/2023",   "1900-02-29", "2024-13-01",
                         "2024-00-10",  "2024-01-32",   "00/01/2024", "13/13/2024",
                         "1/1/2024x",   "123/1/2024",   "2024-01/01", "2024/01-01",
                         "2262-12-31",  "1500-01-01",   "",           "2024-01-01T00:00:00Z",
                         "01-01-024",   "1-1-1",        "2024-1",     "2024-01-01 00:00",
                         "2024",        "20240230",     "202401011",  "01 02 2024",
                         "Foo 2, 2020", "Jan 2020",     "Ja 2, 2020", "2-Janu-2020",
                         "02-Jan/2020", "Jan 123, 2020"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (replay_parse_date(bad[i], strlen(bad[i]), A, &ns) == 0) {
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
            CHECK(0);
        }
    }
    /* One order for --from/--to: --date-format. */
    CHECK(replay_parse_date("02/01/2020", 10, REPLAY_DATE_MDY, &ns) == 0);
    CHECK_EQ_INT(ns, 1580515200LL * NS_PER_SEC); /* 2020-02-01 */
    CHECK(replay_parse_date("02/01/2020", 10, A, &ns) == 0);
    CHECK_EQ_INT(ns, 1577923200LL * NS_PER_SEC);             /* 2020-01-02: day first */
    CHECK(replay_parse_date("12/31/2020", 10, A, &ns) == 0); /* reads one way only */
    CHECK(replay_parse_date("02/01/2020", 10, REPLAY_DATE_YMD, &ns) == -1);

    replay_date_order o;
    CHECK(replay_date_order_parse("mdy", &o) == 0 && o == REPLAY_DATE_MDY);
    CHECK(replay_date_order_parse("dmy", &o) == 0 && o == REPLAY_DATE_DMY);
    CHECK(replay_date_order_parse("ymd", &o) == 0 && o == REPLAY_DATE_YMD);
    CHECK(replay_date_order_parse("auto", &o) == 0 && o == REPLAY_DATE_AUTO);
    CHECK(replay_date_order_parse("DMY", &o) == -1 && replay_date_order_parse("", &o) == -1);
    CHECK_EQ_STR(replay_date_order_name(REPLAY_DATE_MDY), "mdy");
}

/* The date layouts of daily rows: each text, read in an order, gives a day
 * ("" when it is refused) and a kind. */
static void test_day_layouts(void)
{
    const replay_date_order A = REPLAY_DATE_AUTO, D = REPLAY_DATE_DMY, M = REPLAY_DATE_MDY,
                            Y = REPLAY_DATE_YMD;
    const struct {
        const char *in;
        replay_date_order order;
        const char *day;
        replay_day_kind kind;
    } cases[] = {
        /* year first: one reading whatever the order */
        {"2020-01-02", Y, "2020-01-02", REPLAY_DAY_PLAIN},
        {"2020/01/02", M, "2020-01-02", REPLAY_DAY_PLAIN},
        {"2020.1.2", D, "2020-01-02", REPLAY_DAY_PLAIN},
        {"2020-1-2", A, "2020-01-02", REPLAY_DAY_PLAIN},
        {"20200102", A, "2020-01-02", REPLAY_DAY_PLAIN},
        /* with a time: only midnight, in any zone; the day is as written */
        {"2023-01-03 00:00:00-05:00", A, "2023-01-03", REPLAY_DAY_PLAIN},
        {"2023-01-03T00:00:00+08:00", A, "2023-01-03", REPLAY_DAY_PLAIN},
        {"2023-01-03T00:00Z", A, "2023-01-03", REPLAY_DAY_PLAIN},
        {"2023-01-03 00:00:00.000 +0530", A, "2023-01-03", REPLAY_DAY_PLAIN},
        {"1/3/2023 0:00", M, "2023-01-03", REPLAY_DAY_EITHER},
        {"1/3/2023 12:00:00 AM", M, "2023-01-03", REPLAY_DAY_EITHER},
        {"2023-01-03 16:00:00", A, "", REPLAY_DAY_PLAIN},
        {"2023-01-03 00:00:00.5", A, "", REPLAY_DAY_PLAIN},
        {"1/3/2023 12:00 PM", M, "", REPLAY_DAY_EITHER},
        {"2023-01-03 24:00", A, "", REPLAY_DAY_BAD},
        {"2023-01-03 0:00 XM", A, "", REPLAY_DAY_BAD},
        {"2023-01-03 00:00+25:00", A, "", REPLAY_DAY_BAD},
        {"2023-01-03x00:00", A, "", REPLAY_DAY_BAD},
        /* year last, telling its order */
        {"13/01/2020", A, "2020-01-13", REPLAY_DAY_DMY},
        {"13/01/2020", D, "2020-01-13", REPLAY_DAY_DMY},
        {"13/01/2020", M, "", REPLAY_DAY_DMY},
        {"01/13/2020", A, "2020-01-13", REPLAY_DAY_MDY},
        {"01/13/2020", D, "", REPLAY_DAY_MDY},
        {"12/31/1999", M, "1999-12-31", REPLAY_DAY_MDY},
        /* year last, both ways: the order decides; AUTO alone is day first */
        {"02/01/2020", A, "2020-01-02", REPLAY_DAY_EITHER},
        {"02/01/2020", D, "2020-01-02", REPLAY_DAY_EITHER},
        {"02/01/2020", M, "2020-02-01", REPLAY_DAY_EITHER},
        {"02/01/2020", Y, "", REPLAY_DAY_EITHER},
        {"05.05.2020", M, "2020-05-05", REPLAY_DAY_EITHER},
        /* Excel's DD-MM-YY; two-digit years pivot at 68/69 */
        {"02-01-20", D, "2020-01-02", REPLAY_DAY_EITHER},
        {"31-12-68", A, "2068-12-31", REPLAY_DAY_DMY},
        {"01-01-69", A, "1969-01-01", REPLAY_DAY_EITHER},
        {"14-12-09", A, "2009-12-14", REPLAY_DAY_DMY},
        {"1-2-00", M, "2000-01-02", REPLAY_DAY_EITHER},
        /* impossible both ways */
        {"31-02-20", A, "", REPLAY_DAY_BAD},
        {"31/02/2020", D, "", REPLAY_DAY_BAD},
        {"30/02/2020", M, "", REPLAY_DAY_BAD},
        {"29-02-23", A, "", REPLAY_DAY_BAD},
        {"29-02-24", A, "2024-02-29", REPLAY_DAY_DMY},
        {"00-01-20", A, "", REPLAY_DAY_BAD},
        {"13-13-20", A, "", REPLAY_DAY_BAD},
        {"02-01-020", A, "", REPLAY_DAY_BAD},
        {"02/01-2020", A, "", REPLAY_DAY_BAD},
        {"02/01/2020/", A, "", REPLAY_DAY_BAD},
        /* month names, English, any case */
        {"02-Jan-2020", Y, "2020-01-02", REPLAY_DAY_PLAIN},
        {"2-jan-20", M, "2020-01-02", REPLAY_DAY_PLAIN},
        {"2 January 2020", A, "2020-01-02", REPLAY_DAY_PLAIN},
        {"Jan 2, 2020", A, "2020-01-02", REPLAY_DAY_PLAIN},
        {"Sept 30 1999", A, "1999-09-30", REPLAY_DAY_PLAIN},
        {"DECEMBER 31, 2019", A, "2019-12-31", REPLAY_DAY_PLAIN},
        {"Feb 30, 2020", A, "", REPLAY_DAY_BAD},
        {"Jan 2,2020", A, "2020-01-02", REPLAY_DAY_PLAIN},
        {"Jan 2, 20", A, "", REPLAY_DAY_BAD},
        /* calendar range */
        {"31/12/1677", A, "", REPLAY_DAY_BAD},
        {"01/01/2262", A, "", REPLAY_DAY_BAD},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        replay_day d;
        int rc = replay_parse_day(cases[i].in, strlen(cases[i].in), cases[i].order, &d);
        char got[LAKE_DATE_LEN] = "";
        if (rc == 0)
            lake_date(d.ns, got);
        if (strcmp(got, cases[i].day) != 0 || d.kind != cases[i].kind) {
            fprintf(stderr, "  '%s' in %s: got '%s' kind %d, want '%s' kind %d\n", cases[i].in,
                    replay_date_order_name(cases[i].order), got, (int)d.kind, cases[i].day,
                    (int)cases[i].kind);
            CHECK(0);
        }
    }
    replay_day d;
    CHECK(replay_parse_day("2023-01-03 16:00", 16, REPLAY_DATE_AUTO, &d) == -1 &&
          d.time == REPLAY_TIME_OTHER && d.kind == REPLAY_DAY_PLAIN);
    CHECK(replay_parse_day("05/05/2020", 10, REPLAY_DATE_AUTO, &d) == 0 && d.same_either);
    CHECK(replay_parse_day("05/06/2020", 10, REPLAY_DATE_AUTO, &d) == 0 && !d.same_either);
    CHECK(replay_parse_day("05-06-20", 8, REPLAY_DATE_AUTO, &d) == 0 && d.sep == '-' &&
          d.short_year);
}

static void test_timestamps(void)
{
    const int64_t base = 1764167400LL * NS_PER_SEC; /* 2025-11-26T14:30:00Z */
    const struct {
        const char *s;
        replay_ts_unit unit;
        int64_t want;
    } good[] = {
        {"2025-11-26T14:30:00Z", REPLAY_TS_AUTO, base},
        {"2025-11-26t14:30:00z", REPLAY_TS_AUTO, base},
        {"2025-11-26 14:30:00", REPLAY_TS_AUTO, base},
        {"2025-11-26T14:30Z", REPLAY_TS_AUTO, base},
        {"2025-11-26T14:30:00.5Z", REPLAY_TS_AUTO, base + 500000000},
        {"2025-11-26T14:30:00,123456789Z", REPLAY_TS_AUTO, base + 123456789},
        {"2025-11-26T14:30:00.1234567899999Z", REPLAY_TS_AUTO, base + 123456789},
        {"2025-11-26T09:30:00-05:00", REPLAY_TS_AUTO, base},
        {"2025-11-26T20:00:00+0530", REPLAY_TS_AUTO, base},
        {"2025-11-26T15:30:00+01", REPLAY_TS_AUTO, base},
        {"2025-11-26T14:29:60Z", REPLAY_TS_AUTO, base},
        {"1969-12-31T23:59:59Z", REPLAY_TS_AUTO, -NS_PER_SEC},
        {"1764167400", REPLAY_TS_AUTO, base},
        {"1764167400.25", REPLAY_TS_AUTO, base + 250000000},
        {"1764167400123", REPLAY_TS_AUTO, base + 123000000},
        {"1764167400123.5", REPLAY_TS_AUTO, base + 123500000},
        {"1764167400123456", REPLAY_TS_AUTO, base + 123456000},
        {"1764167400123456789", REPLAY_TS_AUTO, base + 123456789},
        {"9000000000", REPLAY_TS_AUTO, 9000000000LL * NS_PER_SEC},
        {"100000000000", REPLAY_TS_AUTO, 100000000000LL * 1000000},
        {"0", REPLAY_TS_AUTO, 0},
        {"-1", REPLAY_TS_AUTO, -NS_PER_SEC},
        {"1764167400", REPLAY_TS_MS, 1764167400LL * 1000000},
        {"1764167400", REPLAY_TS_US, 1764167400LL * 1000},
        {"1764167400", REPLAY_TS_NS, 1764167400LL},
        {"1764167400.9", REPLAY_TS_NS, 1764167400LL},
        {"1764167400", REPLAY_TS_S, base},
        {"1678-01-01T00:00:00Z", REPLAY_TS_AUTO, -9214560000LL * NS_PER_SEC},
        {"2261-12-31T23:59:59.999999999Z", REPLAY_TS_AUTO, 9214646400LL * NS_PER_SEC - 1},
        {"-9214560000", REPLAY_TS_AUTO, -9214560000LL * NS_PER_SEC},
        {"1677-12-31T23:59:59.5-01:00", REPLAY_TS_AUTO,
         -9214560000LL * NS_PER_SEC + 3599500000000LL},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        int64_t ns = 0;
        int rc = replay_parse_ts(good[i].s, strlen(good[i].s), good[i].unit, &ns);
        if (rc != 0 || ns != good[i].want) {
            fprintf(stderr, "  '%s': rc %d, %lld != %lld\n", good[i].s, rc, (long long)ns,
                    (long long)good[i].want);
            CHECK(0);
        }
    }
    const char *bad[] = {"2025-11-31T14:30:00Z",
                         "2025-11-26T24:00:00Z",
                         "2025-11-26T14:60:00Z",
                         "2025-11-26T14:30:61Z",
                         "2025-11-26T14:30:00.Z",
                         "2025-11-26T14:30:00+2400",
                         "2025-11-26T14:30:00+05:",
                         "2025-11-26T14:30:00 Z",
                         "2025-11-26",
                         "2025-11-26T14",
                         "2025-11-26X14:30:00",
                         "1764167400.",
                         "17e8",
                         "",
                         "abc",
                         "9223372036854775808",
                         "2262-04-12T00:00:00Z",
                         "1677-09-21T00:00:00Z",
                         "9999999999999999999",
                         "+",
                         "1.5.5",
                         "99999999999" /* seconds by magnitude: past 2262 */,
                         "9223372036854775807",
                         "1677-12-31T23:59:59.999999999Z",
                         "2262-01-01T00:00:00Z",
                         "-9223372036854775807"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ns;
        if (replay_parse_ts(bad[i], strlen(bad[i]), REPLAY_TS_AUTO, &ns) == 0) {
            fprintf(stderr, "  accepted '%s' as %lld\n", bad[i], (long long)ns);
            CHECK(0);
        }
    }
    int64_t ns;
    CHECK(replay_parse_ts("9223372036854775807", 19, REPLAY_TS_S, &ns) == -1);
    replay_ts_unit u;
    CHECK(replay_ts_unit_parse("ms", &u) == 0 && u == REPLAY_TS_MS);
    CHECK(replay_ts_unit_parse("auto", &u) == 0 && u == REPLAY_TS_AUTO);
    CHECK(replay_ts_unit_parse("sec", &u) == -1);
}

static void test_range(void)
{
    replay_range r;
    char err[256];
    replay_range_all(&r);
    CHECK(replay_range_contains(&r, INT64_MIN) && replay_range_contains(&r, INT64_MAX - 1));
    CHECK(replay_range_parse(&r, "2010-01-07", "08/01/2010", REPLAY_DATE_DMY, err, sizeof(err)) ==
          0);
    int64_t d7;
    replay_parse_date("2010-01-07", 10, REPLAY_DATE_AUTO, &d7);
    CHECK(!replay_range_contains(&r, d7 - 1));
    CHECK(replay_range_contains(&r, d7));
    CHECK(replay_range_contains(&r, d7 + 2 * DAY_NS - 1)); /* the whole --to day */
    CHECK(!replay_range_contains(&r, d7 + 2 * DAY_NS));
    CHECK(replay_range_parse(&r, "2025-11-26T14:30:00Z", "2025-11-26T14:30:01Z", REPLAY_DATE_AUTO,
                             err, sizeof(err)) == 0);
    CHECK(replay_range_contains(&r, 1764167401LL * NS_PER_SEC)); /* --to instant included */
    CHECK(!replay_range_contains(&r, 1764167401LL * NS_PER_SEC + 1));
    CHECK(replay_range_parse(&r, NULL, "1987-01-01", REPLAY_DATE_AUTO, err, sizeof(err)) == 0);
    CHECK(r.from_ns == INT64_MIN && replay_range_contains(&r, 0));
    CHECK(replay_range_parse(&r, "2010-01-08", "2010-01-07", REPLAY_DATE_AUTO, err, sizeof(err)) ==
          -1);
    CHECK_EQ_STR(err, "--from '2010-01-08' is after --to '2010-01-07'");
    CHECK(replay_range_parse(&r, "2010-13-01", NULL, REPLAY_DATE_AUTO, err, sizeof(err)) == -1);
    CHECK_EQ_STR(err, "bad --from '2010-13-01': expected a date (YYYY-MM-DD, DD/MM/YYYY, ...) or a "
                      "timestamp");
    CHECK(replay_range_parse(&r, NULL, "yesterday", REPLAY_DATE_AUTO, err, sizeof(err)) == -1);
    CHECK(replay_range_contains(&r, 0)); /* r unchanged by the failures */
    /* --date-format orders a year-last bound: 01/02/2010 is 1 February or 2 January. */
    CHECK(replay_range_parse(&r, "01/02/2010", NULL, REPLAY_DATE_MDY, err, sizeof(err)) == 0);
    CHECK_EQ_INT(r.from_ns, d7 - 5 * DAY_NS);
    CHECK(replay_range_parse(&r, "01/02/2010", NULL, REPLAY_DATE_DMY, err, sizeof(err)) == 0);
    CHECK_EQ_INT(r.from_ns, d7 + 25 * DAY_NS);
    /* Under auto such a bound is refused: the files' rows decide their order
     * and are not read yet, and 01/03/2020 read day first against a month-first
     * file (or each bound read its own way) filtered by other days. */
    CHECK(replay_range_parse(&r, "01/03/2020", "01/13/2020", REPLAY_DATE_AUTO, err, sizeof(err)) ==
          -1);
    CHECK_EQ_STR(err, "--from '01/03/2020' reads day first or month first: give --date-format dmy "
                      "or mdy, or the date as YYYY-MM-DD");
    CHECK(replay_range_parse(&r, NULL, "02/03/20", REPLAY_DATE_AUTO, err, sizeof(err)) == -1);
    CHECK_EQ_STR(err, "--to '02/03/20' reads day first or month first: give --date-format dmy or "
                      "mdy, or the date as YYYY-MM-DD");
    /* One reading only (13/01, 01/13), or the same day both ways: taken. */
    CHECK(replay_range_parse(&r, "01/13/2020", "13/01/2020", REPLAY_DATE_AUTO, err, sizeof(err)) ==
          0);
    int64_t jan13;
    replay_parse_date("2020-01-13", 10, REPLAY_DATE_AUTO, &jan13);
    CHECK(r.from_ns == jan13 && r.to_ns == jan13 + DAY_NS);
    CHECK(replay_range_parse(&r, "05/05/2020", NULL, REPLAY_DATE_AUTO, err, sizeof(err)) == 0);
    CHECK(replay_range_parse(&r, "01/03/2020", "01/13/2020", REPLAY_DATE_MDY, err, sizeof(err)) ==
          0);
    CHECK_EQ_INT(r.to_ns - r.from_ns, 11 * DAY_NS);
}

static void test_symbol_from_name(void)
{
    const char *good[][2] = {{"^GSPC.csv", "^GSPC"},
                             {"data/AAPL.csv", "AAPL"},
                             {"/a/b.c/BRK-B.CSV", "BRK-B"},
                             {"0700.HK.csv", "0700.HK"},
                             {"EURUSD=X.tsv", "EURUSD=X"},
                             {"M&M.NS.txt", "M&M.NS"},
                             {"spy", "spy"},
                             {"BTC-USD.json", "BTC-USD.json"},
                             {"$SPX.csv", "$SPX"},
                             {"A_B.csv", "A_B"}};
    char sym[TICK_SYMBOL_MAX];
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        CHECK(replay_symbol_from_name(good[i][0], sym) == 0);
        CHECK_EQ_STR(sym, good[i][1]);
    }
    const char *bad[] = {
        "-",    "AAPL (1).csv",    "my data.csv", ".csv",
        "dir/", "caf\xC3\xA9.csv", "a,b.csv",     "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345.csv",
        ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (replay_symbol_from_name(bad[i], sym) == 0) {
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
            CHECK(0);
        }
    }
    CHECK(replay_symbol_from_name("ABCDEFGHIJKLMNOPQRSTUVWXYZ01234.csv", sym) == 0); /* 31 */
    CHECK(replay_symbol_ok("^HSI") && replay_symbol_ok("BRK B") && replay_symbol_ok("\xC3\xA9"));
    CHECK(!replay_symbol_ok("") && !replay_symbol_ok("a\tb") && !replay_symbol_ok("\xC3") &&
          !replay_symbol_ok("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"));
}

TEST_MAIN(TEST(test_nulls_and_numbers), TEST(test_dates), TEST(test_day_layouts),
          TEST(test_timestamps), TEST(test_range), TEST(test_symbol_from_name))
