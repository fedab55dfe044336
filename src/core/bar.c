/* bar.c - OHLCV bars, their JSON codec, and event-time tumbling windows; see bar.h.
 *
 * Window state: for each interval, a deque of slots ordered by window start;
 * a slot lists the symbols with a bar open in that window. Each symbol keeps,
 * per interval, its open bars ordered by start (usually one; more only while
 * lateness keeps older windows open). Windows close slot by slot from the
 * front, so closing costs O(bars closed), not O(symbols). */
#include "bar.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* turnover / volume, clamped to [low, high] (bar.h). */
static double bar_vwap(const bar *b)
{
    double v = b->turnover / (double)b->volume;
    return v < b->low ? b->low : v > b->high ? b->high : v;
}

void bar_init(bar *b, const trade *t, int64_t interval_ns, int64_t window_start)
{
    memset(b, 0, sizeof(*b));
    memcpy(b->symbol, t->symbol, sizeof(b->symbol));
    b->interval_ns = interval_ns;
    b->window_start = window_start;
    b->open = b->high = b->low = b->close = t->price;
    b->volume = t->size;
    b->turnover = t->price * (double)t->size;
    b->vwap = bar_vwap(b);
    b->trades = 1;
    b->open_ts = b->close_ts = t->ts;
    b->open_id = b->close_id = t->id;
}

void bar_add(bar *b, const trade *t)
{
    if (t->ts < b->open_ts || (t->ts == b->open_ts && t->id < b->open_id)) {
        b->open = t->price;
        b->open_ts = t->ts;
        b->open_id = t->id;
    }
    if (t->ts > b->close_ts || (t->ts == b->close_ts && t->id > b->close_id)) {
        b->close = t->price;
        b->close_ts = t->ts;
        b->close_id = t->id;
    }
    if (t->price > b->high)
        b->high = t->price;
    if (t->price < b->low)
        b->low = t->price;
    /* Sizes are at most 10^15 (tick.h); 9,223 such trades in one window would
     * overflow, so the sum stops at INT64_MAX instead. */
    if (__builtin_add_overflow(b->volume, t->size, &b->volume))
        b->volume = INT64_MAX;
    b->turnover += t->price * (double)t->size;
    b->vwap = bar_vwap(b);
    b->trades++;
}

static const struct {
    const char *suffix;
    int64_t ns;
} units[] = {{"d", 86400 * NS_PER_SEC}, {"h", 3600 * NS_PER_SEC}, {"m", 60 * NS_PER_SEC},
             {"s", NS_PER_SEC},         {"ms", 1000000},          {"us", 1000}};

void interval_name(int64_t interval_ns, char *out, size_t out_size)
{
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (interval_ns >= units[i].ns && interval_ns % units[i].ns == 0) {
            snprintf(out, out_size, "%lld%s", (long long)(interval_ns / units[i].ns),
                     units[i].suffix);
            return;
        }
    }
    snprintf(out, out_size, "%lldns", (long long)interval_ns);
}

int interval_parse(const char *s, int64_t *interval_ns)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    long long n = strtoll(s, &end, 10);
    if (end == s || n <= 0 || n > 1000000000)
        return -1;
    int64_t unit = 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(end, units[i].suffix) == 0)
            unit = units[i].ns;
    if (strcmp(end, "ns") == 0)
        unit = 1;
    /* At most a week: longer is not a bar interval, and n * unit stays far
     * from overflow. */
    if (unit == 0 || n > BAR_MAX_INTERVAL_NS / unit)
        return -1;
    *interval_ns = n * unit;
    return 0;
}

void bar_encode_json(const bar *b, buf *out)
{
    char iv[32];
    interval_name(b->interval_ns, iv, sizeof(iv));
    buf_puts(out, "{\"symbol\":");
    buf_put_json_str(out, b->symbol, strlen(b->symbol));
    buf_printf(out, ",\"interval\":\"%s\",\"window_start\":%lld,\"window_end\":%lld", iv,
               (long long)b->window_start, (long long)(b->window_start + b->interval_ns));
    buf_puts(out, ",\"open\":");
    json_put_double(out, b->open);
    buf_puts(out, ",\"high\":");
    json_put_double(out, b->high);
    buf_puts(out, ",\"low\":");
    json_put_double(out, b->low);
    buf_puts(out, ",\"close\":");
    json_put_double(out, b->close);
    buf_printf(out, ",\"volume\":%lld,\"turnover\":", (long long)b->volume);
    json_put_double(out, b->turnover);
    buf_puts(out, ",\"vwap\":");
    json_put_double(out, b->vwap);
    buf_printf(out, ",\"trades\":%lld", (long long)b->trades);
    if (b->revision > 0)
        buf_printf(out, ",\"revision\":%d", (int)b->revision);
    buf_putc(out, '}');
}

int bar_decode_json(const char *data, size_t len, bar *b, char *errstr, size_t errstr_size)
{
    json_rec *o = json_rec_parse(data, len, errstr, errstr_size);
    if (!o)
        return -1;
    int rc = -1;
    memset(b, 0, sizeof(*b));
    const char *sym = json_rec_get_str(o, "symbol");
    const char *iv = json_rec_get_str(o, "interval");
    if (!sym || !*sym || strlen(sym) >= sizeof(b->symbol)) {
        set_err(errstr, errstr_size, "field 'symbol' missing or too long");
        goto out;
    }
    strlcpy_tl(b->symbol, sym, sizeof(b->symbol));
    if (!iv || interval_parse(iv, &b->interval_ns) != 0) {
        set_err(errstr, errstr_size, "field 'interval' missing or malformed");
        goto out;
    }
    static const char *const nums[] = {"open", "high", "low", "close", "turnover", "vwap"};
    double *dst[] = {&b->open, &b->high, &b->low, &b->close, &b->turnover, &b->vwap};
    for (size_t i = 0; i < 6; i++) {
        if (json_rec_get_num(o, nums[i], dst[i]) != 0 || !isfinite(*dst[i])) {
            set_err(errstr, errstr_size, "field '%s' missing or not a finite number", nums[i]);
            goto out;
        }
    }
    if (json_rec_get_int(o, "window_start", &b->window_start) != 0 ||
        json_rec_get_int(o, "volume", &b->volume) != 0 ||
        json_rec_get_int(o, "trades", &b->trades) != 0) {
        set_err(errstr, errstr_size, "field 'window_start', 'volume' or 'trades' missing");
        goto out;
    }
    int64_t rev = 0;
    json_value rv;
    if (json_rec_get(o, "revision", &rv) == 0 &&
        (json_rec_get_int(o, "revision", &rev) != 0 || rev < 0 || rev > INT32_MAX)) {
        set_err(errstr, errstr_size, "field 'revision' is not a whole number >= 0");
        goto out;
    }
    b->revision = (int32_t)rev;
    /* window_start + interval must be representable (window_end). */
    if (b->window_start > INT64_MAX - b->interval_ns) {
        set_err(errstr, errstr_size, "field 'window_start' out of range");
        goto out;
    }
    rc = 0;
out:
    json_rec_free(o);
    return rc;
}

/* ---- windows ----------------------------------------------------------- */

typedef struct open_bar {
    bar b;
    int64_t first_offset;
} open_bar;

typedef struct sym_state {
    char name[TICK_SYMBOL_MAX];
    /* Per interval: open bars ordered by window_start. */
    open_bar *bars[BAR_MAX_INTERVALS];
    uint32_t nbars[BAR_MAX_INTERVALS], capbars[BAR_MAX_INTERVALS];
    /* Per interval: closed bars kept for late updates, ordered by window_start. */
    bar *closed[BAR_MAX_INTERVALS];
    uint32_t nclosed[BAR_MAX_INTERVALS], capclosed[BAR_MAX_INTERVALS];
} sym_state;

typedef struct slot {
    int64_t start;
    int64_t min_offset; /* of the first trade of any of its bars */
    int64_t min_wm;     /* the watermark before that trade */
    uint32_t *syms;
    size_t nsyms, capsyms;
} slot;

/* A closed window whose bars are retained (--late update): where its
 * earliest trade was read, so that a restart replays it. */
typedef struct kept_slot {
    int64_t start, min_offset, min_wm;
} kept_slot;

typedef struct interval_state {
    int64_t ns;
    slot *slots; /* ordered by start; [head, head + nslots) used */
    size_t head, nslots, capslots;
    kept_slot *kept; /* ordered by start */
    size_t nkept, capkept;
} interval_state;

struct window_agg {
    size_t nintervals;
    interval_state iv[BAR_MAX_INTERVALS];
    int64_t lateness;
    int64_t retain;
    int64_t wm;
    sym_state *syms;
    size_t nsyms, capsyms;
    uint32_t *table; /* open addressing: symbol index + 1, 0 empty */
    size_t tablecap;
    size_t open_count;
};

static uint64_t hash_str(const char *s)
{
    return fnv1a_bytes(FNV1A_BASIS, s, strlen(s));
}

window_agg *window_agg_new(const int64_t *intervals, size_t n, int64_t lateness_ns)
{
    if (n == 0 || n > BAR_MAX_INTERVALS || lateness_ns < 0)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (intervals[i] <= 0 || (86400 * NS_PER_SEC) % intervals[i] != 0)
            return NULL;
    window_agg *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->nintervals = n;
    for (size_t i = 0; i < n; i++)
        w->iv[i].ns = intervals[i];
    w->lateness = lateness_ns;
    w->wm = INT64_MIN;
    w->tablecap = 64;
    w->table = calloc(w->tablecap, sizeof(*w->table));
    if (!w->table) {
        free(w);
        return NULL;
    }
    return w;
}

void window_agg_free(window_agg *w)
{
    if (!w)
        return;
    for (size_t s = 0; s < w->nsyms; s++)
        for (size_t i = 0; i < w->nintervals; i++) {
            free(w->syms[s].bars[i]);
            free(w->syms[s].closed[i]);
        }
    for (size_t i = 0; i < w->nintervals; i++) {
        interval_state *iv = &w->iv[i];
        for (size_t k = 0; k < iv->nslots; k++)
            free(iv->slots[iv->head + k].syms);
        free(iv->slots);
        free(iv->kept);
    }
    free(w->syms);
    free(w->table);
    free(w);
}

static void table_grow(window_agg *w)
{
    size_t cap = w->tablecap * 2;
    uint32_t *t = calloc(cap, sizeof(*t));
    if (!t) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    for (size_t s = 0; s < w->nsyms; s++) {
        size_t pos = hash_str(w->syms[s].name) & (cap - 1);
        while (t[pos])
            pos = (pos + 1) & (cap - 1);
        t[pos] = (uint32_t)(s + 1);
    }
    free(w->table);
    w->table = t;
    w->tablecap = cap;
}

static uint32_t symbol_index(window_agg *w, const char *name)
{
    size_t pos = hash_str(name) & (w->tablecap - 1);
    while (w->table[pos]) {
        uint32_t idx = w->table[pos] - 1;
        if (strcmp(w->syms[idx].name, name) == 0)
            return idx;
        pos = (pos + 1) & (w->tablecap - 1);
    }
    if (w->nsyms == w->capsyms) {
        w->capsyms = w->capsyms ? w->capsyms * 2 : 16;
        w->syms = xrealloc(w->syms, w->capsyms * sizeof(*w->syms));
    }
    sym_state *s = &w->syms[w->nsyms];
    memset(s, 0, sizeof(*s));
    strlcpy_tl(s->name, name, sizeof(s->name));
    w->table[pos] = (uint32_t)(w->nsyms + 1);
    uint32_t idx = (uint32_t)w->nsyms++;
    if (w->nsyms * 2 > w->tablecap)
        table_grow(w);
    return idx;
}

static int64_t floor_to(int64_t ts, int64_t iv)
{
    int64_t r = ts % iv;
    return r < 0 ? ts - r - iv : ts - r;
}

/* Finds or inserts the slot for start in interval iv; returns it. */
static slot *slot_for(interval_state *iv, int64_t start)
{
    size_t k = iv->nslots;
    while (k > 0 && iv->slots[iv->head + k - 1].start > start)
        k--;
    if (k > 0 && iv->slots[iv->head + k - 1].start == start)
        return &iv->slots[iv->head + k - 1];
    /* Insert at position k. Compact the deque first if there is no room at the end. */
    if (iv->head + iv->nslots == iv->capslots) {
        if (iv->head > 0) {
            memmove(iv->slots, iv->slots + iv->head, iv->nslots * sizeof(slot));
            iv->head = 0;
        } else {
            iv->capslots = iv->capslots ? iv->capslots * 2 : 8;
            iv->slots = xrealloc(iv->slots, iv->capslots * sizeof(slot));
        }
    }
    slot *base = iv->slots + iv->head;
    memmove(base + k + 1, base + k, (iv->nslots - k) * sizeof(slot));
    iv->nslots++;
    slot *s = &base[k];
    memset(s, 0, sizeof(*s));
    s->start = start;
    s->min_offset = INT64_MAX;
    s->min_wm = INT64_MAX;
    return s;
}

/* Whether a closed window ended more than the retention before the watermark
 * (computed without overflow across the whole range of event times). */
static int beyond_horizon(const window_agg *w, int64_t start, int64_t ns)
{
    int64_t end = start + ns, d;
    if (__builtin_sub_overflow(w->wm, end, &d))
        return w->wm > end;
    return d > w->retain;
}

/* Notes that the window at start of interval i holds retained bars whose
 * earliest trade was read at offset with the watermark at wm before it;
 * drops the notes whose horizon has passed. */
static void keep_slot(window_agg *w, size_t i, int64_t start, int64_t offset, int64_t wm)
{
    interval_state *iv = &w->iv[i];
    size_t drop = 0;
    while (drop < iv->nkept && beyond_horizon(w, iv->kept[drop].start, iv->ns))
        drop++;
    if (drop) {
        memmove(iv->kept, iv->kept + drop, (iv->nkept - drop) * sizeof(kept_slot));
        iv->nkept -= drop;
    }
    size_t k = iv->nkept;
    while (k > 0 && iv->kept[k - 1].start > start)
        k--;
    if (k > 0 && iv->kept[k - 1].start == start) {
        kept_slot *ks = &iv->kept[k - 1];
        if (offset < ks->min_offset) {
            ks->min_offset = offset;
            ks->min_wm = wm;
        }
        return;
    }
    if (iv->nkept == iv->capkept) {
        iv->capkept = iv->capkept ? iv->capkept * 2 : 8;
        iv->kept = xrealloc(iv->kept, iv->capkept * sizeof(kept_slot));
    }
    memmove(iv->kept + k + 1, iv->kept + k, (iv->nkept - k) * sizeof(kept_slot));
    iv->kept[k] = (kept_slot){start, offset, wm};
    iv->nkept++;
}

/* Drops retained bars of one series whose horizon has passed. */
static void prune_closed(window_agg *w, sym_state *sym, size_t i)
{
    uint32_t k = 0;
    while (k < sym->nclosed[i] && beyond_horizon(w, sym->closed[i][k].window_start, w->iv[i].ns))
        k++;
    if (k) {
        memmove(sym->closed[i], sym->closed[i] + k, (sym->nclosed[i] - k) * sizeof(bar));
        sym->nclosed[i] -= k;
    }
}

static void retain_bar(window_agg *w, sym_state *sym, size_t i, const bar *b)
{
    prune_closed(w, sym, i);
    if (sym->nclosed[i] == sym->capclosed[i]) {
        sym->capclosed[i] = sym->capclosed[i] ? sym->capclosed[i] * 2 : 4;
        sym->closed[i] = xrealloc(sym->closed[i], sym->capclosed[i] * sizeof(bar));
    }
    sym->closed[i][sym->nclosed[i]++] = *b;
}

/* A late trade under --late update: folds it into its retained bar (or a new
 * bar, if its window had no trade) and emits the result. 1 if handled. */
static int update_late(window_agg *w, sym_state *sym, size_t i, const trade *t, int64_t start,
                       int64_t offset, bar_emit_cb emit, void *opaque)
{
    if (beyond_horizon(w, start, w->iv[i].ns))
        return 0;
    prune_closed(w, sym, i);
    for (uint32_t k = 0; k < sym->nclosed[i]; k++) {
        bar *b = &sym->closed[i][k];
        if (b->window_start == start) {
            bar_add(b, t);
            b->revision++;
            if (emit)
                emit(opaque, b);
            return 1;
        }
    }
    bar nb;
    bar_init(&nb, t, w->iv[i].ns, start);
    keep_slot(w, i, start, offset, w->wm);
    if (emit)
        emit(opaque, &nb);
    /* Keep it, in order, for further late trades. */
    retain_bar(w, sym, i, &nb);
    bar *c = sym->closed[i];
    for (uint32_t k = sym->nclosed[i] - 1; k > 0 && c[k - 1].window_start > c[k].window_start;
         k--) {
        bar tmp = c[k];
        c[k] = c[k - 1];
        c[k - 1] = tmp;
    }
    return 1;
}

static void close_windows(window_agg *w, bar_emit_cb emit, void *opaque)
{
    for (size_t i = 0; i < w->nintervals; i++) {
        interval_state *iv = &w->iv[i];
        while (iv->nslots > 0) {
            slot *s = &iv->slots[iv->head];
            if (w->wm == INT64_MIN || s->start + iv->ns > w->wm)
                break;
            if (w->retain > 0 && !beyond_horizon(w, s->start, iv->ns))
                keep_slot(w, i, s->start, s->min_offset, s->min_wm);
            for (size_t k = 0; k < s->nsyms; k++) {
                sym_state *sym = &w->syms[s->syms[k]];
                /* Windows close in start order, so this symbol's oldest open bar
                 * in this interval is the one of this slot. */
                open_bar *ob = &sym->bars[i][0];
                if (emit)
                    emit(opaque, &ob->b);
                if (w->retain > 0)
                    retain_bar(w, sym, i, &ob->b);
                memmove(sym->bars[i], sym->bars[i] + 1, (sym->nbars[i] - 1) * sizeof(open_bar));
                sym->nbars[i]--;
                w->open_count--;
            }
            free(s->syms);
            iv->head++;
            iv->nslots--;
        }
        if (iv->nslots == 0)
            iv->head = 0;
    }
}

int window_agg_add(window_agg *w, const trade *t, int64_t offset, bar_emit_cb emit, void *opaque)
{
    int late = 0;
    uint32_t si = symbol_index(w, t->symbol);
    for (size_t i = 0; i < w->nintervals; i++) {
        interval_state *iv = &w->iv[i];
        int64_t start = floor_to(t->ts, iv->ns);
        if (w->wm != INT64_MIN && start + iv->ns <= w->wm) {
            if (w->retain <= 0 || !update_late(w, &w->syms[si], i, t, start, offset, emit, opaque))
                late++;
            continue;
        }
        sym_state *sym = &w->syms[si];
        uint32_t n = sym->nbars[i];
        uint32_t k = n;
        while (k > 0 && sym->bars[i][k - 1].b.window_start > start)
            k--;
        if (k > 0 && sym->bars[i][k - 1].b.window_start == start) {
            bar_add(&sym->bars[i][k - 1].b, t);
            continue;
        }
        if (n == sym->capbars[i]) {
            sym->capbars[i] = sym->capbars[i] ? sym->capbars[i] * 2 : 2;
            sym->bars[i] = xrealloc(sym->bars[i], sym->capbars[i] * sizeof(open_bar));
        }
        memmove(sym->bars[i] + k + 1, sym->bars[i] + k, (n - k) * sizeof(open_bar));
        bar_init(&sym->bars[i][k].b, t, iv->ns, start);
        sym->bars[i][k].first_offset = offset;
        sym->nbars[i]++;
        w->open_count++;
        slot *s = slot_for(iv, start);
        if (s->nsyms == s->capsyms) {
            s->capsyms = s->capsyms ? s->capsyms * 2 : 8;
            s->syms = xrealloc(s->syms, s->capsyms * sizeof(uint32_t));
        }
        s->syms[s->nsyms++] = si;
        if (offset < s->min_offset) {
            s->min_offset = offset;
            s->min_wm = w->wm; /* before this trade: it moves after the loop */
        }
    }
    int64_t cand = t->ts - w->lateness;
    if (w->wm == INT64_MIN || cand > w->wm) {
        w->wm = cand;
        close_windows(w, emit, opaque);
    }
    return late;
}

void window_agg_set_retention(window_agg *w, int64_t retain_ns)
{
    w->retain = retain_ns > 0 ? retain_ns : 0;
}

void window_agg_advance(window_agg *w, int64_t wm, bar_emit_cb emit, void *opaque)
{
    if (w->wm == INT64_MIN || wm > w->wm) {
        w->wm = wm;
        close_windows(w, emit, opaque);
    }
}

int64_t window_agg_watermark(const window_agg *w)
{
    return w->wm;
}

int64_t window_agg_resume_offset(const window_agg *w, int64_t *wm_before)
{
    int64_t m = INT64_MAX, mwm = INT64_MIN;
    for (size_t i = 0; i < w->nintervals; i++) {
        const interval_state *iv = &w->iv[i];
        for (size_t k = 0; k < iv->nslots; k++)
            if (iv->slots[iv->head + k].min_offset < m) {
                m = iv->slots[iv->head + k].min_offset;
                mwm = iv->slots[iv->head + k].min_wm;
            }
        for (size_t k = 0; k < iv->nkept; k++)
            if (iv->kept[k].min_offset < m && !beyond_horizon(w, iv->kept[k].start, iv->ns)) {
                m = iv->kept[k].min_offset;
                mwm = iv->kept[k].min_wm;
            }
    }
    if (wm_before)
        *wm_before = m == INT64_MAX ? INT64_MIN : mwm;
    return m == INT64_MAX ? -1 : m;
}

size_t window_agg_open_count(const window_agg *w)
{
    return w->open_count;
}
