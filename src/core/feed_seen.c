/* feed_seen.c - a feed source's trades already sent, per symbol; see feed_seen.h. */
#include "feed_seen.h"

#include <stdlib.h>
#include <string.h>

#include "tick.h"
#include "util.h"

#define SYM_SLOTS (2 * FEED_SEEN_MAX_SYMBOLS) /* the symbol table is at most half full */
#define FIRST_SLOTS 16u

/* Ids in two generations of open-addressing sets of keys (0 is an empty
 * slot). gen[0] has cap slots and takes new keys until it is half full; then
 * it doubles, up to max_cap slots, and at max_cap it becomes gen[1] (the
 * oldest generation is forgotten). gen[1] has max_cap slots, NULL until the
 * first rotation. */
typedef struct idset {
    uint64_t *gen[2];
    uint32_t cap, count, max_cap;
} idset;

typedef struct sym_entry {
    char symbol[TICK_SYMBOL_MAX];
    uint64_t hash;
    int used;
    int64_t last;
    /* Gaps: ids counted missing and not come since, the lowest id of those
     * gaps, and the span of the last id jump (ids never counted). Every id
     * from gap_lo to last was received (the filter knows it), counted
     * missing, or inside the jump: an unseen one from gap_lo on outside
     * the jump is one counted missing. */
    int64_t missing, gap_lo, jump_lo, jump_hi;
    idset ids;
} sym_entry;

struct feed_seen {
    sym_entry *syms; /* SYM_SLOTS, by hash of the symbol */
    size_t nsyms;
    idset shared; /* the symbols beyond FEED_SEEN_MAX_SYMBOLS, keyed by (symbol, id) */
};

/* A key of the sets: never 0, which marks an empty slot. */
static uint64_t mix(uint64_t x)
{
    uint64_t k = mix64(x);
    return k ? k : 1;
}

static int slots_have(const uint64_t *g, uint32_t cap, uint64_t k)
{
    if (!g)
        return 0;
    for (uint32_t i = (uint32_t)k & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (g[i] == k)
            return 1;
        if (g[i] == 0)
            return 0;
    }
}

static void slots_put(uint64_t *g, uint32_t cap, uint64_t k)
{
    uint32_t i = (uint32_t)k & (cap - 1);
    while (g[i])
        i = (i + 1) & (cap - 1);
    g[i] = k;
}

static int idset_has(const idset *s, uint64_t k)
{
    return slots_have(s->gen[0], s->cap, k) || slots_have(s->gen[1], s->max_cap, k);
}

/* Makes room for one more key in gen[0]: allocates, doubles or rotates. */
static void idset_room(idset *s)
{
    if (!s->gen[0]) {
        s->cap = FIRST_SLOTS;
        s->gen[0] = xcalloc(s->cap, sizeof(uint64_t));
        return;
    }
    if (s->count < s->cap / 2)
        return;
    if (s->cap < s->max_cap) {
        uint32_t cap = s->cap * 2;
        uint64_t *g = xcalloc(cap, sizeof(uint64_t));
        for (uint32_t i = 0; i < s->cap; i++)
            if (s->gen[0][i])
                slots_put(g, cap, s->gen[0][i]);
        free(s->gen[0]);
        s->gen[0] = g;
        s->cap = cap;
        return;
    }
    uint64_t *old = s->gen[1];
    if (old)
        memset(old, 0, (size_t)s->max_cap * sizeof(uint64_t));
    else
        old = xcalloc(s->max_cap, sizeof(uint64_t));
    s->gen[1] = s->gen[0];
    s->gen[0] = old;
    s->count = 0;
}

static int idset_check_add(idset *s, uint64_t k)
{
    if (idset_has(s, k))
        return 1;
    idset_room(s);
    slots_put(s->gen[0], s->cap, k);
    s->count++;
    return 0;
}

static size_t idset_bytes(const idset *s)
{
    return ((s->gen[0] ? s->cap : 0) + (s->gen[1] ? s->max_cap : 0)) * sizeof(uint64_t);
}

static void idset_release(idset *s)
{
    free(s->gen[0]);
    free(s->gen[1]);
}

feed_seen *feed_seen_new(void)
{
    feed_seen *s = xcalloc(1, sizeof(*s));
    s->syms = xcalloc(SYM_SLOTS, sizeof(sym_entry));
    s->shared.max_cap = 2 * FEED_SEEN_SHARED_MIN_IDS;
    return s;
}

void feed_seen_free(feed_seen *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < SYM_SLOTS; i++)
        if (s->syms[i].used)
            idset_release(&s->syms[i].ids);
    idset_release(&s->shared);
    free(s->syms);
    free(s);
}

static uint64_t sym_hash(const char *sym, size_t len)
{
    return mix(fnv1a_bytes(FNV1A_BASIS, sym, len));
}

/* The entry of symbol; with add, made when missing and there is room. NULL
 * when there is none (or the symbol is too long to have one). */
static sym_entry *find(const feed_seen *s, const char *sym, uint64_t h, size_t len, int add)
{
    if (len >= TICK_SYMBOL_MAX)
        return NULL;
    for (size_t i = h & (SYM_SLOTS - 1);; i = (i + 1) & (SYM_SLOTS - 1)) {
        sym_entry *e = &s->syms[i];
        if (!e->used) {
            if (!add || s->nsyms >= FEED_SEEN_MAX_SYMBOLS)
                return NULL;
            memcpy(e->symbol, sym, len + 1);
            e->hash = h;
            e->used = 1;
            e->ids.max_cap = 2 * FEED_SEEN_MIN_IDS;
            ((feed_seen *)s)->nsyms++;
            return e;
        }
        if (e->hash == h && strcmp(e->symbol, sym) == 0)
            return e;
    }
}

int feed_seen_check_add(feed_seen *s, const char *symbol, int64_t id, int64_t **last)
{
    size_t len = strlen(symbol);
    uint64_t h = sym_hash(symbol, len);
    sym_entry *e = find(s, symbol, h, len, 1);
    if (last)
        *last = e ? &e->last : NULL;
    if (e)
        return idset_check_add(&e->ids, mix((uint64_t)id));
    return idset_check_add(&s->shared, mix(h ^ mix((uint64_t)id)));
}

int feed_seen_has(const feed_seen *s, const char *symbol, int64_t id)
{
    size_t len = strlen(symbol);
    uint64_t h = sym_hash(symbol, len);
    const sym_entry *e = find(s, symbol, h, len, 0);
    if (e)
        return idset_has(&e->ids, mix((uint64_t)id));
    return idset_has(&s->shared, mix(h ^ mix((uint64_t)id)));
}

int64_t *feed_seen_last(feed_seen *s, const char *symbol)
{
    size_t len = strlen(symbol);
    sym_entry *e = find(s, symbol, sym_hash(symbol, len), len, 1);
    return e ? &e->last : NULL;
}

/* n ids from `from` on are counted missing. */
static void count_missing(sym_entry *e, int64_t from, int64_t n)
{
    if (e->missing == 0 || from < e->gap_lo)
        e->gap_lo = from;
    e->missing += n;
}

/* What trade id, not a duplicate, means for e's gaps. */
static feed_gap gap_step(sym_entry *e, int64_t id)
{
    feed_gap g = {0};
    /* id - last: both positive, no overflow (last + 1 had one at INT64_MAX). */
    if (e->last > 0 && id > e->last && id - e->last > 1) {
        if (id - e->last - 1 <= FEED_GAP_MAX) {
            g.missing = id - e->last - 1;
            g.from = e->last + 1;
            count_missing(e, g.from, g.missing);
        } else {
            g.jumped = 1;
            g.from = e->last;
            e->jump_lo = e->last + 1;
            e->jump_hi = id - 1;
        }
    }
    if (id > e->last) {
        e->last = id;
    } else if (e->missing > 0 && id >= e->gap_lo && !(id >= e->jump_lo && id <= e->jump_hi)) {
        /* At or below the highest id (a heartbeat's too), not seen, and where
         * the ids counted missing lie: one of them has come after all. One
         * never counted (below the gaps: the first trades out of order, or
         * inside a jump) leaves the count alone. */
        e->missing--;
        g.filled = 1;
    }
    return g;
}

int feed_seen_trade(feed_seen *s, const char *symbol, int64_t id, int consecutive, feed_gap *gap)
{
    size_t len = strlen(symbol);
    uint64_t h = sym_hash(symbol, len);
    sym_entry *e = find(s, symbol, h, len, 1);
    memset(gap, 0, sizeof(*gap));
    if (!e)
        return idset_check_add(&s->shared, mix(h ^ mix((uint64_t)id)));
    if (idset_check_add(&e->ids, mix((uint64_t)id)))
        return 1;
    if (consecutive)
        *gap = gap_step(e, id);
    return 0;
}

feed_gap feed_seen_gap_heartbeat(feed_seen *s, const char *symbol, int64_t last_trade_id)
{
    feed_gap g = {0};
    size_t len = strlen(symbol);
    sym_entry *e = find(s, symbol, sym_hash(symbol, len), len, 1);
    if (!e || e->last == 0 || last_trade_id <= e->last)
        return g;
    g.missing = last_trade_id - e->last;
    g.from = e->last + 1;
    count_missing(e, g.from, g.missing);
    e->last = last_trade_id;
    return g;
}

void feed_seen_seed(feed_seen *s, const char *symbol, int64_t id, int consecutive)
{
    int64_t *last = NULL;
    feed_seen_check_add(s, symbol, id, &last);
    if (consecutive && last && id > *last)
        *last = id;
}

size_t feed_seen_bytes(const feed_seen *s)
{
    size_t n = sizeof(*s) + SYM_SLOTS * sizeof(sym_entry) + idset_bytes(&s->shared);
    for (size_t i = 0; i < SYM_SLOTS; i++)
        if (s->syms[i].used)
            n += idset_bytes(&s->syms[i].ids);
    return n;
}

size_t feed_seen_symbols(const feed_seen *s)
{
    return s->nsyms;
}
