/* query.c - sessions, query ids, saved results and history; see query.h.
 * The statement policy they apply is in query_sql.c. */
#include "query.h"
#include "query_sql.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog_crawl.h"
#include "catalog_json.h"
#include "catalog_sql.h"
#include "lakecache.h"
#include "json.h"
#include "log.h"

/* --- Ids ---------------------------------------------------------------- */

void query_new_id(char *out)
{
    unsigned char b[16];
    uint64_t ms = (uint64_t)(now_ns() / 1000000);
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    if (getrandom(b + 6, 10, 0) != 10) {
        /* No entropy source: the clock's nanoseconds and the pid still make
         * ids unique enough for one lake. */
        uint64_t x = (uint64_t)mono_ns() ^ ((uint64_t)getpid() << 32);
        for (int i = 6; i < 16; i++, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
            b[i] = (unsigned char)(x >> 56);
    }
    b[6] = (unsigned char)(0x70 | (b[6] & 0x0f)); /* version 7 */
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3f)); /* variant 10 */
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[k++] = '-';
        out[k++] = hex[b[i] >> 4];
        out[k++] = hex[b[i] & 15];
    }
    out[k] = '\0';
}

int query_id_valid(const char *s)
{
    if (strlen(s) != QUERY_ID_LEN)
        return 0;
    for (int i = 0; i < QUERY_ID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

/* --- Metadata ----------------------------------------------------------- */

void query_meta_release(query_meta *m)
{
    if (!m)
        return;
    free(m->sql);
    free(m->kind);
    free(m->status);
    free(m->error);
    free(m->result);
    free(m->table);
    free(m->columns);
    memset(m, 0, sizeof(*m));
}

static void put_iso(buf *b, int64_t ns)
{
    time_t t = (time_t)(ns / NS_PER_SEC);
    struct tm tm;
    gmtime_r(&t, &tm);
    buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
               tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ns % NS_PER_SEC / 1000000));
}

static void put_member_str(buf *b, const char *key, const char *v)
{
    buf_printf(b, ", \"%s\": ", key);
    buf_put_json_str(b, v, strlen(v));
}

void query_meta_to_json(const query_meta *m, buf *out)
{
    buf_puts(out, "{\"format\": \"" QUERY_META_FORMAT "\"");
    put_member_str(out, "id", m->id);
    put_member_str(out, "sql", m->sql ? m->sql : "");
    put_member_str(out, "kind", m->kind ? m->kind : "");
    put_member_str(out, "status", m->status ? m->status : "");
    if (m->error)
        put_member_str(out, "error", m->error);
    buf_puts(out, ", \"submitted_at\": \"");
    put_iso(out, m->submitted_ns);
    buf_printf(out,
               "\", \"submitted_ns\": %" PRId64 ", \"elapsed_ns\": %" PRId64 ", \"rows\": %" PRId64
               ", \"truncated\": %s, \"bytes_scanned\": %" PRId64,
               m->submitted_ns, m->elapsed_ns, m->rows, m->truncated ? "true" : "false",
               m->bytes_scanned);
    if (m->result) {
        put_member_str(out, "result", m->result);
        buf_printf(out, ", \"result_bytes\": %" PRId64, m->result_bytes);
    }
    if (m->table)
        put_member_str(out, "table", m->table);
    buf_puts(out, "}\n");
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int query_meta_parse(const char *text, size_t len, query_meta *m, char *errstr, size_t errstr_size)
{
    memset(m, 0, sizeof(*m));
    json_doc *doc = json_parse(text, len, errstr, errstr_size);
    if (!doc)
        return -1;
    const json_value *r = json_root(doc);
    const char *id = json_get_str(r, "id");
    int rc = 0;
    if (!r || r->type != JSON_OBJECT || !id || !query_id_valid(id)) {
        rc = set_err(errstr, errstr_size, "not query metadata: no valid \"id\"");
    } else {
        memcpy(m->id, id, QUERY_ID_LEN + 1);
        m->sql = dup_or_null(json_get_str(r, "sql"));
        m->kind = dup_or_null(json_get_str(r, "kind"));
        m->status = dup_or_null(json_get_str(r, "status"));
        m->error = dup_or_null(json_get_str(r, "error"));
        m->result = dup_or_null(json_get_str(r, "result"));
        m->table = dup_or_null(json_get_str(r, "table"));
        json_get_int(r, "submitted_ns", &m->submitted_ns);
        json_get_int(r, "elapsed_ns", &m->elapsed_ns);
        json_get_int(r, "rows", &m->rows);
        json_get_int(r, "bytes_scanned", &m->bytes_scanned);
        json_get_int(r, "result_bytes", &m->result_bytes);
        const json_value *t = json_get(r, "truncated");
        m->truncated = t && t->type == JSON_TRUE;
    }
    json_doc_free(doc);
    return rc;
}

static int meta_cmp(const void *a, const void *b)
{
    const query_meta *x = a, *y = b;
    if (x->submitted_ns != y->submitted_ns)
        return x->submitted_ns < y->submitted_ns ? -1 : 1;
    return strcmp(x->id, y->id);
}

void query_history_free(query_meta *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        query_meta_release(&v[i]);
    free(v);
}

int query_history_load(const char *lake, query_meta **out, size_t *n, size_t *skipped, char *errstr,
                       size_t errstr_size)
{
    *out = NULL;
    *n = 0;
    if (skipped)
        *skipped = 0;
    buf dir = {0}, path = {0}, text = {0};
    buf_printf(&dir, "%s/" QUERY_RESULTS_DIR, lake);
    DIR *d = opendir(dir.data);
    if (!d) {
        int err = errno;
        buf_release(&dir);
        if (err == ENOENT)
            return 0;
        return set_err(errstr, errstr_size, "unable to list '%s/" QUERY_RESULTS_DIR "': %s", lake,
                       strerror(err));
    }
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len != QUERY_ID_LEN + 5 || strcmp(de->d_name + QUERY_ID_LEN, ".json") != 0)
            continue;
        buf_reset(&path);
        buf_printf(&path, "%s/%s", dir.data, de->d_name);
        buf_reset(&text);
        char err[256];
        query_meta m;
        if (read_file(path.data, &text, err, sizeof(err)) != 0 ||
            query_meta_parse(text.data ? text.data : "", text.len, &m, err, sizeof(err)) != 0) {
            if (skipped)
                (*skipped)++;
            continue;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            query_meta *v = realloc(*out, cap * sizeof(**out));
            if (!v) {
                query_meta_release(&m);
                break;
            }
            *out = v;
        }
        (*out)[(*n)++] = m;
    }
    closedir(d);
    if (*n > 1)
        qsort(*out, *n, sizeof(**out), meta_cmp);
    buf_release(&dir);
    buf_release(&path);
    buf_release(&text);
    return 0;
}

/* --- Sessions ------------------------------------------------------------ */

int query_parse_s3_read(const char *s, query_s3_read *out)
{
    if (strcmp(s, "in-place") == 0)
        *out = QUERY_S3_IN_PLACE;
    else if (strcmp(s, "cache") == 0)
        *out = QUERY_S3_CACHE;
    else
        return -1;
    return 0;
}

struct query_session {
    engine *e;
    char *lake; /* absolute, no trailing slash (an S3 lake: its cache's mirror) */
    size_t ntables;
    lakecache *lc;    /* S3 lakes only */
    const char *from; /* S3 read in place: the lake's URL the views read (owned by lc), else NULL */
    char **absent;    /* S3: tables not brought into the cache (their views fail) */
    size_t nabsent;
    lakecache *remote;     /* S3 read in place: the lake whose keys the secret holds */
    char *scope;           /* and the secret's scope */
    uint64_t secret_keys;  /* the generation of the keys in the secret */
    int changed;           /* a script ran a statement that changes the session */
    int64_t catalog_mtime; /* local lakes: the catalog's when the views were made */
};

#define ABSENT_WHY                                                                                 \
    "of the S3 lake is not in the local cache: this query does not name it (name the table in "    \
    "the query, or use the shell, which brings in every table)"
#define ABSENT_WHY_IN_PLACE                                                                        \
    "of the S3 lake was not listed for this session: this query does not name it (name the "       \
    "table in the query, or use the shell, which lists every table)"

/* A local lake's views are made again when its catalog changed since: a
 * partition's view made without a compacted "~" file globs the sink's files
 * at each query, and would read neither the merged file nor its deleted
 * inputs (decision 0025). The session's own views, macros and settings
 * stay. An S3 session's listings are its cache's, fixed when it opened. */
static int refresh_views(query_session *s, char *errstr, size_t errstr_size)
{
    if (s->lc)
        return 0;
    int64_t mt = catalog_mtime(s->lake);
    if (mt < 0 || mt == s->catalog_mtime)
        return 0;
    size_t n = 0;
    if (catalog_attach_from(s->e, s->lake, NULL, NULL, 0, ABSENT_WHY, &n, errstr, errstr_size) != 0)
        return -1;
    s->ntables = n;
    s->catalog_mtime = mt;
    LOG_DEBUG("query: the catalog changed; the tables' views are made again");
    return 0;
}

/* Bytes this process has read through read(2), pread(2) and the like so far
 * (the rchar of /proc/self/io) less what reading /proc/self/io here has added
 * to it, or -1 when unknown: the difference of two calls is what was read in
 * between. */
static int64_t bytes_read_so_far(void)
{
    static int64_t own; /* bytes the reads below have added to rchar */
    int fd = open("/proc/self/io", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char b[1024];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof(b) - 1 && (n = read(fd, b + len, sizeof(b) - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    b[len] = '\0';
    /* The file shows rchar as it was before these reads, which add len. */
    const char *p = strstr(b, "rchar:");
    int64_t v = p ? strtoll(p + 6, NULL, 10) : -1;
    int64_t r = v >= 0 ? v - own : -1;
    own += (int64_t)len;
    return r;
}

/* The start of a statement's reading: a bytes_read_so_far value; the S3
 * bytes of s's engine received so far are set aside. */
static int64_t read_mark(query_session *s)
{
    engine_s3_take_bytes(s->e);
    return bytes_read_so_far();
}

/* Bytes read since *mark (a read_mark value) added to *total, 0 when
 * unknown: from files, and for an S3 lake read in place, the bodies of the
 * S3 responses. */
static void add_bytes_read(query_session *s, int64_t mark, int64_t *total)
{
    int64_t now = bytes_read_so_far();
    if (mark >= 0 && now >= mark)
        *total += now - mark;
    *total += engine_s3_take_bytes(s->e);
}

size_t query_session_tables(const query_session *s)
{
    return s->ntables;
}

int query_session_changed(const query_session *s)
{
    return s->changed;
}

void query_session_close(query_session *s)
{
    if (!s)
        return;
    engine_close(s->e);
    lakecache_free(s->lc);
    for (size_t i = 0; i < s->nabsent; i++)
        free(s->absent[i]);
    free(s->absent);
    free(s->lake);
    free(s->scope);
    free(s);
}

static query_session *session_open(const char *lake, int threads, char **absent, size_t nabsent,
                                   lakecache *remote, const query_lake_opts *lo, char *errstr,
                                   size_t errstr_size);

/* 1 if the table named name is read by sql: its name appears in it (any
 * case; a superset of the references), or it is trades and sql calls an
 * analysis macro. */
static int sql_names_table(const char *sql, const char *name)
{
    if (strcasestr(sql, name))
        return 1;
    static const char *const macros[] = {"ohlc",       "vwap",      "returns",
                                         "top_movers", "anomalies", "tl_"};
    if (strcmp(name, "trades") != 0)
        return 0;
    for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
        if (strcasestr(sql, macros[i]))
            return 1;
    return 0;
}

const char *query_session_dir(const query_session *s)
{
    return s->lake;
}

void query_session_describe_cache(const query_session *s, buf *out)
{
    if (s->lc)
        lakecache_describe_stats(s->lc, out);
}

query_session *query_session_open_ext(const char *lake, const query_lake_opts *lo, int threads,
                                      char *errstr, size_t errstr_size)
{
    if (!lakecache_is_s3(lake))
        return session_open(lake, threads, NULL, 0, NULL, lo, errstr, errstr_size);
    lakecache *lc = NULL;
    if (lakecache_open(&lc, lake, lo ? lo->storage : NULL, lo ? lo->cache_dir : NULL, errstr,
                       errstr_size) != 0)
        return NULL;
    query_session *s = NULL;
    const char **names = NULL;
    char **absent = NULL;
    size_t nnames = 0, nabsent = 0;
    catalog *c = NULL;
    int rc = 0;
    if (lo && lo->sql) {
        rc = lakecache_sync_catalog(lc, errstr, errstr_size);
        if (rc == 0)
            rc = catalog_load(lakecache_dir(lc), &c, errstr, errstr_size);
        for (size_t i = 0; rc == 0 && i < c->ntables; i++) {
            const char *name = c->tables[i].name;
            if (sql_names_table(lo->sql, name)) {
                names = realloc(names, (nnames + 1) * sizeof(*names));
                if (!names)
                    abort();
                names[nnames++] = name;
            } else {
                absent = realloc(absent, (nabsent + 1) * sizeof(*absent));
                if (!absent || !(absent[nabsent++] = strdup(name)))
                    abort();
            }
        }
    }
    /* With SQL known, an empty list means no table (NULL would mean every table). */
    static const char *const no_table[1] = {NULL};
    const char *const *want = NULL;
    if (lo && lo->sql)
        want = names ? names : no_table;
    query_s3_read how = lo && lo->s3_read ? lo->s3_read : QUERY_S3_READ_DEFAULT;
    if (rc == 0)
        rc = lakecache_prepare_query(lc, want, nnames,
                                     how == QUERY_S3_IN_PLACE ? LAKECACHE_LISTED : LAKECACHE_WHOLE,
                                     errstr, errstr_size);
    free(names);
    catalog_free(c);
    if (rc == 0)
        s = session_open(lakecache_dir(lc), threads, absent, nabsent,
                         how == QUERY_S3_IN_PLACE ? lc : NULL, lo, errstr, errstr_size);
    else
        for (size_t i = 0; i < nabsent; i++)
            free(absent[i]);
    if (!s) {
        if (rc != 0)
            free(absent);
        lakecache_free(lc);
        return NULL;
    }
    s->lc = lc;
    return s;
}

query_session *query_session_open(const char *lake, int threads, char *errstr, size_t errstr_size)
{
    return session_open(lake, threads, NULL, 0, NULL, NULL, errstr, errstr_size);
}

/* Lets s's engine read the S3 lake of remote in place: httpfs and the
 * lake's credentials as a secret scoped to its URL. */
static int attach_remote(query_session *s, lakecache *remote, const char *scope, char *errstr,
                         size_t errstr_size)
{
    storage_s3_access a;
    if (lakecache_s3_access(remote, &a, errstr, errstr_size) != 0)
        return -1;
    s->remote = remote;
    free(s->scope);
    s->scope = xstrdup(scope);
    s->secret_keys = a.generation;
    engine_s3 es = {.ca_file = a.ca_file,
                    .scope = scope,
                    .endpoint = a.authority,
                    .use_ssl = strcmp(a.scheme, "https") == 0,
                    .path_style = a.path_style,
                    .region = a.region,
                    .key_id = a.access_key,
                    .secret = a.secret_key,
                    .session_token = a.session_token};
    char err[1024];
    if (engine_attach_s3(s->e, &es, err, sizeof(err)) != 0)
        return set_err(errstr, errstr_size, "%s (--s3-read cache reads the lake without httpfs)",
                       err);
    return 0;
}

/* Opens a session; it owns absent (its strings and the array) whatever happens.
 * remote (borrowed; NULL for local files) is the S3 lake whose mirror lake is:
 * the views then read its objects in place. lo (may be NULL) gives the
 * engine's memory limits. */
static query_session *session_open(const char *lake, int threads, char **absent, size_t nabsent,
                                   lakecache *remote, const query_lake_opts *lo, char *errstr,
                                   size_t errstr_size)
{
    char abs[PATH_MAX];
    query_session *s = NULL;
    if (!realpath(lake, abs)) {
        for (size_t i = 0; i < nabsent; i++)
            free(absent[i]);
        free(absent);
        if (errno == ENOENT)
            set_err(errstr, errstr_size, "no catalog in '%s': run 'ticklake crawl' first", lake);
        else
            set_err(errstr, errstr_size, "unable to open lake '%s': %s", lake, strerror(errno));
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (!s)
        abort(); /* as buf: a few bytes of metadata */
    s->absent = absent;
    s->nabsent = nabsent;
    s->lake = strdup(abs);
    if (remote && threads == 0)
        threads = QUERY_S3_THREADS;
    s->e = engine_open(NULL, threads, errstr, errstr_size);
    if (!s->e || !s->lake) {
        query_session_close(s);
        return NULL;
    }
    buf dir = {0}, scope = {0};
    buf_printf(&dir, "%s/", strcmp(s->lake, "/") == 0 ? "" : s->lake);
    int rc = 0;
    const char *from = NULL;
    if (remote) {
        /* The objects' URLs: "s3://bucket/prefix" (storage_url's normal form) + "/" + key. */
        from = s->from = lakecache_url(remote);
        buf_printf(&scope, "%s/", from);
        rc = attach_remote(s, remote, scope.data, errstr, errstr_size);
    }
    if (rc == 0 && lo) /* before the settings are locked */
        rc = engine_limit_memory(s->e, lo->memory_limit, lo->max_temp_size, errstr, errstr_size);
    const char *dirs[] = {dir.data, scope.data};
    /* Before the views are made: the files are locked to the lake and the
     * settings locked, so nothing is loaded or changed after it, and the
     * views, made from catalog.json (which whoever writes the lake writes),
     * run with no more reach than a query. */
    if (rc == 0)
        rc = engine_restrict_files(s->e, dirs, remote ? 2 : 1, NULL, 0, errstr, errstr_size);
    /* Before the views are made: a catalog written meanwhile makes them again. */
    s->catalog_mtime = catalog_mtime(s->lake);
    if (rc == 0)
        rc = catalog_attach_from(s->e, s->lake, from, (const char *const *)s->absent, s->nabsent,
                                 remote ? ABSENT_WHY_IN_PLACE : ABSENT_WHY, &s->ntables, errstr,
                                 errstr_size);
    if (rc == 0)
        rc = catalog_define_macros(s->e, s->lake, errstr, errstr_size);
    buf_release(&dir);
    buf_release(&scope);
    if (rc != 0) {
        query_session_close(s);
        return NULL;
    }
    return s;
}

typedef struct check_state {
    size_t statements;
    int only_select; /* refuse anything but one SELECT */
    int changes;     /* a statement that changes the session was let through */
} check_state;

/* Statements whose effect outlives their script: views, macros and tables
 * of the session, variables, an open transaction. */
static int changes_session(engine_stmt kind)
{
    return kind == ENGINE_STMT_CREATE || kind == ENGINE_STMT_CREATE_FUNC ||
           kind == ENGINE_STMT_DROP || kind == ENGINE_STMT_TRANSACTION ||
           kind == ENGINE_STMT_VARIABLE_SET || kind == ENGINE_STMT_SET;
}

static int check_cb(void *opaque, engine_stmt kind, char *errstr, size_t errstr_size)
{
    check_state *cs = opaque;
    cs->statements++;
    if (cs->only_select) {
        if (cs->statements > 1 || (kind != ENGINE_STMT_SELECT))
            return set_err(errstr, errstr_size, "%s", "expected a single SELECT statement");
        return 0;
    }
    cs->changes |= changes_session(kind);
    return query_check_statement(kind, errstr, errstr_size);
}

/* Only ticklake's own COPY, once. */
static int copy_only_cb(void *opaque, engine_stmt kind, char *errstr, size_t errstr_size)
{
    check_state *cs = opaque;
    if (++cs->statements > 1 || kind != ENGINE_STMT_COPY)
        return set_err(errstr, errstr_size, "%s", "expected a single SELECT statement");
    return 0;
}

static int64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

/* Copies the file at from to the stream out. */
static int copy_to_stream(const char *from, FILE *out, char *errstr, size_t errstr_size)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return set_err(errstr, errstr_size, "unable to open '%s': %s", from, strerror(errno));
    char b[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(b, 1, sizeof(b), in)) > 0)
        if (fwrite(b, 1, n, out) != n) {
            rc = set_err(errstr, errstr_size, "unable to write the Parquet output");
            break;
        }
    fclose(in);
    if (rc == 0 && fflush(out) != 0)
        rc = set_err(errstr, errstr_size, "unable to write the Parquet output");
    return rc;
}

/* Copies the file at from to the path to (not in the lake: a plain copy). */
static int copy_to_path(const char *from, const char *to, char *errstr, size_t errstr_size)
{
    FILE *out = fopen(to, "wb");
    if (!out)
        return set_err(errstr, errstr_size, "unable to create '%s': %s", to, strerror(errno));
    int rc = copy_to_stream(from, out, errstr, errstr_size);
    if (fclose(out) != 0 && rc == 0)
        rc = set_err(errstr, errstr_size, "unable to write '%s'", to);
    return rc;
}

/* Runs `COPY (select) TO path (FORMAT parquet, ...)` after checking that
 * select is one SELECT statement. *rows gets the rows written. */
/* Watches a COPY's file: past max bytes it sets *over and stops the query
 * (through stop, which the engine's watchdog reads); a cancel of the
 * caller's passes on to stop too. */
typedef struct size_watch {
    const char *path;
    int64_t max;
    volatile sig_atomic_t *cancel; /* the caller's, may be NULL */
    volatile sig_atomic_t stop;    /* what the engine watches */
    atomic_int done, over;
} size_watch;

static void *size_watch_main(void *arg)
{
    size_watch *w = arg;
    while (!atomic_load(&w->done)) {
        struct stat sb;
        if (stat(w->path, &sb) == 0 && (int64_t)sb.st_size > w->max) {
            atomic_store(&w->over, 1);
            w->stop = 1;
            break;
        }
        if (w->cancel && *w->cancel)
            w->stop = 1;
        sleep_ns(20 * 1000000LL);
    }
    return NULL;
}

static int copy_select(query_session *s, const char *select, const char *path, int64_t timeout_ns,
                       volatile sig_atomic_t *cancel, int64_t max_bytes, int *too_large,
                       int64_t *rows, int64_t *scanned, char *errstr, size_t errstr_size)
{
    *rows = 0;
    int64_t mark = read_mark(s);
    check_state cs = {0, 1, 0};
    buf probe = {0}, sql = {0};
    buf_printf(&probe, "DESCRIBE %s\n", select);
    /* DESCRIBE binds the query without running it and is itself a SELECT
     * only when the text inside is one query. */
    engine_run_opts po = {.check = check_cb, .check_opaque = &cs};
    int rc = engine_query_run(s->e, probe.data, &po, NULL, errstr, errstr_size);
    if (rc == 0) {
        buf_printf(&sql, "COPY (%s\n) TO ", select);
        engine_quote_literal(&sql, path);
        buf_puts(&sql, " (" ENGINE_PARQUET_OPTIONS ")");
        check_state cc = {0, 0, 0};
        size_watch w = {.path = path, .max = max_bytes, .cancel = cancel};
        pthread_t wt;
        int watching = max_bytes > 0 && pthread_create(&wt, NULL, size_watch_main, &w) == 0;
        engine_run_opts o = {.fmt = ENGINE_OUT_CSV,
                             .timeout_ns = timeout_ns,
                             .check = copy_only_cb,
                             .check_opaque = &cc,
                             .cancel = watching ? &w.stop : cancel};
        char err[1024];
        rc = engine_query_run(s->e, sql.data, &o, NULL, err, sizeof(err));
        if (watching) {
            atomic_store(&w.done, 1);
            pthread_join(wt, NULL);
        }
        if (watching && atomic_load(&w.over)) {
            unlink(path);
            if (too_large)
                *too_large = 1;
            rc = set_err(errstr, errstr_size, "the result is larger than %lld bytes",
                         (long long)max_bytes);
        } else if (rc != 0) {
            set_err(errstr, errstr_size, "%s", err);
        }
    }
    add_bytes_read(s, mark, scanned); /* the query's reading, not the count of what it wrote */
    if (rc == 0) {
        buf count = {0};
        buf_puts(&count, "SELECT count(*) FROM read_parquet(");
        engine_quote_literal(&count, path);
        buf_puts(&count, ")");
        rc = engine_query_int64(s->e, count.data, rows, errstr, errstr_size);
        buf_release(&count);
    }
    buf_release(&probe);
    buf_release(&sql);
    return rc;
}

/* CREATE TABLE name AS select: writes <lake>/<name>/<id>.parquet and crawls. */
static int run_ctas(query_session *s, const char *name, const char *select, int if_not_exists,
                    const query_opts *o, query_meta *m, char *errstr, size_t errstr_size)
{
    buf dir = {0}, tmp = {0}, final = {0};
    buf_printf(&dir, "%s/%s", s->lake, name);
    buf_printf(&tmp, "%s/.tmp-%s.parquet", dir.data, m->id);
    buf_printf(&final, "%s/%s.parquet", dir.data, m->id);
    m->table = strdup(name);
    int rc = -1;
    catalog *c = NULL;
    struct stat st;
    if (catalog_load(s->lake, &c, errstr, errstr_size) != 0)
        goto out;
    /* Views are named without regard to case: "Trades" beside "trades"
     * would replace one of the two in every session. */
    int exists = stat(dir.data, &st) == 0;
    for (size_t i = 0; c && i < c->ntables && !exists; i++)
        exists = strcasecmp(c->tables[i].name, name) == 0;
    catalog_free(c);
    DIR *ld = exists ? NULL : opendir(s->lake);
    for (struct dirent *de; ld && !exists && (de = readdir(ld)) != NULL;)
        exists = strcasecmp(de->d_name, name) == 0;
    if (ld)
        closedir(ld);
    if (!exists && s->lc) {
        int fe = lakecache_folder_exists(s->lc, name, errstr, errstr_size);
        if (fe < 0)
            goto out;
        exists = fe;
    }
    if (exists) {
        if (if_not_exists) {
            rc = 0;
            goto out;
        }
        set_err(errstr, errstr_size,
                "table '%s' already exists (or '%s/%s' does; queries cannot overwrite lake data)",
                name, s->lake, name);
        goto out;
    }
    if (mkdir_p(dir.data, errstr, errstr_size) != 0)
        goto out;
    int64_t rows = 0;
    if (copy_select(s, select, tmp.data, o->timeout_ns, o->cancel, 0, NULL, &rows,
                    &m->bytes_scanned, errstr, errstr_size) != 0) {
        unlink(tmp.data);
        rmdir(dir.data);
        goto out;
    }
    if (fsync_path(tmp.data, errstr, errstr_size) != 0 ||
        rename_durable(tmp.data, final.data, errstr, errstr_size) != 0) {
        unlink(tmp.data);
        goto out;
    }
    m->rows = rows;
    if (s->lc) {
        buf key = {0};
        buf_printf(&key, "%s/%s.parquet", name, m->id);
        int prc = lakecache_put(s->lc, key.data, errstr, errstr_size);
        buf_release(&key);
        if (prc != 0) {
            unlink(final.data);
            rmdir(dir.data);
            goto out;
        }
    }
    engine *ce = engine_open(NULL, 1, errstr, errstr_size);
    char cerr[1024];
    /* The policies `ticklake crawl` has by default, so that registering the
     * new table changes nothing else in the catalog. */
    catalog_crawl_opts co = {CATALOG_CHANGE_UPDATE, CATALOG_DELETE_DEPRECATE, NULL};
    catalog_crawl_stats cst;
    if (!ce || (s->lc ? lakecache_crawl(s->lc, ce, &co, &cst, cerr, sizeof(cerr))
                      : catalog_crawl_ext(ce, s->lake, &co, NULL, cerr, sizeof(cerr))) != 0) {
        if (ce)
            set_err(errstr, errstr_size,
                    "table '%s' was written to '%s' but not registered: %s (run 'ticklake "
                    "crawl')",
                    name, final.data, cerr);
        engine_close(ce);
        goto out;
    }
    engine_close(ce);
    if (catalog_attach_from(s->e, s->lake, s->from, (const char *const *)s->absent, s->nabsent,
                            s->from ? ABSENT_WHY_IN_PLACE : ABSENT_WHY, &s->ntables, errstr,
                            errstr_size) != 0)
        goto out;
    rc = 0;
out:
    buf_release(&dir);
    buf_release(&tmp);
    buf_release(&final);
    return rc;
}

static int save_meta(const char *lake, const query_meta *m, char *errstr, size_t errstr_size)
{
    buf json = {0}, path = {0};
    query_meta_to_json(m, &json);
    buf_printf(&path, "%s/" QUERY_RESULTS_DIR "/%s.json", lake, m->id);
    int rc = write_file_atomic(path.data, json.data, json.len, errstr, errstr_size);
    buf_release(&json);
    buf_release(&path);
    return rc;
}

/* Temporary keys of an S3 lake read in place are refreshed before they
 * expire: a new secret for the queries from now on. */
static int refresh_remote(query_session *s, char *errstr, size_t errstr_size)
{
    if (!s->remote)
        return 0;
    storage_s3_access a;
    if (lakecache_s3_access(s->remote, &a, errstr, errstr_size) != 0)
        return -1;
    if (a.generation == s->secret_keys)
        return 0;
    engine_s3 es = {.scope = s->scope,
                    .endpoint = a.authority,
                    .use_ssl = strcmp(a.scheme, "https") == 0,
                    .path_style = a.path_style,
                    .region = a.region,
                    .key_id = a.access_key,
                    .secret = a.secret_key,
                    .session_token = a.session_token};
    if (engine_s3_secret(s->e, &es, errstr, errstr_size) != 0)
        return -1;
    s->secret_keys = a.generation;
    LOG_DEBUG("query: the S3 secret holds refreshed keys");
    return 0;
}

int query_session_run(query_session *s, const char *sql, const query_opts *o, query_meta *m,
                      char *errstr, size_t errstr_size)
{
    memset(m, 0, sizeof(*m));
    query_new_id(m->id);
    m->sql = strdup(sql);
    m->submitted_ns = now_ns();
    int64_t t0 = mono_ns();
    buf rdir = {0}, csv_tmp = {0}, csv_final = {0}, pq = {0}, name = {0}, select = {0}, names = {0};
    buf_printf(&rdir, "%s/" QUERY_RESULTS_DIR, s->lake);
    buf_printf(&csv_tmp, "%s/.%s.csv.partial", rdir.data, m->id);
    buf_printf(&csv_final, "%s/%s.csv", rdir.data, m->id);
    buf_printf(&pq, "%s/%s.parquet", rdir.data, m->id);
    FILE *csv = NULL;
    int rc = -1, ifne = 0;
    char err[4096];
    err[0] = '\0';

    /* A blank line between the results of a script's statements (TABLE, CSV). */
    const char *lead = o->results && *o->results && o->out &&
                               (o->format == QUERY_OUT_TABLE || o->format == QUERY_OUT_CSV)
                           ? "\n"
                           : NULL;
    if (refresh_remote(s, err, sizeof(err)) != 0 || refresh_views(s, err, sizeof(err)) != 0)
        goto done;
    int ctas = query_parse_ctas(sql, &name, &select, &ifne, err, sizeof(err));
    if (ctas < 0 || query_check_text(sql, err, sizeof(err)) != 0)
        goto done;
    if ((o->save || o->format == QUERY_OUT_PARQUET) && mkdir_p(rdir.data, err, sizeof(err)) != 0)
        goto done;
    if (ctas == 1 && o->format == QUERY_OUT_ARROW) {
        set_err(err, sizeof(err),
                "Arrow output is for queries that return rows, not CREATE TABLE "
                "... AS");
        goto done;
    }
    if (ctas == 1) {
        m->kind = strdup("CTAS");
        rc = run_ctas(s, name.data, select.data, ifne, o, m, err, sizeof(err));
        if (rc == 0 && o->out) {
            if (o->format == QUERY_OUT_JSON) /* NDJSON stays JSON (the name is a plain one) */
                fprintf(o->out, "{\"created\":\"%s\",\"rows\":%" PRId64 "}\n", name.data, m->rows);
            else
                fprintf(o->out, "%stable '%s' created: %" PRId64 " rows\n", lead ? lead : "",
                        name.data, m->rows);
            if (o->results)
                (*o->results)++;
        }
        goto done;
    }
    if (o->format == QUERY_OUT_PARQUET) {
        m->kind = strdup("SELECT");
        int64_t rows = 0;
        buf_puts(&select, sql);
        while (select.len > 0 && (isspace((unsigned char)select.data[select.len - 1]) ||
                                  select.data[select.len - 1] == ';'))
            select.data[--select.len] = '\0';
        rc = copy_select(s, select.data, pq.data, o->timeout_ns, o->cancel, o->max_bytes,
                         o->too_large, &rows, &m->bytes_scanned, err, sizeof(err));
        m->rows = rows;
        if (rc == 0 && o->out_path)
            rc = copy_to_path(pq.data, o->out_path, err, sizeof(err));
        else if (rc == 0 && o->out)
            rc = copy_to_stream(pq.data, o->out, err, sizeof(err));
        if (rc == 0 && o->save) {
            /* The saved result is CSV as for every query: read back from the file. */
            buf back = {0};
            buf_puts(&back, "SELECT * FROM read_parquet(");
            engine_quote_literal(&back, pq.data);
            buf_puts(&back, ")");
            csv = fopen(csv_tmp.data, "w");
            engine_run_opts ro = {.fmt = ENGINE_OUT_CSV, .csv = csv};
            if (!csv)
                rc = set_err(err, sizeof(err), "unable to create '%s': %s", csv_tmp.data,
                             strerror(errno));
            else
                rc = engine_query_run(s->e, back.data, &ro, NULL, err, sizeof(err));
            buf_release(&back);
        }
        unlink(pq.data);
        goto done;
    }
    if (o->save) {
        csv = fopen(csv_tmp.data, "w");
        if (!csv) {
            set_err(err, sizeof(err), "unable to create '%s': %s", csv_tmp.data, strerror(errno));
            goto done;
        }
    }
    check_state cs = {0, 0, 0};
    engine_run_opts ro = {.fmt = o->format == QUERY_OUT_CSV     ? ENGINE_OUT_CSV
                                 : o->format == QUERY_OUT_JSON  ? ENGINE_OUT_JSON
                                 : o->format == QUERY_OUT_ARROW ? ENGINE_OUT_ARROW
                                                                : ENGINE_OUT_TABLE,
                          .out = o->out,
                          .csv = csv,
                          .max_rows = o->max_rows,
                          .timeout_ns = o->timeout_ns,
                          .check = check_cb,
                          .check_opaque = &cs,
                          .cancel = o->cancel,
                          .lead = lead,
                          .names = &names};
    engine_run_stats st;
    int64_t mark = read_mark(s);
    rc = engine_query_run(s->e, sql, &ro, &st, err, sizeof(err));
    if (st.has_result && names.data)
        m->columns = strndup(names.data, names.len);
    s->changed |= cs.changes;
    add_bytes_read(s, mark, &m->bytes_scanned);
    m->kind = strdup(engine_stmt_name(st.statement));
    if (st.has_result && o->out && o->results)
        (*o->results)++;
    m->rows = st.rows;
    m->truncated = st.truncated;
    if (st.timed_out && rc != 0)
        m->status = strdup("TIMEOUT");
    else if (st.cancelled && rc != 0)
        m->status = strdup("CANCELLED");
    if (!st.has_result && csv) {
        fclose(csv);
        csv = NULL;
        unlink(csv_tmp.data);
    }

done:
    if (csv) {
        if (fclose(csv) != 0 && rc == 0)
            rc = set_err(err, sizeof(err),
                         "the result was not saved (--no-save skips it): unable to write '%s': %s",
                         csv_tmp.data, strerror(errno));
        if (rc == 0 && rename(csv_tmp.data, csv_final.data) != 0)
            rc = set_err(err, sizeof(err), "unable to rename '%s': %s", csv_tmp.data,
                         strerror(errno));
        if (rc == 0) {
            m->result = malloc(QUERY_ID_LEN + sizeof(QUERY_RESULTS_DIR) + 8);
            if (m->result)
                sprintf(m->result, QUERY_RESULTS_DIR "/%s.csv", m->id);
            m->result_bytes = file_size(csv_final.data);
        } else {
            unlink(csv_tmp.data);
        }
    }
    m->elapsed_ns = mono_ns() - t0;
    if (!m->kind)
        m->kind = strdup("");
    if (!m->status)
        m->status = strdup(rc == 0 ? "SUCCEEDED" : "FAILED");
    if (rc != 0) {
        m->error = strdup(err);
        set_err(errstr, errstr_size, "%s", err);
    }
    if (o->save) {
        char serr[512];
        int src = mkdir_p(rdir.data, serr, sizeof(serr)) != 0 ||
                  save_meta(s->lake, m, serr, sizeof(serr)) != 0;
        /* An S3 lake: the result, then its metadata, go into the lake. */
        if (!src && s->lc) {
            buf key = {0};
            if (m->result)
                src = lakecache_put(s->lc, m->result, serr, sizeof(serr)) != 0;
            buf_printf(&key, QUERY_RESULTS_DIR "/%s.json", m->id);
            if (!src)
                src = lakecache_put(s->lc, key.data, serr, sizeof(serr)) != 0;
            buf_release(&key);
        }
        if (src && rc == 0)
            rc = set_err(errstr, errstr_size, "the result was not saved (--no-save skips it): %s",
                         serr);
    }
    buf_release(&rdir);
    buf_release(&csv_tmp);
    buf_release(&csv_final);
    buf_release(&pq);
    buf_release(&name);
    buf_release(&select);
    buf_release(&names);
    return rc;
}

int query_print_rows(const char *const *names, const char *const *types, size_t ncols,
                     const char *const *cells, size_t nrows, query_out fmt, FILE *out, char *errstr,
                     size_t errstr_size)
{
    if (fmt == QUERY_OUT_PARQUET || fmt == QUERY_OUT_ARROW)
        return set_err(errstr, errstr_size, "%s output is for queries only",
                       fmt == QUERY_OUT_ARROW ? "Arrow" : "Parquet");
    buf sql = {0};
    buf_puts(&sql, "SELECT ");
    for (size_t c = 0; c < ncols; c++) {
        if (c)
            buf_puts(&sql, ", ");
        buf_printf(&sql, "CAST(col%zu AS %s) AS ", c, types[c]);
        engine_quote_ident(&sql, names[c]);
    }
    if (nrows == 0) {
        buf_puts(&sql, " FROM (SELECT ");
        for (size_t c = 0; c < ncols; c++)
            buf_printf(&sql, "%sNULL AS col%zu", c ? ", " : "", c);
        buf_puts(&sql, ") WHERE false");
    } else {
        buf_puts(&sql, " FROM (VALUES ");
        for (size_t r = 0; r < nrows; r++) {
            buf_puts(&sql, r ? ", (" : "(");
            for (size_t c = 0; c < ncols; c++) {
                const char *v = cells[r * ncols + c];
                if (c)
                    buf_puts(&sql, ", ");
                if (v)
                    engine_quote_literal(&sql, v);
                else
                    buf_puts(&sql, "NULL");
            }
            buf_putc(&sql, ')');
        }
        buf_puts(&sql, ") t(");
        for (size_t c = 0; c < ncols; c++)
            buf_printf(&sql, "%scol%zu", c ? ", " : "", c);
        buf_putc(&sql, ')');
    }
    engine *e = engine_open(NULL, 1, errstr, errstr_size);
    int rc = -1;
    if (e) {
        engine_out_format f = fmt == QUERY_OUT_CSV    ? ENGINE_OUT_CSV
                              : fmt == QUERY_OUT_JSON ? ENGINE_OUT_JSON
                                                      : ENGINE_OUT_TABLE;
        rc = engine_query_print(e, sql.data, f, out, NULL, errstr, errstr_size);
        engine_close(e);
    }
    buf_release(&sql);
    return rc;
}

int query_path_in_lake(const char *lake, const char *path)
{
    char l[PATH_MAX], d[PATH_MAX];
    if (!realpath(lake, l))
        return 0;
    /* The folder that would hold path: path itself when it exists. */
    buf dir = {0};
    buf_puts(&dir, path);
    if (!realpath(dir.data, d)) {
        char *slash = strrchr(dir.data, '/');
        if (slash)
            *slash = '\0';
        if (!realpath(slash ? (*dir.data ? dir.data : "/") : ".", d)) {
            buf_release(&dir);
            return 0;
        }
    }
    buf_release(&dir);
    size_t n = strlen(l);
    return strncmp(d, l, n) == 0 && (d[n] == '/' || d[n] == '\0' || strcmp(l, "/") == 0);
}
