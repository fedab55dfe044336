/* Unit tests for tick.c: the trades topic's JSON contract. */
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

TEST_MAIN(TEST(test_round_trip), TEST(test_rejects_bad_records),
          TEST(test_optional_fields_and_unknown_members))
