/* kafka_consumer.h - group consumers with manual commits that never skip a
 * record without a word (where each partition starts, what retention took).
 * Every function returns 0 on success or -1 with a message in errstr, unless
 * it says otherwise. */
#ifndef TICKLAKE_KAFKA_CONSUMER_H
#define TICKLAKE_KAFKA_CONSUMER_H

#include <stddef.h>
#include <stdint.h>

#include "kafka.h"

typedef struct kafka_consumer kafka_consumer;

/* Called when the group assigns or revokes partitions, before the assignment
 * changes. On revoke the callee finishes its work on those partitions (flush,
 * commit) before returning. */
typedef struct kafka_rebalance_handler {
    void (*assigned)(void *opaque, const kafka_tp *tps, size_t n);
    void (*revoked)(void *opaque, const kafka_tp *tps, size_t n);
    void *opaque;
} kafka_rebalance_handler;

/* A group consumer of topics, with manual offset commits, reading committed
 * data only, from the earliest offset when the group has none. It rebalances
 * eagerly (rh sees whole assignments). Refused in o, with the reason
 * (kafka_consumer_check): a cooperative partition.assignment.strategy,
 * group.protocol=consumer, enable.auto.commit=true with
 * enable.auto.offset.store=true, and with rh (a stage's consumer)
 * isolation.level=read_uncommitted. */
kafka_consumer *kafka_consumer_new(const kafka_opts *o, const char *group,
                                   const char *const *topics, size_t ntopics,
                                   const kafka_rebalance_handler *rh, char *errstr,
                                   size_t errstr_size);

/* The check of o's properties that kafka_consumer_new makes (stage: as for a
 * consumer with a rebalance handler), without a client: 0, or -1 with the
 * reason. For a caller that retries kafka_consumer_new until the cluster is
 * up, so that a refusal, which no retry mends, fails at once. */
int kafka_consumer_check(const kafka_opts *o, int stage, char *errstr, size_t errstr_size);

typedef struct kafka_msg {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    int64_t timestamp_ms; /* the record's Kafka timestamp, -1 if none */
    void *handle;         /* owned; released by kafka_msg_release */
} kafka_msg;

/* Waits up to timeout_ms for a record. Returns 1 with *m filled (release it
 * with kafka_msg_release), 0 if none arrived (transient errors are logged and
 * counted, and also give 0), -1 on a fatal consumer error. */
int kafka_consumer_poll(kafka_consumer *c, int timeout_ms, kafka_msg *m, char *errstr,
                        size_t errstr_size);
void kafka_msg_release(kafka_msg *m);
/* As kafka_consumer_poll, for up to max records at once (fewer clock reads
 * and queue locks per record): takes the records already there, up to max;
 * when there are none, waits up to timeout_ms for one and returns it alone
 * (it never waits to fill the batch); fills ms[0..n) and returns n (0 if none arrived within
 * timeout_ms), each to be released with kafka_msg_release;
 * -1 on a fatal consumer error, with nothing to release. Rebalance handlers
 * run inside the call, as in kafka_consumer_poll, and librdkafka drops the
 * records of revoked partitions it had gathered for the batch (since 1.9.0;
 * only seeks, pauses or rebalances run in parallel with the call upset a
 * batch, and ticklake does those on the polling thread). 2.2.0 to 2.13.1
 * could leave the position wrong after a batch, fixed in 2.13.2: the oldest
 * librdkafka the build accepts. */
/* 1 when a poll failed because records were lost before this consumer read
 * them (the log's start passed its position: retention, or the embedded
 * broker's memory limit). Starting over cannot bring them back: the stage
 * must stop and say so, not retry. */
int kafka_consumer_records_lost(const kafka_consumer *c);
/* 1 when the consumer failed because another member with its
 * group.instance.id took its place (static membership). */
int kafka_consumer_fenced(const kafka_consumer *c);

int kafka_consumer_poll_batch(kafka_consumer *c, int timeout_ms, kafka_msg *ms, size_t max,
                              char *errstr, size_t errstr_size);

/* Moves the consumer of each tp to tp->offset (the committed offset after an
 * aborted transaction); offset -1 means the partition's beginning. */
int kafka_consumer_seek(kafka_consumer *c, const kafka_tp *tps, size_t n, char *errstr,
                        size_t errstr_size);

/* Commits the given offsets synchronously. Returns 0, or
 * KAFKA_COMMIT_REBALANCING when the group is rebalancing (the member's
 * partitions are about to be revoked), or -1 on any other failure. */
#define KAFKA_COMMIT_REBALANCING (-2)
int kafka_consumer_commit(kafka_consumer *c, const kafka_tp *tps, size_t n, char *errstr,
                          size_t errstr_size);

/* Fills offset (-1 if none) and metadata of each tp with what the group has
 * committed, asking the coordinator (up to timeout_ms). -1 with errstr when
 * the request or any partition's answer failed. */
int kafka_consumer_committed(kafka_consumer *c, kafka_tp *tps, size_t n, int timeout_ms,
                             char *errstr, size_t errstr_size);

/* Sum over the assigned partitions of (high watermark - position), from the
 * client's cached watermarks; 0 with nothing assigned. A partition that has
 * returned no record since its assignment or a seek stands where that put
 * it. Call it on the thread that polls. */
int64_t kafka_consumer_lag(kafka_consumer *c);
/* As kafka_consumer_lag, with the largest lag of one partition in *max
 * (0 with nothing assigned). */
int64_t kafka_consumer_lag_max(kafka_consumer *c, int64_t *max);
/* The high watermark of topic/partition from the client's cache (the last
 * fetch's), or -1 while none is known. */
int64_t kafka_consumer_high_watermark(kafka_consumer *c, const char *topic, int32_t partition);

/* 1 when partitions are assigned and every one has been read up to the high
 * watermark the brokers report now (a network round trip, up to timeout_ms). */
int kafka_consumer_caught_up(kafka_consumer *c, int timeout_ms);

/* Leaves the group (running the revoke handler) and destroys the consumer.
 * Accepts NULL. */
void kafka_consumer_close(kafka_consumer *c);

/* For kafka_producer.c (offsets in a transaction): the consumer's librdkafka
 * handle, an rd_kafka_t. */
struct rd_kafka_s *kafka_consumer_handle(kafka_consumer *c);

#endif
