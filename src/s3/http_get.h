/* http_get.h - a plain HTTP(S) GET over libcurl (whose home is this folder),
 * for the REST market data feeds (rest_poll.h). */
#ifndef TICKLAKE_HTTP_GET_H
#define TICKLAKE_HTTP_GET_H

#include <stddef.h>

#include "util.h"

/* GETs url (http:// or https://, TLS checked against ca_file, NULL: the
 * system's store) within timeout_ms and replaces body with the response body
 * (at most 16 MiB). Returns 0 with *status the HTTP status (any, 429
 * included), or -1 with errstr when there was no HTTP answer. The URL's query
 * is left out of errors (it may hold a key). */
int http_get(const char *url, const char *ca_file, int timeout_ms, long *status, buf *body,
             char *errstr, size_t errstr_size);

#endif
