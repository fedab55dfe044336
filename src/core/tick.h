/* tick.h - the tick records (trades and quotes) and their two encodings: the
 * `trades` and `quotes` topic contracts.
 *
 * A trade is one execution: symbol, event time in nanoseconds since the Unix
 * epoch (UTC), price, size in shares, a trade id unique per source, the venue
 * and the source that produced it. A quote is the best bid and ask (price and
 * size) of a symbol at an event time, with the same symbol, id, venue and
 * source fields. Each has two encodings:
 *   - JSON (the default): one object per record, readable with any tool;
 *   - binary: compact, fixed little-endian layout, versioned.
 * A binary record starts with the byte TICK_BINARY_MAGIC (0xB7), a UTF-8
 * continuation byte that can never begin JSON text, so a reader tells the
 * encodings apart from the record itself and a topic holding both decodes.
 * docs/DATA.md documents every field and the binary layout byte by byte.
 * Pure: no I/O. */
#ifndef TICKLAKE_TICK_H
#define TICKLAKE_TICK_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define TICK_SYMBOL_MAX 32 /* bytes, including the terminating NUL */
#define TICK_VENUE_MAX 16
#define TICK_SOURCE_MAX 16
/* The event times a trade or quote may carry, 1800-01-01 to 2200-01-01 UTC
 * in ns: far from int64's ends, so window and watermark arithmetic cannot
 * overflow (a trade at INT64_MIN moved a watermark to 2262). Prices and sizes
 * are bounded so that a bar's turnover stays finite. The codecs carry any
 * value; the processor and the sink check these ranges (trade_check_range,
 * quote_check_range) and count a record outside them as bad. */
#define TICK_TS_MIN (-5364662400LL * 1000000000LL)
#define TICK_TS_MAX (7258118400LL * 1000000000LL)
#define TICK_PRICE_MAX 1e12
#define TICK_SIZE_MAX 1000000000000000LL /* 10^15 */

typedef struct trade {
    char symbol[TICK_SYMBOL_MAX];
    int64_t ts; /* event time, ns since epoch, UTC */
    double price;
    int64_t size; /* shares, > 0 */
    int64_t id;   /* trade id, unique per source */
    char venue[TICK_VENUE_MAX];
    char source[TICK_SOURCE_MAX];
} trade;

typedef struct quote {
    char symbol[TICK_SYMBOL_MAX];
    int64_t ts;       /* event time, ns since epoch, UTC */
    double bid;       /* best bid price, > 0 */
    int64_t bid_size; /* shares bid, >= 0 */
    double ask;       /* best ask price, > 0 */
    int64_t ask_size; /* shares offered, >= 0 */
    int64_t id;       /* quote id, unique per source */
    char venue[TICK_VENUE_MAX];
    char source[TICK_SOURCE_MAX];
    int size_scale; /* sizes in units of 10^-size_scale (crypto feeds: 8), 0..18; JSON only */
} quote;

typedef enum { TICK_JSON = 0, TICK_BINARY = 1 } tick_encoding;

/* "json" or "binary"; 0, or -1 for anything else. */
int tick_encoding_parse(const char *s, tick_encoding *out);

/* ---- binary encoding, version 1 (layout in docs/DATA.md) ---------------- */

#define TICK_BINARY_MAGIC 0xB7
#define TICK_BINARY_VERSION 1
#define TICK_BINARY_TRADE 'T'
#define TICK_BINARY_QUOTE 'Q'
#define TICK_BINARY_HEADER 8       /* magic, version, kind, 3 lengths, 2 reserved */
#define TICK_BINARY_TRADE_FIXED 40 /* header + ts, price, size, id */
#define TICK_BINARY_QUOTE_FIXED 56 /* header + ts, bid, bid_size, ask, ask_size, id */

/* 1 if the record is in the binary encoding (starts with the magic byte). */
int tick_is_binary(const void *data, size_t len);

/* ---- trades --------------------------------------------------------------- */

/* Appends the JSON encoding of t to out:
 * {"symbol":"AAPL","ts":1764115200000000000,"price":189.5,"size":100,
 *  "id":42,"venue":"XSIM","source":"sim"} */
void trade_encode_json(const trade *t, buf *out);
/* Appends the binary encoding of t to out. t's strings must fit their
 * limits (symbol 1..31 bytes, venue and source < 16). */
void trade_encode_binary(const trade *t, buf *out);
void trade_encode(const trade *t, tick_encoding enc, buf *out);

/* Decodes one JSON trade. Unknown members are ignored. Returns 0, or -1 with
 * errstr naming the missing or malformed field. Requires symbol (1..31 bytes),
 * ts, price (finite, > 0), size (> 0) and id; venue and source are optional. */
int trade_decode_json(const char *data, size_t len, trade *t, char *errstr, size_t errstr_size);
/* Decodes one binary trade with the same rules; rejects an unknown version, a
 * quote, a wrong length or non-zero reserved bytes, saying which. */
int trade_decode_binary(const void *data, size_t len, trade *t, char *errstr, size_t errstr_size);
/* Decodes a trade in either encoding, told apart by the first byte. Every
 * consumer of `trades` uses this. */
int trade_decode(const void *data, size_t len, trade *t, char *errstr, size_t errstr_size);
/* 0 when t's event time, price and size are within the ranges above (the
 * decoders check the rest), else -1 with the reason. */
int trade_check_range(const trade *t, char *errstr, size_t errstr_size);
/* 0 when q's event time is within TICK_TS_MIN..TICK_TS_MAX, else -1. */
int quote_check_range(const quote *q, char *errstr, size_t errstr_size);

/* ---- quotes --------------------------------------------------------------- */

/* {"symbol":"AAPL","ts":...,"bid":189.49,"bid_size":300,"ask":189.51,
 *  "ask_size":200,"id":43,"venue":"XSIM","source":"sim"} */
void quote_encode_json(const quote *q, buf *out);
void quote_encode_binary(const quote *q, buf *out);
void quote_encode(const quote *q, tick_encoding enc, buf *out);

/* Requires symbol, ts, bid and ask (finite, > 0), bid_size and ask_size
 * (>= 0) and id; venue and source are optional. A crossed quote (bid > ask)
 * is accepted: real feeds have them. */
int quote_decode_json(const char *data, size_t len, quote *q, char *errstr, size_t errstr_size);
int quote_decode_binary(const void *data, size_t len, quote *q, char *errstr, size_t errstr_size);
int quote_decode(const void *data, size_t len, quote *q, char *errstr, size_t errstr_size);

/* ---- live-feed details of a trade (JSON only; docs/DATA.md) --------------- */

#define TICK_TRADE_ID_MAX 48
#define TICK_COND_MAX 32

/* What a live feed knows beyond the trade record. The trade's size is then in
 * lots of 10^-size_scale units (crypto: 8, 0.01 BTC is size 1000000), its
 * price exactly px_mant x 10^-px_scale, and its id the provider's numeric
 * trade id (or, for providers without one, a hash of the trade's fields), so
 * unique per source and symbol. All members are optional: 0 or "" is none. */
typedef struct trade_detail {
    int64_t recv_ts;                  /* when ticklake received it, ns since epoch */
    int ts_prec;                      /* digits of the provider's time after the second: 0,3,6,9 */
    int size_scale;                   /* size is in units of 10^-size_scale, 0..8 */
    int64_t px_mant;                  /* exact price mantissa, > 0 when given */
    int px_scale;                     /* exact price = px_mant / 10^px_scale, 0..18 */
    int64_t seq;                      /* the provider's sequence number */
    char side;                        /* aggressor: 'B' buy, 'S' sell, 0 unknown */
    char trade_id[TICK_TRADE_ID_MAX]; /* the provider's trade id as sent */
    char raw_symbol[TICK_SYMBOL_MAX]; /* the provider's own symbol */
    char conditions[TICK_COND_MAX];   /* the provider's condition codes, comma-separated */
} trade_detail;

/* The JSON of t with d's members after the usual ones; the price is written
 * as the exact decimal px_mant / 10^px_scale when px_mant > 0:
 * {"symbol":"BTC-USD","ts":...,"price":97012.34,"size":1000000,"id":8,
 *  "venue":"COINBASE","source":"coinbase","recv_ts":...,"ts_prec":6,
 *  "size_scale":8,"seq":50,"side":"buy","trade_id":"8",
 *  "raw_symbol":"BTC-USD","conditions":"@,I"} */
void trade_encode_json_detail(const trade *t, const trade_detail *d, buf *out);
/* trade_decode_json, also filling d (zeroed when a member is absent; the
 * exact price is not kept: px_mant stays 0). */
int trade_decode_json_detail(const char *data, size_t len, trade *t, trade_detail *d, char *errstr,
                             size_t errstr_size);
/* trade_decode, also filling d from a JSON record of a live feed (one with
 * ts_prec); d is zeroed for a binary record or a JSON one without. The sink
 * uses this, so the lake keeps the live-feed members. */
int trade_decode_detail(const void *data, size_t len, trade *t, trade_detail *d, char *errstr,
                        size_t errstr_size);

#endif
