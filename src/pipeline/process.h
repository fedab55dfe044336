/* process.h - the process stage: trades -> OHLCV bars, in event time.
 *
 * A member of consumer group GROUP_PROCESS reading TOPIC_TRADES. Each input
 * partition has its own windows (bar.h). Closed bars go to "bars.<interval>"
 * keyed by symbol, with their indicators on "indicators.<interval>" and the
 * alerts they raise on TOPIC_ALERTS (indicators.h); records that cannot be decoded, and trades too
 * late for a window, go to TOPIC_DLQ with the reason. Each alert also goes at once to
 * TOPIC_ALERTS_LIVE, outside the transactions (at least once; docs/DATA.md).
 *
 * Progress is recorded per input partition as an offset and a watermark: the
 * offset is the lowest one still needed by an open window (so a new owner
 * rebuilds every open window by replaying from it), and the watermark, kept
 * in the commit metadata ("wm=<ns>"), tells the new owner which bars were
 * already published (every window ending at or before it); "next=<offset>",
 * the next record to read, which replayed records' dead letters were sent.
 *
 * Indicator and alert state of each (symbol, interval) series goes to the
 * compacted topic "<group>-changelog" at each commit, with the outputs and
 * offsets, and is read back when partitions are assigned, before their first
 * record (docs/ARCHITECTURE.md, "process state").
 *
 * With exactly-once on (the default on a cluster that supports transactions),
 * outputs and offsets go into one Kafka transaction per commit interval, so a
 * crash at any point leaves either all of an interval's bars and its offsets,
 * or none; on an abortable error the transaction is aborted, state dropped and
 * the consumer rewound to the committed offsets. Without it (the embedded
 * broker), bars are flushed before offsets are committed: at-least-once, with
 * duplicates only for bars delivered between the last commit and a crash. */
#ifndef TICKLAKE_PROCESS_H
#define TICKLAKE_PROCESS_H

#include <stdint.h>

#include "bar.h"
#include "indicators.h"
#include "kafka.h"
#include "pipeline.h"

typedef struct process_config {
    kafka_opts kafka;
    const char *group;                    /* default GROUP_PROCESS */
    const char *topic_prefix;             /* prepended to every topic name; "" or NULL for none */
    int64_t intervals[BAR_MAX_INTERVALS]; /* shortest first */
    size_t nintervals;
    int64_t lateness_ns;
    /* A trade whose event time is later than its record's Kafka timestamp
     * (when it was produced, or appended) by more than this is a bad record
     * (dead-lettered): admitted, one trade stamped years ahead would move
     * its partition's watermark there, and every later trade of every
     * symbol of the partition would be late, across restarts too (the
     * watermark is in the committed progress). 0: no limit. */
    int64_t max_ahead_ns;
    int64_t commit_interval_ns; /* 0: 100 ms with transactions, else 1 s */
    int64_t idle_timeout_ns;    /* advance a quiet partition's watermark by wall time after this; 0:
                                   never */
    int eos;                 /* -1 auto (on when the cluster supports transactions), 0 off, 1 on */
    const char *instance_id; /* makes the transactional.id: <group>-<instance_id>; NULL: "0" */
    ind_config ind;          /* indicator periods and alert thresholds, read when has_ind */
    int has_ind;             /* 0 (a zeroed config): ind_config_default */
    int64_t late_horizon_ns; /* --late update: correct bars this long after they close; 0 drop */
    int partitions;          /* for output topics that must be created */
    int replication;         /* 0: by cluster size (kafka_topic_replication) */
    int min_isr;             /* min.insync.replicas; 0: by the replication factor */
    /* Called with each alert's symbol and JSON record as it is raised, before
     * it is produced (as on alerts.live: at least once), on the processor's
     * thread; it must not block. `ticklake run` hands alerts to its console
     * with it. NULL: none. */
    void (*on_alert)(void *opaque, const char *symbol, const char *json, size_t len);
    void *on_alert_opaque;
} process_config;

/* Runs until ctl->stop, or ctl->drain and the input is read to its end.
 * 0 on a clean finish, -1 with errstr on a fatal error. */
int process_run(const process_config *cfg, stage_control *ctl, pipeline_stats *st, char *errstr,
                size_t errstr_size);

#endif
