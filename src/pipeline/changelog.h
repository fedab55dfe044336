/* changelog.h - the process stage's indicator and alert state: one series per (symbol, interval)
 * of an input partition, and the compacted changelog topic "<group>-changelog" that keeps it
 * across restarts and rebalances (docs/DATA.md, docs/ARCHITECTURE.md "process state").
 *
 * Indicator and alert state lives in a compacted topic, one record per
 * series keyed "<input partition>/<interval>/<symbol>", plus one progress
 * record per input partition keyed "<input partition>/progress" holding the
 * commit sequence "seq=<n>", then whatever else the processor keeps of its
 * progress (the watermark advances a restart replays: process.c). Input partition P's records go to
 * changelog partition P mod (its partitions). Every commit writes the series changed since the last
 * one and the progress record, in the same transaction as the outputs and the offsets, whose
 * metadata carries the same seq. So the changelog always holds the state after exactly the bars
 * that the committed watermark says were published; a new owner reads it back before it processes a
 * record of the partition. */
#ifndef TICKLAKE_CHANGELOG_H
#define TICKLAKE_CHANGELOG_H

#include <stddef.h>
#include <stdint.h>

#include "indicators.h"
#include "kafka_producer.h"
#include "tick.h"
#include "util.h"

/* Input partitions are numbered 0 .. CHANGELOG_MAX_PARTITIONS - 1. */
#define CHANGELOG_MAX_PARTITIONS 1024

/* Indicator state of one (symbol, interval) series of a partition. */
typedef struct series {
    char symbol[TICK_SYMBOL_MAX];
    int interval; /* index into the configured intervals */
    int dirty;    /* changed since its state was last written to the changelog */
    ind_state st;
} series;

/* Open-addressing map (symbol, interval) -> series, per partition. Bounded by
 * symbols x intervals. */
typedef struct series_map {
    series **slots;
    size_t cap, n;
} series_map;

/* Frees every series of m and leaves it empty. */
void series_map_clear(series_map *m);
/* The series (sym, interval) of m, made (clean, its state initialised) if
 * new; NULL when out of memory. */
series *series_get(series_map *m, const char *sym, int interval);

/* A partition's progress record as read back (zero-initialise; release more). */
typedef struct changelog_progress {
    uint64_t seq; /* its commit sequence */
    buf more;     /* the processor's text after "seq=<n> " */
} changelog_progress;

/* A processor's changelog. Every pointer is borrowed. */
typedef struct changelog {
    const kafka_opts *kafka;  /* to read it back */
    const char *topic;        /* "<prefix><group>-changelog" */
    int partitions;           /* of topic */
    const int64_t *intervals; /* the configured bar intervals: a series' interval indexes them */
    size_t nintervals;
    const ind_config *ind; /* encodes and decodes the state */
    int idle_ms;           /* a restore gives up after this long without progress; 0:
                              CHANGELOG_IDLE_MS */
} changelog;

/* How long a restore waits for the next record of the changelog before it
 * gives up; the progress records the committed offsets name get three times
 * that to show up. Not a bound on the whole restore: a changelog the cleaner
 * has not compacted yet can hold GBs, and reading them takes what it takes. */
#define CHANGELOG_IDLE_MS 10000

/* Produces with prod (in its open transaction, if it has one) the series of m
 * (input partition part) changed since they were last written, marking them
 * clean, then part's progress record "seq=<seq> <progress>" (progress: NULL
 * or "" for none). rec is scratch space. 0, or kafka_produce's failure (-1,
 * or KAFKA_PRODUCE_TXN_FAILED) with errstr. */
int changelog_write(const changelog *cl, kafka_producer *prod, int32_t part, series_map *m,
                    uint64_t seq, const char *progress, buf *rec, char *errstr, size_t errstr_size);

/* Reads back the series of the n input partitions parts into maps[i] (that
 * of parts[i], cleared first). With want_seq (else NULL), reads again until
 * the changelog shows each partition's progress record of at least
 * want_seq[i]: a transaction's markers may land a moment after its offsets
 * are readable. With progress (else NULL), progress[i] gets parts[i]'s last
 * progress record (seq 0 and "" when none). Gives up when a read makes no
 * progress for the changelog's idle time, or when the progress records still
 * lag in a read that began three times that long after the restore did.
 * A record that does not decode is a warning and its series starts afresh.
 * 0, or -1 with errstr; *kafka_failed (may be NULL) then says whether Kafka
 * failed it (a read that failed or gave up, a changelog that lags), which new
 * clients may mend, rather than memory. */
int changelog_restore(const changelog *cl, const int32_t *parts, size_t n, series_map *const *maps,
                      const uint64_t *want_seq, changelog_progress *progress, int *kafka_failed,
                      char *errstr, size_t errstr_size);

#endif
