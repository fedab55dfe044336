/* kafka_doubt.c - records a producer cannot vouch for; see kafka_doubt.h. */
#include "kafka_doubt.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_admin.h"
#include "kafka_conf.h"
#include "log.h"
#include "util.h"

/* How far before the earliest doubtful record's timestamp the search starts:
 * records of one producer are stamped in order, but clocks step. */
#define SEARCH_BACK_MS 10000

typedef struct doubt {
    char *topic;
    int32_t partition;
    int64_t ts_ms;
    int64_t after; /* the partition's highest offset confirmed before it; -1 unknown */
    unsigned char *key, *value;
    size_t key_len, value_len;
    uint64_t hash;
    int found;
} doubt;

struct kafka_doubts {
    pthread_mutex_t mu;
    doubt *v;
    size_t n, cap;
    size_t bytes, max_bytes;
};

kafka_doubts *kafka_doubts_new(size_t max_bytes)
{
    kafka_doubts *d = xcalloc(1, sizeof(*d));
    pthread_mutex_init(&d->mu, NULL);
    d->max_bytes = max_bytes;
    return d;
}

static void doubt_release(doubt *x)
{
    free(x->topic);
    free(x->key);
    free(x->value);
}

void kafka_doubts_free(kafka_doubts *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        doubt_release(&d->v[i]);
    free(d->v);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

/* FNV-1a over key, a separator, value. */
static uint64_t record_hash(const void *key, size_t key_len, const void *value, size_t value_len)
{
    static const unsigned char sep = 0xff;
    uint64_t h = fnv1a_bytes(FNV1A_BASIS, key, key_len);
    h = fnv1a_bytes(fnv1a_bytes(h, &sep, 1), value, value_len);
    return h ^ (uint64_t)key_len << 32 ^ value_len;
}

static unsigned char *dup_bytes(const void *p, size_t n)
{
    unsigned char *c = xmalloc(n ? n : 1);
    if (n)
        memcpy(c, p, n);
    return c;
}

int kafka_doubts_add(kafka_doubts *d, const char *topic, int32_t partition, int64_t ts_ms,
                     int64_t after_offset, const void *key, size_t key_len, const void *value,
                     size_t value_len)
{
    size_t size = key_len + value_len + strlen(topic) + sizeof(doubt);
    pthread_mutex_lock(&d->mu);
    if (d->bytes + size > d->max_bytes) {
        pthread_mutex_unlock(&d->mu);
        return -1;
    }
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
    }
    d->v[d->n++] = (doubt){.topic = xstrdup(topic),
                           .partition = partition,
                           .ts_ms = ts_ms,
                           .after = after_offset >= 0 ? after_offset : -1,
                           .key = dup_bytes(key, key_len),
                           .value = dup_bytes(value, value_len),
                           .key_len = key_len,
                           .value_len = value_len,
                           .hash = record_hash(key, key_len, value, value_len)};
    d->bytes += size;
    pthread_mutex_unlock(&d->mu);
    return 0;
}

size_t kafka_doubts_count(kafka_doubts *d)
{
    pthread_mutex_lock(&d->mu);
    size_t n = d->n;
    pthread_mutex_unlock(&d->mu);
    return n;
}

static int by_partition(const void *a, const void *b)
{
    const doubt *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    if (c)
        return c;
    return (x->partition > y->partition) - (x->partition < y->partition);
}

/* One partition's doubts, in an open-addressing table by hash. */
typedef struct search {
    doubt *v;
    size_t n;
    size_t *slots; /* index + 1; 0 empty */
    size_t mask;
    size_t found;
} search;

static void search_init(search *s, doubt *v, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    s->v = v;
    s->n = n;
    s->slots = xcalloc(cap, sizeof(*s->slots));
    s->mask = cap - 1;
    s->found = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = (size_t)v[i].hash & s->mask;
        while (s->slots[j])
            j = (j + 1) & s->mask;
        s->slots[j] = i + 1;
    }
}

/* A copy in the log vouches for one record, and only for one it may be: a record's copy lies after
 * the offsets confirmed to the producer before it (an identical record confirmed earlier, such
 * as a file's duplicate row, is that record, not this one). Of the records it may vouch for, the
 * one with the latest such offset takes it: the copies come in offset order, so a later copy can
 * still vouch for the others. */
static void on_record(void *opaque, int64_t offset, const void *key, size_t key_len,
                      const void *value, size_t value_len)
{
    search *s = opaque;
    if (s->found == s->n)
        return;
    uint64_t h = record_hash(key, key_len, value, value_len);
    doubt *best = NULL;
    for (size_t j = (size_t)h & s->mask; s->slots[j]; j = (j + 1) & s->mask) {
        doubt *x = &s->v[s->slots[j] - 1];
        if (x->found || x->hash != h || x->key_len != key_len || x->value_len != value_len ||
            offset <= x->after || (best && best->after >= x->after) ||
            (key_len && memcmp(x->key, key, key_len) != 0) ||
            (value_len && memcmp(x->value, value, value_len) != 0))
            continue;
        best = x;
    }
    if (best) {
        best->found = 1;
        s->found++;
    }
}

/* The offset to search partition from: the earliest whose timestamp is at
 * least ts_ms - SEARCH_BACK_MS, or the beginning when the broker cannot say. */
static int64_t search_start(rd_kafka_t *rk, const char *topic, int32_t partition, int64_t ts_ms,
                            int timeout_ms)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset =
        ts_ms > SEARCH_BACK_MS ? ts_ms - SEARCH_BACK_MS : 0;
    int64_t start = RD_KAFKA_OFFSET_BEGINNING;
    if (rd_kafka_offsets_for_times(rk, l, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        !l->elems[0].err && l->elems[0].offset >= 0)
        start = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    return start;
}

int kafka_doubts_resolve(kafka_doubts *d, rd_kafka_t *rk, const kafka_opts *o, int timeout_ms,
                         kafka_doubt_resend_cb resend, void *ctx, int64_t *found, int64_t *resent,
                         char *errstr, size_t errstr_size)
{
    *found = *resent = 0;
    pthread_mutex_lock(&d->mu);
    doubt *v = d->v;
    size_t n = d->n;
    d->v = NULL;
    d->n = d->cap = 0;
    d->bytes = 0;
    pthread_mutex_unlock(&d->mu);
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), by_partition);
    int rc = 0;
    size_t i = 0;
    while (i < n && rc == 0) {
        size_t j = i;
        int64_t ts = v[i].ts_ms, after = v[i].after;
        while (j < n && by_partition(&v[i], &v[j]) == 0) {
            if (v[j].ts_ms < ts)
                ts = v[j].ts_ms;
            if (v[j].after < after)
                after = v[j].after;
            j++;
        }
        const char *topic = v[i].topic;
        int32_t partition = v[i].partition;
        int64_t start = search_start(rk, topic, partition, ts, kafka_timeout_of(o));
        /* Nothing at or before an offset confirmed before every one of them is a copy. */
        if (after >= 0 && start < after + 1)
            start = after + 1;
        search s;
        search_init(&s, v + i, j - i);
        rc = kafka_read_partition_from(o, topic, partition, start, timeout_ms, on_record, &s,
                                       errstr, errstr_size);
        free(s.slots);
        if (rc != 0)
            break; /* this partition and the rest go back */
        LOG_INFO("kafka: %zu of %zu records acknowledged without an offset to '%s' [%d] are in "
                 "its log (searched from offset %lld)",
                 s.found, j - i, topic, (int)partition, (long long)start);
        for (size_t k = i; k < j; k++) {
            doubt *x = &v[k];
            if (x->found) {
                (*found)++;
            } else if (rc == 0 && (rc = resend(ctx, x->topic, x->partition, x->key, x->key_len,
                                               x->value, x->value_len, errstr, errstr_size)) == 0) {
                (*resent)++;
            } else if (kafka_doubts_add(d, x->topic, x->partition, x->ts_ms, x->after, x->key,
                                        x->key_len, x->value, x->value_len) != 0) {
                LOG_ERROR("kafka: a record acknowledged without an offset to '%s' [%d] could "
                          "not be kept for another check",
                          x->topic, (int)x->partition);
            }
            doubt_release(x);
        }
        i = j;
    }
    /* What was not checked goes back on the list. */
    for (; i < n; i++) {
        doubt *x = &v[i];
        if (kafka_doubts_add(d, x->topic, x->partition, x->ts_ms, x->after, x->key, x->key_len,
                             x->value, x->value_len) != 0)
            LOG_ERROR("kafka: a record acknowledged without an offset to '%s' [%d] could not be "
                      "kept for another check",
                      x->topic, (int)x->partition);
        doubt_release(x);
    }
    free(v);
    return rc;
}
