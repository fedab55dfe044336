/* fuzz_records.c - libFuzzer target: the trade and bar decoders (the Kafka
 * record contracts) reject or accept any bytes without crashing, and whatever
 * they accept encodes and decodes back to the same record. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bar.h"
#include "tick.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    trade t, u;
    if (trade_decode_json((const char *)data, size, &t, err, sizeof(err)) == 0) {
        buf b = {0};
        trade_encode_json(&t, &b);
        if (trade_decode_json(b.data, b.len, &u, err, sizeof(err)) != 0 ||
            memcmp(&t, &u, sizeof(t)) != 0)
            abort();
        buf_release(&b);
    }
    bar x, y;
    if (bar_decode_json((const char *)data, size, &x, err, sizeof(err)) == 0) {
        buf b = {0};
        bar_encode_json(&x, &b);
        if (bar_decode_json(b.data, b.len, &y, err, sizeof(err)) != 0 ||
            strcmp(x.symbol, y.symbol) != 0 || x.window_start != y.window_start ||
            x.volume != y.volume)
            abort();
        buf_release(&b);
    }
    return 0;
}
