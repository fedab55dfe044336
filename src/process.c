/* process.c - trades -> bars consumer group; see process.h. */
#include "process.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tick.h"
#include "util.h"

#define MAX_PARTITIONS 1024
#define FLUSH_TIMEOUT_MS 30000

typedef struct part_state {
    int owned;
    window_agg *agg;
    int64_t next_offset;  /* next input offset to read; -1 before the first record */
    int64_t suppress_end; /* bars with window_end <= this were delivered before */
} part_state;

typedef struct proc {
    const process_config *cfg;
    pipeline_stats *st;
    kafka_producer *prod;
    kafka_consumer *cons;
    char input[160];
    char topics[BAR_MAX_INTERVALS][160];
    part_state parts[MAX_PARTITIONS];
    buf rec;
    int failed; /* a produce or commit failed: stop without committing more */
    char errstr[512];
} proc;

static void emit_bar(void *opaque, const bar *b)
{
    proc *p = opaque;
    size_t i = 0;
    while (i < p->cfg->nintervals && p->cfg->intervals[i] != b->interval_ns)
        i++;
    buf_reset(&p->rec);
    bar_encode_json(b, &p->rec);
    if (kafka_produce(p->prod, p->topics[i], b->symbol, strlen(b->symbol), p->rec.data,
                      p->rec.len, p->errstr, sizeof(p->errstr)) != 0) {
        p->failed = 1;
        return;
    }
    atomic_fetch_add(&p->st->bars_emitted, 1);
}

/* The emit callback during replay: drops bars already delivered before. */
typedef struct emit_ctx {
    proc *p;
    int64_t suppress_end;
} emit_ctx;

static void emit_filtered(void *opaque, const bar *b)
{
    emit_ctx *e = opaque;
    if (b->window_start + b->interval_ns <= e->suppress_end)
        return;
    emit_bar(e->p, b);
}

/* Commits every owned partition in tps (or all owned partitions when tps is
 * NULL): bars first, then offsets with the watermark as metadata. */
static int commit_parts(proc *p, const kafka_tp *only, size_t nonly)
{
    if (p->failed)
        return -1;
    char err[256];
    if (kafka_producer_flush(p->prod, FLUSH_TIMEOUT_MS, err, sizeof(err)) != 0) {
        p->failed = 1;
        snprintf(p->errstr, sizeof(p->errstr), "bars not delivered: %s", err);
        return -1;
    }
    kafka_tp tps[MAX_PARTITIONS];
    size_t n = 0;
    for (int32_t part = 0; part < MAX_PARTITIONS; part++) {
        part_state *ps = &p->parts[part];
        if (!ps->owned || ps->next_offset < 0)
            continue;
        if (only) {
            size_t k = 0;
            while (k < nonly && only[k].partition != part)
                k++;
            if (k == nonly)
                continue;
        }
        int64_t min_open = window_agg_min_open_offset(ps->agg);
        kafka_tp *tp = &tps[n++];
        tp->topic = p->input;
        tp->partition = part;
        tp->offset = min_open >= 0 ? min_open : ps->next_offset;
        int64_t wm = window_agg_watermark(ps->agg);
        if (wm < ps->suppress_end)
            wm = ps->suppress_end;
        snprintf(tp->metadata, sizeof(tp->metadata), "wm=%" PRId64, wm);
    }
    if (kafka_consumer_commit(p->cons, tps, n, err, sizeof(err)) != 0) {
        /* A failed commit loses nothing: the next one covers it. */
        LOG_WARN("process: %s", err);
        return 0;
    }
    return 0;
}

static void on_assigned(void *opaque, const kafka_tp *tps, size_t n)
{
    proc *p = opaque;
    kafka_tp *q = calloc(n ? n : 1, sizeof(*q));
    memcpy(q, tps, n * sizeof(*q));
    char err[256];
    if (kafka_consumer_committed(p->cons, q, n, 10000, err, sizeof(err)) != 0) {
        LOG_WARN("process: %s; replaying without suppression", err);
        for (size_t i = 0; i < n; i++)
            q[i].metadata[0] = '\0';
    }
    for (size_t i = 0; i < n; i++) {
        int32_t part = q[i].partition;
        if (part < 0 || part >= MAX_PARTITIONS) {
            LOG_ERROR("process: partition %d beyond the supported %d", (int)part, MAX_PARTITIONS);
            continue;
        }
        part_state *ps = &p->parts[part];
        window_agg_free(ps->agg);
        ps->agg = window_agg_new(p->cfg->intervals, p->cfg->nintervals, p->cfg->lateness_ns);
        ps->owned = 1;
        ps->next_offset = -1;
        ps->suppress_end = INT64_MIN;
        long long wm;
        if (sscanf(q[i].metadata, "wm=%lld", &wm) == 1)
            ps->suppress_end = wm;
        LOG_INFO("process: partition %d from offset %lld%s", (int)part, (long long)q[i].offset,
                 ps->suppress_end != INT64_MIN ? " (replaying open windows)" : "");
    }
    free(q);
}

static void on_revoked(void *opaque, const kafka_tp *tps, size_t n)
{
    proc *p = opaque;
    commit_parts(p, tps, n);
    for (size_t i = 0; i < n; i++) {
        int32_t part = tps[i].partition;
        if (part < 0 || part >= MAX_PARTITIONS)
            continue;
        part_state *ps = &p->parts[part];
        window_agg_free(ps->agg);
        ps->agg = NULL;
        ps->owned = 0;
    }
}

int process_run(const process_config *cfg, stage_control *ctl, pipeline_stats *st, char *errstr,
                size_t errstr_size)
{
    proc *p = calloc(1, sizeof(*p));
    if (!p)
        return set_err(errstr, errstr_size, "out of memory");
    p->cfg = cfg;
    p->st = st;
    const char *prefix = cfg->topic_prefix ? cfg->topic_prefix : "";
    snprintf(p->input, sizeof(p->input), "%s%s", prefix, TOPIC_TRADES);
    buf_init(&p->rec);
    int rc = -1;
    const char *outs[BAR_MAX_INTERVALS];
    for (size_t i = 0; i < cfg->nintervals; i++) {
        char name[32];
        interval_name(cfg->intervals[i], name, sizeof(name));
        snprintf(p->topics[i], sizeof(p->topics[i]), "%s%s%s", prefix, TOPIC_BARS_PREFIX, name);
        outs[i] = p->topics[i];
    }
    const char *in[] = {p->input};
    if (kafka_ensure_topics(&cfg->kafka, in, 1, cfg->partitions, cfg->replication, errstr,
                            errstr_size) != 0 ||
        kafka_ensure_topics(&cfg->kafka, outs, cfg->nintervals, cfg->partitions, cfg->replication,
                            errstr, errstr_size) != 0)
        goto out;
    p->prod = kafka_producer_new(&cfg->kafka, "ticklake-process", errstr, errstr_size);
    if (!p->prod)
        goto out;
    kafka_rebalance_handler rh = {.assigned = on_assigned, .revoked = on_revoked, .opaque = p};
    p->cons = kafka_consumer_new(&cfg->kafka, cfg->group ? cfg->group : GROUP_PROCESS, in, 1, &rh,
                                 errstr, errstr_size);
    if (!p->cons)
        goto out;

    int64_t commit_every = cfg->commit_interval_ns > 0 ? cfg->commit_interval_ns : NS_PER_SEC;
    int64_t next_commit = mono_ns() + commit_every;
    int64_t next_drain_check = 0;
    int64_t logged_bad = 0;
    for (;;) {
        if (atomic_load(&ctl->stop) || p->failed)
            break;
        kafka_msg m;
        int r = kafka_consumer_poll(p->cons, 100, &m, errstr, errstr_size);
        if (r < 0)
            goto out;
        if (r > 0) {
            part_state *ps = m.partition >= 0 && m.partition < MAX_PARTITIONS
                                 ? &p->parts[m.partition]
                                 : NULL;
            trade t;
            char derr[256];
            if (!ps || !ps->owned) {
                LOG_WARN("process: record from unowned partition %d ignored", (int)m.partition);
            } else if (trade_decode_json(m.value, m.value_len, &t, derr, sizeof(derr)) != 0) {
                if (logged_bad++ < 100)
                    LOG_WARN("process: bad record at '%s' [%d] offset %lld: %s", m.topic,
                             (int)m.partition, (long long)m.offset, derr);
                atomic_fetch_add(&st->bad_records, 1);
                ps->next_offset = m.offset + 1;
            } else {
                emit_ctx ec = {p, ps->suppress_end};
                int late = window_agg_add(ps->agg, &t, m.offset, emit_filtered, &ec);
                if (late)
                    atomic_fetch_add(&st->trades_late, late);
                atomic_fetch_add(&st->trades_processed, 1);
                ps->next_offset = m.offset + 1;
            }
            kafka_msg_release(&m);
        }
        int64_t now = mono_ns();
        if (now >= next_commit) {
            commit_parts(p, NULL, 0);
            atomic_store(&st->process_lag, kafka_consumer_lag(p->cons));
            next_commit = now + commit_every;
        }
        if (atomic_load(&ctl->drain) && r == 0 && now >= next_drain_check) {
            next_drain_check = now + 200 * 1000000LL;
            if (kafka_consumer_caught_up(p->cons, 5000))
                break;
        }
    }
    if (p->failed) {
        set_err(errstr, errstr_size, "%s", p->errstr);
        goto out;
    }
    if (commit_parts(p, NULL, 0) != 0) {
        set_err(errstr, errstr_size, "%s", p->errstr);
        goto out;
    }
    atomic_store(&st->process_lag, kafka_consumer_lag(p->cons));
    rc = 0;
out:
    if (p->cons) {
        /* Closing revokes the assignment, which commits once more. */
        kafka_consumer_close(p->cons);
    }
    kafka_producer_free(p->prod);
    for (int i = 0; i < MAX_PARTITIONS; i++)
        window_agg_free(p->parts[i].agg);
    buf_release(&p->rec);
    free(p);
    return rc;
}
