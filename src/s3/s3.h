/* s3.h - an S3 client: SigV4 signing, object operations over libcurl with
 * retries, ListObjectsV2 paging, multipart uploads, and AWS credentials from
 * the environment and the ~/.aws files. The only user of libcurl and of
 * libcrypto in ticklake.
 *
 * The file has two halves. The pure half does no I/O and is unit-tested
 * against the AWS documentation's published examples: URI encoding, the SigV4
 * canonical request, string to sign and signature, a small XML reader for S3
 * response documents, and the INI reader for ~/.aws/credentials and config.
 * The client half sends requests.
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
 * Threads: one client serves one thread at a time; make one per thread. */
#ifndef TICKLAKE_S3_H
#define TICKLAKE_S3_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define S3_ENOENT (-2) /* the bucket or key does not exist */

#define S3_SHA256_HEX_SIZE 65 /* 64 hex digits + NUL */
#define S3_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define S3_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define S3_AMZ_DATE_SIZE 17 /* "YYYYMMDDTHHMMSSZ" + NUL */

/* ------------------------------------------------------------------------
 * Pure: hashing, encoding, SigV4
 * ------------------------------------------------------------------------ */

/* Lower-case hex SHA-256 of data. */
void s3_sha256_hex(const void *data, size_t len, char out[S3_SHA256_HEX_SIZE]);

/* Formats unix seconds as the x-amz-date value "YYYYMMDDTHHMMSSZ" (UTC). */
void s3_amz_date(int64_t unix_s, char out[S3_AMZ_DATE_SIZE]);

/* Appends n bytes of s URI-encoded as SigV4 requires: every byte outside
 * A-Z a-z 0-9 - . _ ~ becomes %XX with upper-case hex. '/' is kept when
 * keep_slash (object keys in paths) and encoded otherwise (query names and
 * values). UTF-8 is encoded byte by byte; nothing is normalised. */
void s3_uri_encode(buf *out, const char *s, size_t n, int keep_slash);

/* A name and a value, both borrowed. */
typedef struct s3_kv {
    const char *name;
    const char *value;
} s3_kv;

/* Everything SigV4 signs. All strings are borrowed. */
typedef struct s3_sign_input {
    const char *method;        /* "GET", "PUT", ... */
    const char *canonical_uri; /* the encoded path, e.g. "/bucket/a%20b" */
    const s3_kv *query;        /* raw (unencoded) names and values, any order */
    size_t nquery;
    const s3_kv *headers; /* the headers to sign, names in any case; must include host */
    size_t nheaders;
    const char *payload_hash; /* hex SHA-256 of the body, or S3_UNSIGNED_PAYLOAD */
    const char *amz_date;     /* the x-amz-date value, "YYYYMMDDTHHMMSSZ" */
    const char *region;       /* "us-east-1" */
    const char *service;      /* "s3" */
    const char *access_key;
    const char *secret_key;
} s3_sign_input;

/* Appends the canonical query string: names and values encoded, sorted by
 * name then value, joined with '&' ("" when there is none). */
void s3_canonical_query(buf *out, const s3_kv *query, size_t n);
/* Appends the canonical request (method, URI, query, headers, signed header
 * names, payload hash; lines joined with '\n'). */
void s3_canonical_request(buf *out, const s3_sign_input *in);
/* Appends "host;x-amz-date;..." - the signed header names, sorted. */
void s3_signed_headers(buf *out, const s3_sign_input *in);
/* Appends the string to sign: algorithm, date, scope, canonical request hash. */
void s3_string_to_sign(buf *out, const s3_sign_input *in);
/* The signature: HMAC-SHA256 of the string to sign with the derived key. */
void s3_signature(const s3_sign_input *in, char out[S3_SHA256_HEX_SIZE]);
/* Appends the Authorization header value
 * "AWS4-HMAC-SHA256 Credential=AK/scope,SignedHeaders=...,Signature=...". */
void s3_authorization(buf *out, const s3_sign_input *in);

/* ------------------------------------------------------------------------
 * Pure: XML responses
 * ------------------------------------------------------------------------ */

enum s3_xml_event {
    S3_XML_START, /* an element opens; text is NULL */
    S3_XML_END    /* an element closes; text holds its own character data, decoded */
};

/* Called for each event. name is the local name (any "ns:" prefix removed),
 * depth is 1 for the root element. Return 0 to go on, non-zero to stop. */
typedef int (*s3_xml_cb)(void *ctx, enum s3_xml_event ev, const char *name, const char *text,
                         size_t text_len, int depth);

/* Walks an XML document: elements, attributes (skipped), character data with
 * the five named entities and numeric references, CDATA, comments and the
 * XML declaration. DOCTYPE is refused, nesting is limited to 32 levels.
 * Returns 0, or -1 with errstr on malformed input (or when cb stops it). */
int s3_xml_walk(const char *xml, size_t len, s3_xml_cb cb, void *ctx, char *errstr,
                size_t errstr_size);

/* An object in a bucket. key and etag are owned (malloc'd). */
typedef struct s3_object {
    char *key;
    int64_t size;
    int64_t mtime_ns; /* LastModified, ns since the epoch; 0 if unknown */
    char *etag;       /* as the server sent it, quotes included; may be NULL */
} s3_object;

/* One ListObjectsV2 page, or (from s3_list) every page together. Owns all. */
typedef struct s3_listing {
    s3_object *objects;
    size_t nobjects;
    char **prefixes; /* CommonPrefixes, when a delimiter was given */
    size_t nprefixes;
    int truncated;    /* IsTruncated (of the last page) */
    char *next_token; /* NextContinuationToken, or NULL */
    int pages;        /* pages read (s3_list) */
} s3_listing;

/* Frees the contents; the listing is left empty. Accepts NULL. */
void s3_listing_release(s3_listing *l);

/* Parses a ListBucketResult document, appending its objects and prefixes to
 * out and setting truncated and next_token. 0, or -1 with errstr (malformed,
 * another root element, a Contents without Key, a bad Size or date). */
int s3_parse_list(const char *xml, size_t len, s3_listing *out, char *errstr, size_t errstr_size);

/* An incomplete multipart upload (ListMultipartUploads). Strings owned. */
typedef struct s3_upload {
    char *key;
    char *upload_id;
    int64_t initiated_ns; /* 0 if not given */
} s3_upload;

typedef struct s3_uploads {
    s3_upload *v;
    size_t n;
    int truncated;
    char *next_key_marker, *next_upload_id_marker;
} s3_uploads;

/* Frees the contents; the list is left empty. Accepts NULL. */
void s3_uploads_release(s3_uploads *u);
/* Parses a ListMultipartUploadsResult page, appending its uploads to out and
 * setting truncated and the markers. 0, or -1 with errstr (malformed, another
 * root, an Upload without Key or UploadId, a bad Initiated date). */
int s3_parse_uploads(const char *xml, size_t len, s3_uploads *out, char *errstr,
                     size_t errstr_size);

/* An S3 <Error> document, cut to fit. */
typedef struct s3_error_doc {
    char code[64];
    char message[256];
    char region[64]; /* <Region>, sent with some redirects */
} s3_error_doc;

/* Parses an <Error> document. 0 when xml is one (fields filled, missing ones
 * empty), -1 otherwise (out cleared). */
int s3_parse_error(const char *xml, size_t len, s3_error_doc *out);

/* Finds the text of the first element at path under the root, e.g.
 * "InitiateMultipartUploadResult/UploadId", and appends it to out.
 * 1 found, 0 not found, -1 with errstr when malformed. */
int s3_xml_find(const char *xml, size_t len, const char *path, buf *out, char *errstr,
                size_t errstr_size);

/* Parses an ISO 8601 UTC time such as "2009-10-12T17:50:30.000Z" into ns
 * since the epoch. 0 or -1. */
int s3_parse_iso8601(const char *s, size_t n, int64_t *out_ns);

/* ------------------------------------------------------------------------
 * Pure: AWS INI files (~/.aws/credentials, ~/.aws/config)
 * ------------------------------------------------------------------------ */

typedef struct s3_ini_entry {
    char *section; /* as written inside [], inner spaces collapsed: "profile prod" */
    char *key;     /* lower-case; a nested key is "parent.key", e.g. "s3.addressing_style" */
    char *value;   /* trimmed */
    int line;
} s3_ini_entry;

typedef struct s3_ini {
    s3_ini_entry *entries;
    size_t nentries;
    char **sections; /* every [section] seen, even empty ones */
    size_t nsections;
} s3_ini;

/* Parses INI text: [section] lines, "key = value" (or "key: value") lines,
 * full-line comments starting with '#' or ';', blank lines, and indented
 * "sub = value" lines under a key with an empty value (nested settings, as the
 * AWS CLI's "s3 =" block). Errors read "path:line: message". 0 or -1. */
int s3_ini_parse(const char *text, size_t len, const char *path, s3_ini *out, char *errstr,
                 size_t errstr_size);
/* The value of key in section (the last one if repeated), or NULL. */
const char *s3_ini_get(const s3_ini *ini, const char *section, const char *key);
/* 1 if [section] appears, else 0. */
int s3_ini_has_section(const s3_ini *ini, const char *section);
/* Frees the contents, wiping the values (they may be secrets). Accepts NULL. */
void s3_ini_release(s3_ini *ini);

/* ------------------------------------------------------------------------
 * Credentials
 * ------------------------------------------------------------------------ */

/* What s3_credentials_load found. Strings are owned; NULL when not set. */
typedef struct s3_credentials {
    char *access_key;
    char *secret_key;
    char *session_token;
    char *region;     /* AWS_REGION, AWS_DEFAULT_REGION, or the profile's region */
    char *endpoint;   /* AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, or the profile's endpoint_url */
    char *addressing; /* the profile's s3.addressing_style ("path", "virtual", "auto") */
    char source[512]; /* where the keys came from, for messages; never a secret */
} s3_credentials;

/* A getenv-like function, so tests can pass their own environment. */
typedef const char *(*s3_getenv_fn)(const char *name);

/* Resolves credentials as the AWS CLI does. The profile is `profile` if not
 * NULL, else AWS_PROFILE, else "default". Unless a profile was passed,
 * AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN) win; then
 * the profile's aws_access_key_id / aws_secret_access_key / aws_session_token
 * from the credentials file (AWS_SHARED_CREDENTIALS_FILE, else
 * $HOME/.aws/credentials, section [name]) and then the config file
 * (AWS_CONFIG_FILE, else $HOME/.aws/config, section [profile name] or
 * [default]). Missing files are fine; a syntax error is reported as
 * "path:line: ...". A named profile found in neither file is an error, and
 * so is finding no keys at all. env may be NULL for getenv.
 * 0, or -1 with errstr (out is then released). */
int s3_credentials_load(s3_credentials *out, const char *profile, s3_getenv_fn env, char *errstr,
                        size_t errstr_size);
/* Frees the contents, wiping the secrets. Accepts NULL. */
void s3_credentials_release(s3_credentials *c);

/* ------------------------------------------------------------------------
 * Endpoints and addressing (pure)
 * ------------------------------------------------------------------------ */

enum s3_addressing {
    S3_ADDRESSING_AUTO = 0, /* virtual for AWS and DNS-safe bucket names without dots, else path */
    S3_ADDRESSING_PATH,     /* http://endpoint/bucket/key */
    S3_ADDRESSING_VIRTUAL   /* http://bucket.endpoint/key */
};

/* "auto", "path" or "virtual" (NULL or "" is auto). 0 or -1. */
int s3_parse_addressing(const char *s, enum s3_addressing *out);

/* A parsed endpoint URL. */
typedef struct s3_endpoint {
    char scheme[8];      /* "http" or "https" */
    char authority[300]; /* host[:port] as it goes into the Host header */
    int is_ip;           /* the host is an IP literal (virtual addressing impossible) */
    int is_aws;          /* the AWS default, s3.<region>.amazonaws.com */
} s3_endpoint;

/* Parses "http(s)://host[:port][/]". url NULL or "" means AWS:
 * https://s3.<region>.amazonaws.com. 0 or -1 with errstr. */
int s3_endpoint_parse(const char *url, const char *region, s3_endpoint *out, char *errstr,
                      size_t errstr_size);

/* Where a request for bucket/key goes: appends the Host header value to host,
 * the encoded path (also the canonical URI) to path, and "scheme://host" to
 * base. key may be NULL (a bucket request). 0, or -1 with errstr when virtual
 * addressing cannot be used for this bucket or endpoint. */
int s3_target(const s3_endpoint *ep, enum s3_addressing addressing, const char *bucket,
              const char *key, buf *base, buf *host, buf *path, char *errstr, size_t errstr_size);

/* ------------------------------------------------------------------------
 * The client
 * ------------------------------------------------------------------------ */

typedef struct s3_config {
    const char *endpoint; /* "http://127.0.0.1:7070"; NULL: from the environment or profile,
                             else AWS */
    const char *region;   /* NULL: from the environment or profile, else "us-east-1" */
    enum s3_addressing addressing; /* AUTO: from the profile, else see S3_ADDRESSING_AUTO */
    const char *profile;           /* NULL: AWS_PROFILE, else "default" */
    const char *access_key;        /* with secret_key: used as given, nothing is read */
    const char *secret_key;
    const char *session_token;
    int64_t connect_timeout_ns;  /* default 10 s */
    int64_t stall_timeout_ns;    /* no byte moved for this long fails the attempt; default 30 s */
    int64_t write_retry_ns;      /* retry budget of writes; default 300 s; 0 = no retry */
    int64_t read_retry_ns;       /* retry budget of reads; default 60 s; 0 = no retry */
    int64_t backoff_min_ns;      /* default 100 ms */
    int64_t backoff_max_ns;      /* default 5 s */
    int64_t multipart_threshold; /* files larger than this go multipart; default 8 MiB */
    int64_t part_size;           /* default 8 MiB; at least 5 MiB */
    const atomic_int *cancel;    /* optional: when non-zero, waits between retries end and
                                    the operation fails ("cancelled") */
} s3_config;

/* Fills the defaults (every pointer NULL, the numbers above). */
void s3_config_init(s3_config *cfg);

typedef struct s3_client s3_client;

/* Makes a client: resolves credentials (see s3_credentials_load), region,
 * endpoint and addressing. cfg and its strings are copied. NULL with errstr
 * on failure. Free with s3_client_free. */
s3_client *s3_client_new(const s3_config *cfg, char *errstr, size_t errstr_size);
/* Frees the client, wiping the secrets. Accepts NULL. */
void s3_client_free(s3_client *c);

/* The resolved settings, for messages ("s3 http://127.0.0.1:7070 us-east-1 path"). */
const char *s3_client_endpoint(const s3_client *c);
const char *s3_client_region(const s3_client *c);

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
void s3_object_release(s3_object *o);
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
