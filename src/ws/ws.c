/* ws.c - a WebSocket client connection over libwebsockets; see ws.h.
 *
 * Each connection has its own lws context (one client socket, no listener),
 * serviced only from the thread that calls ws_*: pump() runs the library
 * without blocking and waits on the socket itself, so every wait is bounded.
 * The callback appends received fragments to the message being assembled
 * and queues each whole message, length-prefixed, in one buffer that ws_recv
 * drains. Framing, masking, TLS, the HTTP upgrade and pong replies are the
 * library's. */
#include "ws.h"

#include <libwebsockets.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

enum { WS_CONNECTING, WS_OPEN, WS_CLOSED };

struct ws_conn {
    struct lws_context *ctx;
    struct lws *wsi;
    int state;
    char err[3072];
    buf partial; /* the message being assembled */
    buf inq;     /* whole messages: 4-byte length, then the bytes */
    size_t inq_off;
    buf out; /* LWS_PRE bytes, then the text to send; empty when nothing is pending */
    int ping_pending;
    int64_t pongs;
    int close_code;
    const atomic_int *cancel;
    char host[256], path[2048];
};

int ws_url_parse(const char *url, int *tls, char *host, size_t host_size, int *port, char *path,
                 size_t path_size, char *errstr, size_t errstr_size)
{
    /* Messages show the URL without its query, which may hold a key
     * (Finnhub's token): "ws://host/path?...". */
    int ul = (int)strcspn(url, "?");
    const char *uq = url[ul] ? "?..." : "";
    const char *p;
    if (strncmp(url, "wss://", 6) == 0) {
        *tls = 1;
        p = url + 6;
        *port = 443;
    } else if (strncmp(url, "ws://", 5) == 0) {
        *tls = 0;
        p = url + 5;
        *port = 80;
    } else {
        return set_err(errstr, errstr_size, "URL '%.*s%s' does not start with ws:// or wss://", ul,
                       url, uq);
    }
    size_t hl = strcspn(p, ":/?#");
    if (hl == 0)
        return set_err(errstr, errstr_size, "URL '%.*s%s' has no host", ul, url, uq);
    if (hl >= host_size)
        return set_err(errstr, errstr_size, "URL '%.*s%s': host is too long", ul, url, uq);
    memcpy(host, p, hl);
    host[hl] = '\0';
    p += hl;
    if (*p == ':') {
        char *end;
        long v = strtol(p + 1, &end, 10);
        if (end == p + 1 || v < 1 || v > 65535 || (*end && *end != '/' && *end != '?'))
            return set_err(errstr, errstr_size, "URL '%.*s%s': bad port", ul, url, uq);
        *port = (int)v;
        p = end;
    }
    if (*p == '#')
        p += strlen(p);
    const char *frag = strchr(p, '#');
    size_t pl = frag ? (size_t)(frag - p) : strlen(p);
    int add_slash = pl == 0 || p[0] == '?';
    if (pl + (size_t)add_slash >= path_size)
        return set_err(errstr, errstr_size, "URL '%.*s%s': path is too long", ul, url, uq);
    size_t o = 0;
    if (add_slash)
        path[o++] = '/';
    memcpy(path + o, p, pl);
    path[o + pl] = '\0';
    return 0;
}

/* Routes the library's warnings and errors into log.h. */
static void lws_log(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    (void)level;
    LOG_DEBUG("libwebsockets: %.*s", (int)n, line);
}

static void push_message(ws_conn *c)
{
    uint32_t n = (uint32_t)c->partial.len;
    buf_append(&c->inq, &n, sizeof(n));
    buf_append(&c->inq, c->partial.data, c->partial.len);
    buf_reset(&c->partial);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    ws_conn *c = lws_context_user(lws_get_context(wsi));
    if (!c)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c->state = WS_OPEN;
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        int status = (int)lws_http_client_http_response(wsi);
        if (status && status != 101)
            /* The query is left out: it may hold a key (Finnhub's token). */
            snprintf(c->err, sizeof(c->err),
                     "%s%.*s: HTTP %d instead of the WebSocket upgrade (%s)", c->host,
                     (int)strcspn(c->path, "?"), c->path, status,
                     in ? (const char *)in : "no detail");
        else
            snprintf(c->err, sizeof(c->err), "%s: %s%s", c->host,
                     in && len ? (const char *)in : "connection failed",
                     in && len && strstr((const char *)in, "SSL")
                         ? " (the TLS handshake failed: a certificate the CA bundle does not "
                           "trust, a name that does not match, or a server without TLS)"
                         : "");
        c->state = WS_CLOSED;
        c->wsi = NULL;
        break;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (c->partial.len + len > WS_MAX_MESSAGE) {
            snprintf(c->err, sizeof(c->err), "%s: a message longer than %u bytes", c->host,
                     WS_MAX_MESSAGE);
            return -1;
        }
        buf_append(&c->partial, in, len);
        if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0)
            push_message(c);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        c->pongs++;
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (c->ping_pending) {
            unsigned char ping[LWS_PRE + 4];
            c->ping_pending = 0;
            if (lws_write(wsi, ping + LWS_PRE, 0, LWS_WRITE_PING) < 0) {
                snprintf(c->err, sizeof(c->err), "%s: unable to send a ping", c->host);
                return -1;
            }
        }
        if (c->out.len > LWS_PRE) {
            size_t n = c->out.len - LWS_PRE;
            if (lws_write(wsi, (unsigned char *)c->out.data + LWS_PRE, n, LWS_WRITE_TEXT) <
                (int)n) {
                snprintf(c->err, sizeof(c->err), "%s: unable to send a message", c->host);
                return -1;
            }
            buf_reset(&c->out);
        }
        if (c->ping_pending || c->out.len > LWS_PRE)
            lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (len >= 2) {
            const unsigned char *b = in;
            c->close_code = b[0] << 8 | b[1];
            snprintf(c->err, sizeof(c->err), "%s: the server closed the connection (code %d%s%.*s)",
                     c->host, c->close_code, len > 2 ? ": " : "",
                     (int)(len > 2 ? (len - 2 > 200 ? 200 : len - 2) : 0), (const char *)in + 2);
        } else {
            snprintf(c->err, sizeof(c->err), "%s: the server closed the connection", c->host);
        }
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (!c->err[0])
            snprintf(c->err, sizeof(c->err), "%s: the connection was closed", c->host);
        c->state = WS_CLOSED;
        c->wsi = NULL;
        break;
    default:
        break;
    }
    return 0;
}

/* Reads of up to WS_RX_BYTES: a busy feed's frames arrive in few reads and
 * callbacks instead of 4 KiB (the library's default) at a time. */
#define WS_RX_BYTES 65536
static const struct lws_protocols protocols[] = {
    {"ticklake-ws", callback, 0, WS_RX_BYTES, 0, NULL, 0}, {NULL, NULL, 0, 0, 0, NULL, 0}};

/* Services the connection until done(c) holds, the connection closes or
 * timeout_ms passes. Returns 1 when done, 0 on timeout, -1 when closed.
 *
 * lws_service() in 4.1 sleeps until the library's own next timer, which a
 * timer of ours (lws_sul) did not shorten in tests, so the waiting is done
 * here: a non-blocking lws_service(ctx, -1), then poll() on the socket for at
 * most the time left (in slices of 50 ms, 5 ms while connecting). */
static int pump(ws_conn *c, int timeout_ms, int (*done)(ws_conn *))
{
    int64_t end = mono_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        if (done(c))
            return 1;
        if (c->state == WS_CLOSED)
            return -1;
        if (c->cancel && atomic_load(c->cancel))
            return 0;
        if (lws_service(c->ctx, -1) < 0) {
            if (!c->err[0])
                snprintf(c->err, sizeof(c->err), "%s: the event loop failed", c->host);
            c->state = WS_CLOSED;
            return -1;
        }
        if (done(c))
            return 1;
        if (c->state == WS_CLOSED)
            return -1;
        if (lws_service_adjust_timeout(c->ctx, 1, 0) == 0)
            continue; /* the library holds data to process (TLS, partial frames) */
        int64_t left = end - mono_ns();
        if (left <= 0)
            return 0;
        int slice = c->state == WS_OPEN ? 50 : 5;
        if (left < (int64_t)slice * 1000000)
            slice = (int)(left / 1000000) + 1;
        int fd = c->wsi && c->state == WS_OPEN ? (int)lws_get_socket_fd(c->wsi) : -1;
        if (fd >= 0) {
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            if (c->out.len || c->ping_pending)
                pfd.events |= POLLOUT;
            poll(&pfd, 1, slice);
        } else {
            sleep_ns((int64_t)slice * 1000000);
        }
    }
}

static int is_open(ws_conn *c)
{
    return c->state == WS_OPEN;
}
static int sent(ws_conn *c)
{
    return c->out.len == 0 && !c->ping_pending;
}
int ws_pending(const ws_conn *c)
{
    return c->inq.len > c->inq_off;
}

static int has_message(ws_conn *c)
{
    return ws_pending(c);
}

ws_conn *ws_connect(const char *url, const ws_opts *o, char *errstr, size_t errstr_size)
{
    ws_conn *c = xcalloc(1, sizeof(*c));
    int tls, port;
    /* Errors show the URL without its query: it may hold a key (Finnhub's token). */
    int ul = (int)strcspn(url, "?");
    const char *uq = url[ul] ? "?..." : "";
    if (ws_url_parse(url, &tls, c->host, sizeof(c->host), &port, c->path, sizeof(c->path), errstr,
                     errstr_size) != 0) {
        free(c);
        return NULL;
    }
    c->cancel = o ? o->cancel : NULL;
    buf_init(&c->partial);
    buf_init(&c->inq);
    buf_init(&c->out);
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = c;
    info.fd_limit_per_thread = 4;
    info.pt_serv_buf_size = WS_RX_BYTES;
    info.options = tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0;
    if (tls && o && o->ca_file)
        info.client_ssl_ca_filepath = o->ca_file;
    int timeout_ms = o && o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000;
    info.connect_timeout_secs = (unsigned)(timeout_ms + 999) / 1000;
    c->ctx = lws_create_context(&info);
    if (!c->ctx) {
        set_err(errstr, errstr_size, "%.*s%s: unable to create the WebSocket context%s", ul, url,
                uq, tls ? " (TLS set-up or CA bundle failed)" : "");
        ws_close(c);
        return NULL;
    }
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = c->ctx;
    ci.address = c->host;
    ci.port = port;
    ci.path = c->path;
    ci.host = c->host;
    ci.origin = c->host;
    ci.local_protocol_name = "ticklake-ws";
    ci.pwsi = &c->wsi;
    if (tls) {
        ci.ssl_connection = LCCSCF_USE_SSL;
        if (o && o->insecure)
            ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                 LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
    }
    if (!lws_client_connect_via_info(&ci) && c->state != WS_CLOSED) {
        set_err(errstr, errstr_size, "%.*s%s: unable to start connecting", ul, url, uq);
        ws_close(c);
        return NULL;
    }
    int rc = pump(c, timeout_ms, is_open);
    if (rc != 1) {
        if (rc == 0 && c->cancel && atomic_load(c->cancel))
            set_err(errstr, errstr_size, "%.*s%s: cancelled", ul, url, uq);
        else if (rc == 0)
            set_err(errstr, errstr_size, "%.*s%s: no WebSocket connection within %d ms", ul, url,
                    uq, timeout_ms);
        else
            set_err(errstr, errstr_size, "%s", c->err[0] ? c->err : "connection failed");
        ws_close(c);
        return NULL;
    }
    return c;
}

int ws_send_text(ws_conn *c, const char *data, size_t len, char *errstr, size_t errstr_size)
{
    if (c->state != WS_OPEN)
        return set_err(errstr, errstr_size, "%s", c->err[0] ? c->err : "not connected");
    buf_reset(&c->out);
    buf_reserve(&c->out, LWS_PRE + len);
    memset(c->out.data, 0, LWS_PRE);
    c->out.len = LWS_PRE;
    buf_append(&c->out, data, len);
    lws_callback_on_writable(c->wsi);
    int rc = pump(c, 10000, sent);
    if (rc == 1)
        return 0;
    buf_reset(&c->out);
    return set_err(errstr, errstr_size, "%s",
                   rc == 0 ? "a message could not be written within 10 s" : c->err);
}

int ws_send_ping(ws_conn *c, char *errstr, size_t errstr_size)
{
    if (c->state != WS_OPEN)
        return set_err(errstr, errstr_size, "%s", c->err[0] ? c->err : "not connected");
    c->ping_pending = 1;
    lws_callback_on_writable(c->wsi);
    int rc = pump(c, 10000, sent);
    if (rc == 1)
        return 0;
    c->ping_pending = 0;
    return set_err(errstr, errstr_size, "%s",
                   rc == 0 ? "a ping could not be written within 10 s" : c->err);
}

int ws_recv(ws_conn *c, buf *msg, int timeout_ms, char *errstr, size_t errstr_size)
{
    if (!has_message(c)) {
        if (c->state == WS_CLOSED)
            return set_err(errstr, errstr_size, "%s", c->err[0] ? c->err : "closed");
        int rc = pump(c, timeout_ms, has_message);
        if (rc == 0)
            return 0;
        if (rc < 0 && !has_message(c))
            return set_err(errstr, errstr_size, "%s", c->err[0] ? c->err : "closed");
    }
    uint32_t n;
    memcpy(&n, c->inq.data + c->inq_off, sizeof(n));
    buf_reset(msg);
    buf_append(msg, c->inq.data + c->inq_off + sizeof(n), n);
    c->inq_off += sizeof(n) + n;
    if (c->inq_off == c->inq.len) {
        buf_reset(&c->inq);
        c->inq_off = 0;
    }
    return 1;
}

int64_t ws_pongs(const ws_conn *c)
{
    return c->pongs;
}

void ws_close(ws_conn *c)
{
    if (!c)
        return;
    if (c->ctx)
        lws_context_destroy(c->ctx); /* closes the socket; the callbacks still see c */
    buf_release(&c->partial);
    buf_release(&c->inq);
    buf_release(&c->out);
    free(c);
}
