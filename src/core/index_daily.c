/* index_daily.c - the index daily record and its JSON codec; see index_daily.h. */
#include "index_daily.h"

#include <math.h>
#include <string.h>

#include "json.h"

void index_daily_encode_json(const index_daily *d, buf *out)
{
    buf_puts(out, "{\"index\":");
    buf_put_json_str(out, d->index, strlen(d->index));
    buf_puts(out, ",\"date\":\"");
    buf_puts(out, d->date);
    buf_puts(out, "\",\"ts\":");
    buf_put_int64(out, d->date_ns);
    buf_puts(out, ",\"open\":");
    json_put_double(out, d->open);
    buf_puts(out, ",\"high\":");
    json_put_double(out, d->high);
    buf_puts(out, ",\"low\":");
    json_put_double(out, d->low);
    buf_puts(out, ",\"close\":");
    json_put_double(out, d->close);
    buf_puts(out, ",\"adj_close\":");
    if (d->has_adj_close)
        json_put_double(out, d->adj_close);
    else
        buf_puts(out, "null");
    if (d->has_volume) {
        buf_puts(out, ",\"volume\":");
        buf_put_int64(out, d->volume);
    } else
        buf_puts(out, ",\"volume\":null");
    buf_puts(out, ",\"close_usd\":");
    if (d->has_close_usd)
        json_put_double(out, d->close_usd);
    else
        buf_puts(out, "null");
    const char *names[] = {"region", "exchange", "currency"};
    const char *vals[] = {d->region, d->exchange, d->currency};
    for (int i = 0; i < 3; i++) {
        if (vals[i][0]) {
            buf_puts(out, ",\"");
            buf_puts(out, names[i]);
            buf_puts(out, "\":");
            buf_put_json_str(out, vals[i], strlen(vals[i]));
        }
    }
    buf_putc(out, '}');
}

static int json_text(const json_value *o, const char *key, char *dst, size_t dstsz, bool required)
{
    const json_value *v = json_get(o, key);
    dst[0] = '\0';
    if (!v || v->type == JSON_NULL)
        return required ? -1 : 0;
    if (v->type != JSON_STRING || v->len >= dstsz || !utf8_printable(v->str, v->len) ||
        (required && v->len == 0))
        return -1;
    memcpy(dst, v->str, v->len + 1);
    return 0;
}

/* An optional positive number: absent or null leaves *has false. */
static int json_opt_price(const json_value *o, const char *key, double *dst, bool *has)
{
    const json_value *v = json_get(o, key);
    *has = false;
    if (!v || v->type == JSON_NULL)
        return 0;
    if (v->type != JSON_NUMBER || !isfinite(v->num) || v->num <= 0)
        return -1;
    *dst = v->num;
    *has = true;
    return 0;
}

int index_daily_decode_json(const char *data, size_t len, index_daily *d, char *errstr,
                            size_t errstr_size)
{
    json_doc *doc = json_parse(data, len, errstr, errstr_size);
    if (!doc)
        return -1;
    const json_value *o = json_root(doc);
    const char *what = NULL;
    memset(d, 0, sizeof(*d));
    bool has_open, has_high, has_low, has_close;
    if (o->type != JSON_OBJECT)
        what = "record is not a JSON object";
    else if (json_text(o, "index", d->index, sizeof(d->index), true) != 0)
        what = "field 'index' missing or not 1..31 bytes of printable UTF-8";
    else if (json_get_int(o, "ts", &d->date_ns) != 0 || lake_day_start(d->date_ns) != d->date_ns)
        what = "field 'ts' missing or not 00:00 UTC of a day";
    else if (json_opt_price(o, "open", &d->open, &has_open) != 0 ||
             json_opt_price(o, "high", &d->high, &has_high) != 0 ||
             json_opt_price(o, "low", &d->low, &has_low) != 0 ||
             json_opt_price(o, "close", &d->close, &has_close) != 0 || !has_open || !has_high ||
             !has_low || !has_close || d->high < d->low)
        what = "fields 'open', 'high', 'low', 'close' missing or not positive with high >= low";
    else if (json_opt_price(o, "adj_close", &d->adj_close, &d->has_adj_close) != 0)
        what = "field 'adj_close' is not a positive number";
    else if (json_opt_price(o, "close_usd", &d->close_usd, &d->has_close_usd) != 0)
        what = "field 'close_usd' is not a positive number";
    else if (json_text(o, "region", d->region, sizeof(d->region), false) != 0 ||
             json_text(o, "exchange", d->exchange, sizeof(d->exchange), false) != 0 ||
             json_text(o, "currency", d->currency, sizeof(d->currency), false) != 0)
        what = "field 'region', 'exchange' or 'currency' is not a short string";
    if (!what) {
        const json_value *v = json_get(o, "volume");
        if (v && v->type != JSON_NULL) {
            if (json_get_int(o, "volume", &d->volume) != 0 || d->volume < 0)
                what = "field 'volume' is not an integer >= 0";
            else
                d->has_volume = true;
        }
    }
    json_doc_free(doc);
    if (what)
        return set_err(errstr, errstr_size, "%s", what);
    lake_date(d->date_ns, d->date);
    return 0;
}
