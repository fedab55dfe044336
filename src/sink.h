/* sink.h - the sink stage: Kafka topics -> Parquet files in the lake.
 *
 * A member of consumer group GROUP_SINK reading the trades and bars topics.
 * Records are buffered per input partition; a buffer is written when it holds
 * roll_rows rows, when its oldest record has waited roll_interval, or on
 * shutdown and rebalance. A write produces one Parquet file per UTC date in
 * the buffer, at <lake>/<table>/date=<date>/<topic>+<partition>+<first offset
 * of that date>.parquet, sorted by symbol and time, ZSTD-compressed, written
 * to a temporary name, fsynced and renamed. Only then is the partition's
 * offset committed. A retry after a crash starts at the committed offset and
 * rewrites the same names, so every record lands exactly once.
 *
 * Why the names repeat: let c be the committed offset and p the first offset
 * of date d in the crashed attempt's buffer [c, e]. In the new run, the buffer
 * holding p starts at some a with c <= a <= p, and no offset in [a, p) has
 * date d (p was the first of d after c), so that buffer's file for d starts at
 * p too and replaces the old file. This holds however the new run rolls. */
#ifndef TICKLAKE_SINK_H
#define TICKLAKE_SINK_H

#include <stdint.h>

#include "kafka.h"
#include "pipeline.h"

#define SINK_MAX_TOPICS 16

typedef struct sink_config {
    kafka_opts kafka;
    const char *lake; /* a local directory */
    const char *group; /* default GROUP_SINK */
    const char *topics[SINK_MAX_TOPICS]; /* trades and bars.* topics, without the prefix */
    size_t ntopics;
    const char *topic_prefix; /* prepended to every topic name; "" or NULL for none */
    int64_t roll_rows;        /* 0: 1,000,000 */
    int64_t roll_interval_ns; /* 0: 60 s */
    int partitions;           /* for input topics that must be created */
    int replication;
} sink_config;

/* Runs until ctl->stop, or ctl->drain and every input is read to its end;
 * writes every buffered row before returning. 0, or -1 with errstr. */
int sink_run(const sink_config *cfg, stage_control *ctl, pipeline_stats *st, char *errstr,
             size_t errstr_size);

#endif
