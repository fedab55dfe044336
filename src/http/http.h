/* http.h - the one home of the HTTP server library (civetweb): listening,
 * requests, replies, streamed replies and query-string variables.
 *
 * Only src/http/ includes civetweb.h (scripts/check-layers.sh). civetweb
 * parses and frames HTTP; this module hands each request to one handler
 * function on one of the server's worker threads (one request at a time per
 * thread, --threads of them: the concurrency limit), each call on a thread
 * with the default stack size. civetweb's own file
 * serving, CGI, directory listings and CORS headers are all off: the handler
 * answers everything. Every function returns 0 on success or -1 with a
 * message in errstr, unless it says otherwise. */
#ifndef TICKLAKE_HTTP_H
#define TICKLAKE_HTTP_H

#include <stddef.h>
#include <stdint.h>

typedef struct http_server http_server;

/* One request, valid during the handler call. conn is the library's
 * connection; pass the request to the reply functions below. */
typedef struct http_request {
    const char *method;      /* "GET", "POST", ... */
    const char *path;        /* URL-decoded path, e.g. "/api/tables" */
    size_t path_len;         /* its length: more than strlen(path) when it has a %00 */
    const char *query;       /* the raw query string after '?', "" when none */
    const char *remote_addr; /* the client's address */
    int64_t content_length;  /* -1 when not given */
    void *conn;
    const char *headers; /* the server's headers of every reply (http_config) */
} http_request;

/* Answers one request (with http_reply, http_send_file or a stream) and
 * returns the HTTP status it sent. */
typedef int (*http_handler)(void *opaque, const http_request *r);

typedef struct http_config {
    const char *listen;     /* "host:port"; port 0 picks a free one */
    int threads;            /* worker threads: concurrent connections */
    int request_timeout_ms; /* reading a request, writing a reply (not streams) */
    http_handler handler;
    void *opaque;
    const char *headers; /* "Name: value\r\n" lines sent with every reply, errors,
                            files and streams included (CORS); may be NULL; copied */
} http_config;

/* Starts listening and serving on c->threads threads. NULL with errstr when
 * the address cannot be bound. */
http_server *http_start(const http_config *c, char *errstr, size_t errstr_size);
/* The port the server listens on (the one picked for port 0). */
int http_port(const http_server *s);
/* Stops accepting, waits for every handler to return, frees. Handlers that
 * stream must watch their own stop flag. Accepts NULL. */
void http_stop(http_server *s);

/* The value of request header name (case-insensitive), or NULL. */
const char *http_header(const http_request *r, const char *name);
/* Reads the whole body into out when it is at most max bytes. Returns its
 * length, -1 on a read error, -2 when it is longer than max (nothing more
 * is read: answer 413 with HTTP_CLOSE among the extra headers). */
int64_t http_read_body(const http_request *r, char *out, size_t max);
/* The extra header line that closes the connection after a reply. */
#define HTTP_CLOSE "Connection: close\r\n"

/* Sends a whole reply: status, Content-Type, Content-Length, extra headers
 * ("Name: value\r\n" lines, may be NULL) and body. Returns status. */
int http_reply(const http_request *r, int status, const char *content_type, const char *extra,
               const void *body, size_t len);
/* Sends the file at path (a regular file the caller has checked) with its
 * MIME type by extension and returns the status; -1, with nothing sent, when
 * it cannot be opened (the caller answers: its error bodies have its shape). */
int http_send_file(const http_request *r, const char *path, const char *extra);

/* Starts a streamed reply (Server-Sent Events): status 200, content_type,
 * no length, no caching; the connection closes when the handler returns.
 * Then http_write sends each piece. */
int http_stream_start(const http_request *r, const char *content_type, const char *extra);
/* Writes len bytes; 0, -1 when the client has gone, -2 when it took nothing
 * for request_timeout_ms (it stopped reading; the write gave up). */
int http_write(const http_request *r, const void *data, size_t len);

/* The occurrence-th value (0 for the first) of variable name in a
 * form-encoded string (a query string or a form body), decoded into out.
 * Returns its length, -1 when absent, -2 when it does not fit out. Pure. */
int http_form_var(const char *form, const char *name, size_t occurrence, char *out,
                  size_t out_size);

#endif
