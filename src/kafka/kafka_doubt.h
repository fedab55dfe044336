/* kafka_doubt.h - records a producer cannot vouch for, checked against the
 * log and sent again only when the log does not have them (src/kafka/ only).
 *
 * librdkafka's idempotent producer reports the records of a batch that failed
 * with a retriable error as delivered, with no offset, once a later batch to
 * the partition succeeds ("implicitly acknowledged"). The broker may have
 * them or not. kafka_producer.c keeps a copy of each such record here (in the
 * delivery report) and asks kafka_doubts_resolve, from its checker thread
 * about a second later and again when flushed: each
 * partition's log is read from the earliest offset whose timestamp is at most
 * 10 s before the earliest doubtful record's (from the beginning when the
 * broker cannot say), and after the highest offset confirmed to the producer
 * in that partition before the doubt arose, up to its end. A record with the
 * same key and value bytes at an offset after the one confirmed before a
 * doubtful record vouches for it, one copy for one record; the rest are
 * handed back to be sent again. So an identical record delivered earlier (a
 * file's duplicate row) never vouches for a lost twin. A record confirmed
 * later than its doubtful twin was reported could still vouch for it, and a
 * bound set too late (kafka_producer.c keeps one per partition; reports served
 * on two threads at once can raise it early) can only send a record again,
 * never leave one out.
 *
 * The copies are bounded (max_bytes): past it, a record is not kept, and the
 * producer still fails its flush on it as before. */
#ifndef TICKLAKE_KAFKA_DOUBT_H
#define TICKLAKE_KAFKA_DOUBT_H

#include <stddef.h>
#include <stdint.h>

#include "kafka.h"
#include "kafka_conf.h" /* rd_kafka_t */

typedef struct kafka_doubts kafka_doubts;

kafka_doubts *kafka_doubts_new(size_t max_bytes);
void kafka_doubts_free(kafka_doubts *d); /* accepts NULL */

/* Keeps a copy of a record (safe from any thread: delivery reports);
 * after_offset: the highest offset of the partition confirmed to the producer
 * before this record was reported (-1 unknown). 0, or -1 when the budget is
 * spent (nothing kept). */
int kafka_doubts_add(kafka_doubts *d, const char *topic, int32_t partition, int64_t ts_ms,
                     int64_t after_offset, const void *key, size_t key_len, const void *value,
                     size_t value_len);

/* Records kept and not yet resolved. */
size_t kafka_doubts_count(kafka_doubts *d);

/* Called for each record the log does not have. 0: the record leaves the
 * list, its fate is the caller's (it was enqueued again and has a delivery
 * report coming). Non-zero fails the resolve, and the record stays on the
 * list with the others not sent yet. */
typedef int (*kafka_doubt_resend_cb)(void *ctx, const char *topic, int32_t partition,
                                     const void *key, size_t key_len, const void *value,
                                     size_t value_len, char *errstr, size_t errstr_size);

/* Takes every kept record off the list and checks it against its partition's
 * log through rk (offsets by time) and a reader of o's cluster; *found gets
 * how many the log had, *resent how many resend took. On an error reading
 * the log or sending again, the records not settled are put back and -1
 * returned. */
int kafka_doubts_resolve(kafka_doubts *d, rd_kafka_t *rk, const kafka_opts *o, int timeout_ms,
                         kafka_doubt_resend_cb resend, void *ctx, int64_t *found, int64_t *resent,
                         char *errstr, size_t errstr_size);

#endif
