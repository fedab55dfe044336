/* bar.h - OHLCV bars, their JSON encoding, and event-time tumbling windows.
 *
 * A bar summarises the trades of one symbol in one window
 * [window_start, window_start + interval): open and close are the first and
 * last trade in event-time order (ties broken by trade id), high and low the
 * extremes, volume the sum of sizes, turnover sum(price * size), vwap
 * turnover / volume clamped to [low, high], trades the count. The clamp: the
 * rounding of the sum can put the quotient an ulp outside the prices traded
 * (every trade at 7.33 gave 7.330000000000001), and a vwap above the high
 * breaks what every reader assumes; clamped, a bar whose trades share one
 * price has exactly that price as its vwap, a single trade included.
 *
 * A window_agg holds the open windows of one input partition. Its watermark is
 * the highest event time seen minus the allowed lateness; a window closes, and
 * its bar is emitted, when the watermark reaches the window's end. A trade for
 * a window that has already closed is late: it is counted and left out of that
 * interval's bars. Memory is bounded by symbols x intervals x (open windows per
 * interval), never by the number of trades. Pure: no I/O. */
#ifndef TICKLAKE_BAR_H
#define TICKLAKE_BAR_H

#include <stddef.h>
#include <stdint.h>

#include "tick.h"
#include "util.h"

#define BAR_MAX_INTERVALS 8
#define BAR_MAX_INTERVAL_NS (7LL * 86400 * 1000000000) /* a week */

typedef struct bar {
    char symbol[TICK_SYMBOL_MAX];
    int64_t interval_ns;
    int64_t window_start; /* ns since epoch, UTC; a multiple of interval_ns */
    double open, high, low, close;
    int64_t volume;
    double turnover;
    double vwap;
    int64_t trades;
    int32_t revision; /* 0 when first published; +1 for each correction by a late trade */
    /* Ordering keys of the trades that set open and close. */
    int64_t open_ts, open_id, close_ts, close_id;
} bar;

/* Starts a bar from its first trade. */
void bar_init(bar *b, const trade *t, int64_t interval_ns, int64_t window_start);
/* Folds one more trade of the same symbol and window into b. */
void bar_add(bar *b, const trade *t);

/* Formats an interval as its short name ("1s", "1m", "5m", "1h", "250ms") into
 * out; parses such a name back. parse returns 0 or -1. */
void interval_name(int64_t interval_ns, char *out, size_t out_size);
int interval_parse(const char *s, int64_t *interval_ns);

/* Appends the JSON encoding of a bar (docs/DATA.md):
 * {"symbol":"AAPL","interval":"1s","window_start":..,"window_end":..,"open":..,
 *  "high":..,"low":..,"close":..,"volume":..,"turnover":..,"vwap":..,"trades":..} */
void bar_encode_json(const bar *b, buf *out);
/* Decodes one JSON bar. 0, or -1 with errstr naming the bad field. */
int bar_decode_json(const char *data, size_t len, bar *b, char *errstr, size_t errstr_size);

/* Called for each closed window, in order of window end, then of first trade.
 * The bar is only valid during the call. */
typedef void (*bar_emit_cb)(void *opaque, const bar *b);

typedef struct window_agg window_agg;

/* Creates the windows of one partition for n intervals (1..BAR_MAX_INTERVALS,
 * each > 0 and dividing a day) and the allowed lateness. NULL on bad
 * arguments or out of memory. Free with window_agg_free. */
window_agg *window_agg_new(const int64_t *intervals, size_t n, int64_t lateness_ns);
void window_agg_free(window_agg *w);

/* Adds a trade read at the given input offset, then closes every window the
 * new watermark passes, emitting its bar. Returns the number of intervals for
 * which the trade was late and dropped (0 if it counted everywhere; a late
 * trade that updated a retained bar counts as not dropped). */
int window_agg_add(window_agg *w, const trade *t, int64_t offset, bar_emit_cb emit, void *opaque);

/* Keeps closed bars for retain_ns of watermark time after their window ends,
 * so a late trade within that horizon updates its bar and the bar is emitted
 * again with the next revision (the `--late update` policy). 0 (the default)
 * drops late trades. Memory grows with symbols x intervals x retain/interval. */
void window_agg_set_retention(window_agg *w, int64_t retain_ns);

/* Moves the watermark forward to wm (never back) and closes what it passes;
 * used when a partition has gone idle. */
void window_agg_advance(window_agg *w, int64_t wm, bar_emit_cb emit, void *opaque);

/* The current watermark (INT64_MIN before the first trade). */
int64_t window_agg_watermark(const window_agg *w);
/* The lowest input offset whose trade is still in an open window or in a
 * retained bar within its horizon, or -1 when there is none: the offset to
 * resume from after a restart so that no such bar loses a trade. With
 * wm_before (else NULL): the watermark just before that trade was added
 * (INT64_MIN when none). A new window_agg advanced to it (window_agg_advance)
 * and fed the same records from that offset, with the same advances at the
 * same points, ends in the same state: the same open and retained bars, the
 * same revisions. */
int64_t window_agg_resume_offset(const window_agg *w, int64_t *wm_before);
/* Number of open windows (bars in progress), over all intervals. */
size_t window_agg_open_count(const window_agg *w);

#endif
