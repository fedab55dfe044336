/* json_decode_jansson.c - the jansson reader of bench/json_decode.c, in its own file because
 * jansson's names (json_type, json_object_get...) clash with src/core/json.h. */
#include <jansson.h>
#include <string.h>

#include "json_decode.h"

int dec_jansson(const char *p, size_t n, const field *f, size_t nf, slot *out)
{
    json_error_t err;
    json_t *o = json_loadb(p, n, 0, &err);
    if (!o)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < nf && rc == 0; i++) {
        json_t *v = json_object_get(o, f[i].name);
        if (f[i].kind == F_STR && json_is_string(v) && json_string_length(v) < sizeof(out[i].s))
            memcpy(out[i].s, json_string_value(v), json_string_length(v) + 1);
        else if (f[i].kind == F_INT && json_is_integer(v))
            out[i].i = (int64_t)json_integer_value(v);
        else if (f[i].kind == F_NUM && json_is_number(v))
            out[i].d = json_number_value(v);
        else
            rc = -1;
    }
    json_decref(o);
    return rc;
}
