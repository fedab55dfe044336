/* storage.h - where the lake lives: one interface over a local directory and
 * an S3 bucket, chosen by the lake URL.
 *
 *   ./lake, lake, /abs/lake, file:///abs/lake   a local directory
 *   s3://bucket, s3://bucket/prefix               objects under prefix/ in bucket
 *
 * Objects are named by keys relative to the lake: '/'-separated, no leading
 * '/', no empty, "." or ".." segment (e.g. "trades/date=2024-05-01/x.parquet").
 * A key names a file under the directory, or the object "<prefix>/<key>".
 *
 * Durability: a put is all or nothing and is durable when it returns 0. The
 * local backend writes a temporary file beside the final name (".tmp-<name>.
 * <pid>.<n>.partial", which the crawler skips), fsyncs it, renames it into
 * place and fsyncs the directory; the S3 backend uses PutObject, or a
 * multipart upload for large files, which S3 makes visible only when complete.
 *
 * Errors: functions return 0 on success; STORAGE_ENOENT where noted when the
 * object (or bucket) does not exist; -1 otherwise, with a message in the
 * caller's errstr that names the path, or the bucket and key, and never a
 * secret. S3 requests are retried on server errors, throttling and network
 * failures (writes for up to 5 minutes by default), so a restarted S3 server
 * is waited for; an access error (403) fails at once.
 *
 * Threads: a storage handle serves one thread at a time; open one per thread. */
#ifndef TICKLAKE_STORAGE_H
#define TICKLAKE_STORAGE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define STORAGE_ENOENT (-2) /* no such object (or bucket) */

enum storage_kind { STORAGE_LOCAL, STORAGE_S3 };

/* How to reach S3, for s3:// URLs; ignored for local lakes. Every field may
 * be left zero/NULL for the default. Strings are copied by storage_open. */
typedef struct storage_options {
    const char *s3_endpoint;   /* --s3-endpoint "http://127.0.0.1:7070"; NULL: AWS_ENDPOINT_URL_S3,
                                  AWS_ENDPOINT_URL, the profile's endpoint_url, else AWS */
    const char *s3_region;     /* NULL: AWS_REGION, AWS_DEFAULT_REGION, the profile, us-east-1 */
    const char *s3_addressing; /* "path", "virtual" or "auto" (NULL) */
    const char *s3_profile;    /* NULL: AWS_PROFILE, else "default" */
    int64_t s3_write_retry_ns; /* 0: 300 s */
    int64_t s3_read_retry_ns;  /* 0: 60 s */
    int64_t s3_part_size;      /* 0: 8 MiB */
    int64_t s3_multipart_threshold; /* 0: 8 MiB */
    const char *staging_dir;  /* S3: where storage_temp_path puts files; NULL: $TMPDIR or /tmp */
    const atomic_int *cancel; /* optional, borrowed: when non-zero, S3 waits between retries
                                 end and the operation fails ("cancelled") */
    const atomic_int *cancel_also; /* optional, borrowed: a second flag that does the same */
} storage_options;

typedef struct storage storage;

/* Opens the lake at url (see the top of this file). A local lake's directory
 * is created if missing. For S3, credentials are resolved now (environment,
 * then ~/.aws files) but nothing is sent. opts may be NULL. On success *out
 * owns the handle (free with storage_free); 0, or -1 with errstr. */
int storage_open(storage **out, const char *url, const storage_options *opts, char *errstr,
                 size_t errstr_size);
/* A second handle on st's lake, for another thread: the same settings, and
 * for S3 st's credentials (s3_client_dup: refreshed first when due, not
 * looked up again) with a connection of its own. st must not be in use by
 * another thread during the call. 0, or -1 with errstr. */
int storage_dup(storage **out, storage *st, char *errstr, size_t errstr_size);
/* Frees the handle. Accepts NULL. */
void storage_free(storage *st);

enum storage_kind storage_kind(const storage *st);
/* The lake as a normalised URL-or-path, for messages: "/abs/lake", "lake",
 * "s3://bucket/prefix". Owned by st. */
const char *storage_url(const storage *st);
/* The local directory of a local lake (owned by st), NULL for S3. */
const char *storage_local_dir(const storage *st);
/* How an S3 lake is reached, for another S3 reader (DuckDB's httpfs): the
 * bucket and prefix, the resolved endpoint, region and addressing, and the
 * credentials of the chain storage_open resolved. Strings are borrowed from
 * st (valid while it is open); they include the secret key, so never print
 * them. */
typedef struct storage_s3_access {
    const char *bucket;
    const char *prefix;    /* no leading or trailing '/'; "" for the whole bucket */
    const char *scheme;    /* "http" or "https" */
    const char *authority; /* host[:port] of the endpoint */
    const char *region;
    int path_style; /* 1: path-style URLs; 0: virtual-host */
    const char *access_key;
    const char *secret_key;
    const char *session_token; /* NULL when none */
    uint64_t generation;       /* changes whenever the keys change (temporary ones refreshed) */
    const char *ca_file;       /* AWS_CA_BUNDLE, or NULL */
} storage_s3_access;
/* Refreshes temporary keys that are due first (s3_client_refresh), so the
 * keys handed out are current: compare generation to notice new ones.
 * 0, or -1 with errstr (a local lake, a bucket the addressing cannot reach,
 * or expired keys that could not be refreshed). */
int storage_s3_access_get(const storage *st, storage_s3_access *out, char *errstr,
                          size_t errstr_size);
/* The staging folder where storage_temp_path puts files of an S3 lake (owned
 * by st; it may not exist yet), NULL for a local lake. */
const char *storage_staging_dir(const storage *st);

/* 1 if key is a valid key (see above), else 0. */
int storage_key_valid(const char *key);
/* Appends a, '/', b to out, with exactly one '/' between them (either may be
 * empty, then no '/' is added). */
void storage_join(buf *out, const char *a, const char *b);
/* The location of key, for messages: "/abs/lake/k" or "s3://bucket/prefix/k". */
void storage_describe(const storage *st, const char *key, buf *out);

/* Writes len bytes as object key, atomically and durably. 0 or -1. */
int storage_put_bytes(storage *st, const char *key, const void *data, size_t len, char *errstr,
                      size_t errstr_size);

/* storage_put_file flags */
#define STORAGE_MOVE 1 /* the source file is consumed: renamed (local) or deleted once stored */

/* Stores the file at src_path as object key, atomically and durably. With
 * STORAGE_MOVE the source is removed, but only once the object is durable: on
 * any failure it is left in place, so nothing is lost. For the local backend a
 * move within one file system is a rename (make the file with
 * storage_temp_path to get that); otherwise the bytes are copied. 0 or -1. */
int storage_put_file(storage *st, const char *key, const char *src_path, int flags, char *errstr,
                     size_t errstr_size);

/* Sets out to a fresh local path where the bytes of object key can be
 * written before storage_put_file(..., STORAGE_MOVE): local lakes get a
 * temporary name beside the final one (its folder is created), S3 lakes one
 * in the staging directory. Nothing is created at the path itself. 0 or -1. */
int storage_temp_path(storage *st, const char *key, buf *out, char *errstr, size_t errstr_size);
/* Temporary names carry their process: ".tmp-<file>.<pid>-<token>.<n>.partial",
 * the token drawn once per process. storage_temp_own: 1 when name (a file
 * name, no folder) is this process's. storage_temp_orphaned: 1 when its
 * process is gone: another pid that no longer exists, or this pid with
 * another token (an earlier process that had it, as PID 1 of a restarted
 * container; names without a token, from before, count as such too). 0 for
 * names it cannot read and for live processes'. */
int storage_temp_own(const char *name);
int storage_temp_orphaned(const char *name);

/* Reads object key into out (appended). 0, STORAGE_ENOENT, or -1. */
int storage_get_bytes(storage *st, const char *key, buf *out, char *errstr, size_t errstr_size);
/* Copies object key to the local file dst_path (written under a temporary
 * name and renamed). 0, STORAGE_ENOENT, or -1. */
int storage_get_file(storage *st, const char *key, const char *dst_path, char *errstr,
                     size_t errstr_size);

/* Reads len bytes of object key from offset (S3: a ranged GET) and appends
 * them to out; fewer when the object ends sooner. 0, STORAGE_ENOENT, or -1. */
int storage_get_range(storage *st, const char *key, int64_t offset, int64_t len, buf *out,
                      char *errstr, size_t errstr_size);

/* An entry of a listing or the result of storage_stat. key is owned. */
typedef struct storage_entry {
    char *key;        /* relative to the lake; a folder has no trailing '/' */
    int is_dir;       /* a folder (local) or common prefix (S3) */
    int64_t size;     /* bytes; 0 for folders */
    int64_t mtime_ns; /* last modification; 0 for S3 folders */
    char *etag;       /* S3: the object's ETag as listed (quotes included), owned; NULL for
                         folders and local files */
} storage_entry;

/* Looks object key up. out (may be NULL) gets its size and mtime; release it
 * with storage_entry_release. 0, STORAGE_ENOENT, or -1. */
int storage_stat(storage *st, const char *key, storage_entry *out, char *errstr,
                 size_t errstr_size);
void storage_entry_release(storage_entry *e);

/* Deletes object key; a missing object is not an error. Local: unlink, then
 * fsync the folder. 0 or -1. */
int storage_delete(storage *st, const char *key, char *errstr, size_t errstr_size);

/* Aborts the incomplete multipart uploads (S3) of objects below folder dir
 * whose base name starts with name_prefix: what a killed writer of those
 * objects left. Only call it when no live writer of them can exist. A local
 * lake has none. *aborted gets the count. 0 or -1. */
int storage_abort_uploads(storage *st, const char *dir, const char *name_prefix, int *aborted,
                          char *errstr, size_t errstr_size);

typedef struct storage_listing {
    storage_entry *entries; /* sorted by key */
    size_t n;
} storage_listing;

/* storage_list flags */
#define STORAGE_RECURSIVE 1 /* every object below dir, no folders; else one level, with folders */

/* Lists the folder dir ("" for the lake's top) into out (replaced; release
 * with storage_list_release). Keys in the result are relative to the lake. A
 * missing folder lists as empty. Local entries that vanish while listing are
 * left out; symlinks are followed; only files and folders are listed. S3
 * objects whose names are not valid keys ("a//b", folder markers ending in
 * '/') are left out.
 * 0, or -1 (STORAGE_ENOENT when the S3 bucket does not exist). */
int storage_list(storage *st, const char *dir, int flags, storage_listing *out, char *errstr,
                 size_t errstr_size);
/* Frees the entries. Accepts NULL. */
void storage_list_release(storage_listing *l);

#endif
