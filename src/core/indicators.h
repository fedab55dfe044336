/* indicators.h - technical indicators and anomaly alerts over closed bars.
 *
 * One ind_state per (symbol, interval) follows the bars of that series as
 * they close and computes, after each bar: simple and exponential moving
 * averages of the close for configured periods, RSI with Wilder's smoothing,
 * the rolling volatility (sample standard deviation) of log returns, and
 * Bollinger bands (SMA +/- k standard deviations of the close). A value is
 * NaN until enough bars have been seen.
 *
 * The same bar is checked for alerts against thresholds: a price move whose
 * z-score (log return over the volatility of the previous returns) reaches
 * z_threshold; a volume spike of volume_ratio times the mean volume of the
 * previous bars (with the trade count also trades_ratio times its mean, so
 * one block trade is not a spike of activity); a gap between the previous close and this open of
 * gap_pct; and (ind_check_stale) a symbol with no bar for stale_after of event time. Memory per
 * state is bounded by the longest window. Pure: no I/O. */
#ifndef TICKLAKE_INDICATORS_H
#define TICKLAKE_INDICATORS_H

#include <stddef.h>
#include <stdint.h>

#include "bar.h"
#include "util.h"

#define IND_MAX_PERIODS 4
#define IND_MAX_WINDOW 64

typedef struct ind_config {
    int sma[IND_MAX_PERIODS], nsma; /* SMA periods, e.g. 20, 50 */
    int ema[IND_MAX_PERIODS], nema; /* EMA periods, e.g. 12, 26 */
    int rsi_period;                 /* 14 */
    int vol_window;                 /* returns in the volatility, 20 */
    int bb_period;                  /* 20 */
    double bb_k;                    /* 2 */
    /* Alerts. */
    double z_threshold;     /* |z| of a bar's log return, 5 */
    double volume_ratio;    /* volume over its rolling mean, 8 */
    double trades_ratio;    /* ...and its trade count over their rolling mean, 3 */
    int volume_window;      /* bars in the volume baseline, 20 */
    double gap_pct;         /* |open / previous close - 1| in percent, 2 */
    int64_t stale_after_ns; /* no bar for this long, 60 s */
} ind_config;

/* Sensible defaults (the numbers above). */
void ind_config_default(ind_config *c);
/* Checks the periods fit IND_MAX_WINDOW and thresholds are positive. 0 / -1. */
int ind_config_check(const ind_config *c, char *errstr, size_t errstr_size);

/* The indicator values after one bar. */
typedef struct ind_values {
    double sma[IND_MAX_PERIODS];
    double ema[IND_MAX_PERIODS];
    double rsi;
    double volatility; /* of log returns, per bar */
    double bb_mid, bb_upper, bb_lower;
} ind_values;

typedef enum { ALERT_PRICE_MOVE, ALERT_VOLUME_SPIKE, ALERT_GAP, ALERT_STALE } alert_kind;

typedef struct alert {
    char symbol[TICK_SYMBOL_MAX];
    alert_kind kind;
    int64_t ts;       /* event time: the end of the triggering bar, or the check time */
    double value;     /* z-score, volume ratio, gap %, or seconds without a bar */
    double threshold; /* the threshold it crossed */
    bar trigger;      /* the bar that triggered it (the last bar seen, for stale) */
} alert;

const char *alert_kind_name(alert_kind k);

/* The state of one series. Its rings are allocated on the first update (or
 * decode), sized by the configuration, which must stay the same for the
 * state's life; ind_state_free releases them. */
typedef struct ind_state {
    int n;        /* bars seen */
    int nreturns; /* log returns seen */
    /* Rings of the most recent values, indexed by count mod capacity. */
    double *closes, *volumes, *trade_counts, *returns; /* one allocation */
    int cap_closes, cap_volumes, cap_returns;
    double ema[IND_MAX_PERIODS];
    double avg_gain, avg_loss;
    bar last; /* the previous bar */
    int stale_alerted;
} ind_state;

void ind_state_init(ind_state *s);
/* Frees the rings and leaves s as after ind_state_init. Accepts NULL. */
void ind_state_free(ind_state *s);

/* Folds a closed bar (bars of one series arrive in window order) into s,
 * fills *out, and writes up to 3 alerts into alerts; returns their number. */
int ind_update(ind_state *s, const ind_config *c, const bar *b, ind_values *out, alert *alerts);

/* 1 and an ALERT_STALE alert if the series' last bar ended more than
 * stale_after before now_ns (event time); once per silence. */
int ind_check_stale(ind_state *s, const ind_config *c, int64_t now_ns, alert *out);

/* The state of a series as bytes for the processor's changelog (docs/DATA.md,
 * "process changelog"): version 2, little-endian, doubles as their bit
 * patterns, so a decoded state continues exactly as the encoded one would.
 * It names c's RSI and EMA periods; only the ring values c can ever read are
 * written (the longest configured window of each ring), so a record is about
 * 1 KB with the defaults. */
void ind_state_encode(const ind_state *s, const ind_config *c, buf *out);
/* Decodes what ind_state_encode wrote into *s (initialised; what it held is
 * freed); version 1 records (no periods) count as written with the default
 * periods. -1 with errstr when the bytes are malformed, were written with
 * other RSI or EMA periods than c's, or hold fewer ring values than c needs
 * (written with shorter SMA, Bollinger or window periods): the caller then
 * starts the series afresh. Longer rings than c needs are fine (the newest
 * values are kept). */
int ind_state_decode(const void *data, size_t len, const ind_config *c, ind_state *s, char *errstr,
                     size_t errstr_size);

/* JSON for the indicators.<interval> and alerts topics (docs/DATA.md); NaN as null. */
void ind_encode_json(const bar *b, const ind_config *c, const ind_values *v, buf *out);
void alert_encode_json(const alert *a, buf *out);

#endif
