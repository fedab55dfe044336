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

TEST_MAIN(TEST(test_same_seed_same_ticks), TEST(test_ticks_are_plausible), TEST(test_bad_config))
