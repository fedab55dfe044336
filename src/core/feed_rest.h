/* feed_rest.h - REST market data where a plan has no stream (pure: no I/O):
 * Finnhub's quote endpoint and Alpha Vantage's intraday bars.
 *
 * These are not trades. A Finnhub quote is a snapshot of a symbol (last
 * price, the day's open, high, low, the previous close, the change) at the
 * time of its last trade; an Alpha Vantage row is a finished bar of the
 * provider's own interval. They go to their own topics (docs/FEEDS.md):
 * `snapshots` and `bars.rest`, never into `trades`. */
#ifndef TICKLAKE_FEED_REST_H
#define TICKLAKE_FEED_REST_H

#include <stddef.h>
#include <stdint.h>

#include "tick.h"
#include "util.h"

typedef struct rest_snapshot {
    char symbol[TICK_SYMBOL_MAX];
    int64_t ts; /* the last trade's time, ns since epoch (Finnhub gives seconds) */
    double price, open, high, low, prev_close, change, change_pct;
} rest_snapshot;

typedef struct rest_bar {
    char symbol[TICK_SYMBOL_MAX];
    char interval[8];     /* the provider's: 1min, 5min, 15min, 30min, 60min */
    int64_t window_start; /* ns since epoch, UTC (converted from the provider's time zone) */
    double open, high, low, close;
    int64_t volume;
} rest_bar;

/* The request URL: base (default https://finnhub.io/api/v1/quote or
 * https://www.alphavantage.co/query) with the symbol, the interval (Alpha
 * Vantage) and the key. */
void rest_finnhub_quote_url(const char *base, const char *symbol, const char *key, buf *out);
void rest_av_intraday_url(const char *base, const char *symbol, const char *interval,
                          const char *key, buf *out);

/* Parses a Finnhub quote answer. -1 with errstr when malformed, or when it is
 * all zeros (what Finnhub answers for an unknown symbol: "no data"). */
int rest_finnhub_quote_parse(const char *body, size_t len, const char *symbol, rest_snapshot *out,
                             char *errstr, size_t errstr_size);

/* Parses an Alpha Vantage TIME_SERIES_INTRADAY answer into *bars (n of them,
 * oldest first; the caller frees). Returns 0; 1 when the answer is the
 * throttling note (HTTP 200 with "Note" or "Information": errstr has its
 * text); -1 with errstr when it is an "Error Message" or malformed. Times are
 * converted from the answer's "6. Time Zone" (US/Eastern or UTC). */
int rest_av_intraday_parse(const char *body, size_t len, const char *symbol, rest_bar **bars,
                           size_t *n, char *errstr, size_t errstr_size);

/* US/Eastern wall time to ns since epoch (UTC): EST, or EDT from the second
 * Sunday of March 02:00 to the first Sunday of November 02:00 (the rules
 * since 2007). Pure. */
int64_t rest_us_eastern_to_utc_ns(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                                  unsigned s);

void rest_snapshot_encode_json(const rest_snapshot *s, const char *source, int64_t recv_ts,
                               buf *out);
void rest_bar_encode_json(const rest_bar *b, const char *source, buf *out);

/* The records back, as the sink lands them: -1 with errstr naming the member
 * when one is missing or malformed. A snapshot needs symbol, ts and a price
 * above 0; its other numbers are NaN when absent or null; source is "" and
 * *recv_ts 0 when absent. A bar needs symbol, window_start, open, high, low
 * and close above 0 and a volume of at least 0. */
int rest_snapshot_decode_json(const char *data, size_t len, rest_snapshot *out,
                              char source[TICK_SOURCE_MAX], int64_t *recv_ts, char *errstr,
                              size_t errstr_size);
int rest_bar_decode_json(const char *data, size_t len, rest_bar *out, char source[TICK_SOURCE_MAX],
                         char *errstr, size_t errstr_size);

#endif
