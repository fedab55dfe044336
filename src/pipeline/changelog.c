/* changelog.c - the processor's indicator state and its changelog topic; see changelog.h. */
#include "changelog.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bar.h"
#include "kafka_admin.h"
#include "log.h"
#include "util.h"

/* Keys: "<partition>/<interval>/<symbol>" and "<partition>/progress". */
#define KEY_MAX (16 + TICK_SYMBOL_MAX + 32)

static uint64_t series_hash(const char *sym, int interval)
{
    return fnv1a_bytes(FNV1A_BASIS ^ (uint64_t)interval, sym, strlen(sym));
}

void series_map_clear(series_map *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i])
            ind_state_free(&m->slots[i]->st);
        free(m->slots[i]);
    }
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

series *series_get(series_map *m, const char *sym, int interval)
{
    if (m->n * 2 >= m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        series **slots = calloc(cap, sizeof(*slots));
        if (!slots)
            return NULL;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->slots[i])
                continue;
            size_t k = series_hash(m->slots[i]->symbol, m->slots[i]->interval) & (cap - 1);
            while (slots[k])
                k = (k + 1) & (cap - 1);
            slots[k] = m->slots[i];
        }
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    TL_ASSERT(m->n < m->cap); /* a free slot ends every probe */
    size_t k = series_hash(sym, interval) & (m->cap - 1);
    while (m->slots[k]) {
        if (m->slots[k]->interval == interval && strcmp(m->slots[k]->symbol, sym) == 0)
            return m->slots[k];
        k = (k + 1) & (m->cap - 1);
    }
    series *se = calloc(1, sizeof(*se));
    if (!se)
        return NULL;
    strlcpy_tl(se->symbol, sym, sizeof(se->symbol));
    se->interval = interval;
    ind_state_init(&se->st);
    m->slots[k] = se;
    m->n++;
    return se;
}

int changelog_write(const changelog *cl, kafka_producer *prod, int32_t part, series_map *m,
                    uint64_t seq, const char *progress, buf *rec, char *errstr, size_t errstr_size)
{
    TL_ASSERT(cl->partitions > 0 && part >= 0);
    int32_t cpart = part % cl->partitions;
    char key[KEY_MAX];
    for (size_t k = 0; k < m->cap; k++) {
        series *se = m->slots[k];
        if (!se || !se->dirty)
            continue;
        char iv[32];
        TL_ASSERT(se->interval >= 0 && (size_t)se->interval < cl->nintervals);
        interval_name(cl->intervals[se->interval], iv, sizeof(iv));
        int kl = snprintf(key, sizeof(key), "%d/%s/%s", (int)part, iv, se->symbol);
        buf_reset(rec);
        ind_state_encode(&se->st, cl->ind, rec);
        int rc = kafka_produce_partition(prod, cl->topic, cpart, key, (size_t)kl, rec->data,
                                         rec->len, errstr, errstr_size);
        if (rc != 0)
            return rc;
        se->dirty = 0;
    }
    int kl = snprintf(key, sizeof(key), "%d/progress", (int)part);
    buf_reset(rec);
    buf_printf(rec, "seq=%" PRIu64, seq);
    if (progress && *progress) {
        buf_putc(rec, ' ');
        buf_puts(rec, progress);
    }
    return kafka_produce_partition(prod, cl->topic, cpart, key, (size_t)kl, rec->data, rec->len,
                                   errstr, errstr_size);
}

typedef struct restore_ctx {
    const changelog *cl;
    series_map *maps[CHANGELOG_MAX_PARTITIONS]; /* of the input partitions being restored */
    uint64_t seq[CHANGELOG_MAX_PARTITIONS];     /* of the last progress record read */
    buf *more[CHANGELOG_MAX_PARTITIONS];        /* its text after the seq, if asked for */
    size_t series, bad;
    int oom;
} restore_ctx;

static void restore_record(void *opaque, int64_t offset, const void *key, size_t key_len,
                           const void *value, size_t value_len)
{
    (void)offset;
    restore_ctx *r = opaque;
    const changelog *cl = r->cl;
    char k[KEY_MAX];
    if (!key || key_len >= sizeof(k))
        return;
    memcpy(k, key, key_len);
    k[key_len] = '\0';
    char *slash = strchr(k, '/');
    int part = atoi(k);
    if (!slash || part < 0 || part >= CHANGELOG_MAX_PARTITIONS || !r->maps[part] ||
        (slash - k) != snprintf(NULL, 0, "%d", part))
        return; /* an input partition not being restored here */
    const char *rest = slash + 1;
    if (strcmp(rest, "progress") == 0) {
        char v[40];
        size_t n = value_len < sizeof(v) - 1 ? value_len : sizeof(v) - 1;
        memcpy(v, value, n);
        v[n] = '\0';
        unsigned long long seq;
        if (sscanf(v, "seq=%llu", &seq) != 1)
            return;
        r->seq[part] = seq;
        if (r->more[part]) {
            const char *sp = memchr(value, ' ', value_len);
            buf_reset(r->more[part]);
            if (sp)
                buf_append(r->more[part], sp + 1,
                           value_len - (size_t)(sp + 1 - (const char *)value));
        }
        return;
    }
    char *sym = strchr(rest, '/');
    if (!sym)
        return;
    *sym++ = '\0';
    int64_t ns;
    size_t i = 0;
    if (interval_parse(rest, &ns) != 0)
        return;
    while (i < cl->nintervals && cl->intervals[i] != ns)
        i++;
    if (i == cl->nintervals || strlen(sym) >= TICK_SYMBOL_MAX || !*sym)
        return; /* an interval no longer configured */
    series *se = series_get(r->maps[part], sym, (int)i);
    if (!se) {
        r->oom = 1;
        return;
    }
    char err[160];
    if (ind_state_decode(value, value_len, cl->ind, &se->st, err, sizeof(err)) != 0) {
        if (r->bad++ < 10)
            LOG_WARN("process: changelog '%s' key '%.*s': %s; the series starts afresh", cl->topic,
                     (int)key_len, (const char *)key, err);
        ind_state_free(&se->st);
        return;
    }
    se->dirty = 0;
    r->series++;
}

int changelog_restore(const changelog *cl, const int32_t *parts, size_t n, series_map *const *maps,
                      const uint64_t *want_seq, changelog_progress *progress, int *kafka_failed,
                      char *errstr, size_t errstr_size)
{
    int idle_ms = cl->idle_ms > 0 ? cl->idle_ms : CHANGELOG_IDLE_MS;
    /* Lagging progress records fail the restore only when a read that began
     * after this still finds them lagging: a read of a long changelog takes
     * its own time (bounded by its progress), and a deadline that counted it
     * could give up after one read without giving the markers any time. */
    int lag_ms = 3 * idle_ms;
    int64_t until = mono_ns() + (int64_t)lag_ms * 1000000;
    if (kafka_failed)
        *kafka_failed = 0;
    restore_ctx *r = calloc(1, sizeof(*r));
    int32_t *cparts = calloc(n ? n : 1, sizeof(*cparts));
    int rc = -1;
    if (!r || !cparts) {
        set_err(errstr, errstr_size, "out of memory");
        goto out;
    }
    r->cl = cl;
    for (;;) {
        size_t nc = 0;
        memset(r->maps, 0, sizeof(r->maps));
        memset(r->seq, 0, sizeof(r->seq));
        r->series = 0;
        for (size_t i = 0; i < n; i++) {
            TL_ASSERT(parts[i] >= 0 && parts[i] < CHANGELOG_MAX_PARTITIONS);
            r->maps[parts[i]] = maps[i];
            if (progress) {
                r->more[parts[i]] = &progress[i].more;
                buf_reset(&progress[i].more);
            }
            series_map_clear(maps[i]);
            int32_t c = parts[i] % cl->partitions;
            size_t k = 0;
            while (k < nc && cparts[k] != c)
                k++;
            if (k == nc)
                cparts[nc++] = c;
        }
        char err[256];
        int64_t t0 = mono_ns();
        if (kafka_read_partitions(cl->kafka, cl->topic, cparts, nc, idle_ms, restore_record, r, err,
                                  sizeof(err)) != 0) {
            set_err(errstr, errstr_size, "unable to restore indicator state: %s", err);
            if (kafka_failed)
                *kafka_failed = 1;
            goto out;
        }
        if (r->oom) {
            set_err(errstr, errstr_size, "out of memory");
            goto out;
        }
        for (size_t i = 0; progress && i < n; i++)
            progress[i].seq = r->seq[parts[i]];
        size_t behind = 0;
        for (size_t i = 0; i < n; i++)
            if (want_seq && r->seq[parts[i]] < want_seq[i])
                behind++;
        if (!behind) {
            size_t nseries = 0;
            for (size_t i = 0; i < n; i++)
                nseries += maps[i]->n;
            LOG_INFO("process: restored %zu series (%zu records) of %zu partitions from '%s' in "
                     "%lld ms",
                     nseries, r->series, n, cl->topic, (long long)((mono_ns() - t0) / 1000000));
            rc = 0;
            goto out;
        }
        if (t0 > until) {
            set_err(errstr, errstr_size,
                    "changelog '%s' lags the committed offsets of %zu input partitions after %d ms",
                    cl->topic, behind, lag_ms);
            if (kafka_failed)
                *kafka_failed = 1;
            goto out;
        }
        LOG_DEBUG("process: the changelog lags the commits of %zu partitions; rereading", behind);
        sleep_ns(100 * 1000000LL);
    }
out:
    free(r);
    free(cparts);
    return rc;
}
