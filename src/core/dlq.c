/* dlq.c - the dead-letter record; see dlq.h. */
#include "dlq.h"

#include <string.h>

void dlq_encode(buf *out, const char *stage, const char *topic, int32_t partition, int64_t offset,
                const char *reason, const void *value, size_t len)
{
    const unsigned char *v = value;
    size_t keep = len;
    if (keep > DLQ_VALUE_MAX) {
        /* The cut goes before the first byte left out; when that byte
         * continues a UTF-8 character, before the character's first byte
         * (at most 3 back: further, the bytes are not UTF-8 anyway). */
        size_t cut = DLQ_VALUE_MAX;
        while (cut > DLQ_VALUE_MAX - 3 && (v[cut] & 0xC0) == 0x80)
            cut--;
        keep = (v[cut] & 0xC0) == 0x80 ? DLQ_VALUE_MAX : cut;
    }
    buf_puts(out, "{\"stage\":");
    buf_put_json_str(out, stage, strlen(stage));
    buf_puts(out, ",\"topic\":");
    buf_put_json_str(out, topic, strlen(topic));
    buf_printf(out, ",\"partition\":%d,\"offset\":%lld,\"reason\":", (int)partition,
               (long long)offset);
    buf_put_json_str(out, reason, strlen(reason));
    if (utf8_valid(v, keep)) {
        buf_puts(out, ",\"value\":");
        buf_put_json_str(out, (const char *)v, keep);
    } else {
        buf_puts(out, ",\"value_base64\":\"");
        buf_put_base64(out, v, keep);
        buf_putc(out, '"');
    }
    if (keep < len)
        buf_printf(out, ",\"value_bytes\":%zu,\"value_truncated\":true", len);
    buf_putc(out, '}');
}
