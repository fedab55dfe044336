/* Unit tests for stages.c: indicator and alert options -> ind_config, and
 * the process configuration they end up in; the sink's S3 write budget. */
#include <string.h>

#include "stages.h"
#include "testlib.h"

/* stage_ind_config on the defaults with one field changed by set(). */
static int ind_with(void (*set)(stage_opts *o), ind_config *c, char *err, size_t errlen)
{
    stage_opts o;
    stage_opts_init(&o);
    if (set)
        set(&o);
    err[0] = '\0';
    return stage_ind_config(&o, c, err, errlen);
}

static void test_defaults_are_ind_config_default(void)
{
    ind_config c, d;
    char err[256];
    CHECK_EQ_INT(ind_with(NULL, &c, err, sizeof(err)), 0);
    ind_config_default(&d);
    CHECK(memcmp(&c, &d, sizeof(c)) == 0);
}

static void set_all(stage_opts *o)
{
    o->sma = "5,10,30,64";
    o->ema = "9";
    o->rsi = 7;
    o->vol_window = 30;
    o->bollinger = "10,2.5";
    o->alert_z = 1.5;
    o->alert_volume = 2;
    o->alert_trades = 1.25;
    o->alert_volume_window = 5;
    o->alert_gap = 0.5;
    o->alert_stale = 10 * NS_PER_SEC;
}

static void test_every_option_lands_in_its_field(void)
{
    ind_config c;
    char err[256];
    CHECK_EQ_INT(ind_with(set_all, &c, err, sizeof(err)), 0);
    CHECK_EQ_INT(c.nsma, 4);
    CHECK_EQ_INT(c.sma[0], 5);
    CHECK_EQ_INT(c.sma[1], 10);
    CHECK_EQ_INT(c.sma[2], 30);
    CHECK_EQ_INT(c.sma[3], 64);
    CHECK_EQ_INT(c.nema, 1);
    CHECK_EQ_INT(c.ema[0], 9);
    CHECK_EQ_INT(c.rsi_period, 7);
    CHECK_EQ_INT(c.vol_window, 30);
    CHECK_EQ_INT(c.bb_period, 10);
    CHECK(c.bb_k == 2.5);
    CHECK(c.z_threshold == 1.5);
    CHECK(c.volume_ratio == 2);
    CHECK(c.trades_ratio == 1.25);
    CHECK_EQ_INT(c.volume_window, 5);
    CHECK(c.gap_pct == 0.5);
    CHECK_EQ_INT(c.stale_after_ns, 10 * NS_PER_SEC);
    CHECK_EQ_INT(ind_config_check(&c, err, sizeof(err)), 0);
}

/* Each error case: the option, and the message it must give. */
static void sma_five(stage_opts *o)
{
    o->sma = "2,3,4,5,6";
}
static void sma_zero(stage_opts *o)
{
    o->sma = "20,0";
}
static void sma_65(stage_opts *o)
{
    o->sma = "65";
}
static void sma_twice(stage_opts *o)
{
    o->sma = "20,20";
}
static void sma_empty(stage_opts *o)
{
    o->sma = "";
}
static void ema_word(stage_opts *o)
{
    o->ema = "12,x";
}
static void rsi_one(stage_opts *o)
{
    o->rsi = 1;
}
static void vol_64(stage_opts *o)
{
    o->vol_window = 64;
}
static void bb_no_k(stage_opts *o)
{
    o->bollinger = "20";
}
static void bb_zero_k(stage_opts *o)
{
    o->bollinger = "20,0";
}
static void bb_bad_n(stage_opts *o)
{
    o->bollinger = "1,2";
}
static void z_negative(stage_opts *o)
{
    o->alert_z = -1;
}
static void z_nan(stage_opts *o)
{
    o->alert_z = NAN;
}
static void volume_zero(stage_opts *o)
{
    o->alert_volume = 0;
}
static void trades_inf(stage_opts *o)
{
    o->alert_trades = INFINITY;
}
static void gap_negative(stage_opts *o)
{
    o->alert_gap = -2;
}
static void window_zero(stage_opts *o)
{
    o->alert_volume_window = 0;
}
static void stale_zero(stage_opts *o)
{
    o->alert_stale = 0;
}

static void test_errors_name_the_option_and_why(void)
{
    static const struct {
        void (*set)(stage_opts *);
        const char *err;
    } cases[] = {
        {sma_five, "--sma: at most 4 periods"},
        {sma_zero, "--sma: '0' is not a period from 2 to 64 bars"},
        {sma_65, "--sma: '65' is not a period from 2 to 64 bars"},
        {sma_twice, "--sma: 20 given twice"},
        {sma_empty, "--sma: no period given"},
        {ema_word, "--ema: 'x' is not a period from 2 to 64 bars"},
        {rsi_one, "--rsi must be from 2 to 64, not 1"},
        {vol_64, "--volatility-window must be from 2 to 63 returns, not 64"},
        {bb_no_k, "--bollinger expects N,K (e.g. 20,2), not '20'"},
        {bb_zero_k, "--bollinger: K must be a number of standard deviations above 0, not '0'"},
        {bb_bad_n, "--bollinger: N must be a period from 2 to 64 bars, not '1'"},
        {z_negative, "--alert-z must be a number above 0, not -1"},
        {z_nan, "--alert-z must be a number above 0, not nan"},
        {volume_zero, "--alert-volume must be a number above 0, not 0"},
        {trades_inf, "--alert-trades must be a number above 0, not inf"},
        {gap_negative, "--alert-gap must be a number above 0, not -2"},
        {window_zero, "--alert-volume-window must be from 1 to 63, not 0"},
        {stale_zero, "--alert-stale must be longer than 0"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ind_config c;
        char err[256];
        CHECK_EQ_INT(ind_with(cases[i].set, &c, err, sizeof(err)), -1);
        CHECK_EQ_STR(err, cases[i].err);
    }
}

/* The process configuration carries its own copy of the indicator
 * configuration; a zeroed one (has_ind 0) means the defaults. */
static void test_process_config_holds_the_ind_config(void)
{
    static const cli_option none[] = {CLI_OPT_END};
    const cli_command cmd = {"process", "ticklake process", "", none};
    stage_opts o;
    stage_opts_init(&o);
    o.alert_z = 1.5;
    o.ema = "5,9";
    process_config pc;
    CHECK_EQ_INT(stage_process_config(&cmd, &o, &pc), 0);
    CHECK_EQ_INT(pc.has_ind, 1);
    CHECK(pc.ind.z_threshold == 1.5);
    CHECK_EQ_INT(pc.ind.nema, 2);
    CHECK_EQ_INT(pc.ind.ema[1], 9);
    process_config copy = pc; /* no pointer into pc to dangle */
    CHECK(copy.ind.z_threshold == 1.5);
    o.alert_z = -1;
    CHECK_EQ_INT(stage_process_config(&cmd, &o, &pc), 2);
    process_config zero;
    memset(&zero, 0, sizeof(zero));
    CHECK_EQ_INT(zero.has_ind, 0);
}

/* --intervals in any order are kept shortest first: the processor's stale
 * check runs on the first one (with 1m,1s it ran once a minute). */
static void test_process_intervals_shortest_first(void)
{
    static const cli_option none[] = {CLI_OPT_END};
    const cli_command cmd = {"process", "ticklake process", "", none};
    stage_opts o;
    stage_opts_init(&o);
    o.intervals = "5m,1s,1h,1m";
    process_config pc;
    CHECK_EQ_INT(stage_process_config(&cmd, &o, &pc), 0);
    CHECK_EQ_INT(pc.nintervals, 4);
    CHECK(pc.intervals[0] == NS_PER_SEC && pc.intervals[1] == 60 * NS_PER_SEC &&
          pc.intervals[2] == 300 * NS_PER_SEC && pc.intervals[3] == 3600 * NS_PER_SEC);
}

/* --s3-write-timeout is the storage's write retry budget: 5 minutes unless
 * given, and never zero or negative (storage would read 0 as its default). */
static void test_sink_config_write_budget(void)
{
    static const cli_option none[] = {CLI_OPT_END};
    const cli_command cmd = {"sink", "ticklake sink", "", none};
    char names[SINK_TOPIC_NAMES][64];
    stage_opts o;
    stage_opts_init(&o);
    sink_config sc;
    CHECK_EQ_INT(stage_sink_config(&cmd, &o, &sc, names), 0);
    CHECK(sc.storage.s3_write_retry_ns == 300 * NS_PER_SEC);
    o.s3_write_timeout = 3 * NS_PER_SEC;
    CHECK_EQ_INT(stage_sink_config(&cmd, &o, &sc, names), 0);
    CHECK(sc.storage.s3_write_retry_ns == 3 * NS_PER_SEC);
    o.s3_write_timeout = 0;
    CHECK_EQ_INT(stage_sink_config(&cmd, &o, &sc, names), 2);
    /* --s3-multipart-threshold: 0 (storage's 8 MiB) unless given. */
    stage_opts_init(&o);
    CHECK_EQ_INT(stage_sink_config(&cmd, &o, &sc, names), 0);
    CHECK(sc.storage.s3_multipart_threshold == 0);
    o.s3_multipart_threshold = 1 << 20;
    CHECK_EQ_INT(stage_sink_config(&cmd, &o, &sc, names), 0);
    CHECK(sc.storage.s3_multipart_threshold == 1 << 20);
    o.s3_multipart_threshold = -1;
    CHECK_EQ_INT(stage_sink_config(&cmd, &o, &sc, names), 2);
}

TEST_MAIN(TEST(test_defaults_are_ind_config_default), TEST(test_every_option_lands_in_its_field),
          TEST(test_errors_name_the_option_and_why), TEST(test_process_config_holds_the_ind_config),
          TEST(test_process_intervals_shortest_first), TEST(test_sink_config_write_budget))
