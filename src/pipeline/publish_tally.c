/* publish_tally.c - see publish_tally.h. */
#include "publish_tally.h"

void publish_tally_update(publish_tally *t, const kafka_producer *p, pipeline_stats *st)
{
    int64_t published = kafka_producer_published(p);
    int64_t failed = kafka_producer_failed(p);
    atomic_fetch_add(&st->ticks_produced, published - t->published);
    atomic_fetch_add(&st->ticks_failed, failed - t->failed);
    t->published = published;
    t->failed = failed;
}
