/* fuzz_feed_rest.c - libFuzzer target: the REST answers (feed_rest.h). The
 * first byte picks Finnhub's quote or Alpha Vantage's intraday bars. No input
 * may crash, leak or read out of bounds; parsed bars come oldest first. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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
        if (rest_finnhub_quote_parse(body, size - 1, "X", &s, err, sizeof(err)) == 0)
            rest_snapshot_encode_json(&s, "finnhub", 0, &b);
    } else {
        rest_bar *bars;
        size_t n;
        if (rest_av_intraday_parse(body, size - 1, "X", &bars, &n, err, sizeof(err)) == 0) {
            for (size_t i = 0; i < n; i++) {
                TL_ASSERT(i == 0 || bars[i - 1].window_start <= bars[i].window_start);
                rest_bar_encode_json(&bars[i], "alphavantage", &b);
            }
            free(bars);
        }
    }
    buf_release(&b);
    return 0;
}
