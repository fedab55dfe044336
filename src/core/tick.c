/* tick.c - the JSON and binary encodings of trades and quotes; see tick.h. */
#include "tick.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

/* The optional trailing members of trades and quotes. */
static void put_venue_source(buf *out, const char *venue, const char *source)
{
    if (venue[0]) {
        buf_puts(out, ",\"venue\":");
        buf_put_json_str(out, venue, strlen(venue));
    }
    if (source[0]) {
        buf_puts(out, ",\"source\":");
        buf_put_json_str(out, source, strlen(source));
    }
    buf_putc(out, '}');
}

void trade_encode_json(const trade *t, buf *out)
{
    buf_puts(out, "{\"symbol\":");
    buf_put_json_str(out, t->symbol, strlen(t->symbol));
    buf_puts(out, ",\"ts\":");
    buf_put_int64(out, t->ts);
    buf_puts(out, ",\"price\":");
    json_put_double(out, t->price);
    buf_puts(out, ",\"size\":");
    buf_put_int64(out, t->size);
    buf_puts(out, ",\"id\":");
    buf_put_int64(out, t->id);
    put_venue_source(out, t->venue, t->source);
}

static int check_ts(int64_t ts, char *errstr, size_t errstr_size)
{
    if (ts < TICK_TS_MIN || ts > TICK_TS_MAX)
        return set_err(errstr, errstr_size,
                       "'ts' (%lld) is outside 1800-01-01 to 2200-01-01 (ns since epoch)",
                       (long long)ts);
    return 0;
}

int trade_check_range(const trade *t, char *errstr, size_t errstr_size)
{
    if (check_ts(t->ts, errstr, errstr_size) != 0)
        return -1;
    if (t->price > TICK_PRICE_MAX)
        return set_err(errstr, errstr_size, "'price' (%g) is above 1e12", t->price);
    if (t->size > TICK_SIZE_MAX)
        return set_err(errstr, errstr_size, "'size' (%lld) is above 1e15", (long long)t->size);
    return 0;
}

int quote_check_range(const quote *q, char *errstr, size_t errstr_size)
{
    return check_ts(q->ts, errstr, errstr_size);
}

/* The members trades and quotes share: symbol (required), venue, source, ts. */
static int get_head(json_rec *o, char *symbol, size_t symsz, char *venue, size_t venuesz,
                    char *source, size_t sourcesz, int64_t *ts, char *errstr, size_t errstr_size)
{
    if (json_rec_copy_str(o, "symbol", symbol, symsz, 1, errstr, errstr_size) ||
        json_rec_copy_str(o, "venue", venue, venuesz, 0, errstr, errstr_size) ||
        json_rec_copy_str(o, "source", source, sourcesz, 0, errstr, errstr_size))
        return -1;
    if (json_rec_get_int(o, "ts", ts) != 0)
        return set_err(errstr, errstr_size,
                       "field 'ts' missing or not an integer (ns since epoch)");
    return 0;
}

/* The trade members of record o. */
static int trade_from_rec(json_rec *o, trade *t, char *errstr, size_t errstr_size)
{
    memset(t, 0, sizeof(*t));
    if (!json_rec_is_object(o))
        return set_err(errstr, errstr_size, "trade is not a JSON object");
    if (get_head(o, t->symbol, sizeof(t->symbol), t->venue, sizeof(t->venue), t->source,
                 sizeof(t->source), &t->ts, errstr, errstr_size) != 0)
        return -1;
    if (json_rec_get_num(o, "price", &t->price) != 0 || !isfinite(t->price) || t->price <= 0)
        return set_err(errstr, errstr_size, "field 'price' missing or not a positive number");
    if (json_rec_get_int(o, "size", &t->size) != 0 || t->size <= 0)
        return set_err(errstr, errstr_size, "field 'size' missing or not a positive integer");
    if (json_rec_get_int(o, "id", &t->id) != 0)
        return set_err(errstr, errstr_size, "field 'id' missing or not an integer");
    return 0;
}

int trade_decode_json(const char *data, size_t len, trade *t, char *errstr, size_t errstr_size)
{
    json_rec *o = json_rec_parse(data, len, errstr, errstr_size);
    if (!o)
        return -1;
    int rc = trade_from_rec(o, t, errstr, errstr_size);
    json_rec_free(o);
    return rc;
}

/* ---- live-feed details -------------------------------------------------- */

/* Appends mant / 10^scale as a decimal literal with exactly scale digits after
 * the point (none when scale is 0). */
static void put_decimal(buf *out, int64_t mant, int scale)
{
    char digits[FMT_INT64_SIZE];
    int n = (int)fmt_int64(digits, mant);
    if (scale <= 0) {
        buf_append(out, digits, (size_t)n);
        return;
    }
    if (n <= scale) {
        buf_puts(out, "0.");
        for (int i = n; i < scale; i++)
            buf_putc(out, '0');
        buf_append(out, digits, (size_t)n);
        return;
    }
    buf_append(out, digits, (size_t)(n - scale));
    buf_putc(out, '.');
    buf_append(out, digits + n - scale, (size_t)scale);
}

void trade_encode_json_detail(const trade *t, const trade_detail *d, buf *out)
{
    buf_puts(out, "{\"symbol\":");
    buf_put_json_str(out, t->symbol, strlen(t->symbol));
    buf_puts(out, ",\"ts\":");
    buf_put_int64(out, t->ts);
    buf_puts(out, ",\"price\":");
    if (d->px_mant > 0)
        put_decimal(out, d->px_mant, d->px_scale);
    else
        json_put_double(out, t->price);
    buf_puts(out, ",\"size\":");
    buf_put_int64(out, t->size);
    buf_puts(out, ",\"id\":");
    buf_put_int64(out, t->id);
    if (t->venue[0]) {
        buf_puts(out, ",\"venue\":");
        buf_put_json_str(out, t->venue, strlen(t->venue));
    }
    if (t->source[0]) {
        buf_puts(out, ",\"source\":");
        buf_put_json_str(out, t->source, strlen(t->source));
    }
    if (d->recv_ts) {
        buf_puts(out, ",\"recv_ts\":");
        buf_put_int64(out, d->recv_ts);
    }
    buf_puts(out, ",\"ts_prec\":");
    buf_put_int64(out, d->ts_prec);
    if (d->size_scale) {
        buf_puts(out, ",\"size_scale\":");
        buf_put_int64(out, d->size_scale);
    }
    if (d->seq) {
        buf_puts(out, ",\"seq\":");
        buf_put_int64(out, d->seq);
    }
    if (d->side) {
        buf_puts(out, d->side == 'B' ? ",\"side\":\"buy\"" : ",\"side\":\"sell\"");
    }
    if (d->trade_id[0]) {
        buf_puts(out, ",\"trade_id\":");
        buf_put_json_str(out, d->trade_id, strlen(d->trade_id));
    }
    if (d->raw_symbol[0]) {
        buf_puts(out, ",\"raw_symbol\":");
        buf_put_json_str(out, d->raw_symbol, strlen(d->raw_symbol));
    }
    if (d->conditions[0]) {
        buf_puts(out, ",\"conditions\":");
        buf_put_json_str(out, d->conditions, strlen(d->conditions));
    }
    buf_putc(out, '}');
}

/* The live-feed members of record o into d (zeroed first). */
static int detail_from_rec(json_rec *o, trade_detail *d, char *errstr, size_t errstr_size)
{
    memset(d, 0, sizeof(*d));
    int rc = 0;
    int64_t v;
    json_value present;
    char side[8] = "";
    if (json_rec_get(o, "recv_ts", &present) == 0 &&
        json_rec_get_int(o, "recv_ts", &d->recv_ts) != 0)
        rc = set_err(errstr, errstr_size, "field 'recv_ts' is not an integer");
    if (rc == 0 && json_rec_get_int(o, "ts_prec", &v) == 0) {
        if (v < 0 || v > 9)
            rc = set_err(errstr, errstr_size, "field 'ts_prec' is not 0..9");
        d->ts_prec = (int)v;
    }
    if (rc == 0 && json_rec_get_int(o, "size_scale", &v) == 0) {
        if (v < 0 || v > 18)
            rc = set_err(errstr, errstr_size, "field 'size_scale' is not 0..18");
        d->size_scale = (int)v;
    }
    if (rc == 0)
        json_rec_get_int(o, "seq", &d->seq);
    if (rc == 0 && (json_rec_copy_str(o, "trade_id", d->trade_id, sizeof(d->trade_id), 0, errstr,
                                      errstr_size) != 0 ||
                    json_rec_copy_str(o, "raw_symbol", d->raw_symbol, sizeof(d->raw_symbol), 0,
                                      errstr, errstr_size) != 0 ||
                    json_rec_copy_str(o, "conditions", d->conditions, sizeof(d->conditions), 0,
                                      errstr, errstr_size) != 0 ||
                    json_rec_copy_str(o, "side", side, sizeof(side), 0, errstr, errstr_size) != 0))
        rc = -1;
    if (rc == 0 && side[0]) {
        if (strcmp(side, "buy") == 0)
            d->side = 'B';
        else if (strcmp(side, "sell") == 0)
            d->side = 'S';
        else
            rc = set_err(errstr, errstr_size, "field 'side' is not buy or sell");
    }
    return rc;
}

int trade_decode_json_detail(const char *data, size_t len, trade *t, trade_detail *d, char *errstr,
                             size_t errstr_size)
{
    memset(d, 0, sizeof(*d));
    json_rec *o = json_rec_parse(data, len, errstr, errstr_size);
    if (!o)
        return -1;
    int rc = trade_from_rec(o, t, errstr, errstr_size);
    if (rc == 0)
        rc = detail_from_rec(o, d, errstr, errstr_size);
    json_rec_free(o);
    return rc;
}

int trade_decode_detail(const void *data, size_t len, trade *t, trade_detail *d, char *errstr,
                        size_t errstr_size)
{
    memset(d, 0, sizeof(*d));
    if (tick_is_binary(data, len))
        return trade_decode_binary(data, len, t, errstr, errstr_size);
    json_rec *o = json_rec_parse(data, len, errstr, errstr_size);
    if (!o)
        return -1;
    int rc = trade_from_rec(o, t, errstr, errstr_size);
    /* Every live-feed record has ts_prec: one lookup spares the others for
     * the simulator's records. */
    json_value present;
    if (rc == 0 && json_rec_get(o, "ts_prec", &present) == 0)
        rc = detail_from_rec(o, d, errstr, errstr_size);
    json_rec_free(o);
    return rc;
}

/* ---- quotes (JSON) ------------------------------------------------------ */

void quote_encode_json(const quote *q, buf *out)
{
    buf_puts(out, "{\"symbol\":");
    buf_put_json_str(out, q->symbol, strlen(q->symbol));
    buf_puts(out, ",\"ts\":");
    buf_put_int64(out, q->ts);
    buf_puts(out, ",\"bid\":");
    json_put_double(out, q->bid);
    buf_puts(out, ",\"bid_size\":");
    buf_put_int64(out, q->bid_size);
    buf_puts(out, ",\"ask\":");
    json_put_double(out, q->ask);
    buf_puts(out, ",\"ask_size\":");
    buf_put_int64(out, q->ask_size);
    buf_puts(out, ",\"id\":");
    buf_put_int64(out, q->id);
    if (q->size_scale) {
        buf_puts(out, ",\"size_scale\":");
        buf_put_int64(out, q->size_scale);
    }
    put_venue_source(out, q->venue, q->source);
}

int quote_decode_json(const char *data, size_t len, quote *q, char *errstr, size_t errstr_size)
{
    json_rec *o = json_rec_parse(data, len, errstr, errstr_size);
    if (!o)
        return -1;
    int rc = -1;
    memset(q, 0, sizeof(*q));
    if (!json_rec_is_object(o)) {
        set_err(errstr, errstr_size, "quote is not a JSON object");
        goto out;
    }
    if (get_head(o, q->symbol, sizeof(q->symbol), q->venue, sizeof(q->venue), q->source,
                 sizeof(q->source), &q->ts, errstr, errstr_size) != 0)
        goto out;
    if (json_rec_get_num(o, "bid", &q->bid) != 0 || !isfinite(q->bid) || q->bid <= 0) {
        set_err(errstr, errstr_size, "field 'bid' missing or not a positive number");
        goto out;
    }
    if (json_rec_get_int(o, "bid_size", &q->bid_size) != 0 || q->bid_size < 0) {
        set_err(errstr, errstr_size, "field 'bid_size' missing or not an integer >= 0");
        goto out;
    }
    if (json_rec_get_num(o, "ask", &q->ask) != 0 || !isfinite(q->ask) || q->ask <= 0) {
        set_err(errstr, errstr_size, "field 'ask' missing or not a positive number");
        goto out;
    }
    if (json_rec_get_int(o, "ask_size", &q->ask_size) != 0 || q->ask_size < 0) {
        set_err(errstr, errstr_size, "field 'ask_size' missing or not an integer >= 0");
        goto out;
    }
    if (json_rec_get_int(o, "id", &q->id) != 0) {
        set_err(errstr, errstr_size, "field 'id' missing or not an integer");
        goto out;
    }
    int64_t v;
    if (json_rec_get_int(o, "size_scale", &v) == 0) {
        if (v < 0 || v > 18) {
            set_err(errstr, errstr_size, "field 'size_scale' is not 0..18");
            goto out;
        }
        q->size_scale = (int)v;
    }
    rc = 0;
out:
    json_rec_free(o);
    return rc;
}

/* ---- binary ------------------------------------------------------------- */

int tick_encoding_parse(const char *s, tick_encoding *out)
{
    if (strcmp(s, "json") == 0)
        *out = TICK_JSON;
    else if (strcmp(s, "binary") == 0)
        *out = TICK_BINARY;
    else
        return -1;
    return 0;
}

int tick_is_binary(const void *data, size_t len)
{
    return len > 0 && ((const unsigned char *)data)[0] == TICK_BINARY_MAGIC;
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void put_i64(unsigned char *p, int64_t v)
{
    put_u64(p, (uint64_t)v);
}

static void put_f64(unsigned char *p, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof(v));
    put_u64(p, v);
}

static int64_t get_i64(const unsigned char *p)
{
    return (int64_t)get_u64(p);
}

static double get_f64(const unsigned char *p)
{
    uint64_t v = get_u64(p);
    double d;
    memcpy(&d, &v, sizeof(d));
    return d;
}

/* Writes the header and reserves room for the whole record; returns where the
 * fixed fields start. */
static unsigned char *put_header(buf *out, char kind, size_t fixed, const char *symbol,
                                 const char *venue, const char *source, size_t *sl, size_t *vl,
                                 size_t *rl)
{
    *sl = strnlen(symbol, TICK_SYMBOL_MAX - 1);
    *vl = strnlen(venue, TICK_VENUE_MAX - 1);
    *rl = strnlen(source, TICK_SOURCE_MAX - 1);
    buf_reserve(out, fixed + *sl + *vl + *rl);
    unsigned char *p = (unsigned char *)out->data + out->len;
    p[0] = TICK_BINARY_MAGIC;
    p[1] = TICK_BINARY_VERSION;
    p[2] = (unsigned char)kind;
    p[3] = (unsigned char)*sl;
    p[4] = (unsigned char)*vl;
    p[5] = (unsigned char)*rl;
    p[6] = p[7] = 0;
    return p;
}

static void put_strings(buf *out, unsigned char *p, size_t fixed, const char *symbol, size_t sl,
                        const char *venue, size_t vl, const char *source, size_t rl)
{
    memcpy(p + fixed, symbol, sl);
    memcpy(p + fixed + sl, venue, vl);
    memcpy(p + fixed + sl + vl, source, rl);
    out->len += fixed + sl + vl + rl;
}

void trade_encode_binary(const trade *t, buf *out)
{
    size_t sl, vl, rl;
    unsigned char *p = put_header(out, TICK_BINARY_TRADE, TICK_BINARY_TRADE_FIXED, t->symbol,
                                  t->venue, t->source, &sl, &vl, &rl);
    put_i64(p + 8, t->ts);
    put_f64(p + 16, t->price);
    put_i64(p + 24, t->size);
    put_i64(p + 32, t->id);
    put_strings(out, p, TICK_BINARY_TRADE_FIXED, t->symbol, sl, t->venue, vl, t->source, rl);
}

void quote_encode_binary(const quote *q, buf *out)
{
    size_t sl, vl, rl;
    unsigned char *p = put_header(out, TICK_BINARY_QUOTE, TICK_BINARY_QUOTE_FIXED, q->symbol,
                                  q->venue, q->source, &sl, &vl, &rl);
    put_i64(p + 8, q->ts);
    put_f64(p + 16, q->bid);
    put_i64(p + 24, q->bid_size);
    put_f64(p + 32, q->ask);
    put_i64(p + 40, q->ask_size);
    put_i64(p + 48, q->id);
    put_strings(out, p, TICK_BINARY_QUOTE_FIXED, q->symbol, sl, q->venue, vl, q->source, rl);
}

void trade_encode(const trade *t, tick_encoding enc, buf *out)
{
    if (enc == TICK_BINARY)
        trade_encode_binary(t, out);
    else
        trade_encode_json(t, out);
}

void quote_encode(const quote *q, tick_encoding enc, buf *out)
{
    if (enc == TICK_BINARY)
        quote_encode_binary(q, out);
    else
        quote_encode_json(q, out);
}

/* Copies one length-prefixed string out of a binary record. */
static int get_str(const unsigned char *p, size_t n, char *dst, const char *name, char *errstr,
                   size_t errstr_size)
{
    if (memchr(p, '\0', n))
        return set_err(errstr, errstr_size, "binary record: %s holds a NUL byte", name);
    /* JSON records are checked by their parser; a binary one's text must be
     * as valid: the lake's string columns are UTF-8 (a sink stopped for good
     * on one such record before). */
    if (!utf8_valid(p, n))
        return set_err(errstr, errstr_size, "binary record: %s is not valid UTF-8", name);
    memcpy(dst, p, n);
    dst[n] = '\0';
    return 0;
}

/* Checks the header of a binary record of the wanted kind and its exact
 * length, and copies its strings. */
static int check_binary(const unsigned char *p, size_t len, char kind, size_t fixed, char *symbol,
                        char *venue, char *source, char *errstr, size_t errstr_size)
{
    if (len < TICK_BINARY_HEADER)
        return set_err(errstr, errstr_size,
                       "binary record: %zu bytes, shorter than its %d-byte "
                       "header",
                       len, TICK_BINARY_HEADER);
    if (p[0] != TICK_BINARY_MAGIC)
        return set_err(errstr, errstr_size,
                       "binary record: first byte 0x%02x is not the magic 0x%02x", p[0],
                       TICK_BINARY_MAGIC);
    if (p[1] != TICK_BINARY_VERSION)
        return set_err(errstr, errstr_size,
                       "binary record: version %u is not supported (this reader knows version %d)",
                       p[1], TICK_BINARY_VERSION);
    if (p[2] != (unsigned char)kind) {
        const char *what = p[2] == TICK_BINARY_TRADE   ? "a trade"
                           : p[2] == TICK_BINARY_QUOTE ? "a quote"
                                                       : "of an unknown kind";
        return set_err(errstr, errstr_size, "binary record: kind byte 0x%02x: %s, not %s", p[2],
                       what, kind == TICK_BINARY_TRADE ? "a trade" : "a quote");
    }
    size_t sl = p[3], vl = p[4], rl = p[5];
    if (sl < 1 || sl >= TICK_SYMBOL_MAX)
        return set_err(errstr, errstr_size, "binary record: symbol length %zu not in 1..%d", sl,
                       TICK_SYMBOL_MAX - 1);
    if (vl >= TICK_VENUE_MAX || rl >= TICK_SOURCE_MAX)
        return set_err(errstr, errstr_size,
                       "binary record: venue or source length (%zu, %zu) over %d bytes", vl, rl,
                       TICK_VENUE_MAX - 1);
    if (p[6] || p[7])
        return set_err(errstr, errstr_size, "binary record: reserved bytes 6-7 are not zero");
    if (len != fixed + sl + vl + rl)
        return set_err(errstr, errstr_size, "binary record: %zu bytes, expected %zu", len,
                       fixed + sl + vl + rl);
    if (get_str(p + fixed, sl, symbol, "symbol", errstr, errstr_size) ||
        get_str(p + fixed + sl, vl, venue, "venue", errstr, errstr_size) ||
        get_str(p + fixed + sl + vl, rl, source, "source", errstr, errstr_size))
        return -1;
    return 0;
}

int trade_decode_binary(const void *data, size_t len, trade *t, char *errstr, size_t errstr_size)
{
    const unsigned char *p = data;
    memset(t, 0, sizeof(*t));
    if (check_binary(p, len, TICK_BINARY_TRADE, TICK_BINARY_TRADE_FIXED, t->symbol, t->venue,
                     t->source, errstr, errstr_size) != 0)
        return -1;
    t->ts = get_i64(p + 8);
    t->price = get_f64(p + 16);
    t->size = get_i64(p + 24);
    t->id = get_i64(p + 32);
    if (!isfinite(t->price) || t->price <= 0)
        return set_err(errstr, errstr_size, "binary trade: price is not a positive number");
    if (t->size <= 0)
        return set_err(errstr, errstr_size, "binary trade: size is not a positive integer");
    return 0;
}

int quote_decode_binary(const void *data, size_t len, quote *q, char *errstr, size_t errstr_size)
{
    const unsigned char *p = data;
    memset(q, 0, sizeof(*q));
    if (check_binary(p, len, TICK_BINARY_QUOTE, TICK_BINARY_QUOTE_FIXED, q->symbol, q->venue,
                     q->source, errstr, errstr_size) != 0)
        return -1;
    q->ts = get_i64(p + 8);
    q->bid = get_f64(p + 16);
    q->bid_size = get_i64(p + 24);
    q->ask = get_f64(p + 32);
    q->ask_size = get_i64(p + 40);
    q->id = get_i64(p + 48);
    if (!isfinite(q->bid) || q->bid <= 0 || !isfinite(q->ask) || q->ask <= 0)
        return set_err(errstr, errstr_size, "binary quote: bid or ask is not a positive number");
    if (q->bid_size < 0 || q->ask_size < 0)
        return set_err(errstr, errstr_size, "binary quote: bid_size or ask_size is negative");
    return 0;
}

int trade_decode(const void *data, size_t len, trade *t, char *errstr, size_t errstr_size)
{
    if (tick_is_binary(data, len))
        return trade_decode_binary(data, len, t, errstr, errstr_size);
    return trade_decode_json(data, len, t, errstr, errstr_size);
}

int quote_decode(const void *data, size_t len, quote *q, char *errstr, size_t errstr_size)
{
    if (tick_is_binary(data, len))
        return quote_decode_binary(data, len, q, errstr, errstr_size);
    return quote_decode_json(data, len, q, errstr, errstr_size);
}
