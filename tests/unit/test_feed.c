/* test_feed.c - the live providers' codecs (feed.h) on messages shaped as
 * each provider documents them, and the exact decimals. */
#include <stdint.h>
#include <string.h>

#include "bar.h"
#include "feed.h"
#include "testlib.h"
#include "tick.h"

/* The record's JSON for trade i of m. */
static void record_json(const feed_msg *m, size_t i, buf *out)
{
    buf_reset(out);
    trade_encode_json_detail(&m->trades[i], &m->details[i], out);
    buf_putc(out, '\0');
}

static int decode(feed_provider p, const char *s, feed_msg *m)
{
    char err[256];
    return feed_decode(p, s, strlen(s), 1700000000123456789, m, err, sizeof(err));
}

static void test_decimal(void)
{
    int64_t m;
    int sc;
    char err[128];
    CHECK(feed_decimal_parse("97012.34000000", 14, &m, &sc, err, sizeof(err)) == 0);
    CHECK_EQ_INT(m, 9701234000000);
    CHECK_EQ_INT(sc, 8);
    CHECK(feed_decimal_parse("0.00000001", 10, &m, &sc, err, sizeof(err)) == 0);
    CHECK_EQ_INT(m, 1);
    CHECK_EQ_INT(sc, 8);
    CHECK(feed_decimal_parse("123456789012345678", 18, &m, &sc, err, sizeof(err)) == 0);
    CHECK(feed_decimal_parse("1234567890123456789", 19, &m, &sc, err, sizeof(err)) == -1);
    CHECK(strstr(err, "18 significant") != NULL);
    /* Trailing zeros change no value: those past 18 digits are dropped, not refused. */
    CHECK(feed_decimal_parse("12345678901.00000000", 20, &m, &sc, err, sizeof(err)) == 0);
    CHECK_EQ_INT(m, 123456789010000000);
    CHECK_EQ_INT(sc, 7);
    CHECK(feed_decimal_parse("1.000000000000000000000", 23, &m, &sc, err, sizeof(err)) == 0);
    CHECK(m == 100000000000000000 && sc == 17);
    CHECK(feed_decimal_parse("-2.50", 5, &m, &sc, err, sizeof(err)) == 0);
    CHECK(m == -250 && sc == 2); /* kept as written while they fit */
    CHECK(feed_decimal_parse("1.0000000000000000001", 21, &m, &sc, err, sizeof(err)) == -1);
    CHECK(feed_decimal_parse("10.05", 5, &m, &sc, err, sizeof(err)) == 0);
    CHECK(m == 1005 && sc == 2);
    CHECK(feed_decimal_parse("0.0", 3, &m, &sc, err, sizeof(err)) == 0);
    CHECK(m == 0 && sc == 1);
    CHECK(feed_decimal_parse("1e5", 3, &m, &sc, err, sizeof(err)) == -1);
    CHECK(feed_decimal_parse("1.", 2, &m, &sc, err, sizeof(err)) == -1);
    CHECK(feed_decimal_parse(".5", 2, &m, &sc, err, sizeof(err)) == -1);
    CHECK(feed_decimal_parse("", 0, &m, &sc, err, sizeof(err)) == -1);
    CHECK(feed_decimal_from_double(0.1, &m, &sc, err, sizeof(err)) == 0);
    CHECK_EQ_INT(m, 1);
    CHECK_EQ_INT(sc, 1);
    CHECK(feed_decimal_from_double(1e-7, &m, &sc, err, sizeof(err)) == 0);
    CHECK_EQ_INT(m, 1);
    CHECK_EQ_INT(sc, 7);
    CHECK(feed_decimal_from_double(123456.789012345, &m, &sc, err, sizeof(err)) == 0);
    CHECK_EQ_INT(m, 123456789012345);
    CHECK_EQ_INT(sc, 9);
    int64_t lots;
    CHECK(feed_decimal_rescale(1, 2, 8, &lots) == 0); /* 0.01 */
    CHECK_EQ_INT(lots, 1000000);
    CHECK(feed_decimal_rescale(123, 9, 8, &lots) == -1); /* 1.23e-7 needs 9 decimals */
    CHECK(feed_decimal_rescale(1230, 9, 8, &lots) == 0);
    CHECK_EQ_INT(lots, 123);
}

static void test_rfc3339(void)
{
    int64_t ns;
    int prec;
    const char *s = "2024-06-14T19:55:00.123456789Z";
    CHECK(feed_parse_rfc3339(s, strlen(s), &ns, &prec) == 0);
    CHECK_EQ_INT(ns, 1718394900123456789);
    CHECK_EQ_INT(prec, 9);
    s = "2024-06-14T19:55:00.123456Z";
    CHECK(feed_parse_rfc3339(s, strlen(s), &ns, &prec) == 0);
    CHECK_EQ_INT(ns, 1718394900123456000);
    CHECK_EQ_INT(prec, 6);
    s = "2024-06-14T15:55:00-04:00";
    CHECK(feed_parse_rfc3339(s, strlen(s), &ns, &prec) == 0);
    CHECK_EQ_INT(ns, 1718394900000000000);
    CHECK_EQ_INT(prec, 0);
    s = "2024-02-30T00:00:00Z";
    CHECK(feed_parse_rfc3339(s, strlen(s), &ns, &prec) == -1);
    s = "2024-06-14 19:55:00Z";
    CHECK(feed_parse_rfc3339(s, strlen(s), &ns, &prec) == -1);
    s = "1012-06-14T19:55:00Z"; /* before the epoch: ns would overflow (found by fuzz_feed) */
    CHECK(feed_parse_rfc3339(s, strlen(s), &ns, &prec) == -1);
    s = "2024-06-14T19:55:00.Z";
    CHECK(feed_parse_rfc3339(s, strlen(s), &ns, &prec) == -1);
}

static void test_symbols(void)
{
    char out[32];
    CHECK(feed_symbol_normalise(FEED_BINANCE, "BTCUSDT", out, sizeof(out)) == 0);
    CHECK_EQ_STR(out, "BTC-USDT");
    CHECK(feed_symbol_normalise(FEED_KRAKEN, "XBT/USD", out, sizeof(out)) == 0);
    CHECK_EQ_STR(out, "BTC-USD");
    CHECK(feed_symbol_normalise(FEED_KRAKEN, "BTC/USD", out, sizeof(out)) == 0);
    CHECK_EQ_STR(out, "BTC-USD");
    CHECK(feed_symbol_normalise(FEED_COINBASE, "btc-usd", out, sizeof(out)) == 0);
    CHECK_EQ_STR(out, "BTC-USD");
    CHECK(feed_symbol_normalise(FEED_FINNHUB, "BINANCE:BTCUSDT", out, sizeof(out)) == 0);
    CHECK_EQ_STR(out, "BTC-USDT");
    CHECK(feed_symbol_normalise(FEED_FINNHUB, "AAPL", out, sizeof(out)) == 0);
    CHECK_EQ_STR(out, "AAPL");
    CHECK(feed_symbol_normalise(FEED_KRAKEN, "BTCUSD", out, sizeof(out)) == -1);
    CHECK(feed_symbol_normalise(FEED_BINANCE, "BTC\"X", out, sizeof(out)) == -1);
    CHECK(feed_symbol_for_provider(FEED_BINANCE, "BTC-USDT", out, sizeof(out)) == 0);
    CHECK_EQ_STR(out, "btcusdt");
    CHECK(feed_symbol_for_provider(FEED_KRAKEN, "BTC-USD", out, sizeof(out)) == 0);
    CHECK_EQ_STR(out, "BTC/USD");
    CHECK(feed_symbol_for_provider(FEED_COINBASE, "AAPL", out, sizeof(out)) == -1);
}

static void test_subscribe(void)
{
    const char *syms[] = {"BTC-USD", "ETH-USD"};
    buf b;
    buf_init(&b);
    char err[256];
    CHECK(feed_subscribe_messages(FEED_COINBASE, syms, 2, 1, 0, &b, err, sizeof(err)) == 0);
    buf_putc(&b, '\0');
    CHECK_EQ_STR(b.data, "{\"type\":\"subscribe\",\"product_ids\":[\"BTC-USD\",\"ETH-USD\"],"
                         "\"channels\":[\"matches\",\"heartbeat\"]}\n");
    buf_reset(&b);
    CHECK(feed_subscribe_messages(FEED_KRAKEN, syms, 2, 7, 0, &b, err, sizeof(err)) == 0);
    buf_putc(&b, '\0');
    CHECK_EQ_STR(b.data, "{\"method\":\"subscribe\",\"params\":{\"channel\":\"trade\",\"symbol\":"
                         "[\"BTC/USD\",\"ETH/USD\"],\"snapshot\":true},\"req_id\":7}\n");
    buf_reset(&b);
    const char *usdt[] = {"BTC-USDT"};
    CHECK(feed_subscribe_messages(FEED_BINANCE, usdt, 1, 3, 0, &b, err, sizeof(err)) == 0);
    buf_putc(&b, '\0');
    CHECK_EQ_STR(b.data, "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@trade\"],\"id\":3}\n");
    buf_reset(&b);
    const char *stocks[] = {"AAPL", "MSFT"};
    CHECK(feed_subscribe_messages(FEED_FINNHUB, stocks, 2, 1, 0, &b, err, sizeof(err)) == 0);
    buf_putc(&b, '\0');
    CHECK_EQ_STR(b.data, "{\"type\":\"subscribe\",\"symbol\":\"AAPL\"}\n"
                         "{\"type\":\"subscribe\",\"symbol\":\"MSFT\"}\n");
    buf_reset(&b);
    CHECK(feed_subscribe_messages(FEED_POLYGON, stocks, 2, 1, 0, &b, err, sizeof(err)) == 0);
    buf_putc(&b, '\0');
    CHECK_EQ_STR(b.data, "{\"action\":\"subscribe\",\"params\":\"T.AAPL,T.MSFT\"}\n");
    buf_reset(&b);
    CHECK(feed_subscribe_messages(FEED_ALPACA, stocks, 2, 1, 0, &b, err, sizeof(err)) == 0);
    buf_putc(&b, '\0');
    CHECK_EQ_STR(b.data, "{\"action\":\"subscribe\",\"trades\":[\"AAPL\",\"MSFT\"]}\n");
    buf_reset(&b);
    CHECK(feed_subscribe_messages(FEED_ALPACA, stocks, 2, 1, 1, &b, err, sizeof(err)) == 0);
    buf_putc(&b, '\0');
    CHECK_EQ_STR(b.data, "{\"action\":\"subscribe\",\"trades\":[\"AAPL\",\"MSFT\"],\"quotes\":"
                         "[\"AAPL\",\"MSFT\"]}\n");
    buf_reset(&b);
    CHECK(feed_subscribe_messages(FEED_POLYGON, stocks, 2, 1, 1, &b, err, sizeof(err)) == 0);
    buf_putc(&b, '\0');
    CHECK_EQ_STR(b.data, "{\"action\":\"subscribe\",\"params\":\"T.AAPL,Q.AAPL,T.MSFT,Q.MSFT\"}\n");
    buf_reset(&b);
    feed_auth_message(FEED_ALPACA, "K\"1", "S", &b);
    buf_putc(&b, '\0');
    CHECK_EQ_STR(b.data, "{\"action\":\"auth\",\"key\":\"K\\\"1\",\"secret\":\"S\"}");
    buf_reset(&b);
    CHECK(feed_subscribe_messages(FEED_COINBASE, stocks, 1, 1, 0, &b, err, sizeof(err)) == -1);
    CHECK(strstr(err, "AAPL") != NULL);
    buf_release(&b);
}

static void test_coinbase(void)
{
    feed_msg m;
    feed_msg_init(&m);
    buf j;
    buf_init(&j);
    CHECK(decode(FEED_COINBASE,
                 "{\"type\":\"match\",\"trade_id\":10,\"maker_order_id\":\"ac928c66\","
                 "\"taker_order_id\":\"132fb6ae\",\"side\":\"sell\",\"size\":\"0.00123400\","
                 "\"price\":\"97012.34\",\"product_id\":\"BTC-USD\",\"sequence\":50,"
                 "\"time\":\"2024-06-14T19:55:00.123456Z\"}",
                 &m) == 0);
    CHECK_EQ_INT(m.ntrades, 1);
    CHECK_EQ_STR(m.trades[0].symbol, "BTC-USD");
    CHECK_EQ_INT(m.trades[0].id, 10);
    /* As many digits as decimals, past 2^53: the slow path (it was ten
     * times too small). */
    static const struct {
        const char *price;
        double want;
    } slow[] = {{"0.9876543210987654", 0.9876543210987654},
                {"0.009876543210987654", 0.009876543210987654}};
    feed_msg m2;
    feed_msg_init(&m2);
    for (size_t k = 0; k < sizeof(slow) / sizeof(slow[0]); k++) {
        char frame[256];
        snprintf(frame, sizeof(frame),
                 "{\"type\":\"match\",\"trade_id\":%zu,\"side\":\"sell\",\"size\":\"1\","
                 "\"price\":\"%s\",\"product_id\":\"BTC-USD\","
                 "\"time\":\"2024-06-14T19:55:00.123456Z\"}",
                 11 + k, slow[k].price);
        CHECK(decode(FEED_COINBASE, frame, &m2) == 0);
        CHECK_EQ_INT(m2.ntrades, 1);
        CHECK(m2.trades[0].price == slow[k].want);
    }
    feed_msg_release(&m2);
    CHECK_EQ_INT(m.trades[0].size, 123400);
    CHECK_EQ_INT(m.trades[0].ts, 1718394900123456000);
    CHECK(m.trades[0].price == 97012.34);
    CHECK_EQ_INT(m.details[0].side, 'B'); /* a sell maker: a buyer took it */
    CHECK_EQ_INT(m.details[0].seq, 50);
    record_json(&m, 0, &j);
    CHECK_EQ_STR(j.data, "{\"symbol\":\"BTC-USD\",\"ts\":1718394900123456000,\"price\":97012.34,"
                         "\"size\":123400,\"id\":10,\"venue\":\"COINBASE\",\"source\":"
                         "\"coinbase\",\"recv_ts\":1700000000123456789,\"ts_prec\":6,"
                         "\"size_scale\":8,\"seq\":50,\"side\":\"buy\",\"trade_id\":\"10\","
                         "\"raw_symbol\":\"BTC-USD\"}");
    /* The record decodes back, the detail included. */
    trade t;
    trade_detail d;
    char err[256];
    CHECK(trade_decode_json_detail(j.data, j.len - 1, &t, &d, err, sizeof(err)) == 0);
    CHECK_EQ_INT(d.size_scale, 8);
    CHECK_EQ_INT(d.side, 'B');
    CHECK_EQ_STR(d.trade_id, "10");
    CHECK(decode(FEED_COINBASE,
                 "{\"type\":\"heartbeat\",\"sequence\":90,\"last_trade_id\":20,"
                 "\"product_id\":\"BTC-USD\",\"time\":\"2024-06-14T19:55:01.000000Z\"}",
                 &m) == 0);
    CHECK(m.heartbeat);
    CHECK_EQ_INT(m.hb_last_trade_id, 20);
    CHECK_EQ_STR(m.hb_symbol, "BTC-USD");
    CHECK(decode(FEED_COINBASE,
                 "{\"type\":\"subscriptions\",\"channels\":[{\"name\":\"matches\","
                 "\"product_ids\":[\"BTC-USD\"]}]}",
                 &m) == 0);
    CHECK(m.subscribed);
    CHECK(decode(FEED_COINBASE,
                 "{\"type\":\"error\",\"message\":\"Failed to subscribe\",\"reason\":\"FOO-BAR "
                 "is not a valid product\"}",
                 &m) == 0);
    CHECK(m.error && m.fatal);
    CHECK(strstr(m.error_text, "FOO-BAR is not a valid product") != NULL);
    /* The errors Coinbase sends as it disconnects a client are retried, not
     * fatal: a slow reader would otherwise end the run. */
    CHECK(decode(FEED_COINBASE, "{\"type\":\"error\",\"message\":\"ErrSlowConsume\"}", &m) == 0);
    CHECK(m.error && !m.fatal);
    CHECK(strstr(m.error_text, "ErrSlowConsume") != NULL);
    CHECK(decode(FEED_COINBASE, "{\"type\":\"error\",\"message\":\"Message too big\"}", &m) == 0);
    CHECK(m.error && !m.fatal);
    /* A size finer than a lot is rejected, not rounded. */
    CHECK(decode(FEED_COINBASE,
                 "{\"type\":\"match\",\"trade_id\":11,\"side\":\"buy\",\"size\":\"0.000000001\","
                 "\"price\":\"1\",\"product_id\":\"BTC-USD\",\"time\":\"2024-06-14T19:55:00Z\"}",
                 &m) == 0);
    CHECK_EQ_INT(m.ntrades, 0);
    CHECK_EQ_INT(m.bad, 1);
    CHECK(strstr(m.bad_reason, "8 decimals") != NULL);
    char e2[256];
    CHECK(feed_decode(FEED_COINBASE, "[1]", 3, 0, &m, e2, sizeof(e2)) == -1);
    CHECK(feed_decode(FEED_COINBASE, "{\"x\":1}", 7, 0, &m, e2, sizeof(e2)) == -1);
    CHECK(feed_decode(FEED_COINBASE, "{\"type\":", 8, 0, &m, e2, sizeof(e2)) == -1);
    buf_release(&j);
    feed_msg_release(&m);
}

static void test_binance(void)
{
    feed_msg m;
    feed_msg_init(&m);
    buf j;
    buf_init(&j);
    CHECK(decode(FEED_BINANCE,
                 "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1718394900124,"
                 "\"s\":\"BTCUSDT\",\"t\":3612345678,\"p\":\"66001.01000000\",\"q\":"
                 "\"0.00300000\",\"T\":1718394900123,\"m\":true,\"M\":true}}",
                 &m) == 0);
    CHECK_EQ_INT(m.ntrades, 1);
    CHECK_EQ_STR(m.trades[0].symbol, "BTC-USDT");
    CHECK_EQ_INT(m.trades[0].size, 300000);
    CHECK_EQ_INT(m.trades[0].ts, 1718394900123000000);
    CHECK_EQ_INT(m.details[0].side, 'S');
    record_json(&m, 0, &j);
    /* Every digit of the price string is in the record. */
    CHECK(strstr(j.data, "\"price\":66001.01000000,") != NULL);
    /* Above the size limit (as Binance's PEPE trades can be): bad, its id noted. */
    CHECK(decode(FEED_BINANCE,
                 "{\"stream\":\"pepeusdt@trade\",\"data\":{\"e\":\"trade\",\"s\":\"PEPEUSDT\","
                 "\"t\":2,\"p\":\"0.00001\",\"q\":\"81000000.00\",\"T\":1718394900123,\"m\":true}}",
                 &m) == 0);
    CHECK(m.ntrades == 0 && m.bad == 1 && m.nrejected == 1 && m.rejected[0].id == 2);
    CHECK_EQ_STR(m.rejected[0].symbol, "PEPE-USDT");
    CHECK(decode(FEED_BINANCE, "{\"result\":null,\"id\":1}", &m) == 0);
    CHECK(m.subscribed);
    CHECK(decode(FEED_BINANCE, "{\"e\":\"serverShutdown\",\"E\":1718394900124}", &m) == 0);
    CHECK(m.shutdown);
    CHECK(decode(FEED_BINANCE,
                 "{\"error\":{\"code\":2,\"msg\":\"Invalid request: unknown stream\"},\"id\":1}",
                 &m) == 0);
    CHECK(m.error && m.fatal);
    CHECK(decode(FEED_BINANCE,
                 "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"abc\",\"q\":\"1\","
                 "\"T\":1,\"m\":false}",
                 &m) == 0);
    CHECK_EQ_INT(m.bad, 1);
    buf_release(&j);
    feed_msg_release(&m);
}

/* A size above the trade record's range (10^15 lots: 10^7 units at
 * size_scale 8) is a bad trade with its reason, not a published one: the
 * processor and the sink hold trades to trade_check_range and dropped such a
 * trade after ingest had it acknowledged (Binance PEPEUSDT "q":"81000000.00",
 * about $1,000, is 8.1 * 10^15 lots). The largest size accepted passes every
 * check downstream, and a bar of it has that volume and the trade's vwap. */
static void test_size_limit(void)
{
    feed_msg m;
    feed_msg_init(&m);
    buf j;
    buf_init(&j);
    CHECK(decode(FEED_BINANCE,
                 "{\"e\":\"trade\",\"E\":1718394900124,\"s\":\"PEPEUSDT\",\"t\":2,"
                 "\"p\":\"0.00001234\",\"q\":\"81000000.00\",\"T\":1718394900123,\"m\":true}",
                 &m) == 0);
    CHECK_EQ_INT(m.ntrades, 0);
    CHECK_EQ_INT(m.bad, 1);
    CHECK(strstr(m.bad_reason, "PEPE-USDT") != NULL);
    CHECK(strstr(m.bad_reason, "10^15 lots (10^7 units at size_scale 8") != NULL);
    /* 10^7 coins exactly: 10^15 lots, the limit, accepted. */
    CHECK(decode(FEED_BINANCE,
                 "{\"e\":\"trade\",\"E\":1718394900124,\"s\":\"PEPEUSDT\",\"t\":3,"
                 "\"p\":\"0.00001234\",\"q\":\"10000000.00\",\"T\":1718394900123,\"m\":true}",
                 &m) == 0);
    CHECK_EQ_INT(m.bad, 0);
    CHECK_EQ_INT(m.ntrades, 1);
    CHECK_EQ_INT(m.trades[0].size, TICK_SIZE_MAX);
    /* Downstream: the record decodes and is in range (the processor's and
     * the sink's check), and its bar holds it. */
    record_json(&m, 0, &j);
    trade t;
    char err[256];
    CHECK(trade_decode_json(j.data, strlen(j.data), &t, err, sizeof(err)) == 0);
    CHECK(trade_check_range(&t, err, sizeof(err)) == 0);
    bar b;
    bar_init(&b, &t, 60 * NS_PER_SEC, t.ts - t.ts % (60 * NS_PER_SEC));
    bar_add(&b, &t);
    CHECK_EQ_INT(b.volume, 2 * TICK_SIZE_MAX);
    CHECK_EQ_INT(b.trades, 2);
    CHECK(b.vwap == t.price);
    /* Stocks: 10^15 shares and more, the same. */
    CHECK(decode(FEED_POLYGON,
                 "[{\"ev\":\"T\",\"sym\":\"AAPL\",\"x\":4,\"i\":\"7\",\"z\":3,\"p\":189.5,"
                 "\"s\":2000000000000000,\"t\":1718394900123,\"q\":1}]",
                 &m) == 0);
    CHECK_EQ_INT(m.ntrades, 0);
    CHECK_EQ_INT(m.bad, 1);
    CHECK(strstr(m.bad_reason, "limit of 10^15 shares") != NULL);
    buf_release(&j);
    feed_msg_release(&m);
}

static void test_kraken(void)
{
    feed_msg m;
    feed_msg_init(&m);
    buf j;
    buf_init(&j);
    CHECK(decode(FEED_KRAKEN,
                 "{\"channel\":\"trade\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\","
                 "\"side\":\"sell\",\"price\":66001.1,\"qty\":0.00123456,\"ord_type\":\"market\","
                 "\"trade_id\":77,\"timestamp\":\"2024-06-14T19:55:00.123456Z\"},{\"symbol\":"
                 "\"BTC/USD\",\"side\":\"buy\",\"price\":66001.2,\"qty\":1,\"ord_type\":"
                 "\"limit\",\"trade_id\":78,\"timestamp\":\"2024-06-14T19:55:00.200000Z\"}]}",
                 &m) == 0);
    CHECK_EQ_INT(m.ntrades, 2);
    CHECK_EQ_INT(m.trades[0].size, 123456);
    CHECK_EQ_INT(m.trades[1].size, 100000000);
    CHECK_EQ_INT(m.trades[1].id, 78);
    CHECK_EQ_INT(m.details[0].side, 'S');
    CHECK_EQ_STR(m.details[0].conditions, "market");
    record_json(&m, 0, &j);
    CHECK(strstr(j.data, "\"price\":66001.1,") != NULL);
    /* A bad trade between two good ones: counted bad, and its id noted (it came: no gap). */
    CHECK(decode(FEED_KRAKEN,
                 "{\"channel\":\"trade\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\","
                 "\"price\":1,\"qty\":1,\"trade_id\":80,\"timestamp\":\"2024-06-14T19:55:00Z\"},"
                 "{\"symbol\":\"BTC/USD\",\"price\":-1,\"qty\":1,\"trade_id\":81,\"timestamp\":"
                 "\"2024-06-14T19:55:00Z\"},{\"symbol\":\"BTC/USD\",\"price\":1,\"qty\":1,"
                 "\"trade_id\":82,\"timestamp\":\"nope\"},{\"symbol\":\"BTC/USD\",\"price\":1,"
                 "\"qty\":1,\"trade_id\":83,\"timestamp\":\"2024-06-14T19:55:00Z\"}]}",
                 &m) == 0);
    CHECK_EQ_INT(m.ntrades, 2);
    CHECK_EQ_INT(m.bad, 2);
    CHECK_EQ_INT(m.nrejected, 2);
    CHECK(m.nrejected == 2 && m.rejected[0].id == 81 && m.rejected[0].before == 1 &&
          m.rejected[1].id == 82 && m.rejected[1].before == 1);
    CHECK_EQ_STR(m.rejected[0].symbol, "BTC-USD");
    CHECK(decode(FEED_KRAKEN, "{\"channel\":\"heartbeat\"}", &m) == 0);
    CHECK(m.heartbeat);
    CHECK_EQ_INT(m.nrejected, 0);
    CHECK(decode(FEED_KRAKEN,
                 "{\"method\":\"subscribe\",\"result\":{\"channel\":\"trade\",\"snapshot\":true,"
                 "\"symbol\":\"BTC/USD\"},\"success\":true,\"time_in\":\"2024-06-14T19:55:00."
                 "000000Z\",\"time_out\":\"2024-06-14T19:55:00.000100Z\",\"req_id\":1}",
                 &m) == 0);
    CHECK(m.subscribed);
    CHECK(decode(FEED_KRAKEN,
                 "{\"error\":\"Currency pair not supported FOO/BAR\",\"method\":\"subscribe\","
                 "\"success\":false,\"req_id\":1}",
                 &m) == 0);
    CHECK(m.error && m.fatal);
    CHECK(strstr(m.error_text, "FOO/BAR") != NULL);
    /* A rate limit is retried after the backoff, not fatal. */
    CHECK(decode(FEED_KRAKEN,
                 "{\"error\":\"Exceeded msg rate\",\"method\":\"subscribe\",\"success\":false,"
                 "\"req_id\":1}",
                 &m) == 0);
    CHECK(m.error && !m.fatal);
    CHECK(decode(FEED_KRAKEN,
                 "{\"channel\":\"status\",\"type\":\"update\",\"data\":[{\"system\":\"online\"}]}",
                 &m) == 0);
    CHECK_EQ_INT(m.skipped, 1);
    buf_release(&j);
    feed_msg_release(&m);
}

static void test_stocks(void)
{
    feed_msg m;
    feed_msg_init(&m);
    CHECK(decode(FEED_FINNHUB,
                 "{\"type\":\"trade\",\"data\":[{\"s\":\"AAPL\",\"p\":189.51,\"t\":1718394900123,"
                 "\"v\":100,\"c\":[\"1\",\"12\"]},{\"s\":\"AAPL\",\"p\":189.52,\"t\":"
                 "1718394900100,\"v\":0,\"c\":null}]}",
                 &m) == 0);
    CHECK_EQ_INT(m.ntrades, 1);
    CHECK_EQ_INT(m.skipped, 1); /* v 0: a price update */
    CHECK_EQ_INT(m.trades[0].size, 100);
    CHECK_EQ_STR(m.details[0].conditions, "1,12");
    int64_t id = m.trades[0].id;
    CHECK(decode(FEED_FINNHUB,
                 "{\"type\":\"trade\",\"data\":[{\"s\":\"AAPL\",\"p\":189.51,\"t\":1718394900123,"
                 "\"v\":100,\"c\":[\"1\",\"12\"]}]}",
                 &m) == 0);
    CHECK_EQ_INT(m.trades[0].id, id); /* the same trade replayed has the same id */
    CHECK(decode(FEED_FINNHUB, "{\"type\":\"ping\"}", &m) == 0);
    CHECK(m.heartbeat);
    /* Crypto: one instrument on two exchanges. The exchange is the venue, and equal trades on
     * the two are two trades (different ids), not one and a duplicate. */
    CHECK(decode(FEED_FINNHUB,
                 "{\"type\":\"trade\",\"data\":[{\"s\":\"BINANCE:BTCUSDT\",\"p\":97000.5,\"t\":"
                 "1718394900123,\"v\":0.5},{\"s\":\"COINBASE:BTC-USDT\",\"p\":97000.5,\"t\":"
                 "1718394900123,\"v\":0.5}]}",
                 &m) == 0);
    CHECK_EQ_INT(m.ntrades, 2);
    CHECK_EQ_STR(m.trades[0].symbol, "BTC-USDT");
    CHECK_EQ_STR(m.trades[1].symbol, "BTC-USDT");
    CHECK_EQ_STR(m.trades[0].venue, "BINANCE");
    CHECK_EQ_STR(m.trades[1].venue, "COINBASE");
    CHECK(m.trades[0].id != m.trades[1].id);

    CHECK(decode(FEED_ALPACA, "[{\"T\":\"success\",\"msg\":\"authenticated\"}]", &m) == 0);
    CHECK(m.auth_ok);
    CHECK(decode(FEED_ALPACA,
                 "[{\"T\":\"t\",\"S\":\"AAPL\",\"i\":52983525029461,\"x\":\"V\",\"p\":189.505,"
                 "\"s\":100,\"t\":\"2024-06-14T19:55:00.123456789Z\",\"c\":[\"@\",\"I\"],\"z\":"
                 "\"C\"},{\"T\":\"q\",\"S\":\"AAPL\",\"bx\":\"U\",\"bp\":189.5,\"bs\":1,"
                 "\"ax\":\"Q\",\"ap\":189.51,\"as\":4,\"t\":\"2024-06-14T19:55:00.2Z\",\"c\":"
                 "[\"R\"],\"z\":\"C\"},{\"T\":\"b\",\"S\":\"AAPL\"},{\"T\":\"q\",\"S\":\"AAPL\"}]",
                 &m) == 0);
    CHECK_EQ_INT(m.ntrades, 1);
    CHECK_EQ_INT(m.trades[0].ts, 1718394900123456789);
    CHECK_EQ_INT(m.details[0].ts_prec, 9);
    CHECK_EQ_STR(m.trades[0].venue, "V");
    CHECK_EQ_STR(m.details[0].conditions, "@,I");
    CHECK_EQ_INT(m.skipped, 1); /* the bar */
    CHECK_EQ_INT(m.nquotes, 1);
    CHECK_EQ_INT(m.bad, 1); /* the quote without prices */
    CHECK_EQ_STR(m.quotes[0].symbol, "AAPL");
    CHECK(m.quotes[0].bid == 189.5 && m.quotes[0].ask == 189.51);
    CHECK_EQ_INT(m.quotes[0].bid_size, 1);
    CHECK_EQ_INT(m.quotes[0].ask_size, 4);
    CHECK_EQ_INT(m.quotes[0].ts, 1718394900200000000);
    CHECK_EQ_STR(m.quotes[0].source, "alpaca");
    CHECK_EQ_INT(m.quotes[0].id, 7329434804266282391); /* ids stay what they were */
    /* A size near the limit still makes an id of 0 or more: the sizes are
     * mixed into it without signed overflow (a fuzz_feed find). */
    CHECK(decode(FEED_ALPACA,
                 "[{\"T\":\"q\",\"S\":\"AAPL\",\"bp\":189.5,\"bs\":9223372036854775807,"
                 "\"ap\":189.51,\"as\":4,\"t\":\"2024-06-14T19:55:00.2Z\"}]",
                 &m) == 0);
    CHECK_EQ_INT(m.nquotes, 1);
    CHECK_EQ_INT(m.quotes[0].bid_size, INT64_MAX);
    CHECK(m.quotes[0].id >= 0);
    /* A long condition code is cut between characters, never inside one, so the
     * record stays valid UTF-8 and decodes again (a fuzz_feed find). */
    CHECK(decode(FEED_ALPACA,
                 "[{\"T\":\"t\",\"S\":\"AAPL\",\"i\":1,\"p\":15,\"s\":100,\"t\":"
                 "\"2024-06-14T19:55:00Z\",\"c\":[\"     S\xF1\x80\x80\x80     : 5 "
                 "S\xF1\x80\x80\x80 x\"]}]",
                 &m) == 0);
    CHECK_EQ_INT(m.ntrades, 1);
    CHECK(utf8_valid(m.details[0].conditions, strlen(m.details[0].conditions)));
    CHECK_EQ_STR(m.details[0].conditions, "     S\xF1\x80\x80\x80     : 5 S");
    buf j;
    buf_init(&j);
    trade_encode_json_detail(&m.trades[0], &m.details[0], &j);
    trade back;
    trade_detail bd;
    char err[128];
    CHECK(trade_decode_json_detail(j.data, j.len, &back, &bd, err, sizeof(err)) == 0);
    CHECK_EQ_STR(bd.conditions, m.details[0].conditions);
    buf_release(&j);
    CHECK(decode(FEED_ALPACA, "[{\"T\":\"error\",\"code\":402,\"msg\":\"auth failed\"}]", &m) == 0);
    CHECK(m.error && m.fatal);
    CHECK(strstr(m.error_text, "402") != NULL);
    CHECK(decode(FEED_ALPACA,
                 "[{\"T\":\"error\",\"code\":406,\"msg\":\"connection limit exceeded\"}]",
                 &m) == 0);
    CHECK(m.error && !m.fatal);
    /* A subscription the feed never accepts is not retried for ever. */
    CHECK(decode(FEED_ALPACA,
                 "[{\"T\":\"error\",\"code\":410,\"msg\":\"invalid subscribe action for this "
                 "feed\"}]",
                 &m) == 0);
    CHECK(m.error && m.fatal);
    CHECK(decode(FEED_ALPACA, "[{\"T\":\"error\",\"code\":400,\"msg\":\"invalid syntax\"}]", &m) ==
          0);
    CHECK(m.error && m.fatal);

    CHECK(decode(FEED_POLYGON,
                 "[{\"ev\":\"status\",\"status\":\"auth_failed\",\"message\":\"authentication "
                 "failed\"}]",
                 &m) == 0);
    CHECK(m.error && m.fatal);
    CHECK(decode(FEED_POLYGON,
                 "[{\"ev\":\"status\",\"status\":\"success\",\"message\":\"subscribed to: "
                 "T.AAPL\"},{\"ev\":\"T\",\"sym\":\"AAPL\",\"x\":4,\"i\":\"52983525029461\","
                 "\"z\":3,\"p\":189.5,\"s\":100,\"c\":[12,37],\"t\":1718394900123,\"q\":1234}]",
                 &m) == 0);
    CHECK(m.subscribed);
    CHECK_EQ_INT(m.ntrades, 1);
    CHECK_EQ_STR(m.details[0].trade_id, "52983525029461");
    CHECK_EQ_STR(m.trades[0].venue, "4");
    CHECK_EQ_STR(m.details[0].conditions, "12,37");
    CHECK_EQ_INT(m.details[0].seq, 1234);
    /* Quotes: sizes in round lots of 100 shares. */
    CHECK(decode(FEED_POLYGON,
                 "[{\"ev\":\"Q\",\"sym\":\"MSFT\",\"bx\":4,\"bp\":414.1,\"bs\":2,\"ax\":7,"
                 "\"ap\":414.12,\"as\":3,\"c\":0,\"t\":1718394900123,\"q\":9}]",
                 &m) == 0);
    CHECK_EQ_INT(m.nquotes, 1);
    CHECK_EQ_INT(m.quotes[0].bid_size, 200);
    CHECK_EQ_INT(m.quotes[0].ask_size, 300);
    CHECK_EQ_STR(m.quotes[0].venue, "4");
    CHECK_EQ_INT(m.quotes[0].ts, 1718394900123000000);
    /* A fractional size of a stock is rejected. */
    CHECK(decode(FEED_POLYGON,
                 "[{\"ev\":\"T\",\"sym\":\"AAPL\",\"x\":4,\"i\":\"1\",\"p\":1,\"s\":0.5,\"t\":1}]",
                 &m) == 0);
    CHECK_EQ_INT(m.bad, 1);
    /* An element of unknown shape is one unusable item: the trades around
     * it still count (it dropped the whole message before). */
    CHECK(
        decode(FEED_ALPACA,
               "[{\"T\":\"t\",\"S\":\"AAPL\",\"i\":1,\"x\":\"V\",\"p\":180.5,\"s\":100,"
               "\"t\":\"2024-06-14T19:55:00.000000123Z\"},null,{\"T\":\"t\",\"S\":\"AAPL\","
               "\"i\":2,\"x\":\"V\",\"p\":180.6,\"s\":5,\"t\":\"2024-06-14T19:55:00.000000124Z\"}]",
               &m) == 0);
    CHECK_EQ_INT(m.ntrades, 2);
    CHECK_EQ_INT(m.bad, 1);
    CHECK(decode(FEED_POLYGON,
                 "[{\"ev\":\"status\"},{\"ev\":\"T\",\"sym\":\"AAPL\",\"x\":4,\"i\":\"7\",\"p\":1,"
                 "\"s\":2,\"t\":1}]",
                 &m) == 0);
    CHECK_EQ_INT(m.ntrades, 1);
    CHECK_EQ_INT(m.bad, 1);
    /* A message of nothing else is malformed. */
    CHECK(decode(FEED_POLYGON, "[1,{\"x\":2}]", &m) == -1);
    CHECK(decode(FEED_ALPACA, "[]", &m) == 0);
    feed_msg_release(&m);
}

/* The fast path of feed_decimal_from_double gives what printf and strtod
 * give: on prices and sizes as feeds send them (2-8 decimals), on random
 * doubles of every magnitude, and on edges. */
static void test_decimal_fast_equals_slow(void)
{
    char err[128];
    uint64_t x = 88172645463325252ull;
    int differ = 0;
    for (int i = 0; i < 300000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v;
        switch (i % 4) {
        case 0: /* a price with 2 decimals */
            v = (double)(x % 10000000) / 100;
            break;
        case 1: /* a crypto size with 8 decimals */
            v = (double)(x % 100000000000ull) / 1e8;
            break;
        case 2: /* 1-9 decimals of up to 15 digits */
            v = (double)(x % 1000000000000000ull) / pow(10, (double)((x >> 60) % 10));
            break;
        default: { /* any finite double */
            memcpy(&v, &x, sizeof(v));
            if (!isfinite(v))
                v = 1.5;
        }
        }
        if (i & 1)
            v = -v;
        int64_t m1 = 0, m2 = 0;
        int s1 = 0, s2 = 0;
        int r1 = feed_decimal_from_double(v, &m1, &s1, err, sizeof(err));
        int r2 = feed_decimal_from_double_slow(v, &m2, &s2, err, sizeof(err));
        if (r1 != r2 || (r1 == 0 && (m1 != m2 || s1 != s2))) {
            if (differ++ < 5)
                fprintf(stderr, "  %.17g: fast %d %lld/%d, slow %d %lld/%d\n", v, r1, (long long)m1,
                        s1, r2, (long long)m2, s2);
        }
    }
    CHECK_EQ_INT(differ, 0);
    const double edges[] = {0.0,
                            -0.0,
                            1e-9,
                            1e-10,
                            999999999999999.0,
                            1e15,
                            0.1 + 0.2,
                            123456.789012345,
                            5e-324,
                            1.7976931348623157e308};
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        int64_t m1 = 0, m2 = 0;
        int s1 = 0, s2 = 0;
        int r1 = feed_decimal_from_double(edges[i], &m1, &s1, err, sizeof(err));
        int r2 = feed_decimal_from_double_slow(edges[i], &m2, &s2, err, sizeof(err));
        CHECK_EQ_INT(r1, r2);
        if (r1 == 0 && r2 == 0) {
            CHECK_EQ_INT(m1, m2);
            CHECK_EQ_INT(s1, s2);
        }
    }
}

/* The crypto providers' best bid and offer (subscribed with quotes): the subscription asks for
 * them, and each message becomes a quote with exact prices and sizes in lots of 1e-8. */
static void test_crypto_quotes(void)
{
    char err[256];
    buf b = {0};
    const char *syms[] = {"BTC-USD", "ETH-USD"};
    CHECK(feed_subscribe_messages(FEED_COINBASE, syms, 2, 1, 1, &b, err, sizeof(err)) == 0);
    buf_putc(&b, '\0');
    CHECK_EQ_STR(b.data, "{\"type\":\"subscribe\",\"product_ids\":[\"BTC-USD\",\"ETH-USD\"],"
                         "\"channels\":[\"matches\",\"heartbeat\",\"ticker\"]}\n");
    buf_reset(&b);
    CHECK(feed_subscribe_messages(FEED_KRAKEN, syms, 2, 7, 1, &b, err, sizeof(err)) == 0);
    buf_putc(&b, '\0');
    CHECK_EQ_STR(b.data, "{\"method\":\"subscribe\",\"params\":{\"channel\":\"trade\",\"symbol\":"
                         "[\"BTC/USD\",\"ETH/USD\"],\"snapshot\":true},\"req_id\":7}\n"
                         "{\"method\":\"subscribe\",\"params\":{\"channel\":\"ticker\",\"symbol\":"
                         "[\"BTC/USD\",\"ETH/USD\"],\"event_trigger\":\"bbo\",\"snapshot\":true},"
                         "\"req_id\":8}\n");
    buf_reset(&b);
    const char *usdt[] = {"BTC-USDT"};
    CHECK(feed_subscribe_messages(FEED_BINANCE, usdt, 1, 3, 1, &b, err, sizeof(err)) == 0);
    buf_putc(&b, '\0');
    CHECK_EQ_STR(b.data, "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@trade\","
                         "\"btcusdt@bookTicker\"],\"id\":3}\n");
    buf_release(&b);
    CHECK(feed_has_quotes(FEED_COINBASE) && feed_has_quotes(FEED_BINANCE) &&
          feed_has_quotes(FEED_KRAKEN) && !feed_has_quotes(FEED_FINNHUB));

    feed_msg m;
    feed_msg_init(&m);
    CHECK(decode(FEED_COINBASE,
                 "{\"type\":\"ticker\",\"sequence\":37475248783,\"product_id\":\"BTC-USD\","
                 "\"price\":\"97012.34\",\"best_bid\":\"97012.33000000\",\"best_bid_size\":"
                 "\"0.12345678\",\"best_ask\":\"97012.34\",\"best_ask_size\":\"1.5\",\"side\":"
                 "\"buy\",\"time\":\"2024-06-14T19:55:00.123456Z\",\"trade_id\":123,"
                 "\"last_size\":\"0.001\"}",
                 &m) == 0);
    CHECK_EQ_INT(m.ntrades, 0);
    CHECK_EQ_INT(m.nquotes, 1);
    CHECK_EQ_STR(m.quotes[0].symbol, "BTC-USD");
    CHECK(m.quotes[0].bid == 97012.33 && m.quotes[0].ask == 97012.34);
    CHECK_EQ_INT(m.quotes[0].bid_size, 12345678);
    CHECK_EQ_INT(m.quotes[0].ask_size, 150000000);
    CHECK_EQ_INT(m.quotes[0].size_scale, 8);
    CHECK_EQ_INT(m.quotes[0].ts, 1718394900123456000);
    CHECK_EQ_STR(m.quotes[0].venue, "COINBASE");
    CHECK_EQ_STR(m.quotes[0].source, "coinbase");
    CHECK(m.quotes[0].id >= 0);
    /* A size with 9 decimals is not a whole number of lots: bad, not rounded. */
    CHECK(decode(FEED_COINBASE,
                 "{\"type\":\"ticker\",\"product_id\":\"BTC-USD\",\"best_bid\":\"1\","
                 "\"best_bid_size\":\"0.123456789\",\"best_ask\":\"2\",\"best_ask_size\":\"1\","
                 "\"time\":\"2024-06-14T19:55:00Z\"}",
                 &m) == 0);
    CHECK_EQ_INT(m.nquotes, 0);
    CHECK_EQ_INT(m.bad, 1);
    CHECK(strstr(m.bad_reason, "sizes") != NULL);

    /* Binance bookTicker, raw and in a combined stream: no time of its own, so the receive time. */
    CHECK(decode(FEED_BINANCE,
                 "{\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":400900217,\"s\":"
                 "\"BTCUSDT\",\"b\":\"25.35190000\",\"B\":\"31.21000000\",\"a\":\"25.36520000\","
                 "\"A\":\"40.66000000\"}}",
                 &m) == 0);
    CHECK_EQ_INT(m.nquotes, 1);
    CHECK_EQ_STR(m.quotes[0].symbol, "BTC-USDT");
    CHECK(m.quotes[0].bid == 25.3519 && m.quotes[0].ask == 25.3652);
    CHECK_EQ_INT(m.quotes[0].bid_size, 3121000000);
    CHECK_EQ_INT(m.quotes[0].ask_size, 4066000000);
    CHECK_EQ_INT(m.quotes[0].ts, 1700000000123456789);
    CHECK_EQ_STR(m.quotes[0].venue, "BINANCE");
    /* Sizes near the lot limit make a valid quote with an id of 0 or more
     * (found by fuzz_feed: its id once multiplied them and overflowed). */
    CHECK(decode(FEED_BINANCE,
                 "{\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":400900217,\"s\":"
                 "\"BTCUSDT\",\"b\":\"25.35190000\",\"B\":\"31521000000\",\"a\":\"25.36520000\","
                 "\"A\":\"00.66000000\"}}",
                 &m) == 0);
    CHECK_EQ_INT(m.nquotes, 1);
    CHECK_EQ_INT(m.quotes[0].bid_size, 3152100000000000000);
    CHECK(m.quotes[0].id >= 0);
    CHECK(decode(FEED_BINANCE,
                 "{\"u\":1,\"s\":\"ETHUSDT\",\"b\":\"0\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}",
                 &m) == 0);
    CHECK_EQ_INT(m.nquotes, 0);
    CHECK_EQ_INT(m.bad, 1); /* a bid of 0 */

    /* Kraken v2 ticker: numbers, several pairs a message, its timestamp when it has one. */
    CHECK(
        decode(FEED_KRAKEN,
               "{\"channel\":\"ticker\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\","
               "\"bid\":97012.3,\"bid_qty\":0.5,\"ask\":97012.4,\"ask_qty\":2.25,\"last\":97012.4,"
               "\"volume\":1000.1,\"vwap\":96000.5,\"low\":95000,\"high\":98000,\"change\":10,"
               "\"change_pct\":0.01,\"timestamp\":\"2024-06-14T19:55:00.123456Z\"},{\"symbol\":"
               "\"XBT/EUR\",\"bid\":90000,\"bid_qty\":1,\"ask\":90001,\"ask_qty\":0.00000001}]}",
               &m) == 0);
    CHECK_EQ_INT(m.nquotes, 2);
    CHECK(m.quotes[0].bid == 97012.3 && m.quotes[0].ask == 97012.4);
    CHECK_EQ_INT(m.quotes[0].bid_size, 50000000);
    CHECK_EQ_INT(m.quotes[0].ask_size, 225000000);
    CHECK_EQ_INT(m.quotes[0].ts, 1718394900123456000);
    CHECK_EQ_STR(m.quotes[1].symbol, "BTC-EUR");
    CHECK_EQ_INT(m.quotes[1].ask_size, 1);
    CHECK_EQ_INT(m.quotes[1].ts, 1700000000123456789);
    CHECK(m.quotes[0].id != m.quotes[1].id);
    /* Its subscription acknowledgement counts as one. */
    CHECK(decode(FEED_KRAKEN,
                 "{\"method\":\"subscribe\",\"result\":{\"channel\":\"ticker\",\"symbol\":"
                 "\"BTC/USD\"},\"success\":true,\"req_id\":8}",
                 &m) == 0);
    CHECK(m.subscribed);

    /* A quote's record keeps its size scale, and reads back the same. */
    quote q = {.ts = 1,
               .bid = 97012.33,
               .bid_size = 12345678,
               .ask = 97012.34,
               .ask_size = 150000000,
               .id = 9,
               .size_scale = 8};
    strcpy(q.symbol, "BTC-USD");
    strcpy(q.source, "coinbase");
    buf j = {0};
    quote_encode_json(&q, &j);
    buf_putc(&j, '\0');
    CHECK_EQ_STR(j.data, "{\"symbol\":\"BTC-USD\",\"ts\":1,\"bid\":97012.33,\"bid_size\":12345678,"
                         "\"ask\":97012.34,\"ask_size\":150000000,\"id\":9,\"size_scale\":8,"
                         "\"source\":\"coinbase\"}");
    quote back;
    CHECK(quote_decode_json(j.data, strlen(j.data), &back, err, sizeof(err)) == 0);
    CHECK_EQ_INT(back.size_scale, 8);
    CHECK_EQ_INT(back.bid_size, 12345678);
    buf_release(&j);
    feed_msg_release(&m);
}

/* The ids of trades that carry none are FNV-1a of "sym|ts|pm/ps|sm/ss|cond", as they were when
 * snprintf built that text: ids already in a lake stay valid (Finnhub's exchange-prefixed crypto
 * symbols aside: they are hashed as the provider spells them). The reference is the old code. */
static int64_t old_hash(const char *sym, int64_t ts, int64_t pm, int ps, int64_t sm, int ss,
                        const char *cond)
{
    char tmp[160];
    int n = snprintf(tmp, sizeof(tmp), "%s|%lld|%lld/%d|%lld/%d|%s", sym, (long long)ts,
                     (long long)pm, ps, (long long)sm, ss, cond);
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n && i < (int)sizeof(tmp); i++) {
        h ^= (unsigned char)tmp[i];
        h *= 1099511628211ull;
    }
    return (int64_t)(h & INT64_MAX);
}

static void test_hashed_ids_unchanged(void)
{
    feed_msg m;
    feed_msg_init(&m);
    CHECK(decode(FEED_FINNHUB,
                 "{\"type\":\"trade\",\"data\":[{\"s\":\"AAPL\",\"p\":189.505,\"t\":1718394900123,"
                 "\"v\":100,\"c\":[\"1\",\"12\"]},{\"s\":\"BINANCE:BTCUSDT\",\"p\":-0.5,\"t\":0,"
                 "\"v\":0.00000001,\"c\":null},{\"s\":\"BINANCE:BTCUSDT\",\"p\":97012.34,\"t\":"
                 "1718394900999,\"v\":12.5}]}",
                 &m) == 0);
    CHECK_EQ_INT(m.ntrades, 2);
    CHECK_EQ_INT(m.trades[0].id, old_hash("AAPL", 1718394900123000000, 189505, 3, 100, 0, "1,12"));
    /* An exchange's symbol is hashed as the provider spells it (BINANCE:BTCUSDT), so one
     * instrument's trades on two exchanges have ids of their own. */
    CHECK_EQ_INT(m.trades[1].id,
                 old_hash("BINANCE:BTCUSDT", 1718394900999000000, 9701234, 2, 125, 1, ""));
    /* Negative and extreme numbers format as printf does. */
    CHECK(decode(FEED_POLYGON,
                 "[{\"ev\":\"T\",\"sym\":\"MSFT\",\"x\":4,\"i\":\"52983525029461\",\"z\":3,"
                 "\"p\":412.5,\"s\":10,\"t\":1718394900123,\"q\":7}]",
                 &m) == 0);
    CHECK_EQ_INT(m.ntrades, 1);
    CHECK_EQ_INT(m.trades[0].id, old_hash("52983525029461", 1718394900123000000, 4, 0, 0, 0, ""));
    feed_msg_release(&m);
}

/* Alpaca's and Polygon's trade ids count per exchange and day: the same i
 * on another day or exchange is another trade (i alone dropped it as a
 * duplicate), while the same trade sent again keeps its id. */
static void test_ids_per_exchange_and_day(void)
{
    static const char *const alpaca[] = {
        "[{\"T\":\"t\",\"S\":\"AAPL\",\"i\":1,\"x\":\"V\",\"p\":10,\"s\":1,"
        "\"t\":\"2024-06-13T13:30:00.000001Z\"}]",
        "[{\"T\":\"t\",\"S\":\"AAPL\",\"i\":1,\"x\":\"V\",\"p\":11,\"s\":2,"
        "\"t\":\"2024-06-14T13:30:00.000001Z\"}]",
        "[{\"T\":\"t\",\"S\":\"AAPL\",\"i\":1,\"x\":\"D\",\"p\":10,\"s\":1,"
        "\"t\":\"2024-06-13T13:30:00.000001Z\"}]",
    };
    static const char *const polygon[] = {
        "[{\"ev\":\"T\",\"sym\":\"MSFT\",\"x\":4,\"i\":\"7\",\"p\":1,\"s\":1,"
        "\"t\":1718285400000}]",
        "[{\"ev\":\"T\",\"sym\":\"MSFT\",\"x\":4,\"i\":\"7\",\"p\":1,\"s\":1,"
        "\"t\":1718371800000}]",
        "[{\"ev\":\"T\",\"sym\":\"MSFT\",\"x\":11,\"i\":\"7\",\"p\":1,\"s\":1,"
        "\"t\":1718285400000}]",
        "[{\"ev\":\"T\",\"sym\":\"MSFT\",\"x\":4,\"trfi\":202,\"i\":\"7\",\"p\":1,"
        "\"s\":1,\"t\":1718285400000}]",
    };
    feed_msg m;
    feed_msg_init(&m);
    int64_t ids[4];
    for (int k = 0; k < 3; k++) {
        CHECK(decode(FEED_ALPACA, alpaca[k], &m) == 0);
        CHECK_EQ_INT(m.ntrades, 1);
        CHECK_EQ_STR(m.details[0].trade_id, "1"); /* the provider's, as sent */
        ids[k] = m.trades[0].id;
        CHECK(ids[k] >= 0);
    }
    CHECK(ids[0] != ids[1] && ids[0] != ids[2] && ids[1] != ids[2]);
    CHECK(decode(FEED_ALPACA, alpaca[0], &m) == 0);
    CHECK_EQ_INT(m.trades[0].id, ids[0]); /* sent again: the same id */
    for (int k = 0; k < 4; k++) {
        CHECK(decode(FEED_POLYGON, polygon[k], &m) == 0);
        CHECK_EQ_INT(m.ntrades, 1);
        ids[k] = m.trades[0].id;
    }
    for (int a = 0; a < 4; a++)
        for (int b = a + 1; b < 4; b++)
            CHECK(ids[a] != ids[b]);
    CHECK(decode(FEED_POLYGON, polygon[1], &m) == 0);
    CHECK_EQ_INT(m.trades[0].id, ids[1]);
    feed_msg_release(&m);
}

TEST_MAIN(TEST(test_ids_per_exchange_and_day), TEST(test_decimal),
          TEST(test_decimal_fast_equals_slow), TEST(test_rfc3339), TEST(test_symbols),
          TEST(test_subscribe), TEST(test_coinbase), TEST(test_binance), TEST(test_size_limit),
          TEST(test_kraken), TEST(test_stocks), TEST(test_crypto_quotes),
          TEST(test_hashed_ids_unchanged))
