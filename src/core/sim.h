/* sim.h - a deterministic market simulator producing trades and quotes in
 * event-time order.
 *
 * Each symbol has its own price level, volatility and activity. Trades arrive
 * as a Poisson process over all symbols (rate trades per simulated second),
 * spread over symbols by activity; quotes arrive the same way, quote_ratio of
 * them per trade. Each symbol's mid price follows a geometric random walk
 * scaled to the time since its last tick, with occasional jumps. A quote is a
 * bid and an ask 1-3 ticks apart around the mid; a trade prints at the bid or
 * the ask of the symbol's current spread. With a session length the arrival
 * rate is U-shaped over each session in event time (higher near the open and
 * the close, see sim_intensity). The same config gives the same ticks, bit for
 * bit. Pure: no I/O, no clock (the caller paces real time). */
#ifndef TICKLAKE_SIM_H
#define TICKLAKE_SIM_H

#include <stdint.h>

#include "tick.h"

#define SIM_MAX_SYMBOLS 10000

/* Market events injected on the first symbol so analysis has something to catch. */
typedef enum {
    SIM_SCENARIO_NONE = 0,
    SIM_SCENARIO_FLASH_CRASH,  /* the price drops 8% at once, recovers 5 s later */
    SIM_SCENARIO_VOLUME_SPIKE, /* for 5 s half of all trades are in it, 10x their size */
    SIM_SCENARIO_HALT          /* no trades for 90 s, then it reopens 5% higher */
} sim_scenario;

/* Parses "flash-crash", "volume-spike" or "halt", optionally "@<seconds>"
 * (default 30): when, in event time after the start, the event begins. 0 / -1. */
int sim_scenario_parse(const char *s, sim_scenario *kind, double *at_seconds);

typedef struct sim_config {
    uint64_t seed;
    int nsymbols;     /* 1..SIM_MAX_SYMBOLS */
    int64_t start_ns; /* event time of the simulation's start, ns since epoch */
    double rate;      /* mean trades per simulated second, > 0 */
    int64_t first_id; /* id of the first trade; ids then increase by 1 */
    sim_scenario scenario;
    double scenario_at; /* seconds of event time after start_ns */
    double quote_ratio; /* quotes per trade on average, >= 0 (0: trades only) */
    int64_t session_ns; /* trading session length from start_ns (repeating); 0: flat rate */
} sim_config;

/* The arrival rate's multiplier at a fraction x (0..1) of a session: U-shaped,
 * 2 at the open and the close, 0.5 at midday, averaging 1 over the session. */
double sim_intensity(double x);

/* One simulated tick: a trade or a quote. */
typedef enum { SIM_TRADE = 0, SIM_QUOTE = 1 } sim_kind;
typedef struct sim_tick {
    sim_kind kind;
    union {
        trade trade;
        quote quote;
    } u;
} sim_tick;

typedef struct sim sim;

/* NULL with errstr on a bad config. Free with sim_free. */
sim *sim_new(const sim_config *cfg, char *errstr, size_t errstr_size);
void sim_free(sim *s);

/* Produces the next tick. Event times never decrease; ids count up from
 * first_id over trades and quotes together. */
void sim_next_tick(sim *s, sim_tick *out);
/* Produces the next trade, skipping quotes. */
void sim_next(sim *s, trade *out);

/* The symbol names, in index order (valid while s lives). */
const char *sim_symbol(const sim *s, int index);

#endif
