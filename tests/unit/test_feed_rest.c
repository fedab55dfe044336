/* test_feed_rest.c - the REST answers (feed_rest.h): Finnhub quotes, Alpha
 * Vantage intraday bars with their US/Eastern times, throttling notes. */
#include <stdlib.h>
#include <string.h>

#include "feed_rest.h"
#include "testlib.h"

static void test_eastern(void)
{
    /* EDT (UTC-4) in June; EST (UTC-5) in January. */
    CHECK_EQ_INT(rest_us_eastern_to_utc_ns(2024, 6, 14, 9, 30, 0), 1718371800000000000);
    CHECK_EQ_INT(rest_us_eastern_to_utc_ns(2024, 1, 2, 9, 30, 0), 1704205800000000000);
    /* 2024: DST from Sunday 10 March 02:00 to Sunday 3 November 02:00. */
    CHECK_EQ_INT(rest_us_eastern_to_utc_ns(2024, 3, 10, 1, 59, 0), 1710053940000000000);
    CHECK_EQ_INT(rest_us_eastern_to_utc_ns(2024, 3, 10, 3, 0, 0), 1710054000000000000);
    CHECK_EQ_INT(rest_us_eastern_to_utc_ns(2024, 3, 9, 12, 0, 0), 1710003600000000000);
    CHECK_EQ_INT(rest_us_eastern_to_utc_ns(2024, 11, 3, 2, 0, 0), 1730617200000000000);
    CHECK_EQ_INT(rest_us_eastern_to_utc_ns(2024, 11, 2, 12, 0, 0), 1730563200000000000);
}

static void test_finnhub(void)
{
    rest_snapshot s;
    char err[256];
    const char *q = "{\"c\":189.51,\"d\":1.2,\"dp\":0.64,\"h\":190,\"l\":187.5,\"o\":188,"
                    "\"pc\":188.31,\"t\":1718394900}";
    CHECK(rest_finnhub_quote_parse(q, strlen(q), "AAPL", &s, err, sizeof(err)) == 0);
    CHECK_EQ_INT(s.ts, 1718394900000000000);
    CHECK(s.price == 189.51 && s.prev_close == 188.31 && s.change_pct == 0.64);
    buf b;
    buf_init(&b);
    rest_snapshot_encode_json(&s, "finnhub", 5, &b);
    buf_putc(&b, '\0');
    CHECK(strstr(b.data, "\"symbol\":\"AAPL\",\"ts\":1718394900000000000,\"price\":189.51,") !=
          NULL);
    buf_release(&b);
    q = "{\"c\":0,\"d\":null,\"dp\":null,\"h\":0,\"l\":0,\"o\":0,\"pc\":0,\"t\":0}";
    CHECK(rest_finnhub_quote_parse(q, strlen(q), "NOPE", &s, err, sizeof(err)) == -1);
    CHECK(strstr(err, "no data") != NULL);
    q = "{\"error\":\"Invalid API key\"}";
    CHECK(rest_finnhub_quote_parse(q, strlen(q), "AAPL", &s, err, sizeof(err)) == -1);
    CHECK(strstr(err, "Invalid API key") != NULL);
}

static void test_alphavantage(void)
{
    const char *a =
        "{\"Meta Data\":{\"1. Information\":\"Intraday (5min)\",\"2. Symbol\":\"IBM\","
        "\"6. Time Zone\":\"US/Eastern\"},\"Time Series (5min)\":{"
        "\"2024-06-14 19:55:00\":{\"1. open\":\"62.47\",\"2. high\":\"62.50\",\"3. low\":\"62.40\","
        "\"4. close\":\"62.45\",\"5. volume\":\"5\"},"
        "\"2024-06-14 19:50:00\":{\"1. open\":\"62.40\",\"2. high\":\"62.48\",\"3. low\":\"62.39\","
        "\"4. close\":\"62.47\",\"5. volume\":\"12\"}}}";
    rest_bar *bars;
    size_t n;
    char err[256];
    CHECK(rest_av_intraday_parse(a, strlen(a), "IBM", &bars, &n, err, sizeof(err)) == 0);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_INT(bars[0].window_start, 1718409000000000000); /* 19:50 EDT = 23:50 UTC */
        CHECK_EQ_INT(bars[1].window_start, 1718409300000000000);
        CHECK_EQ_INT(bars[0].volume, 12);
        CHECK_EQ_STR(bars[1].interval, "5min");
        CHECK(bars[1].open == 62.47);
    }
    free(bars);
    const char *note = "{\"Information\":\"Thank you for using Alpha Vantage! Our standard API "
                       "rate limit is 25 requests per day.\"}";
    CHECK(rest_av_intraday_parse(note, strlen(note), "IBM", &bars, &n, err, sizeof(err)) == 1);
    CHECK(strstr(err, "rate limit") != NULL);
    note = "{\"Note\":\"Thank you for using Alpha Vantage! Our standard API call frequency is 5 "
           "calls per minute.\"}";
    CHECK(rest_av_intraday_parse(note, strlen(note), "IBM", &bars, &n, err, sizeof(err)) == 1);
    const char *bad = "{\"Error Message\":\"Invalid API call.\"}";
    CHECK(rest_av_intraday_parse(bad, strlen(bad), "IBM", &bars, &n, err, sizeof(err)) == -1);
    CHECK(strstr(err, "Invalid API call") != NULL);
    const char *badbar = "{\"Meta Data\":{\"6. Time Zone\":\"US/Eastern\"},\"Time Series (5min)\":"
                         "{\"2024-06-14 25:00:00\":{\"1. open\":\"1\"}}}";
    CHECK(rest_av_intraday_parse(badbar, strlen(badbar), "IBM", &bars, &n, err, sizeof(err)) == -1);
    CHECK(strstr(err, "malformed") != NULL);
    /* A year past 2262 would overflow ns since the epoch (found by fuzz_feed_rest). */
    badbar = "{\"Meta Data\":{\"6. Time Zone\":\"US/Eastern\"},\"Time Series (5min)\":"
             "{\"6491-06-14 19:00:00\":{\"1. open\":\"1\",\"2. high\":\"1\",\"3. low\":\"1\","
             "\"4. close\":\"1\",\"5. volume\":\"1\"}}}";
    CHECK(rest_av_intraday_parse(badbar, strlen(badbar), "IBM", &bars, &n, err, sizeof(err)) == -1);
    /* Negative fields of the time pass %2d: malformed (-1:-1:-1 overflowed the ns). */
    badbar = "{\"Meta Data\":{\"6. Time Zone\":\"US/Eastern\"},\"Time Series (5min)\":"
             "{\"2024-06-14 -1:-1:-1\":{\"1. open\":\"1\",\"2. high\":\"1\",\"3. low\":\"1\","
             "\"4. close\":\"1\",\"5. volume\":\"1\"}}}";
    CHECK(rest_av_intraday_parse(badbar, strlen(badbar), "IBM", &bars, &n, err, sizeof(err)) == -1);
    badbar = "{\"Meta Data\":{\"6. Time Zone\":\"US/Eastern\"},\"Time Series (5min)\":"
             "{\"2024-06-14 -1:00:00\":{\"1. open\":\"1\",\"2. high\":\"1\",\"3. low\":\"1\","
             "\"4. close\":\"1\",\"5. volume\":\"1\"}}}";
    CHECK(rest_av_intraday_parse(badbar, strlen(badbar), "IBM", &bars, &n, err, sizeof(err)) == -1);
    /* A price not above 0 is malformed too (found by fuzz_feed_rest: the sink refused the bar). */
    badbar = "{\"Meta Data\":{\"6. Time Zone\":\"US/Eastern\"},\"Time Series (5min)\":"
             "{\"2024-06-14 19:00:00\":{\"1. open\":\"-.426\",\"2. high\":\"1\",\"3. low\":\"1\","
             "\"4. close\":\"1\",\"5. volume\":\"1\"}}}";
    CHECK(rest_av_intraday_parse(badbar, strlen(badbar), "IBM", &bars, &n, err, sizeof(err)) == -1);
    CHECK(strstr(err, "malformed") != NULL);
    buf u;
    buf_init(&u);
    rest_av_intraday_url("http://h/query", "BRK.B", "5min", "k&y", &u);
    buf_putc(&u, '\0');
    CHECK_EQ_STR(u.data, "http://h/query?function=TIME_SERIES_INTRADAY&symbol=BRK.B&interval=5min"
                         "&apikey=k%26y");
    buf_release(&u);
}

/* The records as the sink reads them back: every member, and errors that name the member. */
static void test_records(void)
{
    rest_snapshot s = {.symbol = "AAPL",
                       .ts = 1718394900000000000,
                       .price = 189.51,
                       .open = 188,
                       .high = 190,
                       .low = 187.5,
                       .prev_close = 188.31,
                       .change = 1.2,
                       .change_pct = 0.64};
    buf b;
    buf_init(&b);
    rest_snapshot_encode_json(&s, "finnhub", 77, &b);
    rest_snapshot back;
    char src[TICK_SOURCE_MAX], err[256];
    int64_t recv;
    CHECK(rest_snapshot_decode_json(b.data, b.len, &back, src, &recv, err, sizeof(err)) == 0);
    CHECK(memcmp(&back, &s, sizeof(s)) == 0);
    CHECK_EQ_STR(src, "finnhub");
    CHECK_EQ_INT(recv, 77);
    const char *min = "{\"symbol\":\"X\",\"ts\":5,\"price\":2,\"change\":null}";
    CHECK(rest_snapshot_decode_json(min, strlen(min), &back, src, &recv, err, sizeof(err)) == 0);
    CHECK(back.price == 2 && isnan(back.change) && isnan(back.open) && recv == 0 && !src[0]);
    const char *bad[] = {"{\"symbol\":\"X\",\"ts\":5}",
                         "{\"symbol\":\"X\",\"price\":2}",
                         "{\"ts\":5,\"price\":2}",
                         "{\"symbol\":\"X\",\"ts\":5,\"price\":-2}",
                         "{\"symbol\":\"X\",\"ts\":5,\"price\":2,\"open\":\"1\"}",
                         "[1]"};
    const char *why[] = {"'price'", "'ts'", "'symbol'", "'price'", "'open'", "not a JSON object"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(rest_snapshot_decode_json(bad[i], strlen(bad[i]), &back, src, &recv, err,
                                        sizeof(err)) == -1);
        CHECK(strstr(err, why[i]) != NULL);
    }
    rest_bar r = {.symbol = "IBM",
                  .interval = "5min",
                  .window_start = 1718409000000000000,
                  .open = 62.4,
                  .high = 62.48,
                  .low = 62.39,
                  .close = 62.47,
                  .volume = 12};
    buf_reset(&b);
    rest_bar_encode_json(&r, "alphavantage", &b);
    rest_bar rb;
    CHECK(rest_bar_decode_json(b.data, b.len, &rb, src, err, sizeof(err)) == 0);
    CHECK(memcmp(&rb, &r, sizeof(r)) == 0);
    CHECK_EQ_STR(src, "alphavantage");
    const char *badbar = "{\"symbol\":\"IBM\",\"window_start\":1,\"open\":1,\"high\":1,"
                         "\"low\":1,\"close\":1,\"volume\":-1}";
    CHECK(rest_bar_decode_json(badbar, strlen(badbar), &rb, src, err, sizeof(err)) == -1);
    CHECK(strstr(err, "'volume'") != NULL);
    buf_release(&b);
}

TEST_MAIN(TEST(test_eastern), TEST(test_finnhub), TEST(test_alphavantage), TEST(test_records))
