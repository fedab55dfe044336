/* tick.h - the trade record and its JSON encoding (the `trades` topic contract).
 *
 * A trade is one execution: symbol, event time in nanoseconds since the Unix
 * epoch (UTC), price, size in shares, a trade id unique per source, the venue
 * and the source that produced it. docs/DATA.md documents each field. Pure:
 * no I/O. */
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

/* Appends the JSON encoding of t to out:
 * {"symbol":"AAPL","ts":1764115200000000000,"price":189.5,"size":100,
 *  "id":42,"venue":"XSIM","source":"sim"} */
void trade_encode_json(const trade *t, buf *out);

/* Decodes one JSON trade. Unknown members are ignored. Returns 0, or -1 with
 * errstr naming the missing or malformed field. Requires symbol (1..31 bytes),
 * ts, price (finite, > 0), size (> 0) and id; venue and source are optional. */
int trade_decode_json(const char *data, size_t len, trade *t, char *errstr, size_t errstr_size);

#endif
