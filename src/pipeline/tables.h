/* tables.h - the lake table of each topic: its schema and how a record
 * becomes a row.
 *
 * The sink is generic over these: it asks lake_table_for() which table a
 * topic lands in, decodes each record with the table's decode function and
 * appends the row. A new record type is a new entry here (and a section in
 * docs/DATA.md), not a change to the sink. Pure: no I/O. */
#ifndef TICKLAKE_TABLES_H
#define TICKLAKE_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "indicators.h"

#define LAKE_ROW_MAX_COLUMNS 32

/* A decoded row: values in column order, pointing into row-owned storage
 * (valid until the next decode into the same row). */
typedef struct lake_row {
    engine_value values[LAKE_ROW_MAX_COLUMNS];
    int64_t time_ns; /* the row's event time, which picks its date partition */
    int full;        /* the decoder set a column past the table's lean_columns */
    char strings[LAKE_ROW_MAX_COLUMNS][64];
} lake_row;

/* How a table's rows are split into Hive partitions by their time. */
typedef enum {
    LAKE_PART_DATE, /* date=YYYY-MM-DD, the UTC day (the default: high-volume tables) */
    LAKE_PART_YEAR  /* year=YYYY: daily data, so a partition is not one tiny file a day */
} lake_partitioning;

typedef struct lake_table lake_table;
struct lake_table {
    const char *topic;          /* logical topic ("trades"), or a prefix ("bars.") */
    int topic_is_prefix;        /* 1: every topic starting with topic */
    const engine_table *schema; /* columns and sort order */
    const char *time_column;    /* the column whose UTC date or year is the partition */
    /* Decodes one record of table t into row; 0, or -1 with errstr. */
    int (*decode)(const lake_table *t, const void *value, size_t len, lake_row *row, char *errstr,
                  size_t errstr_size);
    lake_partitioning partitioning;
    /* > 0: the columns after the first lean_columns are a live feed's members
     * (trades, quotes); a file none of whose rows set them (lake_row.full) is written
     * with the first lean_columns only, as before they existed, and costs no
     * more to write. 0: every file has every column. */
    size_t lean_columns;
};

/* The table for a logical topic name (without any --topic-prefix), or NULL.
 * Its indicators tables have the default periods' columns (sma_20, sma_50,
 * ema_12, ema_26). */
const lake_table *lake_table_for(const char *topic);

/* The indicators table for other SMA and EMA periods: columns symbol,
 * window_start, close, sma_<p>... and ema_<p>... in the order given, rsi,
 * volatility, bb_mid, bb_upper, bb_lower; each filled from the record's
 * member of the same name. *out holds the table and its schema, which point
 * into it: it must stay where it is while the table is used. -1 when a
 * period is given twice or there are too many. */
typedef struct lake_indicators {
    lake_table table;
    engine_table schema;
    engine_column columns[3 + 2 * IND_MAX_PERIODS + 5];
    char names[2 * IND_MAX_PERIODS][16];
} lake_indicators;
int lake_indicators_table(lake_indicators *out, const int *sma, int nsma, const int *ema, int nema);

#endif
