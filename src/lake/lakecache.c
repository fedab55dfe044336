/* lakecache.c - an S3 lake read through a local cache; see lakecache.h. */
#include "lakecache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog_json.h"
#include "lakecache_manifest.h"
#include "lakepath.h"
#include "log.h"
#include "query.h"

/* The first ranged GET of a Parquet file asks for this many bytes at its end:
 * the footers the sink writes (a few row groups of 7 columns) fit in one. */
#define FOOTER_GUESS 16384
/* Objects a sync fetches at once (the calling thread and up to 15 more), as
 * many as a query in place keeps in flight (QUERY_S3_THREADS; docs/decisions/0046). */
#define FETCH_WORKERS 16
#define FETCH_ALONE 4

enum {
    ST_NONE = LAKECACHE_NONE,
    ST_STUB = LAKECACHE_STUB,
    ST_FOOTER = LAKECACHE_FOOTER,
    ST_FULL = LAKECACHE_FULL
};

struct lakecache {
    storage *st;
    char *url;
    char *root;     /* <cache>/<bucket>-<hash> */
    char *dir;      /* root/lake */
    char *manifest; /* root/manifest.tsv */
    char *lockpath;
    int lock_fd;
    lakecache_manifest m;
    lakecache_stats stats;
};

static const char *base_name(const char *key)
{
    const char *s = strrchr(key, '/');
    return s ? s + 1 : key;
}

int lakecache_is_s3(const char *url)
{
    return url && strncmp(url, "s3://", 5) == 0;
}

/* --- The manifest ---------------------------------------------------------- */

/* Reads manifest.tsv (none: an empty cache). */
static void manifest_load(lakecache *lc)
{
    buf text = {0};
    char err[256];
    if (read_file(lc->manifest, &text, err, sizeof(err)) == 0)
        lakecache_manifest_parse(&lc->m, text.data ? text.data : "", text.len);
    else
        lakecache_manifest_clear(&lc->m);
    buf_release(&text);
}

static int manifest_save(lakecache *lc, char *errstr, size_t errstr_size)
{
    buf b = {0};
    lakecache_manifest_format(&lc->m, &b);
    int rc = write_file_atomic(lc->manifest, b.data, b.len, errstr, errstr_size);
    buf_release(&b);
    return rc;
}

static int cache_lock(lakecache *lc, char *errstr, size_t errstr_size)
{
    int fd = open(lc->lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return set_err(errstr, errstr_size, "unable to open '%s': %s", lc->lockpath,
                       strerror(errno));
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return set_err(errstr, errstr_size, "unable to lock '%s': %s", lc->lockpath,
                           strerror(e));
        }
    }
    lc->lock_fd = fd;
    manifest_load(lc);
    return 0;
}

/* Saves the manifest and releases the lock; rc is passed through (the save's
 * error replaces success). */
static int cache_unlock(lakecache *lc, int rc, char *errstr, size_t errstr_size)
{
    char err[512];
    if (manifest_save(lc, err, sizeof(err)) != 0 && rc == 0)
        rc = set_err(errstr, errstr_size, "%s", err);
    if (lc->lock_fd >= 0)
        close(lc->lock_fd);
    lc->lock_fd = -1;
    return rc;
}

/* --- Open ------------------------------------------------------------------ */

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h * 1099511628211ULL;
}

int lakecache_open(lakecache **out, const char *url, const storage_options *so,
                   const char *cache_dir, char *errstr, size_t errstr_size)
{
    *out = NULL;
    if (!lakecache_is_s3(url))
        return set_err(errstr, errstr_size, "'%s' is not an s3:// lake", url);
    lakecache *lc = calloc(1, sizeof(*lc));
    if (!lc)
        abort();
    lc->lock_fd = -1;
    if (storage_open(&lc->st, url, so, errstr, errstr_size) != 0) {
        free(lc);
        return -1;
    }
    lc->url = xstrdup(storage_url(lc->st));
    buf base = {0};
    const char *env = getenv("TICKLAKE_CACHE_DIR");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (cache_dir && *cache_dir)
        buf_puts(&base, cache_dir);
    else if (env && *env)
        buf_puts(&base, env);
    else if (xdg && *xdg)
        buf_printf(&base, "%s/ticklake", xdg);
    else if (home && *home)
        buf_printf(&base, "%s/.cache/ticklake", home);
    else {
        buf_release(&base);
        lakecache_free(lc);
        return set_err(errstr, errstr_size, "no cache folder: set --cache-dir or HOME");
    }
    /* The endpoint is part of the identity: one bucket name on two servers
     * is two lakes. */
    const char *ep = so && so->s3_endpoint ? so->s3_endpoint : getenv("AWS_ENDPOINT_URL_S3");
    if (!ep || !*ep)
        ep = getenv("AWS_ENDPOINT_URL");
    uint64_t h = fnv1a(fnv1a(14695981039346656037ULL, ep ? ep : "aws"), lc->url);
    const char *bucket = url + 5;
    size_t blen = strcspn(bucket, "/");
    buf_printf(&base, "/%.*s-%016" PRIx64, (int)blen, bucket, h);
    lc->root = xstrdup(base.data);
    buf_release(&base);
    buf b = {0};
    buf_printf(&b, "%s/lake", lc->root);
    lc->dir = b.data;
    b = (buf){0};
    buf_printf(&b, "%s/manifest.tsv", lc->root);
    lc->manifest = b.data;
    b = (buf){0};
    buf_printf(&b, "%s/lock", lc->root);
    lc->lockpath = b.data;
    if (mkdir_p(lc->dir, errstr, errstr_size) != 0) {
        lakecache_free(lc);
        return -1;
    }
    *out = lc;
    return 0;
}

void lakecache_free(lakecache *lc)
{
    if (!lc)
        return;
    if (lc->lock_fd >= 0)
        close(lc->lock_fd);
    lakecache_manifest_clear(&lc->m);
    storage_free(lc->st);
    free(lc->url);
    free(lc->root);
    free(lc->dir);
    free(lc->manifest);
    free(lc->lockpath);
    free(lc);
}

const char *lakecache_dir(const lakecache *lc)
{
    return lc->dir;
}

const char *lakecache_url(const lakecache *lc)
{
    return lc->url;
}

int lakecache_s3_access(const lakecache *lc, storage_s3_access *out, char *errstr,
                        size_t errstr_size)
{
    return storage_s3_access_get(lc->st, out, errstr, errstr_size);
}

void lakecache_get_stats(const lakecache *lc, lakecache_stats *out)
{
    *out = lc->stats;
}

void lakecache_describe_stats(const lakecache *lc, buf *out)
{
    const lakecache_stats *s = &lc->stats;
    buf_printf(out,
               "s3 cache: %" PRId64 " objects listed, %" PRId64 " cached, %" PRId64
               " downloaded whole, %" PRId64 " footers, %" PRId64 " stubs, %" PRId64
               " removed, %" PRId64 " uploaded; %" PRId64 " bytes downloaded in %" PRId64 " GETs",
               s->listed, s->hits, s->full, s->footers, s->stubs, s->removed, s->uploaded,
               s->bytes_down, s->requests);
}

/* --- Fetching ---------------------------------------------------------------- */

static void mirror_path(const lakecache *lc, const char *key, buf *out)
{
    buf_reset(out);
    buf_printf(out, "%s/%s", lc->dir, key);
}

static int ensure_parent(const char *path, char *errstr, size_t errstr_size)
{
    buf d = {0};
    buf_puts(&d, path);
    char *slash = strrchr(d.data, '/');
    int rc = 0;
    if (slash) {
        *slash = '\0';
        rc = mkdir_p(d.data, errstr, errstr_size);
    }
    buf_release(&d);
    return rc;
}

static int set_mtime(const char *path, int64_t mtime_ns, char *errstr, size_t errstr_size)
{
    struct timespec ts[2];
    ts[0].tv_sec = ts[1].tv_sec = (time_t)(mtime_ns / NS_PER_SEC);
    ts[0].tv_nsec = ts[1].tv_nsec = (long)(mtime_ns % NS_PER_SEC);
    if (utimensat(AT_FDCWD, path, ts, 0) != 0)
        return set_err(errstr, errstr_size, "unable to set the time of '%s': %s", path,
                       strerror(errno));
    return 0;
}

/* Writes a sparse file of size bytes at path holding tail at its end. */
static int write_sparse(const char *path, int64_t size, const buf *tail, char *errstr,
                        size_t errstr_size)
{
    buf tmp = {0};
    buf_printf(&tmp, "%s.tmp-cache-XXXXXX", path); /* unique: other threads write beside it */
    int fd = mkostemp(tmp.data, O_CLOEXEC);
    int rc = 0;
    if (fd < 0) {
        rc = set_err(errstr, errstr_size, "unable to create '%s': %s", tmp.data, strerror(errno));
        goto out;
    }
    if (fchmod(fd, 0644) != 0 || ftruncate(fd, (off_t)size) != 0)
        rc = set_err(errstr, errstr_size, "unable to size '%s': %s", tmp.data, strerror(errno));
    if (rc == 0 && tail && tail->len) {
        size_t done = 0;
        while (done < tail->len) {
            ssize_t w = pwrite(fd, tail->data + done, tail->len - done,
                               (off_t)(size - (int64_t)tail->len + (int64_t)done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                rc = set_err(errstr, errstr_size, "unable to write '%s': %s", tmp.data,
                             strerror(w < 0 ? errno : EIO));
                break;
            }
            done += (size_t)w;
        }
        if (rc == 0 && fsync(fd) != 0)
            rc =
                set_err(errstr, errstr_size, "unable to write '%s': %s", tmp.data, strerror(errno));
    }
    if (close(fd) != 0 && rc == 0)
        rc = set_err(errstr, errstr_size, "unable to write '%s': %s", tmp.data, strerror(errno));
    if (rc == 0 && rename(tmp.data, path) != 0)
        rc = set_err(errstr, errstr_size, "unable to rename '%s': %s", tmp.data, strerror(errno));
    if (rc != 0)
        unlink(tmp.data);
out:
    buf_release(&tmp);
    return rc;
}

/* The footer of the Parquet object o: its last bytes, enough for the
 * metadata (8 bytes: the footer's length and "PAR1"). A file that is not
 * Parquet keeps the bytes of the first GET; the crawler reports it. */
static int fetch_footer(storage *st, const storage_entry *o, const char *path, lakecache_stats *sc,
                        char *errstr, size_t errstr_size)
{
    buf tail = {0};
    int64_t want = o->size < FOOTER_GUESS ? o->size : FOOTER_GUESS;
    int rc = 0;
    if (want > 0) {
        rc = storage_get_range(st, o->key, o->size - want, want, &tail, errstr, errstr_size);
        sc->requests++;
    }
    if (rc == 0 && (int64_t)tail.len == want) {
        int64_t need = lakecache_footer_need(tail.data, tail.len, o->size);
        if (need > want) {
            sc->bytes_down += (int64_t)tail.len;
            buf_reset(&tail);
            rc = storage_get_range(st, o->key, o->size - need, need, &tail, errstr, errstr_size);
            sc->requests++;
        }
    }
    if (rc == 0) {
        sc->bytes_down += (int64_t)tail.len;
        if ((int64_t)tail.len > o->size)
            tail.len = (size_t)o->size;
        rc = write_sparse(path, o->size, &tail, errstr, errstr_size);
    }
    buf_release(&tail);
    return rc;
}

/* 1 when object o must be fetched to be in state want; 0 when it is cached
 * as needed (counted as a hit), or can never be (no manifest line holds a
 * key with a tab or a newline). */
static int fetch_needed(lakecache *lc, const storage_entry *o, int want)
{
    if (strchr(o->key, '\t') || strchr(o->key, '\n'))
        return 0;
    buf path = {0};
    mirror_path(lc, o->key, &path);
    const lakecache_entry *e = lakecache_manifest_find(&lc->m, o->key);
    struct stat sb;
    int present = stat(path.data, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == o->size;
    buf_release(&path);
    if (present && lakecache_entry_fresh(e, o->size, o->mtime_ns, o->etag, want)) {
        lc->stats.hits++;
        return 0;
    }
    return 1;
}

/* Brings object o into the mirror in state want through st, counting into
 * sc. Touches only o's mirror file (and its folders), so threads with a
 * storage handle each fetch different objects at once; the manifest is the
 * caller's. 0, STORAGE_ENOENT (deleted since the listing), or -1. */
static int fetch_into(const lakecache *lc, storage *st, const storage_entry *o, int want,
                      lakecache_stats *sc, char *errstr, size_t errstr_size)
{
    buf path = {0};
    mirror_path(lc, o->key, &path);
    int rc = ensure_parent(path.data, errstr, errstr_size);
    if (rc == 0) {
        if (want == ST_FULL) {
            rc = storage_get_file(st, o->key, path.data, errstr, errstr_size);
            sc->requests++;
            if (rc == 0) {
                sc->full++;
                sc->bytes_down += o->size;
            }
        } else if (want == ST_FOOTER) {
            rc = fetch_footer(st, o, path.data, sc, errstr, errstr_size);
            sc->footers += rc == 0;
        } else {
            rc = write_sparse(path.data, o->size, NULL, errstr, errstr_size);
            sc->stubs += rc == 0;
        }
    }
    if (rc == 0)
        rc = set_mtime(path.data, o->mtime_ns, errstr, errstr_size);
    buf_release(&path);
    return rc;
}

static void stats_add(lakecache_stats *to, const lakecache_stats *from)
{
    to->full += from->full;
    to->footers += from->footers;
    to->stubs += from->stubs;
    to->bytes_down += from->bytes_down;
    to->requests += from->requests;
}

/* One object of a sync to fetch. */
typedef struct fetch_job {
    const storage_entry *o;
    int want; /* the state to bring it to */
    int rc;   /* the outcome; FETCH_NOT_TRIED until a worker took it */
} fetch_job;

/* The fetches of one sync, shared by its workers. */
typedef struct fetch_pool {
    const lakecache *lc;
    fetch_job *jobs;
    size_t n;
    atomic_size_t next; /* the next job to take */
    atomic_int stop;    /* a job failed: take no more */
    pthread_mutex_t mu; /* guards the fields below */
    size_t err_at;      /* the lowest failed job, n when none */
    char err[2048];
    lakecache_stats stats;
} fetch_pool;

#define FETCH_NOT_TRIED 1

static void pool_work(fetch_pool *fp, storage *st)
{
    lakecache_stats mine = {0};
    char err[2048];
    while (!atomic_load(&fp->stop)) {
        size_t k = atomic_fetch_add(&fp->next, 1);
        if (k >= fp->n)
            break;
        fetch_job *j = &fp->jobs[k];
        int rc = j->rc = fetch_into(fp->lc, st, j->o, j->want, &mine, err, sizeof(err));
        if (rc != 0 && rc != STORAGE_ENOENT) {
            pthread_mutex_lock(&fp->mu);
            if (k < fp->err_at) {
                fp->err_at = k;
                strlcpy_tl(fp->err, err, sizeof(fp->err));
            }
            pthread_mutex_unlock(&fp->mu);
            atomic_store(&fp->stop, 1);
        }
    }
    pthread_mutex_lock(&fp->mu);
    stats_add(&fp->stats, &mine);
    pthread_mutex_unlock(&fp->mu);
}

/* A worker beside the calling thread, with a handle of its own (an S3
 * client serves one thread). */
typedef struct pool_worker_arg {
    fetch_pool *fp;
    storage *st;
} pool_worker_arg;

static void *pool_worker(void *arg)
{
    pool_worker_arg *w = arg;
    pool_work(w->fp, w->st);
    return NULL;
}

/* Runs jobs[0..n), up to FETCH_WORKERS at once when enough need a GET
 * (over a network each download waits mostly on its round trips and its
 * connection's pace), then records the fetched objects in the manifest. The
 * first failure (in job order) is returned; what was fetched stays recorded. */
static int fetch_all(lakecache *lc, fetch_job *jobs, size_t n, char *errstr, size_t errstr_size)
{
    if (n == 0)
        return 0;
    fetch_pool fp = {.lc = lc, .jobs = jobs, .n = n, .err_at = n};
    size_t gets = 0;
    for (size_t k = 0; k < n; k++)
        gets += jobs[k].want != ST_STUB;
    atomic_init(&fp.next, 0);
    atomic_init(&fp.stop, 0);
    pthread_mutex_init(&fp.mu, NULL);
    pthread_t tids[FETCH_WORKERS - 1];
    pool_worker_arg args[FETCH_WORKERS - 1];
    size_t nt = 0;
    /* A worker's handle takes the lake handle's credentials (storage_dup:
     * no second lookup in the chain) but opens a connection of its own, a
     * TCP and TLS handshake that a few small GETs would not repay: below
     * FETCH_ALONE GETs the calling thread does them all. One that cannot be
     * made leaves its share to the others. */
    size_t workers = gets < FETCH_ALONE ? 1 : gets < FETCH_WORKERS ? gets : FETCH_WORKERS;
    for (; nt + 1 < workers; nt++) {
        char err[1024];
        args[nt].fp = &fp;
        if (storage_dup(&args[nt].st, lc->st, err, sizeof(err)) != 0) {
            LOG_WARN("s3 cache: a download worker could not start, the others fetch its share: %s",
                     err);
            break;
        }
        if (pthread_create(&tids[nt], NULL, pool_worker, &args[nt]) != 0) {
            storage_free(args[nt].st);
            break;
        }
    }
    pool_work(&fp, lc->st);
    for (size_t i = 0; i < nt; i++) {
        pthread_join(tids[i], NULL);
        storage_free(args[i].st);
    }
    pthread_mutex_destroy(&fp.mu);
    stats_add(&lc->stats, &fp.stats);
    for (size_t k = 0; k < n; k++)
        if (jobs[k].rc == 0) {
            const storage_entry *o = jobs[k].o;
            lakecache_manifest_set(&lc->m, o->key, o->size, o->mtime_ns, o->etag ? o->etag : "",
                                   jobs[k].want);
        }
    if (fp.err_at < n)
        return set_err(errstr, errstr_size, "%s", fp.err);
    return 0;
}

/* Removes the mirror file of e (and folders left empty), and e itself. */
static void drop(lakecache *lc, lakecache_entry *e)
{
    buf path = {0};
    mirror_path(lc, e->key, &path);
    unlink(path.data);
    for (;;) {
        char *slash = strrchr(path.data, '/');
        if (!slash)
            break;
        *slash = '\0';
        if (strlen(path.data) <= strlen(lc->dir) || rmdir(path.data) != 0)
            break;
    }
    buf_release(&path);
    lakecache_manifest_remove(&lc->m, e);
    lc->stats.removed++;
}

static int put_locked(lakecache *lc, const char *key, char *errstr, size_t errstr_size);

/* --- Syncing ------------------------------------------------------------------ */

/* Decides the state object key needs (ST_NONE: leave it alone). */
typedef int (*want_fn)(void *ctx, const storage_entry *o);

static int entry_key_cmp(const void *a, const void *b)
{
    return strcmp(((const storage_entry *)a)->key, ((const storage_entry *)b)->key);
}

static int in_scope(const char *key, const char *const *scopes, size_t nscopes)
{
    for (size_t i = 0; i < nscopes; i++) {
        size_t n = strlen(scopes[i]);
        if (n == 0 || (strncmp(key, scopes[i], n) == 0 && key[n] == '/'))
            return 1;
    }
    return 0;
}

/* Lists the objects below the folders scopes ("" for the lake's top files
 * only, with every non-'_' folder below it), fetches each as want says, and
 * drops cached keys of those folders that are gone. Needs the lock. */
static int sync_scopes(lakecache *lc, const char *const *scopes, size_t nscopes, want_fn want,
                       void *ctx, char *errstr, size_t errstr_size)
{
    storage_listing all = {0};
    int rc = 0;
    /* The listing: each scope recursively; "" means the top level and every
     * folder not starting with '_' (so _results/ is never listed for it). */
    size_t cap = 0;
    for (size_t i = 0; i < nscopes && rc == 0; i++) {
        storage_listing l = {0};
        int deep = *scopes[i] != '\0';
        rc = storage_list(lc->st, scopes[i], deep ? STORAGE_RECURSIVE : 0, &l, errstr, errstr_size);
        if (rc == STORAGE_ENOENT)
            rc = set_err(errstr, errstr_size, "no such bucket: '%s'", lc->url);
        for (size_t j = 0; rc == 0 && j < l.n; j++) {
            storage_entry *e = &l.entries[j];
            if (e->is_dir) {
                if (e->key[0] == '_' || e->key[0] == '.')
                    continue;
                storage_listing sub = {0};
                rc = storage_list(lc->st, e->key, STORAGE_RECURSIVE, &sub, errstr, errstr_size);
                for (size_t k = 0; rc == 0 && k < sub.n; k++) {
                    if (all.n == cap) {
                        cap = cap ? cap * 2 : 256;
                        all.entries = realloc(all.entries, cap * sizeof(*all.entries));
                        if (!all.entries)
                            abort();
                    }
                    all.entries[all.n++] = sub.entries[k];
                    memset(&sub.entries[k], 0, sizeof(sub.entries[k]));
                }
                storage_list_release(&sub);
                continue;
            }
            if (all.n == cap) {
                cap = cap ? cap * 2 : 256;
                all.entries = realloc(all.entries, cap * sizeof(*all.entries));
                if (!all.entries)
                    abort();
            }
            all.entries[all.n++] = *e;
            memset(e, 0, sizeof(*e));
        }
        storage_list_release(&l);
    }
    if (all.n > 1)
        qsort(all.entries, all.n, sizeof(*all.entries), entry_key_cmp);
    if (rc == 0) {
        lc->stats.listed += (int64_t)all.n;
        fetch_job *jobs = malloc((all.n ? all.n : 1) * sizeof(*jobs));
        if (!jobs)
            abort();
        size_t n = 0;
        for (size_t i = 0; i < all.n; i++) {
            int w = want(ctx, &all.entries[i]);
            if (w != ST_NONE && fetch_needed(lc, &all.entries[i], w))
                jobs[n++] = (fetch_job){.o = &all.entries[i], .want = w, .rc = FETCH_NOT_TRIED};
        }
        rc = fetch_all(lc, jobs, n, errstr, errstr_size);
        free(jobs);
    }
    if (rc == 0) {
        /* Cached keys of these folders that S3 no longer has. */
        for (size_t i = lc->m.n; i-- > 0;) {
            const char *k = lc->m.v[i].key;
            int top_file = strchr(k, '/') == NULL;
            int scoped = 0;
            for (size_t s = 0; s < nscopes && !scoped; s++) {
                if (*scopes[s] == '\0')
                    scoped = top_file || (k[0] != '_' && k[0] != '.');
                else
                    scoped = in_scope(k, &scopes[s], 1);
            }
            if (!scoped)
                continue;
            storage_entry probe = {.key = (char *)k};
            if (!all.n || !bsearch(&probe, all.entries, all.n, sizeof(*all.entries), entry_key_cmp))
                drop(lc, &lc->m.v[i]);
        }
    }
    storage_list_release(&all);
    return rc;
}

static int want_catalog_all(void *ctx, const storage_entry *o)
{
    (void)ctx;
    return str_ends_with(o->key, ".json") ? ST_FULL : ST_NONE;
}

static int want_catalog_current(void *ctx, const storage_entry *o)
{
    (void)ctx;
    return strcmp(o->key, CATALOG_DIR "/catalog.json") == 0 ? ST_FULL : ST_NONE;
}

/* The previous catalog's files, sorted by path. */
typedef struct known_file {
    const char *path;
    int64_t size, mtime_ns;
} known_file;

static int known_cmp(const void *a, const void *b)
{
    return strcmp(((const known_file *)a)->path, ((const known_file *)b)->path);
}

typedef struct crawl_ctx {
    known_file *v;
    size_t n;
} crawl_ctx;

static int want_crawl(void *vctx, const storage_entry *o)
{
    crawl_ctx *cx = vctx;
    if (o->key[0] == '_' || o->key[0] == '.')
        return ST_NONE;
    const char *name = base_name(o->key);
    if (!lake_name_is_data(name) || strchr(o->key, '/') == NULL)
        return ST_STUB; /* the crawler only counts it */
    known_file k = {.path = o->key};
    const known_file *f = cx->n ? bsearch(&k, cx->v, cx->n, sizeof(*cx->v), known_cmp) : NULL;
    if (f && f->size == o->size && f->mtime_ns == o->mtime_ns)
        return ST_STUB; /* unchanged since the catalog: not read again */
    return str_ends_with(name, ".parquet") ? ST_FOOTER : ST_FULL;
}

/* Loads the mirror's catalog.json, NULL when there is none. */
static catalog *mirror_catalog(lakecache *lc, char *errstr, size_t errstr_size, int *rc)
{
    buf p = {0};
    buf_printf(&p, "%s/" CATALOG_DIR "/catalog.json", lc->dir);
    struct stat sb;
    catalog *c = NULL;
    *rc = 0;
    if (stat(p.data, &sb) == 0) {
        char err[512];
        if (catalog_load(lc->dir, &c, err, sizeof(err)) != 0)
            *rc = set_err(errstr, errstr_size, "%s/" CATALOG_DIR "/catalog.json: %s", lc->url, err);
    }
    buf_release(&p);
    return c;
}

int lakecache_crawl(lakecache *lc, engine *e, const catalog_crawl_opts *opts,
                    catalog_crawl_stats *st, char *errstr, size_t errstr_size)
{
    catalog_crawl_stats own;
    if (!st)
        st = &own; /* whether a version was written decides the upload */
    if (cache_lock(lc, errstr, errstr_size) != 0)
        return -1;
    static const char *const cat_scope[] = {CATALOG_DIR};
    static const char *const top_scope[] = {""};
    int rc = sync_scopes(lc, cat_scope, 1, want_catalog_all, NULL, errstr, errstr_size);
    catalog *prev = NULL;
    if (rc == 0)
        prev = mirror_catalog(lc, errstr, errstr_size, &rc);
    crawl_ctx cx = {0};
    for (size_t i = 0; prev && i < prev->ntables; i++)
        for (size_t j = 0; j < prev->tables[i].npartitions; j++) {
            const catalog_partition *p = &prev->tables[i].partitions[j];
            for (size_t k = 0; k < p->nfiles; k++) {
                cx.v = realloc(cx.v, (cx.n + 1) * sizeof(*cx.v));
                if (!cx.v)
                    abort();
                cx.v[cx.n++] =
                    (known_file){p->files[k].path, p->files[k].size, p->files[k].mtime_ns};
            }
        }
    for (size_t i = 0; prev && i < prev->ntables; i++)
        for (size_t j = 0; j < prev->tables[i].nbad_files; j++) {
            const catalog_bad_file *b = &prev->tables[i].bad_files[j];
            cx.v = realloc(cx.v, (cx.n + 1) * sizeof(*cx.v));
            if (!cx.v)
                abort();
            cx.v[cx.n++] = (known_file){b->path, b->size, b->mtime_ns};
        }
    if (cx.n > 1)
        qsort(cx.v, cx.n, sizeof(*cx.v), known_cmp);
    if (rc == 0)
        rc = sync_scopes(lc, top_scope, 1, want_crawl, &cx, errstr, errstr_size);
    free(cx.v);
    catalog_free(prev);
    if (rc == 0) {
        char err[1024];
        rc = catalog_crawl_ext(e, lc->dir, opts, st, err, sizeof(err));
        if (rc != 0)
            set_err(errstr, errstr_size, "%s", err);
    }
    if (rc == 0 && st->written) {
        /* The version first: catalog.json never names a version S3 lacks. */
        char key[96];
        snprintf(key, sizeof(key), CATALOG_DIR "/versions/%" PRId64 ".json", st->version);
        rc = put_locked(lc, key, errstr, errstr_size);
        if (rc == 0)
            rc = put_locked(lc, CATALOG_DIR "/catalog.json", errstr, errstr_size);
    }
    return cache_unlock(lc, rc, errstr, errstr_size);
}

typedef struct query_ctx {
    char **dirs; /* partition folders to have, sorted */
    size_t n;
    int state; /* ST_FULL, or ST_STUB when DuckDB reads the files from S3 itself */
} query_ctx;

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int want_query(void *vctx, const storage_entry *o)
{
    query_ctx *qx = vctx;
    const char *name = base_name(o->key);
    if (name == o->key || name[0] == '.' || name[0] == '_')
        return ST_NONE;
    /* Every file a view can read: data files, and whatever its glob
     * "[!._]*.parquet" matches. */
    if (!lake_name_is_data(name) && !str_ends_with(name, ".parquet"))
        return ST_NONE;
    buf d = {0};
    buf_append(&d, o->key, (size_t)(name - 1 - o->key));
    char *k = d.data;
    int found = qx->n && bsearch(&k, qx->dirs, qx->n, sizeof(*qx->dirs), str_cmp) != NULL;
    buf_release(&d);
    return found ? qx->state : ST_NONE;
}

int lakecache_prepare_query(lakecache *lc, const char *const *tables, size_t ntables,
                            enum lakecache_files files, char *errstr, size_t errstr_size)
{
    if (cache_lock(lc, errstr, errstr_size) != 0)
        return -1;
    static const char *const cat_scope[] = {CATALOG_DIR};
    int rc = sync_scopes(lc, cat_scope, 1, want_catalog_current, NULL, errstr, errstr_size);
    catalog *c = NULL;
    if (rc == 0)
        c = mirror_catalog(lc, errstr, errstr_size, &rc);
    if (rc == 0 && !c)
        rc =
            set_err(errstr, errstr_size, "no catalog in '%s': run 'ticklake crawl' first", lc->url);
    query_ctx qx = {.state = files == LAKECACHE_LISTED ? ST_STUB : ST_FULL};
    const char **scopes = NULL;
    size_t nscopes = 0;
    for (size_t i = 0; rc == 0 && i < c->ntables; i++) {
        const catalog_table *t = &c->tables[i];
        int wanted = tables == NULL;
        for (size_t k = 0; !wanted && k < ntables; k++)
            wanted = strcasecmp(tables[k], t->name) == 0;
        if (!wanted || t->deprecated || !storage_key_valid(t->location))
            continue;
        scopes = realloc(scopes, (nscopes + 1) * sizeof(*scopes));
        if (!scopes)
            abort();
        scopes[nscopes++] = t->location;
        for (size_t j = 0; j < t->npartitions; j++) {
            if (t->partitions[j].deprecated)
                continue;
            qx.dirs = realloc(qx.dirs, (qx.n + 1) * sizeof(*qx.dirs));
            if (!qx.dirs)
                abort();
            qx.dirs[qx.n++] = t->partitions[j].location;
        }
    }
    if (qx.n > 1)
        qsort(qx.dirs, qx.n, sizeof(*qx.dirs), str_cmp);
    if (rc == 0 && nscopes)
        rc = sync_scopes(lc, scopes, nscopes, want_query, &qx, errstr, errstr_size);
    free(qx.dirs);
    free(scopes);
    catalog_free(c);
    return cache_unlock(lc, rc, errstr, errstr_size);
}

int lakecache_sync_catalog(lakecache *lc, char *errstr, size_t errstr_size)
{
    if (cache_lock(lc, errstr, errstr_size) != 0)
        return -1;
    static const char *const cat_scope[] = {CATALOG_DIR};
    int rc = sync_scopes(lc, cat_scope, 1, want_catalog_current, NULL, errstr, errstr_size);
    buf p = {0};
    buf_printf(&p, "%s/" CATALOG_DIR "/catalog.json", lc->dir);
    struct stat sb;
    if (rc == 0 && stat(p.data, &sb) != 0) {
        set_err(errstr, errstr_size, "no catalog in '%s': run 'ticklake crawl' first", lc->url);
        rc = LAKECACHE_NO_CATALOG;
    }
    buf_release(&p);
    return cache_unlock(lc, rc, errstr, errstr_size);
}

static int want_results(void *ctx, const storage_entry *o)
{
    (void)ctx;
    const char *name = base_name(o->key);
    return name - o->key == (ptrdiff_t)strlen(QUERY_RESULTS_DIR) + 1 &&
                   str_ends_with(name, ".json") && name[0] != '.'
               ? ST_FULL
               : ST_NONE;
}

int lakecache_sync_results(lakecache *lc, char *errstr, size_t errstr_size)
{
    if (cache_lock(lc, errstr, errstr_size) != 0)
        return -1;
    static const char *const scope[] = {QUERY_RESULTS_DIR};
    int rc = sync_scopes(lc, scope, 1, want_results, NULL, errstr, errstr_size);
    return cache_unlock(lc, rc, errstr, errstr_size);
}

static int put_locked(lakecache *lc, const char *key, char *errstr, size_t errstr_size)
{
    buf path = {0};
    mirror_path(lc, key, &path);
    int rc = storage_put_file(lc->st, key, path.data, 0, errstr, errstr_size);
    if (rc == 0) {
        lc->stats.uploaded++;
        /* Record it as S3 has it now (HEAD: size, ETag, Last-Modified), so
         * it is not downloaded again. */
        storage_entry o = {0};
        rc = storage_stat(lc->st, key, &o, errstr, errstr_size);
        if (rc == STORAGE_ENOENT)
            rc = set_err(errstr, errstr_size, "%s/%s vanished right after it was stored", lc->url,
                         key);
        if (rc == 0)
            rc = set_mtime(path.data, o.mtime_ns, errstr, errstr_size);
        if (rc == 0)
            lakecache_manifest_set(&lc->m, key, o.size, o.mtime_ns, o.etag ? o.etag : "", ST_FULL);
        storage_entry_release(&o);
    }
    buf_release(&path);
    return rc;
}

int lakecache_put(lakecache *lc, const char *key, char *errstr, size_t errstr_size)
{
    if (cache_lock(lc, errstr, errstr_size) != 0)
        return -1;
    int rc = put_locked(lc, key, errstr, errstr_size);
    return cache_unlock(lc, rc, errstr, errstr_size);
}

int lakecache_folder_exists(lakecache *lc, const char *dir, char *errstr, size_t errstr_size)
{
    storage_listing l = {0};
    int rc = storage_list(lc->st, dir, 0, &l, errstr, errstr_size);
    int found = rc == 0 && l.n > 0;
    storage_list_release(&l);
    if (rc == STORAGE_ENOENT)
        return set_err(errstr, errstr_size, "no such bucket: '%s'", lc->url);
    return rc != 0 ? -1 : found;
}
