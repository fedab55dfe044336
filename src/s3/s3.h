/* s3.h - an S3 client: object operations over libcurl with retries,
 * ListObjectsV2 paging and multipart uploads, signed with SigV4 and with AWS
 * credentials from the environment and the ~/.aws files. The only user of
 * libcurl in ticklake. Its parts, each with its own header in src/s3/:
 *   s3_hash.h   SHA-256, HMAC and secret wiping (the only user of libcrypto)
 *   s3_sigv4.h  SigV4 signing (pure)
 *   s3_xml.h    the XML reader and the S3 response documents (pure)
 *   s3_ini.h    the AWS INI files (pure)
 *   s3_creds.h  credentials (the AWS chain), region, endpoint and addressing
 *   s3_creds_fetch.h  STS, container and instance metadata requests, and
 *               credential_process runs, for the chain
 *   s3_request.h  the requests' URLs, signed headers, ranges, list queries and
 *               multipart bodies (pure)
 * This header includes them, so a caller of the client needs only s3.h.
 *
 * Errors: functions return 0 on success and -1 on failure with a message in
 * the caller's errstr; those that look an object up return S3_ENOENT when the
 * bucket or key does not exist. Messages name the bucket and key, e.g.
 *   s3: access denied to bucket 'b' key 'k' (403 SignatureDoesNotMatch: ...)
 * and never hold a secret key, a session token or a signature: no function
 * here prints or logs those (curl's verbose mode, which would, is never on).
 *
 * Retries: every request is retried with exponential backoff and jitter on
 * 5xx, 429 and SlowDown, 408 and RequestTimeout, connection errors and
 * timeouts, until its budget is spent (writes: 5 minutes by default, so a
 * restarted server is waited for; reads: 1 minute). Other 4xx fail at once.
 *
 * Credentials: temporary keys (STS, container, instance metadata,
 * credential_process with an Expiration) are refreshed before they expire;
 * when a refresh fails the current keys serve on and it is tried again
 * before the next request at least 10 s later (sooner only at their
 * expiry); an ExpiredToken answer fetches new ones and retries.
 *
 * TLS: AWS_CA_BUNDLE, when set, is the CA file of every request.
 *
 * Threads: one client serves one thread at a time; make one per thread. */
#ifndef TICKLAKE_S3_H
#define TICKLAKE_S3_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "s3_creds.h"
#include "s3_hash.h"
#include "s3_ini.h"
#include "s3_request.h"
#include "s3_sigv4.h"
#include "s3_xml.h"
#include "util.h"

#define S3_ENOENT (-2) /* the bucket or key does not exist */

typedef struct s3_config {
    const char *endpoint; /* "http://127.0.0.1:7070"; NULL: from the environment or profile,
                             else AWS */
    const char *region;   /* NULL: from the environment or profile, else "us-east-1" */
    enum s3_addressing addressing; /* AUTO: from the profile, else see S3_ADDRESSING_AUTO */
    const char *profile;           /* NULL: AWS_PROFILE, else "default" */
    const char *access_key;        /* with secret_key: used as given, nothing is read */
    const char *secret_key;
    const char *session_token;
    int64_t connect_timeout_ns;    /* default 10 s */
    int64_t stall_timeout_ns;      /* no byte moved for this long fails the attempt; default 30 s */
    int64_t write_retry_ns;        /* retry budget of writes; default 300 s; 0 = no retry */
    int64_t read_retry_ns;         /* retry budget of reads; default 60 s; 0 = no retry */
    int64_t backoff_min_ns;        /* default 100 ms */
    int64_t backoff_max_ns;        /* default 5 s */
    int64_t multipart_threshold;   /* files larger than this go multipart; default 8 MiB */
    int64_t part_size;             /* default 8 MiB; at least 5 MiB */
    const atomic_int *cancel;      /* optional: when non-zero, waits between retries end and
                                      the operation fails ("cancelled") */
    const atomic_int *cancel_also; /* optional: a second flag that does the same (a stage's
                                      stop and a writer's own) */
} s3_config;

/* Fills the defaults (every pointer NULL, the numbers above). */
void s3_config_init(s3_config *cfg);

typedef struct s3_client s3_client;

/* Makes a client: resolves credentials (see s3_credentials_load), region,
 * endpoint and addressing. cfg and its strings are copied. NULL with errstr
 * on failure. Free with s3_client_free. */
s3_client *s3_client_new(const s3_config *cfg, char *errstr, size_t errstr_size);
/* A second client like c: its settings and its keys, copied (no lookup in
 * the chain, which for temporary keys is a request or a process run: c's
 * are refreshed first when due, so the copy starts with current ones), and
 * a connection and statistics of its own. Keys from the chain stay
 * refreshable: each client refreshes its own when they fall due. c must not
 * be in use by another thread during the call. NULL with errstr (c's keys
 * expired and could not be refreshed). */
s3_client *s3_client_dup(s3_client *c, char *errstr, size_t errstr_size);
/* Frees the client, wiping the secrets. Accepts NULL. */
void s3_client_free(s3_client *c);

/* The resolved settings, for messages ("s3 http://127.0.0.1:7070 us-east-1 path"). */
const char *s3_client_endpoint(const s3_client *c);
const char *s3_client_region(const s3_client *c);

/* How the client reaches bucket, for handing to another S3 reader (DuckDB's
 * httpfs, through a secret): the endpoint, region, addressing as resolved
 * for this bucket, and the credentials. Strings are borrowed from c (valid
 * while it lives); they include the secret key, so never print them. */
typedef struct s3_access {
    const char *scheme;    /* "http" or "https" */
    const char *authority; /* host[:port] of the endpoint */
    const char *region;
    int path_style; /* 1: http://endpoint/bucket/key; 0: virtual-host */
    const char *access_key;
    const char *secret_key;
    const char *session_token; /* NULL when none */
    int64_t expires_s;         /* temporary keys: when they expire; 0: never */
    int64_t obtained_s;        /* when they were obtained */
    uint64_t generation;       /* changes whenever the client's keys change */
    const char *ca_file;       /* AWS_CA_BUNDLE, or NULL */
} s3_access;
/* 0, or -1 with errstr when bucket cannot be reached with the addressing. */
int s3_client_access(const s3_client *c, const char *bucket, s3_access *out, char *errstr,
                     size_t errstr_size);

/* Temporary keys from the chain are fetched again when due
 * (s3_creds_refresh_due) before every request; this does it now, for callers
 * that hand the keys on (s3_client_access). Keys that cannot be refreshed are
 * kept, with a warning, until they expire. 0, or -1 with errstr when they
 * have expired and no new ones could be had. */
int s3_client_refresh(s3_client *c, char *errstr, size_t errstr_size);

typedef struct s3_stats {
    int64_t requests; /* attempts sent */
    int64_t retries;  /* attempts that were retries */
    int64_t bytes_sent;
    int64_t bytes_received;
} s3_stats;
void s3_client_stats(const s3_client *c, s3_stats *out);

/* PutObject from memory. 0, or -1 with errstr. */
int s3_put(s3_client *c, const char *bucket, const char *key, const void *data, size_t len,
           char *errstr, size_t errstr_size);
/* Uploads the file at path, streaming it: one PutObject up to the multipart
 * threshold, else a multipart upload (aborted if it fails). The file must not
 * change meanwhile. 0, or -1 with errstr. */
int s3_put_file(s3_client *c, const char *bucket, const char *key, const char *path, char *errstr,
                size_t errstr_size);
/* GetObject into out (appended). 0, S3_ENOENT, or -1 with errstr. */
int s3_get(s3_client *c, const char *bucket, const char *key, buf *out, char *errstr,
           size_t errstr_size);
/* GetObject of len bytes from offset (a ranged GET; Range: bytes=offset-
 * offset+len-1) appended to out; fewer bytes when the object ends sooner.
 * 0, S3_ENOENT, or -1 with errstr. */
int s3_get_range(s3_client *c, const char *bucket, const char *key, int64_t offset, int64_t len,
                 buf *out, char *errstr, size_t errstr_size);
/* GetObject into the file at path, written under a temporary name in the
 * same folder and renamed when complete. 0, S3_ENOENT, or -1 with errstr. */
int s3_get_file(s3_client *c, const char *bucket, const char *key, const char *path, char *errstr,
                size_t errstr_size);
/* HeadObject. out (may be NULL) gets key, size, mtime and etag; release it
 * with s3_object_release. 0, S3_ENOENT, or -1 with errstr. */
int s3_head(s3_client *c, const char *bucket, const char *key, s3_object *out, char *errstr,
            size_t errstr_size);
/* DeleteObject. Deleting a missing key succeeds. 0, or -1 with errstr. */
int s3_delete(s3_client *c, const char *bucket, const char *key, char *errstr, size_t errstr_size);

typedef struct s3_list_opts {
    const char *prefix;    /* may be NULL */
    const char *delimiter; /* may be NULL; "/" lists one level */
    int max_keys;          /* per page; 0: the server's default (1000) */
} s3_list_opts;

/* ListObjectsV2, following continuation tokens until the end; every page is
 * appended to out (release with s3_listing_release). opts may be NULL.
 * 0, S3_ENOENT (no such bucket), or -1 with errstr. */
int s3_list(s3_client *c, const char *bucket, const s3_list_opts *opts, s3_listing *out,
            char *errstr, size_t errstr_size);

/* ListMultipartUploads under prefix (may be NULL), every page, appended to out
 * (release with s3_uploads_release). 0, or -1 with errstr. */
int s3_list_uploads(s3_client *c, const char *bucket, const char *prefix, s3_uploads *out,
                    char *errstr, size_t errstr_size);
/* AbortMultipartUpload; an upload that is gone already is not an error. 0 or -1. */
int s3_abort_upload(s3_client *c, const char *bucket, const char *key, const char *upload_id,
                    char *errstr, size_t errstr_size);

/* CreateBucket (in the client's region); an existing bucket of ours is fine.
 * For tests and set-up. 0, or -1 with errstr. */
int s3_create_bucket(s3_client *c, const char *bucket, char *errstr, size_t errstr_size);

#endif
