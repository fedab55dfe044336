/* sim.h - a deterministic market simulator producing trades in event-time order.
 *
 * Each symbol has its own price level, volatility and activity. Trades arrive
 * as a Poisson process over all symbols (rate trades per simulated second),
 * spread over symbols by activity; each symbol's price follows a geometric
 * random walk scaled to the time since its last trade, with occasional jumps,
 * and is rounded to the tick size. The same config gives the same trades,
 * bit for bit. Pure: no I/O, no clock (the caller paces real time). */
#ifndef TICKLAKE_SIM_H
#define TICKLAKE_SIM_H

#include <stdint.h>

#include "tick.h"

#define SIM_MAX_SYMBOLS 10000

typedef struct sim_config {
    uint64_t seed;
    int nsymbols;     /* 1..SIM_MAX_SYMBOLS */
    int64_t start_ns; /* event time of the simulation's start, ns since epoch */
    double rate;      /* mean trades per simulated second, > 0 */
    int64_t first_id; /* id of the first trade; ids then increase by 1 */
} sim_config;

typedef struct sim sim;

/* NULL with errstr on a bad config. Free with sim_free. */
sim *sim_new(const sim_config *cfg, char *errstr, size_t errstr_size);
void sim_free(sim *s);

/* Produces the next trade. Event times never decrease. */
void sim_next(sim *s, trade *out);

/* The symbol names, in index order (valid while s lives). */
const char *sim_symbol(const sim *s, int index);

#endif
