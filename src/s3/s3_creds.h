/* s3_creds.h - where the S3 client's settings come from: credentials, region,
 * endpoint and addressing style resolved from the environment, the AWS files,
 * STS, the ECS container endpoint and EC2 instance metadata as the AWS CLI
 * does (the chain: s3_creds_choose), and how an endpoint, addressing style,
 * bucket and key become the Host header, the path and the base URL of a
 * request. The pure parts (the choice, STS / JSON answers, expiry) are here
 * and in s3_creds_parse.c; the requests to STS and the metadata endpoints and
 * credential_process runs are in s3_creds_fetch.c. */
#ifndef TICKLAKE_S3_CREDS_H
#define TICKLAKE_S3_CREDS_H

#include <stddef.h>

#include <stdint.h>

#include "s3_ini.h"
#include "util.h"

/* What s3_credentials_load found. Strings are owned; NULL when not set. */
typedef struct s3_credentials {
    char *access_key;
    char *secret_key;
    char *session_token;
    char *region;       /* AWS_REGION, AWS_DEFAULT_REGION, or the profile's region */
    char *endpoint;     /* AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, or the profile's endpoint_url */
    char *addressing;   /* the profile's s3.addressing_style ("path", "virtual", "auto") */
    char source[512];   /* where the keys came from, for messages; never a secret */
    int64_t expires_s;  /* unix seconds when temporary keys expire; 0: never */
    int64_t obtained_s; /* unix seconds when they were obtained (0 for static keys) */
} s3_credentials;

/* A getenv-like function, so tests can pass their own environment. */
typedef const char *(*s3_getenv_fn)(const char *name);

/* Resolves credentials as the AWS CLI does, in the order of s3_creds_choose.
 * The profile is `profile` if not NULL, else AWS_PROFILE, else "default"; the
 * files are AWS_SHARED_CREDENTIALS_FILE, else $HOME/.aws/credentials (section
 * [name]), and AWS_CONFIG_FILE, else $HOME/.aws/config ([profile name] or
 * [default]). Missing files are fine; a syntax error is reported as
 * "path:line: ...". A named profile found in neither file is an error, and
 * so is finding no keys at all. Temporary keys come with expires_s (see
 * s3_creds_refresh_due: call again to refresh). env may be NULL for getenv.
 * Errors name the source that failed and never hold a secret.
 * 0, or -1 with errstr (out is then released). */
int s3_credentials_load(s3_credentials *out, const char *profile, s3_getenv_fn env, char *errstr,
                        size_t errstr_size);
/* Frees the contents, wiping the secrets. Accepts NULL. */
void s3_credentials_release(s3_credentials *c);

/* ------------------------------------------------------------------------
 * The chain (pure)
 * ------------------------------------------------------------------------ */

/* The sources of the chain, in the order the AWS CLI (botocore) tries them. */
enum s3_cred_source {
    S3_CRED_NONE = 0,
    S3_CRED_ENV,          /* AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (not with --profile) */
    S3_CRED_ASSUME_ROLE,  /* the profile's role_arn + source_profile / credential_source */
    S3_CRED_WEB_IDENTITY, /* AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, or the profile's
                             web_identity_token_file + role_arn */
    S3_CRED_PROFILE_KEYS, /* aws_access_key_id in the credentials or config file */
    S3_CRED_PROCESS,      /* the profile's credential_process */
    S3_CRED_CONTAINER,    /* AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI (ECS, EKS pods) */
    S3_CRED_IMDS          /* EC2 instance metadata, IMDSv2 (unless AWS_EC2_METADATA_DISABLED) */
};

/* A short name of a source for messages: "environment", "assume-role", ... */
const char *s3_cred_source_name(enum s3_cred_source s);

/* Which source the chain uses for profile (already defaulted) given the
 * parsed files: env keys (unless explicit_profile), then the profile's
 * role_arn (with web_identity_token_file: web identity, else assume role),
 * then web identity from the environment, then keys in the credentials file,
 * credential_process, keys in the config file, then the container endpoint,
 * then instance metadata; S3_CRED_NONE when IMDS is disabled and nothing else
 * applies. conf_section is the profile's config section ("profile p" or
 * "default"). Half of the env key pair is still S3_CRED_ENV (load reports it). */
enum s3_cred_source s3_creds_choose(s3_getenv_fn env, int explicit_profile, const s3_ini *cred,
                                    const s3_ini *conf, const char *profile,
                                    const char *conf_section);

/* 1 when keys obtained at obtained_s and expiring at expires_s (0: never)
 * are due for a refresh at now_s: five minutes before they expire, as the
 * SDKs do, or after half their lifetime when that is shorter than ten
 * minutes (short-lived keys are not fetched again on every request). */
int s3_creds_refresh_due(int64_t obtained_s, int64_t expires_s, int64_t now_s);

/* Parses an STS AssumeRole / AssumeRoleWithWebIdentity answer (XML) into
 * out's keys and expires_s. An <ErrorResponse> becomes -1 with its code and
 * message in errstr. 0 or -1 (out's keys then NULL). */
int s3_creds_parse_sts(const char *xml, size_t len, s3_credentials *out, char *errstr,
                       size_t errstr_size);

/* Parses a JSON credentials document into out's keys and expires_s:
 * process = 1: credential_process output (Version 1, AccessKeyId,
 * SecretAccessKey, optional SessionToken and Expiration); process = 0: the
 * ECS container endpoint's or IMDS's answer (AccessKeyId, SecretAccessKey,
 * Token, Expiration; a Code other than "Success" is an error). Never copies a
 * secret into errstr. 0 or -1 (out's keys then NULL). */
int s3_creds_parse_json(const char *json, size_t len, int process, s3_credentials *out,
                        char *errstr, size_t errstr_size);

/* The URL of the container credentials endpoint from the environment into
 * out: http://169.254.170.2 + AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, else
 * AWS_CONTAINER_CREDENTIALS_FULL_URI, which must be https or name a loopback
 * host or the ECS / EKS link-local addresses (as the SDKs require). 0, or -1
 * with errstr. */
int s3_creds_container_url(s3_getenv_fn env, buf *out, char *errstr, size_t errstr_size);

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
