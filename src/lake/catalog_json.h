/* catalog_json.h - the catalog's JSON form, and catalogs read from a lake's _catalog folder.
 *
 * catalog.json, field by field (paths are relative to the lake, so a lake can
 * be moved; every array is sorted: tables by name, partitions by location,
 * files by path):
 *
 * {
 *   "format": "ticklake-catalog/1",
 *   "database": "ticklake",
 *   "version": 3,                          increases by one per written crawl
 *   "crawled_at": "2026-01-02T03:04:05.123456789Z",
 *   "crawled_at_ns": 1767323045123456789,
 *   "tables": [{
 *     "name": "trades",
 *     "location": "trades",
 *     "format": "csv",                       optional: absent means "parquet"
 *     "deprecated": true,                    optional: the folder is gone (--on-delete deprecate)
 *     "columns": [{"name": "symbol", "type": "VARCHAR"}, ...],   resolved, no keys
 *     "partition_keys": [{"name": "date", "type": "DATE"}],
 *     "rows": 1000, "bytes": 52000, "files": 4,                   totals (not deprecated)
 *     "time_column": "ts",                                        optional, with:
 *     "min_time_ns": ..., "max_time_ns": ...,                     optional
 *     "min_time": "2026-01-01T00:00:00Z", "max_time": "...",      optional
 *     "schemas": [[{"name": "symbol", "type": "VARCHAR"}, ...]],  distinct file schemas
 *     "partitions": [{
 *       "values": ["2026-01-01"],                                 one per key
 *       "location": "trades/date=2026-01-01",
 *       "deprecated": true,                                       optional, as for tables
 *       "rows": 500, "bytes": 26000,
 *       "files": [{"path": "trades/date=2026-01-01/t+0+00000000000000000000.parquet",
 *                  "size": 26000, "mtime_ns": ..., "rows": 500,
 *                  "schema": 0,                                   index into schemas
 *                  "min_time_ns": ..., "max_time_ns": ...}]       optional
 *     }],
 *     "bad_files": [{"path": "...", "size": 5, "mtime_ns": ..., "error": "..."}],
 *     "warnings": ["column 'price' has types BIGINT, DOUBLE across files: using DOUBLE"]
 *   }],
 *   "warnings": []                                                lake-wide
 * }
 *
 * The optional members were added without changing the format name: older
 * catalogs read as Parquet tables with nothing deprecated, and older readers
 * ignore the members. */
#ifndef TICKLAKE_CATALOG_JSON_H
#define TICKLAKE_CATALOG_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "util.h"

/* Loads <lake>/_catalog/catalog.json into *out (free with catalog_free).
 * Same missing-catalog error as catalog_attach. */
int catalog_load(const char *lake, catalog **out, char *errstr, size_t errstr_size);
/* The modification time (ns) of <lake>/_catalog/catalog.json, -1 when there
 * is none: what a reader compares to know the catalog changed. */
int64_t catalog_mtime(const char *lake);
/* Loads <lake>/_catalog/versions/<version>.json. */
int catalog_load_version(const char *lake, int64_t version, catalog **out, char *errstr,
                         size_t errstr_size);
/* Parses catalog JSON text (pure). 0, or -1 with errstr naming what is wrong. */
int catalog_parse(const char *text, size_t len, catalog **out, char *errstr, size_t errstr_size);
/* Appends the JSON form of c (the shape above) to out. */
void catalog_to_json(const catalog *c, buf *out);
/* Appends the catalog without its version and crawl time (the "tables" and
 * "warnings" members): equal bodies mean nothing changed. */
void catalog_body_to_json(const catalog *c, buf *out);

#endif
