/* cmd_broker.c - `ticklake broker`: an embedded Kafka-protocol broker. */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "kafka.h"
#include "log.h"
#include "pipeline.h"
#include "util.h"

int cmd_broker(int argc, char **argv)
{
    int64_t nbrokers = 1, partitions = 4;
    int verbose = 0, quiet = 0;
    const cli_option options[] = {{0, "brokers-count", CLI_INT, &nbrokers, "N",
                                   "number of brokers in the cluster (default 1)"},
                                  {0, "partitions", CLI_INT, &partitions, "N",
                                   "partitions of the standard topics it creates (default 4)"},
                                  CLI_LOG_OPTIONS(&verbose, &quiet),
                                  CLI_OPT_END};
    const cli_command cmd = {
        "broker", "ticklake broker [options]",
        "Starts librdkafka's mock cluster on loopback, creates the standard topics,\n"
        "prints the bootstrap address on stdout and serves until interrupted. Memory only:\n"
        "for local use and tests, not for durability.",
        options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 0, &npos);
    cli_apply_log(verbose, quiet);
    if (nbrokers < 1 || nbrokers > 16)
        return cli_usage_error(&cmd, "--brokers-count must be between 1 and 16");
    if (partitions < 1 || partitions > 1024)
        return cli_usage_error(&cmd, "--partitions must be between 1 and 1024");

    stage_control ctl = {0};
    cli_handle_signals(&ctl);
    char err[512];
    kafka_mock *m = kafka_mock_new((int)nbrokers, err, sizeof(err));
    if (!m) {
        fprintf(stderr, "ticklake broker: %s\n", err);
        return 1;
    }
    static const char *const standard[] = {TOPIC_TRADES, "bars.1s", "bars.1m", "bars.5m"};
    for (size_t i = 0; i < sizeof(standard) / sizeof(standard[0]); i++) {
        if (kafka_mock_create_topic(m, standard[i], (int)partitions, err, sizeof(err)) != 0) {
            fprintf(stderr, "ticklake broker: %s\n", err);
            kafka_mock_free(m);
            return 1;
        }
    }
    printf("%s\n", kafka_mock_bootstraps(m));
    fflush(stdout);
    LOG_INFO("broker: serving on %s; Ctrl-C to stop", kafka_mock_bootstraps(m));
    while (!atomic_load(&ctl.stop))
        sleep_ns(100 * 1000000LL);
    LOG_INFO("broker: stopping");
    kafka_mock_free(m);
    return 0;
}
