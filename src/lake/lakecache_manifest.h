/* lakecache_manifest.h - the manifest of an S3 lake's local cache
 * (lakecache.h): for each cached key, the object's size, LastModified and
 * ETag as listed, and how much of it is local; its text form
 * (manifest.tsv); and the pure decisions the cache makes from it: whether a
 * cached copy is still good, and how much of a Parquet file's end holds its
 * footer.
 *
 * manifest.tsv has one line per key, sorted by key:
 *   state TAB size TAB mtime_ns TAB etag TAB key
 * state F (full), P (footer) or S (stub); etag "-" when unknown. A line that
 * does not read so (or whose key is not a valid storage key) is skipped when
 * loading: its object is fetched again, never trusted.
 *
 * A manifest owns its entries and their strings; pointers to entries are
 * valid until the next set or remove. Zero-initialised is empty. Pure. */
#ifndef TICKLAKE_LAKECACHE_MANIFEST_H
#define TICKLAKE_LAKECACHE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* How much of an object is local; each state holds what the ones below hold. */
enum {
    LAKECACHE_NONE = 0,   /* nothing (as a wish: leave the object alone) */
    LAKECACHE_STUB = 1,   /* no bytes: a sparse file of the object's size */
    LAKECACHE_FOOTER = 2, /* a Parquet file's footer: its last bytes, the rest sparse */
    LAKECACHE_FULL = 3    /* the whole object */
};

typedef struct lakecache_entry {
    char *key;
    int64_t size, mtime_ns;
    char *etag; /* "" when unknown */
    int state;  /* LAKECACHE_STUB .. LAKECACHE_FULL */
} lakecache_entry;

typedef struct lakecache_manifest {
    lakecache_entry *v; /* sorted by key (strcmp), keys unique */
    size_t n, cap;
} lakecache_manifest;

/* Frees every entry; m is left empty. */
void lakecache_manifest_clear(lakecache_manifest *m);
/* The entry of key, or NULL. */
lakecache_entry *lakecache_manifest_find(const lakecache_manifest *m, const char *key);
/* Adds or replaces the entry of key (kept in order). etag NULL means "". */
void lakecache_manifest_set(lakecache_manifest *m, const char *key, int64_t size, int64_t mtime_ns,
                            const char *etag, int state);
/* Removes e, an entry of m. */
void lakecache_manifest_remove(lakecache_manifest *m, lakecache_entry *e);

/* Replaces m's entries with the lines of text[0..len) (above); bad lines are
 * skipped, and of a key listed twice the last line counts. */
void lakecache_manifest_parse(lakecache_manifest *m, const char *text, size_t len);
/* Appends the text form of m to out. Keys with a TAB or a line break cannot
 * be written (the cache never records them). */
void lakecache_manifest_format(const lakecache_manifest *m, buf *out);

/* 1 when the cached copy e serves an object listed with size, mtime_ns and
 * etag that needs state want: same size and time, the same ETag when both
 * are known, and at least that state; else 0 (fetch again). e may be NULL. */
int lakecache_entry_fresh(const lakecache_entry *e, int64_t size, int64_t mtime_ns,
                          const char *etag, int want);

/* How many bytes at the end of a Parquet object of size bytes hold its
 * footer, from tail, the object's last len bytes: the footer's length (the
 * 4 bytes before the closing "PAR1") plus 8. 0 when tail does not end a
 * Parquet file (shorter than 8 bytes, no "PAR1") or names a footer larger
 * than the object. */
int64_t lakecache_footer_need(const void *tail, size_t len, int64_t size);

#endif
