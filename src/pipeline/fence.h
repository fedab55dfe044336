/* fence.h - which of two instances started with one --instance-id is the
 * zombie, for a stage with no transactional id of its own (the sink).
 *
 * A static member of a consumer group (group.instance.id) fenced by another
 * member with the same id cannot tell from the fence alone whether the other
 * is a zombie that rejoined (after a pause longer than its session) or its
 * replacement; starting over in either case makes the two take the membership
 * from each other in turn for good. The processor decides by its
 * transactional id, which the newest instance holds. A stage without one
 * takes a transactional id as a token (`<member>.fence`), with an idle
 * transactional producer whose init fences the token of every older instance,
 * and asks its coordinator when fenced (kafka_txn_probe: an aborted record in
 * the one-partition topic `<prefix>ticklake-fence`, which no read_committed
 * reader ever sees): still holding the token, the other is the zombie and
 * this instance starts over; the token gone, this instance is the zombie and
 * stops. The newest instance wins, as with transactional ids. */
#ifndef TICKLAKE_FENCE_H
#define TICKLAKE_FENCE_H

#include <stddef.h>

#include "kafka.h"

typedef struct stage_fence stage_fence;

/* Takes the token of member (the stage's group.instance.id) on o's cluster,
 * creating the fence topic (prefix, replication and min_isr as
 * kafka_ensure_topics) if needed. 0 with *out set; 0 with *out NULL when the
 * cluster has no transactions (the embedded broker: nothing to decide by);
 * -1 with errstr. */
int stage_fence_take(const kafka_opts *o, const char *member, const char *topic_prefix,
                     int replication, int min_isr, stage_fence **out, char *errstr,
                     size_t errstr_size);

/* 1: this instance still holds the token; 0: a newer instance took it
 * (errstr says so); -1: unknown within 10 s (errstr says why). */
int stage_fence_current(stage_fence *f, char *errstr, size_t errstr_size);

void stage_fence_free(stage_fence *f); /* accepts NULL */

#endif
