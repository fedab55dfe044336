/* Unit tests for sim.c: determinism and realism of the market simulator. */
#include <math.h>

#include "sim.h"
#include "testlib.h"

static sim *mk(uint64_t seed, int nsym)
{
    sim_config c = {.seed = seed,
                    .nsymbols = nsym,
                    .start_ns = 1764115200LL * NS_PER_SEC,
                    .rate = 1000,
                    .first_id = 1};
    char err[128];
    return sim_new(&c, err, sizeof(err));
}

static void test_same_seed_same_ticks(void)
{
    sim *a = mk(42, 50), *b = mk(42, 50), *c = mk(43, 50);
    int differs = 0;
    for (int i = 0; i < 100000; i++) {
        trade x, y, z;
        sim_next(a, &x);
        sim_next(b, &y);
        sim_next(c, &z);
        if (memcmp(&x, &y, sizeof(x)) != 0) {
            CHECK(!"same seed gave different ticks");
            break;
        }
        differs |= memcmp(&x, &z, sizeof(x)) != 0;
    }
    CHECK(differs);
    sim_free(a);
    sim_free(b);
    sim_free(c);
}

static void test_ticks_are_plausible(void)
{
    sim *s = mk(1, 20);
    int64_t last = 0, first_ts = 0;
    int seen[20] = {0};
    for (int i = 0; i < 50000; i++) {
        trade t;
        sim_next(s, &t);
        if (i == 0)
            first_ts = t.ts;
        CHECK(t.ts >= last);
        last = t.ts;
        CHECK(t.price > 0 && t.size > 0);
        CHECK_EQ_INT(t.id, i + 1);
        /* Prices sit on the cent grid. */
        CHECK(fabs(t.price * 100 - round(t.price * 100)) < 1e-6);
        for (int k = 0; k < 20; k++)
            if (strcmp(t.symbol, sim_symbol(s, k)) == 0)
                seen[k] = 1;
    }
    /* 50,000 trades at 1,000/s span about 50 s of event time. */
    double span = (double)(last - first_ts) / 1e9;
    CHECK(span > 45 && span < 55);
    int nseen = 0;
    for (int k = 0; k < 20; k++)
        nseen += seen[k];
    CHECK_EQ_INT(nseen, 20);
    sim_free(s);
}

static void test_bad_config(void)
{
    sim_config c = {.seed = 1, .nsymbols = 0, .rate = 1};
    char err[128];
    CHECK(sim_new(&c, err, sizeof(err)) == NULL);
    c.nsymbols = 10001;
    CHECK(sim_new(&c, err, sizeof(err)) == NULL);
    c.nsymbols = 5;
    c.rate = 0;
    CHECK(sim_new(&c, err, sizeof(err)) == NULL);
    c.rate = 1;
    sim *s = sim_new(&c, err, sizeof(err));
    CHECK(s != NULL);
    sim_free(s);
}

static sim *mkq(uint64_t seed, double quotes, int64_t session_ns)
{
    sim_config c = {.seed = seed,
                    .nsymbols = 30,
                    .start_ns = 1764115200LL * NS_PER_SEC,
                    .rate = 1000,
                    .first_id = 1,
                    .quote_ratio = quotes,
                    .session_ns = session_ns};
    char err[128];
    return sim_new(&c, err, sizeof(err));
}

/* The same seed gives the same trades and quotes, in both encodings. */
static void test_same_seed_same_quotes_and_bytes(void)
{
    sim *a = mkq(9, 2, 3600 * NS_PER_SEC), *b = mkq(9, 2, 3600 * NS_PER_SEC);
    buf x = {0}, y = {0};
    int nquotes = 0;
    for (int i = 0; i < 50000; i++) {
        sim_tick s, t;
        sim_next_tick(a, &s);
        sim_next_tick(b, &t);
        nquotes += s.kind == SIM_QUOTE;
        for (int enc = TICK_JSON; enc <= TICK_BINARY; enc++) {
            buf_reset(&x);
            buf_reset(&y);
            if (s.kind == SIM_QUOTE)
                quote_encode(&s.u.quote, (tick_encoding)enc, &x);
            else
                trade_encode(&s.u.trade, (tick_encoding)enc, &x);
            if (t.kind == SIM_QUOTE)
                quote_encode(&t.u.quote, (tick_encoding)enc, &y);
            else
                trade_encode(&t.u.trade, (tick_encoding)enc, &y);
            if (x.len != y.len || memcmp(x.data, y.data, x.len) != 0) {
                CHECK(!"same seed gave different encoded ticks");
                i = 50000;
                break;
            }
        }
    }
    /* Two quotes per trade: about 2/3 of the ticks. */
    CHECK(nquotes > 32000 && nquotes < 35000);
    buf_release(&x);
    buf_release(&y);
    sim_free(a);
    sim_free(b);
}

/* Quotes keep a spread of 1-3 ticks around the price; trades print at the
 * bid or the ask of the symbol's latest quote (or a spread later). */
static void test_quotes_keep_a_spread(void)
{
    sim *s = mkq(3, 1, 0);
    double bid[30] = {0}, ask[30] = {0};
    int64_t last_id = 0, last_ts = 0, inside = 0, trades_after_quote = 0;
    for (int i = 0; i < 100000; i++) {
        sim_tick t;
        sim_next_tick(s, &t);
        int k = -1;
        const char *sym = t.kind == SIM_QUOTE ? t.u.quote.symbol : t.u.trade.symbol;
        for (int j = 0; j < 30; j++)
            if (strcmp(sym, sim_symbol(s, j)) == 0)
                k = j;
        CHECK(k >= 0);
        int64_t id = t.kind == SIM_QUOTE ? t.u.quote.id : t.u.trade.id;
        int64_t ts = t.kind == SIM_QUOTE ? t.u.quote.ts : t.u.trade.ts;
        CHECK_EQ_INT(id, last_id + 1);
        CHECK(ts >= last_ts);
        last_id = id;
        last_ts = ts;
        if (t.kind == SIM_QUOTE) {
            const quote *q = &t.u.quote;
            double spread = round((q->ask - q->bid) * 100);
            CHECK(q->bid > 0 && spread >= 1 && spread <= 3);
            CHECK(q->bid_size >= 100 && q->ask_size >= 100 && q->bid_size % 100 == 0);
            bid[k] = q->bid;
            ask[k] = q->ask;
        } else if (bid[k] > 0) {
            /* The mid moved a little since the quote: within a few ticks of it. */
            trades_after_quote++;
            inside += t.u.trade.price >= bid[k] - 0.05 && t.u.trade.price <= ask[k] + 0.05;
        }
    }
    CHECK(trades_after_quote > 40000);
    CHECK(inside > trades_after_quote * 95 / 100);
    sim_free(s);
}

/* Arrivals are U-shaped over the session: the first and last tenth of the
 * session see about 1.7 times the average rate, the middle fifth about 0.55. */
static void test_intraday_seasonality(void)
{
    CHECK_NEAR(sim_intensity(0), 2.0, 1e-12);
    CHECK_NEAR(sim_intensity(1), 2.0, 1e-12);
    CHECK_NEAR(sim_intensity(0.5), 0.5, 1e-12);
    int64_t session = 600 * NS_PER_SEC; /* 10 minutes at 1,000 trades/s */
    sim *s = mkq(5, 0, session);
    int bins[10] = {0};
    int64_t start = 1764115200LL * NS_PER_SEC;
    for (;;) {
        trade t;
        sim_next(s, &t);
        if (t.ts - start >= session)
            break;
        bins[(t.ts - start) * 10 / session]++;
    }
    int total = 0;
    for (int i = 0; i < 10; i++)
        total += bins[i];
    /* Mean 1 over the session: about 600,000 trades. */
    CHECK(total > 594000 && total < 606000);
    double open = bins[0] / (total / 10.0), close = bins[9] / (total / 10.0);
    double mid = (bins[4] + bins[5]) / (total / 5.0);
    /* Exact: 1.72 for the outer tenths, 0.52 for the middle fifth. */
    CHECK(open > 1.65 && open < 1.8);
    CHECK(close > 1.65 && close < 1.8);
    CHECK(mid > 0.48 && mid < 0.56);
    sim_free(s);
    /* Flat without a session. */
    sim_config c = {.seed = 1, .nsymbols = 1, .rate = 1, .session_ns = 5};
    char err[128];
    CHECK(sim_new(&c, err, sizeof(err)) == NULL);
    c.session_ns = 0;
    c.quote_ratio = -1;
    CHECK(sim_new(&c, err, sizeof(err)) == NULL);
}

TEST_MAIN(TEST(test_same_seed_same_ticks), TEST(test_ticks_are_plausible), TEST(test_bad_config),
          TEST(test_same_seed_same_quotes_and_bytes), TEST(test_quotes_keep_a_spread),
          TEST(test_intraday_seasonality))
