/* storage.c - the lake's storage: a local directory or an S3 bucket behind
 * one interface. See storage.h for the contract. */
#include "storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "s3.h"

struct storage {
    enum storage_kind kind;
    char *url;     /* normalised, for messages */
    char *dir;     /* local: the lake directory */
    char *bucket;  /* s3 */
    char *prefix;  /* s3: without leading or trailing '/'; "" for the whole bucket */
    char *staging; /* s3: local folder for storage_temp_path */
    s3_client *s3;
};

/* Numbers the temporary names of the process: every handle on a lake,
 * storage_dup's too, draws from it, so two never pick the same name. */
static atomic_uint temp_counter;

/* ------------------------------------------------------------------------
 * Keys and names
 * ------------------------------------------------------------------------ */

int storage_key_valid(const char *key)
{
    if (!key || !*key || *key == '/')
        return 0;
    const char *p = key;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        if (!slash)
            return 1;
        p = slash + 1;
    }
}

void storage_join(buf *out, const char *a, const char *b)
{
    size_t na = strlen(a);
    while (na > 0 && a[na - 1] == '/')
        na--;
    while (*b == '/')
        b++;
    if (na == 0 && a[0] == '/') {
        buf_putc(out, '/'); /* the root stays "/" */
        buf_puts(out, b);
        return;
    }
    buf_append(out, a, na);
    if (na && *b)
        buf_putc(out, '/');
    buf_puts(out, b);
}

static void local_path(const storage *st, const char *key, buf *out)
{
    storage_join(out, st->dir, key);
}

/* The S3 object name of key (or of a folder key, "" for the top). */
static void s3_name(const storage *st, const char *key, buf *out)
{
    storage_join(out, st->prefix, key);
}

void storage_describe(const storage *st, const char *key, buf *out)
{
    if (st->kind == STORAGE_LOCAL) {
        local_path(st, key, out);
    } else {
        buf_printf(out, "s3://%s/", st->bucket);
        s3_name(st, key, out);
    }
}

static int bad_key(const char *key, char *errstr, size_t errstr_size)
{
    return set_err(errstr, errstr_size,
                   "invalid lake key '%s' (relative, '/'-separated, no empty, '.' or '..' parts)",
                   key ? key : "(null)");
}

/* Decodes %XX escapes of a file:// URL path. -1 on a bad escape. */
static int percent_decode(const char *s, buf *out)
{
    for (; *s; s++) {
        if (*s != '%') {
            buf_putc(out, *s);
            continue;
        }
        int v = 0;
        for (int i = 1; i <= 2; i++) {
            char ch = s[i];
            int d = ch >= '0' && ch <= '9'   ? ch - '0'
                    : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                    : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                             : -1;
            if (d < 0)
                return -1;
            v = v * 16 + d;
        }
        if (v == 0)
            return -1;
        buf_putc(out, (char)v);
        s += 2;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Opening
 * ------------------------------------------------------------------------ */

static int open_local(storage *st, const char *path, char *errstr, size_t errstr_size)
{
    if (!*path)
        return set_err(errstr, errstr_size, "empty lake path");
    char *d = xstrdup(path);
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/')
        d[--n] = '\0';
    st->kind = STORAGE_LOCAL;
    st->dir = d;
    st->url = xstrdup(d);
    return mkdir_p(d, errstr, errstr_size);
}

static int open_s3(storage *st, const char *rest, const storage_options *o, char *errstr,
                   size_t errstr_size)
{
    const char *slash = strchr(rest, '/');
    size_t bl = slash ? (size_t)(slash - rest) : strlen(rest);
    if (bl == 0)
        return set_err(errstr, errstr_size, "bad lake URL 's3://%s': no bucket", rest);
    st->kind = STORAGE_S3;
    st->bucket = strndup(rest, bl);
    if (!st->bucket)
        abort();
    for (const char *p = st->bucket; *p; p++)
        if (*p <= ' ' || *p == '?' || *p == '#' || *p == '\\' || *p == '%')
            return set_err(errstr, errstr_size, "bad bucket name '%s' in lake URL", st->bucket);
    const char *pre = slash ? slash + 1 : "";
    size_t pl = strlen(pre);
    while (pl > 0 && pre[pl - 1] == '/')
        pl--;
    st->prefix = strndup(pre, pl);
    if (!st->prefix)
        abort();
    if (pl && !storage_key_valid(st->prefix))
        return set_err(errstr, errstr_size,
                       "bad prefix '%s' in lake URL (no empty, '.' or '..' parts)", st->prefix);
    buf u = {0};
    buf_printf(&u, "s3://%s%s%s", st->bucket, pl ? "/" : "", st->prefix);
    st->url = u.data;

    s3_config cfg;
    s3_config_init(&cfg);
    cfg.endpoint = o->s3_endpoint;
    cfg.region = o->s3_region;
    cfg.profile = o->s3_profile;
    if (s3_parse_addressing(o->s3_addressing, &cfg.addressing) != 0)
        return set_err(errstr, errstr_size, "bad S3 addressing '%s' (path, virtual or auto)",
                       o->s3_addressing);
    if (o->s3_write_retry_ns > 0)
        cfg.write_retry_ns = o->s3_write_retry_ns;
    if (o->s3_read_retry_ns > 0)
        cfg.read_retry_ns = o->s3_read_retry_ns;
    if (o->s3_part_size > 0)
        cfg.part_size = o->s3_part_size;
    if (o->s3_multipart_threshold > 0)
        cfg.multipart_threshold = o->s3_multipart_threshold;
    cfg.cancel = o->cancel;
    cfg.cancel_also = o->cancel_also;
    st->s3 = s3_client_new(&cfg, errstr, errstr_size);
    if (!st->s3)
        return -1;
    const char *tmp = o->staging_dir;
    if (!tmp || !*tmp)
        tmp = getenv("TMPDIR");
    buf sd = {0};
    if (o->staging_dir && *o->staging_dir)
        buf_puts(&sd, o->staging_dir);
    else
        buf_printf(&sd, "%s/ticklake-staging", tmp && *tmp ? tmp : "/tmp");
    st->staging = sd.data;
    LOG_DEBUG("storage: lake %s via %s (%s)", st->url, s3_client_endpoint(st->s3),
              s3_client_region(st->s3));
    return 0;
}

int storage_open(storage **out, const char *url, const storage_options *opts, char *errstr,
                 size_t errstr_size)
{
    *out = NULL;
    static const storage_options none;
    if (!opts)
        opts = &none;
    if (!url)
        return set_err(errstr, errstr_size, "no lake URL");
    storage *st = calloc(1, sizeof(*st));
    if (!st)
        abort();
    int rc;
    if (strncmp(url, "s3://", 5) == 0) {
        rc = open_s3(st, url + 5, opts, errstr, errstr_size);
    } else if (strncmp(url, "file://", 7) == 0) {
        const char *p = url + 7;
        if (strncmp(p, "localhost/", 10) == 0)
            p += 9;
        buf path = {0};
        if (*p != '/')
            rc = set_err(errstr, errstr_size, "bad lake URL '%s': expected file:///absolute/path",
                         url);
        else if (percent_decode(p, &path) != 0)
            rc = set_err(errstr, errstr_size, "bad lake URL '%s': bad %%-escape", url);
        else
            rc = open_local(st, path.data, errstr, errstr_size);
        buf_release(&path);
    } else if (strstr(url, "://")) {
        rc = set_err(errstr, errstr_size,
                     "unsupported lake URL '%s' (use a path, file:///path or s3://bucket/prefix)",
                     url);
    } else {
        rc = open_local(st, url, errstr, errstr_size);
    }
    if (rc != 0) {
        storage_free(st);
        return -1;
    }
    *out = st;
    return 0;
}

int storage_dup(storage **out, storage *st, char *errstr, size_t errstr_size)
{
    *out = NULL;
    storage *d = calloc(1, sizeof(*d));
    if (!d)
        abort();
    d->kind = st->kind;
    d->url = xstrdup(st->url);
    d->dir = xstrdup(st->dir);
    d->bucket = xstrdup(st->bucket);
    d->prefix = xstrdup(st->prefix);
    d->staging = xstrdup(st->staging);
    if (st->s3 && !(d->s3 = s3_client_dup(st->s3, errstr, errstr_size))) {
        storage_free(d);
        return -1;
    }
    *out = d;
    return 0;
}

void storage_free(storage *st)
{
    if (!st)
        return;
    s3_client_free(st->s3);
    free(st->url);
    free(st->dir);
    free(st->bucket);
    free(st->prefix);
    free(st->staging);
    free(st);
}

enum storage_kind storage_kind(const storage *st)
{
    return st->kind;
}

const char *storage_url(const storage *st)
{
    return st->url;
}

int storage_s3_access_get(const storage *st, storage_s3_access *out, char *errstr,
                          size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    if (st->kind != STORAGE_S3)
        return set_err(errstr, errstr_size, "'%s' is not an s3:// lake", st->url);
    s3_access a;
    if (s3_client_refresh(st->s3, errstr, errstr_size) != 0 ||
        s3_client_access(st->s3, st->bucket, &a, errstr, errstr_size) != 0)
        return -1;
    out->bucket = st->bucket;
    out->prefix = st->prefix;
    out->scheme = a.scheme;
    out->authority = a.authority;
    out->region = a.region;
    out->path_style = a.path_style;
    out->access_key = a.access_key;
    out->secret_key = a.secret_key;
    out->session_token = a.session_token;
    out->generation = a.generation;
    out->ca_file = a.ca_file;
    return 0;
}

const char *storage_local_dir(const storage *st)
{
    return st->kind == STORAGE_LOCAL ? st->dir : NULL;
}

const char *storage_staging_dir(const storage *st)
{
    return st->kind == STORAGE_S3 ? st->staging : NULL;
}

/* ------------------------------------------------------------------------
 * Local helpers
 * ------------------------------------------------------------------------ */

/* The folder part of path ("." if none), into out. */
static void dir_of(const char *path, buf *out)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        buf_puts(out, ".");
    else if (slash == path)
        buf_puts(out, "/");
    else
        buf_append(out, path, (size_t)(slash - path));
}

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* This process in temporary names: "<pid>-<token>", the token drawn once
 * per process, so a later process with the same pid (PID 1 of a restarted
 * container) can tell an earlier one's files from its own. */
static char instance[48];
static pthread_once_t instance_once = PTHREAD_ONCE_INIT;

static void make_instance(void)
{
    uint64_t t = (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)mono_ns() * 31;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        uint64_t r = 0;
        if (fread(&r, sizeof(r), 1, f) == 1)
            t ^= r;
        fclose(f);
    }
    snprintf(instance, sizeof(instance), "%ld-%016llx", (long)getpid(), (unsigned long long)t);
}

static const char *this_instance(void)
{
    pthread_once(&instance_once, make_instance);
    return instance;
}

/* The "<pid>[-<token>]" part of a temporary name
 * ".tmp-<file>.<pid>[-<token>].<n>.partial" (the token since names carry
 * one) into pid and token (empty when absent); 0, or -1 when name is not
 * such a name. */
static int temp_owner(const char *name, long *pid, char *token, size_t token_size)
{
    size_t n = strlen(name);
    static const char suffix[] = ".partial";
    if (strncmp(name, ".tmp-", 5) != 0 || n < sizeof(suffix) - 1 + 5 ||
        strcmp(name + n - (sizeof(suffix) - 1), suffix) != 0)
        return -1;
    const char *end = name + n - (sizeof(suffix) - 1); /* at ".partial" */
    const char *p = end;
    while (p > name && p[-1] != '.') /* <n> */
        p--;
    if (p == end || p <= name + 5)
        return -1;
    const char *owner_end = p - 1; /* at the '.' before <n> */
    const char *q = owner_end;
    while (q > name && q[-1] != '.')
        q--;
    if (q == owner_end || q <= name + 5)
        return -1;
    char *stop;
    long v = strtol(q, &stop, 10);
    if (stop == q || v <= 0)
        return -1;
    token[0] = '\0';
    if (*stop == '-') {
        size_t len = (size_t)(owner_end - (stop + 1));
        if (len == 0 || len >= token_size)
            return -1;
        memcpy(token, stop + 1, len);
        token[len] = '\0';
    } else if (stop != owner_end) {
        return -1;
    }
    *pid = v;
    return 0;
}

int storage_temp_own(const char *name)
{
    long pid;
    char token[32];
    if (temp_owner(name, &pid, token, sizeof(token)) != 0 || pid != (long)getpid())
        return 0;
    const char *mine = strchr(this_instance(), '-') + 1;
    return strcmp(token, mine) == 0;
}

int storage_temp_orphaned(const char *name)
{
    long pid;
    char token[32];
    if (temp_owner(name, &pid, token, sizeof(token)) != 0)
        return 0;
    if (pid == (long)getpid())
        return !storage_temp_own(name); /* an earlier process with this pid */
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* A temporary name beside final: "<dir>/.tmp-<name>.<pid>-<token>.<n>.partial". */
static void temp_beside(const char *final, buf *out)
{
    buf d = {0};
    dir_of(final, &d);
    buf_printf(out, "%s/.tmp-%s.%s.%u.partial", d.data, base_of(final), this_instance(),
               atomic_fetch_add(&temp_counter, 1));
    buf_release(&d);
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Copies src into a new file at dst (which must not exist), fsynced. */
static int copy_to_new(const char *src, const char *dst, char *errstr, size_t errstr_size)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return set_err(errstr, errstr_size, "unable to open '%s': %s", src, strerror(errno));
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        int e = errno;
        close(in);
        return set_err(errstr, errstr_size, "unable to create '%s': %s", dst, strerror(e));
    }
    int rc = 0;
    char *b = malloc(1 << 20);
    if (!b)
        abort();
    for (;;) {
        ssize_t r = read(in, b, 1 << 20);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = set_err(errstr, errstr_size, "unable to read '%s': %s", src, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        if (write_all(out, b, (size_t)r) != 0) {
            rc = set_err(errstr, errstr_size, "unable to write '%s': %s", dst, strerror(errno));
            break;
        }
    }
    free(b);
    if (rc == 0 && fsync(out) != 0)
        rc = set_err(errstr, errstr_size, "unable to fsync '%s': %s", dst, strerror(errno));
    if (close(out) != 0 && rc == 0)
        rc = set_err(errstr, errstr_size, "unable to write '%s': %s", dst, strerror(errno));
    close(in);
    if (rc != 0)
        unlink(dst);
    return rc;
}

static int ensure_parent(const char *path, char *errstr, size_t errstr_size)
{
    buf d = {0};
    dir_of(path, &d);
    int rc = mkdir_p(d.data, errstr, errstr_size);
    buf_release(&d);
    return rc;
}

/* rename(from, to) then fsync to's folder; keeps errno of a failed rename. */
static int rename_sync(const char *from, const char *to, char *errstr, size_t errstr_size)
{
    if (rename(from, to) != 0) {
        int e = errno;
        set_err(errstr, errstr_size, "unable to rename '%s' to '%s': %s", from, to, strerror(e));
        errno = e;
        return -1;
    }
    buf d = {0};
    dir_of(to, &d);
    int rc = fsync_path(d.data, errstr, errstr_size);
    buf_release(&d);
    return rc;
}

/* ------------------------------------------------------------------------
 * Operations
 * ------------------------------------------------------------------------ */

int storage_temp_path(storage *st, const char *key, buf *out, char *errstr, size_t errstr_size)
{
    if (!storage_key_valid(key))
        return bad_key(key, errstr, errstr_size);
    buf_reset(out);
    if (st->kind == STORAGE_LOCAL) {
        buf final = {0};
        local_path(st, key, &final);
        int rc = ensure_parent(final.data, errstr, errstr_size);
        if (rc == 0)
            temp_beside(final.data, out);
        buf_release(&final);
        return rc;
    }
    if (mkdir_p(st->staging, errstr, errstr_size) != 0)
        return -1;
    buf_printf(out, "%s/.tmp-%s.%s.%u.partial", st->staging, base_of(key), this_instance(),
               atomic_fetch_add(&temp_counter, 1));
    return 0;
}

int storage_put_bytes(storage *st, const char *key, const void *data, size_t len, char *errstr,
                      size_t errstr_size)
{
    if (!storage_key_valid(key))
        return bad_key(key, errstr, errstr_size);
    if (st->kind == STORAGE_S3) {
        buf name = {0};
        s3_name(st, key, &name);
        int rc = s3_put(st->s3, st->bucket, name.data, data, len, errstr, errstr_size);
        buf_release(&name);
        return rc;
    }
    buf final = {0}, tmp = {0};
    local_path(st, key, &final);
    int rc = ensure_parent(final.data, errstr, errstr_size);
    if (rc == 0) {
        temp_beside(final.data, &tmp);
        int fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
            rc = set_err(errstr, errstr_size, "unable to create '%s': %s", tmp.data,
                         strerror(errno));
        } else {
            if (write_all(fd, data, len) != 0 || fsync(fd) != 0)
                rc = set_err(errstr, errstr_size, "unable to write '%s': %s", tmp.data,
                             strerror(errno));
            if (close(fd) != 0 && rc == 0)
                rc = set_err(errstr, errstr_size, "unable to write '%s': %s", tmp.data,
                             strerror(errno));
            if (rc == 0)
                rc = rename_sync(tmp.data, final.data, errstr, errstr_size);
            if (rc != 0)
                unlink(tmp.data);
        }
    }
    buf_release(&final);
    buf_release(&tmp);
    return rc;
}

int storage_put_file(storage *st, const char *key, const char *src_path, int flags, char *errstr,
                     size_t errstr_size)
{
    if (!storage_key_valid(key))
        return bad_key(key, errstr, errstr_size);
    int move = flags & STORAGE_MOVE;
    if (st->kind == STORAGE_S3) {
        buf name = {0};
        s3_name(st, key, &name);
        int rc = s3_put_file(st->s3, st->bucket, name.data, src_path, errstr, errstr_size);
        buf_release(&name);
        if (rc == 0 && move && unlink(src_path) != 0 && errno != ENOENT)
            LOG_WARN("storage: stored s3://%s/%s but could not remove '%s': %s", st->bucket, key,
                     src_path, strerror(errno));
        return rc;
    }
    buf final = {0}, tmp = {0};
    local_path(st, key, &final);
    int rc = ensure_parent(final.data, errstr, errstr_size);
    if (rc == 0 && move) {
        /* Make the bytes durable first, then the name. */
        rc = fsync_path(src_path, errstr, errstr_size);
        if (rc == 0) {
            rc = rename_sync(src_path, final.data, errstr, errstr_size);
            if (rc != 0 && errno == EXDEV)
                rc = 1; /* another file system: copy below */
        }
    }
    if (rc == 0 && move)
        goto done;
    if (rc == 1 || (rc == 0 && !move)) {
        temp_beside(final.data, &tmp);
        rc = copy_to_new(src_path, tmp.data, errstr, errstr_size);
        if (rc == 0)
            rc = rename_sync(tmp.data, final.data, errstr, errstr_size);
        if (rc != 0)
            unlink(tmp.data);
        if (rc == 0 && move && unlink(src_path) != 0 && errno != ENOENT)
            LOG_WARN("storage: stored '%s' but could not remove '%s': %s", final.data, src_path,
                     strerror(errno));
    }
done:
    buf_release(&final);
    buf_release(&tmp);
    return rc;
}

int storage_get_bytes(storage *st, const char *key, buf *out, char *errstr, size_t errstr_size)
{
    if (!storage_key_valid(key))
        return bad_key(key, errstr, errstr_size);
    if (st->kind == STORAGE_S3) {
        buf name = {0};
        s3_name(st, key, &name);
        int rc = s3_get(st->s3, st->bucket, name.data, out, errstr, errstr_size);
        buf_release(&name);
        return rc == S3_ENOENT ? STORAGE_ENOENT : rc;
    }
    buf path = {0};
    local_path(st, key, &path);
    int rc = 0;
    FILE *f = fopen(path.data, "rbe");
    if (!f) {
        rc = set_err(errstr, errstr_size, "unable to open '%s': %s", path.data, strerror(errno));
        if (errno == ENOENT || errno == ENOTDIR)
            rc = STORAGE_ENOENT;
    } else {
        if (read_stream(f, out) != 0)
            rc =
                set_err(errstr, errstr_size, "unable to read '%s': %s", path.data, strerror(errno));
        fclose(f);
    }
    buf_release(&path);
    return rc;
}

int storage_get_file(storage *st, const char *key, const char *dst_path, char *errstr,
                     size_t errstr_size)
{
    if (!storage_key_valid(key))
        return bad_key(key, errstr, errstr_size);
    if (st->kind == STORAGE_S3) {
        buf name = {0};
        s3_name(st, key, &name);
        int rc = s3_get_file(st->s3, st->bucket, name.data, dst_path, errstr, errstr_size);
        buf_release(&name);
        return rc == S3_ENOENT ? STORAGE_ENOENT : rc;
    }
    buf path = {0}, tmp = {0};
    local_path(st, key, &path);
    struct stat sb;
    int rc, e = 0;
    if (stat(path.data, &sb) != 0)
        e = errno;
    else if (!S_ISREG(sb.st_mode))
        e = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
    if (e) {
        rc = set_err(errstr, errstr_size, "unable to open '%s': %s", path.data, strerror(e));
        if (e == ENOENT || e == ENOTDIR)
            rc = STORAGE_ENOENT;
    } else {
        temp_beside(dst_path, &tmp);
        rc = copy_to_new(path.data, tmp.data, errstr, errstr_size);
        if (rc == 0)
            rc = rename_sync(tmp.data, dst_path, errstr, errstr_size);
        if (rc != 0)
            unlink(tmp.data);
    }
    buf_release(&path);
    buf_release(&tmp);
    return rc;
}

int storage_get_range(storage *st, const char *key, int64_t offset, int64_t len, buf *out,
                      char *errstr, size_t errstr_size)
{
    if (!storage_key_valid(key))
        return bad_key(key, errstr, errstr_size);
    if (st->kind == STORAGE_S3) {
        buf name = {0};
        s3_name(st, key, &name);
        int rc = s3_get_range(st->s3, st->bucket, name.data, offset, len, out, errstr, errstr_size);
        buf_release(&name);
        return rc == S3_ENOENT ? STORAGE_ENOENT : rc;
    }
    buf path = {0};
    local_path(st, key, &path);
    int rc = 0;
    int fd = open(path.data, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        rc = set_err(errstr, errstr_size, "unable to open '%s': %s", path.data, strerror(e));
        if (e == ENOENT || e == ENOTDIR)
            rc = STORAGE_ENOENT;
    } else {
        buf_reserve(out, (size_t)len);
        int64_t done = 0;
        while (done < len) {
            ssize_t r =
                pread(fd, out->data + out->len, (size_t)(len - done), (off_t)(offset + done));
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                rc = set_err(errstr, errstr_size, "unable to read '%s': %s", path.data,
                             strerror(errno));
                break;
            }
            if (r == 0)
                break;
            out->len += (size_t)r;
            done += r;
        }
        out->data[out->len] = '\0';
        close(fd);
    }
    buf_release(&path);
    return rc;
}

void storage_entry_release(storage_entry *e)
{
    if (!e)
        return;
    free(e->key);
    free(e->etag);
    memset(e, 0, sizeof(*e));
}

int storage_stat(storage *st, const char *key, storage_entry *out, char *errstr, size_t errstr_size)
{
    if (out)
        memset(out, 0, sizeof(*out));
    if (!storage_key_valid(key))
        return bad_key(key, errstr, errstr_size);
    if (st->kind == STORAGE_S3) {
        buf name = {0};
        s3_name(st, key, &name);
        s3_object o;
        int rc = s3_head(st->s3, st->bucket, name.data, &o, errstr, errstr_size);
        buf_release(&name);
        if (rc == 0 && out) {
            out->key = xstrdup(key);
            out->size = o.size;
            out->mtime_ns = o.mtime_ns;
            out->etag = o.etag ? xstrdup(o.etag) : NULL;
        }
        s3_object_release(&o);
        return rc == S3_ENOENT ? STORAGE_ENOENT : rc;
    }
    buf path = {0};
    local_path(st, key, &path);
    struct stat sb;
    int rc = 0;
    if (stat(path.data, &sb) != 0) {
        rc = set_err(errstr, errstr_size, "unable to stat '%s': %s", path.data, strerror(errno));
        if (errno == ENOENT || errno == ENOTDIR)
            rc = STORAGE_ENOENT;
    } else if (!S_ISREG(sb.st_mode)) {
        rc = set_err(errstr, errstr_size, "'%s' is not a file", path.data);
        rc = STORAGE_ENOENT;
    } else if (out) {
        out->key = xstrdup(key);
        out->size = (int64_t)sb.st_size;
        out->mtime_ns = (int64_t)sb.st_mtim.tv_sec * NS_PER_SEC + sb.st_mtim.tv_nsec;
    }
    buf_release(&path);
    return rc;
}

int storage_abort_uploads(storage *st, const char *dir, const char *name_prefix, int *aborted,
                          char *errstr, size_t errstr_size)
{
    *aborted = 0;
    if (st->kind != STORAGE_S3)
        return 0; /* a local lake has no incomplete uploads: temporary files stand for them */
    buf prefix = {0};
    s3_name(st, dir, &prefix);
    buf_puts(&prefix, "/");
    s3_uploads u = {0};
    int rc = s3_list_uploads(st->s3, st->bucket, prefix.data, &u, errstr, errstr_size);
    for (size_t i = 0; rc == 0 && i < u.n; i++) {
        const char *base = strrchr(u.v[i].key, '/');
        base = base ? base + 1 : u.v[i].key;
        if (strncmp(base, name_prefix, strlen(name_prefix)) != 0)
            continue;
        rc = s3_abort_upload(st->s3, st->bucket, u.v[i].key, u.v[i].upload_id, errstr, errstr_size);
        if (rc == 0)
            (*aborted)++;
    }
    s3_uploads_release(&u);
    buf_release(&prefix);
    return rc;
}

int storage_delete(storage *st, const char *key, char *errstr, size_t errstr_size)
{
    if (!storage_key_valid(key))
        return bad_key(key, errstr, errstr_size);
    if (st->kind == STORAGE_S3) {
        buf name = {0};
        s3_name(st, key, &name);
        int rc = s3_delete(st->s3, st->bucket, name.data, errstr, errstr_size);
        buf_release(&name);
        return rc;
    }
    buf path = {0}, d = {0};
    local_path(st, key, &path);
    int rc = 0;
    if (unlink(path.data) != 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            rc = set_err(errstr, errstr_size, "unable to delete '%s': %s", path.data,
                         strerror(errno));
    } else {
        dir_of(path.data, &d);
        rc = fsync_path(d.data, errstr, errstr_size);
    }
    buf_release(&path);
    buf_release(&d);
    return rc;
}

void storage_list_release(storage_listing *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->entries[i].key);
        free(l->entries[i].etag);
    }
    free(l->entries);
    l->entries = NULL;
    l->n = 0;
}

static storage_entry *list_push(storage_listing *l, size_t *cap)
{
    if (l->n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        l->entries = realloc(l->entries, *cap * sizeof(*l->entries));
        if (!l->entries)
            abort();
    }
    storage_entry *e = &l->entries[l->n++];
    memset(e, 0, sizeof(*e));
    return e;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const storage_entry *)a)->key, ((const storage_entry *)b)->key);
}

/* Lists the local folder rel (relative to the lake) into l; recursive walks
 * down into folders and lists files only. */
static int local_list(storage *st, const char *rel, int recursive, storage_listing *l, size_t *cap,
                      int depth, char *errstr, size_t errstr_size)
{
    buf dir = {0};
    local_path(st, rel, &dir);
    DIR *d = opendir(dir.data);
    if (!d) {
        int e = errno;
        buf_release(&dir);
        if (e == ENOENT || e == ENOTDIR)
            return 0;
        buf p = {0};
        local_path(st, rel, &p);
        set_err(errstr, errstr_size, "unable to list '%s': %s", p.data, strerror(e));
        buf_release(&p);
        return -1;
    }
    if (depth > 64) {
        closedir(d);
        set_err(errstr, errstr_size, "unable to list '%s': folders nested too deep", dir.data);
        buf_release(&dir);
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    buf path = {0}, key = {0};
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        buf_reset(&path);
        buf_printf(&path, "%s/%s", dir.data, de->d_name);
        struct stat sb;
        if (stat(path.data, &sb) != 0 || !(S_ISDIR(sb.st_mode) || S_ISREG(sb.st_mode)))
            continue;
        buf_reset(&key);
        storage_join(&key, rel, de->d_name);
        if (S_ISDIR(sb.st_mode) && recursive) {
            rc = local_list(st, key.data, 1, l, cap, depth + 1, errstr, errstr_size);
            if (rc != 0)
                break;
            continue;
        }
        storage_entry *e = list_push(l, cap);
        e->key = xstrdup(key.data);
        e->is_dir = S_ISDIR(sb.st_mode);
        e->size = e->is_dir ? 0 : (int64_t)sb.st_size;
        e->mtime_ns = (int64_t)sb.st_mtim.tv_sec * NS_PER_SEC + sb.st_mtim.tv_nsec;
    }
    closedir(d);
    buf_release(&path);
    buf_release(&key);
    buf_release(&dir);
    return rc;
}

static int s3_list_dir(storage *st, const char *dir, int recursive, storage_listing *l, size_t *cap,
                       char *errstr, size_t errstr_size)
{
    buf pre = {0};
    s3_name(st, dir, &pre);
    if (pre.len)
        buf_putc(&pre, '/');
    size_t root_len = strlen(st->prefix) ? strlen(st->prefix) + 1 : 0;
    s3_list_opts o = {.prefix = pre.data ? pre.data : "", .delimiter = recursive ? NULL : "/"};
    s3_listing res = {0};
    int rc = s3_list(st->s3, st->bucket, &o, &res, errstr, errstr_size);
    if (rc == 0) {
        for (size_t i = 0; i < res.nobjects; i++) {
            const char *k = res.objects[i].key;
            size_t n = strlen(k);
            if (n <= root_len || k[n - 1] == '/' || !storage_key_valid(k + root_len))
                continue; /* folder markers, and names no key can have */
            storage_entry *e = list_push(l, cap);
            e->key = xstrdup(k + root_len);
            e->size = res.objects[i].size;
            e->mtime_ns = res.objects[i].mtime_ns;
            e->etag = res.objects[i].etag ? xstrdup(res.objects[i].etag) : NULL;
        }
        for (size_t i = 0; i < res.nprefixes; i++) {
            const char *k = res.prefixes[i];
            size_t n = strlen(k);
            if (n <= root_len + 1)
                continue;
            char *name = strndup(k + root_len, n - root_len - (k[n - 1] == '/'));
            if (!name)
                abort();
            if (!storage_key_valid(name)) {
                free(name);
                continue;
            }
            storage_entry *e = list_push(l, cap);
            e->key = name;
            e->is_dir = 1;
        }
    }
    s3_listing_release(&res);
    buf_release(&pre);
    return rc == S3_ENOENT ? STORAGE_ENOENT : rc;
}

int storage_list(storage *st, const char *dir, int flags, storage_listing *out, char *errstr,
                 size_t errstr_size)
{
    out->entries = NULL;
    out->n = 0;
    if (!dir)
        dir = "";
    if (*dir && !storage_key_valid(dir))
        return bad_key(dir, errstr, errstr_size);
    size_t cap = 0;
    int recursive = flags & STORAGE_RECURSIVE;
    int rc = st->kind == STORAGE_LOCAL
                 ? local_list(st, dir, recursive, out, &cap, 0, errstr, errstr_size)
                 : s3_list_dir(st, dir, recursive, out, &cap, errstr, errstr_size);
    if (rc != 0) {
        storage_list_release(out);
        return rc;
    }
    if (out->n > 1)
        qsort(out->entries, out->n, sizeof(*out->entries), entry_cmp);
    return 0;
}
