/* util.h - small helpers shared by every module: clocks, growable byte
 * buffers, formatting of numbers that must round-trip, and durable file
 * system operations. No dependency beyond libc. */
#ifndef TICKLAKE_UTIL_H
#define TICKLAKE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NS_PER_SEC 1000000000LL

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
void buf_reserve(buf *b, size_t extra);
void buf_append(buf *b, const void *p, size_t n);
void buf_puts(buf *b, const char *s);
void buf_putc(buf *b, char c);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends v in decimal. */
void buf_put_int64(buf *b, int64_t v);
/* Appends a double with the fewest digits (up to 17) that parse back to the
 * same value; NaN and infinities are written as null. */
void buf_put_double(buf *b, double v);
/* Appends s as a JSON string literal, quotes included. */
void buf_put_json_str(buf *b, const char *s, size_t n);

/* Appends the base64 (RFC 4648, padded) encoding of p[0..n) to b. */
void buf_put_base64(buf *b, const void *p, size_t n);
/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int utf8_valid(const void *s, size_t n);

/* Copies at most dstsz-1 bytes and always terminates; returns strlen(src). */
size_t strlcpy_tl(char *dst, const char *src, size_t dstsz);

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

/* Reads a whole stdio stream into b (appending). 0 or -1. */
int read_stream(FILE *f, buf *b);

/* Parses a duration such as "30", "30s", "500ms", "2m", "1h" into
 * nanoseconds. Returns 0 or -1 if malformed or negative. */
int parse_duration(const char *s, int64_t *out_ns);
/* Parses a whole base-10 integer within [min, max]. 0 or -1. */
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
