/* indicators.c - indicators and alerts over closed bars; see indicators.h. */
#include "indicators.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

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

void ind_state_free(ind_state *s)
{
    if (!s)
        return;
    free(s->closes);
    ind_state_init(s);
}

/* Ring values of each kind the configuration can read. */
static void ring_needs(const ind_config *c, int *closes, int *volumes, int *returns)
{
    int k = c->bb_period;
    for (int i = 0; i < c->nsma; i++)
        if (c->sma[i] > k)
            k = c->sma[i];
    for (int i = 0; i < c->nema; i++)
        if (c->ema[i] > k)
            k = c->ema[i];
    *closes = k;
    *volumes = c->volume_window;
    *returns = c->vol_window;
}

/* Allocates the rings for c on first use. */
static void ensure_rings(ind_state *s, const ind_config *c)
{
    if (s->closes)
        return;
    ring_needs(c, &s->cap_closes, &s->cap_volumes, &s->cap_returns);
    size_t total = (size_t)s->cap_closes + 2 * (size_t)s->cap_volumes + (size_t)s->cap_returns;
    double *m = calloc(total, sizeof(double));
    if (!m) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    s->closes = m;
    s->volumes = m + s->cap_closes;
    s->trade_counts = s->volumes + s->cap_volumes;
    s->returns = s->trade_counts + s->cap_volumes;
}

/* The slot of the i-th most recent of count values in a ring of cap. */
static int slot_of(int cap, int count, int i)
{
    return ((count - 1 - i) % cap + cap) % cap;
}

/* The i-th most recent of count values in a ring of cap. */
static double recent(const double *ring, int cap, int count, int i)
{
    return ring[slot_of(cap, count, i)];
}

/* Mean and sample standard deviation of the k most recent values, skipping
 * the newest `skip`. */
static void stats(const double *ring, int cap, int count, int skip, int k, double *mean, double *sd)
{
    double sum = 0, sq = 0;
    for (int i = skip; i < skip + k; i++)
        sum += recent(ring, cap, count, i);
    double m = sum / k;
    for (int i = skip; i < skip + k; i++) {
        double d = recent(ring, cap, count, i) - m;
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
    ensure_rings(s, c);
    int have_prev = s->n > 0;
    double prev_close = s->last.close;
    /* Alerts are judged against the history before this bar. */
    if (have_prev && prev_close > 0) {
        double r = log(b->close / prev_close);
        if (s->nreturns >= c->vol_window) {
            double m, sd;
            stats(s->returns, s->cap_returns, s->nreturns, 0, c->vol_window, &m, &sd);
            if (sd > 0 && fabs(r / sd) >= c->z_threshold)
                make_alert(&alerts[nalerts++], b, ALERT_PRICE_MOVE, r / sd, c->z_threshold);
        }
        double gap = (b->open / prev_close - 1.0) * 100.0;
        if (fabs(gap) >= c->gap_pct)
            make_alert(&alerts[nalerts++], b, ALERT_GAP, gap, c->gap_pct);
    }
    if (s->n >= c->volume_window) {
        double m, sd, mt, sdt;
        stats(s->volumes, s->cap_volumes, s->n, 0, c->volume_window, &m, &sd);
        stats(s->trade_counts, s->cap_volumes, s->n, 0, c->volume_window, &mt, &sdt);
        if (m > 0 && (double)b->volume / m >= c->volume_ratio && mt > 0 &&
            (double)b->trades / mt >= c->trades_ratio)
            make_alert(&alerts[nalerts++], b, ALERT_VOLUME_SPIKE, (double)b->volume / m,
                       c->volume_ratio);
    }

    /* Fold the bar in. */
    if (have_prev && prev_close > 0) {
        s->returns[s->nreturns % s->cap_returns] = log(b->close / prev_close);
        /* The counts stop at INT_MAX (68 years of 1 s bars), which a state
         * record read from the changelog may already claim; counting on would
         * overflow (found by fuzz_indstate). */
        s->nreturns += s->nreturns < INT_MAX;
    }
    double change = have_prev ? b->close - prev_close : 0;
    s->closes[s->n % s->cap_closes] = b->close;
    s->volumes[s->n % s->cap_volumes] = (double)b->volume;
    s->trade_counts[s->n % s->cap_volumes] = (double)b->trades;
    s->n += s->n < INT_MAX;
    s->last = *b;
    s->stale_alerted = 0;

    for (int i = 0; i < c->nsma; i++) {
        double m, sd;
        out->sma[i] = NAN;
        if (s->n >= c->sma[i]) {
            stats(s->closes, s->cap_closes, s->n, 0, c->sma[i], &m, &sd);
            out->sma[i] = m;
        }
    }
    for (int i = 0; i < c->nema; i++) {
        int p = c->ema[i];
        if (s->n == p) { /* seeded with the SMA of the first p closes */
            double m, sd;
            stats(s->closes, s->cap_closes, s->n, 0, p, &m, &sd);
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
        stats(s->returns, s->cap_returns, s->nreturns, 0, c->vol_window, &m, &sd);
        out->volatility = sd;
    }
    out->bb_mid = out->bb_upper = out->bb_lower = NAN;
    if (s->n >= c->bb_period) {
        double m, sd;
        stats(s->closes, s->cap_closes, s->n, 0, c->bb_period, &m, &sd);
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
    json_put_double(out, v); /* NaN -> null */
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

/* ---- state codec ------------------------------------------------------- */

/* Version 2 adds the RSI and EMA periods the state was computed with (their
 * averages mean nothing under other periods); version 1 records, written
 * before the periods could be configured, hold the default periods. */
#define IND_STATE_VERSION 2

static void put_u64(buf *out, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    buf_append(out, b, 8);
}

static void put_f64(buf *out, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof(v));
    put_u64(out, v);
}

static int imin(int a, int b)
{
    return a < b ? a : b;
}

/* The k most recent of count values of a ring of cap, newest first. */
static void put_ring(buf *out, const double *ring, int cap, int count, int k)
{
    put_u64(out, (uint64_t)k);
    for (int i = 0; i < k; i++)
        put_f64(out, recent(ring, cap, count, i));
}

void ind_state_encode(const ind_state *s, const ind_config *c, buf *out)
{
    int nc, nv, nr;
    ring_needs(c, &nc, &nv, &nr);
    buf_putc(out, IND_STATE_VERSION);
    put_u64(out, (uint64_t)c->rsi_period);
    put_u64(out, (uint64_t)c->nema);
    for (int i = 0; i < c->nema; i++)
        put_u64(out, (uint64_t)c->ema[i]);
    put_u64(out, (uint64_t)(int64_t)s->n);
    put_u64(out, (uint64_t)(int64_t)s->nreturns);
    put_u64(out, (uint64_t)(int64_t)s->stale_alerted);
    put_f64(out, s->avg_gain);
    put_f64(out, s->avg_loss);
    for (int i = 0; i < IND_MAX_PERIODS; i++)
        put_f64(out, s->ema[i]);
    const bar *b = &s->last;
    size_t sl = strnlen(b->symbol, sizeof(b->symbol));
    put_u64(out, sl);
    buf_append(out, b->symbol, sl);
    const int64_t ints[] = {b->interval_ns, b->window_start, b->volume,   b->trades,  b->revision,
                            b->open_ts,     b->open_id,      b->close_ts, b->close_id};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
        put_u64(out, (uint64_t)ints[i]);
    const double dbl[] = {b->open, b->high, b->low, b->close, b->turnover, b->vwap};
    for (size_t i = 0; i < sizeof(dbl) / sizeof(dbl[0]); i++)
        put_f64(out, dbl[i]);
    if (!s->closes) { /* never updated: nothing in the rings */
        for (int i = 0; i < 4; i++)
            put_u64(out, 0);
        return;
    }
    put_ring(out, s->closes, s->cap_closes, s->n, imin(imin(s->n, s->cap_closes), nc));
    put_ring(out, s->volumes, s->cap_volumes, s->n, imin(imin(s->n, s->cap_volumes), nv));
    put_ring(out, s->trade_counts, s->cap_volumes, s->n, imin(imin(s->n, s->cap_volumes), nv));
    put_ring(out, s->returns, s->cap_returns, s->nreturns,
             imin(imin(s->nreturns, s->cap_returns), nr));
}

typedef struct reader {
    const unsigned char *p;
    size_t left;
    int bad;
} reader;

static uint64_t get_u64(reader *r)
{
    if (r->left < 8) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += 8;
    r->left -= 8;
    return v;
}

static double get_f64(reader *r)
{
    uint64_t v = get_u64(r);
    double d;
    memcpy(&d, &v, sizeof(d));
    return d;
}

/* Reads a ring written by put_ring into ring (cap, count values): at least
 * need values; those beyond the ring's capacity are read and dropped. -1 if
 * fewer, or more than count. */
static int get_ring(reader *r, double *ring, int cap, int count, int need)
{
    uint64_t k = get_u64(r);
    /* k comes from the record: never loop past the bytes it holds (a count
     * of 2^31 over a short record would spin for seconds). */
    if (r->bad || k > (uint64_t)count || k < (uint64_t)need || k > r->left / 8)
        return -1;
    for (int i = 0; i < (int)k; i++) {
        double v = get_f64(r);
        if (i < cap)
            ring[slot_of(cap, count, i)] = v;
    }
    return r->bad ? -1 : 0;
}

int ind_state_decode(const void *data, size_t len, const ind_config *c, ind_state *s, char *errstr,
                     size_t errstr_size)
{
    reader r = {data, len, 0};
    ind_state_free(s);
    if (len < 1 || (r.p[0] != 1 && r.p[0] != IND_STATE_VERSION))
        return set_err(errstr, errstr_size, "indicator state: unknown version %d",
                       len < 1 ? -1 : (int)r.p[0]);
    int version = r.p[0];
    r.p++;
    r.left--;
    /* The EMAs and Wilder averages continue only under the periods that
     * made them (the rings are checked below, by their lengths). */
    ind_config def;
    ind_config_default(&def);
    const ind_config *made = &def; /* version 1: the defaults */
    ind_config rec;
    if (version >= 2) {
        memset(&rec, 0, sizeof(rec));
        uint64_t rsi = get_u64(&r), nema = get_u64(&r);
        if (r.bad || nema > IND_MAX_PERIODS)
            return set_err(errstr, errstr_size, "indicator state: bad periods");
        rec.rsi_period = (int)(rsi > INT32_MAX ? -1 : (int64_t)rsi);
        rec.nema = (int)nema;
        for (int i = 0; i < rec.nema; i++) {
            uint64_t p = get_u64(&r);
            rec.ema[i] = (int)(p > INT32_MAX ? -1 : (int64_t)p);
        }
        if (r.bad)
            return set_err(errstr, errstr_size, "indicator state: truncated");
        made = &rec;
    }
    int same = made->rsi_period == c->rsi_period && made->nema == c->nema;
    for (int i = 0; same && i < c->nema; i++)
        same = made->ema[i] == c->ema[i];
    if (!same)
        return set_err(errstr, errstr_size,
                       "indicator state: written with other RSI or EMA periods (RSI %d, %d EMAs "
                       "from %d)",
                       made->rsi_period, made->nema, made->nema ? made->ema[0] : 0);
    int64_t n = (int64_t)get_u64(&r), nret = (int64_t)get_u64(&r);
    int64_t stale = (int64_t)get_u64(&r);
    if (r.bad || n < 0 || n > INT32_MAX || nret < 0 || nret > n || (stale != 0 && stale != 1))
        return set_err(errstr, errstr_size, "indicator state: bad counters");
    s->n = (int)n;
    s->nreturns = (int)nret;
    s->stale_alerted = (int)stale;
    s->avg_gain = get_f64(&r);
    s->avg_loss = get_f64(&r);
    for (int i = 0; i < IND_MAX_PERIODS; i++)
        s->ema[i] = get_f64(&r);
    bar *b = &s->last;
    uint64_t sl = get_u64(&r);
    if (r.bad || sl >= sizeof(b->symbol) || sl > r.left)
        return set_err(errstr, errstr_size, "indicator state: bad symbol");
    memcpy(b->symbol, r.p, sl);
    b->symbol[sl] = '\0';
    r.p += sl;
    r.left -= sl;
    int64_t *ints[] = {&b->interval_ns, &b->window_start, &b->volume,   &b->trades,  NULL,
                       &b->open_ts,     &b->open_id,      &b->close_ts, &b->close_id};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        int64_t v = (int64_t)get_u64(&r);
        if (ints[i])
            *ints[i] = v;
        else if (v < 0 || v > INT32_MAX)
            r.bad = 1;
        else
            b->revision = (int32_t)v;
    }
    double *dbl[] = {&b->open, &b->high, &b->low, &b->close, &b->turnover, &b->vwap};
    for (size_t i = 0; i < sizeof(dbl) / sizeof(dbl[0]); i++)
        *dbl[i] = get_f64(&r);
    if (r.bad)
        return set_err(errstr, errstr_size, "indicator state: truncated");
    /* The window end of the last bar, and event-time differences with it,
     * must stay representable. */
    if (s->n > 0 && (b->interval_ns <= 0 || b->interval_ns > BAR_MAX_INTERVAL_NS ||
                     b->window_start < INT64_MIN / 4 || b->window_start > INT64_MAX / 4))
        return set_err(errstr, errstr_size, "indicator state: last bar out of range");
    ensure_rings(s, c);
    if (get_ring(&r, s->closes, s->cap_closes, s->n, imin(s->n, s->cap_closes)) != 0 ||
        get_ring(&r, s->volumes, s->cap_volumes, s->n, imin(s->n, s->cap_volumes)) != 0 ||
        get_ring(&r, s->trade_counts, s->cap_volumes, s->n, imin(s->n, s->cap_volumes)) != 0 ||
        get_ring(&r, s->returns, s->cap_returns, s->nreturns, imin(s->nreturns, s->cap_returns)) !=
            0) {
        ind_state_free(s);
        return set_err(errstr, errstr_size,
                       "indicator state: ring values missing or too many (periods changed?)");
    }
    if (r.left != 0) {
        ind_state_free(s);
        return set_err(errstr, errstr_size, "indicator state: %zu trailing bytes", r.left);
    }
    return 0;
}
