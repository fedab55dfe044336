/* feed_rest.c - REST market data answers; see feed_rest.h. */
#include "feed_rest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "json.h"

static void put_query(buf *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("-._~:", c))
            buf_putc(out, (char)c);
        else
            buf_printf(out, "%%%02X", c);
    }
}

void rest_finnhub_quote_url(const char *base, const char *symbol, const char *key, buf *out)
{
    buf_puts(out, base ? base : "https://finnhub.io/api/v1/quote");
    buf_puts(out, "?symbol=");
    put_query(out, symbol);
    buf_puts(out, "&token=");
    put_query(out, key ? key : "");
}

void rest_av_intraday_url(const char *base, const char *symbol, const char *interval,
                          const char *key, buf *out)
{
    buf_puts(out, base ? base : "https://www.alphavantage.co/query");
    buf_puts(out, "?function=TIME_SERIES_INTRADAY&symbol=");
    put_query(out, symbol);
    buf_puts(out, "&interval=");
    put_query(out, interval);
    buf_puts(out, "&apikey=");
    put_query(out, key ? key : "");
}

int rest_finnhub_quote_parse(const char *body, size_t len, const char *symbol, rest_snapshot *out,
                             char *errstr, size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    json_doc *doc = json_parse(body, len, errstr, errstr_size);
    if (!doc)
        return -1;
    const json_value *o = json_root(doc);
    int rc = 0;
    int64_t t = 0;
    if (o->type != JSON_OBJECT || json_get_num(o, "c", &out->price) != 0 ||
        json_get_int(o, "t", &t) != 0) {
        const char *e = o->type == JSON_OBJECT ? json_get_str(o, "error") : NULL;
        rc = set_err(errstr, errstr_size, "finnhub quote %s: %s", symbol,
                     e ? e : "not a quote (no c or t)");
    } else if (t == 0 && out->price == 0) {
        rc = set_err(errstr, errstr_size, "finnhub quote %s: no data (an unknown symbol?)", symbol);
    } else if (t < 0 || t > INT64_MAX / 1000000000 || !(out->price > 0) || !isfinite(out->price)) {
        rc = set_err(errstr, errstr_size, "finnhub quote %s: time or price out of range", symbol);
    } else {
        json_get_num(o, "o", &out->open);
        json_get_num(o, "h", &out->high);
        json_get_num(o, "l", &out->low);
        json_get_num(o, "pc", &out->prev_close);
        json_get_num(o, "d", &out->change);
        json_get_num(o, "dp", &out->change_pct);
        out->ts = t * 1000000000;
        if (strlcpy_tl(out->symbol, symbol, sizeof(out->symbol)) >= sizeof(out->symbol))
            rc = set_err(errstr, errstr_size, "symbol '%s' is too long", symbol);
    }
    json_doc_free(doc);
    return rc;
}

int64_t rest_us_eastern_to_utc_ns(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                                  unsigned s)
{
    int64_t first = days_from_civil(y, mo, 1);
    unsigned dow1 = (unsigned)(((first + 4) % 7 + 7) % 7); /* 0 Sunday; 1970-01-01 a Thursday */
    unsigned first_sunday = 1 + (7 - dow1) % 7;
    int dst;
    if (mo > 3 && mo < 11)
        dst = 1;
    else if (mo == 3)
        dst = d > first_sunday + 7 || (d == first_sunday + 7 && h >= 2);
    else if (mo == 11)
        dst = d < first_sunday || (d == first_sunday && h < 2);
    else
        dst = 0;
    int64_t local = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return (local + (dst ? 4 : 5) * 3600) * 1000000000;
}

/* "1. open" and the like: a string of a number. */
static int num_member(const json_value *o, const char *key, double *out)
{
    const char *s = json_get_str(o, key);
    char *end;
    if (!s)
        return -1;
    *out = strtod(s, &end);
    return end == s || *end || !isfinite(*out) ? -1 : 0;
}

static int cmp_bar(const void *a, const void *b)
{
    const rest_bar *x = a, *y = b;
    return x->window_start < y->window_start ? -1 : x->window_start > y->window_start;
}

int rest_av_intraday_parse(const char *body, size_t len, const char *symbol, rest_bar **bars,
                           size_t *n, char *errstr, size_t errstr_size)
{
    *bars = NULL;
    *n = 0;
    json_doc *doc = json_parse(body, len, errstr, errstr_size);
    if (!doc)
        return -1;
    const json_value *o = json_root(doc);
    int rc = 0;
    const char *note = o->type == JSON_OBJECT ? json_get_str(o, "Note") : NULL;
    if (!note && o->type == JSON_OBJECT)
        note = json_get_str(o, "Information");
    const json_value *meta = json_get(o, "Meta Data"), *series = NULL;
    for (const json_value *c = o->type == JSON_OBJECT ? o->child : NULL; c; c = c->next)
        if (strncmp(c->key, "Time Series (", 13) == 0)
            series = c;
    if (note && !series) {
        rc = 1;
        set_err(errstr, errstr_size, "alphavantage: %s", note);
    } else if (o->type == JSON_OBJECT && json_get_str(o, "Error Message")) {
        rc = set_err(errstr, errstr_size, "alphavantage %s: %s", symbol,
                     json_get_str(o, "Error Message"));
    } else if (!meta || !series || series->type != JSON_OBJECT) {
        rc = set_err(errstr, errstr_size, "alphavantage %s: no \"Meta Data\" or \"Time Series\"",
                     symbol);
    } else {
        const char *tz = json_get_str(meta, "6. Time Zone");
        int eastern = tz && strcmp(tz, "US/Eastern") == 0;
        char interval[8] = "";
        size_t il = strcspn(series->key + 13, ")");
        if (il < sizeof(interval))
            memcpy(interval, series->key + 13, il), interval[il] = '\0';
        if (!tz || (!eastern && strcmp(tz, "UTC") != 0))
            rc = set_err(errstr, errstr_size, "alphavantage %s: time zone '%s' is not US/Eastern",
                         symbol, tz ? tz : "(none)");
        rest_bar *v = rc == 0 && series->count ? xcalloc(series->count, sizeof(rest_bar)) : NULL;
        size_t k = 0;
        for (const json_value *e = series->child; rc == 0 && e; e = e->next) {
            int y, mo, d, h, mi, s;
            char extra;
            rest_bar *b = &v[k];
            int64_t vol;
            double dv;
            if (sscanf(e->key, "%4d-%2d-%2d %2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &extra) !=
                    6 ||
                mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
                s < 0 || s > 59 || y < 1970 ||
                y > 2200 || /* ns since the epoch end in 2262 (found by fuzz_feed_rest) */
                num_member(e, "1. open", &b->open) || num_member(e, "2. high", &b->high) ||
                num_member(e, "3. low", &b->low) || num_member(e, "4. close", &b->close) ||
                !(b->open > 0) || !(b->high > 0) || !(b->low > 0) || !(b->close > 0) ||
                num_member(e, "5. volume", &dv) || dv < 0 || dv > 9e18) {
                rc = set_err(errstr, errstr_size, "alphavantage %s: bar '%s' is malformed", symbol,
                             e->key);
                break;
            }
            vol = (int64_t)dv;
            b->volume = vol;
            b->window_start =
                eastern ? rest_us_eastern_to_utc_ns(y, (unsigned)mo, (unsigned)d, (unsigned)h,
                                                    (unsigned)mi, (unsigned)s)
                        : (days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
                           mi * 60 + s) *
                              1000000000;
            strlcpy_tl(b->symbol, symbol, sizeof(b->symbol));
            memcpy(b->interval, interval, sizeof(b->interval));
            k++;
        }
        if (rc == 0) {
            if (k)
                qsort(v, k, sizeof(rest_bar), cmp_bar);
            *bars = v;
            *n = k;
        } else {
            free(v);
        }
    }
    json_doc_free(doc);
    return rc;
}

void rest_snapshot_encode_json(const rest_snapshot *s, const char *source, int64_t recv_ts,
                               buf *out)
{
    buf_puts(out, "{\"symbol\":");
    buf_put_json_str(out, s->symbol, strlen(s->symbol));
    buf_puts(out, ",\"ts\":");
    buf_put_int64(out, s->ts);
    const char *names[] = {"price", "open", "high", "low", "prev_close", "change", "change_pct"};
    const double vals[] = {s->price,      s->open,   s->high,      s->low,
                           s->prev_close, s->change, s->change_pct};
    for (int i = 0; i < 7; i++) {
        buf_printf(out, ",\"%s\":", names[i]);
        json_put_double(out, vals[i]);
    }
    buf_puts(out, ",\"source\":");
    buf_put_json_str(out, source, strlen(source));
    buf_puts(out, ",\"recv_ts\":");
    buf_put_int64(out, recv_ts);
    buf_putc(out, '}');
}

void rest_bar_encode_json(const rest_bar *b, const char *source, buf *out)
{
    buf_puts(out, "{\"symbol\":");
    buf_put_json_str(out, b->symbol, strlen(b->symbol));
    buf_puts(out, ",\"interval\":");
    buf_put_json_str(out, b->interval, strlen(b->interval));
    buf_puts(out, ",\"window_start\":");
    buf_put_int64(out, b->window_start);
    buf_puts(out, ",\"open\":");
    json_put_double(out, b->open);
    buf_puts(out, ",\"high\":");
    json_put_double(out, b->high);
    buf_puts(out, ",\"low\":");
    json_put_double(out, b->low);
    buf_puts(out, ",\"close\":");
    json_put_double(out, b->close);
    buf_puts(out, ",\"volume\":");
    buf_put_int64(out, b->volume);
    buf_puts(out, ",\"source\":");
    buf_put_json_str(out, source, strlen(source));
    buf_putc(out, '}');
}

/* Number member key into *out; NaN when absent or null and !required. */
static int rec_num(json_rec *r, const char *key, double *out, int required, char *errstr,
                   size_t errstr_size)
{
    json_value v;
    if (json_rec_get(r, key, &v) != 0 || v.type == JSON_NULL) {
        *out = NAN;
        return required ? set_err(errstr, errstr_size, "missing field '%s'", key) : 0;
    }
    if (v.type != JSON_NUMBER || !isfinite(v.num))
        return set_err(errstr, errstr_size, "field '%s' is not a number", key);
    if (required && !(v.num > 0))
        return set_err(errstr, errstr_size, "field '%s' is not above 0", key);
    *out = v.num;
    return 0;
}

int rest_snapshot_decode_json(const char *data, size_t len, rest_snapshot *out,
                              char source[TICK_SOURCE_MAX], int64_t *recv_ts, char *errstr,
                              size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    *recv_ts = 0;
    json_rec *r = json_rec_parse(data, len, errstr, errstr_size);
    if (!r)
        return -1;
    int rc = -1;
    json_value v;
    if (!json_rec_is_object(r))
        set_err(errstr, errstr_size, "snapshot is not a JSON object");
    else if (json_rec_copy_str(r, "symbol", out->symbol, sizeof(out->symbol), 1, errstr,
                               errstr_size) != 0 ||
             json_rec_copy_str(r, "source", source, TICK_SOURCE_MAX, 0, errstr, errstr_size) != 0)
        ;
    else if (json_rec_get_int(r, "ts", &out->ts) != 0)
        set_err(errstr, errstr_size, "field 'ts' missing or not an integer (ns since epoch)");
    else if (json_rec_get(r, "recv_ts", &v) == 0 && v.type != JSON_NULL &&
             json_rec_get_int(r, "recv_ts", recv_ts) != 0)
        set_err(errstr, errstr_size, "field 'recv_ts' is not an integer (ns since epoch)");
    else if (rec_num(r, "price", &out->price, 1, errstr, errstr_size) == 0 &&
             rec_num(r, "open", &out->open, 0, errstr, errstr_size) == 0 &&
             rec_num(r, "high", &out->high, 0, errstr, errstr_size) == 0 &&
             rec_num(r, "low", &out->low, 0, errstr, errstr_size) == 0 &&
             rec_num(r, "prev_close", &out->prev_close, 0, errstr, errstr_size) == 0 &&
             rec_num(r, "change", &out->change, 0, errstr, errstr_size) == 0 &&
             rec_num(r, "change_pct", &out->change_pct, 0, errstr, errstr_size) == 0)
        rc = 0;
    json_rec_free(r);
    return rc;
}

int rest_bar_decode_json(const char *data, size_t len, rest_bar *out, char source[TICK_SOURCE_MAX],
                         char *errstr, size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    json_rec *r = json_rec_parse(data, len, errstr, errstr_size);
    if (!r)
        return -1;
    int rc = -1;
    if (!json_rec_is_object(r))
        set_err(errstr, errstr_size, "bar is not a JSON object");
    else if (json_rec_copy_str(r, "symbol", out->symbol, sizeof(out->symbol), 1, errstr,
                               errstr_size) != 0 ||
             json_rec_copy_str(r, "interval", out->interval, sizeof(out->interval), 0, errstr,
                               errstr_size) != 0 ||
             json_rec_copy_str(r, "source", source, TICK_SOURCE_MAX, 0, errstr, errstr_size) != 0)
        ;
    else if (json_rec_get_int(r, "window_start", &out->window_start) != 0)
        set_err(errstr, errstr_size,
                "field 'window_start' missing or not an integer (ns since epoch)");
    else if (json_rec_get_int(r, "volume", &out->volume) != 0 || out->volume < 0)
        set_err(errstr, errstr_size, "field 'volume' missing or not an integer of at least 0");
    else if (rec_num(r, "open", &out->open, 1, errstr, errstr_size) == 0 &&
             rec_num(r, "high", &out->high, 1, errstr, errstr_size) == 0 &&
             rec_num(r, "low", &out->low, 1, errstr, errstr_size) == 0 &&
             rec_num(r, "close", &out->close, 1, errstr, errstr_size) == 0)
        rc = 0;
    json_rec_free(r);
    return rc;
}
