/* fuzz_json.c - libFuzzer target: the JSON reader must never crash, leak or
 * read out of bounds, whatever the bytes; accepted documents re-walk cleanly. */
#include <stddef.h>
#include <stdint.h>

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
    json_doc_free(d);
    return 0;
}
