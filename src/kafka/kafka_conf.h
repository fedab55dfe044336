/* kafka_conf.h - configurations and client handles, shared by the modules of
 * src/kafka/ only (it includes rdkafka.h, which nothing outside src/kafka/
 * may see).
 *
 * Configuration follows kcat: ticklake's defaults first, then every
 * `-X key=value` the user gave, which win. librdkafka's log lines are routed
 * into log.h. Functions returning int give 0 on success or -1 with a message
 * in errstr, unless they say otherwise. */
#ifndef TICKLAKE_KAFKA_CONF_H
#define TICKLAKE_KAFKA_CONF_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "kafka.h"

/* librdkafka's log callback: its syslog levels to log.h's. */
void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *msg);

/* A partition list of tps[0..n): topic, partition, offset and the metadata
 * string (copied; freed with the list). The caller destroys it. */
rd_kafka_topic_partition_list_t *kafka_tp_list_new(const kafka_tp *tps, size_t n);

/* rd_kafka_conf_set with errstr naming the property. */
int kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *errstr,
                   size_t errstr_size);

/* A configuration: the caller's defaults (NULL-terminated key, value pairs),
 * the bootstrap list, then the user's -X properties; log and error callbacks
 * set. NULL with errstr on a bad property. */
rd_kafka_conf_t *kafka_conf_make(const kafka_opts *o, const char *const *defaults, char *errstr,
                                 size_t errstr_size);

/* o's connect timeout in ms (the default when unset). */
int kafka_timeout_of(const kafka_opts *o);

/* Asks for cluster metadata within o's connect timeout; fails with a message
 * naming the brokers, at once with librdkafka's reason when a broker refuses
 * the client (SASL authentication or the TLS handshake failed). */
int kafka_check_handle(rd_kafka_t *rk, const kafka_opts *o, char *errstr, size_t errstr_size);

/* A producer handle with client.id client_id (no other defaults) that has
 * answered a metadata request (kafka_check_handle), or NULL with errstr:
 * the short-lived clients that check, ask or administer. */
rd_kafka_t *kafka_checked_handle(const kafka_opts *o, const char *client_id, char *errstr,
                                 size_t errstr_size);

/* rd_kafka_new, which owns conf from then on; on failure conf is destroyed
 * and NULL returned with errstr. */
rd_kafka_t *kafka_new_handle(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *errstr,
                             size_t errstr_size);

/* A short-lived admin client and the cluster's metadata (all topics when
 * all_topics). NULL with errstr naming the brokers if they do not answer or
 * refuse the client (as kafka_check_handle).
 * The caller destroys *md and the handle. */
rd_kafka_t *kafka_admin_metadata(const kafka_opts *o, int all_topics,
                                 const struct rd_kafka_metadata **md, char *errstr,
                                 size_t errstr_size);

/* 1 when one of md's brokers is the controller rk knows of. The embedded
 * broker names a controller that is none of its brokers: it has no controller
 * to create topics or coordinate transactions. */
int kafka_has_controller(rd_kafka_t *rk, const struct rd_kafka_metadata *md);

/* The partition count of topic in md, 0 if it has none (yet). */
int kafka_topic_partitions(const struct rd_kafka_metadata *md, const char *topic);

/* 1 when the user set key among the -X properties. */
int kafka_user_set(const kafka_opts *o, const char *key);

/* 1 when the cluster behind rk is the embedded broker (names no controller of
 * its own), 0 when it is not, -1 with errstr set when it cannot tell (no
 * metadata within o's timeout). Callers whose promise differs by broker must
 * not take "cannot tell" for either answer. */
int kafka_is_embedded(rd_kafka_t *rk, const kafka_opts *o, char *errstr, size_t errstr_size);

#endif
