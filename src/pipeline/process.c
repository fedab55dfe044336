/* process.c - trades -> bars consumer group; see process.h. */
#include "process.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changelog.h"
#include "dlq.h"
#include "indicators.h"
#include "kafka_admin.h"
#include "kafka_consumer.h"
#include "kafka_producer.h"
#include "log.h"
#include "progress.h"
#include "restart.h"
#include "tick.h"
#include "util.h"

#define MAX_PARTITIONS CHANGELOG_MAX_PARTITIONS
#define FLUSH_TIMEOUT_MS 30000

/* A closed bar waiting to be encoded and produced, with its indicators. */
typedef struct out_bar {
    bar b;
    int interval; /* index into the configured intervals */
    int has_ind;  /* v holds its indicators (not for a correction or a repeat) */
    ind_values v;
} out_bar;

/* Closed bars wait at most this many before they are produced: one
 * allocation of about 1 MB, made on the first bar. */
#define OUTQ_MAX 4096

_Static_assert(KAFKA_METADATA_MAX >= PROC_PROGRESS_MAX, "the progress fits the offset metadata");

typedef struct part_state {
    int owned;
    series_map ind;
    window_agg *agg;
    int64_t next_offset;  /* next input offset to read; -1 before the first record */
    int64_t suppress_end; /* bars with window_end <= this were published before */
    int64_t max_ts;       /* highest event time seen, INT64_MIN before any */
    int64_t last_record;  /* mono_ns of the last record */
    uint64_t seq;         /* commits of this partition's progress so far ("seq=" metadata) */
    int64_t stale_bucket; /* watermark / shortest interval at the last stale check */
    int bars_pending;     /* this partition closed windows since the last commit */
    /* Records before this offset were read before the committed progress
     * ("next=" metadata): the replay from the resume offset publishes
     * nothing, sends no dead letter and counts no late or bad record again;
     * -1: none to skip. */
    int64_t replay_end;
    /* Without "next=" (progress committed by an older version), replayed bars
     * are told by their window alone: a first bar (revision 0) whose window
     * ends at or before suppress_end was published before. */
    int legacy_suppress;
    /* With --late update: the idle timeout's advances of the watermark since
     * the resume offset, so that a replay makes them at the same points and
     * rebuilds the retained bars exactly (in the changelog's progress record;
     * progress.h). */
    wm_steps adv;
    int adv_capped; /* WM_STEPS_MAX was reached (warned once) */
} part_state;

/* Records taken from librdkafka per call: one call per record read the
 * clock and took the queue's lock for each (clock_gettime alone was 8% of
 * the processor's CPU on JSON trades). */
#define PROC_BATCH 512

typedef struct proc {
    const process_config *cfg;
    ind_config ind;
    char ind_topics[BAR_MAX_INTERVALS][160];
    char alerts[160];
    char alerts_live[160];
    pipeline_stats *st;
    kafka_producer *prod;
    kafka_producer *live;    /* alerts.live, outside the transactions; NULL when it failed */
    int64_t live_failed;     /* its failed deliveries already reported */
    int64_t live_next_retry; /* mono_ns when a failed live producer is made again */
    kafka_consumer *cons;
    int eos;                  /* transactions on */
    int in_txn;               /* a transaction is open */
    int txn_failed;           /* it failed (a record of it not delivered): abort at the commit */
    char txn_error[256];      /* why */
    int aborts_in_row;        /* transactions aborted since the last commit */
    int64_t first_abort;      /* mono_ns of the first of them */
    int nowned;               /* partitions owned */
    int nparts_pending;       /* of them, those with bars published since the last commit */
    int bars_live;            /* the first of those bars was closed by a fresh record */
    int64_t live_ms;          /* "fresh": produced less than this long ago */
    int64_t cur_ts_ms;        /* Kafka timestamp of the record being handled */
    int64_t first_close_mono; /* when the first pending bar was published */
    int dirty;                /* records read since the last commit */
    int64_t outputs;          /* records produced since the last commit */
    int64_t last_trim;        /* mono_ns of the last malloc_trim (trim_after) */
    out_bar *outq;            /* closed bars not produced yet, in order (see emit_bar) */
    size_t noutq;             /* of OUTQ_MAX */
    char input[160];
    char dlq[160];
    char topics[BAR_MAX_INTERVALS][160];
    char changelog[160]; /* compacted topic of indicator state (changelog.h) */
    int changelog_parts;
    changelog clog;
    part_state parts[MAX_PARTITIONS];
    buf rec;
    const char **cons_props;     /* the consumer's properties (ours, then -X) */
    int failed;                  /* stop without committing more */
    int kafka_gone;              /* failed because a Kafka client failed for good */
    int64_t commits;             /* commits that succeeded */
    kafka_msg batch[PROC_BATCH]; /* records polled, [batch_next, batch_n) not handled yet */
    size_t batch_n, batch_next;
    buf progress; /* a changelog progress record's "adv=" text */
    char errstr[1024];
} proc;

/* Releases the records polled but not handled: at the end, and after a
 * rewind, which reads them again from the committed offsets. */
static void drop_batch(proc *p)
{
    for (size_t i = p->batch_next; i < p->batch_n; i++)
        kafka_msg_release(&p->batch[i]);
    p->batch_n = p->batch_next = 0;
}

/* The consumer's lag, total and of its furthest partition, for the status line. */
static void note_lag(pipeline_stats *st, kafka_consumer *c)
{
    int64_t max;
    atomic_store(&st->process_lag, kafka_consumer_lag_max(c, &max));
    atomic_store(&st->process_lag_max, max);
}

static void fail(proc *p, const char *fmt, const char *detail)
{
    if (!p->failed)
        snprintf(p->errstr, sizeof(p->errstr), fmt, detail);
    p->failed = 1;
}

/* Opens a transaction if none is open (exactly-once mode only). */
static int ensure_txn(proc *p)
{
    TL_ASSERT(p->eos || !p->in_txn); /* transactions only in exactly-once mode */
    if (!p->eos || p->in_txn || p->failed)
        return p->failed ? -1 : 0;
    char err[256];
    if (kafka_txn_begin(p->prod, err, sizeof(err)) != KAFKA_TXN_OK) {
        fail(p, "%s", err);
        return -1;
    }
    p->in_txn = 1;
    p->txn_failed = 0;
    return 0;
}

/* What a produce in the open transaction answered: 0 to go on. A transaction
 * a record of which was not delivered takes no more records; aborting it and
 * reading again is what its commit's failure leads to (stopping here left the
 * stage down for a broker's passing error). Any other failure stops. */
static int produced(proc *p, int rc, const char *err)
{
    if (rc == KAFKA_PRODUCE_TXN_FAILED && p->eos) {
        p->txn_failed = 1;
        strlcpy_tl(p->txn_error, err, sizeof(p->txn_error));
        LOG_DEBUG("process: %s; the commit aborts it", err);
        return -1;
    }
    if (rc != 0) {
        fail(p, "%s", err);
        return -1;
    }
    return 0;
}

static void produce(proc *p, const char *topic, const void *key, size_t key_len, const buf *value)
{
    char err[256];
    if (ensure_txn(p) != 0)
        return;
    p->outputs++;
    if (p->txn_failed)
        return; /* refused until the abort; the rewind produces it again */
    produced(p,
             kafka_produce(p->prod, topic, key, key_len, value->data, value->len, err, sizeof(err)),
             err);
}

/* The live feed (docs/decisions/0015-live-alerts.md): each alert also
 * goes at once, outside the transaction, to alerts.live, so a display sees it without waiting for
 * the commit, and first to the configuration's on_alert (a console in this process). At least once:
 * an alert of an aborted transaction is raised again by the replay. Its failures are logged and do
 * not touch the exactly-once outputs. */
static void emit_live(proc *p, const alert *a, const buf *value)
{
    char err[256];
    if (p->cfg->on_alert)
        p->cfg->on_alert(p->cfg->on_alert_opaque, a->symbol, value->data, value->len);
    if (p->live && kafka_produce(p->live, p->alerts_live, a->symbol, strlen(a->symbol), value->data,
                                 value->len, err, sizeof(err)) != 0)
        LOG_WARN("process: live alert not sent: %s", err);
}

/* Serves the live producer's delivery reports; reports failures; makes it
 * again after a fatal error (the idempotent producer gives up its guarantee). */
static void live_check(proc *p, int64_t now)
{
    char err[256];
    if (!p->live) {
        if (now < p->live_next_retry)
            return;
        p->live =
            kafka_live_producer_new(&p->cfg->kafka, "ticklake-process-live", err, sizeof(err));
        if (!p->live) {
            LOG_WARN("process: live alerts off for 10 s: %s", err);
            p->live_next_retry = now + 10 * NS_PER_SEC;
        }
        p->live_failed = 0;
        return;
    }
    kafka_producer_poll(p->live, 0);
    /* An alert acknowledged without an offset may be lost too (kafka_producer.h). */
    int64_t failed = kafka_producer_failed(p->live) + kafka_producer_unconfirmed(p->live);
    if (failed > p->live_failed) {
        LOG_WARN("process: %lld live alert(s) not delivered (they are in %s once committed)",
                 (long long)(failed - p->live_failed), p->alerts);
        p->live_failed = failed;
    }
    if (kafka_producer_fatal(p->live, err, sizeof(err))) {
        LOG_WARN("process: live alerts producer failed, making it again: %s", err);
        kafka_producer_free(p->live);
        p->live = NULL;
        p->live_next_retry = now;
    }
}

static void emit_alert(proc *p, const alert *a)
{
    buf_reset(&p->rec);
    alert_encode_json(a, &p->rec);
    produce(p, p->alerts, a->symbol, strlen(a->symbol), &p->rec);
    emit_live(p, a, &p->rec);
    atomic_fetch_add(&p->st->alerts_emitted, 1);
}

/* Encodes and produces the queued bars and their indicators, in order. */
static void flush_bars(proc *p)
{
    for (size_t k = 0; k < p->noutq && !p->failed; k++) {
        const out_bar *o = &p->outq[k];
        buf_reset(&p->rec);
        bar_encode_json(&o->b, &p->rec);
        produce(p, p->topics[o->interval], o->b.symbol, strlen(o->b.symbol), &p->rec);
        atomic_fetch_add(&p->st->bars_emitted, 1);
        if (!o->has_ind)
            continue;
        buf_reset(&p->rec);
        ind_encode_json(&o->b, &p->ind, &o->v, &p->rec);
        produce(p, p->ind_topics[o->interval], o->b.symbol, strlen(o->b.symbol), &p->rec);
    }
    p->noutq = 0;
}

/* Handles a closed bar: folds it into its series' indicators, raises its
 * alerts at once (to alerts.live too), and queues the bar and its indicators,
 * which are encoded and produced later (flush_bars: before a commit, when no
 * record is waiting, or when the queue is full). When a second boundary
 * closes the windows of every symbol, the partitions cross it one after
 * another; encoding and producing a partition's bars (a few us each) before
 * reading on would hold back the next partition's closing trade, and with it
 * its alerts, by the whole burst. */
static void emit_bar(proc *p, part_state *ps, const bar *b)
{
    size_t i = 0;
    while (i < p->cfg->nintervals && p->cfg->intervals[i] != b->interval_ns)
        i++;
    if (!p->outq && !(p->outq = malloc(OUTQ_MAX * sizeof(*p->outq)))) {
        fail(p, "%s", "out of memory");
        return;
    }
    if (p->noutq == OUTQ_MAX)
        flush_bars(p); /* a burst larger than the queue goes out as it comes */
    TL_ASSERT(i < p->cfg->nintervals && p->noutq < OUTQ_MAX); /* a configured interval; room */
    out_bar *o = &p->outq[p->noutq++];
    o->b = *b;
    o->interval = (int)i;
    o->has_ind = 0;
    if (!ps->bars_pending) {
        ps->bars_pending = 1;
        if (p->nparts_pending++ == 0) { /* the first bar since the last commit */
            p->first_close_mono = mono_ns();
            p->bars_live = p->cur_ts_ms >= 0 && now_ns() / 1000000 - p->cur_ts_ms < p->live_ms;
        }
    }
    /* A correction does not feed the indicators again: they moved on. */
    if (b->revision > 0)
        return;
    series *se = series_get(&ps->ind, b->symbol, (int)i);
    if (!se) {
        fail(p, "%s", "out of memory");
        return;
    }
    /* Already folded in (at-least-once only: the changelog was delivered,
     * the offsets not yet committed). */
    if (se->st.n > 0 && b->window_start <= se->st.last.window_start)
        return;
    alert alerts[3];
    int n = ind_update(&se->st, &p->ind, b, &o->v, alerts);
    o->has_ind = 1;
    se->dirty = 1;
    for (int k = 0; k < n; k++)
        emit_alert(p, &alerts[k]);
}

/* Raises stale alerts for series of the shortest interval whose last bar
 * ended stale_after before the partition's watermark. */
static void check_stale(proc *p, part_state *ps)
{
    int64_t wm = window_agg_watermark(ps->agg);
    if (wm == INT64_MIN || wm <= ps->suppress_end)
        return;
    for (size_t k = 0; k < ps->ind.cap; k++) {
        series *se = ps->ind.slots[k];
        alert a;
        if (se && se->interval == 0 && ind_check_stale(&se->st, &p->ind, wm, &a)) {
            se->dirty = 1;
            emit_alert(p, &a);
        }
    }
}

/* Checks for stale series each time the watermark enters a new window of the
 * shortest interval: a point fixed by the input, not by the wall clock, so a
 * replay after a restart raises the same stale alerts at the same watermark
 * as an uninterrupted run would. */
static void check_stale_due(proc *p, part_state *ps)
{
    int64_t wm = window_agg_watermark(ps->agg);
    if (wm == INT64_MIN)
        return;
    int64_t bucket = floor_div(wm, p->cfg->intervals[0]);
    if (bucket <= ps->stale_bucket)
        return;
    ps->stale_bucket = bucket;
    check_stale(p, ps);
}

/* Sends a record that could not be used to the dead-letter topic. */
static void send_dlq(proc *p, const kafka_msg *m, const char *reason)
{
    buf_reset(&p->rec);
    dlq_encode(&p->rec, "process", m->topic, m->partition, m->offset, reason, m->value,
               m->value_len);
    int keyed = m->key_len <= DLQ_KEY_MAX;
    produce(p, p->dlq, keyed ? m->key : NULL, keyed ? m->key_len : 0, &p->rec);
    atomic_fetch_add(&p->st->dlq_records, 1);
}

/* The emit callback: drops bars published before a restart or rebalance. */
typedef struct emit_ctx {
    proc *p;
    part_state *ps;
    int replay; /* closed by a record (or advance) handled before the committed progress */
} emit_ctx;

static void emit_filtered(void *opaque, const bar *b)
{
    emit_ctx *e = opaque;
    if (e->replay)
        return;
    if (e->ps->legacy_suppress && b->revision == 0 &&
        b->window_start + b->interval_ns <= e->ps->suppress_end)
        return;
    emit_bar(e->p, e->ps, b);
}

/* The committed progress of a partition: the offset to resume from (resume,
 * window_agg_resume_offset, with rwm its watermark) and the metadata. */
static void progress_of(proc *p, int32_t part, int64_t resume, int64_t rwm, kafka_tp *tp)
{
    part_state *ps = &p->parts[part];
    tp->topic = p->input;
    tp->partition = part;
    tp->offset = resume >= 0 ? resume : ps->next_offset;
    int64_t wm = window_agg_watermark(ps->agg);
    if (wm < ps->suppress_end)
        wm = ps->suppress_end;
    /* A commit during a replay keeps the end of what was read before. */
    proc_progress pp = {.wm = wm,
                        .seq = ps->seq,
                        .next = ps->next_offset > ps->replay_end ? ps->next_offset : ps->replay_end,
                        .rwm = resume >= 0 ? rwm : INT64_MIN};
    proc_progress_format(&pp, tp->metadata, sizeof(tp->metadata));
}

/* Writes the changed series of a partition and its next progress record
 * (changelog.h) in the open transaction; resume: as for progress_of. */
static void write_changelog(proc *p, int32_t part, int64_t resume)
{
    part_state *ps = &p->parts[part];
    char err[256];
    if (ensure_txn(p) != 0 || p->txn_failed)
        return; /* failed: the abort's rewind restores the state and writes it again */
    /* Advances before the resume offset are in its watermark (rwm). */
    wm_steps_drop_through(&ps->adv, resume);
    wm_steps_format(&ps->adv, &p->progress);
    if (produced(p,
                 changelog_write(&p->clog, p->prod, part, &ps->ind, ps->seq + 1, p->progress.data,
                                 &p->rec, err, sizeof(err)),
                 err) != 0)
        return;
    ps->seq++;
}

/* Takes the watermark steps of a partition's changelog progress record when
 * the record is of the committed progress (same seq). Without transactions
 * the changelog can be a commit ahead of the offsets: its steps then start
 * after the committed resume offset, and the replay goes without them. */
static void restore_steps(part_state *ps, int32_t part, const changelog_progress *cp)
{
    char err[256];
    wm_steps_drop_through(&ps->adv, -1);
    if (!cp->more.len || ps->legacy_suppress)
        return;
    if (cp->seq != ps->seq) {
        LOG_WARN("process: partition %d: the changelog's progress (seq=%llu) is not that of the "
                 "committed offset (seq=%llu): replaying without its watermark steps; "
                 "corrections of retained bars may differ",
                 (int)part, (unsigned long long)cp->seq, (unsigned long long)ps->seq);
        return;
    }
    if (wm_steps_parse(&ps->adv, cp->more.data, err, sizeof(err)) != 0)
        LOG_WARN("process: partition %d: %s; corrections of retained bars may differ after "
                 "this replay",
                 (int)part, err);
}

/* Reads the indicator state of partitions back from the changelog, up to the
 * progress record of each one's committed sequence (with transactions). */
static void restore_partitions(proc *p, const int32_t *parts, size_t n)
{
    series_map **maps = calloc(n ? n : 1, sizeof(*maps));
    uint64_t *want = calloc(n ? n : 1, sizeof(*want));
    changelog_progress *progress = calloc(n ? n : 1, sizeof(*progress));
    char err[512];
    if (!maps || !want || !progress) {
        fail(p, "%s", "out of memory");
    } else {
        for (size_t i = 0; i < n; i++) {
            maps[i] = &p->parts[parts[i]].ind;
            want[i] = p->parts[parts[i]].seq;
        }
        int kafka_failed = 0;
        if (changelog_restore(&p->clog, parts, n, maps, p->eos ? want : NULL, progress,
                              &kafka_failed, err, sizeof(err)) != 0) {
            /* A broker that stopped answering, or markers that are late, is
             * for new clients to try again (restart.h), as any Kafka failure:
             * a process that exited here would meet the same changelog at
             * every start. */
            fail(p, "%s", err);
            if (kafka_failed)
                p->kafka_gone = 1;
        }
        for (size_t i = 0; i < n && !p->failed; i++)
            restore_steps(&p->parts[parts[i]], parts[i], &progress[i]);
    }
    for (size_t i = 0; progress && i < n; i++)
        buf_release(&progress[i].more);
    free(progress);
    free(maps);
    free(want);
}

/* Records the progress of owned partitions (all, or those in only): each
 * one's changelog (write_changelog, a new seq) and its offset and metadata
 * into tps. Returns how many. */
static size_t record_progress(proc *p, const kafka_tp *only, size_t nonly, kafka_tp *tps)
{
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
        int64_t rwm, resume = window_agg_resume_offset(ps->agg, &rwm);
        write_changelog(p, part, resume);
        progress_of(p, part, resume, rwm, &tps[n++]); /* with the new seq */
    }
    return n;
}

/* (Re)starts a partition from what the group committed for it. */
static void reset_partition(proc *p, int32_t part, const kafka_tp *committed)
{
    part_state *ps = &p->parts[part];
    window_agg_free(ps->agg);
    ps->agg = window_agg_new(p->cfg->intervals, p->cfg->nintervals, p->cfg->lateness_ns);
    window_agg_set_retention(ps->agg, p->cfg->late_horizon_ns);
    series_map_clear(&ps->ind);
    if (!ps->owned)
        p->nowned++;
    ps->owned = 1;
    ps->bars_pending = 0;
    ps->next_offset = -1;
    ps->max_ts = INT64_MIN;
    ps->last_record = mono_ns();
    wm_steps_drop_through(&ps->adv, -1);
    ps->adv_capped = 0;
    proc_progress pp;
    char err[256];
    if (proc_progress_parse(committed ? committed->metadata : "", &pp, err, sizeof(err)) != 0)
        LOG_WARN("process: partition %d: %s", (int)part, err);
    ps->suppress_end = pp.wm;
    ps->seq = pp.seq;
    ps->replay_end = pp.next;
    /* Progress of an older version: its resume offset held no retained bar
     * and its replay no watermark steps. */
    ps->legacy_suppress = pp.version < PROC_PROGRESS_VERSION || pp.next < 0;
    /* The replay starts with the watermark its first record had. */
    if (pp.rwm != INT64_MIN)
        window_agg_advance(ps->agg, pp.rwm, NULL, NULL);
    /* The committed watermark's window was checked before that commit. */
    ps->stale_bucket = ps->suppress_end == INT64_MIN
                           ? INT64_MIN
                           : floor_div(ps->suppress_end, p->cfg->intervals[0]);
}

/* After an aborted transaction: drop the state of every owned partition and
 * rewind the consumer to the committed offsets, as on a fresh assignment. */
static void rewind_all(proc *p)
{
    drop_batch(p);
    kafka_tp tps[MAX_PARTITIONS];
    size_t n = 0;
    for (int32_t part = 0; part < MAX_PARTITIONS; part++) {
        if (!p->parts[part].owned)
            continue;
        memset(&tps[n], 0, sizeof(tps[n]));
        tps[n].topic = p->input;
        tps[n].partition = part;
        n++;
    }
    char err[256];
    if (kafka_consumer_committed(p->cons, tps, n, 10000, err, sizeof(err)) != 0 ||
        kafka_consumer_seek(p->cons, tps, n, err, sizeof(err)) != 0) {
        fail(p, "unable to rewind after an aborted transaction: %s", err);
        return;
    }
    int32_t parts[MAX_PARTITIONS];
    for (size_t i = 0; i < n; i++) {
        reset_partition(p, tps[i].partition, &tps[i]);
        parts[i] = tps[i].partition;
    }
    restore_partitions(p, parts, n);
    p->noutq = 0; /* bars of the aborted transaction: the replay closes them again */
    LOG_WARN("process: transaction aborted; replaying %zu partitions from their committed offsets",
             n);
}

/* After a commit of at least this many outputs (a boundary of a long interval
 * closing every symbol's window), the heap's free pages go back to the system. */
#define TRIM_AFTER_OUTPUTS 4096

/* A large commit frees tens of MB of records (20,000 bars, their indicators
 * and changelog records at 10,000 symbols when a minute ends); glibc keeps the
 * freed pages, scattered between live state, and the next burst stacks on top
 * of them. malloc_trim returns them (madvise): runs crossing a minute boundary
 * peaked at 71-75 MB instead of 76-98 MB. At most once a second: catching up
 * commits a burst every 25 ms, and trimming each one cost 2-16% more CPU. */
static void trim_after(proc *p, int64_t carried)
{
    if (carried < TRIM_AFTER_OUTPUTS)
        return;
    int64_t now = mono_ns();
    if (now - p->last_trim < NS_PER_SEC)
        return;
    p->last_trim = now;
    malloc_trim(0);
}

/* Transactions aborted one after another, none committed between, over at
 * least a minute, before the processor stops: a failure that comes back every
 * time is not passing. */
#define MAX_ABORTS_IN_ROW 20
#define MAX_ABORTS_SPAN_NS (60 * NS_PER_SEC)

/* Records progress: in a transaction with the outputs (exactly-once), or by
 * delivering every output and then committing offsets (at-least-once). */
static int commit_progress(proc *p, const kafka_tp *only, size_t nonly)
{
    if (p->failed)
        return -1;
    flush_bars(p);
    p->bars_live = 0;
    p->nparts_pending = 0;
    for (int i = 0; i < MAX_PARTITIONS; i++)
        p->parts[i].bars_pending = 0;
    /* Nothing read and nothing written since the last commit: the committed
     * progress is current (an idle processor commits nothing). Bars the idle
     * timeout closed are written with nothing read: at-least-once, where no
     * transaction marks them, their offsets are committed too, or a restart
     * would publish them again. */
    if (!p->dirty && !p->in_txn && p->outputs == 0)
        return 0;
    p->dirty = 0;
    int64_t carried = p->outputs;
    p->outputs = 0;
    kafka_tp tps[MAX_PARTITIONS];
    size_t n = record_progress(p, only, nonly, tps);
    char err[512];
    if (p->failed)
        return -1;
    if (!p->eos) {
        if (kafka_producer_flush(p->prod, FLUSH_TIMEOUT_MS, err, sizeof(err)) != 0) {
            fail(p, "bars not delivered: %s", err);
            return -1;
        }
        if (kafka_consumer_commit(p->cons, tps, n, err, sizeof(err)) != 0) {
            /* The next commit covers it: dirty makes one due even when no
             * record comes (a rebalance or a stop would otherwise hand the
             * partitions over at the older offset, and its bars go out
             * twice). */
            LOG_WARN("process: %s", err);
            p->dirty = 1;
        }
        trim_after(p, carried);
        p->commits++;
        return 0;
    }
    if (n == 0 && !p->in_txn)
        return 0;
    if (ensure_txn(p) != 0)
        return -1;
    int64_t t0 = mono_ns();
    /* A failed transaction gets no offsets; its commit is refused with the reason. */
    int rc = p->txn_failed ? KAFKA_TXN_OK
                           : kafka_txn_send_offsets(p->prod, p->cons, tps, n, err, sizeof(err));
    int64_t t1 = mono_ns();
    if (rc == KAFKA_TXN_OK)
        rc = kafka_txn_commit(p->prod, err, sizeof(err));
    p->in_txn = 0;
    if (p->txn_failed && rc == KAFKA_TXN_OK) {
        /* librdkafka refuses records only once the transaction must be aborted: a commit of it
         * would have lost the refused ones. */
        fail(p, "a transaction that refused records (%s) was committed", p->txn_error);
        return -1;
    }
    p->txn_failed = 0;
    LOG_DEBUG("process: transaction committed: offsets sent in %.1f ms, committed in %.1f ms",
              (t1 - t0) / 1e6, (mono_ns() - t1) / 1e6);
    if (rc == KAFKA_TXN_OK) {
        trim_after(p, carried);
        p->commits++;
        p->aborts_in_row = 0;
        return 0;
    }
    if (rc == KAFKA_TXN_ABORT) {
        LOG_WARN("process: %s; aborting the transaction and reading its records again", err);
        /* The same failure every time (a topic refusing the bars: its max.message.bytes) would
         * abort forever: stop and say why instead. */
        if (p->aborts_in_row++ == 0)
            p->first_abort = mono_ns();
        char why[600];
        snprintf(why, sizeof(why), "%d transactions in a row aborted; the last: %s",
                 p->aborts_in_row, err);
        if (kafka_txn_abort(p->prod, err, sizeof(err)) != KAFKA_TXN_OK) {
            fail(p, "%s", err);
            return -1;
        }
        if (p->aborts_in_row >= MAX_ABORTS_IN_ROW &&
            mono_ns() - p->first_abort >= MAX_ABORTS_SPAN_NS) {
            fail(p, "%s", why);
            return -1;
        }
        atomic_fetch_add(&p->st->txn_aborts, 1);
        rewind_all(p);
        return p->failed ? -1 : 1;
    }
    fail(p, "%s", err);
    return -1;
}

static void on_assigned(void *opaque, const kafka_tp *tps, size_t n)
{
    proc *p = opaque;
    kafka_tp *q = xcalloc(n ? n : 1, sizeof(*q));
    memcpy(q, tps, n * sizeof(*q));
    char err[512];
    /* The committed watermark says which replayed bars were committed
     * already. Without it, exactly-once would publish them again (t0050 in
     * CI: a partition's fetch failed and 312 bars were committed twice), so
     * ask again, and start over if it keeps failing; at-least-once replays
     * without it. */
    int ok = 0;
    for (int attempt = 1; !ok && attempt <= 5; attempt++) {
        ok = kafka_consumer_committed(p->cons, q, n, 10000, err, sizeof(err)) == 0;
        if (!ok && attempt < 5) {
            LOG_WARN("process: %s; asking again", err);
            sleep_ns(200 * 1000000LL * attempt);
        }
    }
    if (!ok && p->eos) {
        fail(p, "%s; starting over rather than publish committed bars again", err);
        p->kafka_gone = 1;
    } else if (!ok) {
        LOG_WARN("process: %s; replaying without suppression", err);
        for (size_t i = 0; i < n; i++)
            q[i].metadata[0] = '\0';
    }
    int32_t *parts = xcalloc(n ? n : 1, sizeof(*parts));
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t part = q[i].partition;
        if (part < 0 || part >= MAX_PARTITIONS) {
            char what[96];
            snprintf(what, sizeof(what), "%d of '%s'", (int)part, q[i].topic ? q[i].topic : "");
            fail(p,
                 "partition %s is beyond the 1024 the processor supports: give the topic at "
                 "most 1024 partitions",
                 what);
            continue;
        }
        reset_partition(p, part, &q[i]);
        parts[np++] = part;
        LOG_INFO("process: partition %d from offset %lld%s", (int)part, (long long)q[i].offset,
                 p->parts[part].suppress_end != INT64_MIN ? " (replaying open windows)" : "");
    }
    /* Indicator state comes back before any record of these partitions. */
    restore_partitions(p, parts, np);
    free(parts);
    free(q);
    atomic_store(&p->st->process_joined, 1);
}

static void on_revoked(void *opaque, const kafka_tp *tps, size_t n)
{
    proc *p = opaque;
    /* Everything done so far is committed before the partitions go. */
    if (commit_progress(p, NULL, 0) < 0)
        LOG_WARN("process: could not commit before giving up partitions: %s", p->errstr);
    for (size_t i = 0; i < n; i++) {
        int32_t part = tps[i].partition;
        if (part < 0 || part >= MAX_PARTITIONS)
            continue;
        part_state *ps = &p->parts[part];
        window_agg_free(ps->agg);
        ps->agg = NULL;
        series_map_clear(&ps->ind);
        if (ps->owned)
            p->nowned--;
        TL_ASSERT(p->nowned >= 0);
        ps->owned = 0;
    }
}

/* Bars (and their alerts) are visible only once committed, so when windows
 * close the processor commits before the next periodic tick. Live bars (the
 * record that closed the first of them was produced less than a commit
 * interval ago) are committed as soon as every owned partition has closed its
 * windows, or, when no record is ready, GATHER_NS after the first: the
 * partitions of one stream cross a window end within a few ms of each other,
 * and one commit for all of them costs less than one each. Catching up
 * (old records), commits come no more often than four times per interval, so
 * reading a backlog does not turn into a stream of tiny transactions. */
#define GATHER_NS (5 * 1000000LL)

/* Live alerts go first: while alerts.live still has records in flight (for
 * at most ALERTS_FIRST_NS after the first close), the bars wait, so that
 * producing them and the commit's round trips do not compete with the alerts
 * for the CPU and the broker. */
#define ALERTS_FIRST_NS (20 * 1000000LL)
static int alerts_in_flight(proc *p, int64_t now)
{
    if (!p->live || !p->bars_live || now - p->first_close_mono >= ALERTS_FIRST_NS)
        return 0;
    kafka_producer_poll(p->live, 0); /* delivery reports */
    return kafka_producer_outstanding(p->live) > 0;
}

static int commit_early(proc *p, int ready, int64_t now, int64_t last_commit, int64_t commit_every)
{
    if (p->bars_live)
        return (p->nparts_pending >= p->nowned ||
                (ready == 0 && now - p->first_close_mono >= GATHER_NS)) &&
               !alerts_in_flight(p, now);
    return now - last_commit >= commit_every / 4;
}

/* Queued bars are produced when OUTQ_MAX wait, or when no record is ready,
 * unless live bars are being gathered for a commit (commit_early) and more
 * partitions are still to close their windows: the commit produces them. */
static int flush_due(proc *p, int ready, int64_t now)
{
    if (p->noutq == 0)
        return 0;
    if (p->noutq >= OUTQ_MAX)
        return 1;
    if (ready)
        return 0;
    return (!p->bars_live || p->nparts_pending >= p->nowned ||
            now - p->first_close_mono >= GATHER_NS) &&
           !alerts_in_flight(p, now);
}

/* Ends a partition's replay: the watermark goes where the committed progress
 * left it, closing (silently) the windows it had closed. */
static void end_replay(proc *p, part_state *ps)
{
    ps->replay_end = -1;
    wm_steps_all_made(&ps->adv);
    if (ps->suppress_end > window_agg_watermark(ps->agg)) {
        emit_ctx ec = {p, ps, 1};
        window_agg_advance(ps->agg, ps->suppress_end, emit_filtered, &ec);
    }
}

/* Whether m's key is not t's symbol; then why, in err. Windows, series and
 * alerts are per partition: a symbol whose trades are spread over several
 * (no key, or keyed by something else) would get a partial bar from each,
 * all published as its bar, and an indicator series per partition. */
static int check_key(const kafka_msg *m, const trade *t, char *err, size_t err_size)
{
    size_t len = strlen(t->symbol);
    if (m->key && m->key_len == len && memcmp(m->key, t->symbol, len) == 0)
        return 0;
    char key[40];
    size_t n = 0;
    for (size_t i = 0; m->key && i < m->key_len && n < sizeof(key) - 1; i++) {
        unsigned char c = ((const unsigned char *)m->key)[i];
        key[n++] = c >= 0x20 && c < 0x7f && c != '\'' ? (char)c : '?';
    }
    key[n] = '\0';
    if (m->key)
        set_err(err, err_size,
                "the record's key '%s%s' is not its symbol '%s': every trade of a symbol must "
                "have the symbol as its key, so that one partition holds them all",
                key, m->key_len > n ? "..." : "", t->symbol);
    else
        set_err(err, err_size,
                "the record has no key; its symbol '%s' must be its key, so that one partition "
                "holds all of the symbol's trades",
                t->symbol);
    return 1;
}

/* Whether t's event time is later than its record's Kafka timestamp by more
 * than --max-ahead (process_config.max_ahead_ns); then why, in err. Depends
 * on the record alone, so a replay decides as the first reading did. */
static int check_ahead(const proc *p, const kafka_msg *m, const trade *t, char *err,
                       size_t err_size)
{
    int64_t limit = p->cfg->max_ahead_ns;
    if (limit <= 0 || m->timestamp_ms < 0 || m->timestamp_ms > INT64_MAX / 1000000 ||
        t->ts - m->timestamp_ms * 1000000 <= limit)
        return 0;
    set_err(err, err_size,
            "event time %lld is %.0f s later than the record's Kafka timestamp %lld ms "
            "(--max-ahead %.0f s): a bad clock or a bad record, which would close every "
            "window of its partition",
            (long long)t->ts, (double)(t->ts - m->timestamp_ms * 1000000) / 1e9,
            (long long)m->timestamp_ms, (double)limit / 1e9);
    return 1;
}

/* Handles one input record. */
static void handle_record(proc *p, const kafka_msg *m, int64_t now, int64_t *logged_bad)
{
    part_state *ps =
        m->partition >= 0 && m->partition < MAX_PARTITIONS ? &p->parts[m->partition] : NULL;
    if (!ps || !ps->owned) {
        LOG_WARN("process: record from unowned partition %d ignored", (int)m->partition);
        return;
    }
    trade t;
    char derr[256];
    p->dirty = 1;
    ps->next_offset = m->offset + 1;
    ps->last_record = now;
    /* Replayed records went through once before the committed progress:
     * what they published then is not published again (emit_filtered), their
     * dead letters are not sent again (t0056). The idle advances made among
     * them are made again at the same points (--late update). The first
     * record after them finds the watermark where that commit left it, as it
     * was when the record came first: a trade late then is late now, not the
     * start of a window whose bar was published (t0056). */
    int replay = m->offset < ps->replay_end;
    if (replay) {
        int64_t wm;
        while (wm_steps_due(&ps->adv, m->offset, &wm)) {
            emit_ctx ec = {p, ps, 1};
            window_agg_advance(ps->agg, wm, emit_filtered, &ec);
        }
    } else if (ps->replay_end >= 0) {
        end_replay(p, ps);
    }
    if (trade_decode(m->value, m->value_len, &t, derr, sizeof(derr)) != 0 ||
        trade_check_range(&t, derr, sizeof(derr)) != 0 || check_key(m, &t, derr, sizeof(derr)) ||
        check_ahead(p, m, &t, derr, sizeof(derr))) {
        if (replay)
            return;
        if ((*logged_bad)++ < 100)
            LOG_WARN("process: bad record at '%s' [%d] offset %lld: %s", m->topic,
                     (int)m->partition, (long long)m->offset, derr);
        atomic_fetch_add(&p->st->bad_records, 1);
        send_dlq(p, m, derr);
        return;
    }
    if (t.ts > ps->max_ts)
        ps->max_ts = t.ts;
    int64_t wm_before = window_agg_watermark(ps->agg);
    p->cur_ts_ms = m->timestamp_ms;
    emit_ctx ec = {p, ps, replay};
    size_t queued = p->noutq;
    int late = window_agg_add(ps->agg, &t, m->offset, emit_filtered, &ec);
    if (!replay && ps->adv.n > 0)
        wm_steps_forget_before(&ps->adv, m->offset, t.ts - p->cfg->lateness_ns);
    if (p->noutq != queued)
        LOG_DEBUG(
            "process: partition %d closed %zu bars; its closing trade was produced %lld ms ago",
            (int)m->partition, p->noutq - queued,
            (long long)(now_ns() / 1000000 - m->timestamp_ms));
    check_stale_due(p, ps);
    atomic_fetch_add(&p->st->trades_processed, 1);
    if (late && !replay) {
        atomic_fetch_add(&p->st->trades_late, late);
        char reason[160];
        snprintf(reason, sizeof(reason),
                 "late: event time %lld is behind the watermark %lld for %d interval(s)",
                 (long long)t.ts, (long long)wm_before, late);
        send_dlq(p, m, reason);
    }
}

/* Advances the watermark of partitions that have been quiet for the idle
 * timeout by the wall time since their last record. */
static void advance_idle(proc *p, int64_t now)
{
    if (p->cfg->idle_timeout_ns <= 0)
        return;
    /* A partition is quiet only when nothing is waiting to be read: while the
     * consumer catches up (after a restart, or under load), records are
     * late in arriving, not missing. */
    if (kafka_consumer_lag(p->cons) > 0)
        return;
    for (int32_t part = 0; part < MAX_PARTITIONS; part++) {
        part_state *ps = &p->parts[part];
        if (!ps->owned)
            continue;
        /* A partition replays until it has read what was read before, or
         * until it has read its whole log when that ends below (cut short by
         * an unclean leader election): the records that come next are new. */
        int64_t quiet = now - ps->last_record;
        if (ps->replay_end >= 0) {
            /* A record read in this assignment: the cached high watermark is
             * of a fetch made for it, not of an earlier one. */
            int64_t hw = ps->next_offset >= ps->replay_end || ps->next_offset < 0 ||
                                 quiet < p->cfg->idle_timeout_ns
                             ? -1
                             : kafka_consumer_high_watermark(p->cons, p->input, part);
            if (ps->next_offset >= ps->replay_end || (hw >= 0 && hw < ps->replay_end)) {
                if (ps->next_offset < ps->replay_end)
                    LOG_WARN("process: partition %d ends at offset %lld, below the %lld read "
                             "before; the records after it are new",
                             (int)part, (long long)hw, (long long)ps->replay_end);
                end_replay(p, ps);
            }
        }
        if (ps->max_ts == INT64_MIN || window_agg_open_count(ps->agg) == 0)
            continue;
        if (quiet < p->cfg->idle_timeout_ns)
            continue;
        emit_ctx ec = {p, ps, 0};
        int64_t before = window_agg_watermark(ps->agg);
        window_agg_advance(ps->agg, ps->max_ts + quiet - p->cfg->lateness_ns, emit_filtered, &ec);
        int64_t after = window_agg_watermark(ps->agg);
        if (p->cfg->late_horizon_ns > 0 && after != before)
            if (wm_steps_note(&ps->adv, ps->next_offset, after) && !ps->adv_capped++)
                LOG_WARN("process: partition %d: more than %d idle advances of the watermark "
                         "since its resume offset; a restart may correct the oldest retained "
                         "bars from a different state",
                         (int)part, WM_STEPS_MAX);
        check_stale_due(p, ps);
    }
}

/* Whether the consumer failed in a way that starting over with new clients
 * mends. Lost records do not come back so (t0018). A consumer fenced by
 * another member with its group.instance.id is mended when this instance's
 * producer still holds the transactional id: the other one is then a zombie
 * whose consumer rejoined after its session had expired, and whose producer
 * this instance fenced when it started (t0109). Starting over takes the
 * membership back, and the zombie stops on its fenced producer. When the
 * transactional id moved on as well, this instance is the zombie; without
 * transactions nothing tells which of the two is, and both stop rather than
 * fence each other in turn. A member fenced by its own rejoin after its
 * coordinator moved (tests/faults/t0020) holds its transactional id too. */
static int consumer_failure_mendable(proc *p)
{
    if (kafka_consumer_records_lost(p->cons))
        return 0;
    if (!kafka_consumer_fenced(p->cons))
        return 1;
    if (!p->eos)
        return 0;
    char err[512];
    if (p->in_txn) {
        p->in_txn = 0;
        if (kafka_txn_abort(p->prod, err, sizeof(err)) != KAFKA_TXN_OK)
            LOG_WARN("process: %s", err);
    }
    int current = kafka_txn_probe(p->prod, p->changelog, 30000, err, sizeof(err));
    if (current == 1)
        LOG_WARN("process: another consumer took this instance's group.instance.id, but this "
                 "instance still holds its transactional id: the other is a zombie");
    else
        LOG_WARN("process: another consumer took this instance's group.instance.id, and %s",
                 current == 0 ? "its transactional id too: this instance is the zombie"
                              : "whether it still holds its transactional id is unknown");
    if (current < 0)
        LOG_WARN("process: %s", err);
    return current == 1;
}

/* One run of the processor, from the committed offsets and the changelog
 * to a stop or a failure; *kafka_gone: it failed because a Kafka client did
 * (a fatal producer or consumer error), *progress: it committed something. */
static int process_once(const void *config, stage_control *ctl, pipeline_stats *st, int *kafka_gone,
                        int *progress, char *errstr, size_t errstr_size)
{
    const process_config *cfg = config;
    proc *p = calloc(1, sizeof(*p));
    if (!p)
        return set_err(errstr, errstr_size, "out of memory");
    p->cfg = cfg;
    p->st = st;
    const char *prefix = cfg->topic_prefix ? cfg->topic_prefix : "";
    const char *group = cfg->group ? cfg->group : GROUP_PROCESS;
    snprintf(p->input, sizeof(p->input), "%s%s", prefix, TOPIC_TRADES);
    snprintf(p->dlq, sizeof(p->dlq), "%s%s", prefix, TOPIC_DLQ);
    buf_init(&p->rec);
    int rc = -1;
    const char *outs[2 * BAR_MAX_INTERVALS + 3];
    for (size_t i = 0; i < cfg->nintervals; i++) {
        char name[32];
        interval_name(cfg->intervals[i], name, sizeof(name));
        snprintf(p->topics[i], sizeof(p->topics[i]), "%s%s%s", prefix, TOPIC_BARS_PREFIX, name);
        outs[i] = p->topics[i];
    }
    for (size_t i = 0; i < cfg->nintervals; i++) {
        char name[32];
        interval_name(cfg->intervals[i], name, sizeof(name));
        snprintf(p->ind_topics[i], sizeof(p->ind_topics[i]), "%s%s%s", prefix,
                 TOPIC_INDICATORS_PREFIX, name);
        outs[cfg->nintervals + i] = p->ind_topics[i];
    }
    snprintf(p->alerts, sizeof(p->alerts), "%s%s", prefix, TOPIC_ALERTS);
    outs[2 * cfg->nintervals] = p->dlq;
    outs[2 * cfg->nintervals + 1] = p->alerts;
    snprintf(p->alerts_live, sizeof(p->alerts_live), "%s%s", prefix, TOPIC_ALERTS_LIVE);
    outs[2 * cfg->nintervals + 2] = p->alerts_live;
    snprintf(p->changelog, sizeof(p->changelog), "%s%s-changelog", prefix, group);
    if (cfg->has_ind)
        p->ind = cfg->ind;
    else
        ind_config_default(&p->ind);
    if (ind_config_check(&p->ind, errstr, errstr_size) != 0)
        goto out;
    const char *in[] = {p->input};
    if (kafka_ensure_topics(&cfg->kafka, in, 1, cfg->partitions, cfg->replication, cfg->min_isr,
                            errstr, errstr_size) != 0 ||
        kafka_ensure_topics(&cfg->kafka, outs, 2 * cfg->nintervals + 3, cfg->partitions,
                            cfg->replication, cfg->min_isr, errstr, errstr_size) != 0 ||
        kafka_ensure_compacted_topic(&cfg->kafka, p->changelog, cfg->partitions, cfg->replication,
                                     cfg->min_isr, &p->changelog_parts, errstr, errstr_size) != 0)
        goto out;
    p->clog = (changelog){.kafka = &cfg->kafka,
                          .topic = p->changelog,
                          .partitions = p->changelog_parts,
                          .intervals = cfg->intervals,
                          .nintervals = cfg->nintervals,
                          .ind = &p->ind};

    int txn = kafka_supports_transactions(&cfg->kafka, errstr, errstr_size);
    if (txn < 0)
        goto out;
    if (cfg->eos == 1 && !txn) {
        set_err(errstr, errstr_size,
                "exactly-once needs transactions, which '%s' does not support (the embedded "
                "broker does not); use --eos off",
                cfg->kafka.brokers);
        goto out;
    }
    p->eos = cfg->eos == 0 ? 0 : txn;
    if (p->eos) {
        char txn_id[256];
        snprintf(txn_id, sizeof(txn_id), "%s%s-%s", prefix, group,
                 cfg->instance_id ? cfg->instance_id : "0");
        p->prod =
            kafka_txn_producer_new(&cfg->kafka, "ticklake-process", txn_id, errstr, errstr_size);
        LOG_INFO("process: exactly-once, transactional id '%s'", txn_id);
    } else {
        if (cfg->eos == -1)
            LOG_INFO("process: '%s' has no transactions: at-least-once", cfg->kafka.brokers);
        p->prod = kafka_producer_new(&cfg->kafka, "ticklake-process", errstr, errstr_size);
    }
    if (!p->prod)
        goto out;
    p->live = kafka_live_producer_new(&cfg->kafka, "ticklake-process-live", errstr, errstr_size);
    if (!p->live)
        goto out;
    kafka_rebalance_handler rh = {.assigned = on_assigned, .revoked = on_revoked, .opaque = p};
    kafka_opts copts;
    /* Memory: librdkafka's defaults let the consumer prefetch 64 MB and fetch
     * 50 MB at a time, more than the processor's whole state at 10,000
     * symbols; 4 MB of queue is still 25,000+ trades. Catching up 1,000,000
     * trades at 10,000 symbols peaked at 66-72 MB with 4 MB against 82-102 MB
     * with 8 MB, in the same time (with librdkafka fetching again soon after
     * its queue was full, kafka_consumer.c; before that, queues this small ran
     * 1.3-3x slower), and fetches of 1 MB rather
     * than 4 MB took 10-30 MB more off (bench/memory.sh,
     * docs/decisions/0012-processor-caps-librdkafka-buffers.md). The user's
     * -X wins. */
    static const char *const ours[] = {"queued.max.messages.kbytes=4096",
                                       "fetch.max.bytes=1048576"};
    const char **cprops = kafka_opts_prepend(&cfg->kafka, ours, 2, &copts);
    if (!cprops) {
        set_err(errstr, errstr_size, "out of memory");
        goto out;
    }
    char member[256];
    snprintf(member, sizeof(member), "%s%s-%s", prefix, group,
             cfg->instance_id ? cfg->instance_id : "0");
    copts.group_instance_id = member;
    p->cons = kafka_consumer_new(&copts, group, in, 1, &rh, errstr, errstr_size);
    p->cons_props = cprops;
    if (!p->cons)
        goto out;

    int64_t commit_every = cfg->commit_interval_ns > 0 ? cfg->commit_interval_ns
                           : p->eos                    ? 100 * 1000000LL
                                                       : NS_PER_SEC;
    p->live_ms = commit_every / 1000000;
    int64_t next_commit = mono_ns() + commit_every, last_commit = mono_ns();
    int64_t next_drain_check = 0, next_idle_check = 0;
    int64_t logged_bad = 0, now = mono_ns(), last_read = now;
    unsigned since_clock = 0;
    int last_empty = 0; /* the last poll found nothing ready */
    for (;;) {
        if (atomic_load(&ctl->stop) || p->failed)
            break;
        /* Rebalances run inside the poll, so between batches: a batch's
         * records all belong to owned partitions. When the last batch is
         * used up, the next poll first takes what is ready without waiting,
         * so bars and alerts waiting for "no record ready" (flush_due) go
         * out at once instead of after the wait. */
        if (p->batch_next == p->batch_n) {
            int timeout = last_empty ? (p->bars_live ? 1 : 50) : 0;
            int got = kafka_consumer_poll_batch(p->cons, timeout, p->batch, PROC_BATCH, errstr,
                                                errstr_size);
            if (got < 0) {
                p->kafka_gone = 1; /* unless lost records or a fence say otherwise, below */
                goto out;
            }
            p->batch_n = (size_t)got;
            p->batch_next = 0;
            last_empty = got == 0;
        }
        int r = p->batch_next < p->batch_n;
        kafka_msg *m = r ? &p->batch[p->batch_next++] : NULL;
        /* Reading the clock costs as much as a small record here (a slow
         * clock source in VMs): every 64 records is precise enough for
         * commit ticks and idle timeouts. */
        if (r == 0 || ++since_clock >= 64) {
            now = mono_ns();
            since_clock = 0;
            live_check(p, now);
        }
        if (r > 0) {
            handle_record(p, m, now, &logged_bad);
            kafka_msg_release(m);
        }
        if (flush_due(p, r, now))
            flush_bars(p);
        if (now >= next_idle_check) {
            advance_idle(p, now);
            next_idle_check = now + 100 * 1000000LL;
        }
        /* While records flow, a commit with no outputs since the last one
         * would change nothing a restart uses: the offsets are those of the
         * open windows, which move only when windows close (and bars go
         * out), and no bar was published past the watermark it would record.
         * It would only block this thread for a round trip or three,
         * delaying the next window's bars and alerts. When the input goes
         * quiet for a commit interval, what was read is committed once, so
         * the group's committed progress is current whenever it can cost
         * nobody anything. */
        if (r > 0)
            last_read = now;
        int due = now >= next_commit;
        int quiet = r == 0 && p->dirty && now - last_read >= commit_every;
        if ((due && (p->outputs > 0 || p->noutq > 0)) || quiet ||
            (p->eos && p->nparts_pending > 0 &&
             commit_early(p, r, now, last_commit, commit_every))) {
            commit_progress(p, NULL, 0);
            last_commit = now;
            next_commit = now + commit_every;
            note_lag(st, p->cons);
        } else if (due) {
            next_commit = now + commit_every;
            note_lag(st, p->cons);
        }
        if (atomic_load(&ctl->drain) && r == 0 && now >= next_drain_check) {
            next_drain_check = now + 200 * 1000000LL;
            /* Drained once the last outputs are committed: a commit that aborted rewound the
             * consumer, and its records are read again first. */
            if (kafka_consumer_caught_up(p->cons, 5000) &&
                (commit_progress(p, NULL, 0) != 1 || p->failed))
                break;
        }
    }
    if (!p->failed)
        commit_progress(p, NULL, 0);
    if (p->failed) {
        set_err(errstr, errstr_size, "%s", p->errstr);
        goto out;
    }
    note_lag(st, p->cons);
    rc = 0;
out:
    drop_batch(p);
    /* A consumer that lost records or was fenced is met first by the poll,
     * or by a commit or a rewind that then fails (t0109 in CI): either way
     * it is judged here, once. */
    if (rc != 0 && p->cons &&
        (kafka_consumer_records_lost(p->cons) || kafka_consumer_fenced(p->cons)))
        p->kafka_gone = consumer_failure_mendable(p);
    if (rc != 0 && p->prod) {
        char err[256];
        /* Fenced by a newer instance of the same transactional.id: a zombie,
         * which stops (t0052); starting over would fence the newer one. */
        if (kafka_producer_fatal(p->prod, err, sizeof(err)))
            p->kafka_gone = !kafka_producer_fenced(p->prod);
    }
    *kafka_gone = p->kafka_gone;
    *progress = p->commits > 0;
    if (p->cons) {
        /* Closing revokes the assignment, which commits once more. */
        kafka_consumer_close(p->cons);
    }
    if (p->eos && p->in_txn && p->prod) {
        char err[256];
        kafka_txn_abort(p->prod, err, sizeof(err));
    }
    kafka_producer_free(p->prod);
    if (p->live) {
        char err[256];
        if (kafka_producer_flush(p->live, 5000, err, sizeof(err)) != 0)
            LOG_WARN("process: live alerts: %s", err);
        kafka_producer_free(p->live);
    }
    for (int i = 0; i < MAX_PARTITIONS; i++) {
        window_agg_free(p->parts[i].agg);
        series_map_clear(&p->parts[i].ind);
        wm_steps_free(&p->parts[i].adv);
    }
    buf_release(&p->rec);
    buf_release(&p->progress);
    free(p->outq);
    free(p->cons_props);
    free(p);
    return rc;
}

int process_run(const process_config *cfg, stage_control *ctl, pipeline_stats *st, char *errstr,
                size_t errstr_size)
{
    /* A Kafka client that failed for good does not end the processor: it
     * starts over with new clients from the committed offsets and the
     * changelog, as a restarted process would (exactly-once holds across
     * that, t0050). A transactional producer fails so when a broker hangs
     * past the transaction timeout (the abort then meets INVALID_TXN_STATE;
     * tests/faults/t0020), a static consumer when it is fenced by a zombie
     * or by its own rejoin (consumer_failure_mendable). Five such failures
     * in a row with no commit between them give up. */
    return stage_run_restarting("process", process_once, cfg, ctl, st, STAGE_RESTART_WAIT_NS,
                                errstr, errstr_size);
}
