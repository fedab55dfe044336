/* Unit tests for index_daily.c: the index daily record's JSON encoding, its
 * round trip, and the records the decoder refuses. */
#include "index_daily.h"
#include "testlib.h"
#include "util.h"

static void test_daily_json(void)
{
    index_daily d = {.index = "HSI",
                     .open = 1.5,
                     .high = 2,
                     .low = 1,
                     .close = 1.75,
                     .has_adj_close = true,
                     .adj_close = 1.75,
                     .has_volume = false,
                     .has_close_usd = true,
                     .close_usd = 0.1 + 0.2,
                     .region = "Hong Kong",
                     .exchange = "Hong Kong Stock Exchange",
                     .currency = "HKD"};
    d.date_ns = 536544000000000000; /* 1987-01-02 */
    lake_date(d.date_ns, d.date);
    buf b = {0};
    index_daily_encode_json(&d, &b);
    CHECK_EQ_STR(b.data, "{\"index\":\"HSI\",\"date\":\"1987-01-02\",\"ts\":536544000000000000,"
                         "\"open\":1.5,\"high\":2,\"low\":1,\"close\":1.75,\"adj_close\":1.75,"
                         "\"volume\":null,\"close_usd\":0.30000000000000004,\"region\":\"Hong "
                         "Kong\",\"exchange\":\"Hong Kong Stock Exchange\",\"currency\":\"HKD\"}");
    index_daily e;
    char err[256];
    CHECK(index_daily_decode_json(b.data, b.len, &e, err, sizeof(err)) == 0);
    CHECK(memcmp(&d, &e, sizeof(d)) == 0);
    buf_release(&b);
    const char *bad[] = {
        "[]",
        "{\"ts\":0,\"open\":1,\"high\":1,\"low\":1,\"close\":1}",
        "{\"index\":\"A\",\"ts\":1,\"open\":1,\"high\":1,\"low\":1,\"close\":1}",
        "{\"index\":\"A\",\"ts\":0,\"open\":1,\"high\":1,\"low\":2,\"close\":1}",
        "{\"index\":\"A\",\"ts\":0,\"open\":1,\"high\":1,\"low\":1}",
        "{\"index\":\"A\",\"ts\":0,\"open\":1,\"high\":1,\"low\":1,\"close\":1,\"volume\":-1}",
        "{\"index\":\"A\",\"ts\":0,\"open\":1,\"high\":1,\"low\":1,\"close\":1,\"adj_close\":0}",
        "{\"index\":\"A\",\"ts\":0,\"open\":1,\"high\":1,\"low\":1,\"close\":1,\"currency\":1}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(index_daily_decode_json(bad[i], strlen(bad[i]), &e, err, sizeof(err)) == -1);
    const char *minimal = "{\"index\":\"A\",\"ts\":0,\"open\":1,\"high\":1,\"low\":1,\"close\":1}";
    CHECK(index_daily_decode_json(minimal, strlen(minimal), &e, err, sizeof(err)) == 0);
    CHECK(!e.has_volume && !e.has_adj_close && !e.has_close_usd && e.region[0] == '\0');
    CHECK_EQ_STR(e.date, "1970-01-01");
}

TEST_MAIN(TEST(test_daily_json))
