/* publish_tally.h - a producing stage's counters kept current while it runs.
 *
 * The ingest stages (simulator, CSV replay, live feeds) count in
 * pipeline_stats what their producer published (delivered, or sent with
 * acks=0) and what failed for good. A tally remembers how much of each it
 * has added, so that each update adds only what is new: the status line,
 * /metrics and the console see failed deliveries as they happen, not at the
 * stage's end. A tally belongs to the one thread that updates it. */
#ifndef TICKLAKE_PUBLISH_TALLY_H
#define TICKLAKE_PUBLISH_TALLY_H

#include <stdint.h>

#include "kafka_producer.h"
#include "pipeline.h"

typedef struct publish_tally {
    int64_t published; /* added to st->ticks_produced so far */
    int64_t failed;    /* added to st->ticks_failed so far */
} publish_tally;

/* Adds to st what p published and what failed for good since the last update. */
void publish_tally_update(publish_tally *t, const kafka_producer *p, pipeline_stats *st);

#endif
