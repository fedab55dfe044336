/* kafka_producer.h - producers: idempotent, live, and transactional for
 * exactly-once consume-transform-produce. Every function returns 0 on success
 * or -1 with a message in errstr, unless it says otherwise. */
#ifndef TICKLAKE_KAFKA_PRODUCER_H
#define TICKLAKE_KAFKA_PRODUCER_H

#include <stddef.h>
#include <stdint.h>

#include "kafka.h"
#include "kafka_consumer.h"

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
 * it serves delivery reports and retries until there is room. 0, or -1 with
 * errstr, or KAFKA_PRODUCE_TXN_FAILED (with errstr) from a transactional
 * producer whose open transaction failed (a record of it was not delivered):
 * it takes no more records until that transaction is aborted. */
#define KAFKA_PRODUCE_TXN_FAILED (-2)
int kafka_produce(kafka_producer *p, const char *topic, const void *key, size_t key_len,
                  const void *value, size_t value_len, char *errstr, size_t errstr_size);

/* As kafka_produce, for a record whose data arrived at since_mono_ns
 * (mono_ns): its delivery latency, from then to the broker's
 * acknowledgement, goes into the producer's histogram. */
int kafka_produce_stamped(kafka_producer *p, const char *topic, const void *key, size_t key_len,
                          const void *value, size_t value_len, int64_t since_mono_ns, char *errstr,
                          size_t errstr_size);
/* The q-quantile (0..1) of the latencies of delivered stamped records, in ns
 * (within 1/16 above the true value, lathist.h); 0 with none. *count (may be
 * NULL): how many there were. */
int64_t kafka_producer_latency(const kafka_producer *p, double q, int64_t *count);

/* One record of a batch: borrowed key and value; stamp as
 * kafka_produce_stamped's since_mono_ns, 0 for none. */
typedef struct kafka_rec {
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    int64_t stamp;
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

/* Serves delivery reports for up to timeout_ms. Safe beside another thread
 * producing (librdkafka's poll is thread-safe and the report handler
 * touches only atomics and the locked list of records to check). */
void kafka_producer_poll(kafka_producer *p, int timeout_ms);

/* Waits up to timeout_ms for every enqueued record to be delivered or
 * failed. Records acknowledged without an offset (kafka_producer_unconfirmed)
 * are then checked against their partitions' logs: those the log has count as
 * delivered (kafka_producer_vouched), the rest are sent again
 * (kafka_producer_resent) and waited for, for up to 5 rounds
 * (kafka_doubt.h). -1 if records are still outstanding or unconfirmed, or
 * any delivery failed. The same check runs on its own, on a thread the
 * producer starts at the first such record, about a second after each
 * (reading the log and sending again from there), so that a long-running
 * producer does not keep them until its flush. */
int kafka_producer_flush(kafka_producer *p, int timeout_ms, char *errstr, size_t errstr_size);

/* Records acknowledged by the cluster, failed for good, and still in flight. */
int64_t kafka_producer_delivered(const kafka_producer *p);
int64_t kafka_producer_failed(const kafka_producer *p);
int64_t kafka_producer_outstanding(const kafka_producer *p);
/* Records the cluster acknowledged without an offset: librdkafka inferred
 * them from a later batch after a retried one, and the broker may not have
 * them (kafka.c, dr_msg_cb). Neither delivered nor failed until a check of
 * the log (the checker's or a flush's) finds them or sends them again. */
int64_t kafka_producer_unconfirmed(const kafka_producer *p);
/* Of those, found in the log by a check (and counted delivered from then),
 * and sent again because the log did not have them. */
int64_t kafka_producer_vouched(const kafka_producer *p);
int64_t kafka_producer_resent(const kafka_producer *p);
/* Records sent with acks=0: no broker confirms them and none has an offset,
 * so they are neither delivered nor unconfirmed (nothing checks them), and
 * they do not fail the flush: the user asked for no acknowledgement. */
int64_t kafka_producer_unacked(const kafka_producer *p);
/* Delivered plus sent with acks=0 (one of the two is 0): what a status line's
 * count and rate, and the ingest metrics, count as published. */
int64_t kafka_producer_published(const kafka_producer *p);

/* Fatal error (e.g. the idempotent producer lost its guarantee): 1 and errstr. */
int kafka_producer_fatal(kafka_producer *p, char *errstr, size_t errstr_size);
/* 1 when the producer's fatal error is that another producer with its
 * transactional.id fenced it (a newer instance took over): the zombie must
 * stop, not start again and fence the newer one in turn. */
int kafka_producer_fenced(kafka_producer *p);

/* Destroys the producer without flushing. Accepts NULL. */
void kafka_producer_free(kafka_producer *p);

/* ---- transactions (exactly-once consume-transform-produce) ----------------- */

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

int kafka_txn_begin(kafka_producer *p, char *errstr, size_t errstr_size);
/* Adds the consumer's offsets (with metadata) to the open transaction. */
int kafka_txn_send_offsets(kafka_producer *p, kafka_consumer *c, const struct kafka_tp *tps,
                           size_t n, char *errstr, size_t errstr_size);
int kafka_txn_commit(kafka_producer *p, char *errstr, size_t errstr_size);
int kafka_txn_abort(kafka_producer *p, char *errstr, size_t errstr_size);

/* Whether the producer is still the current one of its transactional.id, as
 * its coordinator sees it: with no transaction open, writes one empty record
 * to partition 0 of topic in a transaction and aborts it (no read_committed
 * reader ever sees it). 1: current; 0: fenced by a newer producer (errstr
 * says so); -1: could not tell within timeout_ms, over tries of at most
 * 10 s each (errstr says why). */
int kafka_txn_probe(kafka_producer *p, const char *topic, int timeout_ms, char *errstr,
                    size_t errstr_size);

#endif
