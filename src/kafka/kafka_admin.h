/* kafka_admin.h - topics, reading partitions whole, and what the cluster can
 * do. Every function returns 0 on success or -1 with a message in errstr,
 * unless it says otherwise. */
#ifndef TICKLAKE_KAFKA_ADMIN_H
#define TICKLAKE_KAFKA_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "kafka.h"

/* Partitions the embedded broker gives a topic it creates on first use. */
#define KAFKA_EMBEDDED_PARTITIONS 4

/* The replication factor and min.insync.replicas of topics created on a
 * cluster of `brokers` live brokers. A value above 0 is kept; 0 picks the
 * default: min(3, brokers) for the factor, and 2 for min.insync.replicas when
 * the factor is 3 or more, else 1 (one broker, or two: a write must not wait
 * for a broker the cluster cannot spare). Returns 0, or -1 with a message
 * when min.insync.replicas exceeds the factor (no write could succeed). */
int kafka_topic_replication(int brokers, int replication, int min_isr, int *replication_out,
                            int *min_isr_out, char *errstr, size_t errstr_size);

/* Creates the topics that do not exist yet with the given partitions,
 * replication factor and min.insync.replicas (Admin API; 0 for either: the
 * default of kafka_topic_replication for the cluster's live brokers). On a
 * cluster without CreateTopics (the embedded broker) it falls back to the
 * broker's auto-creation, which gives KAFKA_EMBEDDED_PARTITIONS: asking for
 * another count there is an error that says how to start the broker.
 * Existing topics keep their partitions and settings. */
int kafka_ensure_topics(const kafka_opts *o, const char *const *topics, size_t ntopics,
                        int partitions, int replication, int min_isr, char *errstr,
                        size_t errstr_size);

/* A topic config, name and value. */
typedef struct kafka_topic_config {
    const char *name, *value;
} kafka_topic_config;

/* The configs of the compacted topics kafka_ensure_compacted_topic creates:
 * cleanup.policy compact, and segments small enough for the cleaner to keep
 * the topic near the size of its latest records (kafka_admin.c says why).
 * Ends with a NULL name. */
extern const kafka_topic_config kafka_compacted_configs[];

/* Creates topic, if it does not exist, as a compacted topic
 * (kafka_compacted_configs) with the given partitions (replication and min_isr
 * as kafka_ensure_topics); then fills *partitions with the number the topic
 * has (on the embedded broker, the one auto-creation gave it, with the
 * broker's settings). An existing topic gets kafka_compacted_configs where it
 * has the broker's defaults (one created by an older ticklake); values set on
 * the topic itself stay. That tuning is best effort: a refusal is a warning,
 * not an error. */
int kafka_ensure_compacted_topic(const kafka_opts *o, const char *topic, int partitions,
                                 int replication, int min_isr, int *partitions_out, char *errstr,
                                 size_t errstr_size);

/* The number of partitions topic has (0 when it does not exist). */
int kafka_topic_partition_count(const kafka_opts *o, const char *topic, int *count, char *errstr,
                                size_t errstr_size);

/* Reads partitions of topic from their beginning to their end (for
 * transactional data: committed records only, up to the last stable offset),
 * calling cb for each record. Gives up when idle_ms pass without a record or
 * a partition reaching its end: a long log takes as long as it takes to read,
 * a broker that stops answering fails it. */
typedef void (*kafka_record_cb)(void *opaque, int64_t offset, const void *key, size_t key_len,
                                const void *value, size_t value_len);
int kafka_read_partitions(const kafka_opts *o, const char *topic, const int32_t *partitions,
                          size_t n, int idle_ms, kafka_record_cb cb, void *opaque, char *errstr,
                          size_t errstr_size);
/* As kafka_read_partitions, one partition from offset start (an offset, or
 * librdkafka's logical RD_KAFKA_OFFSET_BEGINNING), giving up timeout_ms after
 * it started, progress or not. */
int kafka_read_partition_from(const kafka_opts *o, const char *topic, int32_t partition,
                              int64_t start, int timeout_ms, kafka_record_cb cb, void *opaque,
                              char *errstr, size_t errstr_size);
/* As kafka_read_partitions, from the last `last` records of each partition,
 * giving up timeout_ms after it started. whole (may be NULL) is set to 1 when every partition held
 * at most `last` records by its watermarks before the read (each was read from its first record:
 * reading deeper finds nothing more), else 0. */
int kafka_read_partitions_tail(const kafka_opts *o, const char *topic, const int32_t *partitions,
                               size_t n, int64_t last, int *whole, int timeout_ms,
                               kafka_record_cb cb, void *opaque, char *errstr, size_t errstr_size);
/* The same over every partition of topic (none read when it has none: whole). */
int kafka_read_topic_tail(const kafka_opts *o, const char *topic, int64_t last, int *whole,
                          int timeout_ms, kafka_record_cb cb, void *opaque, char *errstr,
                          size_t errstr_size);

/* 1 if the cluster can run transactions: it has a controller and answers
 * InitProducerId. The embedded broker accepts but does not honour them
 * (see docs/ARCHITECTURE.md), so it reports 0. */
int kafka_supports_transactions(const kafka_opts *o, char *errstr, size_t errstr_size);

#endif
