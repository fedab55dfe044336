/* Unit tests for indicators.c: indicator values and alerts on known series. */
#include <limits.h>
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
    ind_state_free(&s);
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
    ind_state_free(&s);
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
    ind_state_free(&s);
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
    ind_state_free(&s);
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
    ind_state_free(&s);
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

/* A series restored from its encoded state at any point continues bit for bit
 * as the uninterrupted one: values, alerts and stale tracking. */
static void test_state_roundtrip(void)
{
    ind_config c;
    ind_config_default(&c);
    uint64_t rnd = 42;
    bar bars[150];
    double px = 100;
    for (int i = 0; i < 150; i++) {
        rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
        double r = (double)(rnd >> 11) / 9007199254740992.0 - 0.5;
        double open = px;
        px *= 1 + r * (i == 90 ? 0.3 : 0.004); /* a crash at 90: alerts */
        bars[i] = mkbar(i, open, px, 100 + (int64_t)(rnd % 50) * (i == 120 ? 40 : 1));
        bars[i].trades = i == 120 ? 400 : 10;
        snprintf(bars[i].symbol, sizeof(bars[i].symbol), "SYM.X");
    }
    int cuts[] = {0, 1, 5, 19, 20, 21, 50, 63, 64, 65, 90, 91, 130, 149};
    for (size_t ci = 0; ci < sizeof(cuts) / sizeof(cuts[0]); ci++) {
        ind_state a, b;
        ind_state_init(&a);
        ind_state_init(&b);
        ind_values va, vb;
        alert aa[3], ab[3];
        for (int i = 0; i < cuts[ci]; i++)
            ind_update(&a, &c, &bars[i], &va, aa);
        if (cuts[ci] == 50) /* stale tracking travels with the state */
            CHECK_EQ_INT(ind_check_stale(&a, &c, 200 * S, aa), 1);
        buf enc = {0};
        ind_state_encode(&a, &c, &enc);
        char err[128];
        CHECK_EQ_INT(ind_state_decode(enc.data, enc.len, &c, &b, err, sizeof(err)), 0);
        CHECK(enc.len < 1200);
        CHECK_EQ_INT(ind_check_stale(&a, &c, 300 * S, aa), ind_check_stale(&b, &c, 300 * S, ab));
        for (int i = cuts[ci]; i < 150; i++) {
            int na = ind_update(&a, &c, &bars[i], &va, aa);
            int nb = ind_update(&b, &c, &bars[i], &vb, ab);
            CHECK_EQ_INT(na, nb);
            CHECK(memcmp(&va, &vb, sizeof(va)) == 0);
            for (int k = 0; k < na && k < nb; k++) {
                CHECK(aa[k].kind == ab[k].kind);
                CHECK(memcmp(&aa[k].value, &ab[k].value, sizeof(double)) == 0);
            }
        }
        buf_release(&enc);
        ind_state_free(&a);
        ind_state_free(&b);
    }
}

/* Bad bytes are errors, never crashes; a state with fewer ring values than
 * the configuration needs is refused. */
static void test_state_decode_errors(void)
{
    ind_config c;
    ind_config_default(&c);
    ind_state s, d;
    ind_state_init(&s);
    ind_state_init(&d);
    ind_values v;
    alert a[3];
    for (int i = 0; i < 70; i++) {
        bar b = mkbar(i, 10 + i % 3, 10 + i % 5, 100);
        ind_update(&s, &c, &b, &v, a);
    }
    buf enc = {0};
    ind_state_encode(&s, &c, &enc);
    char err[128];
    for (size_t n = 0; n < enc.len; n++)
        CHECK_EQ_INT(ind_state_decode(enc.data, n, &c, &d, err, sizeof(err)), -1);
    enc.data[0] = 9;
    CHECK_EQ_INT(ind_state_decode(enc.data, enc.len, &c, &d, err, sizeof(err)), -1);
    CHECK(strstr(err, "version") != NULL);
    buf_reset(&enc);
    ind_state_encode(&s, &c, &enc);
    buf_putc(&enc, 0);
    CHECK_EQ_INT(ind_state_decode(enc.data, enc.len, &c, &d, err, sizeof(err)), -1);
    ind_config longer = c;
    longer.sma[1] = 60;
    buf_reset(&enc);
    ind_state_encode(&s, &c, &enc);
    CHECK_EQ_INT(ind_state_decode(enc.data, enc.len, &longer, &d, err, sizeof(err)), -1);
    CHECK(strstr(err, "periods") != NULL);
    buf_release(&enc);
    ind_state_free(&s);
    ind_state_free(&d);
}

/* A processor restarted with other periods (docs/DATA.md, process changelog):
 * state made with other RSI or EMA periods is refused (those averages mean
 * nothing under other periods), so the series starts afresh; state with
 * longer rings than needed continues exactly as a series computed with the
 * new periods from the start; a version 1 record (written before periods were
 * configurable) counts as made with the defaults. */
static void test_state_under_other_periods(void)
{
    ind_config c, shorter, other_ema, other_rsi;
    ind_config_default(&c);
    shorter = c;
    shorter.sma[0] = 10;
    shorter.sma[1] = 30;
    shorter.bb_period = 10;
    shorter.vol_window = 5;
    shorter.volume_window = 5;
    other_ema = c;
    other_ema.ema[0] = 5;
    other_rsi = c;
    other_rsi.rsi_period = 7;
    ind_state a, fresh, d;
    ind_state_init(&a);
    ind_state_init(&fresh);
    ind_state_init(&d);
    ind_values va, vf;
    alert aa[3], af[3];
    bar bars[100];
    for (int i = 0; i < 100; i++) {
        bars[i] = mkbar(i, 10 + i % 3, 10 + (i * 7) % 5 + (i == 80 ? 5 : 0), 100 + i % 4);
        bars[i].trades = 5 + i % 3;
    }
    for (int i = 0; i < 70; i++) {
        ind_update(&a, &c, &bars[i], &va, aa);
        ind_update(&fresh, &shorter, &bars[i], &vf, af);
    }
    buf enc = {0};
    ind_state_encode(&a, &c, &enc);
    char err[160];
    CHECK_EQ_INT(ind_state_decode(enc.data, enc.len, &other_ema, &d, err, sizeof(err)), -1);
    CHECK(strstr(err, "other RSI or EMA periods") != NULL);
    CHECK(d.closes == NULL && d.n == 0);
    CHECK_EQ_INT(ind_state_decode(enc.data, enc.len, &other_rsi, &d, err, sizeof(err)), -1);
    CHECK(strstr(err, "other RSI or EMA periods") != NULL);
    CHECK_EQ_INT(ind_state_decode(enc.data, enc.len, &shorter, &d, err, sizeof(err)), 0);
    for (int i = 70; i < 100; i++) {
        int nd = ind_update(&d, &shorter, &bars[i], &va, aa);
        int nf = ind_update(&fresh, &shorter, &bars[i], &vf, af);
        CHECK_EQ_INT(nd, nf);
        CHECK(memcmp(&va, &vf, sizeof(va)) == 0);
    }
    /* Version 1: the same bytes without the periods after the version. */
    buf v1 = {0};
    size_t periods = 8 * (size_t)(2 + c.nema);
    buf_putc(&v1, 1);
    buf_append(&v1, enc.data + 1 + periods, enc.len - 1 - periods);
    CHECK_EQ_INT(ind_state_decode(v1.data, v1.len, &c, &d, err, sizeof(err)), 0);
    CHECK_EQ_INT(d.n, 70);
    CHECK_EQ_INT(ind_state_decode(v1.data, v1.len, &other_ema, &d, err, sizeof(err)), -1);
    buf_release(&v1);
    buf_release(&enc);
    ind_state_free(&a);
    ind_state_free(&fresh);
    ind_state_free(&d);
}

/* A fuzzer-found record: a ring count of about 2^31 over a 227-byte record.
 * The decoder went on reading value after value past the end (each read
 * failing), 2^31 times: seconds under the sanitizers, where libFuzzer timed
 * out (the same record is in tests/fuzz/corpus/fuzz_indstate, which catches
 * the spin); here it must simply be refused. */
static void test_state_decode_huge_ring_count(void)
{
    static const unsigned char rec[] = {
        0x01, 0x46, 0x00, 0x00, 0x45, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe3, 0xee, 0xb4, 0xe5, 0x8d,
        0xbd, 0xe7, 0x3f, 0x59, 0x33, 0xe1, 0x4e, 0x56, 0xc7, 0xe8, 0x3f, 0xac, 0xc7, 0x9e, 0xf9,
        0xff, 0xff, 0x7e, 0xff, 0x75, 0xa1, 0x37, 0xe0, 0x2f, 0xe2, 0x26, 0x40, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x41, 0x41, 0x50, 0x4c, 0x08, 0xca, 0x9a, 0x3b, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x72, 0xb8, 0x10, 0x10, 0x00, 0x00, 0x00, 0xa9, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x24, 0x40,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x22,
        0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x26, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x36, 0x00, 0x00, 0x2a, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x41, 0x50, 0x4c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x72};
    ind_config c;
    ind_config_default(&c);
    ind_state d;
    ind_state_init(&d);
    char err[128];
    CHECK_EQ_INT(ind_state_decode(rec, sizeof(rec), &c, &d, err, sizeof(err)), -1);
    CHECK(strstr(err, "ring") != NULL);
    ind_state_free(&d);
}

/* A series whose counts are at INT_MAX (a changelog record may claim so)
 * takes another bar without overflowing (UBSan in `make asan`). */
static void test_counts_at_int_max(void)
{
    ind_config c;
    ind_config_default(&c);
    ind_state s;
    ind_state_init(&s);
    ind_values v;
    alert a[3];
    for (int i = 1; i <= 3; i++) {
        bar b = mkbar(i, 10, 10 + i, 100);
        ind_update(&s, &c, &b, &v, a);
    }
    s.n = INT_MAX;
    s.nreturns = INT_MAX;
    bar b = mkbar(4, 13, 14, 100);
    ind_update(&s, &c, &b, &v, a);
    CHECK_EQ_INT(s.n, INT_MAX);
    CHECK_EQ_INT(s.nreturns, INT_MAX);
    CHECK(!isnan(v.sma[0]));
    ind_state_free(&s);
}

TEST_MAIN(TEST(test_counts_at_int_max), TEST(test_state_under_other_periods),
          TEST(test_state_roundtrip), TEST(test_state_decode_errors),
          TEST(test_state_decode_huge_ring_count), TEST(test_moving_averages_and_bands),
          TEST(test_rsi_wilder), TEST(test_price_move_alert), TEST(test_volume_spike_and_gap),
          TEST(test_stale), TEST(test_json))
