/* s3_creds.h - where the S3 client's settings come from: credentials, region,
 * endpoint and addressing style resolved from the environment and the AWS
 * files as the AWS CLI does, and how an endpoint, addressing style, bucket and
 * key become the Host header, the path and the base URL of a request.
 * Reads files and the environment; sends nothing. */
#ifndef TICKLAKE_S3_CREDS_H
#define TICKLAKE_S3_CREDS_H

#include <stddef.h>

#include "util.h"

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

/* The variable name of env (getenv when env is NULL), or NULL when it is
 * unset or empty. */
const char *s3_env_get(s3_getenv_fn env, const char *name);

#endif
