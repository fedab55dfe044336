/* indicators.c - indicators and alerts over closed bars; see indicators.h. */
#include "indicators.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void ind_config_default(ind_config *c)
{
    memset(c, 0, sizeof(*c));
    c->sma[0] = 20;
    c->sma[1] = 50;
    c->nsma = 2;
    c->ema[0] = 12;
    c->ema[1] = 26;
    c->nema = 2;
    c->rsi_period = 14;
    c->vol_window = 20;
    c->bb_period = 20;
    c->bb_k = 2.0;
    c->z_threshold = 5.0;
    c->volume_ratio = 8.0;
    c->trades_ratio = 3.0;
    c->volume_window = 20;
    c->gap_pct = 2.0;
    c->stale_after_ns = 60 * NS_PER_SEC;
}

int ind_config_check(const ind_config *c, char *errstr, size_t errstr_size)
{
    int periods[2 * IND_MAX_PERIODS + 4];
    int n = 0;
    for (int i = 0; i < c->nsma; i++)
        periods[n++] = c->sma[i];
    for (int i = 0; i < c->nema; i++)
        periods[n++] = c->ema[i];
    periods[n++] = c->rsi_period;
    periods[n++] = c->vol_window + 1;
    periods[n++] = c->bb_period;
    periods[n++] = c->volume_window + 1;
    for (int i = 0; i < n; i++)
        if (periods[i] < 2 || periods[i] > IND_MAX_WINDOW)
            return set_err(errstr, errstr_size, "indicator periods must be between 2 and %d",
                           IND_MAX_WINDOW - 1);
    if (!(c->z_threshold > 0) || !(c->volume_ratio > 0) || !(c->trades_ratio > 0) ||
        !(c->gap_pct > 0) || !(c->bb_k > 0) || c->stale_after_ns <= 0)
        return set_err(errstr, errstr_size, "alert thresholds must be positive");
    return 0;
}

const char *alert_kind_name(alert_kind k)
{
    switch (k) {
    case ALERT_PRICE_MOVE:
        return "price_move";
    case ALERT_VOLUME_SPIKE:
        return "volume_spike";
    case ALERT_GAP:
        return "gap";
    case ALERT_STALE:
        return "stale";
    }
    return "unknown";
}

void ind_state_init(ind_state *s)
{
    memset(s, 0, sizeof(*s));
}

/* The i-th most recent value of a ring whose next slot is head. */
static double recent(const double *ring, int head, int i)
{
    return ring[((head - 1 - i) % IND_MAX_WINDOW + IND_MAX_WINDOW) % IND_MAX_WINDOW];
}

/* Mean and sample standard deviation of the k most recent values, skipping
 * the newest `skip`. */
static void stats(const double *ring, int head, int skip, int k, double *mean, double *sd)
{
    double sum = 0, sq = 0;
    for (int i = skip; i < skip + k; i++)
        sum += recent(ring, head, i);
    double m = sum / k;
    for (int i = skip; i < skip + k; i++) {
        double d = recent(ring, head, i) - m;
        sq += d * d;
    }
    *mean = m;
    *sd = k > 1 ? sqrt(sq / (k - 1)) : NAN;
}

static void make_alert(alert *a, const bar *b, alert_kind kind, double value, double threshold)
{
    memset(a, 0, sizeof(*a));
    memcpy(a->symbol, b->symbol, sizeof(a->symbol));
    a->kind = kind;
    a->ts = b->window_start + b->interval_ns;
    a->value = value;
    a->threshold = threshold;
    a->trigger = *b;
}

int ind_update(ind_state *s, const ind_config *c, const bar *b, ind_values *out, alert *alerts)
{
    int nalerts = 0;
    int have_prev = s->n > 0;
    double prev_close = s->last.close;
    /* Alerts are judged against the history before this bar. */
    if (have_prev && prev_close > 0) {
        double r = log(b->close / prev_close);
        if (s->nreturns >= c->vol_window) {
            double m, sd;
            stats(s->returns, s->nreturns, 0, c->vol_window, &m, &sd);
            if (sd > 0 && fabs(r / sd) >= c->z_threshold)
                make_alert(&alerts[nalerts++], b, ALERT_PRICE_MOVE, r / sd, c->z_threshold);
        }
        double gap = (b->open / prev_close - 1.0) * 100.0;
        if (fabs(gap) >= c->gap_pct)
            make_alert(&alerts[nalerts++], b, ALERT_GAP, gap, c->gap_pct);
    }
    if (s->n >= c->volume_window) {
        double m, sd, mt, sdt;
        stats(s->volumes, s->head, 0, c->volume_window, &m, &sd);
        stats(s->trade_counts, s->head, 0, c->volume_window, &mt, &sdt);
        if (m > 0 && (double)b->volume / m >= c->volume_ratio && mt > 0 &&
            (double)b->trades / mt >= c->trades_ratio)
            make_alert(&alerts[nalerts++], b, ALERT_VOLUME_SPIKE, (double)b->volume / m,
                       c->volume_ratio);
    }

    /* Fold the bar in. */
    if (have_prev && prev_close > 0) {
        s->returns[s->nreturns % IND_MAX_WINDOW] = log(b->close / prev_close);
        s->nreturns++;
    }
    double change = have_prev ? b->close - prev_close : 0;
    s->closes[s->head] = b->close;
    s->volumes[s->head] = (double)b->volume;
    s->trade_counts[s->head] = (double)b->trades;
    s->head = (s->head + 1) % IND_MAX_WINDOW;
    s->n++;
    s->last = *b;
    s->stale_alerted = 0;

    for (int i = 0; i < c->nsma; i++) {
        double m, sd;
        out->sma[i] = NAN;
        if (s->n >= c->sma[i]) {
            stats(s->closes, s->head, 0, c->sma[i], &m, &sd);
            out->sma[i] = m;
        }
    }
    for (int i = 0; i < c->nema; i++) {
        int p = c->ema[i];
        if (s->n == p) { /* seeded with the SMA of the first p closes */
            double m, sd;
            stats(s->closes, s->head, 0, p, &m, &sd);
            s->ema[i] = m;
        } else if (s->n > p) {
            double alpha = 2.0 / (p + 1.0);
            s->ema[i] = alpha * b->close + (1 - alpha) * s->ema[i];
        }
        out->ema[i] = s->n >= p ? s->ema[i] : NAN;
    }
    /* RSI, Wilder: the first average is a plain mean of `period` changes. */
    int changes = s->n - 1;
    out->rsi = NAN;
    if (changes >= 1) {
        double gain = change > 0 ? change : 0, loss = change < 0 ? -change : 0;
        int p = c->rsi_period;
        if (changes <= p) {
            s->avg_gain += gain; /* sums during the warm-up */
            s->avg_loss += loss;
            if (changes == p) {
                s->avg_gain /= p;
                s->avg_loss /= p;
            }
        } else {
            s->avg_gain = (s->avg_gain * (p - 1) + gain) / p;
            s->avg_loss = (s->avg_loss * (p - 1) + loss) / p;
        }
        if (changes >= p)
            out->rsi = s->avg_loss == 0 ? (s->avg_gain == 0 ? 50.0 : 100.0)
                                        : 100.0 - 100.0 / (1.0 + s->avg_gain / s->avg_loss);
    }
    out->volatility = NAN;
    if (s->nreturns >= c->vol_window) {
        double m, sd;
        stats(s->returns, s->nreturns, 0, c->vol_window, &m, &sd);
        out->volatility = sd;
    }
    out->bb_mid = out->bb_upper = out->bb_lower = NAN;
    if (s->n >= c->bb_period) {
        double m, sd;
        stats(s->closes, s->head, 0, c->bb_period, &m, &sd);
        /* Bollinger uses the population standard deviation. */
        double pop = sd * sqrt((c->bb_period - 1.0) / c->bb_period);
        out->bb_mid = m;
        out->bb_upper = m + c->bb_k * pop;
        out->bb_lower = m - c->bb_k * pop;
    }
    return nalerts;
}

int ind_check_stale(ind_state *s, const ind_config *c, int64_t now_ns, alert *out)
{
    if (s->n == 0 || s->stale_alerted)
        return 0;
    int64_t end = s->last.window_start + s->last.interval_ns;
    if (now_ns - end < c->stale_after_ns)
        return 0;
    make_alert(out, &s->last, ALERT_STALE, (double)(now_ns - end) / 1e9,
               (double)c->stale_after_ns / 1e9);
    out->ts = now_ns;
    s->stale_alerted = 1;
    return 1;
}

static void put_num(buf *out, const char *name, double v)
{
    buf_printf(out, ",\"%s\":", name);
    buf_put_double(out, v); /* NaN -> null */
}

void ind_encode_json(const bar *b, const ind_config *c, const ind_values *v, buf *out)
{
    char iv[32], name[32];
    interval_name(b->interval_ns, iv, sizeof(iv));
    buf_puts(out, "{\"symbol\":");
    buf_put_json_str(out, b->symbol, strlen(b->symbol));
    buf_printf(out, ",\"interval\":\"%s\",\"window_start\":%lld", iv, (long long)b->window_start);
    put_num(out, "close", b->close);
    for (int i = 0; i < c->nsma; i++) {
        snprintf(name, sizeof(name), "sma_%d", c->sma[i]);
        put_num(out, name, v->sma[i]);
    }
    for (int i = 0; i < c->nema; i++) {
        snprintf(name, sizeof(name), "ema_%d", c->ema[i]);
        put_num(out, name, v->ema[i]);
    }
    put_num(out, "rsi", v->rsi);
    put_num(out, "volatility", v->volatility);
    put_num(out, "bb_mid", v->bb_mid);
    put_num(out, "bb_upper", v->bb_upper);
    put_num(out, "bb_lower", v->bb_lower);
    buf_putc(out, '}');
}

void alert_encode_json(const alert *a, buf *out)
{
    buf_puts(out, "{\"symbol\":");
    buf_put_json_str(out, a->symbol, strlen(a->symbol));
    buf_printf(out, ",\"kind\":\"%s\",\"ts\":%lld", alert_kind_name(a->kind), (long long)a->ts);
    put_num(out, "value", a->value);
    put_num(out, "threshold", a->threshold);
    buf_puts(out, ",\"bar\":");
    bar_encode_json(&a->trigger, out);
    buf_putc(out, '}');
}
