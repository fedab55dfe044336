/* Unit tests for tables.c: each topic's record lands as the documented row;
 * JSON nulls in indicators become SQL NULLs in the lake. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine.h"
#include "rowbuf.h"
#include "tables.h"
#include "tick.h"
#include "testlib.h"

static void test_lookup(void)
{
    CHECK(lake_table_for("trades") != NULL);
    CHECK(lake_table_for("bars.1s") == lake_table_for("bars.5m"));
    CHECK(lake_table_for("indicators.1m") != NULL);
    CHECK(lake_table_for("alerts") != NULL);
    CHECK(lake_table_for("quotes") != NULL);
    CHECK_EQ_STR(lake_table_for("quotes")->schema->name, "quotes");
    CHECK(lake_table_for("nope") == NULL);
    CHECK_EQ_STR(lake_table_for("bars.1s")->time_column, "window_start");
    /* A provider's bars are not ticklake's: bars.rest is a table of its own. */
    CHECK_EQ_STR(lake_table_for("bars.rest")->schema->name, "bars_rest");
    CHECK_EQ_STR(lake_table_for("snapshots")->schema->name, "snapshots");
    /* Every table's sort order names its own columns (the sink sorts by it). */
    const char *topics[] = {"trades", "quotes",      "bars.1s",   "indicators.1m",
                            "alerts", "index.daily", "snapshots", "bars.rest"};
    for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++) {
        char err[256];
        rowbuf *rb = rowbuf_new(lake_table_for(topics[i])->schema, err, sizeof(err));
        CHECK(rb != NULL);
        rowbuf_free(rb);
    }
}

static int64_t count_of(engine *e, const char *sql)
{
    int64_t v = -1;
    char err[512];
    CHECK(engine_query_int64(e, sql, &v, err, sizeof(err)) == 0);
    return v;
}

static void test_indicator_nulls_reach_the_lake(void)
{
    char err[512];
    engine *e = engine_open(NULL, 1, err, sizeof(err));
    CHECK(e != NULL);
    const lake_table *t = lake_table_for("indicators.1s");
    rowbuf *b = rowbuf_new(t->schema, err, sizeof(err));
    CHECK(b != NULL);
    const char *rec = "{\"symbol\":\"X\",\"interval\":\"1s\",\"window_start\":5,\"close\":1.5,"
                      "\"sma_20\":null,\"ema_12\":1.25,\"rsi\":null}";
    lake_row row;
    CHECK(t->decode(t, rec, strlen(rec), &row, err, sizeof(err)) == 0);
    CHECK(isnan(row.values[3].d)); /* sma_20 */
    CHECK_EQ_INT(row.time_ns, 5);
    CHECK(rowbuf_append(b, row.values, 0, err, sizeof(err)) == 0);
    const uint32_t *order;
    CHECK(rowbuf_sort(b, &order, err, sizeof(err)) == 0);
    char path[] = "/tmp/ticklake-test-tables-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK(engine_write_parquet_rows(e, b, order, 1, path, NULL, err, sizeof(err)) == 0);
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FILTER (WHERE sma_20 IS NULL AND rsi IS NULL AND ema_12 = 1.25) "
             "FROM read_parquet('%s')",
             path);
    CHECK_EQ_INT(count_of(e, sql), 1);
    unlink(path);
    rowbuf_free(b);
    engine_close(e);
}

static void test_bad_records(void)
{
    char err[256];
    lake_row row;
    const lake_table *a = lake_table_for("alerts");
    CHECK(a->decode(a, "{}", 2, &row, err, sizeof(err)) == -1);
    CHECK(strstr(err, "alert") != NULL);
    CHECK(lake_table_for("indicators.1s")
              ->decode(lake_table_for("indicators.1s"), "[", 1, &row, err, sizeof(err)) == -1);
    const char *ok = "{\"symbol\":\"X\",\"kind\":\"gap\",\"ts\":9,\"value\":2.5,\"threshold\":2,"
                     "\"bar\":{\"symbol\":\"X\",\"interval\":\"1s\",\"window_start\":8,\"open\":1,"
                     "\"close\":2,\"volume\":3}}";
    CHECK(a->decode(a, ok, strlen(ok), &row, err, sizeof(err)) == 0);
    CHECK_EQ_STR(row.values[2].s, "gap");
    CHECK_EQ_INT(row.values[9].i, 3);
}

/* Trades and quotes land from either encoding as the same row. */
static void test_ticks_in_both_encodings(void)
{
    char err[256];
    const lake_table *tt = lake_table_for("trades"), *qt = lake_table_for("quotes");
    trade t = {.symbol = "AAPL",
               .ts = 1767312000000000001LL,
               .price = 189.5,
               .size = 100,
               .id = 9,
               .venue = "XSIM"};
    quote q = {.symbol = "AAPL",
               .ts = 1767312000000000002LL,
               .bid = 189.49,
               .bid_size = 300,
               .ask = 189.51,
               .ask_size = 100,
               .id = 10,
               .source = "sim"};
    for (int enc = TICK_JSON; enc <= TICK_BINARY; enc++) {
        buf b = {0};
        lake_row row;
        trade_encode(&t, (tick_encoding)enc, &b);
        CHECK(tt->decode(tt, b.data, b.len, &row, err, sizeof(err)) == 0);
        CHECK_EQ_STR(row.values[0].s, "AAPL");
        CHECK_EQ_INT(row.values[1].i, t.ts);
        CHECK(row.values[2].d == 189.5);
        CHECK_EQ_INT(row.values[4].i, 9);
        CHECK(row.values[6].s == NULL); /* no source: NULL */
        CHECK_EQ_INT(row.time_ns, t.ts);
        /* A trade on the quotes topic is a bad record, and the other way round. */
        CHECK(qt->decode(qt, b.data, b.len, &row, err, sizeof(err)) == -1);
        buf_reset(&b);
        quote_encode(&q, (tick_encoding)enc, &b);
        CHECK(qt->decode(qt, b.data, b.len, &row, err, sizeof(err)) == 0);
        CHECK(row.values[2].d == 189.49 && row.values[4].d == 189.51);
        CHECK_EQ_INT(row.values[3].i, 300);
        CHECK_EQ_INT(row.values[5].i, 100);
        CHECK_EQ_INT(row.values[6].i, 10);
        CHECK(row.values[7].s == NULL);
        CHECK_EQ_STR(row.values[8].s, "sim");
        CHECK(tt->decode(tt, b.data, b.len, &row, err, sizeof(err)) == -1);
        buf_release(&b);
    }
}

/* A live feed's trade keeps its members in the lake (size_scale, side, the
 * provider's id, symbol and conditions, sequence, receive time); other trades
 * have NULLs there and size_scale 0. */
static void test_feed_trade_members_reach_the_lake(void)
{
    char err[512];
    engine *e = engine_open(NULL, 1, err, sizeof(err));
    CHECK(e != NULL);
    const lake_table *t = lake_table_for("trades");
    rowbuf *rb = rowbuf_new(t->schema, err, sizeof(err));
    CHECK(rb != NULL);
    trade tr = {.symbol = "BTC-USD",
                .ts = 1000,
                .price = 97012.34,
                .size = 1000000,
                .id = 8,
                .venue = "COINBASE",
                .source = "coinbase"};
    trade_detail d = {.recv_ts = 2000,
                      .ts_prec = 6,
                      .size_scale = 8,
                      .seq = 50,
                      .side = 'S',
                      .trade_id = "8",
                      .raw_symbol = "BTC-USD",
                      .conditions = "@,I"};
    buf b = {0};
    trade_encode_json_detail(&tr, &d, &b);
    lake_row row;
    row.full = 0;
    CHECK(t->decode(t, b.data, b.len, &row, err, sizeof(err)) == 0);
    CHECK(row.full); /* its file gets every column */
    CHECK(rowbuf_append(rb, row.values, 0, err, sizeof(err)) == 0);
    tr.symbol[0] = 'A'; /* another symbol, the simulator's record in either encoding */
    rowbuf *lean = rowbuf_new(t->schema, err, sizeof(err));
    for (int enc = TICK_JSON; enc <= TICK_BINARY; enc++) {
        buf_reset(&b);
        trade_encode(&tr, (tick_encoding)enc, &b);
        row.full = 0;
        CHECK(t->decode(t, b.data, b.len, &row, err, sizeof(err)) == 0);
        CHECK(!row.full);
        CHECK(rowbuf_append(rb, row.values, 0, err, sizeof(err)) == 0);
        CHECK(rowbuf_append(lean, row.values, 0, err, sizeof(err)) == 0);
    }
    /* A file of such rows only has the table's lean columns, as before the
     * live-feed members were landed: no cost for the simulator's trades. */
    CHECK_EQ_INT(t->lean_columns, 7);
    const uint32_t *lorder;
    CHECK(rowbuf_sort(lean, &lorder, err, sizeof(err)) == 0);
    char lpath[] = "/tmp/ticklake-test-lean-XXXXXX";
    int lfd = mkstemp(lpath);
    CHECK(lfd >= 0);
    close(lfd);
    CHECK(engine_write_parquet_cols(e, lean, t->lean_columns, lorder, 2, lpath, NULL, err,
                                    sizeof(err)) == 0);
    char lsql[512];
    snprintf(lsql, sizeof(lsql),
             "SELECT (SELECT count(*) FROM (DESCRIBE SELECT * FROM read_parquet('%s'))) * 10 + "
             "(SELECT count(*) FROM read_parquet('%s') WHERE source = 'coinbase' AND venue = "
             "'COINBASE')",
             lpath, lpath);
    CHECK_EQ_INT(count_of(e, lsql), 72);
    unlink(lpath);
    rowbuf_free(lean);
    /* A malformed member is a bad record, named. */
    const char *bad = "{\"symbol\":\"X\",\"ts\":1,\"price\":1,\"size\":1,\"id\":1,"
                      "\"ts_prec\":3,\"side\":\"up\"}";
    CHECK(t->decode(t, bad, strlen(bad), &row, err, sizeof(err)) == -1);
    CHECK(strstr(err, "'side'") != NULL);
    buf_release(&b);
    const uint32_t *order;
    CHECK(rowbuf_sort(rb, &order, err, sizeof(err)) == 0);
    char path[] = "/tmp/ticklake-test-trades-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK(engine_write_parquet_rows(e, rb, order, 3, path, NULL, err, sizeof(err)) == 0);
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FILTER (WHERE symbol = 'BTC-USD' AND size_scale = 8 AND side = "
             "'sell' AND epoch_ns(recv_ts) = 2000 AND trade_id = '8' AND raw_symbol = 'BTC-USD' "
             "AND conditions = '@,I' AND seq = 50) * 10 + count(*) FILTER (WHERE symbol <> "
             "'BTC-USD' AND size_scale = 0 AND side IS NULL AND recv_ts IS NULL AND trade_id IS "
             "NULL AND raw_symbol IS NULL AND conditions IS NULL AND seq IS NULL) "
             "FROM read_parquet('%s')",
             path);
    CHECK_EQ_INT(count_of(e, sql), 12);
    unlink(path);
    rowbuf_free(rb);
    engine_close(e);
}

static void test_indicators_of_other_periods(void)
{
    lake_indicators li;
    const int sma[] = {10, 30, 64}, ema[] = {9};
    CHECK_EQ_INT(lake_indicators_table(&li, sma, 3, ema, 1), 0);
    const lake_table *t = &li.table;
    static const char *const want[] = {"symbol",     "window_start", "close",    "sma_10",
                                       "sma_30",     "sma_64",       "ema_9",    "rsi",
                                       "volatility", "bb_mid",       "bb_upper", "bb_lower"};
    CHECK_EQ_INT(t->schema->ncolumns, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < t->schema->ncolumns && i < sizeof(want) / sizeof(want[0]); i++)
        CHECK_EQ_STR(t->schema->columns[i].name, want[i]);
    CHECK_EQ_STR(t->topic, "indicators.");
    /* Each column takes the record's member of its name; members of other
     * periods (sma_20) are not columns; a missing one is null (NaN). */
    const char *rec = "{\"symbol\":\"X\",\"interval\":\"1s\",\"window_start\":7,\"close\":2.5,"
                      "\"sma_10\":2.25,\"sma_20\":9,\"sma_30\":null,\"ema_9\":2.4,\"rsi\":55,"
                      "\"bb_mid\":2.3}";
    lake_row row;
    char err[256];
    CHECK(t->decode(t, rec, strlen(rec), &row, err, sizeof(err)) == 0);
    CHECK_EQ_STR(row.values[0].s, "X");
    CHECK_EQ_INT(row.values[1].i, 7);
    CHECK(row.values[2].d == 2.5);
    CHECK(row.values[3].d == 2.25);
    CHECK(isnan(row.values[4].d)); /* sma_30: null */
    CHECK(isnan(row.values[5].d)); /* sma_64: absent */
    CHECK(row.values[6].d == 2.4);
    CHECK(row.values[7].d == 55);
    CHECK(isnan(row.values[8].d));
    CHECK(row.values[9].d == 2.3);
    /* The defaults give the columns of lake_table_for's table. */
    const int dsma[] = {20, 50}, dema[] = {12, 26};
    CHECK_EQ_INT(lake_indicators_table(&li, dsma, 2, dema, 2), 0);
    const lake_table *d = lake_table_for("indicators.1m");
    CHECK_EQ_INT(li.schema.ncolumns, d->schema->ncolumns);
    for (size_t i = 0; i < d->schema->ncolumns && i < li.schema.ncolumns; i++)
        CHECK_EQ_STR(li.schema.columns[i].name, d->schema->columns[i].name);
    /* A period twice, or too many, is refused. */
    const int twice[] = {10, 10};
    CHECK_EQ_INT(lake_indicators_table(&li, twice, 2, ema, 1), -1);
    CHECK_EQ_INT(lake_indicators_table(&li, sma, 5, ema, 1), -1);
}

/* DATA.md: rows within a file are sorted by symbol, then time. Every table's
 * sort order starts with its first column (symbol; index for index_daily)
 * and then its time column; and an alerts file the sink would write from
 * alerts arriving in time order comes out in that order. */
static void test_files_sorted_by_symbol_then_time(void)
{
    const char *topics[] = {"trades",        "quotes", "bars.1s",
                            "indicators.1m", "alerts", "index.daily"};
    for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++) {
        const lake_table *t = lake_table_for(topics[i]);
        char want[128];
        const char *first = t->schema->columns[0].name;
        snprintf(want, sizeof(want), strcmp(first, "index") == 0 ? "\"%s\", %s" : "%s, %s", first,
                 t->time_column);
        if (strncmp(t->schema->order_by, want, strlen(want)) != 0)
            fprintf(stderr, "  %s: ORDER BY %s\n", topics[i], t->schema->order_by);
        CHECK(strncmp(t->schema->order_by, want, strlen(want)) == 0);
    }
    char err[512];
    engine *e = engine_open(NULL, 1, err, sizeof(err));
    CHECK(e != NULL);
    const lake_table *t = lake_table_for("alerts");
    rowbuf *b = rowbuf_new(t->schema, err, sizeof(err));
    CHECK(b != NULL);
    /* As the processor raises them: by time, symbols interleaved. */
    static const struct {
        const char *sym, *kind;
        int ts;
    } in[] = {{"MSFT", "gap", 1},       {"AAPL", "price_move", 2}, {"MSFT", "volume_spike", 3},
              {"AAPL", "gap", 4},       {"IBM", "stale", 5},       {"AAPL", "price_move", 6},
              {"MSFT", "price_move", 6}};
    const size_t n = sizeof(in) / sizeof(in[0]);
    for (size_t i = 0; i < n; i++) {
        char rec[512];
        snprintf(rec, sizeof(rec),
                 "{\"symbol\":\"%s\",\"kind\":\"%s\",\"ts\":%d,\"value\":1,\"threshold\":1,"
                 "\"bar\":{\"symbol\":\"%s\",\"interval\":\"1s\",\"window_start\":0,\"open\":1,"
                 "\"close\":1,\"volume\":1}}",
                 in[i].sym, in[i].kind, in[i].ts, in[i].sym);
        lake_row row;
        CHECK(t->decode(t, rec, strlen(rec), &row, err, sizeof(err)) == 0);
        CHECK(rowbuf_append(b, row.values, 0, err, sizeof(err)) == 0);
    }
    const uint32_t *order;
    CHECK(rowbuf_sort(b, &order, err, sizeof(err)) == 0);
    char path[] = "/tmp/ticklake-test-alerts-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK(engine_write_parquet_rows(e, b, order, n, path, NULL, err, sizeof(err)) == 0);
    /* The rows as they lie in the file. */
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT string_agg(symbol || ':' || epoch_ns(ts), ' ' ORDER BY file_row_number) = "
             "'AAPL:2 AAPL:4 AAPL:6 IBM:5 MSFT:1 MSFT:3 MSFT:6' "
             "FROM read_parquet('%s', file_row_number = true)",
             path);
    CHECK_EQ_INT(count_of(e, sql), 1);
    unlink(path);
    rowbuf_free(b);
    engine_close(e);
}

TEST_MAIN(TEST(test_lookup), TEST(test_indicator_nulls_reach_the_lake), TEST(test_bad_records),
          TEST(test_ticks_in_both_encodings), TEST(test_feed_trade_members_reach_the_lake),
          TEST(test_indicators_of_other_periods), TEST(test_files_sorted_by_symbol_then_time))
