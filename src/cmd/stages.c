/* stages.c - stage options to stage configurations; see stages.h. */
#include "stages.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bar.h"
#include "replay_ingest.h"
#include "rest_poll.h"
#include "lakepath.h"
#include "log.h"
#include "tables.h"
#include "util.h"

void stage_opts_init(stage_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->topic_prefix = "";
    o->partitions = 4;
    o->replication = 0; /* by cluster size */
    o->seed = 1;
    o->symbols = "50";
    o->rate = "10000";
    o->encoding = "json";
    o->quotes = "0";
    o->intervals = "1s,1m,5m";
    o->lateness = NS_PER_SEC;
    o->max_ahead = 7 * 24 * 3600 * NS_PER_SEC;
    o->eos = "auto";
    o->instance_id = "0";
    o->idle_timeout = 5 * NS_PER_SEC;
    o->late = "drop";
    o->late_horizon = 60 * NS_PER_SEC;
    ind_config ic;
    ind_config_default(&ic);
    o->sma = "20,50";
    o->ema = "12,26";
    o->rsi = ic.rsi_period;
    o->vol_window = ic.vol_window;
    o->bollinger = "20,2";
    o->alert_z = ic.z_threshold;
    o->alert_volume = ic.volume_ratio;
    o->alert_trades = ic.trades_ratio;
    o->alert_volume_window = ic.volume_window;
    o->alert_gap = ic.gap_pct;
    o->alert_stale = ic.stale_after_ns;
    o->lake = "./lake";
    o->roll_rows = SINK_DEFAULT_ROLL_ROWS;
    o->roll_bytes = SINK_DEFAULT_ROLL_BYTES;
    o->roll_interval = 60 * NS_PER_SEC;
    o->s3_write_timeout = 300 * NS_PER_SEC;
    o->av_interval = "5min";
}

static int topic_settings(const cli_command *cmd, const stage_opts *o)
{
    if (strlen(o->topic_prefix) > 64)
        return cli_usage_error(cmd, "--topic-prefix is longer than 64 characters");
    if (o->partitions < 1 || o->partitions > 1024)
        return cli_usage_error(cmd, "--partitions must be between 1 and 1024");
    if (o->replication < 0 || o->replication > 32)
        return cli_usage_error(cmd, "--replication must be between 1 and 32 (0: by cluster size)");
    if (o->min_insync_replicas < 0 || o->min_insync_replicas > 32)
        return cli_usage_error(cmd, "--min-insync-replicas must be between 1 and 32 (0: by "
                                    "the replication factor)");
    if (o->replication > 0 && o->min_insync_replicas > o->replication)
        return cli_usage_error(cmd, "--min-insync-replicas must not exceed --replication");
    return 0;
}

int stage_ingest_config(const cli_command *cmd, const stage_opts *o, ingest_config *out,
                        char topic[160], char quotes_topic[160])
{
    memset(out, 0, sizeof(*out));
    cli_kafka_opts(&o->kafka, &out->kafka);
    if (topic_settings(cmd, o))
        return 2;
    snprintf(topic, 160, "%s%s", o->topic_prefix, TOPIC_TRADES);
    out->topic = topic;
    snprintf(quotes_topic, 160, "%s%s", o->topic_prefix, TOPIC_QUOTES);
    out->quotes_topic = quotes_topic;
    out->partitions = (int)o->partitions;
    out->replication = (int)o->replication;
    out->min_isr = (int)o->min_insync_replicas;
    int64_t nsym;
    if (parse_int64(o->symbols, 1, SIM_MAX_SYMBOLS, &nsym) != 0)
        return cli_usage_error(cmd,
                               "--symbols must be a number between 1 and %d for the simulator "
                               "(a list such as BTC-USD,ETH-USD is for live feeds: --source "
                               "coinbase,...)",
                               SIM_MAX_SYMBOLS);
    if (o->count < 0)
        return cli_usage_error(cmd, "--count must not be negative");
    out->count = o->count;
    out->sim.seed = (uint64_t)o->seed;
    out->sim.nsymbols = (int)nsym;
    out->sim.first_id = 1;
    if (tick_encoding_parse(o->encoding, &out->encoding) != 0)
        return cli_usage_error(cmd, "--encoding must be json or binary, not '%s'", o->encoding);
    {
        char *end;
        double q = strtod(o->quotes, &end);
        if (end == o->quotes || *end || !(q >= 0) || q > 1000)
            return cli_usage_error(cmd, "--quotes must be a number from 0 to 1000, not '%s'",
                                   o->quotes);
        out->sim.quote_ratio = q;
    }
    if (o->session < 0 || (o->session > 0 && o->session < NS_PER_SEC))
        return cli_usage_error(cmd, "--session must be 0 (flat) or at least 1s");
    out->sim.session_ns = o->session;
    if (o->scenario &&
        sim_scenario_parse(o->scenario, &out->sim.scenario, &out->sim.scenario_at) != 0)
        return cli_usage_error(cmd,
                               "--scenario expects flash-crash, volume-spike or halt, "
                               "optionally @SECONDS, not '%s'",
                               o->scenario);
    if (strcmp(o->rate, "max") == 0) {
        out->max_rate = 1;
        out->sim.rate = 10000;
    } else {
        char *end;
        double r = strtod(o->rate, &end);
        if (end == o->rate || *end || !(r > 0) || r > 1e9)
            return cli_usage_error(cmd, "--rate must be a positive number or 'max', not '%s'",
                                   o->rate);
        out->sim.rate = r;
    }
    if (o->start) {
        int64_t ns;
        if (lake_parse_date(o->start, &ns) != 0 && parse_int64(o->start, 0, INT64_MAX, &ns) != 0)
            return cli_usage_error(
                cmd, "--start expects YYYY-MM-DD or ns since the epoch, not '%s'", o->start);
        /* The processor and the sink count a tick outside these times as bad
         * (trade_check_range): a start outside them would only feed the
         * dead-letter topic. */
        if (ns < TICK_TS_MIN || ns > TICK_TS_MAX)
            return cli_usage_error(cmd,
                                   "--start must be from 1800-01-01 to 2200-01-01 (the times "
                                   "the processor and the sink accept), not '%s'",
                                   o->start);
        out->sim.start_ns = ns;
    } else {
        out->sim.start_ns = now_ns();
        out->start_now = 1; /* reset when the first tick is due */
    }
    return 0;
}

/* A comma-separated list of distinct periods, each 2..IND_MAX_WINDOW bars. */
static int parse_periods(const char *opt, const char *list, int *out, int *n, char *errstr,
                         size_t errstr_size)
{
    char tmp[256];
    *n = 0;
    if (strlcpy_tl(tmp, list, sizeof(tmp)) >= sizeof(tmp))
        return set_err(errstr, errstr_size, "%s is too long", opt);
    char *save = NULL;
    for (char *tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int64_t v;
        if (parse_int64(tok, 2, IND_MAX_WINDOW, &v) != 0)
            return set_err(errstr, errstr_size, "%s: '%s' is not a period from 2 to %d bars", opt,
                           tok, IND_MAX_WINDOW);
        for (int i = 0; i < *n; i++)
            if (out[i] == (int)v)
                return set_err(errstr, errstr_size, "%s: %d given twice", opt, (int)v);
        if (*n == IND_MAX_PERIODS)
            return set_err(errstr, errstr_size, "%s: at most %d periods", opt, IND_MAX_PERIODS);
        out[(*n)++] = (int)v;
    }
    if (*n == 0)
        return set_err(errstr, errstr_size, "%s: no period given", opt);
    return 0;
}

/* A threshold: a finite number above 0. */
static int positive(const char *opt, double v, char *errstr, size_t errstr_size)
{
    if (!(v > 0) || !isfinite(v))
        return set_err(errstr, errstr_size, "%s must be a number above 0, not %g", opt, v);
    return 0;
}

int stage_ind_config(const stage_opts *o, ind_config *out, char *errstr, size_t errstr_size)
{
    ind_config_default(out);
    if (parse_periods("--sma", o->sma, out->sma, &out->nsma, errstr, errstr_size) != 0 ||
        parse_periods("--ema", o->ema, out->ema, &out->nema, errstr, errstr_size) != 0)
        return -1;
    if (o->rsi < 2 || o->rsi > IND_MAX_WINDOW)
        return set_err(errstr, errstr_size, "--rsi must be from 2 to %d, not %lld", IND_MAX_WINDOW,
                       (long long)o->rsi);
    out->rsi_period = (int)o->rsi;
    /* The rings hold one more close than returns (and one more bar than the
     * volume baseline, the bar being judged). */
    if (o->vol_window < 2 || o->vol_window > IND_MAX_WINDOW - 1)
        return set_err(errstr, errstr_size,
                       "--volatility-window must be from 2 to %d returns, not %lld",
                       IND_MAX_WINDOW - 1, (long long)o->vol_window);
    out->vol_window = (int)o->vol_window;
    {
        const char *comma = strchr(o->bollinger, ',');
        char n[32], *end;
        int64_t period;
        size_t nl = comma ? (size_t)(comma - o->bollinger) : 0;
        if (!comma || nl >= sizeof(n))
            return set_err(errstr, errstr_size, "--bollinger expects N,K (e.g. 20,2), not '%s'",
                           o->bollinger);
        memcpy(n, o->bollinger, nl);
        n[nl] = '\0';
        double k = strtod(comma + 1, &end);
        if (parse_int64(n, 2, IND_MAX_WINDOW, &period) != 0)
            return set_err(errstr, errstr_size,
                           "--bollinger: N must be a period from 2 to %d bars, not '%s'",
                           IND_MAX_WINDOW, n);
        if (end == comma + 1 || *end || !(k > 0) || !isfinite(k))
            return set_err(errstr, errstr_size,
                           "--bollinger: K must be a number of standard deviations above 0, "
                           "not '%s'",
                           comma + 1);
        out->bb_period = (int)period;
        out->bb_k = k;
    }
    if (positive("--alert-z", o->alert_z, errstr, errstr_size) != 0 ||
        positive("--alert-volume", o->alert_volume, errstr, errstr_size) != 0 ||
        positive("--alert-trades", o->alert_trades, errstr, errstr_size) != 0 ||
        positive("--alert-gap", o->alert_gap, errstr, errstr_size) != 0)
        return -1;
    out->z_threshold = o->alert_z;
    out->volume_ratio = o->alert_volume;
    out->trades_ratio = o->alert_trades;
    out->gap_pct = o->alert_gap;
    if (o->alert_volume_window < 1 || o->alert_volume_window > IND_MAX_WINDOW - 1)
        return set_err(errstr, errstr_size, "--alert-volume-window must be from 1 to %d, not %lld",
                       IND_MAX_WINDOW - 1, (long long)o->alert_volume_window);
    out->volume_window = (int)o->alert_volume_window;
    if (o->alert_stale <= 0)
        return set_err(errstr, errstr_size, "--alert-stale must be longer than 0");
    out->stale_after_ns = o->alert_stale;
    /* Whatever passed the checks above must pass the processor's own. */
    return ind_config_check(out, errstr, errstr_size);
}

/* The sink lands the periods it is given (sink --sma/--ema; `run` gives it
 * the processor's). A standalone processor with other periods than the
 * defaults says so, since a sink run apart needs the same options. */
static void note_sink_periods(const cli_command *cmd, const stage_opts *o)
{
    if (strcmp(cmd->name, "process") != 0)
        return;
    stage_opts d;
    stage_opts_init(&d);
    if (strcmp(o->sma, d.sma) != 0 || strcmp(o->ema, d.ema) != 0)
        LOG_INFO("process: SMA periods %s, EMA periods %s: give `ticklake sink` the same --sma "
                 "and --ema (or one [process sink] section of a config file) for these columns "
                 "in the lake",
                 o->sma, o->ema);
}

/* stage_process_config; with_ind 0 leaves out (and does not check) the
 * indicator settings, for the sink, which needs only the intervals. */
static int process_settings(const cli_command *cmd, const stage_opts *o, process_config *out,
                            int with_ind)
{
    memset(out, 0, sizeof(*out));
    cli_kafka_opts(&o->kafka, &out->kafka);
    if (topic_settings(cmd, o))
        return 2;
    out->partitions = (int)o->partitions;
    out->replication = (int)o->replication;
    out->min_isr = (int)o->min_insync_replicas;
    out->topic_prefix = o->topic_prefix;
    out->lateness_ns = o->lateness;
    out->max_ahead_ns = o->max_ahead;
    out->idle_timeout_ns = o->idle_timeout;
    if (strcmp(o->late, "update") == 0)
        out->late_horizon_ns = o->late_horizon;
    else if (strcmp(o->late, "drop") != 0)
        return cli_usage_error(cmd, "--late must be drop or update, not '%s'", o->late);
    out->commit_interval_ns = o->commit_interval;
    out->instance_id = o->instance_id;
    if (strcmp(o->eos, "auto") == 0)
        out->eos = -1;
    else if (strcmp(o->eos, "on") == 0)
        out->eos = 1;
    else if (strcmp(o->eos, "off") == 0)
        out->eos = 0;
    else
        return cli_usage_error(cmd, "--eos must be auto, on or off, not '%s'", o->eos);
    char tmp[256];
    if (strlcpy_tl(tmp, o->intervals, sizeof(tmp)) >= sizeof(tmp))
        return cli_usage_error(cmd, "--intervals is too long");
    char *save = NULL;
    for (char *tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int64_t iv;
        if (interval_parse(tok, &iv) != 0 || (86400 * NS_PER_SEC) % iv != 0 || iv < 1000000)
            return cli_usage_error(cmd,
                                   "--intervals: '%s' is not an interval that divides a day "
                                   "(e.g. 1s, 5s, 1m, 5m, 1h)",
                                   tok);
        for (size_t i = 0; i < out->nintervals; i++)
            if (out->intervals[i] == iv)
                return cli_usage_error(cmd, "--intervals: '%s' given twice", tok);
        if (out->nintervals == BAR_MAX_INTERVALS)
            return cli_usage_error(cmd, "--intervals: at most %d", BAR_MAX_INTERVALS);
        /* Kept shortest first, whatever the order given: the processor's
         * stale check runs on its first, the shortest, interval. */
        size_t at = out->nintervals++;
        while (at > 0 && out->intervals[at - 1] > iv) {
            out->intervals[at] = out->intervals[at - 1];
            at--;
        }
        out->intervals[at] = iv;
    }
    if (out->nintervals == 0)
        return cli_usage_error(cmd, "--intervals: none given");
    if (!with_ind)
        return 0;
    char err[256];
    if (stage_ind_config(o, &out->ind, err, sizeof(err)) != 0)
        return cli_usage_error(cmd, "%s", err);
    out->has_ind = 1;
    note_sink_periods(cmd, o);
    return 0;
}

int stage_process_config(const cli_command *cmd, const stage_opts *o, process_config *out)
{
    return process_settings(cmd, o, out, 1);
}

int stage_sink_config(const cli_command *cmd, const stage_opts *o, sink_config *out,
                      char topic_names[][64])
{
    process_config pc;
    int rc = process_settings(cmd, o, &pc, 0);
    if (rc)
        return rc;
    memset(out, 0, sizeof(*out));
    cli_kafka_opts(&o->kafka, &out->kafka);
    out->partitions = pc.partitions;
    out->replication = pc.replication;
    out->min_isr = pc.min_isr;
    out->topic_prefix = o->topic_prefix;
    if (!o->lake || !*o->lake)
        return cli_usage_error(cmd, "--lake must not be empty");
    out->lake = o->lake;
    if (o->s3_addressing && strcmp(o->s3_addressing, "path") != 0 &&
        strcmp(o->s3_addressing, "virtual") != 0 && strcmp(o->s3_addressing, "auto") != 0)
        return cli_usage_error(cmd, "--s3-addressing must be path, virtual or auto, not '%s'",
                               o->s3_addressing);
    out->storage.s3_endpoint = o->s3_endpoint;
    out->storage.s3_region = o->s3_region;
    out->storage.s3_addressing = o->s3_addressing;
    out->storage.s3_profile = o->s3_profile;
    if (o->s3_write_timeout <= 0)
        return cli_usage_error(cmd, "--s3-write-timeout must be positive");
    out->storage.s3_write_retry_ns = o->s3_write_timeout;
    if (o->s3_multipart_threshold < 0)
        return cli_usage_error(cmd, "--s3-multipart-threshold must not be negative");
    out->storage.s3_multipart_threshold = o->s3_multipart_threshold;
    if (o->roll_rows < 1)
        return cli_usage_error(cmd, "--roll-rows must be at least 1");
    if (o->roll_bytes < 1)
        return cli_usage_error(cmd, "--roll-bytes must be at least 1");
    if (o->roll_interval <= 0)
        return cli_usage_error(cmd, "--roll-interval must be positive");
    out->roll_rows = o->roll_rows;
    out->roll_bytes = o->roll_bytes;
    out->roll_interval_ns = o->roll_interval;
    out->instance_id = o->instance_id;
    out->topics[out->ntopics++] = TOPIC_TRADES;
    out->topics[out->ntopics++] = TOPIC_QUOTES;
    for (size_t i = 0; i < pc.nintervals; i++) {
        char name[32];
        interval_name(pc.intervals[i], name, sizeof(name));
        snprintf(topic_names[2 * i], 64, "%s%s", TOPIC_BARS_PREFIX, name);
        snprintf(topic_names[2 * i + 1], 64, "%s%s", TOPIC_INDICATORS_PREFIX, name);
        out->topics[out->ntopics++] = topic_names[2 * i];
        out->topics[out->ntopics++] = topic_names[2 * i + 1];
    }
    out->topics[out->ntopics++] = TOPIC_ALERTS;
    out->topics[out->ntopics++] = TOPIC_INDEX_DAILY;
    out->topics[out->ntopics++] = TOPIC_SNAPSHOTS;
    out->topics[out->ntopics++] = TOPIC_BARS_REST;
    char err[256];
    if (parse_periods("--sma", o->sma, out->sma, &out->nsma, err, sizeof(err)) != 0 ||
        parse_periods("--ema", o->ema, out->ema, &out->nema, err, sizeof(err)) != 0)
        return cli_usage_error(cmd, "%s", err);
    return 0;
}

#include <pthread.h>

typedef struct supervised {
    int (*fn)(void *arg);
    void *arg;
    int rc;
    atomic_int done;
} supervised;

static void *supervised_main(void *p)
{
    supervised *s = p;
    s->rc = s->fn(s->arg);
    atomic_store(&s->done, 1);
    return NULL;
}

int stage_run_supervised(int (*fn)(void *arg), void *arg, stage_control *ctl, int64_t duration_ns)
{
    supervised s = {.fn = fn, .arg = arg};
    atomic_init(&s.done, 0);
    cli_handle_signals(ctl);
    pthread_t th;
    if (pthread_create(&th, NULL, supervised_main, &s) != 0)
        return -1;
    int64_t deadline = duration_ns > 0 ? mono_ns() + duration_ns : 0;
    while (!atomic_load(&s.done)) {
        if (deadline && mono_ns() >= deadline)
            atomic_store(&ctl->stop, 1);
        sleep_ns(50 * 1000000LL);
    }
    pthread_join(th, NULL);
    return s.rc;
}

int stage_source_is_feed(const char *source)
{
    feed_provider p;
    char first[32];
    size_t n = strcspn(source, ",");
    if (n >= sizeof(first))
        return 0;
    memcpy(first, source, n);
    first[n] = '\0';
    return feed_provider_parse(first, &p) == 0;
}

int stage_source_is_rest(const char *name)
{
    return strcmp(name, "finnhub-quote") == 0 || strcmp(name, "alphavantage") == 0;
}

int stage_rest_config(const cli_command *cmd, const stage_opts *o, const char *name,
                      rest_poll_config *c, const char **syms, char *symbuf, size_t symbuf_size,
                      char *topic, size_t topic_size)
{
    memset(c, 0, sizeof(*c));
    int fh = strcmp(name, "finnhub-quote") == 0;
    cli_kafka_opts(&o->kafka, &c->kafka);
    c->kind = fh ? REST_FINNHUB_QUOTE : REST_ALPHAVANTAGE;
    const char *env = fh ? "FINNHUB_TOKEN" : "ALPHAVANTAGE_API_KEY";
    c->key = fh ? o->finnhub_token : o->av_key;
    if (!c->key)
        c->key = getenv(env);
    const char *avi = o->av_interval;
    if (!c->key || !*c->key)
        return cli_usage_error(cmd, "--source %s needs its key in the environment: %s", name, env);
    if (o->feed_urls.n > 1)
        return cli_usage_error(cmd, "--feed-url: one base URL for a REST source");
    if (strspn(o->symbols, "0123456789") == strlen(o->symbols))
        return cli_usage_error(cmd, "--source %s needs --symbols LIST, e.g. AAPL,MSFT", name);
    if (o->poll_every < 0 || o->poll_gap < 0)
        return cli_usage_error(cmd, "--poll-interval and --poll-gap must not be negative");
    if (!fh && strcmp(avi, "1min") && strcmp(avi, "5min") && strcmp(avi, "15min") &&
        strcmp(avi, "30min") && strcmp(avi, "60min"))
        return cli_usage_error(cmd, "--av-interval must be 1min, 5min, 15min, 30min or 60min");
    if (strlcpy_tl(symbuf, o->symbols, symbuf_size) >= symbuf_size)
        return cli_usage_error(cmd, "--symbols is too long");
    char *save = NULL;
    for (char *tok = strtok_r(symbuf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (c->nsymbols == FEED_MAX_SYMBOLS || strlen(tok) >= TICK_SYMBOL_MAX)
            return cli_usage_error(cmd, "--symbols: at most %d of at most %d bytes",
                                   FEED_MAX_SYMBOLS, TICK_SYMBOL_MAX - 1);
        syms[c->nsymbols++] = tok;
    }
    c->symbols = syms;
    c->url = o->feed_urls.n ? o->feed_urls.items[0] : NULL;
    c->ca_file = o->feed_ca;
    c->interval = avi;
    c->interval_ns = o->poll_every;
    c->min_gap_ns = o->poll_gap;
    c->partitions = (int)o->partitions;
    c->replication = (int)o->replication;
    c->min_isr = (int)o->min_insync_replicas;
    snprintf(topic, topic_size, "%s%s", o->topic_prefix, fh ? TOPIC_SNAPSHOTS : TOPIC_BARS_REST);
    c->topic = topic;
    return 0;
}

int stage_feed_config(const cli_command *cmd, const stage_opts *o, const char *source,
                      feed_ingest_config *out, const char **syms, char *symbuf, size_t symbuf_size)
{
    memset(out, 0, sizeof(*out));
    cli_kafka_opts(&o->kafka, &out->kafka);
    if (topic_settings(cmd, o))
        return 2;
    out->partitions = (int)o->partitions;
    out->replication = (int)o->replication;
    out->min_isr = (int)o->min_insync_replicas;
    char tmp[256];
    if (strlcpy_tl(tmp, source, sizeof(tmp)) >= sizeof(tmp))
        return cli_usage_error(cmd, "--source is too long");
    char *save = NULL;
    for (char *tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        feed_provider p;
        if (feed_provider_parse(tok, &p) != 0)
            return cli_usage_error(cmd,
                                   "--source: unknown feed '%s' (known: coinbase, binance, "
                                   "kraken, finnhub, alpaca, polygon)",
                                   tok);
        for (size_t i = 0; i < out->nsources; i++)
            if (out->sources[i].provider == p)
                return cli_usage_error(cmd, "--source: '%s' given twice", tok);
        feed_source_config *sc = &out->sources[out->nsources++];
        sc->provider = p;
        const char *kenv = feed_key_env(p), *senv = feed_secret_env(p);
        /* An option (from a config file, usually) wins over the environment. */
        const char *kopt = p == FEED_FINNHUB   ? o->finnhub_token
                           : p == FEED_ALPACA  ? o->apca_key_id
                           : p == FEED_POLYGON ? o->polygon_api_key
                                               : NULL;
        if (kenv) {
            sc->key = kopt ? kopt : getenv(kenv);
            if (!sc->key || !*sc->key)
                return cli_usage_error(
                    cmd, "--source %s needs its key in the environment (or a config file): %s%s%s",
                    tok, kenv, senv ? " and " : "", senv ? senv : "");
        }
        if (senv) {
            sc->secret = o->apca_secret_key ? o->apca_secret_key : getenv(senv);
            if (!sc->secret || !*sc->secret)
                return cli_usage_error(cmd, "--source %s needs %s in the environment", tok, senv);
        }
    }
    for (size_t i = 0; i < o->feed_urls.n; i++) {
        const char *u = o->feed_urls.items[i];
        const char *eq = strchr(u, '=');
        const char *colon = strstr(u, "://");
        if (eq && (!colon || eq < colon)) {
            char name[32];
            size_t n = (size_t)(eq - u);
            feed_provider p;
            if (n >= sizeof(name))
                return cli_usage_error(cmd, "--feed-url: bad provider in '%s'", u);
            memcpy(name, u, n);
            name[n] = '\0';
            size_t k = 0;
            if (feed_provider_parse(name, &p) == 0)
                while (k < out->nsources && out->sources[k].provider != p)
                    k++;
            if (feed_provider_parse(name, &p) != 0 || k == out->nsources)
                return cli_usage_error(cmd, "--feed-url: '%s' is not one of --source", name);
            out->sources[k].url = eq + 1;
        } else if (out->nsources == 1) {
            out->sources[0].url = u;
        } else {
            return cli_usage_error(cmd,
                                   "--feed-url: with several sources, say whose: PROVIDER=URL");
        }
    }
    for (size_t i = 0; i < out->nsources; i++) {
        const char *u = out->sources[i].url;
        if (u && strncmp(u, "ws://", 5) != 0 && strncmp(u, "wss://", 6) != 0)
            return cli_usage_error(cmd, "--feed-url: '%s' is not a ws:// or wss:// URL", u);
    }
    /* A count is the simulator's --symbols (its default, 50, when none was
     * given): a feed needs the instruments named. */
    if (strspn(o->symbols, "0123456789") == strlen(o->symbols))
        return cli_usage_error(cmd, "--source %s needs --symbols LIST, e.g. %s", source,
                               out->nsources && feed_is_crypto(out->sources[0].provider)
                                   ? "BTC-USD,ETH-USD"
                                   : "AAPL,MSFT");
    if (strlcpy_tl(symbuf, o->symbols, symbuf_size) >= symbuf_size)
        return cli_usage_error(cmd, "--symbols is too long");
    save = NULL;
    for (char *tok = strtok_r(symbuf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (out->nsymbols == FEED_MAX_SYMBOLS)
            return cli_usage_error(cmd, "--symbols: at most %d", FEED_MAX_SYMBOLS);
        for (char *c = tok; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 'a' + 'A');
        for (size_t i = 0; i < out->nsources; i++) {
            char ps[TICK_SYMBOL_MAX];
            if (feed_symbol_for_provider(out->sources[i].provider, tok, ps, sizeof(ps)) != 0)
                return cli_usage_error(cmd, "--symbols: '%s' is not a %s symbol%s", tok,
                                       feed_provider_name(out->sources[i].provider),
                                       feed_is_crypto(out->sources[i].provider)
                                           ? " (crypto pairs are BASE-QUOTE, e.g. BTC-USD)"
                                           : "");
        }
        syms[out->nsymbols++] = tok;
    }
    if (out->nsymbols == 0 || strspn(o->symbols, "0123456789") == strlen(o->symbols))
        return cli_usage_error(cmd, "live feeds need --symbols LIST, e.g. BTC-USD,ETH-USD");
    out->symbols = syms;
    out->ca_file = o->feed_ca;
    out->insecure = o->feed_insecure;
    out->quotes = o->feed_quotes;
    out->stall_ns = o->feed_stall;
    out->backoff_max_ns = o->feed_backoff_max;
    if (o->feed_stall < 0 || o->feed_backoff_max < 0)
        return cli_usage_error(cmd, "--feed-stall and --feed-backoff-max must not be negative");
    return 0;
}

const char *stage_unacked_note(int64_t n, char *out, size_t out_size)
{
    if (n == 0)
        return "";
    snprintf(out, out_size, ", %lld sent unconfirmed (acks=0)", (long long)n);
    return out;
}
