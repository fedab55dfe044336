/* stages.h - the options of each pipeline stage, shared by its own command
 * and by `ticklake run`, and their conversion into stage configurations.
 * Command layer only: errors are reported as usage errors (exit 2). */
#ifndef TICKLAKE_STAGES_H
#define TICKLAKE_STAGES_H

#include "cli.h"
#include "feed_ingest.h"
#include "ingest.h"
#include "process.h"
#include "rest_poll.h"
#include "sink.h"

typedef struct stage_opts {
    cli_kafka kafka;
    const char *topic_prefix; /* namespace for every topic */
    /* topics */
    int64_t partitions, replication, min_insync_replicas;
    /* ingest */
    int64_t seed, count;
    const char *symbols; /* sim: a count; live feeds: a list (BTC-USD,ETH-USD) */
    const char *rate;    /* number or "max" */
    const char *start;   /* YYYY-MM-DD, or ns since the epoch; default now */
    const char *scenario;
    const char *encoding; /* json or binary */
    const char *quotes;   /* quotes per trade */
    int64_t session;      /* trading session length, ns (U-shaped arrivals); 0: flat */
    /* process */
    const char *intervals;
    int64_t lateness;
    int64_t max_ahead; /* event time past the record's Kafka timestamp by more: a bad record */
    const char *eos;   /* auto, on, off */
    const char *instance_id;
    int64_t idle_timeout, commit_interval;
    const char *late;
    int64_t late_horizon;
    /* process: indicator periods and alert thresholds (ind_config) */
    const char *sma, *ema;   /* comma-separated periods */
    int64_t rsi, vol_window; /* RSI period; returns in the volatility */
    const char *bollinger;   /* "N,K": period and width in standard deviations */
    double alert_z, alert_volume, alert_trades, alert_gap;
    int64_t alert_volume_window, alert_stale;
    /* sink */
    const char *lake;
    int64_t roll_rows, roll_bytes, roll_interval;
    const char *s3_endpoint, *s3_region, *s3_addressing, *s3_profile;
    int64_t s3_write_timeout;       /* retry budget of a write (S3, a full disk), ns */
    int64_t s3_multipart_threshold; /* bytes above which a file is uploaded in parts */
    /* live feeds (feed_ingest.h) */
    cli_list feed_urls; /* URL, or PROVIDER=URL per source */
    const char *feed_ca;
    int feed_insecure, feed_quotes;
    int64_t feed_stall, feed_backoff_max;
    /* keys given as options (a config file's [ingest run] section): FINNHUB_TOKEN,
     * APCA_API_KEY_ID, APCA_API_SECRET_KEY, POLYGON_API_KEY; NULL: the environment's */
    const char *finnhub_token, *apca_key_id, *apca_secret_key, *polygon_api_key;
    /* REST polling (rest_poll.h) */
    int64_t poll_every, poll_gap;
    const char *av_interval, *av_key;
    /* all */
    int64_t duration;
    int verbose, quiet;
} stage_opts;

/* Defaults for every field. */
void stage_opts_init(stage_opts *o);

/* clang-format off */
#define STAGE_TOPIC_OPTIONS(o)                                                 \
    {0, "topic-prefix", CLI_STRING, &(o)->topic_prefix, "P",                   \
     "prefix of every topic name, e.g. 'dev.' for dev.trades (default none)"}, \
    {0, "partitions", CLI_INT, &(o)->partitions, "N",                          \
     "partitions of topics ticklake creates (default 4)"},                     \
    {0, "replication", CLI_INT, &(o)->replication, "N",                        \
     "replication factor of topics ticklake creates (default: min(3, brokers))"}, \
    {0, "min-insync-replicas", CLI_INT, &(o)->min_insync_replicas, "N",        \
     "min.insync.replicas of topics ticklake creates (default: 2 at replication 3+, else 1)"}

#define STAGE_INGEST_OPTIONS(o)                                                                 \
    {0, "seed", CLI_INT, &(o)->seed, "N",                                                       \
     "simulator seed: the same seed gives the same ticks"},                                     \
    {0, "rate", CLI_STRING, &(o)->rate, "N|max",                                                \
     "sim: trades per second of event time; max: 10000/s as fast as possible (default 10000)"}, \
    {0, "symbols", CLI_STRING, &(o)->symbols, "N|LIST",                                         \
     "sim: number of symbols, 1..10000 (default 50); feeds: BTC-USD,ETH-USD or AAPL,MSFT"},     \
    {0, "count", CLI_INT, &(o)->count, "N",                                                     \
     "sim: stop after N ticks, trades and quotes (default: no limit)"},                         \
    {0, "scenario", CLI_STRING, &(o)->scenario, "EVENT[@SEC]",                                  \
     "sim: inject flash-crash, volume-spike or halt on the first symbol (default at 30 s)"},    \
    {0, "encoding", CLI_STRING, &(o)->encoding, "json|binary",                                  \
     "record encoding of ticks (default json; docs/DATA.md)"},                                  \
    {0, "quotes", CLI_STRING, &(o)->quotes, "RATIO",                                            \
     "sim: quotes per trade on average, to the quotes topic (default 0: trades only)"},         \
    {0, "session", CLI_DURATION, &(o)->session, "DUR",                                          \
     "sim: U-shaped arrivals over sessions of DUR from --start, e.g. 6.5h (default 0: flat)"},  \
    {0, "start", CLI_STRING, &(o)->start, "WHEN",                                               \
     "sim: event time of the first tick: YYYY-MM-DD or ns since epoch, 1800-01-01 to "         \
     "2200-01-01 (default now)"}

#define STAGE_FEED_OPTIONS(o)                                                                   \
    {0, "feed-url", CLI_LIST, &(o)->feed_urls, "[PROVIDER=]URL",                                \
     "live feeds: connect here instead of the provider (e.g. a replay server)"},                \
    {0, "feed-ca", CLI_STRING, &(o)->feed_ca, "FILE",                                           \
     "live feeds: CA bundle for wss:// (default: the system's)"},                               \
    {0, "feed-quotes", CLI_FLAG, &(o)->feed_quotes, NULL,                                       \
     "live feeds: also the best bid and offer (all but Finnhub) into the quotes topic"},        \
    {0, "feed-insecure", CLI_FLAG, &(o)->feed_insecure, NULL,                                   \
     "live feeds: no certificate check for wss:// (test servers only)"},                        \
    {0, "finnhub-token", CLI_STRING, &(o)->finnhub_token, "KEY",                                \
     "Finnhub's key (default $FINNHUB_TOKEN; put it in a config file, not on the command line)"},\
    {0, "apca-api-key-id", CLI_STRING, &(o)->apca_key_id, "KEY",                                \
     "Alpaca's key id (default $APCA_API_KEY_ID)"},                                             \
    {0, "apca-api-secret-key", CLI_STRING, &(o)->apca_secret_key, "KEY",                        \
     "Alpaca's secret (default $APCA_API_SECRET_KEY)"},                                         \
    {0, "polygon-api-key", CLI_STRING, &(o)->polygon_api_key, "KEY",                            \
     "Polygon's key (default $POLYGON_API_KEY)"},                                               \
    {0, "feed-stall", CLI_DURATION, &(o)->feed_stall, "DUR",                                    \
     "live feeds: reconnect a source silent this long (default 30s)"},                          \
    {0, "feed-backoff-max", CLI_DURATION, &(o)->feed_backoff_max, "DUR",                        \
     "live feeds: longest wait between reconnects (default 30s; from 500ms, doubling)"}

#define STAGE_REST_OPTIONS(o)                                                                \
    {0, "poll-interval", CLI_DURATION, &(o)->poll_every, "DUR",                              \
     "finnhub-quote, alphavantage: between polling rounds (default 60s)"},                   \
    {0, "poll-gap", CLI_DURATION, &(o)->poll_gap, "DUR",                                     \
     "finnhub-quote, alphavantage: between requests (default 1.1s and 12.5s: the free "      \
     "plans' limits)"},                                                                      \
    {0, "alphavantage-api-key", CLI_STRING, &(o)->av_key, "KEY",                             \
     "alphavantage: the key (default $ALPHAVANTAGE_API_KEY; better in a config file)"},      \
    {0, "av-interval", CLI_STRING, &(o)->av_interval, "INT",                                 \
     "alphavantage: bar interval, 1min, 5min (default), 15min, 30min or 60min"}

#define STAGE_PROCESS_OPTIONS(o)                                                          \
    {0, "intervals", CLI_STRING, &(o)->intervals, "LIST",                                 \
     "bar intervals, comma-separated (default 1s,1m,5m)"},                                \
    {0, "lateness", CLI_DURATION, &(o)->lateness, "DUR",                                  \
     "allowed lateness before a window closes (default 1s)"},                             \
    {0, "max-ahead", CLI_DURATION, &(o)->max_ahead, "DUR",                                \
     "a trade stamped later than its Kafka timestamp by more goes to dlq (7d; 0 never)"}, \
    {0, "late", CLI_STRING, &(o)->late, "drop|update",                                    \
     "late trades: drop to dlq (default), or update the bar and publish a new revision"}, \
    {0, "late-horizon", CLI_DURATION, &(o)->late_horizon, "DUR",                          \
     "with --late update: how long after a window closes it is still corrected (60s)"},   \
    {0, "idle-timeout", CLI_DURATION, &(o)->idle_timeout, "DUR",                          \
     "a partition quiet this long advances by wall time (default 5s; 0 never)"},          \
    {0, "eos", CLI_STRING, &(o)->eos, "auto|on|off",                                      \
     "exactly-once with Kafka transactions (default auto: on if the cluster has them)"},  \
    {0, "instance-id", CLI_STRING, &(o)->instance_id, "ID",                               \
     "this instance's stable id: transactional.id, static group membership (default 0)"}, \
    {0, "commit-interval", CLI_DURATION, &(o)->commit_interval, "DUR",                    \
     "how often progress is committed (default 100ms with transactions, else 1s)"},       \
    {0, "sma", CLI_STRING, &(o)->sma, "LIST",                                             \
     "SMA periods in bars, at most 4 (default 20,50)"},                                   \
    {0, "ema", CLI_STRING, &(o)->ema, "LIST",                                             \
     "EMA periods in bars, at most 4 (default 12,26)"},                                   \
    {0, "rsi", CLI_INT, &(o)->rsi, "N",                                                   \
     "RSI period in bar-to-bar changes (default 14)"},                                    \
    {0, "volatility-window", CLI_INT, &(o)->vol_window, "N",                              \
     "log returns in the volatility, and in price-move alerts' z (default 20)"},          \
    {0, "bollinger", CLI_STRING, &(o)->bollinger, "N,K",                                  \
     "Bollinger bands: N bars, K standard deviations (default 20,2)"},                    \
    {0, "alert-z", CLI_DOUBLE, &(o)->alert_z, "X",                                        \
     "price_move alert at |z| of a bar's log return >= X (default 5)"},                   \
    {0, "alert-volume", CLI_DOUBLE, &(o)->alert_volume, "X",                              \
     "volume_spike alert at volume >= X times its mean (default 8)"},                     \
    {0, "alert-trades", CLI_DOUBLE, &(o)->alert_trades, "X",                              \
     "...and the trade count >= X times its mean (default 3)"},                           \
    {0, "alert-volume-window", CLI_INT, &(o)->alert_volume_window, "N",                   \
     "bars in the volume and trade-count means (default 20)"},                            \
    {0, "alert-gap", CLI_DOUBLE, &(o)->alert_gap, "PCT",                                  \
     "gap alert at |open / previous close - 1| >= PCT percent (default 2)"},              \
    {0, "alert-stale", CLI_DURATION, &(o)->alert_stale, "DUR",                            \
     "stale alert after DUR of event time without a bar (default 60s)"}

/* roll_default: the --roll-interval default, as help text ("60s"). */
#define STAGE_SINK_OPTIONS(o, roll_default)                                               \
    {0, "lake", CLI_STRING, &(o)->lake, "URL",                                            \
     "lake: a directory, file:///path or s3://bucket/prefix (default ./lake)"},           \
    {0, "roll-bytes", CLI_INT, &(o)->roll_bytes, "N",                                     \
     "write a file when a partition buffers about N bytes of Parquet (default 128 MiB)"}, \
    {0, "roll-rows", CLI_INT, &(o)->roll_rows, "N",                                       \
     "write a file when a partition buffers N rows (default 8000000)"},                   \
    {0, "roll-interval", CLI_DURATION, &(o)->roll_interval, "DUR",                        \
     "write a file when its oldest row has waited DUR (default " roll_default ")"},       \
    {0, "s3-endpoint", CLI_STRING, &(o)->s3_endpoint, "URL",                              \
     "S3 endpoint URL (default AWS_ENDPOINT_URL_S3, the profile, else AWS)"},             \
    {0, "s3-region", CLI_STRING, &(o)->s3_region, "R",                                    \
     "S3 region (default AWS_REGION, the profile, us-east-1)"},                           \
    {0, "s3-addressing", CLI_STRING, &(o)->s3_addressing, "path|virtual|auto",            \
     "S3 bucket addressing (default auto, or the profile's addressing_style)"},           \
    {0, "s3-profile", CLI_STRING, &(o)->s3_profile, "NAME",                               \
     "AWS profile of the credentials (default AWS_PROFILE, else default)"},               \
    {0, "s3-write-timeout", CLI_DURATION, &(o)->s3_write_timeout, "DUR",                  \
     "retry a write failing on S3 or a full disk for DUR, then stop uncommitted (default 5m)"}, \
    {0, "s3-multipart-threshold", CLI_INT, &(o)->s3_multipart_threshold, "N",             \
     "upload files above N bytes as multipart uploads of 8 MiB parts (default 8 MiB)"}
/* clang-format on */

/* Names stage_sink_config writes: bars and indicators topics per interval. */
#define SINK_TOPIC_NAMES (2 * BAR_MAX_INTERVALS)

/* Each fills a stage configuration from o; 0, or 2 after a usage error.
 * The configurations borrow strings from o. */
int stage_ingest_config(const cli_command *cmd, const stage_opts *o, ingest_config *out,
                        char topic[160], char quotes_topic[160]);
int stage_process_config(const cli_command *cmd, const stage_opts *o, process_config *out);
/* The indicator periods and alert thresholds of o (--sma ... --alert-stale)
 * into *out; 0, or -1 with errstr naming the option and what is wrong with
 * it. stage_process_config reports that as a usage error. */
int stage_ind_config(const stage_opts *o, ind_config *out, char *errstr, size_t errstr_size);
int stage_sink_config(const cli_command *cmd, const stage_opts *o, sink_config *out,
                      char topic_names[][64]);

/* Runs fn(arg) on a thread while the calling thread waits for it to return,
 * for SIGINT/SIGTERM (which set ctl->stop) or for duration_ns (0: none) to
 * pass, when it sets ctl->stop too. Returns fn's return value. */
/* 1 when --source names live feeds (coinbase, binance, ...), not sim or csv. */
int stage_source_is_feed(const char *source);
/* The live-feed configuration from --source LIST, --symbols LIST and the
 * feed options; keys from the environment (feed_key_env). syms (at least
 * FEED_MAX_SYMBOLS entries) and symbuf hold the symbol list. 0, or a usage
 * error's exit status. */
int stage_feed_config(const cli_command *cmd, const stage_opts *o, const char *source,
                      feed_ingest_config *out, const char **syms, char *symbuf, size_t symbuf_size);

/* 1 when name is a REST polling source: finnhub-quote or alphavantage. */
int stage_source_is_rest(const char *name);
/* The REST polling configuration of source name (finnhub-quote or
 * alphavantage) from --symbols, the key (option, else the environment) and
 * the REST options. syms (FEED_MAX_SYMBOLS entries), symbuf and topic (the
 * prefixed `snapshots` or `bars.rest`) hold what out points to. 0, or a
 * usage error's exit status. */
int stage_rest_config(const cli_command *cmd, const stage_opts *o, const char *name,
                      rest_poll_config *out, const char **syms, char *symbuf, size_t symbuf_size,
                      char *topic, size_t topic_size);

int stage_run_supervised(int (*fn)(void *arg), void *arg, stage_control *ctl, int64_t duration_ns);

/* ", N sent unconfirmed (acks=0)" for a summary line when n records went out
 * with acks=0 (kafka_producer_unacked), else "": no broker confirmed them, so
 * the summary must not count them as delivered. Returns out or "". */
const char *stage_unacked_note(int64_t n, char *out, size_t out_size);

#endif
