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

#endif
