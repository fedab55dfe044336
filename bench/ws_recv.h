/* bench/ws_recv.h - what bench/ws_recv.c and its civetweb peer share: the
 * subscription they send and the line they print. */
#ifndef BENCH_WS_RECV_H
#define BENCH_WS_RECV_H

#include <stdio.h>
#include <sys/resource.h>

#define WS_RECV_SUBSCRIBE                                                                          \
    "{\"type\":\"subscribe\",\"product_ids\":[\"BTC-USD\",\"ETH-USD\",\"SOL-USD\",\"XRP-USD\","    \
    "\"ADA-USD\",\"DOGE-USD\",\"LTC-USD\",\"DOT-USD\",\"AVAX-USD\",\"LINK-USD\"],"                 \
    "\"channels\":[\"matches\"]}"

/* Prints "NAME: frames F, bytes B, wall W s, cpu C s, N ns cpu/frame, R frames/s"
 * with the process's CPU time (every thread, user and system) so far. */
static inline void ws_recv_report(const char *name, long frames, long long bytes, double wall)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    printf(
        "%s: frames %ld, bytes %lld, wall %.3f s, cpu %.3f s, %.0f ns cpu/frame, %.0f frames/s\n",
        name, frames, bytes, wall, cpu, cpu * 1e9 / (double)frames, (double)frames / wall);
    fflush(stdout);
}

#endif
