/* kafka_mock.c - the embedded broker (librdkafka's mock cluster); see kafka_mock.h. */
#include "kafka_mock.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kafka_conf.h"
#include "util.h"

struct kafka_mock {
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mc;
    char *bootstraps;
    int nbrokers;
};

kafka_mock *kafka_mock_new(int nbrokers, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
    char err[256];
    /* The owning handle only hosts the cluster; it connects nowhere. */
    if (rd_kafka_conf_set(conf, "client.id", "ticklake-broker", err, sizeof(err)) != 0 ||
        rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err)) != 0) {
        rd_kafka_conf_destroy(conf);
        set_err(errstr, errstr_size, "%s", err);
        return NULL;
    }
    rd_kafka_t *rk = kafka_new_handle(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
    if (!rk)
        return NULL;
    kafka_mock *m = calloc(1, sizeof(*m));
    m->rk = rk;
    m->mc = rd_kafka_mock_cluster_new(rk, nbrokers);
    if (!m->mc) {
        set_err(errstr, errstr_size, "unable to start the embedded broker");
        kafka_mock_free(m);
        return NULL;
    }
    m->bootstraps = strdup(rd_kafka_mock_cluster_bootstraps(m->mc));
    m->nbrokers = nbrokers;
    return m;
}

const char *kafka_mock_bootstraps(const kafka_mock *m)
{
    return m->bootstraps;
}

/* librdkafka's mock cluster sometimes misses the wake-up for an operation
 * queued by the application (topic creation) and serves it only when its I/O
 * poll times out, a second later: with 2.0.2, 6 of 60 creations in a loop
 * (tests/unit/test_kafka.c), a `ticklake broker` start (14 topics) up to
 * 5.6 s; with 2.15.1 more often: each of 20 starts took 1-7 s. A connection
 * to a mock broker's listener wakes the same poll, so while topics are
 * created a thread connects every 10 ms: 0 stalls in 420 creations with
 * 2.0.2, none in 280 with 2.15.1. */
typedef struct mock_poker {
    atomic_int stop;
    struct sockaddr_in addr;
} mock_poker;

static void *poke_mock(void *arg)
{
    mock_poker *pk = arg;
    while (!atomic_load(&pk->stop)) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0) {
            (void)connect(fd, (struct sockaddr *)&pk->addr, sizeof(pk->addr));
            close(fd);
        }
        sleep_ns(10 * 1000000LL);
    }
    return NULL;
}

int kafka_mock_create_topics(kafka_mock *m, const char *const *topics, size_t n, int partitions,
                             char *errstr, size_t errstr_size)
{
    mock_poker pk = {.addr = {.sin_family = AF_INET}};
    const char *colon = strrchr(m->bootstraps, ':');
    int port = colon ? atoi(colon + 1) : 0;
    pk.addr.sin_port = htons((uint16_t)port);
    pk.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    pthread_t th;
    int poking = port > 0 && pthread_create(&th, NULL, poke_mock, &pk) == 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(m->mc, topics[i], partitions, 1);
        if (err)
            rc = set_err(errstr, errstr_size, "unable to create topic '%s': %s", topics[i],
                         rd_kafka_err2str(err));
    }
    if (poking) {
        atomic_store(&pk.stop, 1);
        pthread_join(th, NULL);
    }
    return rc;
}

int kafka_mock_broker_set(kafka_mock *m, int id, int up, char *addr, size_t addr_size, char *errstr,
                          size_t errstr_size)
{
    if (id < 1 || id > m->nbrokers)
        return set_err(errstr, errstr_size, "no broker %d: the brokers are 1 to %d", id,
                       m->nbrokers);
    /* The id-th entry of the bootstrap list: the mock lists its brokers by id. */
    const char *p = m->bootstraps;
    for (int i = 1; i < id && p; i++) {
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    size_t n = p ? strcspn(p, ",") : 0;
    snprintf(addr, addr_size, "%.*s", (int)n, p ? p : "");
    rd_kafka_resp_err_t err =
        up ? rd_kafka_mock_broker_set_up(m->mc, id) : rd_kafka_mock_broker_set_down(m->mc, id);
    if (err)
        return set_err(errstr, errstr_size, "unable to take broker %d %s: %s", id,
                       up ? "up" : "down", rd_kafka_err2str(err));
    return 0;
}

int kafka_mock_fail_commits(kafka_mock *m, int n, char *errstr, size_t errstr_size)
{
    enum { OFFSET_COMMIT = 8 }; /* the protocol's ApiKey (librdkafka's is in an internal header) */
    rd_kafka_resp_err_t errs[1000];
    if (n < 0 || n > (int)(sizeof(errs) / sizeof(errs[0])))
        return set_err(errstr, errstr_size, "from 0 to %zu commits, not %d",
                       sizeof(errs) / sizeof(errs[0]), n);
    if (n == 0) {
        rd_kafka_mock_clear_request_errors(m->mc, OFFSET_COMMIT);
        return 0;
    }
    for (int i = 0; i < n; i++)
        errs[i] = RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION;
    rd_kafka_mock_push_request_errors_array(m->mc, OFFSET_COMMIT, (size_t)n, errs);
    return 0;
}

void kafka_mock_free(kafka_mock *m)
{
    if (!m)
        return;
    if (m->mc)
        rd_kafka_mock_cluster_destroy(m->mc);
    rd_kafka_destroy(m->rk);
    free(m->bootstraps);
    free(m);
}
