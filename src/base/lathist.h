/* lathist.h - a latency histogram that threads add to without a lock.
 *
 * Values (nanoseconds) fall into log-linear buckets: 16 per power of two, so
 * a quantile is reported within 1/16 (6.25%) above the true value, from 1 µs
 * to about 73 minutes; below 1 µs counts as 1 µs, above the top as the top.
 * The caller owns the struct (zero it, or lathist_init); adding is one atomic
 * increment, reading takes a snapshot of the counts as they are. */
#ifndef TICKLAKE_LATHIST_H
#define TICKLAKE_LATHIST_H

#include <stdatomic.h>
#include <stdint.h>

#define LATHIST_SUB 16    /* buckets per power of two */
#define LATHIST_POWERS 32 /* from 2^10 ns (1.02 µs) to 2^42 ns (73 min) */
#define LATHIST_BUCKETS (LATHIST_SUB * LATHIST_POWERS)

typedef struct lathist {
    atomic_llong counts[LATHIST_BUCKETS];
} lathist;

void lathist_init(lathist *h);
void lathist_add(lathist *h, int64_t ns);
/* Values added so far. */
int64_t lathist_count(const lathist *h);
/* The q-quantile (0 <= q <= 1) in ns: the upper edge of the bucket that holds
 * it, so never below the true value; 0 when nothing was added. */
int64_t lathist_quantile(const lathist *h, double q);

#endif
