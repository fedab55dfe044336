/* fuzz_feed.c - libFuzzer target: every provider's decoder (feed.h). The first
 * byte picks the provider, the rest is the message; one feed_msg decodes
 * every input, so its reused memory is fuzzed too. No input may crash, leak
 * or read out of bounds; a decoded trade must be a valid record whose JSON
 * decodes back to the same symbol, time, size and id, with the exact price,
 * and that is in the range the processor and the sink accept (a trade they
 * would drop must be bad at the decoder, not published). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "tick.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    feed_provider p = (feed_provider)(data[0] % FEED_NPROVIDERS);
    /* One message struct for all inputs, as a feed's source keeps one: its
     * parser's memory is reused input after input. */
    static feed_msg m;
    char err[256];
    buf j;
    buf_init(&j);
    if (feed_decode(p, (const char *)data + 1, size - 1, 1, &m, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < m.ntrades; i++) {
            const trade *t = &m.trades[i];
            TL_ASSERT(t->symbol[0] && t->size > 0 && t->price > 0);
            buf_reset(&j);
            trade_encode_json_detail(t, &m.details[i], &j);
            trade back;
            trade_detail d;
            if (trade_decode_json_detail(j.data, j.len, &back, &d, err, sizeof(err)) != 0 ||
                trade_check_range(&back, err, sizeof(err)) != 0)
                abort();
            TL_ASSERT(strcmp(back.symbol, t->symbol) == 0 && back.ts == t->ts &&
                      back.size == t->size && back.id == t->id);
            TL_ASSERT(d.size_scale == m.details[i].size_scale && d.side == m.details[i].side);
        }
        for (size_t i = 0; i < m.nquotes; i++) {
            buf_reset(&j);
            quote_encode_json(&m.quotes[i], &j);
            quote q;
            if (quote_decode_json(j.data, j.len, &q, err, sizeof(err)) != 0)
                abort();
            TL_ASSERT(strcmp(q.symbol, m.quotes[i].symbol) == 0 && q.ts == m.quotes[i].ts &&
                      q.bid_size == m.quotes[i].bid_size && q.ask_size == m.quotes[i].ask_size);
        }
    }
    buf_release(&j);
    return 0;
}
