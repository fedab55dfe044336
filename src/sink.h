/* sink.h - the sink stage: Kafka topics -> Parquet files in the lake.
 *
 * A member of consumer group GROUP_SINK reading the trades and bars topics.
 * Records are buffered per input partition; a buffer is written when it holds
 * roll_rows rows, when its oldest record has waited roll_interval, or on
 * shutdown and rebalance. A write produces one Parquet object per UTC date in
 * the buffer, with the key <table>/date=<date>/<topic>+<partition>+<first
 * offset of that date, 20 digits>.parquet, sorted by symbol and time,
 * ZSTD-compressed. The lake is any storage.h URL: a local directory
 * (./lake, /abs/lake, file:///abs/lake) or s3://bucket/prefix.
 *
 * DuckDB writes each file to a local temporary name first: beside the final
 * name for a local lake (".tmp-<name>.partial"), in storage's staging folder
 * for S3. storage_put_file(STORAGE_MOVE) then makes it durable under its key:
 * fsync, rename, fsync of the folder (local), or a PutObject / multipart
 * upload that S3 makes visible only when complete. Only after every object of
 * the buffer is stored is the partition's offset committed. A retry after a
 * crash starts at the committed offset and rewrites the same keys, so every
 * record lands exactly once.
 *
 * S3 outages: storage retries a put with backoff for its write budget
 * (storage_options.s3_write_retry_ns, 5 minutes by default) while the sink
 * waits; the sink raises max.poll.interval.ms above that budget so the group
 * keeps the partitions meanwhile. When the budget runs out (or an access
 * error such as 403 fails at once) the sink stops and sink_run returns -1
 * without committing: the records are still in Kafka for the next run.
 *
 * Leftovers of a crashed attempt are removed when a partition is assigned:
 * local temporary files of that partition, and staging files of that
 * partition whose writer process is gone. Multipart uploads that a killed
 * sink left incomplete on S3 are not visible objects and are not listed by
 * storage.h; a bucket lifecycle rule (AbortIncompleteMultipartUpload) removes
 * them.
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
#include "storage.h"

#define SINK_MAX_TOPICS 24

typedef struct sink_config {
    kafka_opts kafka;
    const char *lake;        /* a path, file:///path or s3://bucket/prefix (see storage.h) */
    storage_options storage; /* S3 endpoint, region, addressing, retry budget; cancel is set by
                                sink_run to ctl->stop */
    const char *group;       /* default GROUP_SINK */
    const char
        *topics[SINK_MAX_TOPICS]; /* logical topics (trades, bars.*, ...), without the prefix */
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
