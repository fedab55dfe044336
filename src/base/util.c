/* util.c - invariants, allocation, clocks, buffers, number formatting, strings and UTF-8,
 * durable file operations; see util.h. */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void tl_assert_failed(const char *cond, const char *file, int line, const char *func)
{
    fprintf(stderr, "%s:%d: %s: invariant failed: %s\n", file, line, func, cond);
    abort();
}

static _Noreturn void out_of_memory(size_t n)
{
    fprintf(stderr, "out of memory (%zu bytes)\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(count * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory(n);
    return q;
}

char *xstrdup(const char *s)
{
    return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *xprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        out_of_memory(strlen(fmt));
    return s;
}

void *array_grow(void *arr, size_t n, size_t elem)
{
    if (n == 0 || (n & (n - 1)) == 0)
        arr = xrealloc(arr, (n ? n * 2 : 1) * elem);
    return arr;
}

int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

void sleep_ns(int64_t ns)
{
    if (ns <= 0)
        return;
    struct timespec ts = {.tv_sec = ns / NS_PER_SEC, .tv_nsec = ns % NS_PER_SEC};
    nanosleep(&ts, NULL);
}

void buf_init(buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_release(buf *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reset(buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void buf_grow(buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        buf_append(b, small, (size_t)n);
        return;
    }
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* "00" to "99": two digits a division. */
static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

size_t fmt_int64(char out[FMT_INT64_SIZE], int64_t v)
{
    char tmp[FMT_INT64_SIZE];
    char *e = tmp + sizeof(tmp), *q = e;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    while (u >= 100) {
        const char *d = digit_pairs + 2 * (u % 100);
        u /= 100;
        *--q = d[1];
        *--q = d[0];
    }
    if (u >= 10) {
        *--q = digit_pairs[2 * u + 1];
        *--q = digit_pairs[2 * u];
    } else {
        *--q = (char)('0' + u);
    }
    if (v < 0)
        *--q = '-';
    size_t n = (size_t)(e - q);
    memcpy(out, q, n);
    out[n] = '\0';
    return n;
}

void buf_put_int64(buf *b, int64_t v)
{
    char tmp[FMT_INT64_SIZE];
    size_t n = fmt_int64(tmp, v);
    buf_append(b, tmp, n);
}

const double tl_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* nearbyint for |x| < 2^52 in the default rounding mode, inline: adding and
 * subtracting 2^52 leaves no bits below the units. */
static inline double round_small(double x)
{
    double r = (fabs(x) + 0x1p52) - 0x1p52;
    return copysign(r, x);
}

int double_short_decimal(double v, int64_t *mant, int *scale)
{
    if (!isfinite(v))
        return 0;
    if (fabs(v) < 1e6) {
        /* One multiplication instead of up to ten. If some k <= 9 round-trips
         * with mantissa d, then v * 10^9 is within 0.2 of d * 10^(9-k) (v's
         * error times 10^15 plus the product's rounding), so m is exactly that
         * and m / 10^9 is v; and if none does, neither does k = 9. Stripping
         * m's trailing zeros gives the fewest decimals. */
        double m = round_small(v * 1e9);
        if (m / 1e9 != v)
            return 0;
        int64_t im = (int64_t)m;
        int k = 9;
        while (k > 0 && im % 10 == 0) {
            im /= 10;
            k--;
        }
        *mant = im;
        *scale = k;
        return 1;
    }
    for (int k = 0; k <= 9; k++) {
        double m = nearbyint(v * tl_pow10[k]);
        if (!(fabs(m) < 1e15))
            return 0;
        if (m / tl_pow10[k] == v) {
            *mant = (int64_t)m;
            *scale = k;
            return 1;
        }
    }
    return 0;
}

void buf_put_json_str(buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    buf_reserve(b, n + 2);
    buf_putc(b, '"');
    size_t run = 0; /* s[run..i) needs no escape: copied in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        buf_append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
            buf_append(b, "\\\"", 2);
            break;
        case '\\':
            buf_append(b, "\\\\", 2);
            break;
        case '\n':
            buf_append(b, "\\n", 2);
            break;
        case '\r':
            buf_append(b, "\\r", 2);
            break;
        case '\t':
            buf_append(b, "\\t", 2);
            break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_append(b, esc, 6);
        }
        }
    }
    buf_append(b, s + run, n - run);
    buf_putc(b, '"');
}

void buf_put_base64(buf *b, const void *p, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *s = p;
    buf_reserve(b, (n + 2) / 3 * 4);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        char out[4] = {tbl[(v >> 18) & 63], tbl[(v >> 12) & 63],
                       i + 1 < n ? tbl[(v >> 6) & 63] : '=', i + 2 < n ? tbl[v & 63] : '='};
        buf_append(b, out, 4);
    }
}

size_t utf8_decode(const void *p, size_t n, uint32_t *cp_out)
{
    const unsigned char *s = p;
    if (n == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp_out = c;
        return 1;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    *cp_out = cp;
    return len;
}

int utf8_valid(const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) { /* the common case, without a call */
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (len == 0)
            return 0;
        i += len;
    }
    return 1;
}

size_t utf8_encode(uint32_t cp, char out[4])
{
    TL_ASSERT(cp <= 0x10FFFF);
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

int utf8_printable(const void *s, size_t n)
{
    const char *p = s;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = utf8_decode(p + i, n - i, &cp);
        if (len == 0 || cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
            return 0;
        i += len;
    }
    return 1;
}

void strv_push(char ***v, size_t *n, char *owned)
{
    *ARRAY_PUSH(*v, *n) = owned;
}

void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int str_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

void trim_blanks(const char **s, size_t *n)
{
    while (*n && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

size_t strlcpy_tl(char *dst, const char *src, size_t dstsz)
{
    size_t n = strlen(src);
    if (dstsz) {
        size_t m = n < dstsz - 1 ? n : dstsz - 1;
        memcpy(dst, src, m);
        dst[m] = '\0';
    }
    return n;
}

size_t strlcpy_utf8(char *dst, const char *src, size_t dstsz)
{
    size_t n = strlen(src);
    if (dstsz) {
        size_t m = n < dstsz - 1 ? n : dstsz - 1;
        if (m < n) /* back off over the continuation bytes and their lead */
            while (m > 0 && ((unsigned char)src[m] & 0xC0) == 0x80)
                m--;
        memcpy(dst, src, m);
        dst[m] = '\0';
    }
    return n;
}

int set_err(char *errstr, size_t errstr_size, const char *fmt, ...)
{
    if (errstr && errstr_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int mkdir_p(const char *path, char *errstr, size_t errstr_size)
{
    char tmp[PATH_MAX];
    if (strlcpy_tl(tmp, path, sizeof(tmp)) >= sizeof(tmp))
        return set_err(errstr, errstr_size, "path too long: '%s'", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return set_err(errstr, errstr_size, "unable to create directory '%s': %s", tmp,
                           strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return set_err(errstr, errstr_size, "unable to create directory '%s': %s", tmp,
                       strerror(errno));
    return 0;
}

int fsync_path(const char *path, char *errstr, size_t errstr_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return set_err(errstr, errstr_size, "unable to open '%s': %s", path, strerror(errno));
    int rc = fsync(fd);
    int err = errno;
    close(fd);
    if (rc != 0)
        return set_err(errstr, errstr_size, "unable to fsync '%s': %s", path, strerror(err));
    return 0;
}

int rename_durable(const char *from, const char *to, char *errstr, size_t errstr_size)
{
    if (rename(from, to) != 0)
        return set_err(errstr, errstr_size, "unable to rename '%s' to '%s': %s", from, to,
                       strerror(errno));
    char dir[PATH_MAX];
    strlcpy_tl(dir, to, sizeof(dir));
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    return fsync_path(dir, errstr, errstr_size);
}

int write_file_atomic(const char *path, const void *data, size_t len, char *errstr,
                      size_t errstr_size)
{
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) >= sizeof(tmp))
        return set_err(errstr, errstr_size, "path too long: '%s'", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return set_err(errstr, errstr_size, "unable to create '%s': %s", tmp, strerror(errno));
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int err = errno;
            close(fd);
            unlink(tmp);
            return set_err(errstr, errstr_size, "unable to write '%s': %s", tmp, strerror(err));
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int err = errno;
        unlink(tmp);
        return set_err(errstr, errstr_size, "unable to sync '%s': %s", tmp, strerror(err));
    }
    if (rename_durable(tmp, path, errstr, errstr_size) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int read_stream(FILE *f, buf *b)
{
    char chunk[65536];
    size_t n;
    buf_reserve(b, 0);
    b->data[b->len] = '\0';
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(b, chunk, n);
    return ferror(f) ? -1 : 0;
}

int read_file(const char *path, buf *b, char *errstr, size_t errstr_size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return set_err(errstr, errstr_size, "unable to open '%s': %s", path, strerror(errno));
    int bad = read_stream(f, b);
    fclose(f);
    if (bad)
        return set_err(errstr, errstr_size, "unable to read '%s'", path);
    return 0;
}

int path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int dir_entry_cmp(const void *a, const void *b)
{
    return strcmp(((const dir_entry *)a)->name, ((const dir_entry *)b)->name);
}

void dir_entries_free(dir_entry *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
}

int list_dir(const char *dir, dir_entry **out, size_t *n, char *errstr, size_t errstr_size)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return set_err(errstr, errstr_size, "unable to list '%s': %s", dir, strerror(errno));
    struct dirent *de;
    buf path = {0};
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        buf_reset(&path);
        buf_printf(&path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path.data, &st) != 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
            continue;
        dir_entry *e = ARRAY_PUSH(*out, *n);
        e->name = xstrdup(de->d_name);
        e->is_dir = S_ISDIR(st.st_mode);
        e->size = (int64_t)st.st_size;
        e->mtime_ns = (int64_t)st.st_mtim.tv_sec * NS_PER_SEC + st.st_mtim.tv_nsec;
    }
    closedir(d);
    buf_release(&path);
    if (*n > 1)
        qsort(*out, *n, sizeof(**out), dir_entry_cmp);
    return 0;
}

typedef struct unit_mult {
    const char *unit;
    double mult;
} unit_mult;

/* A non-negative number with one of n units (its multiplier applied, rounded); loose: the unit
 * in any case and after spaces, and the text must start with a digit. 0, or -1 if malformed or
 * past int64. */
static int parse_scaled(const char *s, const unit_mult *units, size_t n, int loose, int64_t *out)
{
    if (!s || !*s || (loose && !isdigit((unsigned char)*s)))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !isfinite(v) || v < 0)
        return -1;
    while (loose && *end == ' ')
        end++;
    for (size_t i = 0; i < n; i++)
        if ((loose ? strcasecmp(end, units[i].unit) : strcmp(end, units[i].unit)) == 0) {
            double x = v * units[i].mult;
            if (x > 9.2e18)
                return -1;
            *out = (int64_t)llround(x);
            return 0;
        }
    return -1;
}

int parse_duration(const char *s, int64_t *out_ns)
{
    static const unit_mult units[] = {{"", 1e9},     {"s", 1e9},    {"ms", 1e6},
                                      {"us", 1e3},   {"ns", 1},     {"m", 60e9},
                                      {"min", 60e9}, {"h", 3600e9}, {"d", 86400e9}};
    return parse_scaled(s, units, sizeof(units) / sizeof(units[0]), 0, out_ns);
}

int parse_size(const char *s, int64_t *out_bytes)
{
    static const unit_mult units[] = {{"", 1},
                                      {"b", 1},
                                      {"kb", 1e3},
                                      {"mb", 1e6},
                                      {"gb", 1e9},
                                      {"tb", 1e12},
                                      {"kib", 1024.0},
                                      {"mib", 1048576.0},
                                      {"gib", 1073741824.0},
                                      {"tib", 1099511627776.0}};
    return parse_scaled(s, units, sizeof(units) / sizeof(units[0]), 1, out_bytes);
}

int64_t floor_div(int64_t a, int64_t b)
{
    TL_ASSERT(b != 0);
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end != '\0' || end == s || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

uint64_t fnv1a_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 1099511628211ULL;
    return h;
}
