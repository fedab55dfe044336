/* kafka_lag.h - a consumer group's lag per partition, as the cluster sees it
 * (kafka-consumer-groups.sh --describe): the group's committed offset of each
 * partition it has committed, the partition's end (the last stable offset, as
 * a read_committed reader sees it), and their difference. Asked of the
 * cluster, not of a member, so it also shows a stage that is down.
 *
 * A kafka_lag_client holds one admin connection for repeated asks (the
 * console's health page polls it); it is used by one thread at a time. */
#ifndef TICKLAKE_KAFKA_LAG_H
#define TICKLAKE_KAFKA_LAG_H

#include <stddef.h>
#include <stdint.h>

#include "kafka.h"

typedef struct kafka_part_lag {
    char topic[160];
    int32_t partition;
    int64_t committed; /* the group's committed offset */
    int64_t end;       /* the partition's last stable offset; -1 unknown */
    int64_t lag;       /* end - committed, 0 when end is unknown */
} kafka_part_lag;

typedef struct kafka_lag_client kafka_lag_client;

/* NULL with errstr when the cluster cannot be reached. */
kafka_lag_client *kafka_lag_client_new(const kafka_opts *o, char *errstr, size_t errstr_size);
void kafka_lag_client_free(kafka_lag_client *c); /* accepts NULL */

/* Fills out[0..max) with group's committed partitions, sorted by topic and
 * partition (only those of topics starting with topic_prefix, when given);
 * returns how many there are (more than max when out was too small: the first
 * max are filled), 0 for a group that has committed nothing, or -1 with
 * errstr. */
int kafka_group_lag(kafka_lag_client *c, const char *group, const char *topic_prefix,
                    kafka_part_lag *out, size_t max, char *errstr, size_t errstr_size);

#endif
