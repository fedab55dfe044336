/* tick.c - JSON encoding of trades; see tick.h. */
#include "tick.h"

#include <math.h>
#include <string.h>

#include "json.h"

void trade_encode_json(const trade *t, buf *out)
{
    buf_puts(out, "{\"symbol\":");
    buf_put_json_str(out, t->symbol, strlen(t->symbol));
    buf_puts(out, ",\"ts\":");
    buf_put_int64(out, t->ts);
    buf_puts(out, ",\"price\":");
    buf_put_double(out, t->price);
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
    buf_putc(out, '}');
}

/* Copies string member key of obj into dst (dstsz bytes). Missing is allowed
 * when !required. */
static int copy_str(const json_value *obj, const char *key, char *dst, size_t dstsz, int required,
                    char *errstr, size_t errstr_size)
{
    const json_value *v = json_get(obj, key);
    if (!v || v->type == JSON_NULL) {
        dst[0] = '\0';
        return required ? set_err(errstr, errstr_size, "missing field '%s'", key) : 0;
    }
    if (v->type != JSON_STRING)
        return set_err(errstr, errstr_size, "field '%s' is not a string", key);
    if (v->len >= dstsz || memchr(v->str, '\0', v->len))
        return set_err(errstr, errstr_size, "field '%s' is longer than %zu bytes", key, dstsz - 1);
    if (required && v->len == 0)
        return set_err(errstr, errstr_size, "field '%s' is empty", key);
    memcpy(dst, v->str, v->len + 1);
    return 0;
}

int trade_decode_json(const char *data, size_t len, trade *t, char *errstr, size_t errstr_size)
{
    json_doc *doc = json_parse(data, len, errstr, errstr_size);
    if (!doc)
        return -1;
    const json_value *o = json_root(doc);
    int rc = -1;
    memset(t, 0, sizeof(*t));
    if (o->type != JSON_OBJECT) {
        set_err(errstr, errstr_size, "trade is not a JSON object");
        goto out;
    }
    if (copy_str(o, "symbol", t->symbol, sizeof(t->symbol), 1, errstr, errstr_size) ||
        copy_str(o, "venue", t->venue, sizeof(t->venue), 0, errstr, errstr_size) ||
        copy_str(o, "source", t->source, sizeof(t->source), 0, errstr, errstr_size))
        goto out;
    if (json_get_int(o, "ts", &t->ts) != 0) {
        set_err(errstr, errstr_size, "field 'ts' missing or not an integer (ns since epoch)");
        goto out;
    }
    if (json_get_num(o, "price", &t->price) != 0 || !isfinite(t->price) || t->price <= 0) {
        set_err(errstr, errstr_size, "field 'price' missing or not a positive number");
        goto out;
    }
    if (json_get_int(o, "size", &t->size) != 0 || t->size <= 0) {
        set_err(errstr, errstr_size, "field 'size' missing or not a positive integer");
        goto out;
    }
    if (json_get_int(o, "id", &t->id) != 0) {
        set_err(errstr, errstr_size, "field 'id' missing or not an integer");
        goto out;
    }
    rc = 0;
out:
    json_doc_free(doc);
    return rc;
}
