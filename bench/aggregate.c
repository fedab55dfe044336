/* aggregate.c - benchmark: event-time bar aggregation alone, no Kafka, no JSON.
 *
 * Generates N simulated trades up front, then times window_agg_add over them
 * (3 intervals: 1s, 1m, 5m) on one thread, several runs; prints each run and
 * the median in trades per second, and the resident memory for S symbols.
 *
 *   make bench-aggregate && build/release/bench/aggregate [N] [SYMBOLS] [RUNS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bar.h"
#include "sim.h"
#include "util.h"

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int64_t emitted;
static void count_bar(void *opaque, const bar *b)
{
    (void)opaque;
    (void)b;
    emitted++;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000000;
    int nsym = argc > 2 ? atoi(argv[2]) : 1000;
    int runs = argc > 3 ? atoi(argv[3]) : 5;
    sim_config c = {.seed = 1, .nsymbols = nsym, .start_ns = 1767225600LL * NS_PER_SEC,
                    .rate = 100000, .first_id = 1};
    char err[128];
    sim *s = sim_new(&c, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    trade *t = malloc(sizeof(trade) * (size_t)n);
    for (long i = 0; i < n; i++)
        sim_next(s, &t[i]);
    sim_free(s);
    long rss_before = rss_kb();
    int64_t iv[] = {NS_PER_SEC, 60 * NS_PER_SEC, 300 * NS_PER_SEC};
    double *rates = calloc((size_t)runs, sizeof(double));
    long rss_state = 0;
    for (int r = 0; r < runs; r++) {
        window_agg *w = window_agg_new(iv, 3, NS_PER_SEC);
        emitted = 0;
        int64_t t0 = mono_ns();
        for (long i = 0; i < n; i++)
            window_agg_add(w, &t[i], i, count_bar, NULL);
        int64_t t1 = mono_ns();
        rates[r] = (double)n / ((double)(t1 - t0) / 1e9);
        long rss = rss_kb() - rss_before;
        if (rss > rss_state)
            rss_state = rss;
        printf("run %d: %.0f trades/s (%lld bars)\n", r + 1, rates[r], (long long)emitted);
        window_agg_free(w);
    }
    qsort(rates, (size_t)runs, sizeof(double), cmp_double);
    printf("aggregate: %ld trades, %d symbols, 3 intervals: median %.2f M trades/s on one core; "
           "window state %ld KiB resident\n",
           n, nsym, rates[runs / 2] / 1e6, rss_state);
    free(rates);
    free(t);
    return 0;
}
