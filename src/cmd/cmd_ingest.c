/* cmd_ingest.c - `ticklake ingest`: publish simulated or historical ticks to Kafka. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "replay_ingest.h"
#include "rest_poll.h"
#include "stages.h"
#include "util.h"

/* Exit statuses beyond the usual 0/1/2. */
#define EXIT_BAD_ROWS 3

typedef struct ingest_job {
    ingest_config cfg;
    feed_ingest_config fcfg;
    feed_ingest_result fres;
    rest_poll_config pcfg;
    rest_poll_result pres;
    const char *syms[FEED_MAX_SYMBOLS];
    char symbuf[8192];
    replay_ingest_config rcfg;
    char topic[160], quotes_topic[160];
    stage_control ctl;
    pipeline_stats st;
    ingest_result res;
    replay_ingest_result rres;
    char err[1024];
} ingest_job;

static int sim_main(void *arg)
{
    ingest_job *j = arg;
    return ingest_run(&j->cfg, &j->ctl, &j->st, &j->res, j->err, sizeof(j->err));
}

static int feed_main(void *arg)
{
    ingest_job *j = arg;
    return feed_ingest_run(&j->fcfg, &j->ctl, &j->st, &j->fres, j->err, sizeof(j->err));
}

static int rest_main(void *arg)
{
    ingest_job *j = arg;
    return rest_poll_run(&j->pcfg, &j->ctl, &j->st, &j->pres, j->err, sizeof(j->err));
}

/* --source finnhub-quote or alphavantage: REST polling (rest_poll.h). */
static int run_rest(const cli_command *cmd, stage_opts *o, const char *source)
{
    ingest_job *j = calloc(1, sizeof(*j));
    int rc = stage_rest_config(cmd, o, source, &j->pcfg, j->syms, j->symbuf, sizeof(j->symbuf),
                               j->topic, sizeof(j->topic));
    if (rc == 0 && !j->pcfg.kafka.brokers)
        rc = cli_usage_error(cmd, "--brokers is required (or set TICKLAKE_BROKERS)");
    if (rc) {
        free(j);
        return rc;
    }
    rc = stage_run_supervised(rest_main, j, &j->ctl, o->duration);
    char note[64];
    fprintf(stderr,
            "ticklake ingest: %s: %lld requests, %lld records, %lld throttled, %lld errors; "
            "%lld delivered, %lld failed%s\n",
            source, (long long)j->pres.requests, (long long)j->pres.records,
            (long long)j->pres.throttled, (long long)j->pres.errors, (long long)j->pres.delivered,
            (long long)j->pres.failed, stage_unacked_note(j->pres.unacked, note, sizeof(note)));
    if (rc != 0)
        fprintf(stderr, "ticklake ingest: %s\n", j->err);
    free(j);
    return rc == 0 ? 0 : 1;
}

/* Whether option name was set on the command line to other than its
 * default. A value from a config file does not count: a section such as
 * [ingest, run] serves simulator runs too, and must not break a replay. */
static int given(const char *name, int differs)
{
    return differs && !cli_config_origin(name);
}

/* The first of the simulator's options given on the command line, else
 * NULL: replay never reads them, and taking `--count 10` silently while every
 * row goes out would mislead. Compared with the defaults, as the parser does
 * not say what was given. */
static const char *sim_only_option(const stage_opts *o, int symbols_too)
{
    stage_opts d;
    stage_opts_init(&d);
    const struct {
        const char *name;
        int differs;
    } opts[] = {
        {"count", o->count != d.count},
        {"rate", strcmp(o->rate, d.rate) != 0},
        {"seed", o->seed != d.seed},
        {"symbols", symbols_too && strcmp(o->symbols, d.symbols) != 0},
        {"quotes", strcmp(o->quotes, d.quotes) != 0},
        {"scenario", o->scenario != NULL},
        {"session", o->session != d.session},
        {"start", o->start != NULL},
    };
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        if (given(opts[i].name, opts[i].differs))
            return opts[i].name;
    return NULL;
}

static int csv_main(void *arg)
{
    ingest_job *j = arg;
    return replay_ingest_run(&j->rcfg, &j->ctl, &j->st, &j->rres, j->err, sizeof(j->err));
}

int cmd_ingest(int argc, char **argv)
{
    stage_opts o;
    stage_opts_init(&o);
    const char *source = "sim", *info = NULL, *format = "auto", *ts_unit = "auto";
    const char *from = NULL, *to = NULL, *speed = NULL, *symbol = NULL, *date_format = "auto";
    cli_list maps = {0};
    int strict = 0, no_progress = 0;
    const cli_option options[] = {
        CLI_KAFKA_OPTIONS(&o.kafka),
        {0, "source", CLI_STRING, &source, "sim|csv|FEED,...",
         "where ticks come from (default sim); live feeds: coinbase, binance, kraken, finnhub, "
         "alpaca, polygon, several comma-separated; REST polling: finnhub-quote, alphavantage"},
        STAGE_INGEST_OPTIONS(&o),
        STAGE_FEED_OPTIONS(&o),
        STAGE_REST_OPTIONS(&o),
        {0, "format", CLI_STRING, &format, "FMT", "csv: auto (default), index-daily or trades"},
        {0, "index-info", CLI_STRING, &info, "FILE",
         "csv: region, exchange and currency per index (default indexInfo.csv beside FILE)"},
        {0, "map", CLI_LIST, &maps, "FIELD=COL,...",
         "csv: read a field from another column, e.g. symbol=Ticker,price=Last"},
        {0, "ts-unit", CLI_STRING, &ts_unit, "UNIT",
         "csv: unit of epoch timestamps: auto (default), s, ms, us, ns"},
        {0, "symbol", CLI_STRING, &symbol, "NAME",
         "csv: symbol of every row of a file without an Index/symbol column (default: the file "
         "name, e.g. ^GSPC.csv -> ^GSPC)"},
        {0, "date-format", CLI_STRING, &date_format, "ORDER",
         "csv: day/month order of dates with the year last: auto (default: found from the "
         "rows, else day first), dmy, mdy, or ymd (year first only)"},
        {0, "from", CLI_STRING, &from, "DATE", "csv: only rows on or after YYYY-MM-DD"},
        {0, "to", CLI_STRING, &to, "DATE", "csv: only rows on or before YYYY-MM-DD"},
        {0, "speed", CLI_STRING, &speed, "N|max",
         "pace at N times real time, or max (default: 1 for sim, max for csv)"},
        {0, "strict", CLI_FLAG, &strict, NULL,
         "csv: the first unusable row or failed file is fatal"},
        {0, "no-progress", CLI_FLAG, &no_progress, NULL, "csv: no progress bar on stderr"},
        STAGE_TOPIC_OPTIONS(&o),
        {0, "duration", CLI_DURATION, &o.duration, "DUR",
         "stop after this long (default: until done or interrupted)"},
        CLI_LOG_OPTIONS(&o.verbose, &o.quiet),
        CLI_OPT_END};
    const cli_command cmd = {
        "ingest", "ticklake ingest --brokers LIST [options] [--source csv FILE...]",
        "Publishes ticks to Kafka with an idempotent producer, keyed by symbol.\n"
        "--source sim runs the market simulator; --source csv replays files: daily index\n"
        "bars (Index,Date,Open,High,Low,Close,Adj Close,Volume[,CloseUSD]) to index.daily,\n"
        "trades (symbol,timestamp,price,size) to trades. Unusable rows are reported as\n"
        "file:line: reason and the rest still go out. The simulator's options (--count,\n"
        "--rate, --seed, --symbols N, --quotes, --scenario, --session, --start) are a\n"
        "usage error with --source csv and live sources (whose --symbols is a list).\n"
        "A file of one instrument without the Index column, such as a Yahoo Finance\n"
        "export (Date,Open,High,Low,Close,Adj Close,Volume), takes its symbol from\n"
        "--symbol, else from the file name when that is a symbol: letters, digits and\n"
        ". - _ ^ = & $ before .csv (^GSPC.csv -> ^GSPC); rows of null are holidays,\n"
        "skipped. Dates: YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD, DD-MM-YY, DD/MM/YYYY,\n"
        "MM/DD/YYYY, 02-Jan-2020, Jan 2, 2020; a time may follow only if it is 00:00.\n"
        "Day and month of year-last dates are in one order per file: --date-format,\n"
        "else the first row among the first 1000 whose date reads only one way\n"
        "(13/01/2020: day first; 01/13/2020: month first), else day first (logged).\n"
        "Two-digit years: 00-68 are 2000-2068, 69-99 are 1969-1999.\n"
        "Exit status: 0 every row delivered; 3 every good row delivered but some rows\n"
        "were unusable; 1 failure (a file unreadable, its header not usable, or no row\n"
        "in it usable - the other files still go out -; a delivery failed; --strict);\n"
        "2 usage. On SIGINT or SIGTERM it stops reading, flushes and reports.\n"
        "Live feeds (--source coinbase,kraken --symbols BTC-USD,ETH-USD) stream real\n"
        "trades into the trades topic until stopped: docs/FEEDS.md. Keys come from the\n"
        "environment (FINNHUB_TOKEN, APCA_API_KEY_ID and APCA_API_SECRET_KEY,\n"
        "POLYGON_API_KEY). Exit status 1 at once when a provider rejects the key.\n"
        "REST polling (--source finnhub-quote or alphavantage, keys FINNHUB_TOKEN or\n"
        "ALPHAVANTAGE_API_KEY) publishes snapshots to `snapshots` and intraday bars to\n"
        "`bars.rest`: not trades (docs/FEEDS.md).",
        options};
    const char *pos[256];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 256, &npos);
    cli_apply_log(o.verbose, o.quiet);
    int is_csv = strcmp(source, "csv") == 0;
    int is_feed = stage_source_is_feed(source);
    int is_rest = stage_source_is_rest(source);
    if (!is_csv && !is_feed && !is_rest && strcmp(source, "sim") != 0)
        return cli_usage_error(&cmd,
                               "unknown --source '%s' (known: sim, csv, coinbase, binance, "
                               "kraken, finnhub, alpaca, polygon, finnhub-quote, alphavantage)",
                               source);
    /* Live sources take --symbols as a list, and none of the simulator's
     * other options. */
    const char *live_opt = is_feed || is_rest ? sim_only_option(&o, 0) : NULL;
    if (live_opt)
        return cli_usage_error(&cmd,
                               "--%s applies to the simulator only (--source sim); --source %s "
                               "sends what the provider sends",
                               live_opt, source);
    if (is_rest) {
        if (npos > 0)
            return cli_usage_error(&cmd, "files are for --source csv");
        return run_rest(&cmd, &o, source);
    }
    if (is_feed) {
        if (npos > 0)
            return cli_usage_error(&cmd, "files are for --source csv");
        ingest_job *fj = calloc(1, sizeof(*fj));
        int frc = stage_feed_config(&cmd, &o, source, &fj->fcfg, fj->syms, fj->symbuf,
                                    sizeof(fj->symbuf));
        if (frc == 0 && !fj->fcfg.kafka.brokers)
            frc = cli_usage_error(&cmd, "--brokers is required (or set TICKLAKE_BROKERS)");
        if (frc == 0 && strcmp(o.encoding, "json") != 0)
            frc = cli_usage_error(&cmd, "live feeds write JSON only (the binary encoding has no "
                                        "room for their fields)");
        if (frc) {
            free(fj);
            return frc;
        }
        snprintf(fj->topic, sizeof(fj->topic), "%s%s", o.topic_prefix, TOPIC_TRADES);
        fj->fcfg.topic = fj->topic;
        snprintf(fj->quotes_topic, sizeof(fj->quotes_topic), "%s%s", o.topic_prefix, TOPIC_QUOTES);
        fj->fcfg.quotes_topic = fj->quotes_topic;
        frc = stage_run_supervised(feed_main, fj, &fj->ctl, o.duration);
        char line[2048];
        feed_rate_memo none = {0};
        feed_status_lines(&fj->fcfg, &fj->fres, &none, line, sizeof(line));
        char note[64];
        fprintf(stderr,
                "ticklake ingest: %s; %lld delivered, %lld failed%s; arrival to acknowledgement "
                "p50 %.2f ms, p99 %.2f ms\n",
                line, (long long)fj->fres.delivered, (long long)fj->fres.failed,
                stage_unacked_note(fj->fres.unacked, note, sizeof(note)),
                fj->fres.latency_p50_ns / 1e6, fj->fres.latency_p99_ns / 1e6);
        if (frc != 0)
            fprintf(stderr, "ticklake ingest: %s\n", fj->err);
        free(fj);
        return frc == 0 ? 0 : 1;
    }
    if (is_csv && npos == 0)
        return cli_usage_error(&cmd, "--source csv needs at least one FILE ('-' for stdin)");
    const char *sim_opt = is_csv ? sim_only_option(&o, 1) : NULL;
    if (sim_opt)
        return cli_usage_error(&cmd,
                               "--%s applies to the simulator only (--source sim); --source csv "
                               "sends the files' rows as they are (select them with --from/--to)",
                               sim_opt);
    if (!is_csv && npos > 0)
        return cli_usage_error(&cmd, "files are for --source csv");

    ingest_job *j = calloc(1, sizeof(*j));
    int rc = stage_ingest_config(&cmd, &o, &j->cfg, j->topic, j->quotes_topic);
    if (rc) {
        free(j);
        return rc;
    }
    if (!j->cfg.kafka.brokers) {
        free(j);
        return cli_usage_error(&cmd, "--brokers is required (or set TICKLAKE_BROKERS)");
    }
    csv_map map = {0};
    replay_range range;
    if (is_csv) {
        replay_ingest_config *r = &j->rcfg;
        r->kafka = j->cfg.kafka;
        r->topic_prefix = o.topic_prefix;
        r->files = pos;
        r->nfiles = npos;
        r->info_path = info;
        r->strict = strict;
        r->progress = !no_progress && isatty(STDERR_FILENO);
        r->partitions = j->cfg.partitions;
        r->replication = j->cfg.replication;
        r->min_isr = j->cfg.min_isr;
        r->encoding = j->cfg.encoding;
        r->opts.first_id = 1;
        char err[512];
        if (replay_format_parse(format, &r->opts.format) != 0)
            rc = cli_usage_error(&cmd, "--format must be auto, index-daily or trades");
        else if (replay_ts_unit_parse(ts_unit, &r->opts.ts_unit) != 0)
            rc = cli_usage_error(&cmd, "--ts-unit must be auto, s, ms, us or ns");
        else if (replay_date_order_parse(date_format, &r->opts.date_order) != 0)
            rc = cli_usage_error(&cmd, "--date-format must be auto, dmy, mdy or ymd");
        else if (symbol && !replay_symbol_ok(symbol))
            rc = cli_usage_error(&cmd, "--symbol must be 1..%d bytes of printable UTF-8",
                                 TICK_SYMBOL_MAX - 1);
        else if (replay_range_parse(&range, from, to, r->opts.date_order, err, sizeof(err)) != 0)
            rc = cli_usage_error(&cmd, "%s", err);
        r->opts.symbol = symbol;
        for (size_t i = 0; rc == 0 && i < maps.n; i++)
            if (csv_map_parse(&map, maps.items[i], err, sizeof(err)) != 0)
                rc = cli_usage_error(&cmd, "--map: %s", err);
        if (rc == 0 && speed && strcmp(speed, "max") != 0) {
            char *end;
            r->speed = strtod(speed, &end);
            if (end == speed || *end || !(r->speed > 0))
                rc = cli_usage_error(&cmd, "--speed must be a positive number or max");
        }
        r->opts.range = &range;
        r->opts.map = maps.n ? &map : NULL;
        if (rc) {
            csv_map_release(&map);
            free(j);
            return rc;
        }
    }
    if (!is_csv && speed) {
        char *end;
        if (strcmp(speed, "max") == 0)
            j->cfg.max_rate = 1;
        else if ((j->cfg.speed = strtod(speed, &end)) <= 0 || end == speed || *end) {
            free(j);
            return cli_usage_error(&cmd, "--speed must be a positive number or max");
        }
    }
    rc = stage_run_supervised(is_csv ? csv_main : sim_main, j, &j->ctl, o.duration);
    int status = rc == 0 ? 0 : 1;
    char note[64];
    if (is_csv) {
        fprintf(stderr,
                "ticklake ingest: %lld rows delivered of %lld, %lld failed%s, %lld unusable, "
                "%lld skipped, %lld outside --from/--to, %lld of %zu files failed\n",
                (long long)j->rres.delivered, (long long)j->rres.rows, (long long)j->rres.failed,
                stage_unacked_note(j->rres.unacked, note, sizeof(note)), (long long)j->rres.bad,
                (long long)j->rres.skipped, (long long)j->rres.filtered,
                (long long)j->rres.files_failed, npos);
        if (status == 0 && j->rres.bad > 0)
            status = EXIT_BAD_ROWS;
    } else {
        fprintf(stderr,
                "ticklake ingest: %lld generated, %lld delivered, %lld failed%s (%lld quotes)\n",
                (long long)j->res.generated, (long long)j->res.delivered, (long long)j->res.failed,
                stage_unacked_note(j->res.unacked, note, sizeof(note)), (long long)j->res.quotes);
    }
    if (rc != 0)
        fprintf(stderr, "ticklake ingest: %s\n", j->err);
    csv_map_release(&map);
    free(j);
    return status;
}
