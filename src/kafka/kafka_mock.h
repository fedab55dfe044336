/* kafka_mock.h - the embedded broker: librdkafka's mock cluster, memory only
 * (docs/ARCHITECTURE.md). Functions returning int give 0 on success or -1
 * with a message in errstr. */
#ifndef TICKLAKE_KAFKA_MOCK_H
#define TICKLAKE_KAFKA_MOCK_H

#include <stddef.h>

typedef struct kafka_mock kafka_mock;

/* Starts nbrokers mock brokers on loopback ports, served by background
 * threads until kafka_mock_free. Memory only, see docs/ARCHITECTURE.md. */
kafka_mock *kafka_mock_new(int nbrokers, char *errstr, size_t errstr_size);
/* The bootstrap list "127.0.0.1:port,..." (owned by the mock). */
const char *kafka_mock_bootstraps(const kafka_mock *m);
/* Creates topics[0..n) with the given partitions (replication 1). */
int kafka_mock_create_topics(kafka_mock *m, const char *const *topics, size_t n, int partitions,
                             char *errstr, size_t errstr_size);
/* Takes broker id (1..nbrokers, in the order of the bootstrap list) down:
 * its connections are closed and new ones refused, its partitions keep it as
 * their leader (as a crashed broker before the controller notices); or brings
 * it up again (up 1). addr gets its "127.0.0.1:port". */
int kafka_mock_broker_set(kafka_mock *m, int id, int up, char *addr, size_t addr_size, char *errstr,
                          size_t errstr_size);
/* Makes the next n offset commits (of any group) fail with
 * ILLEGAL_GENERATION, as a member that lost its generation in a rebalance
 * meets them (fault tests); n 0 lets those not yet met succeed again. */
int kafka_mock_fail_commits(kafka_mock *m, int n, char *errstr, size_t errstr_size);
void kafka_mock_free(kafka_mock *m);

#endif
