/* Unit tests for replay.c, the row reader: index daily rows (the real HSI
 * sample and a messy file with every case), generic trades with --map, header
 * errors, single-instrument files, the order of year-last dates and re-saved
 * byte-order marks. The values have test_replay_value.c, the index info table
 * test_index_info.c, the JSON codec test_index_daily.c. */
#include "replay.h"
#include "testlib.h"
#include "util.h"
#include "index_info_fixture.h"

#include <stdlib.h>

#define DAY_NS (86400LL * NS_PER_SEC)

/* Everything a reader yields: "ROW <line>", "SKIP <reason>", "BAD <reason>",
 * "FATAL <reason>", one per line; good rows also go to rows[] (up to max). */
typedef struct run_result {
    buf log;
    replay_row rows[64];
    size_t nrows;
    replay_stats st;
    int64_t next_id;
} run_result;

static void drain(replay_reader *rr, run_result *res)
{
    replay_row row;
    char reason[512];
    replay_status s;
    while ((s = replay_next(rr, &row, reason, sizeof(reason))) != REPLAY_EOF) {
        if (s == REPLAY_ROW) {
            buf_printf(&res->log, "ROW %lld\n", (long long)row.line);
            if (res->nrows < 64)
                res->rows[res->nrows++] = row;
        } else {
            buf_printf(&res->log, "%s %s\n",
                       s == REPLAY_SKIP  ? "SKIP"
                       : s == REPLAY_BAD ? "BAD"
                                         : "FATAL",
                       reason);
            if (s == REPLAY_FATAL)
                break;
        }
    }
    res->st = *replay_reader_stats(rr);
    res->next_id = replay_reader_next_id(rr);
}

/* Runs data through a buffer reader and through a FILE* reader and checks that
 * both give the same log. Returns 0, or -1 with the open error in err. */
static int run(const char *name, const char *data, const replay_options *opt, run_result *res,
               char *err, size_t err_size)
{
    memset(res, 0, sizeof(*res));
    size_t len = strlen(data);
    replay_reader *rr = replay_open_buffer(name, data, len, opt, err, err_size);
    if (!rr)
        return -1;
    drain(rr, res);
    replay_close(rr);
    FILE *f = fmemopen((void *)data, len, "rb");
    CHECK(f != NULL);
    if (f) {
        char err2[512];
        run_result *r2 = calloc(1, sizeof(*r2));
        rr = replay_open_file(name, f, opt, err2, sizeof(err2));
        CHECK(rr != NULL);
        if (rr) {
            drain(rr, r2);
            replay_close(rr);
            if (!r2->log.data)
                buf_puts(&r2->log, "");
            if (!res->log.data)
                buf_puts(&res->log, "");
            CHECK_EQ_STR(r2->log.data, res->log.data);
            CHECK(memcmp(&r2->st, &res->st, sizeof(res->st)) == 0);
        }
        buf_release(&r2->log);
        free(r2);
        fclose(f);
    }
    if (!res->log.data)
        buf_puts(&res->log, "");
    return 0;
}

/* ---- index daily -------------------------------------------------------------- */

/* Finds the HSI sample: tests/data, $TICKLAKE_SAMPLE_DIR, the shared data set. */
static FILE *open_sample(const char *file)
{
    const char *dirs[] = {"tests/data", getenv("TICKLAKE_SAMPLE_DIR"), "/work/shared/data"};
    for (size_t i = 0; i < 3; i++) {
        if (!dirs[i])
            continue;
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dirs[i], file);
        FILE *f = fopen(path, "rb");
        if (f)
            return f;
    }
    return NULL;
}

static void test_hsi_sample(void)
{
    FILE *f = open_sample("indexProcessed-HSI.csv");
    if (!f) {
        printf("  skip: indexProcessed-HSI.csv not found (set TICKLAKE_SAMPLE_DIR)\n");
        return;
    }
    index_info info = load_info();
    replay_options o = {.info = &info};
    char err[512];
    replay_reader *rr = replay_open_file("indexProcessed-HSI.csv", f, &o, err, sizeof(err));
    CHECK(rr != NULL);
    if (!rr) {
        fclose(f);
        index_info_release(&info);
        return;
    }
    CHECK(replay_reader_format(rr) == REPLAY_FMT_INDEX_DAILY);
    replay_row row, first = {0}, last = {0};
    replay_status s;
    int64_t prev = INT64_MIN, zero_volume = 0, bad_enrich = 0, not_increasing = 0;
    buf problems = {0};
    while ((s = replay_next(rr, &row, err, sizeof(err))) != REPLAY_EOF) {
        if (s != REPLAY_ROW) {
            buf_printf(&problems, "%d %s\n", (int)s, err);
            continue;
        }
        const index_daily *d = &row.daily;
        if (prev == INT64_MIN)
            first = row;
        last = row;
        not_increasing += d->date_ns <= prev;
        prev = d->date_ns;
        zero_volume += d->has_volume && d->volume == 0;
        bad_enrich += strcmp(d->index, "HSI") != 0 || strcmp(d->region, "Hong Kong") != 0 ||
                      strcmp(d->exchange, "Hong Kong Stock Exchange") != 0 ||
                      strcmp(d->currency, "HKD") != 0 || !d->has_adj_close || !d->has_volume ||
                      !d->has_close_usd;
    }
    const replay_stats *st = replay_reader_stats(rr);
    /* 5,693 data rows: 5,692 end with a line break; the last one does not and
     * is cut inside its CloseUSD ("2913." where 22411.51953 HKD is ~2913.50 USD). */
    CHECK_EQ_INT(st->records, 5693);
    CHECK_EQ_INT(st->rows, 5692);
    CHECK_EQ_INT(st->bad, 1);
    CHECK_EQ_INT(st->skipped + st->blank + st->filtered + st->unenriched, 0);
    CHECK_EQ_STR(problems.data, "2 indexProcessed-HSI.csv:5694: bad CloseUSD '2913.' (the last "
                                "line has no line break: file cut short?)\n");
    CHECK_EQ_INT(bad_enrich, 0);
    CHECK_EQ_INT(not_increasing, 0);
    CHECK_EQ_INT(zero_volume, 3600);
    CHECK_EQ_INT(first.line, 2);
    CHECK_EQ_STR(first.daily.date, "1986-12-31");
    CHECK(first.daily.open == 2568.300049 && first.daily.close_usd == 333.87900637);
    CHECK_EQ_INT(last.line, 5693);
    CHECK_EQ_STR(last.daily.date, "2010-01-08");
    CHECK(last.daily.open == 22282.75 && last.daily.high == 22443.2207 &&
          last.daily.low == 22206.16016 && last.daily.close == 22296.75 &&
          last.daily.adj_close == 22296.75 && last.daily.volume == 1626022600 &&
          last.daily.close_usd == 2898.5775);
    buf b = {0};
    index_daily_encode_json(&first.daily, &b);
    CHECK_EQ_STR(b.data, "{\"index\":\"HSI\",\"date\":\"1986-12-31\",\"ts\":536371200000000000,"
                         "\"open\":2568.300049,\"high\":2568.300049,\"low\":2568.300049,"
                         "\"close\":2568.300049,\"adj_close\":2568.300049,\"volume\":0,"
                         "\"close_usd\":333.87900637,\"region\":\"Hong Kong\",\"exchange\":"
                         "\"Hong Kong Stock Exchange\",\"currency\":\"HKD\"}");
    buf_release(&b);
    buf_release(&problems);
    replay_close(rr);
    fclose(f);
    index_info_release(&info);
}

/* Every messy case in one file; each line's expected outcome is beside it. */
static const char MESSY[] =
    "\xEF\xBB\xBFIndex,Date,Open,High,Low,Close,Adj Close,Volume,CloseUSD\n" /* 1 header, BOM */
    "HSI,1986-12-31,2568.3,2568.3,2568.3,2568.3,2568.3,0.0,333.879\n"        /* 2 row */
    "\n"                                                                     /* 3 blank */
    ",,,,,,,,\n"                                                             /* 4 blank */
    "HSI,1987-01-01,null,null,null,null,null,null,null\n"                    /* 5 no prices */
    "HSI,1987-01-02,,,,,,,\n"                                                /* 6 no prices */
    "HSI, 02/01/1987 , 2540.1 ,2541,2539,2540.5,2540.5,,330.2\n"             /* 7 row, vol NULL */
    "HSI,1987-01-05,NaN,NULL,-,N/A,,,\n"                                     /* 8 no prices */
    "HSI,31/02/1987,1,1,1,1,1,0,1\n"                                         /* 9 bad date */
    "HSI,1987-02-29,1,1,1,1,1,0,1\n"                                         /* 10 bad date */
    "HSI,1988-02-29,1,2,1,1,,0,1\n"                                          /* 11 row, adj NULL */
    ",1988-03-01,1,1,1,1,1,0,1\n"                                            /* 12 no index */
    "HSI,,1,1,1,1,1,0,1\n"                                                   /* 13 no date */
    "HSI,1988-03-02,abc,1,1,1,1,0,1\n"                                       /* 14 */
    "HSI,1988-03-03,1,1,1,inf,1,0,1\n"                                       /* 15 */
    "HSI,1988-03-04,,2,1,1.5,1.5,100,\n"                                     /* 16 */
    "HSI,1988-03-07,1,2,1,1.5,1.5,1.5,\n"                                    /* 17 */
    "HSI,1988-03-08,1,1,2,1.5,1.5,10,\n"                                     /* 18 */
    "HSI,1988-03-09,0,1,1,1,1,0,1\n"                                         /* 19 */
    "HSI,1988-03-10,1,1,1,1,1,-5,1\n"                                        /* 20 */
    "\"HSI\",\"1988-03-11\",\"1,000.5\",1,1,1,1,0,1\n"                       /* 21 */
    "HSI,1988-03-14,1,1,1,1\n"                                               /* 22 */
    "HSI,1988-03-15,1,1,1,1,1,0,1,extra\n"                                   /* 23 */
    "HSI,1988-03-16,1,1,1,1,1,0,1,,\n"                                       /* 24 row */
    "HSI,1988-03-17,\"1\"x,1,1,1,1,0,1\n"                                    /* 25 */
    "Index,Date,Open,High,Low,Close,Adj Close,Volume,CloseUSD\n"             /* 26 */
    "HSI,1988-03-18,\"1.5\",\"2.5\",\"1.0\",\"2.0\",\"2.0\",\"1000\",\"\"\n" /* 27 row */
    "\"HSI\n"                                                                /* 28 */
    "X\",1988-03-21,1,1,1,1,1,0,1\n"                                         /* 29 */
    "NYA,1988-03-22,1,1,1,1,1,0,1\n"                                         /* 30 row */
    "ZZZ,1988-03-23,1,1,1,1,1,0,1\n"                                         /* 31 row */
    "HSI,1988-03-25,1,1,1,1,1,0,\"unterminated\n"                            /* 32 */
    "HSI,1988-03-28,1,1,1,1,1,0,1\n"                                         /* 33 row */
    "null,null,null,NULL,nan,,-,N/A,\n"                                      /* 34 blank */
    "HSI,1988-03-29,1,1,1,1,1,0,2913.";                                      /* 35 cut */

static const char MESSY_LOG[] =
    "ROW 2\n"
    "SKIP m.csv:5: no prices\n"
    "SKIP m.csv:6: no prices\n"
    "ROW 7\n"
    "SKIP m.csv:8: no prices\n"
    "BAD m.csv:9: bad Date '31/02/1987'\n"
    "BAD m.csv:10: bad Date '1987-02-29'\n"
    "ROW 11\n"
    "BAD m.csv:12: missing Index\n"
    "BAD m.csv:13: missing Date\n"
    "BAD m.csv:14: bad Open 'abc'\n"
    "BAD m.csv:15: bad Close 'inf'\n"
    "BAD m.csv:16: missing Open\n"
    "BAD m.csv:17: bad Volume '1.5' (not a whole number)\n"
    "BAD m.csv:18: High '1' is below Low '2'\n"
    "BAD m.csv:19: bad Open '0' (not > 0)\n"
    "BAD m.csv:20: bad Volume '-5' (not >= 0)\n"
    "BAD m.csv:21: bad Open '1,000.5'\n"
    "BAD m.csv:22: expected 9 fields, found 6\n"
    "BAD m.csv:23: expected 9 fields, found 10\n"
    "ROW 24\n"
    "BAD m.csv:25: text after the closing quote of field 3\n"
    "SKIP m.csv:26: repeated header\n"
    "ROW 27\n"
    "BAD m.csv:28-29: bad Index 'HSI\\x0AX' (not printable UTF-8) (one record: a quoted "
    "field spans lines 28 to 29; a stray quote?)\n"
    "ROW 30\n"
    "ROW 31\n"
    "BAD m.csv:32: quoted field 9 is never closed\n"
    "ROW 33\n"
    "BAD m.csv:35: bad CloseUSD '2913.' (the last line has no line break: file cut short?)\n";

static void test_messy_index(void)
{
    index_info info = load_info();
    replay_options o = {.info = &info};
    run_result *res = calloc(1, sizeof(*res));
    char err[256];
    CHECK(run("m.csv", MESSY, &o, res, err, sizeof(err)) == 0);
    CHECK_EQ_STR(res->log.data, MESSY_LOG);
    CHECK_EQ_INT(res->st.records, 33);
    CHECK_EQ_INT(res->st.rows, 8);
    CHECK_EQ_INT(res->st.skipped, 4);
    CHECK_EQ_INT(res->st.bad, 18);
    CHECK_EQ_INT(res->st.blank, 3);
    CHECK_EQ_INT(res->st.filtered, 0);
    CHECK_EQ_INT(res->st.unenriched, 1);
    CHECK_EQ_INT(res->nrows, 8);
    if (res->nrows == 8) {
        const index_daily *d = &res->rows[1].daily; /* line 7 */
        CHECK_EQ_STR(d->date, "1987-01-02");
        CHECK(d->open == 2540.1 && d->high == 2541 && d->low == 2539 && d->close == 2540.5);
        CHECK(!d->has_volume && d->has_adj_close && d->has_close_usd && d->close_usd == 330.2);
        CHECK_EQ_STR(d->currency, "HKD");
        d = &res->rows[2].daily; /* line 11 */
        CHECK(!d->has_adj_close && d->has_volume && d->volume == 0);
        d = &res->rows[4].daily; /* line 27: quoted values, CloseUSD "" */
        CHECK(d->open == 1.5 && d->volume == 1000 && !d->has_close_usd);
        d = &res->rows[5].daily; /* line 30 */
        CHECK_EQ_STR(d->index, "NYA");
        CHECK_EQ_STR(d->exchange, "New York Stock Exchange");
        CHECK_EQ_STR(d->currency, "USD");
        d = &res->rows[6].daily; /* line 31: not in the info table */
        CHECK_EQ_STR(d->index, "ZZZ");
        CHECK(d->region[0] == '\0' && d->exchange[0] == '\0' && d->currency[0] == '\0');
        /* NULLs in the JSON record. */
        buf b = {0};
        index_daily_encode_json(&res->rows[1].daily, &b);
        CHECK(strstr(b.data, "\"volume\":null") != NULL);
        buf_reset(&b);
        index_daily_encode_json(d, &b);
        CHECK(strstr(b.data, "region") == NULL);
        buf_release(&b);
    }

    /* --strict: the caller stops at the first BAD, on line 9. */
    replay_reader *rr = replay_open_buffer("m.csv", MESSY, strlen(MESSY), &o, err, sizeof(err));
    replay_row row;
    replay_status s;
    int good = 0;
    while ((s = replay_next(rr, &row, err, sizeof(err))) == REPLAY_ROW || s == REPLAY_SKIP)
        good += s == REPLAY_ROW;
    CHECK(s == REPLAY_BAD && row.line == 9 && good == 2);
    CHECK_EQ_STR(err, "m.csv:9: bad Date '31/02/1987'");
    replay_close(rr);

    /* --from/--to: rows outside are counted, not reported, even when bad. */
    replay_range range;
    CHECK(replay_range_parse(&range, "1988-03-16", "1988-03-23", REPLAY_DATE_AUTO, err,
                             sizeof(err)) == 0);
    o.range = &range;
    buf_release(&res->log);
    CHECK(run("m.csv", MESSY, &o, res, err, sizeof(err)) == 0);
    CHECK_EQ_STR(
        res->log.data,
        "BAD m.csv:9: bad Date '31/02/1987'\n"
        "BAD m.csv:10: bad Date '1987-02-29'\n"
        "BAD m.csv:13: missing Date\n"
        "BAD m.csv:22: expected 9 fields, found 6\n"
        "BAD m.csv:23: expected 9 fields, found 10\n"
        "ROW 24\n"
        "BAD m.csv:25: text after the closing quote of field 3\n"
        "SKIP m.csv:26: repeated header\n"
        "ROW 27\n"
        "BAD m.csv:28-29: bad Index 'HSI\\x0AX' (not printable UTF-8) (one record: a quoted "
        "field spans lines 28 to 29; a stray quote?)\n"
        "ROW 30\n"
        "ROW 31\n"
        "BAD m.csv:32: quoted field 9 is never closed\n");
    CHECK_EQ_INT(res->st.filtered, 17);
    buf_release(&res->log);
    free(res);
    index_info_release(&info);
}

static void test_variants(void)
{
    index_info info = load_info();
    replay_options o = {.info = &info};
    run_result *res = calloc(1, sizeof(*res));
    char err[256];
    /* Tab-separated with BOM and CRLF; index daily without CloseUSD (indexData.csv). */
    const char *tsv = "\xEF\xBB\xBFIndex\tDate\tOpen\tHigh\tLow\tClose\tAdj Close\tVolume\r\n"
                      "N225\t1965-01-05\t1257.719971\t1257.719971\t1257.719971\t1257.719971\t"
                      "1257.719971\t0.0\r\n"
                      "N225\t1965-01-06\tnull\tnull\tnull\tnull\tnull\tnull\r\n"
                      "N225\t\"07/01/1965\"\t1,5\t2\t1\t1\t1\t0\r\n";
    CHECK(run("n.tsv", tsv, &o, res, err, sizeof(err)) == 0);
    CHECK_EQ_STR(res->log.data, "ROW 2\nSKIP n.tsv:3: no prices\nBAD n.tsv:4: bad Open '1,5'\n");
    CHECK(res->nrows == 1 && !res->rows[0].daily.has_close_usd &&
          strcmp(res->rows[0].daily.currency, "JPY") == 0 &&
          res->rows[0].daily.date_ns == -157420800LL * NS_PER_SEC);
    buf_release(&res->log);
    /* Semicolons (European Excel): ',' is the decimal point there. */
    const char *semi = "index;date;open;high;low;close;adj_close;volume;close_usd\n"
                       "GDAXI;07/01/2010;5957,43;5992,1;5920,05;5956,01;5956,01;0;8533,1\n"
                       "GDAXI;08/01/2010;5957.43;5992.1;5920.05;5956.01;5956.01;0;1.000,5\n"
                       "GDAXI;11/01/2010;5957.43;5992.1;5920.05;5956.01;5956.01;0;8533.1\n";
    CHECK(run("g.csv", semi, &o, res, err, sizeof(err)) == 0);
    CHECK_EQ_STR(res->log.data, "ROW 2\nBAD g.csv:3: bad close_usd '1.000,5'\nROW 4\n");
    CHECK(res->nrows == 2 && res->rows[0].daily.open == 5957.43 &&
          res->rows[0].daily.close_usd == 8533.1 && res->rows[1].daily.high == 5992.1);
    CHECK_EQ_STR(res->rows[0].daily.exchange, "Frankfurt Stock Exchange");
    buf_release(&res->log);
    /* Columns in another order, quoted header, an unknown extra column, no info table. */
    const char *cols = "\"Close\",Note,Date,Index,Low,High,Open\n"
                       "10,\"a, \"\"quoted\"\"\nnote\",2024-02-29,SSMI,9,11,10\n";
    CHECK(run("c.csv", cols, NULL, res, err, sizeof(err)) == 0);
    CHECK_EQ_STR(res->log.data, "ROW 2\n");
    CHECK(res->nrows == 1 && res->rows[0].daily.high == 11 && !res->rows[0].daily.has_volume &&
          !res->rows[0].daily.has_adj_close && res->rows[0].daily.region[0] == '\0');
    CHECK_EQ_INT(res->st.unenriched, 0);
    buf_release(&res->log);
    /* Leading blank lines before the header; a header only. */
    CHECK(run("h.csv", "\n\r\nIndex,Date,Open,High,Low,Close\n", NULL, res, err, sizeof(err)) == 0);
    CHECK_EQ_STR(res->log.data, "");
    CHECK_EQ_INT(res->st.records, 0);
    buf_release(&res->log);
    free(res);
    index_info_release(&info);
}

/* ---- trades -------------------------------------------------------------------- */

static const char TRADES[] = "Ticker,Time,Last,Qty,Venue\r\n"
                             "AAPL,2025-11-26T14:30:00Z,189.5,100,XNAS\r\n"
                             "AAPL,2025-11-26T14:30:00.123456789Z,189.51,200,\r\n"
                             "MSFT,2025-11-26 09:30:00.5-05:00,400.25,50,XNYS\r\n"
                             "MSFT,1764167400,400,1,null\r\n"
                             "MSFT,1764167400123,400,1,\r\n"
                             "MSFT,1764167400123456,400,1,\r\n"
                             "MSFT,1764167400123456789,400,1,\r\n"
                             "MSFT,1764167400.25,400,1.0,\r\n"
                             ",2025-11-26T14:30:00Z,1,1,\r\n"
                             "AAPL,2025-11-31T14:30:00Z,1,1,\r\n"
                             "AAPL,2025-11-26T14:30:00Z,-1,1,\r\n"
                             "AAPL,2025-11-26T14:30:00Z,1,0,\r\n"
                             "AAPL,2025-11-26T14:30:00Z,1,1.5,\r\n"
                             "AAPL,2025-11-26T14:30:00Z,1,1,VERYLONGVENUENAME\r\n"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456,2025-11-26T14:30:00Z,1,1,\r\n"
                             "AAPL,,1,1,\r\n"
                             "AAPL,2025-11-26T14:30:00Z,NaN,1,\r\n"
                             "AAPL,2025-11-26T14:30:00Z,1,,\r\n"
                             "\"BRK B\",2025-11-26T15:30:00+01:00,500.5,10,\r\n"
                             ",,,,\r\n";

static void test_trades(void)
{
    csv_map map = {0};
    char err[256];
    CHECK(csv_map_parse(&map, "symbol=Ticker,price=Last", err, sizeof(err)) == 0);
    replay_options o = {.map = &map, .first_id = 100};
    run_result *res = calloc(1, sizeof(*res));
    CHECK(run("t.csv", TRADES, &o, res, err, sizeof(err)) == 0);
    CHECK_EQ_STR(res->log.data,
                 "ROW 2\nROW 3\nROW 4\nROW 5\nROW 6\nROW 7\nROW 8\nROW 9\n"
                 "BAD t.csv:10: missing Ticker\n"
                 "BAD t.csv:11: bad Time '2025-11-31T14:30:00Z'\n"
                 "BAD t.csv:12: bad Last '-1' (not > 0)\n"
                 "BAD t.csv:13: bad Qty '0' (not >= 1)\n"
                 "BAD t.csv:14: bad Qty '1.5' (not a whole number)\n"
                 "BAD t.csv:15: bad Venue 'VERYLONGVENUENAME' (longer than 15 bytes)\n"
                 "BAD t.csv:16: bad Ticker 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456' (longer than 31 "
                 "bytes)\n"
                 "BAD t.csv:17: missing Time\n"
                 "BAD t.csv:18: missing Last\n"
                 "BAD t.csv:19: missing Qty\n"
                 "ROW 20\n");
    CHECK_EQ_INT(res->st.rows, 9);
    CHECK_EQ_INT(res->st.bad, 10);
    CHECK_EQ_INT(res->st.blank, 1);
    CHECK_EQ_INT(res->next_id, 109);
    const int64_t base = 1764167400LL * NS_PER_SEC;
    const int64_t want_ts[] = {base,
                               base + 123456789,
                               base + 500000000,
                               base,
                               base + 123000000,
                               base + 123456000,
                               base + 123456789,
                               base + 250000000,
                               base};
    for (size_t i = 0; i < res->nrows && i < 9; i++) {
        const trade *t = &res->rows[i].trade;
        CHECK_EQ_INT(res->rows[i].format, REPLAY_FMT_TRADES);
        CHECK_EQ_INT(t->ts, want_ts[i]);
        CHECK_EQ_INT(t->id, 100 + (int64_t)i);
        CHECK_EQ_STR(t->source, "csv");
    }
    const trade *t = &res->rows[0].trade;
    CHECK(strcmp(t->symbol, "AAPL") == 0 && t->price == 189.5 && t->size == 100 &&
          strcmp(t->venue, "XNAS") == 0);
    CHECK(res->rows[1].trade.venue[0] == '\0' && res->rows[3].trade.venue[0] == '\0');
    t = &res->rows[8].trade;
    CHECK(strcmp(t->symbol, "BRK B") == 0 && t->price == 500.5 && t->size == 10);
    /* The trade record decodes back bit-exact. */
    buf b = {0};
    trade u;
    trade_encode_json(&res->rows[1].trade, &b);
    CHECK(trade_decode_json(b.data, b.len, &u, err, sizeof(err)) == 0 &&
          memcmp(&u, &res->rows[1].trade, sizeof(u)) == 0);
    buf_release(&b);
    buf_release(&res->log);

    /* The standard header needs no --map; ids and venue from the file; ms epochs. */
    const char *std = "symbol\ttimestamp\tprice\tsize\tid\tvenue\n"
                      "ES\t1764167400123\t6000.25\t3\t9001\tXCME\n"
                      "ES\t1764167400124\t6000.5\t3\t\tXCME\n"
                      "ES\t1764167400125\t6000.5\t3\tx1\tXCME\n";
    replay_options o2 = {.ts_unit = REPLAY_TS_MS, .source = "histfeed"};
    CHECK(run("s.tsv", std, &o2, res, err, sizeof(err)) == 0);
    CHECK_EQ_STR(res->log.data, "ROW 2\nBAD s.tsv:3: missing id\nBAD s.tsv:4: bad id 'x1'\n");
    CHECK(res->nrows == 1 && res->rows[0].trade.id == 9001 &&
          res->rows[0].trade.ts == base + 123000000 &&
          strcmp(res->rows[0].trade.source, "histfeed") == 0 &&
          strcmp(res->rows[0].trade.venue, "XCME") == 0);
    CHECK_EQ_INT(res->next_id, 0);
    buf_release(&res->log);

    /* Rows outside the ranges the processor and the sink hold trades to
     * (trade_check_range) are unusable here, not delivered to be counted bad
     * downstream; the ids of the good rows stay consecutive. */
    const char *ranges = "symbol,timestamp,price,size\n"
                         "A,1750-01-01T00:00:00Z,1,1\n"
                         "A,2250-06-01T00:00:00Z,1,1\n"
                         "A,2200-01-01T00:00:01Z,1,1\n"
                         "A,2025-11-26T14:30:00Z,2e12,1\n"
                         "A,2025-11-26T14:30:00Z,1,2000000000000000\n"
                         "A,1800-01-01T00:00:00Z,1e12,1000000000000000\n"
                         "A,2025-11-26T14:30:00Z,189.5,100\n";
    replay_options o3 = {.first_id = 1};
    CHECK(run("r.csv", ranges, &o3, res, err, sizeof(err)) == 0);
    CHECK_EQ_STR(res->log.data,
                 "BAD r.csv:2: bad timestamp '1750-01-01T00:00:00Z' (outside 1800-01-01 to "
                 "2200-01-01)\n"
                 "BAD r.csv:3: bad timestamp '2250-06-01T00:00:00Z' (outside 1800-01-01 to "
                 "2200-01-01)\n"
                 "BAD r.csv:4: bad timestamp '2200-01-01T00:00:01Z' (outside 1800-01-01 to "
                 "2200-01-01)\n"
                 "BAD r.csv:5: bad price '2e12' (above 1e12)\n"
                 "BAD r.csv:6: bad size '2000000000000000' (above 1e15)\n"
                 "ROW 7\nROW 8\n");
    CHECK_EQ_INT(res->st.rows, 2);
    CHECK_EQ_INT(res->st.bad, 5);
    CHECK(res->nrows == 2 && res->rows[0].trade.id == 1 && res->rows[1].trade.id == 2 &&
          res->rows[0].trade.ts == TICK_TS_MIN);
    for (size_t i = 0; i < res->nrows; i++) {
        char why[256];
        CHECK(trade_check_range(&res->rows[i].trade, why, sizeof(why)) == 0);
    }
    buf_release(&res->log);

    /* Aliases: ts, qty, trade_id, mic. */
    const char *alias = "sym,ts,price,quantity,trade_id,mic\nX,0,1,1,7,XLON\n";
    CHECK(run("a.csv", alias, NULL, res, err, sizeof(err)) == 0);
    CHECK(res->nrows == 1 && res->rows[0].trade.id == 7 &&
          strcmp(res->rows[0].trade.venue, "XLON") == 0 && res->rows[0].trade.ts == 0);
    buf_release(&res->log);
    free(res);
    csv_map_release(&map);
}

static void test_open_errors(void)
{
    csv_map map = {0}, bad_field = {0}, daily_map = {0};
    char err[512];
    CHECK(csv_map_parse(&map, "price=Last", err, sizeof(err)) == 0);
    CHECK(csv_map_parse(&bad_field, "prise=Last", err, sizeof(err)) == 0);
    CHECK(csv_map_parse(&daily_map, "index=Symbol", err, sizeof(err)) == 0);
    replay_options trades = {.format = REPLAY_FMT_TRADES};
    replay_options daily = {.format = REPLAY_FMT_INDEX_DAILY};
    replay_options mapped = {.map = &map};
    replay_options misfield = {.map = &bad_field};
    replay_options long_source = {.source = "a-very-long-source-name"};
    const struct {
        const char *in;
        const replay_options *o;
        const char *err;
    } cases[] = {
        {"", NULL, "x.csv: empty file (no header)"},
        {"\n\n", NULL, "x.csv: empty file (no header)"},
        {"\xFF\xFEI\0", NULL,
         "x.csv: input is UTF-16 (byte-order mark FF FE); convert it to UTF-8"},
        {"\"a,b\n", NULL, "x.csv:1: bad header: quoted field 1 is never closed"},
        {"a,b,c\n", NULL,
         "x.csv:1: header not recognised: 'a,b,c'; expected index daily (Index, Date, Open, High, "
         "Low, Close, ...; without Index for one instrument, as in a Yahoo Finance export: no "
         "column for 'date' here) or trades (symbol, timestamp, price, size, ...: no column for "
         "'timestamp' here); use --format and --map"},
        /* The header as read: escaped. */
        {"\"Date\"\t\"Op\x01"
         "en\"\tHigh\n",
         NULL,
         "x.csv:1: header not recognised: 'Date\\x09Op\\x01en\\x09High'; expected index daily "
         "(Index, Date, Open, High, Low, Close, ...; without Index for one instrument, as in a "
         "Yahoo Finance export: no column for 'open' here) or trades (symbol, timestamp, price, "
         "size, ...: no column for 'timestamp' here); use --format and --map"},
        {"Index,Date,Open,High,Low,Close\n", &trades,
         "x.csv:1: no column for 'timestamp' in the header 'Index,Date,Open,High,Low,Close'; use "
         "--map timestamp=Column"},
        {"symbol,timestamp,price,size\n", &daily,
         "x.csv:1: no column for 'date' in the header 'symbol,timestamp,price,size'; use --map "
         "date=Column"},
        {"symbol,timestamp,price,size\n", &mapped,
         "x.csv:1: column 'Last' (--map price=Last) is not in the header"},
        {"symbol,timestamp,Last,size\n", &misfield,
         "x.csv: --map 'prise' is not a field of trades (fields: symbol, timestamp, price, size, "
         "id, venue)"},
        {"symbol,timestamp,price,Price,size\n", NULL,
         "x.csv:1: more than one column is named 'price'; use --map price=Column"},
        {"symbol,timestamp,price,size\n", &long_source,
         "source 'a-very-long-source-name' is longer than 15 bytes or not printable"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        size_t len = strlen(cases[i].in);
        if (cases[i].in[0] == '\xFF')
            len = 4;
        replay_reader *rr =
            replay_open_buffer("x.csv", cases[i].in, len, cases[i].o, err, sizeof(err));
        CHECK(rr == NULL);
        replay_close(rr);
        CHECK_EQ_STR(err, cases[i].err);
    }
    /* A long header is cut after 160 bytes. */
    buf longh = {0};
    for (int i = 0; i < 40; i++)
        buf_printf(&longh, "%scolumn%02d", i ? "," : "", i);
    buf_puts(&longh, "\n");
    CHECK(replay_open_buffer("x.csv", longh.data, longh.len, NULL, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "header not recognised: 'column00,column01,") &&
          strstr(err, ",column16,column1...'; expected"));
    buf_release(&longh);
    /* A map decides the format; mapped and aliased names resolve. */
    replay_options m2 = {.map = &daily_map};
    const char *ydata = "Symbol,Date,Open,High,Low,Close\nX,2020-01-01,1,1,1,1\n";
    replay_reader *rr = replay_open_buffer("y.csv", ydata, strlen(ydata), &m2, err, sizeof(err));
    CHECK(rr && replay_reader_format(rr) == REPLAY_FMT_INDEX_DAILY);
    replay_row row;
    CHECK(rr && replay_next(rr, &row, err, sizeof(err)) == REPLAY_ROW &&
          strcmp(row.daily.index, "X") == 0);
    replay_close(rr);
    replay_close(NULL);
    FILE *wo = fopen("/dev/null", "w");
    rr = wo ? replay_open_file("w.csv", wo, NULL, err, sizeof(err)) : NULL;
    CHECK(wo && !rr);
    CHECK_EQ_STR(err, "w.csv: read error: Bad file descriptor");
    if (wo)
        fclose(wo);
    csv_map_release(&map);
    csv_map_release(&bad_field);
    csv_map_release(&daily_map);

    replay_format f;
    CHECK(replay_format_parse("index-daily", &f) == 0 && f == REPLAY_FMT_INDEX_DAILY);
    CHECK(replay_format_parse("trades", &f) == 0 && f == REPLAY_FMT_TRADES);
    CHECK(replay_format_parse("auto", &f) == 0 && f == REPLAY_FMT_AUTO);
    CHECK(replay_format_parse("bars", &f) == -1);
    CHECK_EQ_STR(replay_format_name(REPLAY_FMT_INDEX_DAILY), "index-daily");
}

/* ---- single-instrument files, date order, re-saved marks ------------------------- */

/* The notes of a reader, one per line, "W " before warnings. */
static void notes_of(replay_reader *rr, buf *out)
{
    const replay_note *n;
    size_t k = replay_reader_notes(rr, &n);
    for (size_t i = 0; i < k; i++)
        buf_printf(out, "%s%s\n", n[i].warn ? "W " : "", n[i].text);
    if (!out->data)
        buf_puts(out, "");
}

static char *open_notes(const char *name, const char *data, const replay_options *o)
{
    char err[512];
    replay_reader *rr = replay_open_buffer(name, data, strlen(data), o, err, sizeof(err));
    buf b = {0};
    if (!rr)
        buf_printf(&b, "ERROR %s\n", err);
    else
        notes_of(rr, &b);
    replay_close(rr);
    return b.data;
}

/* A Yahoo Finance export, as downloaded: no symbol column, `null` on holidays. */
static const char YAHOO[] = "Date,Open,High,Low,Close,Adj Close,Volume\n"
                            "2009-12-23,21115.88086,21339.17969,21017.01953,21328.74023,"
                            "21328.74023,992743500\n"
                            "2009-12-24,null,null,null,null,null,null\n"
                            "2009-12-25,null,null,null,null,null,null\n"
                            "2009-12-28,21622.13086,21739.39063,21474.10938,21480.2207,"
                            "21480.2207,851751100\n";

static void test_single_instrument(void)
{
    index_info info = load_info();
    replay_options o = {.info = &info};
    run_result *res = calloc(1, sizeof(*res));
    char err[512];
    /* The symbol from the file name; null rows are holidays: skipped, not bad. */
    CHECK(run("data/^HSI.csv", YAHOO, &o, res, err, sizeof(err)) == 0);
    CHECK_EQ_STR(res->log.data, "ROW 2\n"
                                "SKIP data/^HSI.csv:3: no prices\n"
                                "SKIP data/^HSI.csv:4: no prices\n"
                                "ROW 5\n");
    CHECK(res->st.rows == 2 && res->st.skipped == 2 && res->st.bad == 0);
    if (res->nrows == 2) {
        const index_daily *d = &res->rows[1].daily;
        CHECK_EQ_STR(d->index, "^HSI");
        CHECK_EQ_STR(d->date, "2009-12-28");
        CHECK(d->open == 21622.13086 && d->close == 21480.2207 && d->adj_close == 21480.2207 &&
              d->volume == 851751100 && !d->has_close_usd);
        /* ^HSI is HSI in the index info. */
        CHECK_EQ_STR(d->currency, "HKD");
        CHECK_EQ_STR(d->exchange, "Hong Kong Stock Exchange");
    }
    CHECK_EQ_INT(res->st.unenriched, 0);
    char *n = open_notes("data/^HSI.csv", YAHOO, &o);
    CHECK_EQ_STR(n, "data/^HSI.csv: no Index column: every row gets symbol '^HSI' from the file "
                    "name\n");
    free(n);
    buf_release(&res->log);
    /* --symbol wins over the file name. */
    replay_options os = {.symbol = "AAPL"};
    CHECK(run("data/^HSI.csv", YAHOO, &os, res, err, sizeof(err)) == 0);
    CHECK(res->nrows == 2 && strcmp(res->rows[0].daily.index, "AAPL") == 0 &&
          res->rows[0].daily.currency[0] == '\0');
    buf_release(&res->log);
    n = open_notes("-", YAHOO, &os);
    CHECK_EQ_STR(n, "-: no Index column: every row gets symbol 'AAPL' from --symbol\n");
    free(n);
    /* Neither: say so, and what to do. */
    n = open_notes("-", YAHOO, &o);
    CHECK_EQ_STR(n, "ERROR -:1: the header 'Date,Open,High,Low,Close,Adj Close,Volume' has no "
                    "Index column and nothing names the instrument: pass --symbol NAME "
                    "(standard input has no file name to take it from)\n");
    free(n);
    n = open_notes("dl/AAPL (1).csv", YAHOO, &o);
    CHECK_EQ_STR(n, "ERROR dl/AAPL (1).csv:1: the header 'Date,Open,High,Low,Close,Adj "
                    "Close,Volume' has no Index column and nothing names the instrument: pass "
                    "--symbol NAME (a file name gives it only when it is one, e.g. AAPL.csv or "
                    "^GSPC.csv)\n");
    free(n);
    /* --symbol with a file that has its own symbol column; a bad --symbol. */
    n = open_notes("x.csv", "Index,Date,Open,High,Low,Close\n", &os);
    CHECK_EQ_STR(n, "ERROR x.csv:1: --symbol AAPL is for a file without a symbol column, and this "
                    "one has 'Index'\n");
    free(n);
    replay_options obad = {.symbol = "A\tB"};
    n = open_notes("x.csv", YAHOO, &obad);
    CHECK_EQ_STR(n, "ERROR bad --symbol 'A\tB': expected 1..31 bytes of printable UTF-8\n");
    free(n);
    /* yfinance's own CSV: midnight in the exchange's zone, extra columns, no Adj Close. */
    const char *yf = "Date,Open,High,Low,Close,Volume,Dividends,Stock Splits\n"
                     "2023-01-03 00:00:00-05:00,130.28,130.9,124.17,125.07,112117500,0.0,0.0\n"
                     "2023-01-04 00:00:00-05:00,126.89,128.66,125.08,126.36,89113600,0.0,0.0\n"
                     "2023-01-04 16:00:00-05:00,126.89,128.66,125.08,126.36,89113600,0.0,0.0\n";
    CHECK(run("AAPL.csv", yf, NULL, res, err, sizeof(err)) == 0);
    CHECK_EQ_STR(res->log.data,
                 "ROW 2\nROW 3\nBAD AAPL.csv:4: bad Date '2023-01-04 16:00:00-05:00' "
                 "(a time of day: daily rows are one a day, at 00:00)\n");
    CHECK(res->nrows == 2 && strcmp(res->rows[0].daily.date, "2023-01-03") == 0 &&
          strcmp(res->rows[0].daily.index, "AAPL") == 0 && !res->rows[0].daily.has_adj_close);
    buf_release(&res->log);
    /* A Symbol or Ticker column is the index of a daily file. */
    const char *multi = "Ticker,Date,Open,High,Low,Close\nMSFT,2020-01-02,1,2,1,2\n";
    CHECK(run("all.csv", multi, NULL, res, err, sizeof(err)) == 0);
    CHECK(res->nrows == 1 && strcmp(res->rows[0].daily.index, "MSFT") == 0);
    buf_release(&res->log);
    /* Trades of one instrument: the same rule. */
    const char *tr = "timestamp,price,size\n2025-11-26T14:30:00Z,189.5,100\n";
    CHECK(run("AAPL.csv", tr, NULL, res, err, sizeof(err)) == 0);
    CHECK(res->nrows == 1 && res->rows[0].format == REPLAY_FMT_TRADES &&
          strcmp(res->rows[0].trade.symbol, "AAPL") == 0);
    buf_release(&res->log);
    n = open_notes("-", tr, NULL);
    CHECK(strstr(n, "ERROR -:1: the header 'timestamp,price,size' has no symbol column") == n);
    free(n);
    free(res);
    index_info_release(&info);
}

/* An Excel-saved export: DD-MM-YY, CRLF; the first rows cannot tell day from month. */
static const char EXCEL[] = "Date,Open,High,Low,Close,Adj Close,Volume\r\n"
                            "01-12-09,1,2,1,2,2,10\r\n" /* 2: 1 December or 12 January */
                            "02-12-09,1,2,1,2,2,10\r\n" /* 3 */
                            "11-12-09,null,null,null,null,null,null\r\n" /* 4 */
                            "14-12-09,1,2,1,2,2,10\r\n"                  /* 5: day first */
                            "12-14-09,1,2,1,2,2,10\r\n"                  /* 6: contradicts */
                            "31-02-09,1,2,1,2,2,10\r\n";                 /* 7: no date either way */

static void test_date_order(void)
{
    run_result *res = calloc(1, sizeof(*res));
    char err[512];
    /* Found from the rows: line 5 says day first, for the rows before it too. */
    CHECK(run("^HSI.csv", EXCEL, NULL, res, err, sizeof(err)) == 0);
    CHECK_EQ_STR(res->log.data,
                 "ROW 2\nROW 3\nSKIP ^HSI.csv:4: no prices\nROW 5\n"
                 "BAD ^HSI.csv:6: bad Date '12-14-09' (not a date day first, as '14-12-09' on line "
                 "5 shows)\n"
                 "BAD ^HSI.csv:7: bad Date '31-02-09'\n");
    if (res->nrows == 3) {
        CHECK_EQ_STR(res->rows[0].daily.date, "2009-12-01");
        CHECK_EQ_STR(res->rows[1].daily.date, "2009-12-02");
        CHECK_EQ_STR(res->rows[2].daily.date, "2009-12-14");
    }
    char *n = open_notes("^HSI.csv", EXCEL, NULL);
    CHECK_EQ_STR(n, "^HSI.csv: no Index column: every row gets symbol '^HSI' from the file name\n"
                    "^HSI.csv: year-last dates are read day first (DD-MM-YY), as '14-12-09' on "
                    "line 5 shows\n");
    free(n);
    buf_release(&res->log);
    /* US Excel: month first, decided on line 3. */
    const char *us = "Date,Open,High,Low,Close\n12/1/2009,1,2,1,2\n12/14/2009,1,2,1,2\n"
                     "14/12/2009,1,2,1,2\n";
    CHECK(run("SPY.csv", us, NULL, res, err, sizeof(err)) == 0);
    CHECK_EQ_STR(res->log.data, "ROW 2\nROW 3\nBAD SPY.csv:4: bad Date '14/12/2009' (not a date "
                                "month first, as '12/14/2009' on line 3 shows)\n");
    CHECK(res->nrows == 2 && strcmp(res->rows[0].daily.date, "2009-12-01") == 0);
    buf_release(&res->log);
    n = open_notes("SPY.csv", us, NULL);
    CHECK(strstr(n, "SPY.csv: year-last dates are read month first (MM/DD/YYYY), as '12/14/2009' "
                    "on line 3 shows\n") != NULL);
    free(n);
    /* --date-format: no look-ahead, and the reasons name it. */
    replay_options mdy = {.date_order = REPLAY_DATE_MDY};
    CHECK(run("^HSI.csv", EXCEL, &mdy, res, err, sizeof(err)) == 0);
    CHECK_EQ_STR(res->log.data, "ROW 2\nROW 3\nSKIP ^HSI.csv:4: no prices\n"
                                "BAD ^HSI.csv:5: bad Date '14-12-09' (not a date month first, as "
                                "--date-format mdy says)\n"
                                "ROW 6\nBAD ^HSI.csv:7: bad Date '31-02-09'\n");
    if (res->nrows == 3) {
        CHECK_EQ_STR(res->rows[0].daily.date, "2009-01-12");
        CHECK_EQ_STR(res->rows[2].daily.date, "2009-12-14");
    }
    buf_release(&res->log);
    replay_options ymd = {.date_order = REPLAY_DATE_YMD};
    CHECK(run("^HSI.csv", "Date,Open,High,Low,Close\n2009-12-01,1,2,1,2\n01-12-09,1,2,1,2\n", &ymd,
              res, err, sizeof(err)) == 0);
    CHECK_EQ_STR(res->log.data, "ROW 2\nBAD ^HSI.csv:3: bad Date '01-12-09' (year last, and "
                                "--date-format ymd takes year first)\n");
    buf_release(&res->log);
    /* No row tells: day first, and a warning says so. */
    const char *vague = "Date,Open,High,Low,Close\n05/05/2020,1,2,1,2\n01/02/2020,1,2,1,2\n"
                        "02/03/2020,1,2,1,2\n";
    CHECK(run("X.csv", vague, NULL, res, err, sizeof(err)) == 0);
    CHECK(res->nrows == 3 && strcmp(res->rows[1].daily.date, "2020-02-01") == 0 &&
          strcmp(res->rows[2].daily.date, "2020-03-02") == 0);
    buf_release(&res->log);
    n = open_notes("X.csv", vague, NULL);
    CHECK_EQ_STR(n, "X.csv: no Index column: every row gets symbol 'X' from the file name\n"
                    "W X.csv: year-last dates such as '01/02/2020' (line 3) are read day first "
                    "(DD/MM/YYYY), the default: none of the first 1000 rows tells day from month; "
                    "--date-format mdy reads them month first\n");
    free(n);
    /* Past the look-ahead, the first year-last date settles the order. */
    buf big = {0};
    buf_puts(&big, "Index,Date,Open,High,Low,Close\n");
    for (int i = 0; i < REPLAY_DATE_LOOKAHEAD; i++)
        buf_puts(&big, "A,2020-01-02,1,2,1,2\n");
    buf_puts(&big, "A,01/02/2020,1,2,1,2\nA,01/13/2020,1,2,1,2\n");
    CHECK(run("big.csv", big.data, NULL, res, err, sizeof(err)) == 0);
    CHECK_EQ_INT(res->st.rows, REPLAY_DATE_LOOKAHEAD + 1);
    CHECK(strstr(res->log.data, "BAD big.csv:1003: bad Date '01/13/2020' (not a date day first, "
                                "the default when no row tells; use --date-format)\n") != NULL);
    buf_release(&res->log);
    buf_release(&big);
    /* Look-ahead keeps every kind of record in order, up to the end of input,
     * through a FILE* too (run() compares both). */
    const char *mixed = "Index,Date,Open,High,Low,Close\n"
                        "A,01/02/2020,1,2,1,2\n"
                        "\n"
                        "A,\"02/02/2020\"x,1,2,1,2\n"
                        "Index,Date,Open,High,Low,Close\n"
                        "A,03/02/2020,1,2,1\n"
                        "A,04/02/2020,1,2,1,2";
    CHECK(run("m.csv", mixed, NULL, res, err, sizeof(err)) == 0);
    CHECK_EQ_STR(res->log.data, "ROW 2\n"
                                "BAD m.csv:4: text after the closing quote of field 2\n"
                                "SKIP m.csv:5: repeated header\n"
                                "BAD m.csv:6: expected 6 fields, found 5\n"
                                "ROW 7\n");
    CHECK(res->nrows == 2 && strcmp(res->rows[1].daily.date, "2020-02-04") == 0);
    CHECK_EQ_INT(res->st.blank, 1);
    buf_release(&res->log);
    free(res);
}

static void test_mojibake_header(void)
{
    index_info info = load_info();
    replay_options o = {.info = &info};
    run_result *res = calloc(1, sizeof(*res));
    char err[512];
    /* "\u00EF\u00BB\u00BF" before Index: the UTF-8 mark re-saved from cp1252. */
    const char *in = "\xC3\xAF\xC2\xBB\xC2\xBFIndex,Date,Open,High,Low,Close\n"
                     "HSI,1987-01-02,2540.1,2541,2539,2540.5\n";
    CHECK(run("re-saved.csv", in, &o, res, err, sizeof(err)) == 0);
    CHECK_EQ_STR(res->log.data, "ROW 2\n");
    CHECK(res->nrows == 1 && strcmp(res->rows[0].daily.index, "HSI") == 0 &&
          strcmp(res->rows[0].daily.currency, "HKD") == 0);
    buf_release(&res->log);
    char *n = open_notes("re-saved.csv", in, &o);
    CHECK_EQ_STR(n, "W re-saved.csv:1: the header starts with a UTF-8 byte-order mark decoded as "
                    "Latin-1 (\xC3\xAF\xC2\xBB\xC2\xBF): the file was re-saved in another "
                    "encoding; ignored\n");
    free(n);
    /* After a real mark too; and a header error says it was there. */
    n = open_notes("t.csv", "\xEF\xBB\xBF\xC3\xAF\xC2\xBB\xC2\xBFsymbol,timestamp,price,size\n",
                   NULL);
    CHECK(strncmp(n, "W t.csv:1: the header starts with a UTF-8 byte-order mark decoded", 65) == 0);
    free(n);
    n = open_notes("u.csv",
                   "\xC3\xAF\xC2\xBB\xC2\xBF"
                   "a,b\n",
                   NULL);
    CHECK(strncmp(n, "ERROR u.csv:1: header not recognised: 'a,b'", 43) == 0);
    CHECK(strstr(n, "use --format and --map (the file starts with a UTF-8 byte-order mark decoded "
                    "as Latin-1, \xC3\xAF\xC2\xBB\xC2\xBF: it was re-saved in another "
                    "encoding)\n") != NULL);
    free(n);
    free(res);
    index_info_release(&info);
}

TEST_MAIN(TEST(test_hsi_sample), TEST(test_messy_index), TEST(test_variants), TEST(test_trades),
          TEST(test_open_errors), TEST(test_single_instrument), TEST(test_date_order),
          TEST(test_mojibake_header))
