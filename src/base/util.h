/* util.h - small helpers shared by every module: invariant checks, allocation
 * that aborts on failure, clocks, growable byte buffers and arrays, formatting
 * of numbers that must round-trip, strings and UTF-8, and durable file system
 * operations. No dependency beyond libc. */
#ifndef TICKLAKE_UTIL_H
#define TICKLAKE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NS_PER_SEC 1000000000LL

/* TL_ASSERT(cond) states an invariant the code relies on: when cond is false,
 * the process prints the condition and where it failed to stderr and aborts.
 * The checks are on unless NDEBUG is defined. The Makefile never defines it:
 * every build (release, unit tests, sanitizers, fuzzing) checks them, so only
 * cheap conditions belong in a TL_ASSERT, never one with side effects. */
#ifdef NDEBUG
#define TL_ASSERT(cond) ((void)sizeof(!(cond)))
#else
#define TL_ASSERT(cond) ((cond) ? (void)0 : tl_assert_failed(#cond, __FILE__, __LINE__, __func__))
#endif
_Noreturn void tl_assert_failed(const char *cond, const char *file, int line, const char *func);

/* Allocation. These abort the process with a message when memory runs out,
 * as buf does: they hold names, metadata and records, never user-sized data
 * without bound, and no caller could go on without them. A size of 0
 * allocates one byte, so the result is never NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* A copy of s; NULL gives NULL. */
char *xstrdup(const char *s);
/* A NUL-terminated copy of s[0..n). */
char *xstrndup(const char *s, size_t n);
/* The formatted string, allocated. */
char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Arrays grown one element at a time keep a power-of-two capacity implied by
 * their length, so only the length is stored. array_grow returns arr (of n
 * elements of elem bytes) with room for one more. */
void *array_grow(void *arr, size_t n, size_t elem);
/* Appends a zeroed element to arr (length n, incremented) and yields a
 * pointer to it. arr and n are evaluated more than once. */
#define ARRAY_PUSH(arr, n)                                                                         \
    ((arr) = array_grow((arr), (n), sizeof(*(arr))), memset(&(arr)[(n)], 0, sizeof(*(arr))),       \
     &(arr)[(n)++])

/* Wall-clock time in nanoseconds since the Unix epoch (UTC). */
int64_t now_ns(void);
/* Monotonic time in nanoseconds, for intervals and deadlines. */
int64_t mono_ns(void);
/* Sleeps for ns nanoseconds (returns early on a signal). */
void sleep_ns(int64_t ns);

/* A growable byte buffer, always NUL-terminated. Zero-initialise, or use
 * buf_init(); buf_release() frees the contents and leaves it empty and usable.
 * Allocation failure aborts: these buffers hold records and rows, not
 * user-sized data without bound. */
typedef struct buf {
    char *data;
    size_t len;
    size_t cap;
} buf;

void buf_init(buf *b);
void buf_release(buf *b);
void buf_reset(buf *b); /* length to 0, keeps the memory */
/* Grows b to hold extra more bytes and the NUL; buf_reserve's slow path. */
void buf_grow(buf *b, size_t extra);

/* The appends are inline: records are written a few bytes at a time, and a
 * call per byte or member name was a tenth of encoding a trade. */
static inline void buf_reserve(buf *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap)
        buf_grow(b, extra);
}

static inline void buf_append(buf *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static inline void buf_puts(buf *b, const char *s)
{
    buf_append(b, s, strlen(s)); /* strlen of a literal is folded */
}

static inline void buf_putc(buf *b, char c)
{
    buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends v in decimal. */
void buf_put_int64(buf *b, int64_t v);
/* v in decimal into out, NUL-terminated (as "%lld", without printf's cost);
 * returns the length. */
#define FMT_INT64_SIZE 24

/* FNV-1a over n bytes of p, continuing from h (start from FNV1A_BASIS). */
#define FNV1A_BASIS 14695981039346656037ULL
uint64_t fnv1a_bytes(uint64_t h, const void *p, size_t n);
/* SplitMix64's finalizer: every bit of x mixed into every bit of the result
 * (hash-table keys, a random stream from a counter). */
uint64_t mix64(uint64_t x);
size_t fmt_int64(char out[FMT_INT64_SIZE], int64_t v);
/* Exact powers of ten as doubles: 10^0 to 10^22, the last a double holds. */
extern const double tl_pow10[23];
/* The fewest decimals k (0 to 9) and the mantissa m, |m| < 10^15, with
 * m / 10^k (one correctly rounded division of exact doubles) equal to v:
 * 1 and *mant, *scale; 0 when v needs more (or is not finite). Such a
 * decimal of at most 15 significant digits is what "%.15g" writes, trailing
 * zeros aside: prices and sizes found without printf and strtod. */
int double_short_decimal(double v, int64_t *mant, int *scale);
/* Appends s as a JSON string literal, quotes included. */
void buf_put_json_str(buf *b, const char *s, size_t n);

/* Appends the base64 (RFC 4648, padded) encoding of p[0..n) to b. */
void buf_put_base64(buf *b, const void *p, size_t n);
/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int utf8_valid(const void *s, size_t n);
/* Decodes the well-formed UTF-8 sequence at the start of s[0..n) into *cp and
 * returns its length (1..4); 0 when s does not start with one (n == 0, an
 * overlong form, a surrogate, beyond U+10FFFF, or cut short). */
size_t utf8_decode(const void *s, size_t n, uint32_t *cp);
/* Writes code point cp (at most U+10FFFF) as UTF-8 into out and returns the
 * number of bytes (1..4). */
size_t utf8_encode(uint32_t cp, char out[4]);
/* 1 if s[0..n) is printable UTF-8: well-formed (as utf8_decode) and without
 * control characters (C0, DEL, C1); 1 for n == 0. */
int utf8_printable(const void *s, size_t n);

/* Arrays of owned strings: appends owned to v (length n, incremented); frees
 * the n strings of v and v (accepts NULL). */
void strv_push(char ***v, size_t *n, char *owned);
void strv_free(char **v, size_t n);

/* 1 if s ends with suffix. */
int str_ends_with(const char *s, const char *suffix);
/* Narrows s[0..n) to leave out the spaces and tabs around it. */
void trim_blanks(const char **s, size_t *n);

/* Copies at most dstsz-1 bytes and always terminates; returns strlen(src). */
size_t strlcpy_tl(char *dst, const char *src, size_t dstsz);
/* As strlcpy_tl, but a cut never falls inside a UTF-8 sequence: when src does
 * not fit, the copy ends before the character that would be split, so valid
 * UTF-8 stays valid. Returns strlen(src). */
size_t strlcpy_utf8(char *dst, const char *src, size_t dstsz);

/* Writes a formatted message into errstr (errstr_size bytes) and returns -1,
 * for the `return set_err(errstr, n, "...")` idiom. */
int set_err(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Creates a directory and its parents (mode 0755). 0 or -1 with errstr. */
int mkdir_p(const char *path, char *errstr, size_t errstr_size);
/* fsyncs the file at path (opened read-only). 0 or -1 with errstr. */
int fsync_path(const char *path, char *errstr, size_t errstr_size);
/* rename(from, to), then fsync the directory holding `to`, so the new name
 * survives a crash. 0 or -1 with errstr. */
int rename_durable(const char *from, const char *to, char *errstr, size_t errstr_size);
/* Writes data to path atomically: temp file, fsync, rename, fsync dir. */
int write_file_atomic(const char *path, const void *data, size_t len, char *errstr,
                      size_t errstr_size);
/* Reads a whole file into b (appending). 0 or -1 with errstr. */
int read_file(const char *path, buf *b, char *errstr, size_t errstr_size);
/* 1 if something exists at path (symlinks followed). */
int path_exists(const char *path);

/* An entry of a local folder. */
typedef struct dir_entry {
    char *name; /* owned */
    int is_dir;
    int64_t size;
    int64_t mtime_ns;
} dir_entry;
/* Lists folder dir into *out (files and folders, symlinks followed, other
 * kinds left out, as are entries that vanish while listing), sorted by name;
 * free with dir_entries_free. 0, or -1 with errstr when dir cannot be opened. */
int list_dir(const char *dir, dir_entry **out, size_t *n, char *errstr, size_t errstr_size);
/* Frees the n entries of v and v. Accepts NULL. */
void dir_entries_free(dir_entry *v, size_t n);

/* Reads a whole stdio stream into b (appending). 0 or -1. */
int read_stream(FILE *f, buf *b);

/* Parses a duration such as "30", "30s", "500ms", "2m", "1h" into
 * nanoseconds. Returns 0 or -1 if malformed or negative. */
int parse_duration(const char *s, int64_t *out_ns);
/* Parses a size such as "512MB", "2GB", "2GiB", "1.5 TB" or "1048576" (bytes)
 * into bytes: KB, MB, GB, TB are powers of 1000, KiB, MiB, GiB, TiB of 1024
 * (any case). Returns 0, or -1 if malformed, negative or past int64. */
int parse_size(const char *s, int64_t *out_bytes);
/* a / b rounded towards negative infinity (b != 0). */
int64_t floor_div(int64_t a, int64_t b);
/* Parses a whole base-10 integer within [min, max]. 0 or -1. */
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
