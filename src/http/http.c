/* http.c - the HTTP server over civetweb (http.h). The only file that
 * includes civetweb.h. */
#include <civetweb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "util.h"

struct http_server {
    struct mg_context *ctx;
    http_handler handler;
    void *opaque;
    char *headers; /* of every reply, "" when none */
    int port;
    int64_t timeout_ns; /* civetweb's request_timeout_ms: a write gives up after it */
};

typedef struct call {
    http_server *s;
    const http_request *r;
    int status;
} call;

static void *run_handler(void *arg)
{
    call *c = arg;
    c->status = c->s->handler(c->s->opaque, c->r);
    return NULL;
}

/* civetweb's worker threads have small stacks (the Debian build's
 * USE_STACK_SIZE), too small for DuckDB and the catalog: each request's
 * handler runs on a thread of the default size (8 MiB, mapped lazily) while
 * the worker waits for it. */
static int on_request(struct mg_connection *conn, void *cbdata)
{
    http_server *s = cbdata;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    /* civetweb leaves the path encoded (decode_url no): decoded here, with
     * its length, so a %00 shows instead of cutting the path short. */
    const char *raw = ri->local_uri ? ri->local_uri : "/";
    size_t raw_len = strlen(raw);
    char *path = xmalloc(raw_len + 1);
    int n = mg_url_decode(raw, (int)raw_len, path, (int)raw_len + 1, 0);
    if (n < 0) { /* cannot happen: decoding never lengthens */
        free(path);
        mg_send_http_error(conn, 400, "%s", "bad path\n");
        return 400;
    }
    http_request r = {.method = ri->request_method,
                      .path = path,
                      .path_len = (size_t)n,
                      .query = ri->query_string ? ri->query_string : "",
                      .remote_addr = ri->remote_addr,
                      .content_length = ri->content_length,
                      .conn = conn,
                      .headers = s->headers};
    call c = {s, &r, 500};
    pthread_t t;
    if (pthread_create(&t, NULL, run_handler, &c) != 0) {
        free(path);
        mg_send_http_error(conn, 503, "%s", "out of threads\n");
        return 503;
    }
    pthread_join(t, NULL);
    free(path);
    return c.status > 0 && c.status < 1000 ? c.status : 500;
}

/* civetweb's own messages (bad requests, sockets) go to the debug log. They
 * can quote a request line, and a request line can carry a token: those are
 * not logged at all. */
static int on_log(const struct mg_connection *conn, const char *message)
{
    if (!strstr(message, "token"))
        LOG_DEBUG("http: %s", message);
    return 1; /* handled: civetweb prints nothing itself */
}

static int library_ready;

http_server *http_start(const http_config *c, char *errstr, size_t errstr_size)
{
    if (!library_ready) {
        mg_init_library(0);
        library_ready = 1;
    }
    http_server *s = xcalloc(1, sizeof(*s));
    s->handler = c->handler;
    s->opaque = c->opaque;
    s->headers = xstrdup(c->headers ? c->headers : "");
    s->timeout_ns = (int64_t)(c->request_timeout_ms > 0 ? c->request_timeout_ms : 30000) * 1000000;
    char threads[16], timeout[16];
    snprintf(threads, sizeof(threads), "%d", c->threads > 0 ? c->threads : 16);
    snprintf(timeout, sizeof(timeout), "%d",
             c->request_timeout_ms > 0 ? c->request_timeout_ms : 30000);
    /* No document root: no file serving, CGI, SSI or directory listing by
     * civetweb. CORS headers are civetweb's default ("*"): set to empty. */
    const char *options[] = {"listening_ports",
                             c->listen,
                             "num_threads",
                             threads,
                             "request_timeout_ms",
                             timeout,
                             "enable_keep_alive",
                             "yes",
                             "keep_alive_timeout_ms",
                             "5000",
                             "tcp_nodelay",
                             "1",
                             "access_control_allow_origin",
                             "",
                             "access_control_allow_methods",
                             "",
                             "access_control_allow_headers",
                             "",
                             "enable_directory_listing",
                             "no",
                             "decode_url", /* on_request decodes, NUL bytes included */
                             "no",
                             "max_request_size",
                             "16384",
                             NULL};
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof(cb));
    cb.log_message = on_log;
    char text[256] = "";
    unsigned code = 0;
    struct mg_init_data init = {.callbacks = &cb, .user_data = s, .configuration_options = options};
    struct mg_error_data err = {.code = &code, .text = text, .text_buffer_size = sizeof(text)};
    s->ctx = mg_start2(&init, &err);
    if (!s->ctx) {
        set_err(errstr, errstr_size, "cannot listen on '%s': %s", c->listen,
                text[0] ? text : "unknown error");
        free(s->headers);
        free(s);
        return NULL;
    }
    mg_set_request_handler(s->ctx, "/", on_request, s);
    struct mg_server_port ports[4];
    int n = mg_get_server_ports(s->ctx, 4, ports);
    s->port = n > 0 ? ports[0].port : 0;
    return s;
}

int http_port(const http_server *s)
{
    return s->port;
}

void http_stop(http_server *s)
{
    if (!s)
        return;
    mg_stop(s->ctx);
    free(s->headers);
    free(s);
}

const char *http_header(const http_request *r, const char *name)
{
    return mg_get_header(r->conn, name);
}

int64_t http_read_body(const http_request *r, char *out, size_t max)
{
    if (r->content_length > (int64_t)max)
        return -2;
    size_t got = 0;
    for (;;) {
        if (got == max) {
            char extra;
            int n = mg_read(r->conn, &extra, 1);
            return n == 0 ? (int64_t)got : n < 0 ? -1 : -2;
        }
        int n = mg_read(r->conn, out + got, max - got);
        if (n < 0)
            return -1;
        if (n == 0)
            return (int64_t)got;
        got += (size_t)n;
    }
}

static int send_headers(const http_request *r, int status, const char *content_type,
                        const char *extra, int64_t len)
{
    struct mg_connection *conn = r->conn;
    if (mg_response_header_start(conn, status) != 0)
        return -1;
    if (content_type)
        mg_response_header_add(conn, "Content-Type", content_type, -1);
    if (len >= 0) {
        char n[32];
        snprintf(n, sizeof(n), "%lld", (long long)len);
        mg_response_header_add(conn, "Content-Length", n, -1);
    }
    mg_response_header_add(conn, "X-Content-Type-Options", "nosniff", -1);
    if (extra && *extra && mg_response_header_add_lines(conn, extra) < 0)
        return -1;
    if (r->headers && *r->headers && mg_response_header_add_lines(conn, r->headers) < 0)
        return -1;
    return mg_response_header_send(conn);
}

int http_reply(const http_request *r, int status, const char *content_type, const char *extra,
               const void *body, size_t len)
{
    if (send_headers(r, status, content_type, extra, (int64_t)len) == 0 && len > 0 &&
        strcmp(r->method, "HEAD") != 0)
        mg_write(r->conn, body, len);
    return status;
}

int http_send_file(const http_request *r, const char *path, const char *extra)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1; /* nothing sent: the caller answers in its own shape */
    fclose(f);
    char *all = xprintf("%s%s", extra ? extra : "", r->headers ? r->headers : "");
    mg_send_mime_file2(r->conn, path, NULL, *all ? all : NULL);
    free(all);
    return 200;
}

int http_stream_start(const http_request *r, const char *content_type, const char *extra)
{
    struct mg_connection *conn = r->conn;
    if (mg_response_header_start(conn, 200) != 0)
        return -1;
    mg_response_header_add(conn, "Content-Type", content_type, -1);
    mg_response_header_add(conn, "Cache-Control", "no-cache", -1);
    mg_response_header_add(conn, "Connection", "close", -1);
    mg_response_header_add(conn, "X-Accel-Buffering", "no", -1);
    if (extra && *extra && mg_response_header_add_lines(conn, extra) < 0)
        return -1;
    if (r->headers && *r->headers && mg_response_header_add_lines(conn, r->headers) < 0)
        return -1;
    return mg_response_header_send(conn) == 0 ? 0 : -1;
}

int http_write(const http_request *r, const void *data, size_t len)
{
    int64_t t0 = mono_ns();
    if (mg_write(r->conn, data, len) == (int)len)
        return 0;
    /* civetweb says only that the write failed: a client that hung up fails
     * it at once, one that took nothing for the whole timeout after it. */
    const http_server *s = mg_get_user_context_data(r->conn);
    return s && mono_ns() - t0 >= s->timeout_ns ? -2 : -1;
}

int http_form_var(const char *form, const char *name, size_t occurrence, char *out, size_t out_size)
{
    if (!form)
        return -1;
    return mg_get_var2(form, strlen(form), name, out, out_size, occurrence);
}
