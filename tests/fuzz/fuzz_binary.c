/* fuzz_binary.c - libFuzzer target: the binary tick decoders (trades and
 * quotes, and trade_decode/quote_decode that pick the encoding from the first
 * byte) reject or accept any bytes without crashing, and whatever a binary
 * decoder accepts encodes back to exactly the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tick.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    trade t;
    quote q;
    if (trade_decode_binary(data, size, &t, err, sizeof(err)) == 0) {
        buf b = {0};
        trade_encode_binary(&t, &b);
        if (b.len != size || memcmp(b.data, data, size) != 0)
            abort();
        buf_release(&b);
    } else if (!err[0]) {
        abort(); /* a rejection always says why */
    }
    if (quote_decode_binary(data, size, &q, err, sizeof(err)) == 0) {
        buf b = {0};
        quote_encode_binary(&q, &b);
        if (b.len != size || memcmp(b.data, data, size) != 0)
            abort();
        buf_release(&b);
    } else if (!err[0]) {
        abort();
    }
    /* The dispatching decoders agree with the binary ones on binary input. */
    if (trade_decode(data, size, &t, err, sizeof(err)) == 0 && tick_is_binary(data, size)) {
        buf b = {0};
        trade_encode(&t, TICK_BINARY, &b);
        if (b.len != size || memcmp(b.data, data, size) != 0)
            abort();
        buf_release(&b);
    }
    (void)quote_decode(data, size, &q, err, sizeof(err));
    return 0;
}
