/* kafka.h - what every Kafka client of ticklake shares: connection options,
 * the cluster check, topic-partition records and the library's version.
 *
 * src/kafka/ is the one home of librdkafka: nothing else includes rdkafka.h.
 * Its modules: kafka_admin.h (topics, what the cluster can do), kafka_producer.h
 * (producers, transactions), kafka_consumer.h (group consumers), kafka_mock.h
 * (the embedded broker), kafka_server.h (`ticklake broker --kafka`), and
 * kafka_conf.h inside the folder. Configuration follows kcat: ticklake's
 * defaults first, then every `-X key=value` the user gave, which win.
 * librdkafka's log lines are routed into log.h. Every function returns 0 on
 * success or -1 with a message in errstr, unless it says otherwise. */
#ifndef TICKLAKE_KAFKA_H
#define TICKLAKE_KAFKA_H

#include <stddef.h>
#include <stdint.h>

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

/* The cluster's id into out (truncated to fit), and *embedded 1 when it is
 * librdkafka's mock cluster (`ticklake broker`, `run`'s embedded broker):
 * memory only, so each start is a new cluster whose offsets begin at 0
 * again. 0, or -1 with errstr naming the bootstrap address, also when the
 * cluster's metadata does not come in time to tell whether it is embedded
 * (the sink's file names depend on it: never guessed). */
int kafka_cluster_id(const kafka_opts *o, char *out, size_t out_size, int *embedded, char *errstr,
                     size_t errstr_size);

/* The librdkafka version this binary runs with ("2.15.1"). */
const char *kafka_library_version(void);

/* Its builtin.features ("gzip,snappy,ssl,..."), into out (truncated to fit). */
void kafka_library_features(char *out, size_t out_size);

#define KAFKA_METADATA_MAX 128

struct kafka_tp {
    const char *topic;
    int32_t partition;
    int64_t offset;                    /* for commits: the next offset to read */
    char metadata[KAFKA_METADATA_MAX]; /* committed with the offset ("" for none) */
};
typedef struct kafka_tp kafka_tp;

#endif
