/* feed_seen.h - a live feed source's memory of the trades it has sent, per
 * symbol: the duplicate filter and the highest id for gap detection.
 *
 * Providers send trades again after a reconnect (Kraken's snapshot of recent
 * trades, Coinbase's last_match, a replaying server), and a restarted feed
 * learns what the topic already holds; a trade whose (symbol, id) is
 * remembered is not published again. Memory is per symbol, so a busy symbol
 * never pushes a quiet one's ids out:
 *   - each symbol remembers at least its last FEED_SEEN_MIN_IDS ids (up to
 *     twice that), in two generations of an open-addressing set: when the
 *     current one holds FEED_SEEN_MIN_IDS ids it becomes the previous one and
 *     the oldest generation is forgotten;
 *   - a symbol's set starts at 16 slots and doubles as it fills, so a quiet
 *     symbol costs a few hundred bytes;
 *   - symbols are found by hash (one probe on the per-trade path), up to
 *     FEED_SEEN_MAX_SYMBOLS of them; the symbols beyond share one source-wide
 *     set keyed by (symbol, id) that remembers at least the last
 *     FEED_SEEN_SHARED_MIN_IDS of their trades, and have no gap detection.
 * So the memory of one source is bounded by FEED_SEEN_MAX_BYTES (64 MiB plus
 * ~1 MiB, reached only when every one of 512 symbols is busy; a symbol with
 * at most 8 trades costs 128 bytes, a busy one 128 KiB).
 * Pure: no I/O; not thread-safe (one per source thread). */
#ifndef TICKLAKE_FEED_SEEN_H
#define TICKLAKE_FEED_SEEN_H

#include <stddef.h>
#include <stdint.h>

#define FEED_SEEN_MIN_IDS 4096         /* ids a symbol remembers at least */
#define FEED_SEEN_MAX_SYMBOLS 512      /* symbols with their own memory */
#define FEED_SEEN_SHARED_MIN_IDS 32768 /* ids the symbols beyond share at least */
/* The bound on one filter's memory: per symbol two generations of
 * 2 * FEED_SEEN_MIN_IDS slots of 8 bytes, the shared set's two of
 * 2 * FEED_SEEN_SHARED_MIN_IDS, and the symbol table (under 128 bytes a slot). */
#define FEED_SEEN_MAX_BYTES                                                                        \
    ((size_t)FEED_SEEN_MAX_SYMBOLS * 4 * FEED_SEEN_MIN_IDS * 8 +                                   \
     (size_t)4 * FEED_SEEN_SHARED_MIN_IDS * 8 + (size_t)2 * FEED_SEEN_MAX_SYMBOLS * 128)

typedef struct feed_seen feed_seen;

feed_seen *feed_seen_new(void);
void feed_seen_free(feed_seen *s);

/* 1 if (symbol, id) was seen before; otherwise remembers it and returns 0.
 * With last, also *last = feed_seen_last(s, symbol), from the same lookup
 * (the per-trade path needs both). */
int feed_seen_check_add(feed_seen *s, const char *symbol, int64_t id, int64_t **last);

/* 1 if (symbol, id) is remembered; changes nothing. */
int feed_seen_has(const feed_seen *s, const char *symbol, int64_t id);

/* The highest trade id of symbol, for gap detection (0 until the caller sets
 * one): the caller reads and updates it. NULL for a symbol beyond
 * FEED_SEEN_MAX_SYMBOLS. */
int64_t *feed_seen_last(feed_seen *s, const char *symbol);

/* Gap bookkeeping, for providers whose trade ids are consecutive per symbol
 * (Coinbase, Binance, Kraken). Each symbol keeps its highest id and how many
 * ids below it were counted missing and have not come since, so that a late
 * trade fills only a gap of its own symbol, counted once. */
#define FEED_GAP_MAX 1000000 /* ids missing at once that still count as a gap */
typedef struct feed_gap {
    int64_t missing; /* > 0: ids from..missing+from-1 newly counted missing */
    int64_t from;    /* the first of them; or, with jumped, the highest id before the jump */
    int jumped;      /* the id jumped by more than FEED_GAP_MAX: a renumbering, not counted */
    int filled;      /* a late trade took back one id counted missing */
} feed_gap;
/* A trade received: as feed_seen_check_add (1 if (symbol, id) was seen
 * before, else 0 and remembered), from the same one lookup, with *gap what a
 * new id means for the gaps when consecutive (zeroed otherwise, and for a
 * symbol beyond FEED_SEEN_MAX_SYMBOLS). The feed's per-trade path. */
int feed_seen_trade(feed_seen *s, const char *symbol, int64_t id, int consecutive, feed_gap *gap);
/* A heartbeat saying symbol's last trade is last_trade_id: the ids after the
 * highest received up to it are missing (nothing when none was received yet:
 * then it only tells where the feed starts). */
feed_gap feed_seen_gap_heartbeat(feed_seen *s, const char *symbol, int64_t last_trade_id);
/* A trade already in the topic (a restarted feed's seed): remembered as a
 * duplicate, and its id raises the highest, so that what the provider sent
 * while the feed was down counts as a gap. consecutive: the provider's ids
 * are consecutive (else only remembered). */
void feed_seen_seed(feed_seen *s, const char *symbol, int64_t id, int consecutive);

/* Bytes the filter holds now (at most FEED_SEEN_MAX_BYTES). */
size_t feed_seen_bytes(const feed_seen *s);

/* Symbols that have their own memory (at most FEED_SEEN_MAX_SYMBOLS). */
size_t feed_seen_symbols(const feed_seen *s);

#endif
