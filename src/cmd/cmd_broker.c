/* cmd_broker.c - `ticklake broker`: a local Kafka for the pipeline, either the
 * embedded one (librdkafka's mock cluster, memory only) or, with --kafka, a
 * durable single-node Apache Kafka (kafka_server.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "kafka.h"
#include "kafka_admin.h"
#include "kafka_mock.h"
#include "kafka_server.h"
#include "log.h"
#include "pipeline.h"
#include "stages.h"
#include "util.h"

#define KAFKA_READY_TIMEOUT_NS (120 * NS_PER_SEC)
/* The default processor group's indicator state: compacted on a real Kafka. */
#define CHANGELOG_TOPIC GROUP_PROCESS "-changelog"

/* 1 when something accepts TCP connections on 127.0.0.1:port (before that,
 * a Kafka client would only log refused connections). */
static int port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

/* The topics of the pipeline with these intervals (those `run` creates): list
 * (each pointing into names) holds the plain ones; changelog is the default
 * processor group's state topic, compacted on a real Kafka. */
typedef struct broker_topics {
    char names[64][256];
    const char *list[64];
    size_t n;
    char changelog[256];
} broker_topics;

static int pipeline_topics(const cli_command *cmd, const char *intervals, const char *prefix,
                           broker_topics *t)
{
    stage_opts o;
    stage_opts_init(&o);
    if (intervals)
        o.intervals = intervals;
    o.quiet = 1;
    sink_config sc;
    char topic_names[SINK_TOPIC_NAMES][64];
    int rc = stage_sink_config(cmd, &o, &sc, topic_names);
    if (rc)
        return rc;
    static const char *const more[] = {TOPIC_ALERTS_LIVE, TOPIC_DLQ};
    const size_t max = sizeof(t->list) / sizeof(t->list[0]);
    t->n = 0;
    for (size_t i = 0; i < sc.ntopics + sizeof(more) / sizeof(more[0]) && t->n < max; i++) {
        snprintf(t->names[t->n], sizeof(t->names[0]), "%s%s", prefix,
                 i < sc.ntopics ? sc.topics[i] : more[i - sc.ntopics]);
        t->list[t->n] = t->names[t->n];
        t->n++;
    }
    snprintf(t->changelog, sizeof(t->changelog), "%s%s", prefix, CHANGELOG_TOPIC);
    return 0;
}

/* --control: "down ID" and "up ID" lines on stdin take a broker of the
 * embedded cluster down and up again, "fail-commits N" makes the next N
 * offset commits fail as in a rebalance (0: none of those left; fault
 * tests); anything else is
 * refused with a warning. */
typedef struct broker_control {
    char line[256];
    size_t len;
    int eof;
} broker_control;

static void control_line(kafka_mock *m, const char *line)
{
    char verb[16], err[256], addr[64];
    int id, n = 0;
    int ok = sscanf(line, "%15s %d %n", verb, &id, &n) == 2 && line[n] == '\0';
    if (ok && strcmp(verb, "fail-commits") == 0) {
        if (kafka_mock_fail_commits(m, id, err, sizeof(err)) != 0)
            LOG_WARN("broker: control: fail-commits: %s", err);
        else if (id == 0)
            LOG_INFO("broker: offset commits succeed again");
        else
            LOG_INFO("broker: the next %d offset commits fail with ILLEGAL_GENERATION", id);
        return;
    }
    if (!ok || (strcmp(verb, "down") != 0 && strcmp(verb, "up") != 0)) {
        if (*line)
            LOG_WARN("broker: control: '%s': expected 'down ID', 'up ID' or 'fail-commits N'",
                     line);
        return;
    }
    int up = strcmp(verb, "up") == 0;
    if (kafka_mock_broker_set(m, id, up, addr, sizeof(addr), err, sizeof(err)) != 0)
        LOG_WARN("broker: control: %s", err);
    else
        LOG_INFO("broker: broker %d (%s) %s", id, addr,
                 up ? "up again" : "down: connections closed and refused");
}

/* Waits up to timeout_ms for stdin and runs the complete lines read. */
static void control_poll(kafka_mock *m, broker_control *bc, int timeout_ms)
{
    struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
    if (bc->eof || poll(&pfd, 1, timeout_ms) <= 0)
        return;
    char chunk[256];
    ssize_t got = read(STDIN_FILENO, chunk, sizeof(chunk));
    if (got <= 0) {
        bc->eof = 1; /* serve on without commands */
        return;
    }
    for (ssize_t i = 0; i < got; i++) {
        if (chunk[i] == '\n' || bc->len == sizeof(bc->line) - 1) {
            bc->line[bc->len] = '\0';
            if (bc->len && bc->line[bc->len - 1] == '\r')
                bc->line[bc->len - 1] = '\0';
            control_line(m, bc->line);
            bc->len = 0;
        } else {
            bc->line[bc->len++] = chunk[i];
        }
    }
}

static int serve_embedded(int nbrokers, int partitions, const broker_topics *t, int control,
                          stage_control *ctl)
{
    char err[512];
    kafka_mock *m = kafka_mock_new(nbrokers, err, sizeof(err));
    if (!m) {
        fprintf(stderr, "ticklake broker: %s\n", err);
        return 1;
    }
    const char *changelog[] = {t->changelog}; /* the mock ignores topic configs */
    if (kafka_mock_create_topics(m, t->list, t->n, partitions, err, sizeof(err)) != 0 ||
        kafka_mock_create_topics(m, changelog, 1, partitions, err, sizeof(err)) != 0) {
        fprintf(stderr, "ticklake broker: %s\n", err);
        kafka_mock_free(m);
        return 1;
    }
    printf("%s\n", kafka_mock_bootstraps(m));
    fflush(stdout);
    LOG_INFO("broker: embedded broker serving on %s (memory only: about 5 MiB per partition); "
             "Ctrl-C to stop",
             kafka_mock_bootstraps(m));
    broker_control bc = {.eof = !control};
    while (!atomic_load(&ctl->stop)) {
        if (bc.eof)
            sleep_ns(100 * 1000000LL);
        else
            control_poll(m, &bc, 100);
    }
    LOG_INFO("broker: stopping");
    kafka_mock_free(m);
    return 0;
}

static int serve_kafka(const kafka_server_config *kc, const broker_topics *t, stage_control *ctl)
{
    char err[1024], addr[64];
    kafka_server srv;
    if (kafka_server_start(kc, &srv, err, sizeof(err)) != 0) {
        fprintf(stderr, "ticklake broker: %s\n", err);
        return 1;
    }
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", kc->port);
    LOG_INFO("broker: starting Apache Kafka (pid %d) with its data in '%s'; log '%s'", (int)srv.pid,
             kc->data_dir, srv.log_path);
    kafka_opts ko = {.brokers = addr, .connect_timeout_ms = 2000};
    int64_t deadline = mono_ns() + KAFKA_READY_TIMEOUT_NS;
    int ready = 0;
    while (!ready && !atomic_load(&ctl->stop)) {
        if (!kafka_server_alive(&srv)) {
            char tail[1024];
            kafka_server_log_tail(&srv, tail, sizeof(tail));
            fprintf(stderr, "ticklake broker: Kafka exited during start-up (log '%s'): %s\n",
                    srv.log_path, tail);
            return 1;
        }
        if (mono_ns() > deadline) {
            fprintf(stderr, "ticklake broker: Kafka did not answer on %s within %d s (log '%s')\n",
                    addr, (int)(KAFKA_READY_TIMEOUT_NS / NS_PER_SEC), srv.log_path);
            kafka_server_stop(&srv, 15000);
            return 1;
        }
        /* Metadata answers before the controller takes topics: ask for both. */
        ready = port_open(kc->port) && kafka_check(&ko, err, sizeof(err)) == 0 &&
                kafka_ensure_topics(&ko, t->list, 1, kc->partitions, 1, 0, err, sizeof(err)) == 0;
        if (!ready)
            sleep_ns(500 * 1000000LL);
    }
    int rc = 0;
    if (ready) {
        /* Kafka answers; its new partitions may still take seconds to get a
         * ready leader on a loaded machine. The probe's 2 s budget ran out
         * there with librdkafka 2.15.1 (t0019, load average 25; 2.0.2 made
         * it), so the topics get a minute: the wait ends as soon as they are
         * ready. */
        kafka_opts slow = ko;
        slow.connect_timeout_ms = 60000;
        int have = 0;
        if (kafka_ensure_topics(&slow, t->list, t->n, kc->partitions, 1, 0, err, sizeof(err)) !=
                0 ||
            kafka_ensure_compacted_topic(&slow, t->changelog, kc->partitions, 1, 0, &have, err,
                                         sizeof(err)) != 0) {
            fprintf(stderr, "ticklake broker: %s\n", err);
            rc = 1;
        }
    }
    if (ready && rc == 0) {
        printf("%s\n", addr);
        fflush(stdout);
        LOG_INFO("broker: Apache Kafka serving on %s, data kept in '%s'; Ctrl-C to stop", addr,
                 kc->data_dir);
        while (!atomic_load(&ctl->stop) && kafka_server_alive(&srv))
            sleep_ns(100 * 1000000LL);
        if (!atomic_load(&ctl->stop)) {
            char tail[1024];
            kafka_server_log_tail(&srv, tail, sizeof(tail));
            fprintf(stderr, "ticklake broker: Kafka exited (log '%s'): %s\n", srv.log_path, tail);
            rc = 1;
        }
    }
    LOG_INFO("broker: stopping Kafka");
    kafka_server_stop(&srv, 30000);
    return rc;
}

int cmd_broker(int argc, char **argv)
{
    int64_t nbrokers = 1, partitions = 4, port = 9092, cport = 0;
    int verbose = 0, quiet = 0, durable = 0, control = 0;
    const char *intervals = NULL, *prefix = "", *data_dir = NULL, *libs = NULL, *heap = NULL;
    const cli_option options[] = {
        {0, "partitions", CLI_INT, &partitions, "N",
         "partitions of every topic of the pipeline it creates (default 4)"},
        {0, "intervals", CLI_STRING, &intervals, "LIST",
         "bar intervals whose topics it creates (default 1s,1m,5m, as process)"},
        {0, "topic-prefix", CLI_STRING, &prefix, "P", "prefix of every topic name (default none)"},
        {0, "brokers-count", CLI_INT, &nbrokers, "N",
         "embedded: number of brokers in the cluster (default 1)"},
        {0, "control", CLI_FLAG, &control, NULL,
         "embedded: read 'down ID' and 'up ID' lines on stdin, taking broker ID (1 to "
         "--brokers-count) down and up again, and 'fail-commits N', failing the next N offset "
         "commits as in a rebalance (0: none more; fault tests)"},
        {0, "kafka", CLI_FLAG, &durable, NULL,
         "run a durable single-node Apache Kafka (needs Java 17+ and its jars) instead"},
        {0, "data-dir", CLI_STRING, &data_dir, "DIR",
         "--kafka: where it keeps its data (default ~/.local/share/ticklake/kafka)"},
        {0, "port", CLI_INT, &port, "N", "--kafka: client port on 127.0.0.1 (default 9092)"},
        {0, "controller-port", CLI_INT, &cport, "N",
         "--kafka: controller port on 127.0.0.1 (default: --port + 1)"},
        {0, "kafka-libs", CLI_STRING, &libs, "DIR",
         "--kafka: Kafka's jars (default $TICKLAKE_KAFKA_LIBS or the build's .cache)"},
        {0, "heap", CLI_STRING, &heap, "SIZE", "--kafka: the JVM's heap, e.g. 512m (default 1g)"},
        CLI_LOG_OPTIONS(&verbose, &quiet),
        CLI_OPT_END};
    const cli_command cmd = {
        "broker", "ticklake broker [options]",
        "Starts a local Kafka, creates the pipeline's topics, prints the bootstrap\n"
        "address on stdout and serves until interrupted.\n"
        "\n"
        "By default it is the embedded broker (librdkafka's mock cluster): no set-up,\n"
        "memory only, and each partition keeps only about 5 MiB or 100,000 message\n"
        "sets, dropping the oldest. A consumer that falls further behind (or starts\n"
        "after that much was produced) fails and names the offsets lost; nothing is\n"
        "skipped silently. Topics it creates on first use get 4 partitions, so a\n"
        "stage's --partitions other than 4 is refused there: give it here instead.\n"
        "It does not honour transactions (process runs at-least-once there) nor\n"
        "static membership (a restarted --instance-id waits out its session).\n"
        "\n"
        "--kafka runs a real single-node Apache Kafka (KRaft) from the jars the tests\n"
        "use, keeping records, offsets and transactions in --data-dir across\n"
        "restarts: use it for replays of large files and anything worth keeping.",
        options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 0, &npos);
    cli_apply_log(verbose, quiet);
    if (nbrokers < 1 || nbrokers > 16)
        return cli_usage_error(&cmd, "--brokers-count must be between 1 and 16");
    if (partitions < 1 || partitions > 1024)
        return cli_usage_error(&cmd, "--partitions must be between 1 and 1024");
    if (port < 1 || port > 65535 || cport < 0 || cport > 65535 || (!cport && port == 65535))
        return cli_usage_error(&cmd, "--port and --controller-port must be between 1 and 65535");
    if (!durable && (data_dir || libs || heap || cport))
        return cli_usage_error(&cmd, "--data-dir, --kafka-libs, --heap and --controller-port "
                                     "need --kafka");
    if (durable && control)
        return cli_usage_error(&cmd, "--control is for the embedded broker");
    if (durable && nbrokers != 1)
        return cli_usage_error(&cmd, "--brokers-count is for the embedded broker; --kafka runs "
                                     "one node");

    static broker_topics topics;
    int rc = pipeline_topics(&cmd, intervals, prefix, &topics);
    if (rc)
        return rc;

    stage_control ctl = {0};
    cli_handle_signals(&ctl);
    if (!durable)
        return serve_embedded((int)nbrokers, (int)partitions, &topics, control, &ctl);

    char dflt[4096];
    if (!data_dir) {
        const char *home = getenv("HOME");
        snprintf(dflt, sizeof(dflt), "%s/.local/share/ticklake/kafka", home && *home ? home : ".");
        data_dir = dflt;
    }
    kafka_server_config kc = {.data_dir = data_dir,
                              .libs = libs ? libs : kafka_server_default_libs(),
                              .port = (int)port,
                              .controller_port = cport ? (int)cport : (int)port + 1,
                              .partitions = (int)partitions,
                              .heap = heap};
    return serve_kafka(&kc, &topics, &ctl);
}
