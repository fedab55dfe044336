/* rest_poll.h - the ingest stage for REST market data (feed_rest.h): Finnhub
 * quotes to the `snapshots` topic, Alpha Vantage intraday bars to `bars.rest`.
 *
 * Each round asks for every symbol in turn, at most one request per
 * min_gap_ns (Finnhub's free plan allows 60 a minute, Alpha Vantage's far
 * fewer), then sleeps until the next round (interval_ns after the last one
 * started). A snapshot is published when its time differs from the last one
 * of its symbol; a bar when it starts after the last one published for its
 * symbol, so polling again publishes nothing twice. Throttling (HTTP 429, or
 * Alpha Vantage's HTTP 200 with a "Note" or "Information") is logged and
 * counted, and the next request waits a backoff that doubles from
 * interval_ns up to 10 minutes; an HTTP 401 or 403, or an answer that says
 * the key is invalid, stops the stage at once with an error. */
#ifndef TICKLAKE_REST_POLL_H
#define TICKLAKE_REST_POLL_H

#include <stdint.h>

#include "kafka.h"
#include "pipeline.h"

#define TOPIC_SNAPSHOTS "snapshots"
#define TOPIC_BARS_REST "bars.rest"

typedef enum { REST_FINNHUB_QUOTE, REST_ALPHAVANTAGE } rest_kind;

typedef struct rest_poll_config {
    kafka_opts kafka;
    rest_kind kind;
    const char *topic;    /* default TOPIC_SNAPSHOTS or TOPIC_BARS_REST */
    const char *url;      /* base URL; NULL: the provider's */
    const char *key;      /* FINNHUB_TOKEN or ALPHAVANTAGE_API_KEY */
    const char *interval; /* Alpha Vantage: 1min, 5min, 15min, 30min, 60min (default 5min) */
    const char *ca_file;
    const char *const *symbols;
    size_t nsymbols;
    int64_t interval_ns; /* between rounds; 0: 60 s */
    int64_t min_gap_ns;  /* between requests; 0: 1.1 s (Finnhub) or 12.5 s (Alpha Vantage) */
    int partitions, replication, min_isr; /* replication, min_isr: 0 = by cluster size */
} rest_poll_config;

typedef struct rest_poll_result {
    int64_t requests, records, throttled, errors, delivered, failed;
    int64_t unacked; /* sent with acks=0: left, never confirmed (kafka_producer_unacked) */
} rest_poll_result;

/* Polls until ctl->stop, then flushes. 0 when stopped and every record was
 * delivered; -1 with errstr on a rejected key or a delivery failure. */
int rest_poll_run(const rest_poll_config *cfg, stage_control *ctl, pipeline_stats *st,
                  rest_poll_result *res, char *errstr, size_t errstr_size);

#endif
