/* cmd_serve.c - `ticklake serve`: the web console, the JSON API, the push
 * stream and /metrics over a lake (and Kafka with --brokers); serve.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bar.h"
#include "cli.h"
#include "commands.h"
#include "lakecache.h"
#include "log.h"
#include "serve.h"
#include "util.h"

int cmd_serve(int argc, char **argv)
{
    cli_kafka k = {0};
    const char *lake = "./lake", *listen = "127.0.0.1:8080", *token = NULL, *web = NULL;
    const char *cors = NULL, *prefix = "", *intervals = "1s,1m,5m", *query_memory = "2GB",
               *query_spill = "10GB";
    int64_t threads = 64, slots = 2, stream_buffer = 65536, crawl_every = -1, duration = 0;
    const char *s3_endpoint = NULL, *s3_region = NULL, *s3_addressing = NULL, *cache_dir = NULL,
               *s3_profile = NULL;
    int verbose = 0, quiet = 0;
    const cli_option options[] = {
        {0, "lake", CLI_STRING, &lake, "URL",
         "the lake to serve: a directory or s3://bucket/prefix (default ./lake)"},
        LAKE_S3_OPTIONS(&s3_endpoint, &s3_region, &s3_addressing, &cache_dir, &s3_profile),
        CLI_KAFKA_OPTIONS(&k),
        {'l', "listen", CLI_STRING, &listen, "HOST:PORT",
         "where to listen (default 127.0.0.1:8080; port 0 picks one; anything but loopback "
         "needs a token)"},
        {0, "token", CLI_STRING, &token, "T",
         "the access token (default $TICKLAKE_TOKEN; generated and printed when listening "
         "beyond loopback without one)"},
        {0, "web", CLI_STRING, &web, "DIR", "the console's files (default the repository's web/)"},
        {0, "cors-origin", CLI_STRING, &cors, "ORIGIN",
         "send CORS headers allowing this origin (default none)"},
        {0, "topic-prefix", CLI_STRING, &prefix, "P", "prefix of every topic name (default none)"},
        {0, "intervals", CLI_STRING, &intervals, "LIST",
         "bar intervals the stream follows (default 1s,1m,5m)"},
        {0, "threads", CLI_INT, &threads, "N",
         "HTTP worker threads: connections served at once, streams included (default 64)"},
        {0, "query-slots", CLI_INT, &slots, "N", "SQL queries run at once (default 2)"},
        {0, "query-memory", CLI_STRING, &query_memory, "SIZE",
         "DuckDB's memory in each SQL session, e.g. 512MB, 4GiB (default 2GB; a query "
         "spills past it to disk, --query-spill at most)"},
        {0, "query-spill", CLI_STRING, &query_spill, "SIZE",
         "what each SQL session may spill to disk past --query-memory before the query fails "
         "(default 10GB)"},
        {0, "stream-buffer", CLI_INT, &stream_buffer, "N",
         "events the push stream keeps; a client that falls N behind is dropped (default 65536)"},
        {0, "crawl-interval", CLI_DURATION, &crawl_every, "DUR",
         "crawl the lake this often so new files show (default 10s for a local lake; an S3 "
         "lake only when given; 0: never)"},
        {'d', "duration", CLI_DURATION, &duration, "DUR", "stop after this long (default: Ctrl-C)"},
        CLI_LOG_OPTIONS(&verbose, &quiet),
        CLI_OPT_END};
    const cli_command cmd = {
        "serve", "ticklake serve [--lake URL] [--brokers LIST] [--listen HOST:PORT]",
        "Serves the web console, the JSON API (docs/API.md), a push stream of trades,\n"
        "bars and alerts (with --brokers) and Prometheus metrics at /metrics. Prints the\n"
        "URL on stdout.",
        options};
    const char *pos[1];
    size_t npos;
    CLI_PARSE(&cmd, argc, argv, pos, 0, &npos);
    cli_apply_log(verbose, quiet);
    if (threads < 2 || threads > 1024)
        return cli_usage_error(&cmd, "--threads: 2 to 1024");
    if (stream_buffer < 16 || stream_buffer > 16 * 1024 * 1024)
        return cli_usage_error(&cmd, "--stream-buffer: 16 to 16777216");
    if (slots < 1 || slots > 64)
        return cli_usage_error(&cmd, "--query-slots: 1 to 64");
    int64_t query_bytes;
    if (parse_size(query_memory, &query_bytes) != 0 || query_bytes < 16 * 1000 * 1000)
        return cli_usage_error(&cmd, "--query-memory: a size of 16MB or more, e.g. 2GB");
    int64_t spill_bytes;
    if (parse_size(query_spill, &spill_bytes) != 0 || spill_bytes < 1000 * 1000)
        return cli_usage_error(&cmd, "--query-spill: a size of 1MB or more, e.g. 10GB");
    /* S3 has no lock against another crawler (a `ticklake crawl` with its
     * own cache) and each crawl lists the lake: only when asked for. */
    if (crawl_every < 0)
        crawl_every = lakecache_is_s3(lake) ? 0 : 10 * NS_PER_SEC;
    storage_options so = {.s3_endpoint = s3_endpoint,
                          .s3_region = s3_region,
                          .s3_addressing = s3_addressing,
                          .s3_profile = s3_profile};
    serve_config c = {.lake = lake,
                      .storage = &so,
                      .cache_dir = cache_dir,
                      .listen = listen,
                      .token = token ? token : getenv("TICKLAKE_TOKEN"),
                      .web_dir = web,
                      .cors_origin = cors,
                      .topic_prefix = prefix,
                      .threads = (int)threads,
                      .query_slots = (int)slots,
                      .query_memory = query_bytes,
                      .query_temp = spill_bytes,
                      .stream_buffer = (size_t)stream_buffer,
                      .crawl_every = crawl_every};
    cli_kafka_opts(&k, &c.kafka);
    char tmp[256];
    if (strlcpy_tl(tmp, intervals, sizeof(tmp)) >= sizeof(tmp))
        return cli_usage_error(&cmd, "--intervals is too long");
    for (char *save = NULL, *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int64_t iv;
        if (interval_parse(t, &iv) != 0 || iv <= 0)
            return cli_usage_error(&cmd, "--intervals: '%s' is not an interval", t);
        if (c.nintervals == 8)
            return cli_usage_error(&cmd, "--intervals: at most 8");
        c.intervals[c.nintervals++] = iv;
    }
    stage_control ctl = {0};
    cli_handle_signals(&ctl);
    char err[512];
    serve_server *s = serve_start(&c, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "ticklake serve: %s\n", err);
        return 1;
    }
    printf("%s\n", serve_url(s));
    fflush(stdout);
    if (serve_token_generated(s))
        fprintf(stderr,
                "ticklake serve: access token (generated; choose one with --token or "
                "TICKLAKE_TOKEN): %s\n",
                serve_token(s));
    LOG_INFO("serve: %s on lake '%s'%s; Ctrl-C to stop", serve_url(s), lake,
             c.kafka.brokers ? ", streaming from Kafka" : "");
    int64_t deadline = duration > 0 ? mono_ns() + duration : 0;
    while (!atomic_load(&ctl.stop) && (!deadline || mono_ns() < deadline))
        sleep_ns(50 * 1000000LL);
    serve_stop(s);
    return 0;
}
