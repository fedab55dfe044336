/* kafka.h - the one home of librdkafka: producers, consumers, topics and the
 * embedded broker.
 *
 * Nothing else in ticklake includes rdkafka.h. Configuration follows kcat:
 * ticklake's defaults first, then every `-X key=value` the user gave, which win.
 * librdkafka's log lines are routed into log.h. Every function returns 0 on
 * success or -1 with a message in errstr, unless it says otherwise. */
#ifndef TICKLAKE_KAFKA_H
#define TICKLAKE_KAFKA_H

#include <stddef.h>
#include <stdint.h>

struct kafka_tp;

/* Connection options shared by every client. The strings are borrowed: they
 * must outlive every client made from the options. */
typedef struct kafka_opts {
    const char *brokers;      /* bootstrap list "host:port,..." */
    const char *const *props; /* "key=value" librdkafka properties (-X) */
    size_t nprops;
    int connect_timeout_ms;        /* how long a new client waits for the cluster; 0: 8000 */
    const char *group_instance_id; /* consumers: static group membership (KIP-345); NULL none */
} kafka_opts;

/* Copies o into *out with the properties ours[0..nours) ("key=value") before
 * o's own -X, so the user's still win. Returns the new property list, which
 * *out borrows: free it once no client made from *out is left. NULL when out
 * of memory. */
const char **kafka_opts_prepend(const kafka_opts *o, const char *const *ours, size_t nours,
                                kafka_opts *out);

/* Checks that the cluster answers a metadata request within the connect
 * timeout; the error names the bootstrap address. */
int kafka_check(const kafka_opts *o, char *errstr, size_t errstr_size);

/* Partitions the embedded broker gives a topic it creates on first use. */
#define KAFKA_EMBEDDED_PARTITIONS 4

/* Creates the topics that do not exist yet with the given partitions and
 * replication factor (Admin API). On a cluster without CreateTopics (the
 * embedded broker) it falls back to the broker's auto-creation, which gives
 * KAFKA_EMBEDDED_PARTITIONS: asking for another count there is an error that
 * says how to start the broker. Existing topics keep their partitions. */
int kafka_ensure_topics(const kafka_opts *o, const char *const *topics, size_t ntopics,
                        int partitions, int replication, char *errstr, size_t errstr_size);

/* Creates topic, if it does not exist, as a compacted topic (cleanup.policy
 * compact) with the given partitions; then fills *partitions with the number
 * the topic has (on the embedded broker, the one auto-creation gave it). */
int kafka_ensure_compacted_topic(const kafka_opts *o, const char *topic, int partitions,
                                 int replication, int *partitions_out, char *errstr,
                                 size_t errstr_size);

/* Reads partitions of topic from their beginning to their end (for
 * transactional data: committed records only, up to the last stable offset),
 * calling cb for each record. Gives up after timeout_ms. */
typedef void (*kafka_record_cb)(void *opaque, const void *key, size_t key_len, const void *value,
                                size_t value_len);
int kafka_read_partitions(const kafka_opts *o, const char *topic, const int32_t *partitions,
                          size_t n, int timeout_ms, kafka_record_cb cb, void *opaque, char *errstr,
                          size_t errstr_size);

/* ---- embedded broker (librdkafka's mock cluster) ------------------------- */

typedef struct kafka_mock kafka_mock;

/* Starts nbrokers mock brokers on loopback ports, served by background
 * threads until kafka_mock_free. Memory only, see docs/ARCHITECTURE.md. */
kafka_mock *kafka_mock_new(int nbrokers, char *errstr, size_t errstr_size);
/* The bootstrap list "127.0.0.1:port,..." (owned by the mock). */
const char *kafka_mock_bootstraps(const kafka_mock *m);
/* Creates topics[0..n) with the given partitions (replication 1). */
int kafka_mock_create_topics(kafka_mock *m, const char *const *topics, size_t n, int partitions,
                             char *errstr, size_t errstr_size);
void kafka_mock_free(kafka_mock *m);

/* ---- producer ------------------------------------------------------------ */

typedef struct kafka_producer kafka_producer;

/* An idempotent producer (acks=all, lz4, murmur2 partitioning of keys as Java
 * clients do). Fails if the cluster cannot be reached in time. */
kafka_producer *kafka_producer_new(const kafka_opts *o, const char *client_id, char *errstr,
                                   size_t errstr_size);

/* An idempotent producer for rare records that must go out at once (live
 * alerts): no linger, no compression, Nagle off. Otherwise as
 * kafka_producer_new. */
kafka_producer *kafka_live_producer_new(const kafka_opts *o, const char *client_id, char *errstr,
                                        size_t errstr_size);

/* Enqueues one record; key and value are copied. When the local queue is full
 * it serves delivery reports and retries until there is room. */
int kafka_produce(kafka_producer *p, const char *topic, const void *key, size_t key_len,
                  const void *value, size_t value_len, char *errstr, size_t errstr_size);

/* One record of a batch: borrowed key and value. */
typedef struct kafka_rec {
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
} kafka_rec;

/* Enqueues n records to topic, each partitioned by its key as kafka_produce
 * does (murmur2; the topic's partition count is asked once per producer) and
 * in order within a partition: the records are grouped by partition and each
 * group goes in with rd_kafka_produce_batch calls of up to 512 records, which
 * append under one lock. Keys and values are copied. Waits for room when the
 * local queue is full. */
int kafka_produce_batch(kafka_producer *p, const char *topic, const kafka_rec *recs, size_t n,
                        char *errstr, size_t errstr_size);

/* As kafka_produce, into the given partition of topic. */
int kafka_produce_partition(kafka_producer *p, const char *topic, int32_t partition,
                            const void *key, size_t key_len, const void *value, size_t value_len,
                            char *errstr, size_t errstr_size);

/* Serves delivery reports for up to timeout_ms. */
void kafka_producer_poll(kafka_producer *p, int timeout_ms);

/* Waits up to timeout_ms for every enqueued record to be delivered or
 * failed. -1 if records are still outstanding or any delivery failed. */
int kafka_producer_flush(kafka_producer *p, int timeout_ms, char *errstr, size_t errstr_size);

/* Records acknowledged by the cluster, failed for good, and still in flight. */
int64_t kafka_producer_delivered(const kafka_producer *p);
int64_t kafka_producer_failed(const kafka_producer *p);
int64_t kafka_producer_outstanding(const kafka_producer *p);
/* Records the cluster acknowledged without an offset: librdkafka inferred
 * them from a later batch after a retried one, and the broker may not have
 * them (kafka.c, dr_msg_cb). Neither delivered nor failed; flush fails on
 * them. */
int64_t kafka_producer_unconfirmed(const kafka_producer *p);

/* Fatal error (e.g. the idempotent producer lost its guarantee): 1 and errstr. */
int kafka_producer_fatal(kafka_producer *p, char *errstr, size_t errstr_size);

/* Destroys the producer without flushing. Accepts NULL. */
void kafka_producer_free(kafka_producer *p);

/* ---- transactions (exactly-once consume-transform-produce) ----------------- */

/* 1 if the cluster can run transactions: it has a controller and answers
 * InitProducerId. The embedded broker accepts but does not honour them
 * (see docs/ARCHITECTURE.md), so it reports 0. */
int kafka_supports_transactions(const kafka_opts *o, char *errstr, size_t errstr_size);

/* A transactional producer with the given transactional.id (stable across
 * restarts of the same instance, so a restart fences its predecessor and
 * aborts what it left open). Calls init_transactions. */
kafka_producer *kafka_txn_producer_new(const kafka_opts *o, const char *client_id,
                                       const char *transactional_id, char *errstr,
                                       size_t errstr_size);

/* Results of the transactional calls. */
enum {
    KAFKA_TXN_OK = 0,
    KAFKA_TXN_ABORT = 1, /* abort, rewind the consumer, carry on */
    KAFKA_TXN_FATAL = -1 /* the producer is unusable (e.g. fenced): stop */
};

typedef struct kafka_consumer kafka_consumer;

int kafka_txn_begin(kafka_producer *p, char *errstr, size_t errstr_size);
/* Adds the consumer's offsets (with metadata) to the open transaction. */
int kafka_txn_send_offsets(kafka_producer *p, kafka_consumer *c, const struct kafka_tp *tps,
                           size_t n, char *errstr, size_t errstr_size);
int kafka_txn_commit(kafka_producer *p, char *errstr, size_t errstr_size);
int kafka_txn_abort(kafka_producer *p, char *errstr, size_t errstr_size);

/* ---- consumer ------------------------------------------------------------ */

#define KAFKA_METADATA_MAX 128

struct kafka_tp {
    const char *topic;
    int32_t partition;
    int64_t offset;                    /* for commits: the next offset to read */
    char metadata[KAFKA_METADATA_MAX]; /* committed with the offset ("" for none) */
};
typedef struct kafka_tp kafka_tp;

/* Called when the group assigns or revokes partitions, before the assignment
 * changes. On revoke the callee finishes its work on those partitions (flush,
 * commit) before returning. */
typedef struct kafka_rebalance_handler {
    void (*assigned)(void *opaque, const kafka_tp *tps, size_t n);
    void (*revoked)(void *opaque, const kafka_tp *tps, size_t n);
    void *opaque;
} kafka_rebalance_handler;

/* A group consumer of topics, with manual offset commits, reading committed
 * data only, from the earliest offset when the group has none. */
kafka_consumer *kafka_consumer_new(const kafka_opts *o, const char *group,
                                   const char *const *topics, size_t ntopics,
                                   const kafka_rebalance_handler *rh, char *errstr,
                                   size_t errstr_size);

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
 * and queue locks per record): fills ms[0..n) and returns n (0 if none
 * arrived within timeout_ms), each to be released with kafka_msg_release;
 * -1 on a fatal consumer error, with nothing to release. Rebalance handlers
 * run inside the call, as in kafka_consumer_poll, and librdkafka drops the
 * records of revoked partitions it had gathered for the batch (2.0.2: since
 * 1.9.0; only seeks, pauses or rebalances run in parallel with the call
 * upset a batch, and ticklake does those on the polling thread). */
int kafka_consumer_poll_batch(kafka_consumer *c, int timeout_ms, kafka_msg *ms, size_t max,
                              char *errstr, size_t errstr_size);

/* Moves the consumer of each tp to tp->offset (the committed offset after an
 * aborted transaction); offset -1 means the partition's beginning. */
int kafka_consumer_seek(kafka_consumer *c, const kafka_tp *tps, size_t n, char *errstr,
                        size_t errstr_size);

/* Commits the given offsets synchronously. */
int kafka_consumer_commit(kafka_consumer *c, const kafka_tp *tps, size_t n, char *errstr,
                          size_t errstr_size);

/* Fills offset (-1 if none) and metadata of each tp with what the group has
 * committed, asking the coordinator (up to timeout_ms). */
int kafka_consumer_committed(kafka_consumer *c, kafka_tp *tps, size_t n, int timeout_ms,
                             char *errstr, size_t errstr_size);

/* Sum over the assigned partitions of (high watermark - position), from the
 * client's cached watermarks; 0 with nothing assigned. */
int64_t kafka_consumer_lag(kafka_consumer *c);

/* 1 when partitions are assigned and every one has been read up to the high
 * watermark the brokers report now (a network round trip, up to timeout_ms). */
int kafka_consumer_caught_up(kafka_consumer *c, int timeout_ms);

/* Leaves the group (running the revoke handler) and destroys the consumer.
 * Accepts NULL. */
void kafka_consumer_close(kafka_consumer *c);

#endif
