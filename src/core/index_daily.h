/* index_daily.h - the index daily record (one index's prices of one trading
 * day, the `index.daily` topic) and its JSON codec. replay.h reads these
 * records from CSV files; the sink decodes them into the lake. Pure. */
#ifndef TICKLAKE_INDEX_DAILY_H
#define TICKLAKE_INDEX_DAILY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index_info.h"
#include "lakepath.h"
#include "tick.h"
#include "util.h"

typedef struct index_daily {
    char index[TICK_SYMBOL_MAX];   /* e.g. "HSI", 1..31 bytes of printable UTF-8 */
    int64_t date_ns;               /* 00:00 UTC of the trading day, ns since the epoch */
    char date[LAKE_DATE_LEN];      /* the same day as YYYY-MM-DD */
    double open, high, low, close; /* finite, > 0, high >= low */
    double adj_close;              /* valid if has_adj_close; finite, > 0 */
    int64_t volume;                /* valid if has_volume; >= 0 */
    double close_usd;              /* valid if has_close_usd; finite, > 0 */
    bool has_adj_close, has_volume, has_close_usd;
    /* From the index_info table (index_info_lookup); all "" when the index is not in it. */
    char region[INDEX_REGION_MAX];
    char exchange[INDEX_EXCHANGE_MAX];
    char currency[INDEX_CURRENCY_MAX];
} index_daily;

/* Appends the JSON encoding of d (the `index.daily` record) to out:
 * {"index":"HSI","date":"1986-12-31","ts":536371200000000000,"open":2568.300049,
 *  "high":...,"low":...,"close":...,"adj_close":...,"volume":0,"close_usd":...,
 *  "region":"Hong Kong","exchange":"Hong Kong Stock Exchange","currency":"HKD"}
 * Missing adj_close, volume and close_usd are written as null; empty region,
 * exchange and currency are left out. */
void index_daily_encode_json(const index_daily *d, buf *out);
/* Decodes one such record (ts is authoritative; date is derived from it).
 * Unknown members are ignored. 0, or -1 with errstr. */
int index_daily_decode_json(const char *data, size_t len, index_daily *d, char *errstr,
                            size_t errstr_size);

#endif
