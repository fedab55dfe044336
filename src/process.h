/* process.h - the process stage: trades -> OHLCV bars, in event time.
 *
 * A member of consumer group GROUP_PROCESS reading TOPIC_TRADES. Each input
 * partition has its own windows (bar.h). Closed bars go to "bars.<interval>"
 * keyed by symbol. Progress is committed every commit interval: first every
 * bar produced so far is delivered, then each partition's offset is committed
 * as the lowest offset still needed by an open window, with the partition's
 * watermark in the commit metadata. After a restart or rebalance the new owner
 * replays from that offset and suppresses bars for windows that ended at or
 * before the committed watermark (they were already delivered), so output is
 * not doubled except for bars delivered after the last commit and before a
 * crash (at-least-once). */
#ifndef TICKLAKE_PROCESS_H
#define TICKLAKE_PROCESS_H

#include <stdint.h>

#include "bar.h"
#include "kafka.h"
#include "pipeline.h"

typedef struct process_config {
    kafka_opts kafka;
    const char *group;  /* default GROUP_PROCESS */
    const char *topic_prefix; /* prepended to every topic name; "" or NULL for none */
    int64_t intervals[BAR_MAX_INTERVALS];
    size_t nintervals;
    int64_t lateness_ns;
    int64_t commit_interval_ns; /* 0: 1 s */
    int partitions;             /* for output topics that must be created */
    int replication;
} process_config;

/* Runs until ctl->stop, or ctl->drain and the input is read to its end.
 * 0 on a clean finish, -1 with errstr on a fatal error. */
int process_run(const process_config *cfg, stage_control *ctl, pipeline_stats *st, char *errstr,
                size_t errstr_size);

#endif
