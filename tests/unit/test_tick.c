/* Unit tests for tick.c: the trades and quotes topic contracts, JSON and binary. */
#include "testlib.h"
#include "tick.h"

static void test_round_trip(void)
{
    trade t = {.symbol = "BRK.B",
               .ts = 1764115200123456789LL,
               .price = 412.37,
               .size = 300,
               .id = 77,
               .venue = "XSIM",
               .source = "sim"};
    buf b = {0};
    trade_encode_json(&t, &b);
    CHECK_EQ_STR(b.data, "{\"symbol\":\"BRK.B\",\"ts\":1764115200123456789,\"price\":412.37,"
                         "\"size\":300,\"id\":77,\"venue\":\"XSIM\",\"source\":\"sim\"}");
    trade u;
    char err[256];
    CHECK(trade_decode_json(b.data, b.len, &u, err, sizeof(err)) == 0);
    CHECK(memcmp(&t, &u, sizeof(t)) == 0);
    buf_release(&b);
}

static void test_rejects_bad_records(void)
{
    const struct {
        const char *json, *needle;
    } cases[] = {
        {"{\"ts\":1,\"price\":1,\"size\":1,\"id\":1}", "symbol"},
        {"{\"symbol\":\"A\",\"price\":1,\"size\":1,\"id\":1}", "ts"},
        {"{\"symbol\":\"A\",\"ts\":1.5,\"price\":1,\"size\":1,\"id\":1}", "ts"},
        {"{\"symbol\":\"A\",\"ts\":1,\"price\":-1,\"size\":1,\"id\":1}", "price"},
        {"{\"symbol\":\"A\",\"ts\":1,\"price\":\"1\",\"size\":1,\"id\":1}", "price"},
        {"{\"symbol\":\"A\",\"ts\":1,\"price\":1,\"size\":0,\"id\":1}", "size"},
        {"{\"symbol\":\"A\",\"ts\":1,\"price\":1,\"size\":1}", "id"},
        {"{\"symbol\":\"\",\"ts\":1,\"price\":1,\"size\":1,\"id\":1}", "symbol"},
        {"{\"symbol\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"ts\":1,\"price\":1,\"size\":1,"
         "\"id\":1}",
         "symbol"},
        {"[1,2]", "object"},
        {"not json", "JSON"},
        /* Invalid UTF-8 in a string (RFC 8259): rejected, naming the byte offset. */
        {"{\"symbol\":\"A\xff\",\"ts\":1,\"price\":1,\"size\":1,\"id\":1}", "at byte 12"},
        {"{\"symbol\":\"A\",\"ts\":1,\"price\":1,\"size\":1,\"id\":1,\"venue\":\"\xc3(\"}",
         "UTF-8"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        trade t;
        char err[256] = "";
        CHECK(trade_decode_json(cases[i].json, strlen(cases[i].json), &t, err, sizeof(err)) == -1);
        if (!strstr(err, cases[i].needle))
            fprintf(stderr, "  case %zu: '%s' lacks '%s'\n", i, err, cases[i].needle);
        CHECK(strstr(err, cases[i].needle) != NULL);
    }
}

/* The codecs carry any value; the processor and the sink refuse event times
 * outside 1800-2200, prices above 1e12 and sizes above 1e15: a trade at ts
 * INT64_MIN moved a watermark to 2262, and 1e300 * 1e10 was an infinite
 * turnover. */
static void test_range_checks(void)
{
    const struct {
        const char *json, *needle; /* NULL: in range */
    } cases[] = {
        {"{\"symbol\":\"A\",\"ts\":-9223372036854775808,\"price\":1,\"size\":1,\"id\":1}",
         "outside 1800-01-01 to 2200-01-01"},
        {"{\"symbol\":\"A\",\"ts\":7258118400000000001,\"price\":1,\"size\":1,\"id\":1}",
         "outside"},
        {"{\"symbol\":\"A\",\"ts\":7258118400000000000,\"price\":1,\"size\":1,\"id\":1}", NULL},
        {"{\"symbol\":\"A\",\"ts\":-5364662400000000000,\"price\":1,\"size\":1,\"id\":1}", NULL},
        {"{\"symbol\":\"A\",\"ts\":1,\"price\":1e300,\"size\":1,\"id\":1}", "price"},
        {"{\"symbol\":\"A\",\"ts\":1,\"price\":1e12,\"size\":1000000000000000,\"id\":1}", NULL},
        {"{\"symbol\":\"A\",\"ts\":1,\"price\":1,\"size\":1000000000000001,\"id\":1}", "size"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        trade t;
        char err[256] = "";
        CHECK(trade_decode_json(cases[i].json, strlen(cases[i].json), &t, err, sizeof(err)) == 0);
        int rc = trade_check_range(&t, err, sizeof(err));
        CHECK_EQ_INT(rc, cases[i].needle ? -1 : 0);
        if (cases[i].needle)
            CHECK(strstr(err, cases[i].needle) != NULL);
    }
    quote q = {.symbol = "A", .ts = INT64_MIN, .bid = 1, .ask = 2};
    char err[256];
    CHECK_EQ_INT(quote_check_range(&q, err, sizeof(err)), -1);
    q.ts = 0;
    CHECK_EQ_INT(quote_check_range(&q, err, sizeof(err)), 0);
}

static void test_optional_fields_and_unknown_members(void)
{
    const char *j = "{\"symbol\":\"X\",\"ts\":-5,\"price\":1e2,\"size\":7,\"id\":-1,\"extra\":[1]}";
    trade t;
    char err[256];
    CHECK(trade_decode_json(j, strlen(j), &t, err, sizeof(err)) == 0);
    CHECK_EQ_STR(t.symbol, "X");
    CHECK_EQ_INT(t.ts, -5);
    CHECK(t.price == 100.0);
    CHECK_EQ_STR(t.venue, "");
}

static const trade sample_trade = {.symbol = "AAPL",
                                   .ts = 0x0102030405060708LL,
                                   .price = 189.5,
                                   .size = 100,
                                   .id = 42,
                                   .venue = "XSIM",
                                   .source = "sim"};

/* The binary layout, byte by byte, as docs/DATA.md documents it. */
static void test_binary_trade_layout(void)
{
    buf b = {0};
    trade_encode_binary(&sample_trade, &b);
    CHECK_EQ_INT(b.len, 40 + 4 + 4 + 3);
    const unsigned char *p = (const unsigned char *)b.data;
    const unsigned char head[] = {0xB7,
                                  1,
                                  'T',
                                  4,
                                  4,
                                  3,
                                  0,
                                  0,
                                  /* ts, little-endian */ 8,
                                  7,
                                  6,
                                  5,
                                  4,
                                  3,
                                  2,
                                  1};
    CHECK(memcmp(p, head, sizeof(head)) == 0);
    /* 189.5 = 0x4067B00000000000 */
    const unsigned char price[] = {0, 0, 0, 0, 0, 0xB0, 0x67, 0x40};
    CHECK(memcmp(p + 16, price, 8) == 0);
    CHECK(p[24] == 100 && p[25] == 0 && p[32] == 42 && p[39] == 0);
    CHECK(memcmp(p + 40, "AAPLXSIMsim", 11) == 0);
    trade u;
    char err[256];
    CHECK(trade_decode_binary(b.data, b.len, &u, err, sizeof(err)) == 0);
    CHECK(memcmp(&sample_trade, &u, sizeof(u)) == 0);
    /* trade_decode tells the encodings apart by the first byte. */
    CHECK(trade_decode(b.data, b.len, &u, err, sizeof(err)) == 0);
    CHECK(memcmp(&sample_trade, &u, sizeof(u)) == 0);
    buf_reset(&b);
    trade_encode_json(&sample_trade, &b);
    CHECK(!tick_is_binary(b.data, b.len));
    CHECK(trade_decode(b.data, b.len, &u, err, sizeof(err)) == 0);
    CHECK(memcmp(&sample_trade, &u, sizeof(u)) == 0);
    buf_release(&b);
}

static void test_binary_round_trip_extremes(void)
{
    trade t = {.symbol = "SYMBOL_OF_THIRTY_ONE_BYTES_XXXX",
               .ts = INT64_MIN,
               .price = 5e-324,
               .size = INT64_MAX,
               .id = -1};
    strcpy(t.venue, "VENUE_15_BYTES_");
    buf b = {0};
    trade_encode_binary(&t, &b);
    trade u;
    char err[256];
    CHECK(trade_decode_binary(b.data, b.len, &u, err, sizeof(err)) == 0);
    CHECK(memcmp(&t, &u, sizeof(u)) == 0);
    buf_release(&b);
}

/* Expects decoding to fail with a reason containing needle. */
static void expect_reject(const unsigned char *p, size_t n, const char *needle)
{
    trade t;
    char err[256] = "";
    CHECK(trade_decode(p, n, &t, err, sizeof(err)) == -1);
    if (!strstr(err, needle))
        fprintf(stderr, "  '%s' lacks '%s'\n", err, needle);
    CHECK(strstr(err, needle) != NULL);
}

static void test_binary_rejects(void)
{
    buf b = {0};
    trade_encode_binary(&sample_trade, &b);
    unsigned char r[128];
    size_t n = b.len;
    memcpy(r, b.data, n);
    unsigned char m[128];
#define MUT(i, v) (memcpy(m, r, n), m[i] = (v), m)
    expect_reject(MUT(1, 2), n, "version 2 is not supported");
    expect_reject(MUT(1, 0), n, "version 0 is not supported");
    expect_reject(MUT(2, 'Q'), n, "a quote, not a trade");
    expect_reject(MUT(2, 'Z'), n, "unknown kind");
    expect_reject(MUT(3, 0), n, "symbol length");
    expect_reject(MUT(3, 32), n, "symbol length");
    expect_reject(MUT(4, 16), n, "venue or source length");
    expect_reject(MUT(6, 1), n, "reserved");
    expect_reject(MUT(3, 5), n, "expected");
    expect_reject(MUT(41, 0), n, "NUL");
    expect_reject(MUT(41, 0xFF), n, "not valid UTF-8"); /* the lake's strings are UTF-8 */
    expect_reject(MUT(23, 0xC0), n, "price");           /* negative */
    MUT(23, 0x7F);
    m[22] = 0xFF; /* 0x7FFFB0...: NaN */
    expect_reject(m, n, "price");
    expect_reject(MUT(24, 0), n, "size");
#undef MUT
    expect_reject(r, n - 1, "expected");
    expect_reject(r, 5, "header");
    expect_reject(r, 1, "header");
    r[n] = 'x';
    expect_reject(r, n + 1, "expected");
    buf_release(&b);
}

static void test_quotes_both_encodings(void)
{
    quote q = {.symbol = "MSFT",
               .ts = 1764115200123456789LL,
               .bid = 412.36,
               .bid_size = 300,
               .ask = 412.38,
               .ask_size = 0,
               .id = 7,
               .venue = "XSIM",
               .source = "sim"};
    buf b = {0};
    quote_encode_json(&q, &b);
    CHECK_EQ_STR(b.data, "{\"symbol\":\"MSFT\",\"ts\":1764115200123456789,\"bid\":412.36,"
                         "\"bid_size\":300,\"ask\":412.38,\"ask_size\":0,\"id\":7,"
                         "\"venue\":\"XSIM\",\"source\":\"sim\"}");
    quote u;
    trade t;
    char err[256];
    CHECK(quote_decode(b.data, b.len, &u, err, sizeof(err)) == 0);
    CHECK(memcmp(&q, &u, sizeof(q)) == 0);
    /* A JSON quote is not a trade: it has no price. */
    CHECK(trade_decode(b.data, b.len, &t, err, sizeof(err)) == -1);
    CHECK(strstr(err, "price") != NULL);
    buf_reset(&b);
    quote_encode_binary(&q, &b);
    CHECK_EQ_INT(b.len, 56 + 4 + 4 + 3);
    CHECK((unsigned char)b.data[2] == 'Q');
    CHECK(quote_decode(b.data, b.len, &u, err, sizeof(err)) == 0);
    CHECK(memcmp(&q, &u, sizeof(q)) == 0);
    CHECK(trade_decode(b.data, b.len, &t, err, sizeof(err)) == -1);
    CHECK(strstr(err, "a quote, not a trade") != NULL);
    buf_reset(&b);
    trade_encode_binary(&sample_trade, &b);
    CHECK(quote_decode(b.data, b.len, &u, err, sizeof(err)) == -1);
    CHECK(strstr(err, "a trade, not a quote") != NULL);
    const char *bad[] = {
        "{\"symbol\":\"A\",\"ts\":1,\"bid\":0,\"bid_size\":1,\"ask\":1,\"ask_size\":1,\"id\":1}",
        "{\"symbol\":\"A\",\"ts\":1,\"bid\":1,\"bid_size\":-1,\"ask\":1,\"ask_size\":1,\"id\":1}",
        "{\"symbol\":\"A\",\"ts\":1,\"bid\":1,\"bid_size\":1,\"ask_size\":1,\"id\":1}",
        "{\"symbol\":\"A\",\"ts\":1,\"bid\":1,\"bid_size\":1,\"ask\":1,\"ask_size\":1}",
        "{\"ts\":1,\"bid\":1,\"bid_size\":1,\"ask\":1,\"ask_size\":1,\"id\":1}"};
    const char *needles[] = {"'bid'", "'bid_size'", "'ask'", "'id'", "'symbol'"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(quote_decode(bad[i], strlen(bad[i]), &u, err, sizeof(err)) == -1);
        CHECK(strstr(err, needles[i]) != NULL);
    }
    tick_encoding e;
    CHECK(tick_encoding_parse("binary", &e) == 0 && e == TICK_BINARY);
    CHECK(tick_encoding_parse("json", &e) == 0 && e == TICK_JSON);
    CHECK(tick_encoding_parse("avro", &e) == -1);
    buf_release(&b);
}

TEST_MAIN(TEST(test_round_trip), TEST(test_rejects_bad_records), TEST(test_range_checks),
          TEST(test_optional_fields_and_unknown_members), TEST(test_binary_trade_layout),
          TEST(test_binary_round_trip_extremes), TEST(test_binary_rejects),
          TEST(test_quotes_both_encodings))
