/* sink.h - the sink stage: Kafka topics -> Parquet files in the lake.
 *
 * A member of consumer group GROUP_SINK reading the trades and bars topics.
 * Records are buffered per input partition; a buffer is written when it would
 * make about roll_bytes of Parquet, when it holds roll_rows rows (a memory
 * bound), when its oldest record has waited roll_interval (the freshness
 * bound: a quiet topic still lands within it), or on shutdown and rebalance.
 * The size rule: a buffer rolls at roll_bytes / B rows, where B is the Parquet
 * bytes per row of that topic measured over every file the sink has written
 * so far (8 before the first file). Files made by the size rule are thus
 * within a few percent of roll_bytes; those made by the freshness bound are
 * smaller, and `ticklake compact` merges them (compact.h). With the
 * defaults the row bound comes first for trades (about 7 bytes a row: 8M
 * rows make about 56 MB), and at 100,000 trades/s over 4 partitions the
 * freshness bound comes first of all (about 10 MB a minute per partition).
 *
 * A write produces one Parquet object per UTC date in the buffer, with the
 * key <table>/date=<date>/<topic>+<partition>+<first offset of that date, 20
 * digits>.parquet, sorted by symbol and time, ZSTD-compressed. The lake is
 * any storage.h URL: a local directory
 * (./lake, /abs/lake, file:///abs/lake) or s3://bucket/prefix.
 *
 * Rows are buffered column by column in C (rowbuf.h) and sorted in C by
 * (date, symbol, time) when written; DuckDB only encodes them (engine.h,
 * engine_write_parquet_rows). Records are taken from librdkafka in batches.
 *
 * A buffer that rolls becomes a job for the writer thread (its own DuckDB and
 * storage handle), so the sink's thread reads on while the file is sorted,
 * encoded and stored. When more than two jobs are not yet committed, at the
 * end and on a revoke, the sink's thread writes queued jobs too (two files at
 * once); this also bounds the buffers in memory to about three beyond one
 * per partition. A partition rolls again only once its previous job is
 * committed (see the end of this comment). Offsets are committed on the
 * sink's thread only, in the order the jobs were made, so a partition's
 * committed offset never passes a file that is not yet stored; a failed job
 * stops the sink and nothing after it is committed. A revoke returns only
 * when every job is stored and committed or, after a failure, when no file
 * is still being stored (the writer then gives up its waits): a late store
 * could replace the next owner's file of the same name. A record of a partition the
 * sink no longer owns (gathered into a batch before the revoke) is dropped:
 * the new owner reads it; so is a record below the offset the sink last
 * committed for its partition (already in a stored file).
 *
 * DuckDB writes each file to a local temporary name first: beside the final
 * name for a local lake (".tmp-<name>.<pid>.<n>.partial"), in storage's staging folder
 * for S3. storage_put_file(STORAGE_MOVE) then makes it durable under its key:
 * fsync, rename, fsync of the folder (local), or a PutObject / multipart
 * upload that S3 makes visible only when complete. Only after every object of
 * the buffer is stored is the partition's offset committed. A retry after a
 * crash starts at the committed offset and rewrites the same keys, so every
 * record lands exactly once.
 *
 * S3 outages and faults: storage retries each failed request of a put with
 * backoff for its write budget (storage_options.s3_write_retry_ns, 5 minutes
 * by default) while the sink waits. A full local disk (ENOSPC, EDQUOT) is
 * waited out here the same way: the file is written again with backoff for
 * the same budget, each failure logged and counted (lake_disk_full), and the
 * job stays uncommitted meanwhile. The sink raises max.poll.interval.ms above
 * that budget so the group keeps the partitions meanwhile. When the budget
 * runs out (or an access error such as 403 fails at once, or the stage is
 * stopped during a wait) the sink stops and sink_run returns -1 without
 * committing: the records are still in Kafka for the next run.
 *
 * Leftovers of a crashed attempt are removed when a partition is assigned:
 * local temporary files of that partition, and staging files of that
 * partition whose writer process is gone, and on S3 the incomplete multipart
 * uploads of that partition's objects (<table>/.../<topic>+<partition>+*),
 * through ListMultipartUploads and AbortMultipartUpload.
 *
 * Why the names repeat: let c be the committed offset and p the first offset
 * of date d in the crashed attempt's buffer [c, e]. In the new run, the buffer
 * holding p starts at some a with c <= a <= p, and no offset in [a, p) has
 * date d (p was the first of d after c), so that buffer's file for d starts at
 * p too and replaces the old file. This holds however the new run rolls, as
 * long as the crashed attempt held the records after c in one buffer: so a
 * partition never has two jobs written but not committed (a roll waits for
 * the partition's previous job to be committed). */
#ifndef TICKLAKE_SINK_H
#define TICKLAKE_SINK_H

#include <stdint.h>

#include "indicators.h"
#include "kafka.h"
#include "pipeline.h"
#include "storage.h"

#define SINK_MAX_TOPICS 24
#define SINK_DEFAULT_ROLL_BYTES (128LL << 20) /* 128 MiB */
/* A buffered trade costs about 60 bytes (52 in the C columns, 8 more while it
 * is sorted), so this bounds a partition's buffer near 500 MB; rows wider
 * than 16 bytes of Parquet reach 128 MiB first. */
#define SINK_DEFAULT_ROLL_ROWS 8000000LL

typedef struct sink_config {
    kafka_opts kafka;
    const char *lake;        /* a path, file:///path or s3://bucket/prefix (see storage.h) */
    storage_options storage; /* S3 endpoint, region, addressing, retry budget; cancel is set by
                                sink_run to ctl->stop */
    const char *group;       /* default GROUP_SINK */
    /* This sink's stable id in its group, or NULL. Given, the sink is a
     * static member (KIP-345) with group.instance.id <prefix><group>-<id>:
     * restarted after a crash it takes its partitions back at once instead
     * of after the session timeout. Two live sinks with one id fence each
     * other (the older fails), so each sink of a group needs its own. */
    const char *instance_id;
    const char
        *topics[SINK_MAX_TOPICS]; /* logical topics (trades, bars.*, ...), without the prefix */
    size_t ntopics;
    const char *topic_prefix; /* prepended to every topic name; "" or NULL for none */
    /* Which incarnation of an embedded (memory-only) cluster this is: its
     * offsets begin at 0 again each time it starts, so its files are named
     * "<topic>~<incarnation>+<partition>+<offset>.parquet" and a second run
     * into the same lake cannot overwrite the first one's. NULL: on an
     * embedded cluster, its cluster id; on any other cluster, none. */
    const char *incarnation;
    int64_t roll_bytes;       /* 0: SINK_DEFAULT_ROLL_BYTES */
    int64_t roll_rows;        /* 0: SINK_DEFAULT_ROLL_ROWS */
    int64_t roll_interval_ns; /* 0: 60 s */
    int partitions;           /* for input topics that must be created */
    int replication;          /* 0: by cluster size (kafka_topic_replication) */
    int min_isr;              /* min.insync.replicas; 0: by the replication factor */
    /* The SMA and EMA periods whose columns the indicators tables get (the
     * processor's --sma and --ema); nsma = nema = 0: the defaults, 20,50 and
     * 12,26. */
    int sma[IND_MAX_PERIODS], nsma, ema[IND_MAX_PERIODS], nema;
} sink_config;

/* Runs until ctl->stop, or ctl->drain and every input is read to its end;
 * writes every buffered row before returning. 0, or -1 with errstr. */
int sink_run(const sink_config *cfg, stage_control *ctl, pipeline_stats *st, char *errstr,
             size_t errstr_size);

#endif
