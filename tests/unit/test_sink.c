/* Tests for sink.c against the embedded broker (librdkafka's mock cluster)
 * and a local lake: the stage end to end, for what the integration tests
 * cannot set up (`ticklake broker` creates at most 1024 partitions). */
#include <dirent.h>
#include <stdlib.h>

#include "kafka_mock.h"
#include "kafka_producer.h"
#include "log.h"
#include "pipeline.h"
#include "sink.h"
#include "testlib.h"
#include "tick.h"
#include "util.h"

/* Whether folder dir holds a file named name. */
static int has_file(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    int found = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        found |= strcmp(e->d_name, name) == 0;
    if (d)
        closedir(d);
    return found;
}

/* A topic of more than 1024 partitions lands whole: the sink's partition
 * tables had 1024 slots, and the records of higher partitions were read,
 * dropped and never committed while --drain still succeeded. */
static void test_partitions_beyond_1024_land(void)
{
    char err[512], lake[] = "/tmp/tl-sink-XXXXXX";
    CHECK(mkdtemp(lake) != NULL);
    kafka_mock *m = kafka_mock_new(1, err, sizeof(err));
    CHECK(m != NULL);
    if (!m)
        return;
    const char *topics[] = {"trades"};
    CHECK_EQ_INT(kafka_mock_create_topics(m, topics, 1, 1100, err, sizeof(err)), 0);
    kafka_opts ko = {.brokers = kafka_mock_bootstraps(m)};
    kafka_producer *p = kafka_producer_new(&ko, "test-sink", err, sizeof(err));
    CHECK(p != NULL);
    const int32_t parts[] = {0, 1023, 1024, 1099};
    for (size_t i = 0; p && i < sizeof(parts) / sizeof(parts[0]); i++) {
        trade t = {.symbol = "AAPL",
                   .ts = 1772582400LL * NS_PER_SEC, /* 2026-03-04 */
                   .price = 100,
                   .size = 1,
                   .id = (int64_t)i + 1,
                   .venue = "X",
                   .source = "sim"};
        buf v = {0};
        trade_encode_json(&t, &v);
        CHECK_EQ_INT(kafka_produce_partition(p, "trades", parts[i], "AAPL", 4, v.data, v.len, err,
                                             sizeof(err)),
                     0);
        buf_release(&v);
    }
    CHECK_EQ_INT(p ? kafka_producer_flush(p, 10000, err, sizeof(err)) : -1, 0);
    kafka_producer_free(p);

    sink_config cfg = {.kafka = ko,
                       .lake = lake,
                       .group = "test-sink",
                       .topics = {"trades"},
                       .ntopics = 1,
                       .incarnation = "u1",
                       .partitions = 1100};
    stage_control ctl = {0};
    atomic_store(&ctl.drain, 1);
    pipeline_stats st = {0};
    int rc = sink_run(&cfg, &ctl, &st, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "  sink_run: %s\n", err);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(atomic_load(&st.lake_rows), 4);
    char dir[256], name[128];
    snprintf(dir, sizeof(dir), "%s/trades/date=2026-03-04", lake);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        snprintf(name, sizeof(name), "trades~u1+%d+00000000000000000000.parquet", (int)parts[i]);
        if (!has_file(dir, name))
            fprintf(stderr, "  no file '%s' in '%s'\n", name, dir);
        CHECK(has_file(dir, name));
    }
    kafka_mock_free(m);
    tl_rm_rf(lake);
}

TEST_MAIN(TEST(test_partitions_beyond_1024_land))
