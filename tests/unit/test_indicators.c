/* Unit tests for indicators.c: indicator values and alerts on known series. */
#include <math.h>

#include "indicators.h"
#include "testlib.h"

#define S NS_PER_SEC

static bar mkbar(int i, double open, double close, int64_t volume)
{
    bar b = {.symbol = "X",
             .interval_ns = S,
             .window_start = (int64_t)i * S,
             .open = open,
             .high = fmax(open, close),
             .low = fmin(open, close),
             .close = close,
             .volume = volume,
             .trades = 1};
    b.vwap = close;
    return b;
}

static void test_moving_averages_and_bands(void)
{
    ind_config c;
    ind_config_default(&c);
    ind_state s;
    ind_state_init(&s);
    ind_values v;
    alert a[3];
    for (int i = 1; i <= 60; i++) {
        bar b = mkbar(i, i, i, 100);
        ind_update(&s, &c, &b, &v, a);
        if (i == 19)
            CHECK(isnan(v.sma[0]) && isnan(v.bb_mid));
        if (i == 20) {
            CHECK_NEAR(v.sma[0], 10.5, 1e-12); /* mean of 1..20 */
            CHECK_NEAR(v.bb_mid, 10.5, 1e-12);
            double pop = sqrt((20.0 * 20.0 - 1.0) / 12.0); /* stdev of 1..20 */
            CHECK_NEAR(v.bb_upper, 10.5 + 2 * pop, 1e-12);
            CHECK_NEAR(v.bb_lower, 10.5 - 2 * pop, 1e-12);
        }
        if (i == 12)
            CHECK_NEAR(v.ema[0], 6.5, 1e-12); /* seeded with SMA(12) of 1..12 */
        if (i == 13)
            CHECK_NEAR(v.ema[0], (2.0 / 13) * 13 + (11.0 / 13) * 6.5, 1e-12);
        if (i == 50)
            CHECK_NEAR(v.sma[1], 25.5, 1e-12);
    }
    /* Only gains: RSI 100. */
    CHECK_NEAR(v.rsi, 100.0, 1e-12);
}

static void test_rsi_wilder(void)
{
    ind_config c;
    ind_config_default(&c);
    ind_state s;
    ind_state_init(&s);
    ind_values v;
    alert a[3];
    /* Alternating +2 / -1: after the warm-up avg gain 1, avg loss 0.5 (period 14: 7 and 7). */
    double price = 100;
    for (int i = 0; i <= 14; i++) {
        if (i > 0)
            price += (i % 2) ? 2 : -1;
        bar b = mkbar(i, price, price, 100);
        ind_update(&s, &c, &b, &v, a);
        if (i < 14)
            CHECK(isnan(v.rsi));
    }
    /* 7 gains of 2 and 7 losses of 1 over 14 changes: RS = 1 / 0.5 = 2, RSI = 66.67. */
    CHECK_NEAR(v.rsi, 100.0 - 100.0 / 3.0, 1e-9);
}

static void test_price_move_alert(void)
{
    ind_config c;
    ind_config_default(&c);
    ind_state s;
    ind_state_init(&s);
    ind_values v;
    alert a[3];
    double price = 100;
    int total = 0;
    for (int i = 0; i < 40; i++) {
        price *= (i % 2) ? 1.001 : 0.999; /* quiet: +-0.1% */
        bar b = mkbar(i, price, price, 100);
        total += ind_update(&s, &c, &b, &v, a);
    }
    CHECK_EQ_INT(total, 0);
    CHECK(v.volatility > 0.0009 && v.volatility < 0.0011);
    /* A 3% drop in one bar: z far beyond 5, and a gap since the bar opens there. */
    bar crash = mkbar(40, price * 0.97, price * 0.97, 100);
    int n = ind_update(&s, &c, &crash, &v, a);
    CHECK(n >= 1);
    int seen = 0;
    for (int i = 0; i < n; i++)
        if (a[i].kind == ALERT_PRICE_MOVE) {
            seen = 1;
            CHECK(a[i].value < -5);
            CHECK_EQ_INT(a[i].ts, 41 * S);
            CHECK(a[i].trigger.window_start == 40 * S);
        }
    CHECK(seen);
}

static void test_volume_spike_and_gap(void)
{
    ind_config c;
    ind_config_default(&c);
    ind_state s;
    ind_state_init(&s);
    ind_values v;
    alert a[3];
    for (int i = 0; i < 20; i++) {
        bar b = mkbar(i, 50, 50, 100);
        CHECK_EQ_INT(ind_update(&s, &c, &b, &v, a), 0);
    }
    /* Ten times the volume in one block trade is not a spike of activity... */
    bar block = mkbar(20, 50, 50, 1000);
    CHECK_EQ_INT(ind_update(&s, &c, &block, &v, a), 0);
    /* ...ten times the volume over five times the trades is. */
    bar spike = mkbar(21, 50, 50, 1500);
    spike.trades = 5;
    CHECK_EQ_INT(ind_update(&s, &c, &spike, &v, a), 1);
    CHECK(a[0].kind == ALERT_VOLUME_SPIKE && a[0].value > 8);
    bar gap = mkbar(22, 52, 52, 100); /* opens 4% above the last close */
    int n = ind_update(&s, &c, &gap, &v, a);
    int seen = 0;
    for (int i = 0; i < n; i++)
        seen |= a[i].kind == ALERT_GAP && fabs(a[i].value - 4.0) < 1e-9;
    CHECK(seen);
}

static void test_stale(void)
{
    ind_config c;
    ind_config_default(&c);
    ind_state s;
    ind_state_init(&s);
    ind_values v;
    alert a[3];
    bar b = mkbar(0, 10, 10, 1);
    ind_update(&s, &c, &b, &v, a);
    CHECK_EQ_INT(ind_check_stale(&s, &c, 30 * S, a), 0);
    CHECK_EQ_INT(ind_check_stale(&s, &c, 62 * S, a), 1);
    CHECK(a[0].kind == ALERT_STALE && a[0].ts == 62 * S);
    CHECK_EQ_INT(ind_check_stale(&s, &c, 70 * S, a), 0); /* once per silence */
    bar again = mkbar(80, 10, 10, 1);
    ind_update(&s, &c, &again, &v, a);
    CHECK_EQ_INT(ind_check_stale(&s, &c, 200 * S, a), 1);
}

static void test_json(void)
{
    ind_config c;
    ind_config_default(&c);
    ind_values v = {.sma = {1.5, NAN},
                    .ema = {NAN, NAN},
                    .rsi = 55,
                    .volatility = NAN,
                    .bb_mid = NAN,
                    .bb_upper = NAN,
                    .bb_lower = NAN};
    bar b = mkbar(3, 1, 2, 10);
    buf out = {0};
    ind_encode_json(&b, &c, &v, &out);
    CHECK(strstr(out.data, "\"sma_20\":1.5,\"sma_50\":null") != NULL);
    CHECK(strstr(out.data, "\"rsi\":55") != NULL);
    buf_reset(&out);
    alert a = {
        .symbol = "X", .kind = ALERT_GAP, .ts = 5, .value = 2.5, .threshold = 2, .trigger = b};
    alert_encode_json(&a, &out);
    CHECK(strstr(out.data, "\"kind\":\"gap\"") != NULL);
    CHECK(strstr(out.data, "\"bar\":{\"symbol\":\"X\"") != NULL);
    buf_release(&out);
    char err[128];
    ind_config bad = c;
    bad.sma[0] = 500;
    CHECK(ind_config_check(&bad, err, sizeof(err)) == -1);
    CHECK(ind_config_check(&c, err, sizeof(err)) == 0);
}

TEST_MAIN(TEST(test_moving_averages_and_bands), TEST(test_rsi_wilder), TEST(test_price_move_alert),
          TEST(test_volume_spike_and_gap), TEST(test_stale), TEST(test_json))
