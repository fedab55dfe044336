/* cmd_run.c - `ticklake run`: the whole pipeline in one process.
 *
 * Starts the embedded broker unless --brokers is given, then ingest, process
 * and sink on their own threads, and prints a status line every few seconds.
 * Shutdown (after --duration, or on SIGINT/SIGTERM) goes stage by stage so
 * nothing Kafka acknowledged is lost: ingest stops and flushes; process reads
 * the trades to their end and delivers its bars; sink reads every topic to its
 * end and writes its files. A second signal exits at once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "kafka.h"
#include "log.h"
#include "stages.h"
#include "util.h"

#define DRAIN_TIMEOUT_NS (60 * NS_PER_SEC)

typedef struct run_job {
    ingest_config icfg;
    char trades_topic[160], quotes_topic[160];
    process_config pcfg;
    sink_config scfg;
    char topic_names[SINK_TOPIC_NAMES][64];
    stage_control ictl, pctl, sctl;
    pipeline_stats st;
    ingest_result ires;
    int irc, prc, src;
    atomic_int idone, pdone, sdone;
    char ierr[512], perr[512], serr[512];
} run_job;

static void *ingest_thread(void *arg)
{
    run_job *j = arg;
    j->irc = ingest_run(&j->icfg, &j->ictl, &j->st, &j->ires, j->ierr, sizeof(j->ierr));
    atomic_store(&j->idone, 1);
    return NULL;
}

static void *process_thread(void *arg)
{
    run_job *j = arg;
    j->prc = process_run(&j->pcfg, &j->pctl, &j->st, j->perr, sizeof(j->perr));
    atomic_store(&j->pdone, 1);
    return NULL;
}

static void *sink_thread(void *arg)
{
    run_job *j = arg;
    j->src = sink_run(&j->scfg, &j->sctl, &j->st, j->serr, sizeof(j->serr));
    atomic_store(&j->sdone, 1);
    return NULL;
}

static void print_status(run_job *j, int64_t *last_ticks, int64_t *last_ns)
{
    int64_t now = mono_ns();
    int64_t ticks = atomic_load(&j->st.ticks_produced);
    double secs = (double)(now - *last_ns) / 1e9;
    double rate = secs > 0 ? (double)(ticks - *last_ticks) / secs : 0;
    fprintf(stderr,
            "ticks in %.0f/s (%lld) | bars out %lld | lake rows %lld in %lld files | "
            "lag process %lld, sink %lld | late %lld | bad %lld\n",
            rate, (long long)ticks, (long long)atomic_load(&j->st.bars_emitted),
            (long long)atomic_load(&j->st.lake_rows), (long long)atomic_load(&j->st.lake_files),
            (long long)atomic_load(&j->st.process_lag), (long long)atomic_load(&j->st.sink_lag),
            (long long)atomic_load(&j->st.trades_late), (long long)atomic_load(&j->st.bad_records));
    *last_ticks = ticks;
    *last_ns = now;
}

/* Waits for a stage to finish: asks it to drain, and stops it if it has not
 * finished within the drain timeout or a signal arrives. */
static void finish_stage(stage_control *ctl, atomic_int *done, const char *name)
{
    atomic_store(&ctl->drain, 1);
    int64_t deadline = mono_ns() + DRAIN_TIMEOUT_NS;
    int warned = 0;
    while (!atomic_load(done)) {
        if (mono_ns() >= deadline && !warned) {
            LOG_WARN("run: %s did not drain within %lld s; stopping it", name,
                     (long long)(DRAIN_TIMEOUT_NS / NS_PER_SEC));
            atomic_store(&ctl->stop, 1);
            warned = 1;
        }
        sleep_ns(20 * 1000000LL);
    }
}

int cmd_run(int argc, char **argv)
{
    stage_opts o;
    stage_opts_init(&o);
    int64_t status_every = 5 * NS_PER_SEC;
    const cli_option options[] = {CLI_KAFKA_OPTIONS(&o.kafka),
                                  STAGE_SINK_OPTIONS(&o),
                                  STAGE_INGEST_OPTIONS(&o),
                                  STAGE_PROCESS_OPTIONS(&o),
                                  STAGE_TOPIC_OPTIONS(&o),
                                  {'d', "duration", CLI_DURATION, &o.duration, "DUR",
                                   "stop by itself after this long (default: until Ctrl-C)"},
                                  {0, "status-interval", CLI_DURATION, &status_every, "DUR",
                                   "how often to print the status line (default 5s)"},
                                  CLI_LOG_OPTIONS(&o.verbose, &o.quiet),
                                  CLI_OPT_END};
    const cli_command cmd = {
        "run", "ticklake run [options]",
        "Runs the whole pipeline: the market simulator publishes trades to Kafka,\n"
        "the processor turns them into bars, the sink lands both in the lake. Without\n"
        "--brokers it uses an embedded broker. Ctrl-C or SIGTERM shuts down cleanly;\n"
        "then 'ticklake crawl' and 'ticklake query' work on the lake.",
        options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 0, &npos);
    cli_apply_log(o.verbose, o.quiet);
    if (status_every <= 0)
        return cli_usage_error(&cmd, "--status-interval must be positive");

    run_job *j = calloc(1, sizeof(*j));
    int rc = stage_ingest_config(&cmd, &o, &j->icfg, j->trades_topic, j->quotes_topic);
    if (!rc)
        rc = stage_process_config(&cmd, &o, &j->pcfg);
    if (!rc)
        rc = stage_sink_config(&cmd, &o, &j->scfg, j->topic_names);
    if (rc) {
        free(j);
        return rc;
    }

    stage_control main_ctl = {0};
    cli_handle_signals(&main_ctl);
    char err[512];
    kafka_mock *mock = NULL;
    if (!j->icfg.kafka.brokers) {
        mock = kafka_mock_new(1, err, sizeof(err));
        if (!mock) {
            fprintf(stderr, "ticklake run: %s\n", err);
            free(j);
            return 1;
        }
        char names[SINK_MAX_TOPICS][256];
        const char *topics[SINK_MAX_TOPICS];
        for (size_t i = 0; i < j->scfg.ntopics; i++) {
            snprintf(names[i], sizeof(names[i]), "%s%s", o.topic_prefix, j->scfg.topics[i]);
            topics[i] = names[i];
        }
        if (kafka_mock_create_topics(mock, topics, j->scfg.ntopics, (int)o.partitions, err,
                                     sizeof(err)) != 0) {
            fprintf(stderr, "ticklake run: %s\n", err);
            kafka_mock_free(mock);
            free(j);
            return 1;
        }
        const char *bs = kafka_mock_bootstraps(mock);
        j->icfg.kafka.brokers = j->pcfg.kafka.brokers = j->scfg.kafka.brokers = bs;
        LOG_INFO("run: embedded broker at %s", bs);
    }
    /* Fail fast, with the address, if the cluster is not there. */
    if (kafka_check(&j->icfg.kafka, err, sizeof(err)) != 0) {
        fprintf(stderr, "ticklake run: %s\n", err);
        kafka_mock_free(mock);
        free(j);
        return 1;
    }
    LOG_INFO("run: lake at '%s'; %s", j->scfg.lake,
             o.duration ? "stopping after --duration" : "Ctrl-C to stop");

    pthread_t it, pt, st;
    pthread_create(&st, NULL, sink_thread, j);
    pthread_create(&pt, NULL, process_thread, j);
    pthread_create(&it, NULL, ingest_thread, j);

    int64_t start = mono_ns();
    int64_t deadline = o.duration > 0 ? start + o.duration : 0;
    int64_t next_status = start + status_every;
    int64_t last_ticks = 0, last_ns = start;
    while (!atomic_load(&main_ctl.stop)) {
        int64_t now = mono_ns();
        if (deadline && now >= deadline)
            break;
        /* A stage that ends by itself early has failed (or ingest hit --count). */
        if (atomic_load(&j->pdone) || atomic_load(&j->sdone))
            break;
        /* Ingest ended: failed, or reached --count with no --duration to wait for. */
        if (atomic_load(&j->idone) && (j->irc != 0 || !deadline))
            break;
        if (now >= next_status) {
            print_status(j, &last_ticks, &last_ns);
            next_status = now + status_every;
        }
        sleep_ns(20 * 1000000LL);
    }
    LOG_INFO("run: shutting down: stopping ingest, then draining process and sink");
    atomic_store(&j->ictl.stop, 1);
    pthread_join(it, NULL);
    finish_stage(&j->pctl, &j->pdone, "process");
    pthread_join(pt, NULL);
    finish_stage(&j->sctl, &j->sdone, "sink");
    pthread_join(st, NULL);
    print_status(j, &last_ticks, &last_ns);

    int failed = 0;
    if (j->irc) {
        fprintf(stderr, "ticklake run: ingest: %s\n", j->ierr);
        failed = 1;
    }
    if (j->prc) {
        fprintf(stderr, "ticklake run: process: %s\n", j->perr);
        failed = 1;
    }
    if (j->src) {
        fprintf(stderr, "ticklake run: sink: %s\n", j->serr);
        failed = 1;
    }
    fprintf(stderr,
            "ticklake run: %lld ticks delivered, %lld bars, %lld rows in %lld lake files under "
            "'%s'\n",
            (long long)j->ires.delivered, (long long)atomic_load(&j->st.bars_emitted),
            (long long)atomic_load(&j->st.lake_rows), (long long)atomic_load(&j->st.lake_files),
            j->scfg.lake);
    kafka_mock_free(mock);
    free(j);
    return failed ? 1 : 0;
}
