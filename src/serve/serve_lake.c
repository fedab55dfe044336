/* serve_lake.c - the lake as the server reads it: a local folder as it is; an
 * S3 lake through its local cache (lakecache.h), whose mirror folder the
 * catalog code reads. The catalog and the saved queries' metadata are
 * brought into the mirror at most every SYNC_NS, so a busy console does not
 * turn every request into S3 requests; a saved result is read from S3 when
 * asked for. Queries over an S3 lake open their own sessions
 * (query_session_open_ext) with the same options. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog_crawl.h"
#include "catalog_json.h"
#include "lakecache.h"
#include "log.h"
#include "query.h"
#include "serve_internal.h"
#include "storage.h"

#define SYNC_NS (5 * NS_PER_SEC)
#define SERVE_S3_READ_RETRY_NS (10 * NS_PER_SEC)

static char *dup_or_null(const char *v)
{
    return v ? xstrdup(v) : NULL;
}

int serve_lake_open(serve_server *s, const serve_config *c, char *errstr, size_t errstr_size)
{
    s->lake = xstrdup(c->lake);
    s->local_lake = !lakecache_is_s3(c->lake);
    pthread_mutex_init(&s->lakemu, NULL);
    if (s->local_lake) {
        if (strncmp(c->lake, "file://", 7) == 0) {
            free(s->lake);
            s->lake = xstrdup(c->lake + 7);
        }
        return 0;
    }
    if (c->storage) {
        s->so = *c->storage;
        s->so.cancel = NULL;
        s->so.staging_dir = NULL;
    }
    s->so.s3_endpoint = dup_or_null(s->so.s3_endpoint);
    s->so.s3_region = dup_or_null(s->so.s3_region);
    s->so.s3_addressing = dup_or_null(s->so.s3_addressing);
    s->so.s3_profile = dup_or_null(s->so.s3_profile);
    /* A request waits for S3's answers, so reads give up after 10 s, not
     * the default 60 s of retries. */
    if (s->so.s3_read_retry_ns <= 0)
        s->so.s3_read_retry_ns = SERVE_S3_READ_RETRY_NS;
    s->cache_dir = dup_or_null(c->cache_dir);
    /* Nothing is sent yet: `run` starts its stages without waiting for S3;
     * the first request brings the catalog in. */
    if (lakecache_open(&s->lc, s->lake, &s->so, s->cache_dir, errstr, errstr_size) != 0 ||
        storage_open(&s->st, s->lake, &s->so, errstr, errstr_size) != 0)
        return -1;
    s->catalog_synced_ns = mono_ns() - SYNC_NS;
    return 0;
}

void serve_lake_close(serve_server *s)
{
    if (!s->lake)
        return;
    lakecache_free(s->lc);
    storage_free(s->st);
    free((char *)s->so.s3_endpoint);
    free((char *)s->so.s3_region);
    free((char *)s->so.s3_addressing);
    free((char *)s->so.s3_profile);
    free(s->cache_dir);
    pthread_mutex_destroy(&s->lakemu);
}

const char *serve_lake_dir(const serve_server *s)
{
    return s->local_lake ? s->lake : lakecache_dir(s->lc);
}

void serve_lake_query_opts(const serve_server *s, query_lake_opts *lo)
{
    memset(lo, 0, sizeof(*lo));
    lo->memory_limit = s->query_memory;
    lo->max_temp_size = s->query_temp;
    if (!s->local_lake) {
        lo->storage = &s->so;
        lo->cache_dir = s->cache_dir;
    }
}

int64_t serve_catalog_mtime(serve_server *s)
{
    if (!s->local_lake) {
        pthread_mutex_lock(&s->lakemu);
        if (mono_ns() - s->catalog_synced_ns >= SYNC_NS) {
            char err[512];
            int rc = lakecache_sync_catalog(s->lc, err, sizeof(err));
            if (rc != 0 && rc != LAKECACHE_NO_CATALOG)
                LOG_WARN("serve: %s (the cached catalog, if any, is used)", err);
            s->catalog_synced_ns = mono_ns();
        }
        pthread_mutex_unlock(&s->lakemu);
    }
    return catalog_mtime(serve_lake_dir(s));
}

int serve_lake_has_catalog(serve_server *s)
{
    return serve_catalog_mtime(s) >= 0;
}

int serve_lake_sync_results(serve_server *s, char *errstr, size_t errstr_size)
{
    if (s->local_lake)
        return 0;
    int rc = 0;
    pthread_mutex_lock(&s->lakemu);
    if (mono_ns() - s->results_synced_ns >= SYNC_NS) {
        rc = lakecache_sync_results(s->lc, errstr, errstr_size);
        if (rc == 0)
            s->results_synced_ns = mono_ns();
    }
    pthread_mutex_unlock(&s->lakemu);
    return rc;
}

int serve_lake_result(serve_server *s, const http_request *r, const char *id)
{
    char extra[160];
    snprintf(extra, sizeof(extra), "Content-Disposition: attachment; filename=\"%s.csv\"\r\n", id);
    if (s->local_lake) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s/%s.csv", s->lake, QUERY_RESULTS_DIR, id);
        int st = http_send_file(r, path, extra);
        return st < 0 ? serve_error(r, 404, "no such result") : st;
    }
    char key[128], err[512];
    snprintf(key, sizeof(key), "%s/%s.csv", QUERY_RESULTS_DIR, id);
    buf body;
    buf_init(&body);
    pthread_mutex_lock(&s->lakemu);
    int rc = storage_get_bytes(s->st, key, &body, err, sizeof(err));
    pthread_mutex_unlock(&s->lakemu);
    int st;
    if (rc == STORAGE_ENOENT)
        st = serve_error(r, 404, "no such result");
    else if (rc != 0)
        st = serve_error(r, 502, err);
    else
        st = http_reply(r, 200, "text/csv; charset=utf-8", extra, body.data, body.len);
    buf_release(&body);
    return st;
}

int serve_lake_crawl(serve_server *s, lakecache **lc, engine *e, char *errstr, size_t errstr_size)
{
    catalog_crawl_opts co = {.on_change = CATALOG_CHANGE_UPDATE,
                             .on_delete = CATALOG_DELETE_DEPRECATE};
    if (s->local_lake)
        return catalog_crawl_ext(e, s->lake, &co, NULL, errstr, errstr_size);
    /* The crawler's own handle (a cache handle serves one thread); the
     * cache's lock serialises it with the server's. */
    if (!*lc && lakecache_open(lc, s->lake, &s->so, s->cache_dir, errstr, errstr_size) != 0)
        return -1;
    return lakecache_crawl(*lc, e, &co, NULL, errstr, errstr_size);
}
