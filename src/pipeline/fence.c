/* fence.c - which of two instances with one --instance-id is the zombie; see fence.h. */
#include "fence.h"

#include <stdio.h>
#include <stdlib.h>

#include "kafka_admin.h"
#include "kafka_producer.h"
#include "log.h"
#include "util.h"

#define FENCE_TOPIC "ticklake-fence"
#define PROBE_TIMEOUT_MS 30000

struct stage_fence {
    kafka_producer *token;
    char topic[192];
    char txn_id[320];
};

int stage_fence_take(const kafka_opts *o, const char *member, const char *topic_prefix,
                     int replication, int min_isr, stage_fence **out, char *errstr,
                     size_t errstr_size)
{
    *out = NULL;
    int txn = kafka_supports_transactions(o, errstr, errstr_size);
    if (txn <= 0)
        return txn < 0 ? -1 : 0;
    stage_fence *f = xcalloc(1, sizeof(*f));
    snprintf(f->topic, sizeof(f->topic), "%s%s", topic_prefix ? topic_prefix : "", FENCE_TOPIC);
    snprintf(f->txn_id, sizeof(f->txn_id), "%s.fence", member);
    const char *topics[] = {f->topic};
    if (kafka_ensure_topics(o, topics, 1, 1, replication, min_isr, errstr, errstr_size) != 0) {
        free(f);
        return -1;
    }
    f->token = kafka_txn_producer_new(o, "ticklake-fence", f->txn_id, errstr, errstr_size);
    if (!f->token) {
        free(f);
        return -1;
    }
    LOG_INFO("fence: holding transactional id '%s' for '%s': an older instance with the same id "
             "is a zombie from now on",
             f->txn_id, member);
    *out = f;
    return 0;
}

int stage_fence_current(stage_fence *f, char *errstr, size_t errstr_size)
{
    return kafka_txn_probe(f->token, f->topic, PROBE_TIMEOUT_MS, errstr, errstr_size);
}

void stage_fence_free(stage_fence *f)
{
    if (!f)
        return;
    kafka_producer_free(f->token);
    free(f);
}
