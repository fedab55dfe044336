/* test_kafka_health.c - brokers lost and back (kafka_health.h), from statistics librdkafka 2.15.1
 * wrote against a 3-broker mock cluster (tests/data/kafka-stats/): a producer with every broker up,
 * the same producer after broker 2 was taken down (gone from the metadata) and after it came back,
 * and a consumer that dropped its connection to broker 2 without retrying (INIT). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_health.h"
#include "testlib.h"
#include "util.h"

static char *slurp(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof(path), "tests/data/kafka-stats/%s", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char data[65536];
    *len = fread(data, 1, sizeof(data) - 1, f);
    data[*len] = '\0';
    fclose(f);
    return data;
}

/* The sample parsed into *s; fails the test when it cannot be read. */
static int sample(const char *name, kafka_stats *s)
{
    size_t len = 0;
    char err[256] = "";
    const char *json = slurp(name, &len);
    CHECK(json != NULL);
    if (!json)
        return -1;
    int rc = kafka_stats_parse(json, len, s, err, sizeof(err));
    CHECK_EQ_STR(err, "");
    return rc;
}

static const kafka_stats_broker *broker(const kafka_stats *s, int32_t id)
{
    for (size_t i = 0; i < s->nbrokers; i++)
        if (s->brokers[i].id == id)
            return &s->brokers[i];
    return NULL;
}

static void test_parse(void)
{
    static kafka_stats s;
    CHECK_EQ_INT(sample("producer-up.json", &s), 0);
    CHECK_EQ_STR(s.client, "rdkafka#producer-2");
    CHECK_EQ_INT(s.ts_us, 25267843501LL);
    CHECK_EQ_INT(s.nbrokers, 3);
    const kafka_stats_broker *b = broker(&s, 2);
    CHECK(b != NULL);
    if (b) {
        CHECK_EQ_STR(b->addr, "127.0.0.1:40853");
        CHECK_EQ_INT(b->up, 1);
        CHECK_EQ_INT(b->trying, 0);
        CHECK_EQ_INT(b->stateage_ms, 4001);
    }
    CHECK_EQ_INT(sample("producer-lost.json", &s), 0);
    CHECK_EQ_INT(s.nbrokers, 2);
    CHECK(broker(&s, 2) == NULL);
    /* The logical GroupCoordinator entry (no node id) is not a broker of its own; it is failing
     * to connect to broker 2's address. */
    CHECK_EQ_INT(sample("consumer-lost.json", &s), 0);
    CHECK_EQ_STR(s.client, "rdkafka#consumer-3");
    CHECK_EQ_INT(s.nbrokers, 3);
    CHECK_EQ_INT(s.nfailing, 1);
    CHECK_EQ_STR(s.failing[0], "127.0.0.1:40853");
    b = broker(&s, 2);
    CHECK(b != NULL);
    if (b) {
        CHECK_EQ_INT(b->up, 0);
        CHECK_EQ_INT(b->trying, 0); /* INIT: not trying */
    }
}

static void test_parse_errors(void)
{
    static kafka_stats s;
    char err[256] = "";
    CHECK_EQ_INT(kafka_stats_parse("{\"name\":", 8, &s, err, sizeof(err)), -1);
    CHECK(err[0] != '\0');
    err[0] = '\0';
    const char *nobrokers = "{\"name\":\"x#producer-1\",\"ts\":1}";
    CHECK_EQ_INT(kafka_stats_parse(nobrokers, strlen(nobrokers), &s, err, sizeof(err)), -1);
    CHECK(strstr(err, "brokers") != NULL);
    const char *noname = "{\"brokers\":{}}";
    CHECK_EQ_INT(kafka_stats_parse(noname, strlen(noname), &s, err, sizeof(err)), -1);
    CHECK(strstr(err, "name") != NULL);
}

/* Lost when it leaves the metadata; a consumer that only went idle says nothing; back on a
 * connection made after the loss; one event each way. */
static void test_lost_and_back(void)
{
    static kafka_health h;
    static kafka_stats up, lost, back, idle;
    memset(&h, 0, sizeof(h));
    CHECK_EQ_INT(sample("producer-up.json", &up), 0);
    CHECK_EQ_INT(sample("producer-lost.json", &lost), 0);
    CHECK_EQ_INT(sample("producer-back.json", &back), 0);
    CHECK_EQ_INT(sample("consumer-lost.json", &idle), 0);
    kafka_health_event ev[4];
    kafka_health_snapshot snap;
    char line[256];

    kafka_health_snapshot_of(&h, &snap);
    kafka_health_format(&snap, 0, line, sizeof(line));
    CHECK_EQ_STR(line, ""); /* nothing reported yet */

    CHECK_EQ_INT(kafka_health_update(&h, &up, 100000, ev, 4), 0);
    kafka_health_snapshot_of(&h, &snap);
    kafka_health_format(&snap, 100000, line, sizeof(line));
    CHECK_EQ_STR(line, "brokers 3/3");

    /* 3003 ms later (the samples' ts) broker 2 is gone from the producer's metadata. */
    CHECK_EQ_INT(kafka_health_update(&h, &lost, 103003, ev, 4), 1);
    CHECK_EQ_INT(ev[0].back, 0);
    CHECK_EQ_INT(ev[0].broker.id, 2);
    CHECK_EQ_STR(ev[0].broker.addr, "127.0.0.1:40853");
    CHECK_EQ_INT(ev[0].broker.down_since_ms, 103003);
    CHECK_EQ_STR(ev[0].broker.lost_by, "rdkafka#producer-2");
    CHECK_EQ_INT(ev[0].up, 2);
    CHECK_EQ_INT(ev[0].known, 3);
    kafka_health_snapshot_of(&h, &snap);
    kafka_health_format(&snap, 117003, line, sizeof(line));
    CHECK_EQ_STR(line, "brokers 2/3 (broker 2 127.0.0.1:40853 down 14s)");

    /* Again from the producer, and from a consumer that never saw it up: no more lines. */
    CHECK_EQ_INT(kafka_health_update(&h, &lost, 104003, ev, 4), 0);
    CHECK_EQ_INT(kafka_health_update(&h, &idle, 103015, ev, 4), 0);

    /* Back: up for 14014 ms at 118017, i.e. since 104003, after the loss. */
    CHECK_EQ_INT(kafka_health_update(&h, &back, 118017, ev, 4), 1);
    CHECK_EQ_INT(ev[0].back, 1);
    CHECK_EQ_INT(ev[0].broker.id, 2);
    CHECK_EQ_INT(ev[0].down_ms, 118017 - 103003);
    CHECK_EQ_INT(ev[0].up, 3);
    kafka_health_snapshot_of(&h, &snap);
    CHECK_EQ_INT(snap.ndown, 0);
    kafka_health_format(&snap, 120000, line, sizeof(line));
    CHECK_EQ_STR(line, "brokers 3/3");

    /* The consumer went from up to INIT (idle): no evidence, no line. */
    static kafka_stats cup;
    cup = idle;
    for (size_t i = 0; i < cup.nbrokers; i++)
        cup.brokers[i].up = 1;
    CHECK_EQ_INT(kafka_health_update(&h, &cup, 119000, ev, 4), 0);
    CHECK_EQ_INT(kafka_health_update(&h, &idle, 120000, ev, 4), 0);
    CHECK_EQ_INT(kafka_health_update(&h, &idle, 121000, ev, 4), 0);
}

static kafka_stats one(const char *client, int32_t id, int up, int trying, int64_t age_ms)
{
    kafka_stats s;
    memset(&s, 0, sizeof(s));
    strlcpy_tl(s.client, client, sizeof(s.client));
    s.nbrokers = 2;
    s.brokers[0] = (kafka_stats_broker){.id = 1, .addr = "h:1", .up = 1, .stateage_ms = 60000};
    s.brokers[1] = (kafka_stats_broker){
        .id = id, .addr = "h:2", .up = up, .trying = trying, .stateage_ms = age_ms};
    return s;
}

/* client's report with broker 1 up and broker 2 gone from its metadata. */
static kafka_stats gone(const char *client)
{
    kafka_stats s = one(client, 2, 0, 0, 0);
    s.nbrokers = 1;
    return s;
}

/* Failing to connect counts from the second report in a row, dated from the first; a connection
 * that has been up since before the loss (a hung broker's) does not bring it back; a report taken
 * before the last change (served late by a blocked client) is no news. */
static void test_trying_stale_and_hung(void)
{
    static kafka_health h;
    memset(&h, 0, sizeof(h));
    kafka_health_event ev[4];
    kafka_stats s = one("a#producer-1", 2, 1, 0, 5000);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 10000, ev, 4), 0);
    s = one("a#producer-1", 2, 0, 1, 100);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 11000, ev, 4), 0); /* once: maybe an idle close */
    s = one("a#producer-1", 2, 0, 1, 300);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 12000, ev, 4), 1);
    CHECK_EQ_INT(ev[0].back, 0);
    CHECK_EQ_INT(ev[0].broker.down_since_ms, 11000);

    /* Client b's connection has been up for 20 s: from before the loss. */
    s = one("b#consumer-2", 2, 1, 0, 20000);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 13000, ev, 4), 0);
    /* a reconnects at 14500. */
    s = one("a#producer-1", 2, 1, 0, 500);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 15000, ev, 4), 1);
    CHECK_EQ_INT(ev[0].back, 1);
    CHECK_EQ_INT(ev[0].down_ms, 4000);

    /* c was blocked: its reports of 12000 and 13000 (failing) arrive now. */
    s = one("c#consumer-3", 2, 1, 0, 9000);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 10500, ev, 4), 0);
    s = one("c#consumer-3", 2, 0, 1, 100);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 12000, ev, 4), 0);
    s = one("c#consumer-3", 2, 0, 1, 1100);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 13000, ev, 4), 0);
    kafka_health_snapshot snap;
    kafka_health_snapshot_of(&h, &snap);
    CHECK_EQ_INT(snap.up, 2);
    CHECK_EQ_INT(snap.ndown, 0);
}

/* A real cluster's broker killed and restarted: failing to connect, then fenced (gone from the
 * metadata), then admitted again while leading nothing: listed without a connection (INIT). Back
 * when a client that saw it gone lists it again and is not failing to connect to it; a client that
 * never saw it gone is no evidence, nor is one still failing to connect to it. */
static void test_restarted_leads_nothing(void)
{
    static kafka_health h;
    memset(&h, 0, sizeof(h));
    kafka_health_event ev[4];
    kafka_stats s = one("a#producer-1", 2, 1, 0, 5000);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 10000, ev, 4), 0);
    s = one("a#producer-1", 2, 0, 1, 100);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 11000, ev, 4), 0);
    s = one("a#producer-1", 2, 0, 1, 1100);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 12000, ev, 4), 1); /* lost */
    /* b never saw it gone: its INIT listing proves nothing. */
    s = one("b#consumer-2", 2, 0, 0, 3000);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 12500, ev, 4), 0);
    /* Fenced: a's metadata no longer lists it. */
    s = gone("a#producer-1");
    CHECK_EQ_INT(kafka_health_update(&h, &s, 18000, ev, 4), 0);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 19000, ev, 4), 0);
    /* Listed again but a fails to connect to it: still down. */
    s = one("a#producer-1", 2, 0, 1, 100);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 20000, ev, 4), 0);
    s = one("b#consumer-2", 2, 0, 0, 10000);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 20500, ev, 4), 0);
    /* Gone again, then listed idle (INIT) while a's coordinator at its address fails to
     * connect: the cluster named it coordinator, it is not back (t0107 in CI). */
    s = gone("a#producer-1");
    CHECK_EQ_INT(kafka_health_update(&h, &s, 21000, ev, 4), 0);
    s = one("a#producer-1", 2, 0, 0, 200);
    s.nfailing = 1;
    strlcpy_tl(s.failing[0], "h:2", sizeof(s.failing[0]));
    CHECK_EQ_INT(kafka_health_update(&h, &s, 22000, ev, 4), 0);
    /* Gone again, then listed idle (INIT), nothing failing: the cluster admitted it. */
    s = gone("a#producer-1");
    CHECK_EQ_INT(kafka_health_update(&h, &s, 23000, ev, 4), 0);
    s = one("a#producer-1", 2, 0, 0, 200);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 30000, ev, 4), 1);
    CHECK_EQ_INT(ev[0].back, 1);
    CHECK_EQ_INT(ev[0].broker.id, 2);
    CHECK_EQ_INT(ev[0].down_ms, 30000 - 11000);
    kafka_health_snapshot snap;
    kafka_health_snapshot_of(&h, &snap);
    CHECK_EQ_INT(snap.ndown, 0);
    /* A report of no brokers (a client that knows no cluster) changes nothing. */
    s = one("c#admin-3", 2, 0, 0, 0);
    s.nbrokers = 0;
    CHECK_EQ_INT(kafka_health_update(&h, &s, 31000, ev, 4), 0);

    /* Lost again; a client started meanwhile first reports without it, then lists it idle
     * while it is still down: a new client never reported it, so that is no evidence (t0107
     * in CI, where a stage started over while broker 2 was down). */
    s = one("a#producer-1", 2, 1, 0, 4000);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 35000, ev, 4), 0);
    s = one("a#producer-1", 2, 0, 1, 100);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 40000, ev, 4), 0);
    s = one("a#producer-1", 2, 0, 1, 1100);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 41000, ev, 4), 1); /* lost */
    s = gone("n#consumer-9");
    CHECK_EQ_INT(kafka_health_update(&h, &s, 41500, ev, 4), 0);
    s = one("n#consumer-9", 2, 0, 0, 300);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 42500, ev, 4), 0);
    kafka_health_snapshot_of(&h, &snap);
    CHECK_EQ_INT(snap.ndown, 1);
}

/* Every client can go from up to idle (INIT: its connection closed, its metadata not yet
 * refreshed) before its metadata leaves the broker out: up, idle, gone is a loss (t0107 in CI,
 * where no client reported broker 2 lost). Idle then gone within 10 s of the broker's return
 * may be metadata from before the return: no loss then; later it is one again. */
static void test_idle_then_gone(void)
{
    static kafka_health h;
    memset(&h, 0, sizeof(h));
    kafka_health_event ev[4];
    kafka_stats s = one("a#consumer-1", 2, 1, 0, 5000);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 10000, ev, 4), 0);
    s = one("a#consumer-1", 2, 0, 0, 10); /* INIT */
    CHECK_EQ_INT(kafka_health_update(&h, &s, 11000, ev, 4), 0);
    s = gone("a#consumer-1");
    CHECK_EQ_INT(kafka_health_update(&h, &s, 12000, ev, 4), 1);
    CHECK_EQ_INT(ev[0].back, 0);
    CHECK_EQ_INT(ev[0].broker.id, 2);
    CHECK_EQ_INT(ev[0].broker.down_since_ms, 11000); /* gone since the idle report, maybe */
    CHECK_EQ_STR(ev[0].broker.lost_by, "a#consumer-1");
    /* Back through another client's new connection. */
    s = one("b#producer-2", 2, 1, 0, 500);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 20000, ev, 4), 1);
    CHECK_EQ_INT(ev[0].back, 1);
    /* a lists it idle, then leaves it out 5 s after the return: metadata older than the
     * return, not a second loss. */
    s = one("a#consumer-1", 2, 0, 0, 100);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 24000, ev, 4), 0);
    s = gone("a#consumer-1");
    CHECK_EQ_INT(kafka_health_update(&h, &s, 25000, ev, 4), 0);
    /* A report of no brokers after listing them idle is a client that lost its view of the
     * cluster, not news about it. */
    s = one("c#admin-3", 2, 0, 0, 100);
    s.brokers[0].up = 0;
    CHECK_EQ_INT(kafka_health_update(&h, &s, 40000, ev, 4), 0);
    s.nbrokers = 0;
    CHECK_EQ_INT(kafka_health_update(&h, &s, 41000, ev, 4), 0);
    /* Long after the return, idle then gone is a loss again. */
    s = one("a#consumer-1", 2, 0, 0, 100);
    CHECK_EQ_INT(kafka_health_update(&h, &s, 42000, ev, 4), 0);
    s = gone("a#consumer-1");
    CHECK_EQ_INT(kafka_health_update(&h, &s, 43000, ev, 4), 1);
    CHECK_EQ_INT(ev[0].back, 0);
}

TEST_MAIN(TEST(test_parse), TEST(test_parse_errors), TEST(test_lost_and_back),
          TEST(test_trying_stale_and_hung), TEST(test_restarted_leads_nothing),
          TEST(test_idle_then_gone))
