/* cmd_run.c - `ticklake run`: the whole pipeline in one process.
 *
 * Starts the embedded broker unless --brokers is given, then ingest, process
 * and sink on their own threads, and prints a status line every few seconds.
 * Shutdown (after --duration, or on SIGINT/SIGTERM) goes stage by stage so
 * nothing Kafka acknowledged is lost: ingest stops and flushes; process reads
 * the trades to their end and delivers its bars; sink reads every topic to its
 * end and writes its files. A second signal exits at once.
 *
 * The first minute: with a local lake, run rolls the sink's files every
 * RUN_ROLL_INTERVAL (the sink's own default is 60 s), so a second terminal
 * can crawl and query within seconds of the start, and the status line says
 * when the next files are due. The many small files that makes are merged
 * on a thread of their own every --compact-interval by compact.c, as
 * `ticklake compact` merges them (safe for ticklake's readers and for the
 * sink running beside it; compact.h), except that it does not wait out the
 * grace period: each pass deletes the inputs of earlier passes whose grace
 * has passed. An S3 lake keeps the sink's defaults and is not compacted:
 * only a lock file on a local lake keeps two compactions of a table apart. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog_crawl.h"
#include "commands.h"
#include "compact.h"
#include "engine.h"
#include "kafka.h"
#include "kafka_health.h"
#include "kafka_mock.h"
#include "lakepath.h"
#include "log.h"
#include "serve.h"
#include "stages.h"
#include "storage.h"
#include "util.h"

#define DRAIN_TIMEOUT_NS (60 * NS_PER_SEC)
#define RUN_ROLL_INTERVAL (5 * NS_PER_SEC)

typedef struct run_job {
    ingest_config icfg;
    int feed; /* --source names live feeds: fcfg instead of icfg */
    feed_ingest_config fcfg;
    feed_ingest_result fres;
    feed_rate_memo fmemo;
    const char *fsyms[FEED_MAX_SYMBOLS];
    char fsymbuf[8192];
    char trades_topic[160], quotes_topic[160];
    process_config pcfg;
    const char **pcfg_props; /* pcfg.kafka's properties, when run made them */
    sink_config scfg;
    char topic_names[SINK_TOPIC_NAMES][64];
    stage_control ictl, pctl, sctl;
    pipeline_stats st;
    ingest_result ires;
    int irc, prc, src;
    atomic_int idone, pdone, sdone;
    char ierr[512], perr[512], serr[512];
    int no_trades;   /* --source names REST sources only: no trade ingest */
    int wait_joined; /* the embedded broker: producers wait for process and sink to join */
    atomic_llong ingest_start; /* mono_ns when ingest began producing; 0 before */
    char incarnation[32];      /* the embedded broker's start, in the sink's file names */
    /* REST polling (--source finnhub-quote, alphavantage): one poller each,
     * with stats of their own (a poller's delivered count is its own). */
    size_t nrest;
    struct run_rest {
        rest_poll_config cfg;
        rest_poll_result res;
        pipeline_stats st;
        const char *syms[FEED_MAX_SYMBOLS];
        char symbuf[8192], topic[160], name[16], err[512];
        stage_control *ctl;
        int rc;
        atomic_int done;
    } rest[2];
    stage_control rctl;
    /* Compaction of a local lake: every compact_every (0: never) until cstop. */
    int64_t compact_every;
    atomic_int cstop;
    atomic_llong compact_in, compact_out, compact_removed;
} run_job;

/* The embedded broker keeps about 5 MiB per partition and drops the oldest
 * records. Its first group join takes about 3 s; a producer that started at
 * once had put 3 s of ticks (about 95,000 a partition at 100,000 ticks/s) in
 * it before process and sink read any, and on a busy machine the consumers
 * could not catch up before the oldest went: the run stopped with records
 * lost. Producers start once both stages have their partitions (the sink's
 * and the processor's consumers join at the same time), or after
 * JOIN_WAIT_NS, or when the run stops. */
#define JOIN_WAIT_NS (60 * NS_PER_SEC)
static void wait_joined(run_job *j)
{
    if (!j->wait_joined)
        return;
    int64_t t0 = mono_ns();
    while (!atomic_load(&j->ictl.stop) && !atomic_load(&j->pdone) && !atomic_load(&j->sdone)) {
        if (atomic_load(&j->st.process_joined) && atomic_load(&j->st.sink_joined)) {
            LOG_INFO("run: ingest starts: process and sink joined their groups in %lld ms",
                     (long long)((mono_ns() - t0) / 1000000));
            return;
        }
        if (mono_ns() - t0 >= JOIN_WAIT_NS) {
            LOG_WARN("run: ingest starts although process and sink have not joined their groups "
                     "after %lld s",
                     (long long)(JOIN_WAIT_NS / NS_PER_SEC));
            return;
        }
        sleep_ns(10 * 1000000LL);
    }
}

static void *ingest_thread(void *arg)
{
    run_job *j = arg;
    /* a name for top -H and perf; threads it starts inherit it */
    pthread_setname_np(pthread_self(), "tl-ingest");
    wait_joined(j);
    atomic_store(&j->ingest_start, mono_ns()); /* --duration counts from here */
    if (j->feed)
        j->irc = feed_ingest_run(&j->fcfg, &j->ictl, &j->st, &j->fres, j->ierr, sizeof(j->ierr));
    else
        j->irc = ingest_run(&j->icfg, &j->ictl, &j->st, &j->ires, j->ierr, sizeof(j->ierr));
    atomic_store(&j->idone, 1);
    return NULL;
}

static void *rest_thread(void *arg)
{
    struct run_rest *r = arg;
    r->rc = rest_poll_run(&r->cfg, r->ctl, &r->st, &r->res, r->err, sizeof(r->err));
    atomic_store(&r->done, 1);
    return NULL;
}

static void alert_to_console(void *web, const char *symbol, const char *json, size_t len)
{
    serve_alert(web, symbol, json, len);
}

static void *process_thread(void *arg)
{
    run_job *j = arg;
    pthread_setname_np(pthread_self(), "tl-process");
    j->prc = process_run(&j->pcfg, &j->pctl, &j->st, j->perr, sizeof(j->perr));
    atomic_store(&j->pdone, 1);
    return NULL;
}

static void *sink_thread(void *arg)
{
    run_job *j = arg;
    pthread_setname_np(pthread_self(), "tl-sink");
    j->src = sink_run(&j->scfg, &j->sctl, &j->st, j->serr, sizeof(j->serr));
    atomic_store(&j->sdone, 1);
    return NULL;
}

/* One pass over the tables the sink writes that exist in the local lake dir:
 * merge small files, delete inputs of earlier passes past their grace. Then
 * a crawl, when something changed and the lake has a catalog, so the catalog
 * knows the merged files before their inputs go (a failed crawl, e.g. while
 * the user crawls, is tried again after the next pass). */
static void compact_pass(run_job *j, const char *dir, int *crawl_due)
{
    char tables[SINK_MAX_TOPICS][64];
    size_t ntables = 0;
    for (size_t i = 0; i < j->scfg.ntopics && !atomic_load(&j->cstop); i++) {
        char name[64];
        if (lake_table_for_topic(j->scfg.topics[i], name, sizeof(name)) != 0)
            continue;
        size_t k = 0;
        while (k < ntables && strcmp(tables[k], name) != 0)
            k++;
        if (k < ntables)
            continue;
        strlcpy_tl(tables[ntables++], name, sizeof(tables[0]));
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
            continue; /* nothing landed: compact_run would make the folder */
        compact_opts o = {.lake = dir,
                          .table = name,
                          .grace_ns = -1,
                          .cancel = &j->cstop,
                          .defer_deletes = 1,
                          .no_crawl = 1,
                          .quiet = 1};
        compact_stats cs;
        char err[512];
        if (compact_run(&o, &cs, err, sizeof(err)) != 0) {
            if (!atomic_load(&j->cstop))
                LOG_WARN("run: compacting '%s': %s", name, err);
            continue;
        }
        atomic_fetch_add(&j->compact_in, cs.files_in);
        atomic_fetch_add(&j->compact_out, cs.files_out);
        atomic_fetch_add(&j->compact_removed, cs.files_removed);
        if (cs.files_out || cs.files_removed)
            *crawl_due = 1;
    }
    char cat[4096];
    snprintf(cat, sizeof(cat), "%s/_catalog/catalog.json", dir);
    if (!*crawl_due || atomic_load(&j->cstop) || access(cat, F_OK) != 0)
        return;
    char err[512];
    engine *e = engine_open(NULL, 1, err, sizeof(err));
    catalog_crawl_opts co = {.on_change = CATALOG_CHANGE_UPDATE,
                             .on_delete = CATALOG_DELETE_DEPRECATE};
    if (e && catalog_crawl_ext(e, dir, &co, NULL, err, sizeof(err)) == 0)
        *crawl_due = 0;
    else
        LOG_DEBUG("run: crawl after compaction: %s (again after the next pass)", err);
    engine_close(e);
}

static void *compact_thread(void *arg)
{
    run_job *j = arg;
    pthread_setname_np(pthread_self(), "tl-compact");
    char err[512];
    storage *lake = NULL;
    if (storage_open(&lake, j->scfg.lake, NULL, err, sizeof(err)) != 0) {
        LOG_WARN("run: no compaction: %s", err);
        return NULL;
    }
    int crawl_due = 0;
    int64_t next = mono_ns() + j->compact_every;
    while (!atomic_load(&j->cstop)) {
        if (mono_ns() < next) {
            sleep_ns(100 * 1000000LL);
            continue;
        }
        compact_pass(j, storage_local_dir(lake), &crawl_due);
        /* From the end of a pass, so the inputs it merged are past their
         * grace (60 s) when the next pass starts, at the default interval. */
        next = mono_ns() + j->compact_every;
    }
    storage_free(lake);
    return NULL;
}

static void print_status(run_job *j, int64_t *last_ticks, int64_t *last_ns)
{
    int64_t now = mono_ns();
    int64_t ticks = atomic_load(&j->st.ticks_produced);
    double secs = (double)(now - *last_ns) / 1e9;
    double rate = secs > 0 ? (double)(ticks - *last_ticks) / secs : 0;
    /* When the next files are due by the roll interval (they may come sooner, by size). */
    char next[64] = "";
    int64_t due = atomic_load(&j->st.sink_next_roll);
    if (due > 0)
        snprintf(next, sizeof(next), ", next in %llds",
                 (long long)(due > now ? (due - now + NS_PER_SEC - 1) / NS_PER_SEC : 0));
    /* The brokers the stages' clients know of, and the ones they lost. */
    kafka_health_snapshot hs;
    kafka_health_get(&hs);
    char brokers[512];
    kafka_health_format(&hs, now_ns() / 1000000, brokers, sizeof(brokers));
    fprintf(stderr,
            "ticks in %.0f/s (%lld) | bars out %lld | lake rows %lld in %lld files%s | "
            "lag process %lld (max %lld), sink %lld (max %lld) | late %lld | bad %lld%s%s\n",
            rate, (long long)ticks, (long long)atomic_load(&j->st.bars_emitted),
            (long long)atomic_load(&j->st.lake_rows), (long long)atomic_load(&j->st.lake_files),
            next, (long long)atomic_load(&j->st.process_lag),
            (long long)atomic_load(&j->st.process_lag_max), (long long)atomic_load(&j->st.sink_lag),
            (long long)atomic_load(&j->st.sink_lag_max), (long long)atomic_load(&j->st.trades_late),
            (long long)atomic_load(&j->st.bad_records), brokers[0] ? " | " : "", brokers);
    for (size_t i = 0; i < j->nrest; i++)
        fprintf(stderr, "rest %s: %lld records delivered to %s\n", j->rest[i].name,
                (long long)atomic_load(&j->rest[i].st.ticks_produced), j->rest[i].topic);
    if (j->feed) {
        char line[2048];
        feed_status_lines(&j->fcfg, &j->fres, &j->fmemo, line, sizeof(line));
        fprintf(stderr, "feeds: %s\n", line);
    }
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
    /* -1: not given; then by the lake (see the top of this file). */
    o.roll_interval = -1;
    int64_t compact_every = 60 * NS_PER_SEC;
    const char *listen = "127.0.0.1:8080", *token = NULL, *query_memory = "2GB",
               *query_spill = "10GB";
    int no_serve = 0;
    const char *source = "sim";
    const cli_option options[] = {
        CLI_KAFKA_OPTIONS(&o.kafka),
        {0, "source", CLI_STRING, &source, "sim|FEED,...",
         "where trades come from: the simulator (default) or live "
         "feeds, e.g. coinbase,kraken with --symbols BTC-USD,ETH-USD; and REST polling "
         "(finnhub-quote, alphavantage) into snapshots and bars_rest"},
        STAGE_FEED_OPTIONS(&o),
        STAGE_REST_OPTIONS(&o),
        STAGE_SINK_OPTIONS(&o, "5s for a local lake, else 60s"),
        STAGE_INGEST_OPTIONS(&o),
        STAGE_PROCESS_OPTIONS(&o),
        STAGE_TOPIC_OPTIONS(&o),
        {'d', "duration", CLI_DURATION, &o.duration, "DUR",
         "stop by itself after trading this long, counted from the first tick (default: until "
         "Ctrl-C)"},
        {0, "status-interval", CLI_DURATION, &status_every, "DUR",
         "how often to print the status line (default 5s)"},
        {0, "compact-interval", CLI_DURATION, &compact_every, "DUR",
         "merge a local lake's small files every DUR while running "
         "(default 1m; 0: never)"},
        {0, "listen", CLI_STRING, &listen, "HOST:PORT",
         "serve the web console and API here, as `ticklake serve` "
         "(default 127.0.0.1:8080; port 0 picks one)"},
        {0, "token", CLI_STRING, &token, "T",
         "the console's access token (default $TICKLAKE_TOKEN)"},
        {0, "query-memory", CLI_STRING, &query_memory, "SIZE",
         "the memory of each of the console's SQL sessions, as `ticklake serve` (default 2GB)"},
        {0, "query-spill", CLI_STRING, &query_spill, "SIZE",
         "what each of the console's SQL sessions may spill to disk, as `ticklake serve` "
         "(default 10GB)"},
        {0, "no-serve", CLI_FLAG, &no_serve, NULL, "do not serve the console"},
        CLI_LOG_OPTIONS(&o.verbose, &o.quiet),
        CLI_OPT_END};
    const cli_command cmd = {
        "run", "ticklake run [options]",
        "Runs the whole pipeline: the market simulator publishes trades to Kafka,\n"
        "the processor turns them into bars, the sink lands both in the lake. Without\n"
        "--brokers it uses an embedded broker: memory only, each partition keeps about\n"
        "5 MiB and drops the oldest (a stage that falls that far behind stops and names\n"
        "the offsets lost; for more, `ticklake broker --kafka` and --brokers). Ctrl-C or\n"
        "SIGTERM shuts down cleanly; then 'ticklake crawl' and 'ticklake query' work on\n"
        "the lake. With --source coinbase (binance, kraken, finnhub, alpaca, polygon,\n"
        "several comma-separated) and --symbols LIST, live trades replace the\n"
        "simulator (docs/FEEDS.md) and the status line adds a line per source.\n"
        "REST sources (finnhub-quote, alphavantage; alone, or beside the trades'\n"
        "source) poll into the snapshots and bars_rest tables.",
        options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 0, &npos);
    cli_apply_log(o.verbose, o.quiet);
    if (status_every <= 0)
        return cli_usage_error(&cmd, "--status-interval must be positive");
    int64_t query_bytes;
    if (parse_size(query_memory, &query_bytes) != 0 || query_bytes < 16 * 1000 * 1000)
        return cli_usage_error(&cmd, "--query-memory: a size of 16MB or more, e.g. 2GB");
    int64_t spill_bytes;
    if (parse_size(query_spill, &spill_bytes) != 0 || spill_bytes < 1000 * 1000)
        return cli_usage_error(&cmd, "--query-spill: a size of 1MB or more, e.g. 10GB");
    int local_lake = strncmp(o.lake, "s3://", 5) != 0;
    if (o.roll_interval < 0)
        o.roll_interval = local_lake ? RUN_ROLL_INTERVAL : 60 * NS_PER_SEC;

    run_job *j = calloc(1, sizeof(*j));
    j->compact_every = local_lake ? compact_every : 0;
    int rc = 0;
    /* --source: REST pollers apart, the rest (sim, or live feeds) for trades. */
    char trades_src[256] = "", srcbuf[256];
    if (strlcpy_tl(srcbuf, source, sizeof(srcbuf)) >= sizeof(srcbuf))
        rc = cli_usage_error(&cmd, "--source is too long");
    char *save = NULL;
    for (char *tok = rc ? NULL : strtok_r(srcbuf, ",", &save); tok && !rc;
         tok = strtok_r(NULL, ",", &save)) {
        if (!stage_source_is_rest(tok)) {
            if (*trades_src)
                strcat(trades_src, ",");
            strcat(trades_src, tok);
            continue;
        }
        for (size_t i = 0; i < j->nrest; i++)
            if (strcmp(j->rest[i].name, tok) == 0)
                rc = cli_usage_error(&cmd, "--source names %s twice", tok);
        if (rc)
            break;
        struct run_rest *r = &j->rest[j->nrest++];
        strlcpy_tl(r->name, tok, sizeof(r->name));
        r->ctl = &j->rctl;
        rc = stage_rest_config(&cmd, &o, tok, &r->cfg, r->syms, r->symbuf, sizeof(r->symbuf),
                               r->topic, sizeof(r->topic));
    }
    j->no_trades = !*trades_src && j->nrest > 0;
    if (!*trades_src)
        strcpy(trades_src, "sim");
    j->feed = stage_source_is_feed(trades_src);
    if (rc)
        ;
    else if (j->no_trades)
        cli_kafka_opts(&o.kafka, &j->icfg.kafka); /* the rest of run reads the brokers here */
    else if (!j->feed && strcmp(trades_src, "sim") != 0)
        rc = cli_usage_error(&cmd,
                             "unknown --source '%s' (known: sim, coinbase, binance, kraken, "
                             "finnhub, alpaca, polygon, finnhub-quote, alphavantage)",
                             source);
    else if (j->feed) {
        rc = stage_feed_config(&cmd, &o, trades_src, &j->fcfg, j->fsyms, j->fsymbuf,
                               sizeof(j->fsymbuf));
        snprintf(j->trades_topic, sizeof(j->trades_topic), "%s%s", o.topic_prefix, TOPIC_TRADES);
        j->fcfg.topic = j->trades_topic;
        snprintf(j->quotes_topic, sizeof(j->quotes_topic), "%s%s", o.topic_prefix, TOPIC_QUOTES);
        j->fcfg.quotes_topic = j->quotes_topic;
        /* The rest of run reads the brokers from icfg. */
        cli_kafka_opts(&o.kafka, &j->icfg.kafka);
    } else
        rc = stage_ingest_config(&cmd, &o, &j->icfg, j->trades_topic, j->quotes_topic);
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
        /* Every topic of the pipeline, with --partitions: the embedded broker
         * would create a missing one with 4 on first use, which the stages
         * refuse when --partitions says otherwise. */
        char names[SINK_MAX_TOPICS + 3][256];
        const char *topics[SINK_MAX_TOPICS + 3];
        size_t nt = 0;
        for (size_t i = 0; i < j->scfg.ntopics; i++, nt++)
            snprintf(names[nt], sizeof(names[nt]), "%s%s", o.topic_prefix, j->scfg.topics[i]);
        snprintf(names[nt++], sizeof(names[0]), "%s%s", o.topic_prefix, TOPIC_ALERTS_LIVE);
        snprintf(names[nt++], sizeof(names[0]), "%s%s", o.topic_prefix, TOPIC_DLQ);
        snprintf(names[nt++], sizeof(names[0]), "%s%s-changelog", o.topic_prefix,
                 j->pcfg.group ? j->pcfg.group : GROUP_PROCESS);
        for (size_t i = 0; i < nt; i++)
            topics[i] = names[i];
        if (kafka_mock_create_topics(mock, topics, nt, (int)o.partitions, err, sizeof(err)) != 0) {
            fprintf(stderr, "ticklake run: %s\n", err);
            kafka_mock_free(mock);
            free(j);
            return 1;
        }
        /* This embedded cluster's offsets start at 0: its files are told apart
         * from an earlier run's by when it started (sink.h). */
        int64_t wall = now_ns();
        char day[LAKE_DATE_LEN];
        lake_date(wall, day);
        int64_t in_day = wall - lake_day_start(wall);
        snprintf(j->incarnation, sizeof(j->incarnation), "%.4s%.2s%.2sT%02d%02d%02d.%03dZ", day,
                 day + 5, day + 8, (int)(in_day / (3600 * NS_PER_SEC)),
                 (int)(in_day / (60 * NS_PER_SEC) % 60), (int)(in_day / NS_PER_SEC % 60),
                 (int)(in_day / 1000000 % 1000));
        j->scfg.incarnation = j->incarnation;
        j->wait_joined = 1;
        const char *bs = kafka_mock_bootstraps(mock);
        j->icfg.kafka.brokers = j->pcfg.kafka.brokers = j->scfg.kafka.brokers = bs;
        j->fcfg.kafka.brokers = bs;
        for (size_t i = 0; i < j->nrest; i++)
            j->rest[i].cfg.kafka.brokers = bs;
        LOG_INFO("run: embedded broker at %s", bs);
        /* The embedded broker answers a fetch that finds no new record only
         * after fetch.wait.max.ms (a real broker answers as soon as one
         * arrives), so the processor's 50 ms would be most of a trade's way
         * to its alert. 2 ms: trade to processor p50 3 ms instead of 28 ms
         * at 100,000 trades/s, for about 3% of a core while idle
         * (docs/decisions/0041-embedded-broker-fetch.md). The console's
         * consumer gets it with the processor's options; -X still wins. */
        static const char *const quick[] = {"fetch.wait.max.ms=2"};
        j->pcfg_props = kafka_opts_prepend(&j->pcfg.kafka, quick, 1, &j->pcfg.kafka);
    }
    /* Fail fast, with the address, if the cluster is not there. */
    if (kafka_check(&j->icfg.kafka, err, sizeof(err)) != 0) {
        fprintf(stderr, "ticklake run: %s\n", err);
        kafka_mock_free(mock);
        free(j->pcfg_props);
        free(j);
        return 1;
    }
    LOG_INFO("run: lake at '%s'; %s", j->scfg.lake,
             o.duration ? "stopping after --duration" : "Ctrl-C to stop");

    /* The console (serve.h) beside the stages, on their counters; a busy
     * port costs the console, not the run. */
    serve_server *web = NULL;
    if (!no_serve) {
        serve_config sc = {.lake = j->scfg.lake,
                           .listen = listen,
                           .token = token ? token : getenv("TICKLAKE_TOKEN"),
                           .topic_prefix = o.topic_prefix,
                           /* Not an S3 lake: a crawl there costs requests,
                            * and S3 has no lock against the user's own
                            * `ticklake crawl` from another cache. */
                           .crawl_every = local_lake ? 10 * NS_PER_SEC : 0,
                           .storage = &j->scfg.storage,
                           .query_memory = query_bytes,
                           .query_temp = spill_bytes,
                           .stats = &j->st};
        sc.kafka = j->pcfg.kafka;
        memcpy(sc.intervals, j->pcfg.intervals, j->pcfg.nintervals * sizeof(int64_t));
        sc.nintervals = j->pcfg.nintervals > 8 ? 8 : j->pcfg.nintervals;
        web = serve_start(&sc, err, sizeof(err));
        if (!web) {
            LOG_WARN("run: no web console: %s (--listen HOST:PORT picks another address)", err);
        } else {
            printf("%s\n", serve_url(web));
            fflush(stdout);
            if (serve_token_generated(web))
                fprintf(stderr, "ticklake run: console access token (generated): %s\n",
                        serve_token(web));
            LOG_INFO("run: web console at %s", serve_url(web));
            /* Alerts reach the console from the processor directly, not
             * after a broker round trip (alerts.live still carries them to
             * other readers). */
            j->pcfg.on_alert = alert_to_console;
            j->pcfg.on_alert_opaque = web;
        }
    }

    pthread_t it, pt, st, ct;
    pthread_create(&st, NULL, sink_thread, j);
    pthread_create(&pt, NULL, process_thread, j);
    if (j->no_trades) {
        atomic_store(&j->idone, 1);
        atomic_store(&j->ingest_start, mono_ns());
    } else
        pthread_create(&it, NULL, ingest_thread, j);
    pthread_t rt[2];
    for (size_t i = 0; i < j->nrest; i++)
        pthread_create(&rt[i], NULL, rest_thread, &j->rest[i]);
    int compacting = j->compact_every > 0 && pthread_create(&ct, NULL, compact_thread, j) == 0;

    int64_t start = mono_ns();
    int64_t deadline = 0; /* set once ingest starts (after the groups' join) */
    int64_t next_status = start + status_every;
    int64_t last_ticks = 0, last_ns = start;
    while (!atomic_load(&main_ctl.stop)) {
        int64_t now = mono_ns();
        int64_t began = atomic_load(&j->ingest_start);
        if (o.duration > 0 && !deadline && began)
            deadline = began + o.duration;
        if (deadline && now >= deadline)
            break;
        /* A stage that ends by itself early has failed (or ingest hit --count). */
        if (atomic_load(&j->pdone) || atomic_load(&j->sdone))
            break;
        /* Ingest ended: failed, or reached --count with no --duration to wait for. */
        if (!j->no_trades && atomic_load(&j->idone) && (j->irc != 0 || o.duration <= 0))
            break;
        /* A poller ends by itself only when it failed (a rejected key). */
        int rest_failed = 0;
        for (size_t i = 0; i < j->nrest; i++)
            rest_failed |= atomic_load(&j->rest[i].done);
        if (rest_failed)
            break;
        if (now >= next_status) {
            print_status(j, &last_ticks, &last_ns);
            next_status = now + status_every;
        }
        sleep_ns(20 * 1000000LL);
    }
    LOG_INFO("run: shutting down: stopping ingest, then draining process and sink");
    atomic_store(&j->cstop, 1); /* a merge under way ends before its switch */
    atomic_store(&j->ictl.stop, 1);
    atomic_store(&j->rctl.stop, 1);
    if (!j->no_trades)
        pthread_join(it, NULL);
    for (size_t i = 0; i < j->nrest; i++)
        pthread_join(rt[i], NULL);
    finish_stage(&j->pctl, &j->pdone, "process");
    pthread_join(pt, NULL);
    finish_stage(&j->sctl, &j->sdone, "sink");
    pthread_join(st, NULL);
    if (compacting)
        pthread_join(ct, NULL);
    print_status(j, &last_ticks, &last_ns);

    int failed = 0;
    if (j->irc) {
        fprintf(stderr, "ticklake run: ingest: %s\n", j->ierr);
        failed = 1;
    }
    char note[64];
    for (size_t i = 0; i < j->nrest; i++) {
        struct run_rest *r = &j->rest[i];
        fprintf(stderr,
                "ticklake run: %s: %lld requests, %lld records, %lld throttled, %lld errors; "
                "%lld delivered, %lld failed%s\n",
                r->name, (long long)r->res.requests, (long long)r->res.records,
                (long long)r->res.throttled, (long long)r->res.errors, (long long)r->res.delivered,
                (long long)r->res.failed, stage_unacked_note(r->res.unacked, note, sizeof(note)));
        if (r->rc) {
            fprintf(stderr, "ticklake run: %s: %s\n", r->name, r->err);
            failed = 1;
        }
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
            "ticklake run: %lld ticks delivered%s, %lld bars, %lld rows in %lld lake files under "
            "'%s'\n",
            (long long)(j->feed ? j->fres.delivered : j->ires.delivered),
            stage_unacked_note(j->feed ? j->fres.unacked : j->ires.unacked, note, sizeof(note)),
            (long long)atomic_load(&j->st.bars_emitted), (long long)atomic_load(&j->st.lake_rows),
            (long long)atomic_load(&j->st.lake_files), j->scfg.lake);
    int64_t cin = atomic_load(&j->compact_in), cremoved = atomic_load(&j->compact_removed);
    if (atomic_load(&j->compact_out))
        fprintf(stderr,
                "ticklake run: compaction merged %lld small files into %lld; %lld merged ones are "
                "left, covered, for the next compaction to delete (ticklake compact TABLE; "
                "ticklake's readers skip them)\n",
                (long long)cin, (long long)atomic_load(&j->compact_out),
                (long long)(cin > cremoved ? cin - cremoved : 0));
    serve_stop(web);
    kafka_mock_free(mock);
    free(j->pcfg_props);
    free(j);
    return failed ? 1 : 0;
}
