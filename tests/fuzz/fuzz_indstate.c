/* fuzz_indstate.c - libFuzzer target: the indicator state decoder (the
 * processor's changelog records) rejects or accepts any bytes without
 * crashing, and what it accepts encodes to bytes that decode to the same
 * encoding again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "indicators.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    ind_config c;
    ind_config_default(&c);
    ind_state s, t;
    ind_state_init(&s);
    ind_state_init(&t);
    if (ind_state_decode(data, size, &c, &s, err, sizeof(err)) != 0) {
        ind_state_free(&s);
        return 0;
    }
    buf a = {0}, b = {0};
    ind_state_encode(&s, &c, &a);
    if (ind_state_decode(a.data, a.len, &c, &t, err, sizeof(err)) != 0)
        abort();
    ind_state_encode(&t, &c, &b);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort();
    /* The restored series keeps working. */
    ind_values v;
    alert al[3];
    ind_update(&t, &c, &t.last, &v, al);
    buf_release(&a);
    buf_release(&b);
    ind_state_free(&s);
    ind_state_free(&t);
    return 0;
}
