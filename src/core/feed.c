/* feed.c - the live providers' messages; see feed.h and docs/FEEDS.md. */
#include "feed.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "json.h"

static const char *const names[FEED_NPROVIDERS] = {"coinbase", "binance", "kraken",
                                                   "finnhub",  "alpaca",  "polygon"};

int feed_provider_parse(const char *name, feed_provider *out)
{
    for (int i = 0; i < FEED_NPROVIDERS; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (feed_provider)i;
            return 0;
        }
    return -1;
}

const char *feed_provider_name(feed_provider p)
{
    return names[p];
}

const char *feed_default_url(feed_provider p)
{
    switch (p) {
    case FEED_COINBASE:
        return "wss://ws-feed.exchange.coinbase.com";
    case FEED_BINANCE:
        return "wss://data-stream.binance.vision/ws";
    case FEED_KRAKEN:
        return "wss://ws.kraken.com/v2";
    case FEED_FINNHUB:
        return "wss://ws.finnhub.io";
    case FEED_ALPACA:
        return "wss://stream.data.alpaca.markets/v2/iex";
    default:
        return "wss://socket.massive.com/stocks";
    }
}

const char *feed_key_env(feed_provider p)
{
    return p == FEED_FINNHUB   ? "FINNHUB_TOKEN"
           : p == FEED_ALPACA  ? "APCA_API_KEY_ID"
           : p == FEED_POLYGON ? "POLYGON_API_KEY"
                               : NULL;
}

const char *feed_secret_env(feed_provider p)
{
    return p == FEED_ALPACA ? "APCA_API_SECRET_KEY" : NULL;
}

int feed_is_crypto(feed_provider p)
{
    return p == FEED_COINBASE || p == FEED_BINANCE || p == FEED_KRAKEN;
}

int feed_needs_auth(feed_provider p)
{
    return p == FEED_ALPACA || p == FEED_POLYGON;
}

int feed_has_quotes(feed_provider p)
{
    return p != FEED_FINNHUB;
}

/* ---- numbers and times ---------------------------------------------------- */

int feed_decimal_parse(const char *s, size_t len, int64_t *mant, int *scale, char *errstr,
                       size_t errstr_size)
{
    size_t i = 0;
    int neg = 0, digits = 0, sc = 0, seen_point = 0, sig = 0;
    int zeros = 0; /* zeros after the point and a significant digit, not yet in m */
    uint64_t m = 0;
    if (i < len && s[i] == '-') {
        neg = 1;
        i++;
    }
    for (; i < len; i++) {
        char c = s[i];
        if (c == '.' && !seen_point) {
            seen_point = 1;
            continue;
        }
        if (c < '0' || c > '9')
            return set_err(errstr, errstr_size, "'%.*s' is not a decimal number",
                           (int)(len > 40 ? 40 : len), s);
        digits++;
        if (seen_point && c == '0' && m != 0) {
            zeros++; /* significant only if a digit follows */
            continue;
        }
        for (; zeros > 0; zeros--) {
            if (++sig > 18)
                return set_err(errstr, errstr_size, "'%.*s' has more than 18 significant digits",
                               (int)(len > 40 ? 40 : len), s);
            m *= 10;
            sc++;
        }
        if (m != 0 || c != '0')
            sig++;
        if (sig > 18)
            return set_err(errstr, errstr_size, "'%.*s' has more than 18 significant digits",
                           (int)(len > 40 ? 40 : len), s);
        m = m * 10 + (uint64_t)(c - '0');
        if (seen_point)
            sc++;
    }
    /* Trailing zeros change no value: kept as written while 18 digits hold
     * them ("12345678901.00000000", a size as Coinbase writes it, fits). */
    for (; zeros > 0 && sig < 18; zeros--, sig++) {
        m *= 10;
        sc++;
    }
    if (digits == 0 || (seen_point && s[len - 1] == '.') || (seen_point && s[neg] == '.'))
        return set_err(errstr, errstr_size, "'%.*s' is not a decimal number",
                       (int)(len > 40 ? 40 : len), s);
    if (sc > 18)
        return set_err(errstr, errstr_size, "'%.*s' has more than 18 decimals",
                       (int)(len > 40 ? 40 : len), s);
    *mant = neg ? -(int64_t)m : (int64_t)m;
    *scale = sc;
    return 0;
}

int feed_decimal_from_double(double v, int64_t *mant, int *scale, char *errstr, size_t errstr_size)
{
    if (!isfinite(v))
        return set_err(errstr, errstr_size, "not a finite number");
    if (double_short_decimal(v, mant, scale))
        return 0;
    return feed_decimal_from_double_slow(v, mant, scale, errstr, errstr_size);
}

int feed_decimal_from_double_slow(double v, int64_t *mant, int *scale, char *errstr,
                                  size_t errstr_size)
{
    if (!isfinite(v))
        return set_err(errstr, errstr_size, "not a finite number");
    char tmp[64];
    /* The shortest of %.15g..%.17g that reads back as v. */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    char *e = strchr(tmp, 'e');
    if (e) {
        /* Spell the exponent out: digits and a point only. */
        int ex = atoi(e + 1);
        *e = '\0';
        char d[64];
        size_t n = 0;
        int neg = tmp[0] == '-', point = -1;
        for (const char *p = tmp + neg; *p; p++) {
            if (*p == '.')
                point = (int)n;
            else
                d[n++] = *p;
        }
        if (point < 0)
            point = (int)n;
        point += ex;
        char out[96];
        size_t o = 0;
        if (neg)
            out[o++] = '-';
        if (point <= 0) {
            if (n + (size_t)(-point) > 40)
                return set_err(errstr, errstr_size, "%g does not fit a decimal", v);
            out[o++] = '0';
            out[o++] = '.';
            for (int k = 0; k < -point; k++)
                out[o++] = '0';
            memcpy(out + o, d, n);
            o += n;
        } else {
            if (point > 40)
                return set_err(errstr, errstr_size, "%g does not fit a decimal", v);
            for (int k = 0; k < point; k++)
                out[o++] = (size_t)k < n ? d[k] : '0';
            if ((size_t)point < n) {
                out[o++] = '.';
                memcpy(out + o, d + point, n - (size_t)point);
                o += n - (size_t)point;
            }
        }
        out[o] = '\0';
        return feed_decimal_parse(out, o, mant, scale, errstr, errstr_size);
    }
    return feed_decimal_parse(tmp, strlen(tmp), mant, scale, errstr, errstr_size);
}

int feed_decimal_rescale(int64_t mant, int scale, int want, int64_t *out)
{
    while (scale > want) {
        if (mant % 10 != 0)
            return -1;
        mant /= 10;
        scale--;
    }
    while (scale < want) {
        if (mant > INT64_MAX / 10 || mant < INT64_MIN / 10)
            return -1;
        mant *= 10;
        scale++;
    }
    *out = mant;
    return 0;
}

static int digits_at(const char *s, size_t len, size_t at, int n, int *out)
{
    if (at + (size_t)n > len)
        return -1;
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = s[at + (size_t)i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return 0;
}

int feed_parse_rfc3339(const char *s, size_t len, int64_t *ns, int *prec)
{
    int y, mo, d, h, mi, se;
    if (digits_at(s, len, 0, 4, &y) || len < 20 || s[4] != '-' || digits_at(s, len, 5, 2, &mo) ||
        s[7] != '-' || digits_at(s, len, 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
        digits_at(s, len, 11, 2, &h) || s[13] != ':' || digits_at(s, len, 14, 2, &mi) ||
        s[16] != ':' || digits_at(s, len, 17, 2, &se))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || (unsigned)d > civil_month_days(y, mo) || h > 23 || mi > 59 ||
        se > 60)
        return -1;
    size_t i = 19;
    int64_t frac = 0;
    int fd = 0;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (fd < 9) {
                frac = frac * 10 + (s[i] - '0');
                fd++;
            } else if (s[i] != '0') {
                return -1; /* finer than a nanosecond */
            }
            i++;
        }
        if (fd == 0)
            return -1;
    }
    int64_t off = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        if (digits_at(s, len, i + 1, 2, &oh) || i + 3 >= len || s[i + 3] != ':' ||
            digits_at(s, len, i + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        off = (int64_t)(oh * 60 + om) * 60 * (s[i] == '+' ? 1 : -1);
        i += 6;
    } else {
        return -1;
    }
    if (i != len)
        return -1;
    int64_t scale = 1;
    for (int k = fd; k < 9; k++)
        scale *= 10;
    int64_t secs =
        days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - off;
    if (secs < 0 || secs >= INT64_MAX / 1000000000 - 1)
        return -1; /* before 1970 or past 2262: not in ns since the epoch */
    *ns = secs * 1000000000 + frac * scale;
    *prec = fd;
    return 0;
}

/* ---- symbols -------------------------------------------------------------- */

static void upper_copy(const char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (char)toupper((unsigned char)in[i]);
    out[n] = '\0';
}

/* Binance's quote assets, longest first so BTCFDUSD splits as BTC-FDUSD. */
static const char *const quote_assets[] = {"FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USD", "EUR",
                                           "GBP",   "TRY",  "BRL",  "JPY",  "BTC",  "ETH", "BNB"};

static int ok_symbol_chars(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr(".-/_:", *s))
            return 0;
    return 1;
}

/* BTCUSDT -> BTC-USDT, by the known quote assets. */
static int split_concat(const char *up, char *out, size_t out_size)
{
    size_t n = strlen(up);
    for (size_t k = 0; k < sizeof(quote_assets) / sizeof(quote_assets[0]); k++) {
        size_t q = strlen(quote_assets[k]);
        if (n > q && strcmp(up + n - q, quote_assets[k]) == 0) {
            if (n + 2 > out_size)
                return -1;
            snprintf(out, out_size, "%.*s-%s", (int)(n - q), up, quote_assets[k]);
            return 0;
        }
    }
    return -1;
}

int feed_symbol_normalise(feed_provider p, const char *raw, char *out, size_t out_size)
{
    size_t n = strlen(raw);
    char up[TICK_SYMBOL_MAX];
    if (n == 0 || n >= sizeof(up) || n >= out_size || !ok_symbol_chars(raw))
        return -1;
    upper_copy(raw, n, up);
    switch (p) {
    case FEED_KRAKEN: {
        char *slash = strchr(up, '/');
        if (!slash || slash == up || !slash[1])
            return -1;
        *slash = '\0';
        const char *base = strcmp(up, "XBT") == 0 ? "BTC" : up;
        const char *qa = strcmp(slash + 1, "XBT") == 0 ? "BTC" : slash + 1;
        if (strlen(base) + strlen(qa) + 2 > out_size)
            return -1;
        snprintf(out, out_size, "%s-%s", base, qa);
        return 0;
    }
    case FEED_BINANCE:
        return split_concat(up, out, out_size);
    case FEED_FINNHUB: {
        /* Crypto and forex come as EXCHANGE:PAIR (BINANCE:BTCUSDT, OANDA:EUR_USD). */
        char *colon = strchr(raw, ':');
        if (colon) {
            char pair[TICK_SYMBOL_MAX];
            upper_copy(colon + 1, strlen(colon + 1), pair);
            for (char *c = pair; *c; c++)
                if (*c == '_')
                    *c = '-';
            if (strchr(pair, '-')) {
                if (strlen(pair) >= out_size)
                    return -1;
                strcpy(out, pair);
                return 0;
            }
            return split_concat(pair, out, out_size);
        }
        memcpy(out, up, n + 1);
        return 0;
    }
    default:
        memcpy(out, up, n + 1);
        return 0;
    }
}

int feed_symbol_for_provider(feed_provider p, const char *sym, char *out, size_t out_size)
{
    size_t n = strlen(sym);
    if (n == 0 || n >= out_size || !ok_symbol_chars(sym))
        return -1;
    const char *dash = strchr(sym, '-');
    switch (p) {
    case FEED_COINBASE:
        if (!dash)
            return -1;
        upper_copy(sym, n, out);
        return 0;
    case FEED_KRAKEN:
        if (!dash)
            return -1;
        upper_copy(sym, n, out);
        out[dash - sym] = '/';
        return 0;
    case FEED_BINANCE: {
        if (!dash)
            return -1;
        size_t o = 0;
        for (size_t i = 0; i < n; i++)
            if (sym[i] != '-')
                out[o++] = (char)tolower((unsigned char)sym[i]);
        out[o] = '\0';
        return 0;
    }
    default:
        upper_copy(sym, n, out);
        return 0;
    }
}

/* ---- outgoing messages ------------------------------------------------------ */

void feed_auth_message(feed_provider p, const char *key, const char *secret, buf *out)
{
    if (p == FEED_ALPACA) {
        buf_puts(out, "{\"action\":\"auth\",\"key\":");
        buf_put_json_str(out, key ? key : "", key ? strlen(key) : 0);
        buf_puts(out, ",\"secret\":");
        buf_put_json_str(out, secret ? secret : "", secret ? strlen(secret) : 0);
        buf_putc(out, '}');
    } else if (p == FEED_POLYGON) {
        buf_puts(out, "{\"action\":\"auth\",\"params\":");
        buf_put_json_str(out, key ? key : "", key ? strlen(key) : 0);
        buf_putc(out, '}');
    }
}

int feed_subscribe_messages(feed_provider p, const char *const *symbols, size_t n, int req_id,
                            int quotes, buf *out, char *errstr, size_t errstr_size)
{
    char ps[TICK_SYMBOL_MAX];
    for (size_t i = 0; i < n; i++)
        if (feed_symbol_for_provider(p, symbols[i], ps, sizeof(ps)) != 0)
            return set_err(errstr, errstr_size, "%s: symbol '%s' has no %s spelling%s", names[p],
                           symbols[i], names[p],
                           feed_is_crypto(p) ? " (crypto pairs are BASE-QUOTE, e.g. BTC-USD)" : "");
    switch (p) {
    case FEED_COINBASE:
        buf_puts(out, "{\"type\":\"subscribe\",\"product_ids\":[");
        break;
    case FEED_BINANCE:
        buf_puts(out, "{\"method\":\"SUBSCRIBE\",\"params\":[");
        break;
    case FEED_KRAKEN:
        buf_puts(out, "{\"method\":\"subscribe\",\"params\":{\"channel\":\"trade\",\"symbol\":[");
        break;
    case FEED_ALPACA:
        buf_puts(out, "{\"action\":\"subscribe\",\"trades\":[");
        break;
    case FEED_POLYGON:
        buf_puts(out, "{\"action\":\"subscribe\",\"params\":\"");
        break;
    case FEED_FINNHUB:
    default:
        break;
    }
    for (size_t i = 0; i < n; i++) {
        feed_symbol_for_provider(p, symbols[i], ps, sizeof(ps));
        if (p == FEED_FINNHUB) {
            buf_puts(out, "{\"type\":\"subscribe\",\"symbol\":");
            buf_put_json_str(out, ps, strlen(ps));
            buf_puts(out, "}\n");
            continue;
        }
        if (i)
            buf_putc(out, ',');
        if (p == FEED_POLYGON) {
            buf_puts(out, "T.");
            buf_puts(out, ps);
            if (quotes) {
                buf_puts(out, ",Q.");
                buf_puts(out, ps);
            }
        } else if (p == FEED_BINANCE) {
            char stream[TICK_SYMBOL_MAX + 16];
            snprintf(stream, sizeof(stream), "%s@trade", ps);
            buf_put_json_str(out, stream, strlen(stream));
            if (quotes) {
                snprintf(stream, sizeof(stream), "%s@bookTicker", ps);
                buf_putc(out, ',');
                buf_put_json_str(out, stream, strlen(stream));
            }
        } else {
            buf_put_json_str(out, ps, strlen(ps));
        }
    }
    switch (p) {
    case FEED_COINBASE:
        buf_puts(out, quotes ? "],\"channels\":[\"matches\",\"heartbeat\",\"ticker\"]}\n"
                             : "],\"channels\":[\"matches\",\"heartbeat\"]}\n");
        break;
    case FEED_BINANCE:
        buf_printf(out, "],\"id\":%d}\n", req_id);
        break;
    case FEED_KRAKEN:
        buf_printf(out, "],\"snapshot\":true},\"req_id\":%d}\n", req_id);
        if (quotes) {
            /* One channel a request: the best bid and offer on each change. */
            buf_puts(out,
                     "{\"method\":\"subscribe\",\"params\":{\"channel\":\"ticker\",\"symbol\":[");
            for (size_t i = 0; i < n; i++) {
                feed_symbol_for_provider(p, symbols[i], ps, sizeof(ps));
                if (i)
                    buf_putc(out, ',');
                buf_put_json_str(out, ps, strlen(ps));
            }
            buf_printf(out, "],\"event_trigger\":\"bbo\",\"snapshot\":true},\"req_id\":%d}\n",
                       req_id + 1);
        }
        break;
    case FEED_ALPACA:
        buf_putc(out, ']');
        if (quotes) {
            buf_puts(out, ",\"quotes\":[");
            for (size_t i = 0; i < n; i++) {
                feed_symbol_for_provider(p, symbols[i], ps, sizeof(ps));
                if (i)
                    buf_putc(out, ',');
                buf_put_json_str(out, ps, strlen(ps));
            }
            buf_putc(out, ']');
        }
        buf_puts(out, "}\n");
        break;
    case FEED_POLYGON:
        buf_puts(out, "\"}\n");
        break;
    default:
        break;
    }
    return 0;
}

/* ---- incoming messages ------------------------------------------------------ */

void feed_msg_init(feed_msg *m)
{
    memset(m, 0, sizeof(*m));
}

void feed_msg_release(feed_msg *m)
{
    json_parser_free(m->parser);
    free(m->trades);
    free(m->details);
    free(m->quotes);
    free(m->rejected);
    memset(m, 0, sizeof(*m));
}

static void msg_reset(feed_msg *m)
{
    trade *t = m->trades;
    trade_detail *d = m->details;
    quote *q = m->quotes;
    feed_rejected *r = m->rejected;
    size_t cap = m->cap, qcap = m->qcap, rcap = m->rcap;
    struct json_parser *parser = m->parser;
    memset(m, 0, sizeof(*m));
    m->parser = parser;
    m->trades = t;
    m->details = d;
    m->cap = cap;
    m->quotes = q;
    m->qcap = qcap;
    m->rejected = r;
    m->rcap = rcap;
}

/* A bad trade (already counted by bad()) whose id was read: noted, so that the feed does not
 * count its id as a gap. */
static void rejected_id(feed_msg *m, feed_provider p, const char *raw_symbol, int64_t id)
{
    char sym[TICK_SYMBOL_MAX];
    if (!raw_symbol || id <= 0 || feed_symbol_normalise(p, raw_symbol, sym, sizeof(sym)) != 0)
        return;
    if (m->nrejected == m->rcap) {
        m->rcap = m->rcap ? m->rcap * 2 : 8;
        m->rejected = xrealloc(m->rejected, m->rcap * sizeof(*m->rejected));
    }
    feed_rejected *r = &m->rejected[m->nrejected++];
    memcpy(r->symbol, sym, sizeof(sym));
    r->id = id;
    r->before = m->ntrades;
}

/* A new zeroed quote slot at the end of m (counted once filled). */
static quote *quote_add(feed_msg *m)
{
    if (m->nquotes == m->qcap) {
        size_t cap = m->qcap ? m->qcap * 2 : 16;
        quote *q = realloc(m->quotes, cap * sizeof(*q));
        TL_ASSERT(q != NULL);
        m->quotes = q;
        m->qcap = cap;
    }
    memset(&m->quotes[m->nquotes], 0, sizeof(quote));
    return &m->quotes[m->nquotes];
}

/* A new zeroed trade slot at the end of m. */
static size_t msg_add(feed_msg *m)
{
    if (m->ntrades == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        trade *t = realloc(m->trades, cap * sizeof(*t));
        TL_ASSERT(t != NULL);
        m->trades = t;
        trade_detail *d = realloc(m->details, cap * sizeof(*d));
        TL_ASSERT(d != NULL);
        m->details = d;
        m->cap = cap;
    }
    memset(&m->trades[m->ntrades], 0, sizeof(trade));
    memset(&m->details[m->ntrades], 0, sizeof(trade_detail));
    return m->ntrades;
}

static void bad(feed_msg *m, const char *fmt, const char *what)
{
    if (m->bad++ == 0)
        snprintf(m->bad_reason, sizeof(m->bad_reason), fmt, what);
}

static void error_msg(feed_msg *m, int fatal, const char *fmt, const char *a, const char *b)
{
    m->error = 1;
    m->fatal |= fatal;
    snprintf(m->error_text, sizeof(m->error_text), fmt, a ? a : "", b ? b : "");
}

/* A decimal member: a string ("100.5") or a JSON number. */
static int get_decimal(const json_value *o, const char *key, int64_t *mant, int *scale)
{
    const json_value *v = json_get(o, key);
    char e[64];
    if (!v)
        return -1;
    if (v->type == JSON_STRING)
        return feed_decimal_parse(v->str, v->len, mant, scale, e, sizeof(e));
    if (v->type == JSON_NUMBER) {
        if (v->is_int) {
            *mant = v->i;
            *scale = 0;
            return 0;
        }
        return feed_decimal_from_double(v->num, mant, scale, e, sizeof(e));
    }
    return -1;
}

/* An integer member given as a number or a string of digits. */
static int get_int_any(const json_value *o, const char *key, int64_t *out)
{
    const json_value *v = json_get(o, key);
    if (!v)
        return -1;
    if (v->type == JSON_NUMBER && v->is_int) {
        *out = v->i;
        return 0;
    }
    if (v->type == JSON_STRING)
        return parse_int64(v->str, INT64_MIN, INT64_MAX, out);
    return -1;
}

/* The double nearest to mant / 10^scale. Both exact as doubles (|mant| <
 * 2^53, scale <= 22): one correctly rounded division; otherwise strtod,
 * which rounds correctly. */
static double decimal_to_double(int64_t mant, int scale)
{
    if (scale >= 0 && scale <= 22 && mant > -(1LL << 53) && mant < (1LL << 53))
        return (double)mant / tl_pow10[scale];
    if (scale <= 0)
        return (double)mant;
    /* As an exponent: "0.%0*d" printed a 0 even at width 0, so 16 to 18
     * digits after "0." came out ten times too small. */
    char lit[48];
    snprintf(lit, sizeof(lit), "%llde-%d", (long long)mant, scale);
    return strtod(lit, NULL);
}

/* Fills the common parts of slot i; returns 0, or -1 after counting it bad
 * (and drops the slot). price and size are decimals; size_scale the unit. */
static int finish_trade(feed_msg *m, feed_provider p, const char *raw_symbol, int64_t pm, int ps,
                        int64_t sm, int ss, int size_scale, int64_t ts, int prec, int64_t recv)
{
    trade *t = &m->trades[m->ntrades];
    trade_detail *d = &m->details[m->ntrades];
    if (!raw_symbol || feed_symbol_normalise(p, raw_symbol, t->symbol, sizeof(t->symbol)) != 0) {
        bad(m, "symbol '%s' is not one ticklake can normalise", raw_symbol ? raw_symbol : "");
        return -1;
    }
    strlcpy_utf8(d->raw_symbol, raw_symbol, sizeof(d->raw_symbol));
    if (pm <= 0) {
        bad(m, "%s: price is not above 0", t->symbol);
        return -1;
    }
    int64_t lots;
    if (sm <= 0) {
        bad(m, "%s: size is not above 0", t->symbol);
        return -1;
    }
    if (feed_decimal_rescale(sm, ss, size_scale, &lots) != 0) {
        bad(m,
            size_scale ? "%s: size has more than 8 decimals or is too large"
                       : "%s: size is not a whole number of shares",
            t->symbol);
        return -1;
    }
    t->price = decimal_to_double(pm, ps);
    t->size = lots;
    t->ts = ts;
    /* The ranges the processor and the sink hold trades to (trade_check_range):
     * a trade outside them is bad here, counted and logged, rather than
     * published, acknowledged and then dropped downstream. */
    char why[160];
    if (lots > TICK_SIZE_MAX) {
        if (size_scale)
            snprintf(why, sizeof(why),
                     "%s: size is above ticklake's limit of 10^15 lots (10^%d units at size_scale "
                     "%d; docs/DATA.md)",
                     t->symbol, 15 - size_scale, size_scale);
        else
            snprintf(why, sizeof(why),
                     "%s: size is above ticklake's limit of 10^15 shares (docs/DATA.md)",
                     t->symbol);
        bad(m, "%s", why);
        return -1;
    }
    if (trade_check_range(t, why, sizeof(why)) != 0) {
        char full[200];
        snprintf(full, sizeof(full), "%s: %s", t->symbol, why);
        bad(m, "%s", full);
        return -1;
    }
    strlcpy_tl(t->source, names[p], sizeof(t->source));
    d->px_mant = pm;
    d->px_scale = ps;
    d->size_scale = size_scale;
    d->ts_prec = prec;
    d->recv_ts = recv;
    m->ntrades++;
    return 0;
}

/* fnv1a_bytes over v's decimal digits. */
static uint64_t fnv_int(uint64_t h, int64_t v)
{
    char d[FMT_INT64_SIZE];
    return fnv1a_bytes(h, d, fmt_int64(d, v));
}

/* FNV-1a of "sym|ts|pm/ps|sm/ss|cond" (the text is what the ids hash, and
 * must stay so: a trade's id may already be in a lake), built without printf,
 * which was 3-4% of a feed's decode and publish. */
static int64_t trade_hash(const char *sym, int64_t ts, int64_t pm, int ps, int64_t sm, int ss,
                          const char *cond)
{
    uint64_t h = fnv1a_bytes(1469598103934665603ull, sym, strlen(sym));
    h = fnv_int(fnv1a_bytes(h, "|", 1), ts);
    h = fnv_int(fnv1a_bytes(h, "|", 1), pm);
    h = fnv_int(fnv1a_bytes(h, "/", 1), ps);
    h = fnv_int(fnv1a_bytes(h, "|", 1), sm);
    h = fnv_int(fnv1a_bytes(h, "/", 1), ss);
    h = fnv1a_bytes(fnv1a_bytes(h, "|", 1), cond, strlen(cond));
    return (int64_t)(h & INT64_MAX);
}

/* A quote's id: the hash of its prices mixed with its two sizes, 0 or more.
 * The sizes are mixed in unsigned arithmetic, which wraps where sizes near
 * the 10^18 lot limit would overflow int64; ids of smaller sizes are those
 * the signed sum always gave. */
static int64_t quote_id(int64_t price_hash, int64_t bid_size, int64_t ask_size)
{
    uint64_t h = (uint64_t)price_hash ^ ((uint64_t)bid_size * 31u + (uint64_t)ask_size);
    int64_t id = (int64_t)(h & INT64_MAX);
    return (h >> 63) ? INT64_MAX - id : id;
}

/* Joins a conditions array (strings or integers) as "a,b". */
static void join_conditions(const json_value *arr, char *out, size_t out_size)
{
    out[0] = '\0';
    if (!arr || arr->type != JSON_ARRAY)
        return;
    size_t o = 0;
    for (const json_value *c = arr->child; c; c = c->next) {
        char one[FMT_INT64_SIZE];
        if (c->type == JSON_STRING)
            strlcpy_utf8(one, c->str, sizeof(one)); /* a long code is cut, never split */
        else if (c->type == JSON_NUMBER && c->is_int)
            fmt_int64(one, c->i);
        else
            continue;
        size_t l = strlen(one);
        if (o + l + 2 > out_size)
            break;
        if (o)
            out[o++] = ',';
        memcpy(out + o, one, l + 1);
        o += l;
    }
}

/* A crypto provider's best bid and offer from o's members kb, kbs (bid and
 * its size), ka, kas: prices above 0 and sizes in lots of
 * 10^-FEED_CRYPTO_SIZE_SCALE, exact or counted bad. ts in ns (the receive
 * time where the provider sends none). Its id is a hash of its fields. */
static void finish_crypto_quote(feed_msg *m, feed_provider p, const char *raw, const json_value *o,
                                const char *kb, const char *kbs, const char *ka, const char *kas,
                                int64_t ts, const char *venue)
{
    quote *q = quote_add(m);
    int64_t bm, am, bsm, asm_;
    int bsc, asc, bssc, assc;
    if (!raw || feed_symbol_normalise(p, raw, q->symbol, sizeof(q->symbol)) != 0) {
        bad(m, "quote symbol '%s' is not one ticklake can normalise", raw ? raw : "");
        return;
    }
    if (get_decimal(o, kb, &bm, &bsc) != 0 || get_decimal(o, ka, &am, &asc) != 0 || bm <= 0 ||
        am <= 0) {
        bad(m, "%s: quote bid or ask is not a price above 0", q->symbol);
        return;
    }
    if (get_decimal(o, kbs, &bsm, &bssc) != 0 || get_decimal(o, kas, &asm_, &assc) != 0 ||
        bsm < 0 || asm_ < 0 ||
        feed_decimal_rescale(bsm, bssc, FEED_CRYPTO_SIZE_SCALE, &q->bid_size) != 0 ||
        feed_decimal_rescale(asm_, assc, FEED_CRYPTO_SIZE_SCALE, &q->ask_size) != 0) {
        bad(m, "%s: quote sizes are not sizes of at most 8 decimals", q->symbol);
        return;
    }
    q->bid = decimal_to_double(bm, bsc);
    q->ask = decimal_to_double(am, asc);
    q->size_scale = FEED_CRYPTO_SIZE_SCALE;
    q->ts = ts;
    strlcpy_tl(q->venue, venue, sizeof(q->venue));
    strlcpy_tl(q->source, names[p], sizeof(q->source));
    q->id = quote_id(trade_hash(q->symbol, ts, bm, bsc, am, asc, venue), q->bid_size, q->ask_size);
    m->nquotes++;
}

static int str_is(const json_value *o, const char *key, const char *want)
{
    const char *s = json_get_str(o, key);
    return s && strcmp(s, want) == 0;
}

/* -- Coinbase Exchange: {"type":"match",...}, subscriptions, heartbeat, error */
static int decode_coinbase(const json_value *o, int64_t recv, feed_msg *m)
{
    const char *type = json_get_str(o, "type");
    if (!type)
        return -1;
    if (strcmp(type, "subscriptions") == 0) {
        m->subscribed = 1;
    } else if (strcmp(type, "heartbeat") == 0) {
        m->heartbeat = 1;
        const char *pid = json_get_str(o, "product_id");
        get_int_any(o, "last_trade_id", &m->hb_last_trade_id);
        if (!pid ||
            feed_symbol_normalise(FEED_COINBASE, pid, m->hb_symbol, sizeof(m->hb_symbol)) != 0)
            m->hb_last_trade_id = 0;
    } else if (strcmp(type, "match") == 0 || strcmp(type, "last_match") == 0) {
        size_t i = msg_add(m);
        (void)i;
        int64_t pm, sm, id, ts;
        int ps, ss, prec;
        const char *pid = json_get_str(o, "product_id"), *time = json_get_str(o, "time");
        const char *side = json_get_str(o, "side");
        if (get_int_any(o, "trade_id", &id) != 0) {
            bad(m, "%s: match without a trade_id", pid ? pid : "?");
            return 0;
        }
        if (get_decimal(o, "price", &pm, &ps) != 0 || get_decimal(o, "size", &sm, &ss) != 0) {
            bad(m, "%s: match price or size is not a decimal", pid ? pid : "?");
            rejected_id(m, FEED_COINBASE, pid, id);
            return 0;
        }
        if (!time || feed_parse_rfc3339(time, strlen(time), &ts, &prec) != 0) {
            bad(m, "%s: match time is not RFC 3339", pid ? pid : "?");
            rejected_id(m, FEED_COINBASE, pid, id);
            return 0;
        }
        if (finish_trade(m, FEED_COINBASE, pid, pm, ps, sm, ss, FEED_CRYPTO_SIZE_SCALE, ts, prec,
                         recv) != 0) {
            rejected_id(m, FEED_COINBASE, pid, id);
            return 0;
        }
        trade *t = &m->trades[m->ntrades - 1];
        trade_detail *d = &m->details[m->ntrades - 1];
        t->id = id;
        fmt_int64(d->trade_id, id);
        strlcpy_tl(t->venue, "COINBASE", sizeof(t->venue));
        get_int_any(o, "sequence", &d->seq);
        /* side is the maker's: a sell maker means a buyer took it. */
        if (side)
            d->side = strcmp(side, "sell") == 0 ? 'B' : strcmp(side, "buy") == 0 ? 'S' : 0;
    } else if (strcmp(type, "ticker") == 0) {
        /* The best bid and offer after a match (subscribed with quotes). */
        const char *pid = json_get_str(o, "product_id"), *time = json_get_str(o, "time");
        int64_t ts;
        int prec;
        if (!time || feed_parse_rfc3339(time, strlen(time), &ts, &prec) != 0)
            ts = recv;
        finish_crypto_quote(m, FEED_COINBASE, pid, o, "best_bid", "best_bid_size", "best_ask",
                            "best_ask_size", ts, "COINBASE");
    } else if (strcmp(type, "error") == 0) {
        /* Coinbase also says "error" as it disconnects a client that reads
         * too slowly (ErrSlowConsume), sends too much (ErrSlowRead), sent a
         * message too big, or for network trouble: those are reconnected. A
         * rejected subscription ("Failed to subscribe", an unknown product) or
         * authentication ends the run. */
        const char *msg = json_get_str(o, "message");
        int fatal = msg && (strcasestr(msg, "subscribe") || strcasestr(msg, "auth"));
        error_msg(m, fatal, "coinbase: %s%s", msg ? msg : "error", "");
        const char *reason = json_get_str(o, "reason");
        if (reason) {
            size_t l = strlen(m->error_text);
            snprintf(m->error_text + l, sizeof(m->error_text) - l, " (%s)", reason);
        }
    } else {
        m->skipped++;
    }
    return 0;
}

/* -- Binance: {"e":"trade",...}, possibly in {"stream":..,"data":..}; {"result":null,"id":1} */
static int decode_binance(const json_value *o, int64_t recv, feed_msg *m)
{
    const json_value *data = json_get(o, "data");
    if (data && data->type == JSON_OBJECT && json_get(o, "stream"))
        o = data;
    const json_value *err = json_get(o, "error");
    if (err && err->type == JSON_OBJECT) {
        error_msg(m, 1, "binance: %s%s", json_get_str(err, "msg"), "");
        return 0;
    }
    if (json_get(o, "id") && json_get(o, "result")) {
        m->subscribed = 1;
        return 0;
    }
    const char *e = json_get_str(o, "e");
    if (!e && json_get(o, "u") && json_get(o, "b") && json_get(o, "a")) {
        /* <symbol>@bookTicker: the best bid and offer, with no time of its own. */
        finish_crypto_quote(m, FEED_BINANCE, json_get_str(o, "s"), o, "b", "B", "a", "A", recv,
                            "BINANCE");
        return 0;
    }
    if (!e)
        return -1;
    if (strcmp(e, "serverShutdown") == 0) {
        m->shutdown = 1;
        return 0;
    }
    if (strcmp(e, "trade") != 0) {
        m->skipped++;
        return 0;
    }
    msg_add(m);
    int64_t pm, sm, id, tms;
    int ps, ss;
    const char *sym = json_get_str(o, "s");
    if (json_get_int(o, "t", &id) != 0 || json_get_int(o, "T", &tms) != 0) {
        bad(m, "%s: trade without t (id) or T (time)", sym ? sym : "?");
        return 0;
    }
    if (get_decimal(o, "p", &pm, &ps) != 0 || get_decimal(o, "q", &sm, &ss) != 0) {
        bad(m, "%s: trade p or q is not a decimal", sym ? sym : "?");
        rejected_id(m, FEED_BINANCE, sym, id);
        return 0;
    }
    if (tms < 0 || tms > INT64_MAX / 1000000) {
        bad(m, "%s: trade time out of range", sym ? sym : "?");
        rejected_id(m, FEED_BINANCE, sym, id);
        return 0;
    }
    if (finish_trade(m, FEED_BINANCE, sym, pm, ps, sm, ss, FEED_CRYPTO_SIZE_SCALE, tms * 1000000, 3,
                     recv) != 0) {
        rejected_id(m, FEED_BINANCE, sym, id);
        return 0;
    }
    trade *t = &m->trades[m->ntrades - 1];
    trade_detail *d = &m->details[m->ntrades - 1];
    t->id = id;
    fmt_int64(d->trade_id, id);
    strlcpy_tl(t->venue, "BINANCE", sizeof(t->venue));
    const json_value *mk = json_get(o, "m");
    /* m: the buyer is the maker, so the seller took it. */
    if (mk && (mk->type == JSON_TRUE || mk->type == JSON_FALSE))
        d->side = mk->type == JSON_TRUE ? 'S' : 'B';
    return 0;
}

/* -- Kraken v2: {"channel":"trade","type":"update"|"snapshot","data":[...]},
 * heartbeat, status, {"method":"subscribe","success":..} */
static int decode_kraken(const json_value *o, int64_t recv, feed_msg *m)
{
    const char *method = json_get_str(o, "method");
    if (method) {
        const json_value *ok = json_get(o, "success");
        if (strcmp(method, "subscribe") == 0) {
            if (ok && ok->type == JSON_TRUE)
                m->subscribed = 1;
            else {
                /* A rate limit ("Exceeded msg rate") is retried after the
                 * backoff; an unknown pair or bad arguments end the run. */
                const char *e = json_get_str(o, "error");
                error_msg(m, !(e && strcasestr(e, "rate")), "kraken: subscription failed: %s%s",
                          e ? e : "", "");
            }
        } else if (ok && ok->type == JSON_FALSE) {
            error_msg(m, 0, "kraken: %s failed: %s", method, json_get_str(o, "error"));
        }
        return 0;
    }
    const char *ch = json_get_str(o, "channel");
    if (!ch)
        return -1;
    if (strcmp(ch, "heartbeat") == 0) {
        m->heartbeat = 1;
        return 0;
    }
    if (strcmp(ch, "ticker") == 0) {
        /* Level 1 on each change of the best bid or offer (subscribed with quotes). */
        const json_value *data = json_get(o, "data");
        if (!data || data->type != JSON_ARRAY)
            return -1;
        for (const json_value *e = data->child; e; e = e->next) {
            const char *time = json_get_str(e, "timestamp");
            int64_t ts;
            int prec;
            if (!time || feed_parse_rfc3339(time, strlen(time), &ts, &prec) != 0)
                ts = recv;
            finish_crypto_quote(m, FEED_KRAKEN, json_get_str(e, "symbol"), e, "bid", "bid_qty",
                                "ask", "ask_qty", ts, "KRAKEN");
        }
        return 0;
    }
    if (strcmp(ch, "trade") != 0) {
        m->skipped++;
        return 0;
    }
    const json_value *data = json_get(o, "data");
    if (!data || data->type != JSON_ARRAY)
        return -1;
    for (const json_value *e = data->child; e; e = e->next) {
        msg_add(m);
        int64_t pm, sm, id, ts;
        int ps, ss, prec;
        const char *sym = json_get_str(e, "symbol"), *time = json_get_str(e, "timestamp");
        if (get_int_any(e, "trade_id", &id) != 0) {
            bad(m, "%s: trade without trade_id", sym ? sym : "?");
            continue;
        }
        if (get_decimal(e, "price", &pm, &ps) != 0 || get_decimal(e, "qty", &sm, &ss) != 0) {
            bad(m, "%s: trade price or qty is not a number", sym ? sym : "?");
            rejected_id(m, FEED_KRAKEN, sym, id);
            continue;
        }
        if (!time || feed_parse_rfc3339(time, strlen(time), &ts, &prec) != 0) {
            bad(m, "%s: trade timestamp is not RFC 3339", sym ? sym : "?");
            rejected_id(m, FEED_KRAKEN, sym, id);
            continue;
        }
        if (finish_trade(m, FEED_KRAKEN, sym, pm, ps, sm, ss, FEED_CRYPTO_SIZE_SCALE, ts, prec,
                         recv) != 0) {
            rejected_id(m, FEED_KRAKEN, sym, id);
            continue;
        }
        trade *t = &m->trades[m->ntrades - 1];
        trade_detail *d = &m->details[m->ntrades - 1];
        t->id = id;
        fmt_int64(d->trade_id, id);
        strlcpy_tl(t->venue, "KRAKEN", sizeof(t->venue));
        const char *side = json_get_str(e, "side"); /* the taker's */
        if (side)
            d->side = strcmp(side, "buy") == 0 ? 'B' : strcmp(side, "sell") == 0 ? 'S' : 0;
        const char *ot = json_get_str(e, "ord_type");
        if (ot)
            strlcpy_utf8(d->conditions, ot, sizeof(d->conditions));
    }
    return 0;
}

/* -- Finnhub: {"type":"trade","data":[{"s","p","t","v","c"}]}, ping, error */
static int decode_finnhub(const json_value *o, int64_t recv, feed_msg *m)
{
    const char *type = json_get_str(o, "type");
    if (!type)
        return -1;
    if (strcmp(type, "ping") == 0) {
        m->heartbeat = 1;
        return 0;
    }
    if (strcmp(type, "error") == 0) {
        const char *msg = json_get_str(o, "msg");
        int fatal = msg && (strstr(msg, "key") || strstr(msg, "token") || strstr(msg, "symbol") ||
                            strstr(msg, "ubscri"));
        error_msg(m, fatal, "finnhub: %s%s", msg ? msg : "error", "");
        return 0;
    }
    if (strcmp(type, "trade") != 0) {
        m->skipped++;
        return 0;
    }
    const json_value *data = json_get(o, "data");
    if (!data || data->type != JSON_ARRAY)
        return -1;
    for (const json_value *e = data->child; e; e = e->next) {
        int64_t pm, sm, tms;
        int ps, ss;
        const char *sym = json_get_str(e, "s");
        if (get_decimal(e, "v", &sm, &ss) == 0 && sm == 0) {
            m->skipped++; /* v 0: a price update, not a trade */
            continue;
        }
        msg_add(m);
        if (json_get_int(e, "t", &tms) != 0 || tms < 0 || tms > INT64_MAX / 1000000) {
            bad(m, "%s: trade without a time t (epoch ms)", sym ? sym : "?");
            continue;
        }
        if (get_decimal(e, "p", &pm, &ps) != 0 || get_decimal(e, "v", &sm, &ss) != 0) {
            bad(m, "%s: trade p or v is not a number", sym ? sym : "?");
            continue;
        }
        int crypto = sym && strchr(sym, ':') != NULL;
        if (finish_trade(m, FEED_FINNHUB, sym, pm, ps, sm, ss, crypto ? FEED_CRYPTO_SIZE_SCALE : 0,
                         tms * 1000000, 3, recv) != 0)
            continue;
        trade *t = &m->trades[m->ntrades - 1];
        trade_detail *d = &m->details[m->ntrades - 1];
        join_conditions(json_get(e, "c"), d->conditions, sizeof(d->conditions));
        /* BINANCE:BTCUSDT and COINBASE:BTC-USDT are one instrument (BTC-USDT) on two venues:
         * the exchange is the venue, and the id hashes the provider's own symbol, so equal
         * trades on two exchanges are two trades, not a duplicate. */
        t->id = trade_hash(sym, t->ts, pm, ps, sm, ss, d->conditions);
        const char *colon = crypto ? strchr(sym, ':') : NULL;
        size_t vlen = colon ? (size_t)(colon - sym) : 0;
        if (vlen > 0 && vlen < sizeof(t->venue)) {
            upper_copy(sym, vlen, t->venue);
        } else {
            strlcpy_tl(t->venue, "FINNHUB", sizeof(t->venue));
        }
    }
    return 0;
}

/* Alpaca's error codes (docs.alpaca.markets, real-time stock data). */
static const char *alpaca_error(int64_t code, int *fatal)
{
    *fatal = 0;
    switch (code) {
    case 401:
        return "not authenticated";
    case 402:
        *fatal = 1;
        return "auth failed: the key or secret was rejected";
    case 403:
        return "already authenticated";
    case 404:
        return "auth timeout: no auth message within 10 s";
    case 405:
        *fatal = 1;
        return "symbol limit exceeded";
    case 406:
        return "connection limit exceeded: another session of this key is still connected";
    case 407:
        return "slow client: the server dropped messages";
    case 409:
        *fatal = 1;
        return "insufficient subscription: the plan does not include this feed";
    case 400:
        *fatal = 1;
        return "invalid syntax: the server did not understand the message";
    case 410:
        *fatal = 1;
        return "invalid subscribe action for this feed";
    default:
        return NULL;
    }
}

/* A quote of the stock providers: bid and ask prices (> 0) and sizes in
 * shares (lot: shares per size unit), ts in ns; counted bad otherwise. Its
 * id is a hash of its fields: quotes have none. */
static void finish_quote(feed_msg *m, feed_provider p, const json_value *e, const char *sym,
                         int64_t ts, int64_t lot, const char *venue)
{
    quote *q = quote_add(m);
    int64_t bs, as;
    if (!sym || feed_symbol_normalise(p, sym, q->symbol, sizeof(q->symbol)) != 0) {
        bad(m, "quote symbol '%s' is not one ticklake can normalise", sym ? sym : "");
        return;
    }
    if (json_get_num(e, "bp", &q->bid) != 0 || json_get_num(e, "ap", &q->ask) != 0 ||
        !(q->bid > 0) || !(q->ask > 0) || !isfinite(q->bid) || !isfinite(q->ask)) {
        bad(m, "%s: quote bp or ap is not a price above 0", q->symbol);
        return;
    }
    if (json_get_int(e, "bs", &bs) != 0 || json_get_int(e, "as", &as) != 0 || bs < 0 || as < 0 ||
        bs > INT64_MAX / lot || as > INT64_MAX / lot) {
        bad(m, "%s: quote bs or as is not a whole size", q->symbol);
        return;
    }
    q->bid_size = bs * lot;
    q->ask_size = as * lot;
    q->ts = ts;
    strlcpy_utf8(q->venue, venue, sizeof(q->venue));
    strlcpy_tl(q->source, names[p], sizeof(q->source));
    int64_t bm, am;
    int bsc, asc;
    if (feed_decimal_from_double(q->bid, &bm, &bsc, NULL, 0) != 0 ||
        feed_decimal_from_double(q->ask, &am, &asc, NULL, 0) != 0)
        bm = am = bsc = asc = 0;
    q->id = quote_id(trade_hash(q->symbol, ts, bm, bsc, am, asc, venue), bs, as);
    m->nquotes++;
}

static int decode_alpaca_one(const json_value *e, int64_t recv, feed_msg *m)
{
    const char *T = json_get_str(e, "T");
    if (!T)
        return -1;
    if (strcmp(T, "success") == 0) {
        if (str_is(e, "msg", "authenticated"))
            m->auth_ok = 1;
    } else if (strcmp(T, "subscription") == 0) {
        m->subscribed = 1;
    } else if (strcmp(T, "error") == 0) {
        int64_t code = 0;
        json_get_int(e, "code", &code);
        int fatal;
        const char *known = alpaca_error(code, &fatal);
        char c[16];
        snprintf(c, sizeof(c), "%lld", (long long)code);
        error_msg(m, fatal, "alpaca: error %s: %s", c,
                  known                    ? known
                  : json_get_str(e, "msg") ? json_get_str(e, "msg")
                                           : "unknown");
    } else if (strcmp(T, "t") == 0) {
        msg_add(m);
        int64_t pm, sm, id, ts;
        int ps, ss, prec;
        const char *sym = json_get_str(e, "S"), *time = json_get_str(e, "t");
        if (json_get_int(e, "i", &id) != 0) {
            bad(m, "%s: trade without an id i", sym ? sym : "?");
            return 0;
        }
        if (get_decimal(e, "p", &pm, &ps) != 0 || get_decimal(e, "s", &sm, &ss) != 0) {
            bad(m, "%s: trade p or s is not a number", sym ? sym : "?");
            return 0;
        }
        if (!time || feed_parse_rfc3339(time, strlen(time), &ts, &prec) != 0) {
            bad(m, "%s: trade time t is not RFC 3339", sym ? sym : "?");
            return 0;
        }
        if (finish_trade(m, FEED_ALPACA, sym, pm, ps, sm, ss, 0, ts, prec, recv) != 0)
            return 0;
        trade *t = &m->trades[m->ntrades - 1];
        trade_detail *d = &m->details[m->ntrades - 1];
        fmt_int64(d->trade_id, id);
        const char *x = json_get_str(e, "x");
        strlcpy_utf8(t->venue, x ? x : "ALPACA", sizeof(t->venue));
        /* Alpaca's i counts per exchange and day (the IEX feed's start at 1
         * each morning): the id is a hash of i, the exchange and the time,
         * which a replay repeats and another day's or exchange's trade of
         * the same i has not (i alone dropped those as duplicates). */
        t->id = trade_hash(d->trade_id, ts, 0, 0, 0, 0, x ? x : "");
        join_conditions(json_get(e, "c"), d->conditions, sizeof(d->conditions));
    } else if (strcmp(T, "q") == 0) {
        int64_t ts;
        int prec;
        const char *sym = json_get_str(e, "S"), *time = json_get_str(e, "t");
        const char *bx = json_get_str(e, "bx");
        if (!time || feed_parse_rfc3339(time, strlen(time), &ts, &prec) != 0) {
            bad(m, "%s: quote time t is not RFC 3339", sym ? sym : "?");
            return 0;
        }
        finish_quote(m, FEED_ALPACA, e, sym, ts, 1, bx ? bx : "ALPACA");
    } else {
        m->skipped++;
    }
    return 0;
}

/* -- Polygon / Massive: arrays of {"ev":"T",...} and {"ev":"status",...} */
_Static_assert(TICK_TRADE_ID_MAX >= FMT_INT64_SIZE, "a numeric trade id fits");

static int decode_polygon_one(const json_value *e, int64_t recv, feed_msg *m)
{
    const char *ev = json_get_str(e, "ev");
    if (!ev)
        return -1;
    if (strcmp(ev, "status") == 0) {
        const char *st = json_get_str(e, "status"), *msg = json_get_str(e, "message");
        if (!st)
            return -1;
        if (strcmp(st, "auth_success") == 0)
            m->auth_ok = 1;
        else if (strcmp(st, "auth_failed") == 0)
            error_msg(m, 1, "polygon: authentication failed: %s%s", msg ? msg : "key rejected", "");
        else if (strcmp(st, "max_connections") == 0)
            error_msg(m, 0, "polygon: connection limit: %s%s",
                      msg ? msg : "maximum number of connections exceeded", "");
        else if (strcmp(st, "success") == 0 && msg && strncmp(msg, "subscribed to", 13) == 0)
            m->subscribed = 1;
        else if (strcmp(st, "error") == 0)
            error_msg(m, 0, "polygon: %s%s", msg ? msg : "error", "");
        return 0;
    }
    if (strcmp(ev, "Q") == 0) {
        int64_t tms, bx = 0;
        const char *sym = json_get_str(e, "sym");
        if (json_get_int(e, "t", &tms) != 0 || tms < 0 || tms > INT64_MAX / 1000000) {
            bad(m, "%s: quote without a time t (epoch ms)", sym ? sym : "?");
            return 0;
        }
        json_get_int(e, "bx", &bx);
        char venue[FMT_INT64_SIZE];
        fmt_int64(venue, bx);
        /* bs and as are round lots, of 100 shares normally (Massive's docs). */
        finish_quote(m, FEED_POLYGON, e, sym, tms * 1000000, 100, venue);
        return 0;
    }
    if (strcmp(ev, "T") != 0) {
        m->skipped++;
        return 0;
    }
    msg_add(m);
    int64_t pm, sm, tms, x = 0;
    int ps, ss;
    const char *sym = json_get_str(e, "sym");
    if (json_get_int(e, "t", &tms) != 0 || tms < 0 || tms > INT64_MAX / 1000000) {
        bad(m, "%s: trade without a time t (epoch ms)", sym ? sym : "?");
        return 0;
    }
    if (get_decimal(e, "p", &pm, &ps) != 0 || get_decimal(e, "s", &sm, &ss) != 0) {
        bad(m, "%s: trade p or s is not a number", sym ? sym : "?");
        return 0;
    }
    const json_value *iv = json_get(e, "i");
    if (!iv || (iv->type != JSON_STRING && !(iv->type == JSON_NUMBER && iv->is_int))) {
        bad(m, "%s: trade without an id i", sym ? sym : "?");
        return 0;
    }
    if (finish_trade(m, FEED_POLYGON, sym, pm, ps, sm, ss, 0, tms * 1000000, 3, recv) != 0)
        return 0;
    trade *t = &m->trades[m->ntrades - 1];
    trade_detail *d = &m->details[m->ntrades - 1];
    if (iv->type == JSON_STRING)
        strlcpy_utf8(d->trade_id, iv->str, sizeof(d->trade_id));
    else
        fmt_int64(d->trade_id, iv->i);
    /* Polygon's ids are unique per exchange (and reporting facility) and
     * day, not numbers in general: the id is a hash of them with the time,
     * which a replay repeats and the next day's trade of the same i has not
     * (i alone dropped those as duplicates). */
    int64_t trfi = 0;
    json_get_int(e, "x", &x);
    json_get_int(e, "trfi", &trfi);
    t->id = trade_hash(d->trade_id, t->ts, x, (int)trfi, 0, 0, "");
    char xs[FMT_INT64_SIZE];
    fmt_int64(xs, x);
    strlcpy_tl(t->venue, xs, sizeof(t->venue));
    json_get_int(e, "q", &d->seq);
    join_conditions(json_get(e, "c"), d->conditions, sizeof(d->conditions));
    return 0;
}

int feed_decode(feed_provider p, const char *data, size_t len, int64_t recv_ns, feed_msg *m,
                char *errstr, size_t errstr_size)
{
    msg_reset(m);
    if (!m->parser)
        m->parser = json_parser_new();
    const json_value *o = json_parser_parse(m->parser, data, len, errstr, errstr_size);
    if (!o)
        return -1;
    int rc = 0;
    if (p == FEED_ALPACA || p == FEED_POLYGON) {
        if (o->type != JSON_ARRAY) {
            rc = set_err(errstr, errstr_size, "%s: a message that is not a JSON array", names[p]);
        } else {
            /* An element of unknown shape is one unusable item: the others
             * of the message still count (a message of nothing else is
             * malformed). */
            size_t nel = 0, nodd = 0;
            for (const json_value *e = o->child; e; e = e->next, nel++)
                if (e->type != JSON_OBJECT ||
                    (p == FEED_ALPACA ? decode_alpaca_one : decode_polygon_one)(e, recv_ns, m) !=
                        0) {
                    nodd++;
                    bad(m, "%s: an array element of unknown shape", names[p]);
                }
            if (nodd > 0 && nodd == nel) {
                m->bad = 0;
                rc =
                    set_err(errstr, errstr_size, "%s: an array element of unknown shape", names[p]);
            }
        }
    } else if (o->type != JSON_OBJECT) {
        rc = set_err(errstr, errstr_size, "%s: a message that is not a JSON object", names[p]);
    } else {
        int (*fn)(const json_value *, int64_t, feed_msg *) = p == FEED_COINBASE  ? decode_coinbase
                                                             : p == FEED_BINANCE ? decode_binance
                                                             : p == FEED_KRAKEN  ? decode_kraken
                                                                                 : decode_finnhub;
        if (fn(o, recv_ns, m) != 0)
            rc = set_err(errstr, errstr_size, "%s: a message of unknown shape", names[p]);
    }
    return rc;
}
