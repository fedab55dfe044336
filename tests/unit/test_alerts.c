/* The simulator's scenarios trigger the alerts they are meant to, and ordinary
 * simulated trading does not flood them: sim -> 1 s bars -> indicators ->
 * alerts, all pure, with the false-positive rate printed. */
#include <stdlib.h>

#include "bar.h"
#include "indicators.h"
#include "sim.h"
#include "testlib.h"

#define S NS_PER_SEC
#define NSYM 20

typedef struct run {
    ind_config cfg;
    ind_state st[NSYM];
    const sim *sim;
    int counts[4];       /* per alert kind, any symbol */
    int counts_first[4]; /* per alert kind, on the scenario's symbol */
    int64_t bars;
    int64_t wm;
} run;

static int sym_index(const run *r, const char *name)
{
    for (int i = 0; i < NSYM; i++)
        if (strcmp(sim_symbol(r->sim, i), name) == 0)
            return i;
    return -1;
}

static void on_bar(void *opaque, const bar *b)
{
    run *r = opaque;
    int i = sym_index(r, b->symbol);
    ind_values v;
    alert a[3];
    int n = ind_update(&r->st[i], &r->cfg, b, &v, a);
    r->bars++;
    for (int k = 0; k < n; k++) {
        r->counts[a[k].kind]++;
        if (i == 0)
            r->counts_first[a[k].kind]++;
    }
}

static void simulate(run *r, sim_scenario sc, double seconds)
{
    memset(r, 0, sizeof(*r));
    ind_config_default(&r->cfg);
    sim_config c = {.seed = 99,
                    .nsymbols = NSYM,
                    .start_ns = 1767225600LL * S,
                    .rate = 2000,
                    .first_id = 1,
                    .scenario = sc,
                    .scenario_at = 120};
    char err[128];
    sim *s = sim_new(&c, err, sizeof(err));
    r->sim = s;
    for (int i = 0; i < NSYM; i++)
        ind_state_init(&r->st[i]);
    int64_t iv[] = {S};
    window_agg *w = window_agg_new(iv, 1, 0);
    int64_t next_stale = c.start_ns;
    trade t;
    do {
        sim_next(s, &t);
        window_agg_add(w, &t, 0, on_bar, r);
        if (t.ts >= next_stale) { /* the processor's periodic stale sweep */
            for (int i = 0; i < NSYM; i++) {
                alert a;
                if (ind_check_stale(&r->st[i], &r->cfg, t.ts, &a)) {
                    r->counts[ALERT_STALE]++;
                    if (i == 0)
                        r->counts_first[ALERT_STALE]++;
                }
            }
            next_stale = t.ts + S;
        }
    } while (t.ts < c.start_ns + (int64_t)(seconds * 1e9));
    window_agg_free(w);
    sim_free(s);
    for (int i = 0; i < NSYM; i++)
        ind_state_free(&r->st[i]);
}

static void test_ordinary_trading_is_quiet(void)
{
    static run r;
    simulate(&r, SIM_SCENARIO_NONE, 600);
    int total = r.counts[0] + r.counts[1] + r.counts[2] + r.counts[3];
    double rate = (double)total / (double)r.bars;
    printf("  false positives: %d alerts over %lld bars in 10 min of 20 symbols (%.4f%%): "
           "price %d, volume %d, gap %d, stale %d\n",
           total, (long long)r.bars, 100 * rate, r.counts[0], r.counts[1], r.counts[2],
           r.counts[3]);
    CHECK(r.bars > 10000);
    CHECK(rate < 0.001); /* fewer than 1 alert per 1,000 bars */
}

static void test_flash_crash(void)
{
    static run r;
    simulate(&r, SIM_SCENARIO_FLASH_CRASH, 180);
    /* The drop; the recovery 5 s later is judged against a volatility the drop
     * itself inflated, so it need not reach the threshold. */
    CHECK(r.counts_first[ALERT_PRICE_MOVE] >= 1);
}

static void test_volume_spike(void)
{
    static run r;
    simulate(&r, SIM_SCENARIO_VOLUME_SPIKE, 180);
    CHECK(r.counts_first[ALERT_VOLUME_SPIKE] >= 1);
}

static void test_halt_and_gap(void)
{
    static run r;
    simulate(&r, SIM_SCENARIO_HALT, 240);
    CHECK(r.counts_first[ALERT_STALE] >= 1);
    CHECK(r.counts_first[ALERT_GAP] >= 1);
}

static void test_scenario_parse(void)
{
    sim_scenario k;
    double at;
    CHECK(sim_scenario_parse("halt", &k, &at) == 0 && k == SIM_SCENARIO_HALT && at == 30);
    CHECK(sim_scenario_parse("flash-crash@45", &k, &at) == 0 && k == SIM_SCENARIO_FLASH_CRASH &&
          at == 45);
    CHECK(sim_scenario_parse("volume-spike@10s", &k, &at) == 0 && at == 10);
    CHECK(sim_scenario_parse("meteor", &k, &at) == -1);
    CHECK(sim_scenario_parse("halt@x", &k, &at) == -1);
}

TEST_MAIN(TEST(test_ordinary_trading_is_quiet), TEST(test_flash_crash), TEST(test_volume_spike),
          TEST(test_halt_and_gap), TEST(test_scenario_parse))
