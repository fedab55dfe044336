/* sim.c - the market simulator; see sim.h.
 *
 * Randomness comes from xoshiro256** seeded through splitmix64, and normal
 * variates from Box-Muller, so a seed fixes every trade. */
#include "sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Trading seconds in a year, to scale annual volatility to a trade's interval. */
#define YEAR_SECONDS (252.0 * 6.5 * 3600.0)

static const char *const well_known[] = {
    "AAPL",  "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "BRK.B", "AVGO", "JPM",
    "LLY",   "V",    "UNH",  "XOM",  "MA",    "JNJ",  "PG",   "HD",    "COST", "MRK",
    "ABBV",  "CVX",  "CRM",  "BAC",  "NFLX",  "AMD",  "PEP",  "KO",    "TMO",  "WMT",
    "ADBE",  "LIN",  "MCD",  "DIS",  "CSCO",  "ABT",  "ACN",  "ORCL",  "INTC", "WFC",
    "CMCSA", "VZ",   "DHR",  "TXN",  "PFE",   "NKE",  "QCOM", "IBM",   "INTU", "CAT"};

typedef struct sym {
    char name[TICK_SYMBOL_MAX];
    double mid;            /* continuous mid price */
    double tick;           /* price increment */
    double vol_per_sqrt_s; /* volatility per sqrt(second) */
    int64_t last_ts;
    int spread_ticks; /* the current quote's spread, with quotes on */
} sym;

struct sim {
    sim_config cfg;
    int scenario_phase; /* 0 before, 1 during, 2 after */
    uint64_t st[4];
    sym *syms;
    double *cum_weight; /* cumulative activity, for picking a symbol */
    double sim_time;    /* seconds since start */
    int64_t next_id;
    int have_spare;
    double spare;
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t next_u64(sim *s)
{
    uint64_t *st = s->st;
    uint64_t result = rotl(st[1] * 5, 7) * 9;
    uint64_t t = st[1] << 17;
    st[2] ^= st[0];
    st[3] ^= st[1];
    st[1] ^= st[2];
    st[0] ^= st[3];
    st[2] ^= t;
    st[3] = rotl(st[3], 45);
    return result;
}

/* Uniform in (0, 1). */
static double uniform(sim *s)
{
    return ((double)(next_u64(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double normal(sim *s)
{
    if (s->have_spare) {
        s->have_spare = 0;
        return s->spare;
    }
    double u = uniform(s), v = uniform(s);
    double r = sqrt(-2.0 * log(u));
    s->spare = r * sin(2.0 * M_PI * v);
    s->have_spare = 1;
    return r * cos(2.0 * M_PI * v);
}

static double round_to_tick(double p, double tick)
{
    double r = round(p / tick) * tick;
    /* Trim the binary noise of the multiplication so prices print as decimals. */
    return tick >= 0.01 ? round(r * 100.0) / 100.0 : round(r * 10000.0) / 10000.0;
}

sim *sim_new(const sim_config *cfg, char *errstr, size_t errstr_size)
{
    if (cfg->nsymbols < 1 || cfg->nsymbols > SIM_MAX_SYMBOLS) {
        set_err(errstr, errstr_size, "symbols must be between 1 and %d", SIM_MAX_SYMBOLS);
        return NULL;
    }
    if (!(cfg->rate > 0) || !isfinite(cfg->rate)) {
        set_err(errstr, errstr_size, "rate must be a positive number");
        return NULL;
    }
    if (!(cfg->quote_ratio >= 0) || !(cfg->quote_ratio <= 1000)) {
        set_err(errstr, errstr_size, "quote ratio must be between 0 and 1000");
        return NULL;
    }
    if (cfg->session_ns < 0 || (cfg->session_ns > 0 && cfg->session_ns < NS_PER_SEC)) {
        set_err(errstr, errstr_size, "session must be 0 (none) or at least 1 s");
        return NULL;
    }
    sim *s = calloc(1, sizeof(*s));
    if (!s)
        goto oom;
    s->cfg = *cfg;
    s->syms = calloc((size_t)cfg->nsymbols, sizeof(*s->syms));
    s->cum_weight = calloc((size_t)cfg->nsymbols, sizeof(double));
    if (!s->syms || !s->cum_weight)
        goto oom;
    uint64_t x = cfg->seed;
    for (int i = 0; i < 4; i++)
        s->st[i] = splitmix64(&x);
    s->next_id = cfg->first_id;
    double total = 0;
    int nknown = (int)(sizeof(well_known) / sizeof(well_known[0]));
    for (int i = 0; i < cfg->nsymbols; i++) {
        sym *y = &s->syms[i];
        if (i < nknown)
            strlcpy_tl(y->name, well_known[i], sizeof(y->name));
        else
            snprintf(y->name, sizeof(y->name), "SIM%05d", i);
        /* Price level log-uniform in [5, 800); annual volatility 12%..70%. */
        y->mid = exp(log(5.0) + uniform(s) * (log(800.0) - log(5.0)));
        y->tick = 0.01;
        double annual_vol = 0.12 + 0.58 * uniform(s) * uniform(s);
        y->vol_per_sqrt_s = annual_vol / sqrt(YEAR_SECONDS);
        y->mid = round_to_tick(y->mid, y->tick);
        y->last_ts = cfg->start_ns;
        y->spread_ticks = 2;
        /* Activity: a heavy-tailed spread, as in real markets. */
        total += pow(uniform(s), 2.5) + 0.02;
        s->cum_weight[i] = total;
    }
    for (int i = 0; i < cfg->nsymbols; i++)
        s->cum_weight[i] /= total;
    return s;
oom:
    sim_free(s);
    set_err(errstr, errstr_size, "out of memory");
    return NULL;
}

void sim_free(sim *s)
{
    if (!s)
        return;
    free(s->syms);
    free(s->cum_weight);
    free(s);
}

const char *sim_symbol(const sim *s, int index)
{
    return index >= 0 && index < s->cfg.nsymbols ? s->syms[index].name : NULL;
}

static int pick_symbol(sim *s)
{
    double u = uniform(s);
    int lo = 0, hi = s->cfg.nsymbols - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s->cum_weight[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int sim_scenario_parse(const char *str, sim_scenario *kind, double *at_seconds)
{
    static const struct {
        const char *name;
        sim_scenario kind;
    } names[] = {{"flash-crash", SIM_SCENARIO_FLASH_CRASH},
                 {"volume-spike", SIM_SCENARIO_VOLUME_SPIKE},
                 {"halt", SIM_SCENARIO_HALT}};
    const char *at = strchr(str, '@');
    size_t len = at ? (size_t)(at - str) : strlen(str);
    *at_seconds = 30;
    if (at) {
        char *end;
        *at_seconds = strtod(at + 1, &end);
        if (end == at + 1 || (*end && strcmp(end, "s") != 0) || !(*at_seconds >= 0))
            return -1;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i].name) == len && strncmp(str, names[i].name, len) == 0) {
            *kind = names[i].kind;
            return 0;
        }
    return -1;
}

/* Applies the configured scenario to the first symbol; returns the symbol to
 * trade (the pick may be replaced) and scales *size_mult. */
static int apply_scenario(sim *s, int pick, double *size_mult)
{
    double t = s->sim_time - s->cfg.scenario_at;
    sym *y = &s->syms[0];
    *size_mult = 1;
    switch (s->cfg.scenario) {
    case SIM_SCENARIO_NONE:
        break;
    case SIM_SCENARIO_FLASH_CRASH:
        if (t >= 0 && s->scenario_phase == 0 && pick == 0) {
            y->mid *= 0.92;
            s->scenario_phase = 1;
        } else if (t >= 5 && s->scenario_phase == 1 && pick == 0) {
            y->mid /= 0.92;
            s->scenario_phase = 2;
        }
        break;
    case SIM_SCENARIO_VOLUME_SPIKE:
        if (t >= 0 && t < 5) {
            if (uniform(s) < 0.5)
                pick = 0;
            if (pick == 0)
                *size_mult = 10;
        }
        break;
    case SIM_SCENARIO_HALT:
        if (t >= 0 && t < 90) {
            while (pick == 0 && s->cfg.nsymbols > 1)
                pick = pick_symbol(s);
        } else if (t >= 90 && s->scenario_phase == 0 && pick == 0) {
            y->mid *= 1.05;
            s->scenario_phase = 2;
        }
        break;
    }
    return pick;
}

double sim_intensity(double x)
{
    double u = 2.0 * x - 1.0;
    return (1.0 + 3.0 * u * u) / 2.0;
}

/* The bid of a symbol's current spread around its mid. */
static double bid_of(const sym *y)
{
    return round_to_tick(y->mid - y->spread_ticks * y->tick / 2.0, y->tick);
}

/* A size in round lots: 100 times 1 + an exponential of mean m. */
static int64_t lots(sim *s, double m)
{
    return 100 * (int64_t)(1 + floor(-log(uniform(s)) * m));
}

void sim_next_tick(sim *s, sim_tick *out)
{
    double q = s->cfg.quote_ratio;
    double rate = s->cfg.rate * (1.0 + q);
    if (s->cfg.session_ns > 0) {
        double session = (double)s->cfg.session_ns / 1e9;
        rate *= sim_intensity(fmod(s->sim_time, session) / session);
    }
    s->sim_time += -log(uniform(s)) / rate;
    /* No draw without quotes, so trade-only runs keep their sequence. */
    int is_quote = q > 0 && uniform(s) * (1.0 + q) >= 1.0;
    int64_t ts = s->cfg.start_ns + (int64_t)(s->sim_time * 1e9);
    double size_mult;
    int pick = apply_scenario(s, pick_symbol(s), &size_mult);
    sym *y = &s->syms[pick];
    if (ts < y->last_ts)
        ts = y->last_ts;
    double dt = (double)(ts - y->last_ts) / 1e9;
    /* At least a millisecond of diffusion so back-to-back trades still move. */
    double step = y->vol_per_sqrt_s * sqrt(dt > 1e-3 ? dt : 1e-3) * normal(s);
    if (uniform(s) < 1e-5) /* a rare jump of 1-4% either way */
        step += (uniform(s) < 0.5 ? -1 : 1) * (0.01 + 0.03 * uniform(s));
    y->mid *= exp(step);
    if (y->mid < 0.05)
        y->mid = 0.05;
    y->last_ts = ts;
    memset(out, 0, sizeof(*out));
    if (is_quote) {
        /* A new best bid and ask: 1-3 ticks apart around the mid. */
        quote *o = &out->u.quote;
        out->kind = SIM_QUOTE;
        y->spread_ticks = 1 + (int)(uniform(s) * 3);
        double bid = bid_of(y);
        if (bid < y->tick)
            bid = y->tick;
        memcpy(o->symbol, y->name, sizeof(o->symbol));
        o->ts = ts;
        o->bid = bid;
        o->ask = round_to_tick(bid + y->spread_ticks * y->tick, y->tick);
        o->bid_size = lots(s, 3.0);
        o->ask_size = lots(s, 3.0);
        o->id = s->next_id++;
        strlcpy_tl(o->venue, "XSIM", sizeof(o->venue));
        strlcpy_tl(o->source, "sim", sizeof(o->source));
        return;
    }
    double price;
    if (q > 0) {
        /* At the bid or the ask of the symbol's current spread. */
        double bid = bid_of(y);
        price = uniform(s) < 0.5 ? bid : round_to_tick(bid + y->spread_ticks * y->tick, y->tick);
    } else {
        /* Trades print at the bid or the ask: half a spread of 1-3 ticks away. */
        double half_spread = y->tick * (1 + (int)(uniform(s) * 3)) / 2.0;
        price = round_to_tick(y->mid + (uniform(s) < 0.5 ? -half_spread : half_spread), y->tick);
    }
    if (price < y->tick)
        price = y->tick;
    /* Sizes: mostly round lots, some odd lots, a heavy tail. */
    int64_t size;
    double u = uniform(s);
    if (u < 0.6)
        size = lots(s, 2.0);
    else if (u < 0.97)
        size = 1 + (int64_t)floor(uniform(s) * 99);
    else
        size = 100 * (int64_t)(10 + floor(-log(uniform(s)) * 40.0));
    size = (int64_t)((double)size * size_mult);

    trade *t = &out->u.trade;
    out->kind = SIM_TRADE;
    memcpy(t->symbol, y->name, sizeof(t->symbol));
    t->ts = ts;
    t->price = price;
    t->size = size;
    t->id = s->next_id++;
    strlcpy_tl(t->venue, "XSIM", sizeof(t->venue));
    strlcpy_tl(t->source, "sim", sizeof(t->source));
}

void sim_next(sim *s, trade *out)
{
    sim_tick t;
    do
        sim_next_tick(s, &t);
    while (t.kind != SIM_TRADE);
    *out = t.u.trade;
}
