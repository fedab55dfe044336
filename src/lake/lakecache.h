/* lakecache.h - an S3 lake's local cache, so that the crawler and the
 * catalog code work on local files: the crawler on footers fetched by ranged
 * GETs, a query in place on listings (stubs) of the partitions it reads
 * (DuckDB's httpfs then fetches what it needs from S3 itself), a query with
 * --s3-read cache on files downloaded whole.
 *
 * The cache of one lake is a folder <cache dir>/<bucket>-<hash>/, the hash
 * naming the endpoint, bucket and prefix:
 *
 *   lake/<key>        a mirror of the lake's objects (a local lake folder)
 *   manifest.tsv      for each cached key: the object's size, ETag and
 *                     LastModified, and how much of it is local
 *   lock              held while the cache is being changed
 *
 * A cached object is in one of three states:
 *   full    the whole object;
 *   footer  a Parquet file's footer only: a sparse file of the object's size
 *           holding its last bytes, fetched with ranged GETs (enough for the
 *           crawler's schema, row count and statistics queries);
 *   stub    no bytes: a sparse file of the object's size, for files the
 *           crawler will not read (unchanged since the catalog, or not data).
 * An object is downloaded again only when its size or ETag changed; a state
 * is only ever raised (stub -> footer -> full) until then. A sync fetches up
 * to 16 objects at once, each worker thread with its own storage handle
 * (credentials resolved again, as the lake's were); the manifest is changed
 * by the calling thread only. Mirror files get
 * the object's LastModified (as listed) as their mtime, so the crawler's
 * size+mtime check compares S3 objects. Objects gone from S3 are removed from
 * the mirror at the next sync. The cache is only a copy: deleting it costs
 * downloads, never data.
 *
 * The catalog (_catalog/), the query results and their metadata (_results/)
 * live in the lake: a crawl uploads the new catalog version (version file
 * first, then catalog.json), a query uploads its result and metadata.
 * Nothing here prevents two crawls of one S3 lake from different machines at
 * once (S3 has no lock); the local lock serialises those sharing a cache.
 *
 * All S3 access goes through storage.h. Errors as everywhere: 0, or -1 with
 * a message in errstr. */
#ifndef TICKLAKE_LAKECACHE_H
#define TICKLAKE_LAKECACHE_H

#include <stddef.h>
#include <stdint.h>

#include "catalog_crawl.h"
#include "engine.h"
#include "storage.h"

typedef struct lakecache lakecache;

/* The options of commands that read a lake, for their cli_option tables
 * (the sink's names and defaults, plus the cache folder). */
/* clang-format off */
#define LAKE_S3_OPTIONS(endpoint, region, addressing, cache_dir, profile)                          \
    {0, "s3-endpoint", CLI_STRING, (endpoint), "URL",                                             \
     "S3 endpoint URL (default AWS_ENDPOINT_URL_S3, the profile, else AWS)"},                     \
    {0, "s3-region", CLI_STRING, (region), "R",                                                   \
     "S3 region (default AWS_REGION, the profile, us-east-1)"},                                   \
    {0, "s3-addressing", CLI_STRING, (addressing), "path|virtual|auto",                           \
     "S3 bucket addressing (default auto, or the profile's addressing_style)"},                   \
    {0, "s3-profile", CLI_STRING, (profile), "NAME",                                              \
     "AWS profile of the credentials (default AWS_PROFILE, else default; README: AWS credentials)"}, \
    {0, "cache-dir", CLI_STRING, (cache_dir), "DIR",                                              \
     "local cache of an S3 lake (default $TICKLAKE_CACHE_DIR, else ~/.cache/ticklake)"}
/* clang-format on */

typedef struct lakecache_stats {
    int64_t listed;     /* objects listed */
    int64_t hits;       /* objects already cached as needed */
    int64_t full;       /* objects downloaded whole */
    int64_t footers;    /* Parquet footers fetched with ranged GETs */
    int64_t stubs;      /* placeholders made without a download */
    int64_t removed;    /* cached objects gone from S3, removed */
    int64_t uploaded;   /* objects uploaded (catalog versions, results) */
    int64_t bytes_down; /* bytes downloaded */
    int64_t requests;   /* S3 GETs made for data (ranged or whole) */
} lakecache_stats;

/* 1 when url names an S3 lake ("s3://..."). */
int lakecache_is_s3(const char *url);

/* Opens the cache of the S3 lake at url. cache_dir NULL means
 * $TICKLAKE_CACHE_DIR, else $XDG_CACHE_HOME/ticklake, else
 * ~/.cache/ticklake. Nothing is sent yet. 0 or -1. */
int lakecache_open(lakecache **out, const char *url, const storage_options *so,
                   const char *cache_dir, char *errstr, size_t errstr_size);
void lakecache_free(lakecache *lc);

/* The local mirror folder (a lake path the catalog and query code can use). */
const char *lakecache_dir(const lakecache *lc);
/* The lake's URL, for messages. */
const char *lakecache_url(const lakecache *lc);
/* How the lake is reached (storage_s3_access_get): for DuckDB's own S3 reads. */
int lakecache_s3_access(const lakecache *lc, storage_s3_access *out, char *errstr,
                        size_t errstr_size);
/* Counters since open. */
void lakecache_get_stats(const lakecache *lc, lakecache_stats *out);
/* Appends a one-line summary of the counters (for logs and reports). */
void lakecache_describe_stats(const lakecache *lc, buf *out);

/* Crawls the S3 lake: brings the catalog and the footers of new or changed
 * Parquet files (CSV/JSON: whole) into the mirror, runs catalog_crawl_ext
 * there, and uploads the new version if one was written. st may be NULL. */
int lakecache_crawl(lakecache *lc, engine *e, const catalog_crawl_opts *opts,
                    catalog_crawl_stats *st, char *errstr, size_t errstr_size);

/* How lakecache_prepare_query brings in the data files. */
enum lakecache_files {
    LAKECACHE_WHOLE, /* downloaded whole (missing or changed ones): DuckDB reads local files */
    LAKECACHE_LISTED /* only listed: stubs (no download) stand for them in the mirror, so the
                        views see which files each partition holds; DuckDB reads the
                        byte ranges it needs from S3 itself (httpfs) */
};

/* Makes the mirror ready for queries over the tables named in tables (NULL:
 * every table): the current catalog.json, and every file now in the S3
 * folders of those tables' catalog partitions, as files says (a file cached
 * whole stays whole). The error for a lake without a catalog is "no catalog
 * in 's3://...': run 'ticklake crawl' first". */
int lakecache_prepare_query(lakecache *lc, const char *const *tables, size_t ntables,
                            enum lakecache_files files, char *errstr, size_t errstr_size);

/* Brings the current catalog.json into the mirror (for tables, describe,
 * partitions, ddl); the same error as lakecache_prepare_query without one,
 * returned as LAKECACHE_NO_CATALOG (other failures: -1). */
#define LAKECACHE_NO_CATALOG (-2)
int lakecache_sync_catalog(lakecache *lc, char *errstr, size_t errstr_size);

/* Brings the metadata of saved queries (_results/<id>.json) into the mirror. */
int lakecache_sync_results(lakecache *lc, char *errstr, size_t errstr_size);

/* Uploads the mirror file of key to the lake and records it as cached. */
int lakecache_put(lakecache *lc, const char *key, char *errstr, size_t errstr_size);

/* 1 if any object lies under the folder dir of the lake, 0 if none, -1 on error. */
int lakecache_folder_exists(lakecache *lc, const char *dir, char *errstr, size_t errstr_size);

#endif
