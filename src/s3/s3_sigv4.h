/* s3_sigv4.h - AWS Signature Version 4 for S3 (pure: no I/O): URI encoding,
 * the canonical request, the string to sign, the derived signing key, the
 * signature and the Authorization header. Unit-tested against the examples
 * of the Amazon S3 API reference (tests/unit/test_s3sign.c). */
#ifndef TICKLAKE_S3_SIGV4_H
#define TICKLAKE_S3_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "s3_hash.h"
#include "util.h"

#define S3_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define S3_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define S3_AMZ_DATE_SIZE 17 /* "YYYYMMDDTHHMMSSZ" + NUL */

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
#endif
