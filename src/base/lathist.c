/* lathist.c - a latency histogram that threads add to without a lock
 * (lathist.h). */
#include "lathist.h"

#include <math.h>

#define MIN_SHIFT 10 /* the first power: 2^10 ns */

void lathist_init(lathist *h)
{
    for (int i = 0; i < LATHIST_BUCKETS; i++)
        atomic_init(&h->counts[i], 0);
}

/* Bucket of ns: the power of two at or below it picks the group, its next
 * four bits the bucket within. */
static int bucket_of(int64_t ns)
{
    if (ns < (1LL << MIN_SHIFT))
        return 0;
    int top = 63 - __builtin_clzll((unsigned long long)ns); /* 2^top <= ns */
    int group = top - MIN_SHIFT;
    if (group >= LATHIST_POWERS)
        return LATHIST_BUCKETS - 1;
    int sub = (int)((ns >> (top - 4)) & (LATHIST_SUB - 1));
    return group * LATHIST_SUB + sub;
}

/* The upper edge of bucket b (exclusive), in ns. */
static int64_t bucket_top(int b)
{
    int group = b / LATHIST_SUB, sub = b % LATHIST_SUB;
    int64_t base = 1LL << (group + MIN_SHIFT);
    return base + (base / LATHIST_SUB) * (sub + 1);
}

void lathist_add(lathist *h, int64_t ns)
{
    atomic_fetch_add_explicit(&h->counts[bucket_of(ns)], 1, memory_order_relaxed);
}

int64_t lathist_count(const lathist *h)
{
    int64_t n = 0;
    for (int i = 0; i < LATHIST_BUCKETS; i++)
        n += atomic_load_explicit(&h->counts[i], memory_order_relaxed);
    return n;
}

int64_t lathist_quantile(const lathist *h, double q)
{
    int64_t counts[LATHIST_BUCKETS], n = 0;
    for (int i = 0; i < LATHIST_BUCKETS; i++)
        n += counts[i] = atomic_load_explicit(&h->counts[i], memory_order_relaxed);
    if (n == 0)
        return 0;
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    /* The rank of the quantile, 1-based: the smallest value with at least
     * q of all values at or below it. */
    int64_t rank = (int64_t)ceil(q * (double)n);
    if (rank < 1)
        rank = 1;
    int64_t seen = 0;
    for (int i = 0; i < LATHIST_BUCKETS; i++) {
        seen += counts[i];
        if (seen >= rank)
            return bucket_top(i);
    }
    return bucket_top(LATHIST_BUCKETS - 1);
}
