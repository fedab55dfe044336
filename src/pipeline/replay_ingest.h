/* replay_ingest.h - the ingest stage for historical CSV files: rows -> Kafka.
 *
 * Daily index bars go to TOPIC_INDEX_DAILY keyed by index, trades to
 * TOPIC_TRADES keyed by symbol. Every row that cannot be used is reported as
 * "file:line: reason" and counted; the good rows of the same file still go
 * out. A file fails as a whole when it cannot be opened, its header is not
 * usable, or none of its rows is (every data row unusable or skipped, or
 * none at all; rows outside --from/--to do not count against it): it is
 * reported and the next file is still read, unless strict. History is
 * replayed as fast as possible or at a multiple of real time. */
#ifndef TICKLAKE_REPLAY_INGEST_H
#define TICKLAKE_REPLAY_INGEST_H

#include <stdint.h>

#include "kafka.h"
#include "pipeline.h"
#include "replay.h"
#include "tick.h"

#define TOPIC_INDEX_DAILY "index.daily"

typedef struct replay_ingest_config {
    kafka_opts kafka;
    const char *topic_prefix;
    const char *const *files;
    size_t nfiles;
    replay_options opts;   /* format, map, range, ts unit, symbol, date order; info and
                              first_id are set per run */
    const char *info_path; /* index info CSV; NULL: indexInfo.csv beside each file, if present */
    double speed;          /* replay at this multiple of real time; 0 as fast as possible */
    int strict;            /* the first bad row or failed file is fatal */
    int progress;          /* draw a progress bar on stderr */
    int partitions, replication, min_isr; /* replication, min_isr: 0 = by cluster size */
    tick_encoding encoding;               /* of trades (daily index bars are always JSON) */
} replay_ingest_config;

typedef struct replay_ingest_result {
    int64_t rows;         /* good rows produced */
    int64_t delivered;    /* acknowledged by the cluster */
    int64_t failed;       /* failed delivery */
    int64_t unacked;      /* sent with acks=0: left, never confirmed (kafka_producer_unacked) */
    int64_t bad;          /* rows reported unusable */
    int64_t skipped;      /* rows left out on purpose (no prices, repeated header) */
    int64_t filtered;     /* outside --from/--to */
    int64_t files_failed; /* files not read, or with no usable row */
} replay_ingest_result;

/* Replays every file in order. Returns 0 when every good row was delivered
 * and no file failed (bad rows may have been reported: see res->bad), -1
 * with errstr on a failure (a failed file: the first of them, and how many;
 * a delivery failure; a bad row with strict). */
int replay_ingest_run(const replay_ingest_config *cfg, stage_control *ctl, pipeline_stats *st,
                      replay_ingest_result *res, char *errstr, size_t errstr_size);

#endif
