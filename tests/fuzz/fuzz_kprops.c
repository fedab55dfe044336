/* fuzz_kprops.c - libFuzzer target over kprops.c and kprops_java.c, Kafka client properties files
 * (-F): any bytes are read or refused without a crash; every key is non-empty and inside the text;
 * every value lies inside the text; line numbers only
 * grow; errors read "PATH:LINE: ...". The settings read are then translated from the Java client's
 * names (sasl.jaas.config, trust and key stores): every setting out has a non-empty key, a line of
 * the file, and line numbers that never go back; errors read "PATH:LINE: ...".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kprops.h"
#include "kprops_java.h"

typedef struct fz {
    const char *text;
    size_t len;
    int last;
    kprop items[64];
    size_t n;
} fz;

static int on_translated(void *ctx, const char *key, size_t klen, const char *value, size_t vlen,
                         int lineno)
{
    fz *f = ctx;
    if (!klen || !key || (vlen && !value) || lineno < f->last || lineno < 1)
        abort();
    volatile char sink = 0;
    for (size_t i = 0; i < vlen; i++) /* readable */
        sink ^= value[i];
    (void)sink;
    f->last = lineno;
    return 0;
}

static int on_prop(void *ctx, const char *key, size_t klen, const char *value, size_t vlen,
                   int lineno)
{
    fz *f = ctx;
    if (!klen || key < f->text || key + klen > f->text + f->len)
        abort();
    /* (Escapes may put blanks, '=' and ':' in a key, blanks at a value's ends.) */
    if (vlen && (value < f->text || value + vlen > f->text + f->len))
        abort();
    if (lineno <= f->last)
        abort();
    f->last = lineno;
    if (f->n < sizeof(f->items) / sizeof(f->items[0]))
        f->items[f->n++] = (kprop){key, value, klen, vlen, lineno};
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* kprops_parse decodes escapes in place: a copy, as libFuzzer's data is read-only. */
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    fz f = {.text = copy, .len = size};
    char err[256];
    int rc = kprops_parse(copy, size, "f.properties", on_prop, &f, err, sizeof(err));
    if (rc < 0 && strncmp(err, "f.properties:", 13) != 0)
        abort();
    if (rc > 0)
        abort();
    if (rc == 0) {
        f.last = 0;
        rc = kprops_java_translate(f.items, f.n, "f.properties", on_translated, &f, err,
                                   sizeof(err));
        if (rc > 0 || (rc < 0 && strncmp(err, "f.properties:", 13) != 0))
            abort();
    }
    free(copy);
    return 0;
}
