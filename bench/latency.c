/* latency.c - benchmark: from the produce time of the trade that closed a
 * window to the moment its bar (and any alert it raised, which goes out in
 * the same transaction right after it) is visible to a read_committed
 * consumer.
 *
 * First reads <prefix>bars.<interval> and <prefix>alerts (read_committed)
 * for SECONDS, noting when each record arrives; then reads <prefix>trades
 * from the start (arrival time does not matter there). For each partition it
 * replays the processor's watermark (max event time - lateness) over the
 * records in offset order and notes, for each window end, the Kafka
 * timestamp (CreateTime: the producer's clock at produce, in ms) of the first
 * trade that took the watermark to it: the trade that closed the window. A
 * bar or alert arriving at wall time t for window end e on partition p (bars
 * and alerts are keyed by symbol with the same partitioner and partition
 * count as trades) has latency t - close(p, e). Windows closed by the idle
 * timeout (no closing trade) are left out. Run it while ingest and process
 * run; it prints p50/p90/p99/max after SECONDS.
 *
 * ISOLATION "committed" (the default) reads as exactly-once consumers do: a
 * record counts when its transaction has committed. "uncommitted" counts it
 * when the processor's write reaches the broker (read_uncommitted: what a
 * live display that tolerates the rare aborted record sees). "live" reads
 * <prefix>alerts.live instead, where the processor sends each alert at once,
 * outside its transactions (at least once; no bars there).
 *
 * "file:PATH" reads the alerts a push-stream client received instead, as
 * bench/sse_alerts.py wrote them (arrival ms, symbol, ts, kind a line): it
 * reads the trades as they come, for SECONDS, then PATH; the alerts'
 * partitions are their symbols' partitions in the trades topic.
 *
 * WARMUP_S (default 0): outputs arriving in the first WARMUP_S seconds after
 * the first one are left out, and counted: a new topic's first seconds on
 * the broker (round trips of 100-150 ms while its JVM warms up to the new
 * partitions, seen with debug=protocol) are not the steady state.
 *
 *   build/release/bench/latency BROKERS PREFIX LATENCY_NS INTERVAL SECONDS [ISOLATION [WARMUP_S]]
 *   (ISOLATION: committed, uncommitted, live or file:PATH)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bar.h"
#include "json.h"
#include "kafka_consumer.h"
#include "log.h"
#include "tick.h"
#include "util.h"

#define MAXP 64
#define MAXW 100000 /* window ends per partition */

typedef struct part {
    int64_t wm;
    int64_t first_end; /* window end of slot 0 */
    int64_t close_ms[MAXW];
} part;

typedef struct seen {
    int32_t p; /* -1: not known yet (file: the symbol's, from the trades) */
    char sym[32];
    int64_t end;
    double at;        /* wall clock when it arrived, ms */
    int64_t produced; /* its Kafka timestamp (CreateTime), ms */
    int alert;
} seen;

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct slow {
    double ms;   /* an alert's latency */
    int64_t end; /* its window end */
} slow;

static int cmp_slow(const void *a, const void *b) /* slowest first */
{
    return -cmp_d(&((const slow *)a)->ms, &((const slow *)b)->ms);
}

/* Symbols and their partitions in the trades topic (file: mode): open
 * addressing, SYMTAB slots. */
#define SYMTAB (1 << 16)
typedef struct symp {
    char sym[32];
    int32_t p;
} symp;

static symp *symtab;

static symp *sym_slot(const char *sym)
{
    if (!symtab)
        symtab = calloc(SYMTAB, sizeof(*symtab));
    size_t i = fnv1a_bytes(FNV1A_BASIS, sym, strlen(sym)) % SYMTAB;
    for (size_t k = 0; k < SYMTAB; k++, i = (i + 1) % SYMTAB)
        if (!symtab[i].sym[0] || strcmp(symtab[i].sym, sym) == 0)
            return &symtab[i];
    return NULL;
}

static int32_t sym_partition(const char *sym)
{
    symp *e = sym_slot(sym);
    return e && e->sym[0] ? e->p : -1;
}

static void sym_note(const char *sym, int32_t p)
{
    symp *e = sym_slot(sym);
    if (e && !e->sym[0]) {
        snprintf(e->sym, sizeof(e->sym), "%s", sym);
        e->p = p;
    }
}

/* Reads bench/sse_alerts.py's lines into sn (stale alerts left out). */
static size_t read_alert_file(const char *path, seen *sn, size_t cap, double warmup_ms,
                              size_t *warm_left)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    char line[256], sym[32], kind[32];
    double at, first_at = 0;
    long long ts;
    size_t n = 0;
    while (fgets(line, sizeof(line), f) && n < cap) {
        if (sscanf(line, "%lf %31s %lld %31s", &at, sym, &ts, kind) != 4)
            continue;
        if (first_at == 0)
            first_at = at;
        if (at - first_at < warmup_ms) {
            (*warm_left)++;
            continue;
        }
        if (strcmp(kind, "stale") == 0)
            continue;
        sn[n] = (seen){.p = -1, .end = ts, .at = at, .alert = 1};
        snprintf(sn[n].sym, sizeof(sn[n].sym), "%s", sym);
        n++;
    }
    fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 6 || argc > 8) {
        fprintf(stderr, "usage: latency BROKERS PREFIX LATENESS_NS INTERVAL SECONDS "
                        "[committed|uncommitted|live|file:PATH [WARMUP_S]]\n");
        return 2;
    }
    int64_t lateness = atoll(argv[3]), iv;
    if (interval_parse(argv[4], &iv) != 0)
        return 2;
    double secs = atof(argv[5]);
    char t_trades[200], t_bars[200], t_alerts[200], group[64];
    snprintf(t_trades, sizeof(t_trades), "%strades", argv[2]);
    snprintf(t_bars, sizeof(t_bars), "%sbars.%s", argv[2], argv[4]);
    snprintf(t_alerts, sizeof(t_alerts), "%salerts", argv[2]);
    snprintf(group, sizeof(group), "latency-%lld", (long long)now_ns());
    const char *props[] = {"isolation.level=read_committed"};
    kafka_opts o = {.brokers = argv[1], .props = props, .nprops = 1};
    int live = argc >= 7 && strcmp(argv[6], "live") == 0;
    double warmup_ms = argc == 8 ? atof(argv[7]) * 1000 : 0, first_at = 0;
    size_t warm_left = 0;
    if (argc >= 7 && strcmp(argv[6], "uncommitted") == 0)
        props[0] = "isolation.level=read_uncommitted";
    if (live)
        snprintf(t_alerts, sizeof(t_alerts), "%salerts.live", argv[2]);
    const char *file = argc >= 7 && strncmp(argv[6], "file:", 5) == 0 ? argv[6] + 5 : NULL;
    char err[512];
    part *parts = calloc(MAXP, sizeof(part));
    for (int i = 0; i < MAXP; i++)
        parts[i].wm = INT64_MIN;
    size_t nseen = 0, capseen = 1 << 20;
    seen *sn = malloc(capseen * sizeof(*sn));
    kafka_msg m;
    kafka_consumer *c = NULL;
    if (!file) {
        /* Phase 1: only bars and alerts, so nothing queues in front of them. */
        const char *outs[] = {t_bars, t_alerts};
        c = kafka_consumer_new(&o, group, live ? outs + 1 : outs, live ? 1 : 2, NULL, err,
                               sizeof(err));
        if (!c) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
    }
    int64_t until = mono_ns() + (int64_t)(secs * 1e9);
    while (!file && mono_ns() < until) {
        int r = kafka_consumer_poll(c, 100, &m, err, sizeof(err));
        if (r < 0)
            break;
        if (r == 0)
            continue;
        double at = (double)now_ns() / 1e6;
        if (first_at == 0)
            first_at = at;
        if (at - first_at < warmup_ms) {
            warm_left++;
            kafka_msg_release(&m);
            continue;
        }
        if (m.partition >= 0 && m.partition < MAXP && nseen < capseen) {
            int alert = strcmp(m.topic, t_alerts) == 0;
            json_doc *d = json_parse(m.value, m.value_len, err, sizeof(err));
            int64_t end = 0, start = 0;
            if (d && !alert && json_get_int(json_root(d), "window_start", &start) == 0)
                end = start + iv;
            if (d && alert && json_get_int(json_root(d), "ts", &end) != 0)
                end = 0;
            const char *kind = d && alert ? json_get_str(json_root(d), "kind") : NULL;
            if (end && !(kind && strcmp(kind, "stale") == 0))
                sn[nseen++] = (seen){.p = m.partition,
                                     .end = end,
                                     .at = at,
                                     .produced = m.timestamp_ms,
                                     .alert = alert};
            json_doc_free(d);
        }
        kafka_msg_release(&m);
    }
    if (!file)
        kafka_consumer_close(c);
    /* Phase 2: the trades, from the start, for their produce timestamps. */
    snprintf(group, sizeof(group), "latency-t-%lld", (long long)now_ns());
    const char *ins[] = {t_trades};
    c = kafka_consumer_new(&o, group, ins, 1, NULL, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int64_t idle_since = mono_ns();
    for (;;) {
        int r = kafka_consumer_poll(c, 100, &m, err, sizeof(err));
        if (r < 0)
            break;
        if (file && mono_ns() >= until)
            break; /* the embedded broker keeps little: the trades are read as they come */
        if (r == 0) {
            if (!file && mono_ns() - idle_since > 3 * NS_PER_SEC)
                break;
            continue;
        }
        idle_since = mono_ns();
        trade t;
        if (m.partition >= 0 && m.partition < MAXP &&
            trade_decode(m.value, m.value_len, &t, err, sizeof(err)) == 0) {
            if (file)
                sym_note(t.symbol, m.partition);
            part *p = &parts[m.partition];
            int64_t wm = t.ts - lateness;
            if (p->wm == INT64_MIN) {
                p->first_end = (t.ts / iv) * iv + iv; /* the first trade's window end */
                p->wm = wm;
            }
            if (wm > p->wm) {
                /* every window end in (old wm, wm] closes with this trade */
                int64_t e = (p->wm / iv) * iv + iv;
                if (e <= p->wm)
                    e += iv;
                for (; e <= wm; e += iv) {
                    int64_t k = (e - p->first_end) / iv;
                    if (k >= 0 && k < MAXW && !p->close_ms[k])
                        p->close_ms[k] = m.timestamp_ms;
                }
                p->wm = wm;
            }
        }
        kafka_msg_release(&m);
    }
    /* Closing a consumer of the embedded broker can hang in rd_kafka_destroy
     * when the broker's process is busy: the process exits instead. */
    if (!file)
        kafka_consumer_close(c);
    if (file)
        nseen = read_alert_file(file, sn, capseen, warmup_ms, &warm_left);
    for (size_t i = 0; i < nseen; i++)
        if (sn[i].p < 0)
            sn[i].p = sym_partition(sn[i].sym);
    double *lat[2], *split[2];
    size_t n[2] = {0, 0}, skipped = 0;
    lat[0] = malloc(nseen * sizeof(double) + 8);
    lat[1] = malloc(nseen * sizeof(double) + 8);
    split[0] = malloc(nseen * sizeof(double) + 8); /* closing trade -> output produced */
    split[1] = malloc(nseen * sizeof(double) + 8); /* output produced -> arrival */
    for (size_t i = 0; i < nseen; i++) {
        if (sn[i].p < 0 || sn[i].p >= MAXP) {
            skipped++;
            continue;
        }
        part *p = &parts[sn[i].p];
        int64_t k = (sn[i].end - p->first_end) / iv;
        if (k < 0 || k >= MAXW || !p->close_ms[k]) {
            skipped++;
            continue;
        }
        if (sn[i].alert) {
            split[0][n[1]] = (double)(sn[i].produced - p->close_ms[k]);
            split[1][n[1]] = sn[i].at - (double)sn[i].produced;
        }
        lat[sn[i].alert][n[sn[i].alert]++] = sn[i].at - (double)p->close_ms[k];
    }
    for (int a = 0; a < 2; a++) {
        if (!n[a]) {
            printf("%s: none\n", a ? "alerts" : "bars");
            continue;
        }
        qsort(lat[a], n[a], sizeof(double), cmp_d);
        double *l = lat[a];
        size_t k = n[a];
        printf("%s: %zu  p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms\n",
               a ? "alerts" : "bars", k, l[k / 2], l[k * 9 / 10], l[k * 99 / 100], l[k - 1]);
    }
    /* Where an alert's time went, by the Kafka timestamp the processor's
     * producer gave it (ms resolution). */
    for (int h = 0; h < 2 && n[1] && !file; h++) {
        qsort(split[h], n[1], sizeof(double), cmp_d);
        printf("  %s: p50 %.1f ms  p99 %.1f ms\n",
               h ? "alert produced -> arrived" : "closing trade produced -> alert produced",
               split[h][n[1] / 2], split[h][n[1] * 99 / 100]);
    }
    /* The p99 is often one window end's burst of alerts: the three window
     * ends with the slowest alert, and how many alerts each had. */
    slow *sl = malloc(n[1] * sizeof(*sl) + sizeof(*sl));
    size_t nsl = 0;
    for (size_t i = 0; i < nseen; i++) {
        if (sn[i].p < 0 || sn[i].p >= MAXP)
            continue;
        part *p = &parts[sn[i].p];
        int64_t k = (sn[i].end - p->first_end) / iv;
        if (sn[i].alert && k >= 0 && k < MAXW && p->close_ms[k])
            sl[nsl++] = (slow){sn[i].at - (double)p->close_ms[k], sn[i].end};
    }
    qsort(sl, nsl, sizeof(*sl), cmp_slow);
    int64_t shown[3];
    int nshown = 0;
    for (size_t i = 0; i < nsl && nshown < 3; i++) {
        int dup = 0;
        for (int j = 0; j < nshown; j++)
            dup |= shown[j] == sl[i].end;
        if (dup)
            continue;
        shown[nshown++] = sl[i].end;
        size_t cnt = 0;
        for (size_t j = 0; j < nsl; j++)
            cnt += sl[j].end == sl[i].end;
        int64_t sod = (sl[i].end / NS_PER_SEC) % 86400;
        printf("  slowest window end %02d:%02d:%02d UTC: %zu alerts, the slowest %.1f ms\n",
               (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), cnt, sl[i].ms);
    }
    free(sl);
    printf("left out (closed by idle timeout or before the run): %zu", skipped);
    if (warmup_ms > 0)
        printf("; in the %.0f s warm-up: %zu", warmup_ms / 1000, warm_left);
    printf("\n");
    return 0;
}
