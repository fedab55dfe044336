/* ingest.h - the ingest stage: the market simulator publishing trades (and
 * quotes, with sim.quote_ratio > 0) to Kafka, JSON or binary encoded. */
#ifndef TICKLAKE_INGEST_H
#define TICKLAKE_INGEST_H

#include <stdint.h>

#include "kafka.h"
#include "pipeline.h"
#include "sim.h"
#include "tick.h"

typedef struct ingest_config {
    kafka_opts kafka;
    const char *topic;        /* default TOPIC_TRADES */
    const char *quotes_topic; /* default TOPIC_QUOTES; used when sim.quote_ratio > 0 */
    tick_encoding encoding;   /* TICK_JSON (default) or TICK_BINARY */
    sim_config sim;           /* sim.rate is also the pacing rate unless max_rate */
    int start_now;            /* 1: sim.start_ns is the wall clock when the first tick is due
                               * (set there; no --start): a live feed's event time is the
                               * moment it is sent, not that less the stage's start-up */
    int max_rate;             /* 1: as fast as the producer takes them, ignoring real time */
    double speed;             /* otherwise the multiple of real time to pace at; 0 means 1 */
    int64_t count;            /* stop after this many ticks (trades and quotes); 0 for no limit */
    int partitions;           /* for topics that must be created */
    int replication;          /* 0: by cluster size (kafka_topic_replication) */
    int min_isr;              /* min.insync.replicas; 0: by the replication factor */
} ingest_config;

typedef struct ingest_result {
    int64_t generated; /* ticks (trades and quotes) handed to the producer */
    int64_t quotes;    /* of which quotes */
    int64_t delivered; /* acknowledged by the cluster */
    int64_t failed;    /* failed for good */
    int64_t unacked;   /* sent with acks=0: left, never confirmed (kafka_producer_unacked) */
} ingest_result;

/* Publishes simulated ticks (key = symbol) until count is reached or
 * ctl->stop is set, then flushes. Returns 0 only if every generated trade was
 * delivered (with acks=0: sent, res->unacked); -1 with errstr otherwise. res is filled in both
 * cases. */
int ingest_run(const ingest_config *cfg, stage_control *ctl, pipeline_stats *st, ingest_result *res,
               char *errstr, size_t errstr_size);

#endif
