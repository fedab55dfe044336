/* dlq.h - the dead-letter record (docs/DATA.md, "dead letter"): what the
 * process stage sends to the dlq topic for a record it cannot use. Pure: no
 * I/O. */
#ifndef TICKLAKE_DLQ_H
#define TICKLAKE_DLQ_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* The original bytes a dead letter keeps at most. Escaped as a JSON string
 * (at most 6 bytes each) or base64 (4 for 3) they stay well under the
 * producer's message.max.bytes (1,000,000): a record the broker took whole
 * must not make a dead letter that cannot be sent, which would stop the
 * stream on it at every start. */
#define DLQ_VALUE_MAX (128 * 1024)

/* The longest key a dead letter is sent with (the original's); a longer one
 * is left off. */
#define DLQ_KEY_MAX 1024

/* Appends to out the dead letter of the record at topic/partition/offset
 * with value[0..len): {"stage":..,"topic":..,"partition":..,"offset":..,
 * "reason":..,"value":".."} with the bytes as a JSON string when they are
 * UTF-8, else "value_base64". A value longer than DLQ_VALUE_MAX keeps its
 * first DLQ_VALUE_MAX bytes (fewer, so as not to split a UTF-8 character)
 * and adds "value_bytes" (its whole length) and "value_truncated":true. */
void dlq_encode(buf *out, const char *stage, const char *topic, int32_t partition, int64_t offset,
                const char *reason, const void *value, size_t len);

#endif
