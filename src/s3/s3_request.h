/* s3_request.h - the pure half of the S3 client's requests (s3.c sends them
 * with libcurl): where a request goes (URL with its query, Host, the
 * canonical path), the headers it sends, signed with SigV4, the Range of a
 * ranged GET, the queries of ListObjectsV2 and ListMultipartUploads pages,
 * multipart part sizes and the CompleteMultipartUpload and CreateBucket
 * bodies.
 *
 * Pure: no I/O and no clock (the caller passes the request time). Every
 * string argument is borrowed for the call; output goes to the caller's
 * buffers, and header lines, which hold the signature and the session token,
 * are the caller's to wipe (s3_buf_release_secret). */
#ifndef TICKLAKE_S3_REQUEST_H
#define TICKLAKE_S3_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "s3_creds.h"
#include "s3_sigv4.h"
#include "util.h"

#define S3_MIB (1024 * 1024)
#define S3_MIN_PART (5 * S3_MIB) /* the smallest part S3 takes (but the last) */
#define S3_MAX_PARTS 10000       /* the most parts of one upload */
#define S3_MAX_QUERY 7           /* query parameters of one request */
#define S3_MAX_HEADERS 7         /* header lines of one request */
#define S3_RANGE_SIZE 48         /* "first-last" of a Range header, with its NUL */

/* 0 when bucket is not empty and key (NULL for a bucket request) is not
 * empty; else -1 with errstr ("s3: empty bucket name", "s3: empty key in
 * bucket 'b'"). */
int s3_check_key(const char *bucket, const char *key, char *errstr, size_t errstr_size);

/* Where a request goes (s3_target): appends "scheme://host/path[?query]" to
 * url, the query canonical (s3_canonical_query: encoded, sorted), the Host
 * header value to host and the encoded path (the canonical URI) to path.
 * 0, or -1 with errstr when the addressing cannot be used. */
int s3_request_url(const s3_endpoint *ep, enum s3_addressing addressing, const char *bucket,
                   const char *key, const s3_kv *query, size_t nquery, buf *url, buf *host,
                   buf *path, char *errstr, size_t errstr_size);

/* What the headers of one request are made of. All borrowed. */
typedef struct s3_request {
    const char *method; /* "GET", "PUT", ... */
    const char *host;   /* the Host header value (s3_request_url) */
    const char *path;   /* the canonical URI (s3_request_url) */
    const s3_kv *query; /* raw names and values, as given to s3_request_url */
    size_t nquery;
    const char *payload_hash; /* hex SHA-256 of the body; NULL: no body (S3_EMPTY_SHA256) */
    const char *amz_date;     /* the request time, "YYYYMMDDTHHMMSSZ" (s3_amz_date) */
    const char *region;
    const char *access_key;
    const char *secret_key;
    const char *session_token; /* NULL: none */
} s3_request;

/* Fills lines[0..n) with the header lines of r and returns n: "Host: ...",
 * "x-amz-date: ...", "x-amz-content-sha256: ...", "x-amz-security-token: ..."
 * (with a session token only), "Authorization: AWS4-HMAC-SHA256 ..." (signing
 * host, x-amz-content-sha256, x-amz-date and the token), and "Content-Type:"
 * and "Accept:" (empty: curl sends neither). lines must be empty bufs. */
size_t s3_request_headers(const s3_request *r, buf lines[S3_MAX_HEADERS]);

/* The value of a ranged GET's Range header after "bytes=": len bytes from
 * offset, "offset-(offset+len-1)". 0, or -1 when offset < 0, len <= 0 or the
 * end overflows. */
int s3_range(int64_t offset, int64_t len, char out[S3_RANGE_SIZE]);
/* A server that ignores Range answers 200 with the whole object, appended to
 * out after its first base bytes: keeps only the len bytes from offset.
 * Nothing changes when out holds no more than len bytes after base. 0, or -1
 * when the object is shorter than offset + len. */
int s3_range_of_whole(buf *out, size_t base, int64_t offset, int64_t len);

/* The query of a ListObjectsV2 page into q (returns how many): list-type=2,
 * then prefix and delimiter when given and not empty, max-keys when > 0
 * (written into maxk), continuation-token when token is not NULL. */
size_t s3_list_query(s3_kv q[S3_MAX_QUERY], const char *prefix, const char *delimiter, int max_keys,
                     char maxk[24], const char *token);
/* The query of a ListMultipartUploads page into q (returns how many):
 * uploads, then prefix when given and not empty, key-marker and
 * upload-id-marker when not NULL. */
size_t s3_uploads_query(s3_kv q[S3_MAX_QUERY], const char *prefix, const char *key_marker,
                        const char *upload_id_marker);

/* The part size of a multipart upload of size bytes: part_size, or when that
 * would take more than S3_MAX_PARTS parts, the smallest whole number of MiB
 * that does not. part_size > 0. */
int64_t s3_part_size(int64_t size, int64_t part_size);
/* How many parts of part bytes hold size bytes (the last may be shorter). */
int64_t s3_part_count(int64_t size, int64_t part);
/* Where part i (0-based) of an upload of size bytes in parts of part bytes
 * lies: *off and *len. */
void s3_part_range(int64_t size, int64_t part, int64_t i, int64_t *off, int64_t *len);
/* Appends the CompleteMultipartUpload document of n parts, numbered from 1,
 * with etags[i] the ETag of part i + 1 (XML-escaped). */
void s3_complete_body(buf *out, char *const *etags, int64_t n);
/* Appends CreateBucket's body for region: nothing for us-east-1, else a
 * CreateBucketConfiguration with its LocationConstraint. */
void s3_create_bucket_body(buf *out, const char *region);

#endif
