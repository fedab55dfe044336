/* cmd_ingest.c - `ticklake ingest`: publish simulated ticks to Kafka. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "stages.h"
#include "util.h"

typedef struct ingest_job {
    ingest_config cfg;
    char topic[160];
    stage_control ctl;
    pipeline_stats st;
    ingest_result res;
    char err[512];
} ingest_job;

static int ingest_main(void *arg)
{
    ingest_job *j = arg;
    return ingest_run(&j->cfg, &j->ctl, &j->st, &j->res, j->err, sizeof(j->err));
}

int cmd_ingest(int argc, char **argv)
{
    stage_opts o;
    stage_opts_init(&o);
    const char *source = "sim";
    const cli_option options[] = {CLI_KAFKA_OPTIONS(&o.kafka),
                                  {0, "source", CLI_STRING, &source, "NAME",
                                   "where ticks come from: sim (default)"},
                                  STAGE_INGEST_OPTIONS(&o),
                                  STAGE_TOPIC_OPTIONS(&o),
                                  {0, "duration", CLI_DURATION, &o.duration, "DUR",
                                   "stop after this long (default: until interrupted)"},
                                  CLI_LOG_OPTIONS(&o.verbose, &o.quiet),
                                  CLI_OPT_END};
    const cli_command cmd = {
        "ingest", "ticklake ingest --brokers LIST [options]",
        "Publishes trades to Kafka, keyed by symbol, with an idempotent producer.\n"
        "Exits 0 only if every trade generated was delivered; on SIGINT or SIGTERM it\n"
        "stops generating, flushes and reports.",
        options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 0, &npos);
    cli_apply_log(o.verbose, o.quiet);
    if (strcmp(source, "sim") != 0)
        return cli_usage_error(&cmd, "unknown --source '%s' (known: sim)", source);
    ingest_job *j = calloc(1, sizeof(*j));
    int rc = stage_ingest_config(&cmd, &o, &j->cfg, j->topic);
    if (rc) {
        free(j);
        return rc;
    }
    if (!j->cfg.kafka.brokers) {
        free(j);
        return cli_usage_error(&cmd, "--brokers is required (or set TICKLAKE_BROKERS)");
    }
    rc = stage_run_supervised(ingest_main, j, &j->ctl, o.duration);
    fprintf(stderr, "ticklake ingest: %lld generated, %lld delivered, %lld failed\n",
            (long long)j->res.generated, (long long)j->res.delivered, (long long)j->res.failed);
    if (rc != 0)
        fprintf(stderr, "ticklake ingest: %s\n", j->err);
    free(j);
    return rc == 0 ? 0 : 1;
}
