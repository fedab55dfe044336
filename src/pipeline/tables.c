/* tables.c - topic -> lake table contracts; see tables.h and docs/DATA.md. */
#include "tables.h"

#include <math.h>
#include <string.h>

#include "bar.h"
#include "feed_rest.h"
#include "json.h"
#include "pipeline.h"
#include "replay.h"
#include "tick.h"
#include "util.h"

/* The trade record's columns, then a live feed's members (trade_detail in
 * tick.h): NULL, or size_scale 0, for the simulator's and replayed trades. */
static const engine_column trade_columns[] = {
    {"symbol", ENGINE_VARCHAR},       {"ts", ENGINE_TIMESTAMP_NS},   {"price", ENGINE_DOUBLE},
    {"size", ENGINE_BIGINT},          {"id", ENGINE_BIGINT},         {"venue", ENGINE_VARCHAR},
    {"source", ENGINE_VARCHAR},       {"size_scale", ENGINE_BIGINT}, {"side", ENGINE_VARCHAR},
    {"recv_ts", ENGINE_TIMESTAMP_NS}, {"trade_id", ENGINE_VARCHAR},  {"raw_symbol", ENGINE_VARCHAR},
    {"conditions", ENGINE_VARCHAR},   {"seq", ENGINE_BIGINT}};
static const engine_table trade_schema = {
    "trades", trade_columns, sizeof(trade_columns) / sizeof(trade_columns[0]), "symbol, ts, id"};

static const engine_column bar_columns[] = {
    {"symbol", ENGINE_VARCHAR}, {"window_start", ENGINE_TIMESTAMP_NS},
    {"open", ENGINE_DOUBLE},    {"high", ENGINE_DOUBLE},
    {"low", ENGINE_DOUBLE},     {"close", ENGINE_DOUBLE},
    {"volume", ENGINE_BIGINT},  {"vwap", ENGINE_DOUBLE},
    {"trades", ENGINE_BIGINT},  {"turnover", ENGINE_DOUBLE},
    {"revision", ENGINE_BIGINT}};
static const engine_table bar_schema = {"bars", bar_columns,
                                        sizeof(bar_columns) / sizeof(bar_columns[0]),
                                        "symbol, window_start, revision"};

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

static int decode_trade(const lake_table *tab, const void *value, size_t len, lake_row *row,
                        char *errstr, size_t errstr_size)
{
    trade t;
    trade_detail d;
    if (trade_decode_detail(value, len, &t, &d, errstr, errstr_size) != 0 ||
        trade_check_range(&t, errstr, errstr_size) != 0)
        return -1;
    put_str(row, 0, t.symbol, 0);
    row->values[1].i = t.ts;
    row->values[2].d = t.price;
    row->values[3].i = t.size;
    row->values[4].i = t.id;
    put_str(row, 5, t.venue, 1);
    put_str(row, 6, t.source, 1);
    row->values[7].i = d.size_scale;
    put_str(row, 8, d.side == 'B' ? "buy" : d.side == 'S' ? "sell" : "", 1);
    row->values[9].i = d.recv_ts ? d.recv_ts : ENGINE_NULL_INT;
    put_str(row, 10, d.trade_id, 1);
    put_str(row, 11, d.raw_symbol, 1);
    put_str(row, 12, d.conditions, 1);
    row->values[13].i = d.seq ? d.seq : ENGINE_NULL_INT;
    row->full = d.size_scale || d.side || d.recv_ts || d.trade_id[0] || d.raw_symbol[0] ||
                d.conditions[0] || d.seq;
    row->time_ns = t.ts;
    return 0;
}

/* The quote record's columns, then size_scale (crypto feeds' sizes in lots;
 * 0 for the simulator's and the stock feeds' shares). */
static const engine_column quote_columns[] = {
    {"symbol", ENGINE_VARCHAR},   {"ts", ENGINE_TIMESTAMP_NS}, {"bid", ENGINE_DOUBLE},
    {"bid_size", ENGINE_BIGINT},  {"ask", ENGINE_DOUBLE},      {"ask_size", ENGINE_BIGINT},
    {"id", ENGINE_BIGINT},        {"venue", ENGINE_VARCHAR},   {"source", ENGINE_VARCHAR},
    {"size_scale", ENGINE_BIGINT}};
static const engine_table quote_schema = {
    "quotes", quote_columns, sizeof(quote_columns) / sizeof(quote_columns[0]), "symbol, ts, id"};

static int decode_quote(const lake_table *tab, const void *value, size_t len, lake_row *row,
                        char *errstr, size_t errstr_size)
{
    quote q;
    if (quote_decode(value, len, &q, errstr, errstr_size) != 0 ||
        quote_check_range(&q, errstr, errstr_size) != 0)
        return -1;
    put_str(row, 0, q.symbol, 0);
    row->values[1].i = q.ts;
    row->values[2].d = q.bid;
    row->values[3].i = q.bid_size;
    row->values[4].d = q.ask;
    row->values[5].i = q.ask_size;
    row->values[6].i = q.id;
    put_str(row, 7, q.venue, 1);
    put_str(row, 8, q.source, 1);
    row->values[9].i = q.size_scale;
    row->full = q.size_scale != 0;
    row->time_ns = q.ts;
    return 0;
}

static int decode_bar(const lake_table *tab, const void *value, size_t len, lake_row *row,
                      char *errstr, size_t errstr_size)
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
    row->values[10].i = b.revision;
    row->time_ns = b.window_start;
    return 0;
}

static const engine_column indicator_columns[] = {
    {"symbol", ENGINE_VARCHAR},    {"window_start", ENGINE_TIMESTAMP_NS},
    {"close", ENGINE_DOUBLE},      {"sma_20", ENGINE_DOUBLE},
    {"sma_50", ENGINE_DOUBLE},     {"ema_12", ENGINE_DOUBLE},
    {"ema_26", ENGINE_DOUBLE},     {"rsi", ENGINE_DOUBLE},
    {"volatility", ENGINE_DOUBLE}, {"bb_mid", ENGINE_DOUBLE},
    {"bb_upper", ENGINE_DOUBLE},   {"bb_lower", ENGINE_DOUBLE}};
static const engine_table indicator_schema = {
    "indicators", indicator_columns, sizeof(indicator_columns) / sizeof(indicator_columns[0]),
    "symbol, window_start"};

static const engine_column alert_columns[] = {
    {"symbol", ENGINE_VARCHAR},         {"ts", ENGINE_TIMESTAMP_NS},
    {"kind", ENGINE_VARCHAR},           {"value", ENGINE_DOUBLE},
    {"threshold", ENGINE_DOUBLE},       {"bar_interval", ENGINE_VARCHAR},
    {"bar_start", ENGINE_TIMESTAMP_NS}, {"bar_open", ENGINE_DOUBLE},
    {"bar_close", ENGINE_DOUBLE},       {"bar_volume", ENGINE_BIGINT}};
static const engine_table alert_schema = {"alerts", alert_columns,
                                          sizeof(alert_columns) / sizeof(alert_columns[0]),
                                          "symbol, ts, kind, bar_interval"};

/* A number member, NaN when null or absent (indicators not yet defined). */
static double num_or_nan(const json_value *o, const char *key)
{
    double v;
    return json_get_num(o, key, &v) == 0 ? v : NAN;
}

static int decode_indicators(const lake_table *tab, const void *value, size_t len, lake_row *row,
                             char *errstr, size_t errstr_size)
{
    json_doc *d = json_parse(value, len, errstr, errstr_size);
    if (!d)
        return -1;
    const json_value *o = json_root(d);
    const char *sym = json_get_str(o, "symbol");
    int64_t ws;
    int rc = -1;
    if (!sym || !*sym || strlen(sym) >= TICK_SYMBOL_MAX || json_get_int(o, "window_start", &ws)) {
        set_err(errstr, errstr_size, "indicators: 'symbol' or 'window_start' missing");
        goto out;
    }
    put_str(row, 0, sym, 0);
    row->values[1].i = ws;
    /* Every other column is the record's member of the same name: close,
     * sma_<p> and ema_<p> of the table's periods, rsi, volatility, bb_*. */
    for (size_t i = 2; i < tab->schema->ncolumns; i++)
        row->values[i].d = num_or_nan(o, tab->schema->columns[i].name);
    row->time_ns = ws;
    rc = 0;
out:
    json_doc_free(d);
    return rc;
}

static int decode_alert(const lake_table *tab, const void *value, size_t len, lake_row *row,
                        char *errstr, size_t errstr_size)
{
    json_doc *d = json_parse(value, len, errstr, errstr_size);
    if (!d)
        return -1;
    const json_value *o = json_root(d);
    const json_value *b = json_get(o, "bar");
    const char *sym = json_get_str(o, "symbol"), *kind = json_get_str(o, "kind");
    const char *iv = json_get_str(b, "interval");
    int64_t ts, start, volume;
    double v, th, open, close;
    int rc = -1;
    if (!sym || !*sym || strlen(sym) >= TICK_SYMBOL_MAX || !kind || strlen(kind) >= 64 || !iv ||
        strlen(iv) >= 64 || json_get_int(o, "ts", &ts) || json_get_num(o, "value", &v) ||
        json_get_num(o, "threshold", &th) || json_get_int(b, "window_start", &start) ||
        json_get_num(b, "open", &open) || json_get_num(b, "close", &close) ||
        json_get_int(b, "volume", &volume)) {
        set_err(errstr, errstr_size, "alert: a required field is missing or mistyped");
        goto out;
    }
    put_str(row, 0, sym, 0);
    row->values[1].i = ts;
    put_str(row, 2, kind, 0);
    row->values[3].d = v;
    row->values[4].d = th;
    put_str(row, 5, iv, 0);
    row->values[6].i = start;
    row->values[7].d = open;
    row->values[8].d = close;
    row->values[9].i = volume;
    row->time_ns = ts;
    rc = 0;
out:
    json_doc_free(d);
    return rc;
}

static const engine_column index_daily_columns[] = {
    {"index", ENGINE_VARCHAR},    {"date", ENGINE_DATE},        {"open", ENGINE_DOUBLE},
    {"high", ENGINE_DOUBLE},      {"low", ENGINE_DOUBLE},       {"close", ENGINE_DOUBLE},
    {"adj_close", ENGINE_DOUBLE}, {"volume", ENGINE_BIGINT},    {"close_usd", ENGINE_DOUBLE},
    {"region", ENGINE_VARCHAR},   {"exchange", ENGINE_VARCHAR}, {"currency", ENGINE_VARCHAR}};
static const engine_table index_daily_schema = {
    "index_daily", index_daily_columns,
    sizeof(index_daily_columns) / sizeof(index_daily_columns[0]), "\"index\", date"};

static int decode_index_daily(const lake_table *tab, const void *value, size_t len, lake_row *row,
                              char *errstr, size_t errstr_size)
{
    index_daily d;
    if (index_daily_decode_json(value, len, &d, errstr, errstr_size) != 0)
        return -1;
    put_str(row, 0, d.index, 0);
    row->values[1].i = d.date_ns;
    row->values[2].d = d.open;
    row->values[3].d = d.high;
    row->values[4].d = d.low;
    row->values[5].d = d.close;
    row->values[6].d = d.has_adj_close ? d.adj_close : NAN;
    row->values[7].i = d.has_volume ? d.volume : ENGINE_NULL_INT;
    row->values[8].d = d.has_close_usd ? d.close_usd : NAN;
    put_str(row, 9, d.region, 1);
    put_str(row, 10, d.exchange, 1);
    put_str(row, 11, d.currency, 1);
    row->time_ns = d.date_ns;
    return 0;
}

/* The default table's columns before and after its periods' (sma_20 ...
 * ema_26): symbol, window_start, close | rsi ... bb_lower. */
enum { IND_LEADING = 3, IND_TRAILING = 5 };

int lake_indicators_table(lake_indicators *out, const int *sma, int nsma, const int *ema, int nema)
{
    if (nsma < 0 || nema < 0 || nsma > IND_MAX_PERIODS || nema > IND_MAX_PERIODS)
        return -1;
    memset(out, 0, sizeof(*out));
    const size_t ndefault = sizeof(indicator_columns) / sizeof(indicator_columns[0]);
    size_t n = 0;
    for (; n < IND_LEADING; n++)
        out->columns[n] = indicator_columns[n];
    for (int k = 0; k < nsma + nema; k++) {
        char *name = out->names[k];
        if (k < nsma)
            snprintf(name, sizeof(out->names[k]), "sma_%d", sma[k]);
        else
            snprintf(name, sizeof(out->names[k]), "ema_%d", ema[k - nsma]);
        for (size_t i = 0; i < n; i++)
            if (strcmp(out->columns[i].name, name) == 0)
                return -1; /* a period given twice */
        out->columns[n++] = (engine_column){name, ENGINE_DOUBLE};
    }
    for (size_t i = ndefault - IND_TRAILING; i < ndefault; i++)
        out->columns[n++] = indicator_columns[i];
    out->schema = indicator_schema;
    out->schema.columns = out->columns;
    out->schema.ncolumns = n;
    out->table = *lake_table_for(TOPIC_INDICATORS_PREFIX);
    out->table.schema = &out->schema;
    return 0;
}

/* REST polling's records (feed_rest.h, docs/FEEDS.md): Finnhub snapshots and
 * Alpha Vantage's bars, each a table of its own. */
static const engine_column snapshot_columns[] = {
    {"symbol", ENGINE_VARCHAR},    {"ts", ENGINE_TIMESTAMP_NS}, {"price", ENGINE_DOUBLE},
    {"open", ENGINE_DOUBLE},       {"high", ENGINE_DOUBLE},     {"low", ENGINE_DOUBLE},
    {"prev_close", ENGINE_DOUBLE}, {"change", ENGINE_DOUBLE},   {"change_pct", ENGINE_DOUBLE},
    {"source", ENGINE_VARCHAR},    {"recv_ts", ENGINE_BIGINT}};
static const engine_table snapshot_schema = {"snapshots", snapshot_columns,
                                             sizeof(snapshot_columns) / sizeof(snapshot_columns[0]),
                                             "symbol, ts"};

static int decode_snapshot(const lake_table *tab, const void *value, size_t len, lake_row *row,
                           char *errstr, size_t errstr_size)
{
    rest_snapshot s;
    char source[TICK_SOURCE_MAX];
    int64_t recv;
    if (rest_snapshot_decode_json(value, len, &s, source, &recv, errstr, errstr_size) != 0)
        return -1;
    put_str(row, 0, s.symbol, 0);
    row->values[1].i = s.ts;
    const double v[] = {s.price, s.open, s.high, s.low, s.prev_close, s.change, s.change_pct};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        row->values[2 + i].d = v[i];
    put_str(row, 9, source, 1);
    row->values[10].i = recv ? recv : ENGINE_NULL_INT;
    row->time_ns = s.ts;
    return 0;
}

static const engine_column rest_bar_columns[] = {
    {"symbol", ENGINE_VARCHAR}, {"interval", ENGINE_VARCHAR}, {"window_start", ENGINE_TIMESTAMP_NS},
    {"open", ENGINE_DOUBLE},    {"high", ENGINE_DOUBLE},      {"low", ENGINE_DOUBLE},
    {"close", ENGINE_DOUBLE},   {"volume", ENGINE_BIGINT},    {"source", ENGINE_VARCHAR}};
static const engine_table rest_bar_schema = {"bars_rest", rest_bar_columns,
                                             sizeof(rest_bar_columns) / sizeof(rest_bar_columns[0]),
                                             "symbol, interval, window_start"};

static int decode_rest_bar(const lake_table *tab, const void *value, size_t len, lake_row *row,
                           char *errstr, size_t errstr_size)
{
    rest_bar b;
    char source[TICK_SOURCE_MAX];
    if (rest_bar_decode_json(value, len, &b, source, errstr, errstr_size) != 0)
        return -1;
    put_str(row, 0, b.symbol, 0);
    put_str(row, 1, b.interval, 1);
    row->values[2].i = b.window_start;
    row->values[3].d = b.open;
    row->values[4].d = b.high;
    row->values[5].d = b.low;
    row->values[6].d = b.close;
    row->values[7].i = b.volume;
    put_str(row, 8, source, 1);
    row->time_ns = b.window_start;
    return 0;
}

static const lake_table tables[] = {
    {"trades", 0, &trade_schema, "ts", decode_trade, LAKE_PART_DATE, 7},
    {"quotes", 0, &quote_schema, "ts", decode_quote, LAKE_PART_DATE, 9},
    {"bars.rest", 0, &rest_bar_schema, "window_start", decode_rest_bar, LAKE_PART_DATE, 0},
    {"bars.", 1, &bar_schema, "window_start", decode_bar, LAKE_PART_DATE, 0},
    {"indicators.", 1, &indicator_schema, "window_start", decode_indicators, LAKE_PART_DATE, 0},
    {"alerts", 0, &alert_schema, "ts", decode_alert, LAKE_PART_DATE, 0},
    {"index.daily", 0, &index_daily_schema, "date", decode_index_daily, LAKE_PART_YEAR, 0},
    {"snapshots", 0, &snapshot_schema, "ts", decode_snapshot, LAKE_PART_DATE, 0},
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
