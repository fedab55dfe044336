/* test_feed_seen.c - the feed's duplicate filter: per-symbol memory, growth,
 * rotation, the symbols beyond the table's capacity, the highest id. */
#include <stdio.h>
#include <string.h>

#include "feed_seen.h"
#include "testlib.h"

/* The reviewer's scenario: a quiet symbol's snapshot trades, then a busy
 * symbol's 200,000 trades, then the quiet symbol's snapshot again (a
 * reconnect): every one of those is still known. A source-wide memory of
 * the last 65,536-131,072 ids forgot them and published them twice. */
static void test_quiet_symbol_survives_busy_one(void)
{
    feed_seen *s = feed_seen_new();
    for (int64_t id = 1000; id < 1003; id++)
        CHECK(feed_seen_check_add(s, "ILQ-USD", id, NULL) == 0);
    for (int64_t id = 1; id <= 200000; id++)
        CHECK(feed_seen_check_add(s, "BTC-USD", id, NULL) == 0);
    for (int64_t id = 1000; id < 1003; id++)
        CHECK(feed_seen_check_add(s, "ILQ-USD", id, NULL) == 1);
    /* The busy symbol's recent ids are known, its old ones forgotten. */
    CHECK(feed_seen_has(s, "BTC-USD", 200000));
    CHECK(feed_seen_has(s, "BTC-USD", 200000 - FEED_SEEN_MIN_IDS + 1));
    CHECK(!feed_seen_has(s, "BTC-USD", 1));
    /* Same id, other symbol: not a duplicate. */
    CHECK(feed_seen_check_add(s, "ETH-USD", 1000, NULL) == 0);
    CHECK(feed_seen_check_add(s, "ETH-USD", 1000, NULL) == 1);
    CHECK(feed_seen_bytes(s) <= FEED_SEEN_MAX_BYTES);
    feed_seen_free(s);
}

/* A quiet symbol costs little; a busy one grows to its bound and no further. */
static void test_growth(void)
{
    feed_seen *s = feed_seen_new();
    size_t empty = feed_seen_bytes(s);
    CHECK(feed_seen_check_add(s, "ILQ-USD", 7, NULL) == 0);
    CHECK(feed_seen_check_add(s, "ILQ-USD", 8, NULL) == 0);
    CHECK(feed_seen_bytes(s) - empty <= 256);
    size_t before = feed_seen_bytes(s);
    for (int64_t id = 1; id <= 1000; id++)
        CHECK(feed_seen_check_add(s, "BTC-USD", id, NULL) == 0);
    size_t grown = feed_seen_bytes(s) - before;
    CHECK(grown >= 1000 * sizeof(uint64_t) && grown <= 4 * 1000 * sizeof(uint64_t));
    for (int64_t id = 1; id <= 1000; id++)
        CHECK(feed_seen_has(s, "BTC-USD", id)); /* growing kept every id */
    for (int64_t id = 1001; id <= 100000; id++)
        feed_seen_check_add(s, "BTC-USD", id, NULL);
    CHECK(feed_seen_bytes(s) - before <= (size_t)4 * FEED_SEEN_MIN_IDS * sizeof(uint64_t));
    CHECK(feed_seen_has(s, "ILQ-USD", 7) && feed_seen_has(s, "ILQ-USD", 8));
    feed_seen_free(s);
}

/* At every point the last FEED_SEEN_MIN_IDS ids of a symbol are known, in
 * any order; an id is forgotten after at most twice that many newer ones. */
static void test_rotation(void)
{
    feed_seen *s = feed_seen_new();
    int64_t n = 5 * FEED_SEEN_MIN_IDS + 123;
    for (int64_t i = 1; i <= n; i++) {
        int64_t id = (i * 7919) % 1000003; /* not in order */
        CHECK(feed_seen_check_add(s, "ETH-USD", id, NULL) == 0);
        if (i % 997 == 0)
            for (int64_t j = i - FEED_SEEN_MIN_IDS + 1; j <= i; j++)
                if (j > 0 && !feed_seen_has(s, "ETH-USD", (j * 7919) % 1000003)) {
                    CHECK(!"a recent id was forgotten");
                    break;
                }
    }
    CHECK(!feed_seen_has(s, "ETH-USD", (1 * 7919) % 1000003));
    CHECK(!feed_seen_has(s, "ETH-USD", ((n - 2 * FEED_SEEN_MIN_IDS) * 7919) % 1000003));
    feed_seen_free(s);
}

/* Symbols beyond the table's capacity are still deduplicated (in the shared
 * set) but have no highest id; those within keep theirs. */
static void test_capacity(void)
{
    feed_seen *s = feed_seen_new();
    char sym[32];
    int nsym = FEED_SEEN_MAX_SYMBOLS + 100;
    for (int k = 0; k < nsym; k++) {
        snprintf(sym, sizeof(sym), "S%04d-USD", k);
        for (int64_t id = 1; id <= 3; id++)
            CHECK(feed_seen_check_add(s, sym, id, NULL) == 0);
    }
    CHECK_EQ_INT((long long)feed_seen_symbols(s), FEED_SEEN_MAX_SYMBOLS);
    for (int k = 0; k < nsym; k++) {
        snprintf(sym, sizeof(sym), "S%04d-USD", k);
        for (int64_t id = 1; id <= 3; id++)
            CHECK(feed_seen_check_add(s, sym, id, NULL) == 1);
        CHECK(feed_seen_check_add(s, sym, 4, NULL) == 0);
        int64_t *last = feed_seen_last(s, sym);
        CHECK((k < FEED_SEEN_MAX_SYMBOLS) == (last != NULL));
    }
    /* A symbol too long for the table goes to the shared set too. */
    const char *longsym = "A-SYMBOL-LONGER-THAN-THIRTY-TWO-BYTES";
    CHECK(feed_seen_check_add(s, longsym, 5, NULL) == 0);
    CHECK(feed_seen_check_add(s, longsym, 5, NULL) == 1);
    CHECK(feed_seen_bytes(s) <= FEED_SEEN_MAX_BYTES);
    feed_seen_free(s);
}

/* The highest id: 0 for a new symbol, kept per symbol. */
static void test_last(void)
{
    feed_seen *s = feed_seen_new();
    int64_t *a = feed_seen_last(s, "BTC-USD");
    CHECK(a && *a == 0);
    *a = 42;
    int64_t *b = feed_seen_last(s, "ETH-USD");
    CHECK(b && *b == 0);
    *b = 7;
    CHECK(*feed_seen_last(s, "BTC-USD") == 42);
    CHECK(*feed_seen_last(s, "ETH-USD") == 7);
    /* ids of a symbol with a highest id are remembered as any other */
    CHECK(feed_seen_check_add(s, "BTC-USD", 42, NULL) == 0);
    CHECK(*feed_seen_last(s, "BTC-USD") == 42);
    /* check_add hands out the same highest id from its one lookup */
    int64_t *c = NULL;
    CHECK(feed_seen_check_add(s, "ETH-USD", 8, &c) == 0);
    CHECK(c == b && *c == 7);
    CHECK(feed_seen_check_add(s, "ETH-USD", 8, &c) == 1);
    CHECK(c == b);
    feed_seen_free(s);
    feed_seen_free(NULL);
}

/* A trade through the filter and the gap bookkeeping, as the feed does (a duplicate: nothing). */
static feed_gap trade_in(feed_seen *s, const char *sym, int64_t id)
{
    feed_gap g;
    feed_seen_trade(s, sym, id, 1, &g);
    return g;
}

/* Gaps are counted per symbol and taken back only by a late trade of the same symbol, once per
 * id counted; a heartbeat's last trade id counts too; a seeded feed counts what it missed. */
static void test_gaps(void)
{
    feed_seen *s = feed_seen_new();
    /* ETH 10, 12: id 11 missing. BTC 200 then 199 (out of order at its start) fills nothing. */
    CHECK(trade_in(s, "ETH-USDT", 10).missing == 0);
    feed_gap g = trade_in(s, "ETH-USDT", 12);
    CHECK(g.missing == 1 && g.from == 11 && !g.filled);
    CHECK(trade_in(s, "BTC-USDT", 200).missing == 0);
    g = trade_in(s, "BTC-USDT", 199);
    CHECK(g.missing == 0 && !g.filled);
    /* A duplicate is said as such, and means nothing for the gaps. */
    feed_gap dup;
    CHECK(feed_seen_trade(s, "ETH-USDT", 12, 1, &dup) == 1 && dup.missing == 0 && !dup.filled);
    /* While ETH's gap is open, an older id never counted (9) fills nothing; 11 fills it, once. */
    CHECK(!trade_in(s, "ETH-USDT", 9).filled);
    CHECK(trade_in(s, "ETH-USDT", 11).filled);
    CHECK(!trade_in(s, "ETH-USDT", 8).filled);
    /* 100, 103, then 99 (below the gap 101..102): 99 takes nothing off; 101 and 102 do. */
    CHECK(trade_in(s, "SOL-USDT", 100).missing == 0);
    CHECK(trade_in(s, "SOL-USDT", 103).missing == 2);
    CHECK(!trade_in(s, "SOL-USDT", 99).filled);
    CHECK(trade_in(s, "SOL-USDT", 101).filled);
    CHECK(trade_in(s, "SOL-USDT", 102).filled);
    CHECK(!trade_in(s, "SOL-USDT", 98).filled);

    /* A heartbeat ahead: 101 and 102 missing; both come, the one equal to the heartbeat's too. */
    CHECK(trade_in(s, "BTC-USD", 100).missing == 0);
    g = feed_seen_gap_heartbeat(s, "BTC-USD", 102);
    CHECK(g.missing == 2 && g.from == 101);
    CHECK(trade_in(s, "BTC-USD", 101).filled);
    CHECK(trade_in(s, "BTC-USD", 102).filled);
    g = trade_in(s, "BTC-USD", 103);
    CHECK(g.missing == 0 && !g.filled);
    /* A heartbeat before any trade says only where the feed starts. */
    CHECK(feed_seen_gap_heartbeat(s, "SOL-USD", 50).missing == 0);

    /* A jump beyond FEED_GAP_MAX is a renumbering, not a gap; an id inside the jump fills none
     * of the gaps open before it. */
    g = trade_in(s, "BTC-USD", 105);
    CHECK(g.missing == 1 && g.from == 104);
    g = trade_in(s, "BTC-USD", 105 + FEED_GAP_MAX + 2);
    CHECK(g.jumped && g.from == 105 && g.missing == 0);
    CHECK(!trade_in(s, "BTC-USD", 105 + 7).filled);
    CHECK(trade_in(s, "BTC-USD", 104).filled);

    /* Seeded from the topic: 1..10 are duplicates, and 20 means 11..19 were missed. */
    feed_seen *r = feed_seen_new();
    for (int64_t id = 1; id <= 10; id++)
        feed_seen_seed(r, "XBT-EUR", id, 1);
    CHECK(feed_seen_check_add(r, "XBT-EUR", 5, NULL) == 1);
    g = trade_in(r, "XBT-EUR", 20);
    CHECK(g.missing == 9 && g.from == 11);
    /* Ids that are not consecutive (a hash) are only remembered. */
    feed_seen_seed(r, "AAPL", 987654321, 0);
    CHECK(*feed_seen_last(r, "AAPL") == 0);
    CHECK(feed_seen_check_add(r, "AAPL", 987654321, NULL) == 1);
    feed_seen_free(r);
    feed_seen_free(s);
}

TEST_MAIN(TEST(test_quiet_symbol_survives_busy_one), TEST(test_growth), TEST(test_rotation),
          TEST(test_capacity), TEST(test_last), TEST(test_gaps))
