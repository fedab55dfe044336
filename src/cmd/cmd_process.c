/* cmd_process.c - `ticklake process`: trades -> OHLCV bars consumer group. */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "stages.h"

typedef struct process_job {
    process_config cfg;
    stage_control ctl;
    pipeline_stats st;
    char err[512];
} process_job;

static int process_main(void *arg)
{
    process_job *j = arg;
    return process_run(&j->cfg, &j->ctl, &j->st, j->err, sizeof(j->err));
}

int cmd_process(int argc, char **argv)
{
    stage_opts o;
    stage_opts_init(&o);
    const char *group = GROUP_PROCESS;
    int drain = 0;
    const cli_option options[] = {
        CLI_KAFKA_OPTIONS(&o.kafka),
        {'g', "group", CLI_STRING, &group, "ID", "consumer group (default " GROUP_PROCESS ")"},
        STAGE_PROCESS_OPTIONS(&o),
        STAGE_TOPIC_OPTIONS(&o),
        {0, "duration", CLI_DURATION, &o.duration, "DUR",
         "stop after this long (default: until interrupted)"},
        {0, "drain", CLI_FLAG, &drain, NULL,
         "stop once every assigned partition is read to its end (batch runs, benchmarks)"},
        CLI_LOG_OPTIONS(&o.verbose, &o.quiet),
        CLI_OPT_END};
    const cli_command cmd = {
        "process", "ticklake process --brokers LIST [options]",
        "Consumes trades and publishes OHLCV bars with VWAP and trade count to\n"
        "bars.<interval>, in event time. Start more instances with the same group to\n"
        "share the partitions.",
        options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 0, &npos);
    cli_apply_log(o.verbose, o.quiet);
    process_job *j = calloc(1, sizeof(*j));
    int rc = stage_process_config(&cmd, &o, &j->cfg);
    if (rc) {
        free(j);
        return rc;
    }
    if (!j->cfg.kafka.brokers) {
        free(j);
        return cli_usage_error(&cmd, "--brokers is required (or set TICKLAKE_BROKERS)");
    }
    j->cfg.group = group;
    atomic_store(&j->ctl.drain, drain);
    rc = stage_run_supervised(process_main, j, &j->ctl, o.duration);
    fprintf(stderr, "ticklake process: %lld trades, %lld bars, %lld late, %lld bad records\n",
            (long long)j->st.trades_processed, (long long)j->st.bars_emitted,
            (long long)j->st.trades_late, (long long)j->st.bad_records);
    if (rc != 0)
        fprintf(stderr, "ticklake process: %s\n", j->err);
    free(j);
    return rc == 0 ? 0 : 1;
}
