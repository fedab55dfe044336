/* s3_curl.h - what every libcurl user in this folder shares: the one global
 * initialisation, and a write callback that collects a body into a buf up to
 * a limit. libcurl's home is this folder; nothing outside it includes this. */
#ifndef TICKLAKE_S3_CURL_H
#define TICKLAKE_S3_CURL_H

#include <stddef.h>

#include "util.h"

/* Initialises libcurl once per process (thread-safe). Returns 0, or -1 with
 * errstr naming curl's error. */
int s3_curl_global_init(char *errstr, size_t errstr_size);

/* The body of a response, for s3_curl_collect: at most max bytes into b
 * (the caller owns b). */
typedef struct {
    buf *b;
    size_t max;
} s3_curl_body;

/* CURLOPT_WRITEFUNCTION with CURLOPT_WRITEDATA an s3_curl_body: appends, and
 * stops the transfer (CURLE_WRITE_ERROR) past body->max. */
size_t s3_curl_collect(char *p, size_t size, size_t n, void *body);

#endif
