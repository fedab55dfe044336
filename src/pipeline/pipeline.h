/* pipeline.h - what the stages share: topic names, run control and counters.
 *
 * Each stage (ingest, process, sink) is a function that runs until told to
 * stop; `ticklake run` runs all three on threads, the single-stage commands
 * run one. A stage reads its control flags and updates its counters with
 * atomics, so the status line can read them from another thread. */
#ifndef TICKLAKE_PIPELINE_H
#define TICKLAKE_PIPELINE_H

#include <stdatomic.h>
#include <stdint.h>

#define TOPIC_TRADES "trades"
#define TOPIC_BARS_PREFIX "bars."
#define TOPIC_DLQ "dlq"
#define TOPIC_INDICATORS_PREFIX "indicators."
#define TOPIC_ALERTS "alerts"
#define TOPIC_ALERTS_LIVE "alerts.live"
#define TOPIC_QUOTES "quotes"
#define TABLE_TRADES "trades"
#define TABLE_BARS_PREFIX "bars_"

#define GROUP_PROCESS "ticklake-process"
#define GROUP_SINK "ticklake-sink"

/* Run control, set by the command layer (signal handlers, timers) or by the
 * stage before it in `run`. */
typedef struct stage_control {
    atomic_int stop;  /* finish promptly: flush and commit what is safe, then return */
    atomic_int drain; /* read the input up to its current end, finish, then return */
} stage_control;

/* Counters, all monotonically increasing. */
typedef struct pipeline_stats {
    atomic_llong ticks_produced;   /* ingest: records delivered to Kafka (acks=0: sent) */
    atomic_llong ticks_failed;     /* ingest: records that failed delivery */
    atomic_llong trades_processed; /* process: trades folded into windows */
    atomic_llong trades_late;      /* process: (trade, interval) pairs dropped as late */
    atomic_llong bars_emitted;     /* process: bars produced */
    atomic_llong alerts_emitted;   /* process: alerts produced */
    atomic_llong bad_records;      /* process + sink: records that could not be decoded */
    atomic_llong dlq_records;      /* process: records sent to the dead-letter topic */
    atomic_llong txn_aborts;       /* process: transactions aborted and replayed */
    atomic_llong lake_rows;        /* sink: rows made durable in the lake */
    atomic_llong lake_files;       /* sink: Parquet files written */
    atomic_llong lake_bytes;       /* sink: bytes of those files */
    atomic_llong lake_disk_full;   /* sink: file writes that failed on a full local disk and
                                      were retried */
    atomic_llong process_lag;      /* process: consumer lag, records (a gauge) */
    atomic_llong sink_lag;         /* sink: consumer lag, records (a gauge) */
    atomic_llong process_lag_max;  /* process: the largest lag of one partition (a gauge) */
    atomic_llong sink_lag_max;     /* sink: the largest lag of one partition (a gauge) */
    atomic_llong sink_next_roll;   /* sink: mono_ns when the oldest buffered row's file is due by
                                      the roll interval; 0 when nothing is buffered (a gauge) */
    atomic_int process_joined;     /* process: 1 once its consumer had its first assignment */
    atomic_int sink_joined;        /* sink: the same */
} pipeline_stats;

#endif
