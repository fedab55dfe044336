/* catalog_sql.h - the catalog's tables as SQL views in an engine, and analysis macros over
 * the trades table. */
#ifndef TICKLAKE_CATALOG_SQL_H
#define TICKLAKE_CATALOG_SQL_H

#include <stddef.h>

#include "engine.h"

/* Reads <lake>/_catalog/catalog.json and creates in e one TEMP VIEW per table,
 * named as the table, selecting the catalog's columns in order, then the
 * partition keys, from
 *   read_parquet([<one glob per partition>], hive_partitioning=true,
 *                union_by_name=true, hive_types={<key>: <type>, ...})
 * (read_csv / read_json for those formats; one such scan per file schema,
 * joined by UNION ALL, when the files' schemas differ) so partition keys
 * appear as columns of their catalog types and filters on them prune files. The partitions are the
 * catalog's; the files are whatever each partition folder holds at query time ("[!._~]*.parquet"),
 * except that a partition with known bad files lists its good files instead, a partition whose
 * folder holds a compacted "~" file (compact.h) lists the files no such file covers (lakepath.h)
 * as they are when the view is made, and a partition whose folder holds no data file now is left
 * out. The crawler leaves covered files out too. A table without partitions gets an empty view with
 * the catalog's columns; a table without columns gets no view. Columns typed differently across
 * files are cast to the catalog type. *ntables (may be NULL) gets the number of views. The error
 * for a missing catalog is "no catalog in '<lake>': run 'ticklake crawl' first". */
int catalog_attach(engine *e, const char *lake, size_t *ntables, char *errstr, size_t errstr_size);

/* catalog_attach, except that the tables named in absent (their files are
 * not here, e.g. not in an S3 lake's cache) get a view with the catalog's
 * columns that fails when read: "table '<name>' <why>". */
int catalog_attach_ext(engine *e, const char *lake, const char *const *absent, size_t nabsent,
                       const char *why, size_t *ntables, char *errstr, size_t errstr_size);

/* catalog_attach_ext over a local copy of a remote lake: the catalog and the
 * folder listings are read under lake (an S3 lake's cache mirror, whose stubs
 * stand for the objects), the views read the same paths under from (the
 * lake's "s3://bucket/prefix" URL, no trailing '/'), where the engine reads
 * them itself (engine_attach_s3). from NULL is catalog_attach_ext. */
int catalog_attach_from(engine *e, const char *lake, const char *from, const char *const *absent,
                        size_t nabsent, const char *why, size_t *ntables, char *errstr,
                        size_t errstr_size);

/* Defines the analysis macros in e when the catalog has a trades table with
 * symbol, ts, price, size, id and date (a lake the pipeline writes); without
 * one it defines nothing and succeeds. Table macros, each with the optional
 * named filters sym := 'X', from_date := DATE, to_date := DATE (inclusive,
 * on the date partition key, so they prune files):
 *   ohlc(every)                 OHLCV bars from trades at any interval:
 *                               symbol, window_start, open, high, low, close,
 *                               volume, vwap, trades, turnover
 *   vwap(every := 1 day)        symbol, window_start, vwap, volume, trades
 *   returns(every := 1 day)     symbol, window_start, close, prev_close, ret, log_ret
 *   top_movers(n := 10)         symbol, first_price, last_price, ret, volume, trades
 *                               (largest |ret| over the date range first)
 *   anomalies(every := 1 minute, z := 4)
 *                               bars whose log return or volume is at least z
 *                               standard deviations from the symbol's mean
 * Windows start at multiples of `every` since the epoch; open/close follow
 * event time, ties broken by trade id, and vwap is turnover / volume clamped
 * to [low, high], as the pipeline's bars. */
int catalog_define_macros(engine *e, const char *lake, char *errstr, size_t errstr_size);

#endif
