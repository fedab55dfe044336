/* restart.h - a stage that starts over when one of its Kafka clients failed
 * for good.
 *
 * librdkafka gives up on a client for good in a few cases a restarted process
 * mends: a transactional producer whose transaction outlived a hung broker, a
 * static consumer fenced by a zombie or by its own rejoin. The processor and
 * the sink then start over with new clients from their committed progress, as
 * a restarted process would, and stop only when that keeps failing. */
#ifndef TICKLAKE_RESTART_H
#define TICKLAKE_RESTART_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"

/* One run of a stage from its committed progress to a stop or a failure.
 * Returns 0 when told to stop, -1 on failure with errstr; on failure,
 * *kafka_gone says a Kafka client failed in a way new clients mend, and
 * *progress whether the run committed anything. */
typedef int (*stage_once_fn)(const void *cfg, stage_control *ctl, pipeline_stats *st,
                             int *kafka_gone, int *progress, char *errstr, size_t errstr_size);

/* Runs once() until it returns 0, fails in a way new clients do not mend, is
 * told to stop, or fails so five times in a row with no progress between;
 * waits wait_ns (STAGE_RESTART_WAIT_NS for the stages) before each new start
 * and logs why, prefixed by stage. Returns what the last run returned, with
 * its errstr. */
#define STAGE_RESTART_WAIT_NS 1000000000LL
int stage_run_restarting(const char *stage, stage_once_fn once, const void *cfg, stage_control *ctl,
                         pipeline_stats *st, int64_t wait_ns, char *errstr, size_t errstr_size);

#endif
