/* feed_ingest.h - the ingest stage for live market data: provider WebSocket
 * feeds (feed.h) -> the trades topic.
 *
 * Each source runs on its own thread with its own connection (ws.h) and all
 * of them share one idempotent producer, so `--source coinbase,kraken` lands
 * both in the same topic, each record naming its source. A source's life:
 * connect; authenticate where the provider wants it and wait for the answer;
 * subscribe and wait for the confirmation; then read. The library answers
 * WebSocket pings; provider heartbeats and every other message feed a
 * watchdog, and a source silent for longer than stall_ns is reconnected.
 * Every lost connection is retried after a jittered exponential backoff
 * (backoff_min_ns doubling to backoff_max_ns, each wait drawn uniformly from
 * its upper half), then resubscribed. Trades a provider sends again after a
 * reconnect (Kraken's snapshot, Coinbase's last_match, a replaying server)
 * are dropped by (symbol, provider trade id); where ids are consecutive per
 * symbol (Coinbase, Binance, Kraken) a jump is a gap, counted and logged (a
 * missing id that arrives later takes one off the count), and so is a
 * Coinbase heartbeat whose last_trade_id is ahead of the trades seen.
 * A provider error that retrying cannot cure (a rejected key: an auth error
 * or an HTTP 401/403 to the upgrade; an unknown symbol; a symbol limit) stops
 * every source at once and fails the stage. On stop (SIGTERM) the sources
 * close, the producer is flushed and the counts reported: every trade
 * handed to the producer is delivered or counted as failed. */
#ifndef TICKLAKE_FEED_INGEST_H
#define TICKLAKE_FEED_INGEST_H

#include <stdatomic.h>
#include <stdint.h>

#include "feed.h"
#include "kafka.h"
#include "pipeline.h"

#define FEED_MAX_SOURCES FEED_NPROVIDERS
#define FEED_MAX_SYMBOLS 256

typedef struct feed_source_config {
    feed_provider provider;
    const char *url;    /* NULL: feed_default_url (Finnhub's with ?token=) */
    const char *key;    /* from the environment (feed_key_env); NULL when none */
    const char *secret; /* Alpaca's secret */
} feed_source_config;

typedef struct feed_ingest_config {
    kafka_opts kafka;
    const char *topic;        /* default TOPIC_TRADES */
    const char *quotes_topic; /* default TOPIC_QUOTES */
    int quotes;               /* also the best bid and offer, where the provider has them */
    feed_source_config sources[FEED_MAX_SOURCES];
    size_t nsources;
    const char *const *symbols; /* normalised (BTC-USD, AAPL) */
    size_t nsymbols;
    const char *ca_file; /* CA bundle for wss://; NULL: the system's */
    int insecure;        /* wss:// without certificate checks (test servers only) */
    int64_t stall_ns;    /* watchdog; 0: 30 s */
    int64_t confirm_ns;  /* wait for auth and subscription answers; 0: 10 s */
    int64_t backoff_min_ns, backoff_max_ns; /* 0: 500 ms and 30 s */
    int64_t max_reconnects;                 /* give up after this many in a row; 0: never */
    int partitions, replication, min_isr;   /* replication, min_isr: 0 = by cluster size */
} feed_ingest_config;

/* What each source has done; atomics so the status line can read them. */
typedef struct feed_source_stats {
    atomic_int state;         /* FEED_STATE_* */
    atomic_llong messages;    /* messages received */
    atomic_llong trades;      /* trades handed to the producer */
    atomic_llong quotes;      /* quotes handed to the producer */
    atomic_llong bad;         /* malformed messages and unusable trades */
    atomic_llong skipped;     /* entries that are not trades */
    atomic_llong duplicates;  /* trades dropped as already sent */
    atomic_llong gaps;        /* trades missing by the provider's ids */
    atomic_llong reconnects;  /* connections lost and made again */
    atomic_llong last_msg_ns; /* mono_ns of the last message; 0 none yet */
} feed_source_stats;

enum { FEED_STATE_CONNECTING, FEED_STATE_CONNECTED, FEED_STATE_RECONNECTING, FEED_STATE_STOPPED };

typedef struct feed_ingest_result {
    feed_source_stats src[FEED_MAX_SOURCES];
    /* Records of every source whose delivery failed so far (the sources
     * share one producer), kept current while the stage runs for the status
     * line; failed below is the final count. */
    atomic_llong failing;
    int64_t delivered, failed;
    int64_t unacked; /* sent with acks=0: left, never confirmed (kafka_producer_unacked) */
    /* From a message's arrival to the broker's acknowledgement of its trades
     * and quotes, over the delivered ones (filled at the end; lathist.h). */
    int64_t latency_p50_ns, latency_p99_ns, latency_count;
} feed_ingest_result;

/* "connected", "reconnecting", ... */
const char *feed_state_name(int state);

/* One line per source for logs and the status line: state, messages/s and
 * trades/s since the previous call (prev holds the counts and time then),
 * the age of the last message, gaps, duplicates dropped, reconnects; then,
 * once a delivery has failed, "; N records failed delivery" for them all. */
typedef struct feed_rate_memo {
    int64_t at_ns, messages[FEED_MAX_SOURCES], trades[FEED_MAX_SOURCES];
} feed_rate_memo;
void feed_status_lines(const feed_ingest_config *cfg, const feed_ingest_result *res,
                       feed_rate_memo *prev, char *out, size_t out_size);

/* Runs every source until ctl->stop (or a fatal provider error), then
 * flushes. res must be zeroed by the caller before (the status line reads it
 * while this runs). Returns 0 when stopped and every trade was delivered; -1
 * with errstr on a fatal provider error or a delivery failure. */
int feed_ingest_run(const feed_ingest_config *cfg, stage_control *ctl, pipeline_stats *st,
                    feed_ingest_result *res, char *errstr, size_t errstr_size);

#endif
