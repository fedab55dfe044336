/* Tests for changelog.c's restore against librdkafka's mock cluster, in
 * process, and for the settings kafka_admin.c creates changelog topics with.
 *
 * A changelog the cleaner has not compacted yet can hold GBs (Kafka never
 * compacts a partition's active segment, 1 GiB by default), and reading it
 * back under a fixed 10 s budget failed every start of the processor for
 * good. A restore must go on while records arrive, and give up only when
 * none does for its idle time; such a failure is Kafka's, for new clients to
 * try again. The mock delays each fetch so that a small changelog reads as
 * slowly as a large one.
 *
 * The test includes librdkafka itself only to drive the mock's delays; the
 * code under test is changelog.h's and kafka_admin.h's. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changelog.h"
#include "kafka_admin.h"
#include "kafka_producer.h"
#include "testlib.h"
#include "util.h"

enum { FETCH_API = 1 }; /* Kafka's ApiKey of Fetch */

#define TOPIC "g-changelog"
#define NSERIES 24

typedef struct mock {
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mc;
} mock;

static void mock_stop(mock *m)
{
    if (m->mc)
        rd_kafka_mock_cluster_destroy(m->mc);
    if (m->rk)
        rd_kafka_destroy(m->rk);
}

static const int64_t intervals[] = {NS_PER_SEC};
static ind_config ind;

/* A mock cluster whose changelog holds NSERIES series of input partition 0
 * and its progress record seq=1, each record a batch of its own (so that
 * every fetch returns one); cl reads it. 0, or -1 reported. */
static int changelog_start(mock *m, changelog *cl, kafka_opts *o)
{
    char err[512] = "";
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
    m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    m->mc = m->rk ? rd_kafka_mock_cluster_new(m->rk, 1) : NULL;
    if (!m->mc || rd_kafka_mock_topic_create(m->mc, TOPIC, 1, 1) != 0) {
        fprintf(stderr, "  no mock cluster\n");
        return -1;
    }
    ind_config_default(&ind);
    *o = (kafka_opts){.brokers = rd_kafka_mock_cluster_bootstraps(m->mc)};
    *cl = (changelog){.kafka = o,
                      .topic = TOPIC,
                      .partitions = 1,
                      .intervals = intervals,
                      .nintervals = 1,
                      .ind = &ind};
    static const char *const one_per_batch[] = {"linger.ms=0", "batch.num.messages=1"};
    kafka_opts po = *o;
    po.props = one_per_batch;
    po.nprops = 2;
    kafka_producer *p = kafka_producer_new(&po, "test", err, sizeof(err));
    if (!p) {
        fprintf(stderr, "  %s\n", err);
        return -1;
    }
    series_map m0 = {0};
    for (int i = 0; i < NSERIES; i++) {
        char sym[16];
        snprintf(sym, sizeof(sym), "S%02d", i);
        series *se = series_get(&m0, sym, 0);
        CHECK(se != NULL);
        if (se)
            se->dirty = 1;
    }
    buf rec;
    buf_init(&rec);
    int rc = changelog_write(cl, p, 0, &m0, 1, NULL, &rec, err, sizeof(err));
    if (rc == 0)
        rc = kafka_producer_flush(p, 10000, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "  %s\n", err);
    buf_release(&rec);
    series_map_clear(&m0);
    kafka_producer_free(p);
    return rc;
}

/* Delays the next n fetches by rtt_ms each. */
static void slow_fetches(mock *m, int n, int rtt_ms)
{
    for (int i = 0; i < n; i++)
        rd_kafka_mock_broker_push_request_error_rtts(m->mc, 1, FETCH_API, 1,
                                                     RD_KAFKA_RESP_ERR_NO_ERROR, rtt_ms);
}

/* A restore that takes several times its idle time, because records keep
 * arriving slowly, succeeds: the idle time is no bound on the whole read. */
static void test_slow_restore_goes_on_while_records_arrive(void)
{
    mock m = {0};
    changelog cl;
    kafka_opts o;
    if (changelog_start(&m, &cl, &o) != 0) {
        CHECK(0);
        mock_stop(&m);
        return;
    }
    cl.idle_ms = 600;
    /* One record a fetch, 150 ms a fetch: about 4 s for the 25 records. */
    slow_fetches(&m, 2 * NSERIES + 10, 150);
    series_map m0 = {0};
    series_map *maps[] = {&m0};
    int32_t parts[] = {0};
    uint64_t want[] = {1};
    changelog_progress prog[1] = {{0}};
    char err[512] = "";
    int kafka_failed = -1;
    int64_t t0 = mono_ns();
    int rc = changelog_restore(&cl, parts, 1, maps, want, prog, &kafka_failed, err, sizeof(err));
    int64_t took_ms = (mono_ns() - t0) / 1000000;
    if (rc != 0)
        fprintf(stderr, "  %s\n", err);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(kafka_failed, 0);
    CHECK_EQ_INT((int)m0.n, NSERIES);
    CHECK_EQ_INT((int)prog[0].seq, 1);
    /* Otherwise the mock did not slow it down, and this proves nothing. */
    CHECK(took_ms > 3 * cl.idle_ms);
    buf_release(&prog[0].more);
    series_map_clear(&m0);
    mock_stop(&m);
}

/* A broker that stops answering fails the restore after the idle time, as
 * Kafka's failure (new clients may mend it), with a message that says so. */
static void test_silent_broker_fails_the_restore_as_kafka(void)
{
    mock m = {0};
    changelog cl;
    kafka_opts o;
    if (changelog_start(&m, &cl, &o) != 0) {
        CHECK(0);
        mock_stop(&m);
        return;
    }
    cl.idle_ms = 500;
    slow_fetches(&m, 4, 5000);
    series_map m0 = {0};
    series_map *maps[] = {&m0};
    int32_t parts[] = {0};
    char err[512] = "";
    int kafka_failed = 0;
    int64_t t0 = mono_ns();
    int rc = changelog_restore(&cl, parts, 1, maps, NULL, NULL, &kafka_failed, err, sizeof(err));
    int64_t took_ms = (mono_ns() - t0) / 1000000;
    CHECK_EQ_INT(rc, -1);
    CHECK_EQ_INT(kafka_failed, 1);
    CHECK(strstr(err, "unable to restore indicator state") != NULL);
    CHECK(strstr(err, "made no progress for 500 ms") != NULL);
    CHECK(took_ms < 8000);
    series_map_clear(&m0);
    mock_stop(&m);
}

/* Progress records that never reach the committed seq fail the restore as
 * Kafka's too (late transaction markers), once reads that began after three
 * idle times still lag. */
static void test_lagging_changelog_fails_as_kafka(void)
{
    mock m = {0};
    changelog cl;
    kafka_opts o;
    if (changelog_start(&m, &cl, &o) != 0) {
        CHECK(0);
        mock_stop(&m);
        return;
    }
    cl.idle_ms = 300;
    series_map m0 = {0};
    series_map *maps[] = {&m0};
    int32_t parts[] = {0};
    uint64_t want[] = {2};
    char err[512] = "";
    int kafka_failed = 0;
    int rc = changelog_restore(&cl, parts, 1, maps, want, NULL, &kafka_failed, err, sizeof(err));
    CHECK_EQ_INT(rc, -1);
    CHECK_EQ_INT(kafka_failed, 1);
    CHECK(strstr(err, "lags the committed offsets of 1 input partitions") != NULL);
    series_map_clear(&m0);
    mock_stop(&m);
}

static const char *compacted_config(const char *name)
{
    for (const kafka_topic_config *c = kafka_compacted_configs; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c->value;
    return NULL;
}

/* The changelog is compacted, and its segments are small and young enough
 * for the cleaner to keep it near the size of its latest records: Kafka's
 * defaults (1 GiB, 7 days) left GBs for a restore to read. */
static void test_compacted_topics_roll_small_segments(void)
{
    const char *policy = compacted_config("cleanup.policy");
    CHECK(policy != NULL && strcmp(policy, "compact") == 0);
    const char *bytes = compacted_config("segment.bytes");
    CHECK(bytes != NULL);
    if (bytes)
        CHECK(atoll(bytes) >= 1 << 20 && atoll(bytes) <= 128LL << 20);
    const char *ms = compacted_config("segment.ms");
    CHECK(ms != NULL);
    if (ms)
        CHECK(atoll(ms) > 0 && atoll(ms) <= 24LL * 3600 * 1000);
    const char *ratio = compacted_config("min.cleanable.dirty.ratio");
    CHECK(ratio != NULL);
    if (ratio)
        CHECK(atof(ratio) > 0 && atof(ratio) < 0.5);
}

TEST_MAIN(TEST(test_slow_restore_goes_on_while_records_arrive),
          TEST(test_silent_broker_fails_the_restore_as_kafka),
          TEST(test_lagging_changelog_fails_as_kafka),
          TEST(test_compacted_topics_roll_small_segments))
