/* cmd_sink.c - `ticklake sink`: Kafka -> Parquet lake consumer group. */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "stages.h"

typedef struct sink_job {
    sink_config cfg;
    char topic_names[SINK_TOPIC_NAMES][64];
    stage_control ctl;
    pipeline_stats st;
    char err[512];
} sink_job;

static int sink_main(void *arg)
{
    sink_job *j = arg;
    return sink_run(&j->cfg, &j->ctl, &j->st, j->err, sizeof(j->err));
}

int cmd_sink(int argc, char **argv)
{
    stage_opts o;
    stage_opts_init(&o);
    const char *group = GROUP_SINK;
    int drain = 0;
    /* No default: two sinks of a group with one id would fence each other. */
    o.instance_id = NULL;
    const cli_option options[] = {
        CLI_KAFKA_OPTIONS(&o.kafka),
        {'g', "group", CLI_STRING, &group, "ID", "consumer group (default " GROUP_SINK ")"},
        {0, "instance-id", CLI_STRING, &o.instance_id, "ID",
         "this sink's stable id in its group (static membership: restarted, it takes its "
         "partitions back at once); each sink its own (default none)"},
        STAGE_SINK_OPTIONS(&o, "60s"),
        {0, "intervals", CLI_STRING, &o.intervals, "LIST",
         "bar intervals whose topics to land (default 1s,1m,5m)"},
        {0, "sma", CLI_STRING, &o.sma, "LIST",
         "the processor's SMA periods: sma_<p> columns of the indicators tables (default 20,50)"},
        {0, "ema", CLI_STRING, &o.ema, "LIST",
         "the processor's EMA periods: ema_<p> columns (default 12,26)"},
        STAGE_TOPIC_OPTIONS(&o),
        {0, "duration", CLI_DURATION, &o.duration, "DUR",
         "stop after this long (default: until interrupted)"},
        {0, "drain", CLI_FLAG, &drain, NULL,
         "stop once every input partition is read to its end and written (batch loads)"},
        CLI_LOG_OPTIONS(&o.verbose, &o.quiet),
        CLI_OPT_END};
    const cli_command cmd = {
        "sink", "ticklake sink --brokers LIST [options]",
        "Lands trades and bars in the lake as ZSTD Parquet, partitioned by date,\n"
        "committing Kafka offsets only after each file is durable.",
        options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 0, &npos);
    cli_apply_log(o.verbose, o.quiet);
    sink_job *j = calloc(1, sizeof(*j));
    int rc = stage_sink_config(&cmd, &o, &j->cfg, j->topic_names);
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
    rc = stage_run_supervised(sink_main, j, &j->ctl, o.duration);
    fprintf(stderr, "ticklake sink: %lld rows in %lld files (%lld bytes), %lld bad records",
            (long long)j->st.lake_rows, (long long)j->st.lake_files, (long long)j->st.lake_bytes,
            (long long)j->st.bad_records);
    if (j->st.lake_disk_full)
        fprintf(stderr, ", %lld writes retried on a full disk", (long long)j->st.lake_disk_full);
    fputc('\n', stderr);
    if (rc != 0)
        fprintf(stderr, "ticklake sink: %s\n", j->err);
    free(j);
    return rc == 0 ? 0 : 1;
}
