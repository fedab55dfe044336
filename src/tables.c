/* tables.c - topic -> lake table contracts; see tables.h and docs/DATA.md. */
#include "tables.h"

#include <string.h>

#include "bar.h"
#include "tick.h"
#include "util.h"

static const engine_column trade_columns[] = {
    {"symbol", ENGINE_VARCHAR}, {"ts", ENGINE_TIMESTAMP_NS}, {"price", ENGINE_DOUBLE},
    {"size", ENGINE_BIGINT},    {"id", ENGINE_BIGINT},       {"venue", ENGINE_VARCHAR},
    {"source", ENGINE_VARCHAR}};
static const engine_table trade_schema = {"trades", trade_columns,
                                          sizeof(trade_columns) / sizeof(trade_columns[0]),
                                          "symbol, ts, id"};

static const engine_column bar_columns[] = {
    {"symbol", ENGINE_VARCHAR}, {"window_start", ENGINE_TIMESTAMP_NS},
    {"open", ENGINE_DOUBLE},    {"high", ENGINE_DOUBLE},
    {"low", ENGINE_DOUBLE},     {"close", ENGINE_DOUBLE},
    {"volume", ENGINE_BIGINT},  {"vwap", ENGINE_DOUBLE},
    {"trades", ENGINE_BIGINT},  {"turnover", ENGINE_DOUBLE}};
static const engine_table bar_schema = {"bars", bar_columns,
                                        sizeof(bar_columns) / sizeof(bar_columns[0]),
                                        "symbol, window_start"};

/* Copies s into the row's string slot i and points value i at it (NULL for "" when nullable). */
static void put_str(lake_row *row, size_t i, const char *s, int nullable)
{
    if (nullable && !*s) {
        row->values[i].s = NULL;
        return;
    }
    strlcpy_tl(row->strings[i], s, sizeof(row->strings[i]));
    row->values[i].s = row->strings[i];
}

static int decode_trade(const void *value, size_t len, lake_row *row, char *errstr,
                        size_t errstr_size)
{
    trade t;
    if (trade_decode_json(value, len, &t, errstr, errstr_size) != 0)
        return -1;
    put_str(row, 0, t.symbol, 0);
    row->values[1].i = t.ts;
    row->values[2].d = t.price;
    row->values[3].i = t.size;
    row->values[4].i = t.id;
    put_str(row, 5, t.venue, 1);
    put_str(row, 6, t.source, 1);
    row->time_ns = t.ts;
    return 0;
}

static int decode_bar(const void *value, size_t len, lake_row *row, char *errstr,
                      size_t errstr_size)
{
    bar b;
    if (bar_decode_json(value, len, &b, errstr, errstr_size) != 0)
        return -1;
    put_str(row, 0, b.symbol, 0);
    row->values[1].i = b.window_start;
    row->values[2].d = b.open;
    row->values[3].d = b.high;
    row->values[4].d = b.low;
    row->values[5].d = b.close;
    row->values[6].i = b.volume;
    row->values[7].d = b.vwap;
    row->values[8].i = b.trades;
    row->values[9].d = b.turnover;
    row->time_ns = b.window_start;
    return 0;
}

static const lake_table tables[] = {
    {"trades", 0, &trade_schema, "ts", decode_trade},
    {"bars.", 1, &bar_schema, "window_start", decode_bar},
};

const lake_table *lake_table_for(const char *topic)
{
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        const lake_table *t = &tables[i];
        if (t->topic_is_prefix ? strncmp(topic, t->topic, strlen(t->topic)) == 0
                               : strcmp(topic, t->topic) == 0)
            return t;
    }
    return NULL;
}
