/* fuzz_feed_rest.c - libFuzzer target: the REST answers (feed_rest.h). The
 * first byte picks Finnhub's quote or Alpha Vantage's intraday bars (and the
 * sink's reader of the record of each). No input may crash, leak or read out
 * of bounds; parsed bars come oldest first; a record read back from what was
 * parsed is the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feed_rest.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *body = (const char *)data + 1;
    char err[256];
    buf b;
    buf_init(&b);
    if (data[0] & 1) {
        rest_snapshot s;
        char src[TICK_SOURCE_MAX];
        int64_t recv;
        rest_snapshot back;
        if (rest_finnhub_quote_parse(body, size - 1, "X", &s, err, sizeof(err)) == 0) {
            rest_snapshot_encode_json(&s, "finnhub", 0, &b);
            if (rest_snapshot_decode_json(b.data, b.len, &back, src, &recv, err, sizeof(err)) != 0)
                abort();
            TL_ASSERT(back.ts == s.ts && back.price == s.price);
        }
        (void)rest_snapshot_decode_json(body, size - 1, &back, src, &recv, err, sizeof(err));
    } else {
        rest_bar *bars;
        size_t n;
        if (rest_av_intraday_parse(body, size - 1, "X", &bars, &n, err, sizeof(err)) == 0) {
            for (size_t i = 0; i < n; i++) {
                TL_ASSERT(i == 0 || bars[i - 1].window_start <= bars[i].window_start);
                buf_reset(&b);
                rest_bar_encode_json(&bars[i], "alphavantage", &b);
                rest_bar back;
                char src[TICK_SOURCE_MAX];
                if (rest_bar_decode_json(b.data, b.len, &back, src, err, sizeof(err)) != 0)
                    abort();
                TL_ASSERT(back.window_start == bars[i].window_start &&
                          back.volume == bars[i].volume && back.close == bars[i].close);
            }
            free(bars);
        }
        rest_bar rb;
        char src2[TICK_SOURCE_MAX];
        (void)rest_bar_decode_json(body, size - 1, &rb, src2, err, sizeof(err));
    }
    buf_release(&b);
    return 0;
}
