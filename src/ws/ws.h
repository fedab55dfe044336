/* ws.h - the one home of libwebsockets: a WebSocket client connection.
 *
 * Nothing else in ticklake includes libwebsockets.h. A ws_conn is one client
 * connection (ws:// or wss://, TLS by libwebsockets over OpenSSL, checked
 * against a CA bundle) driven from the calling thread: ws_connect() blocks
 * until the opening handshake is done, ws_recv() services the connection until
 * a whole message has arrived or the wait ends. Fragmented messages are
 * reassembled; the library answers the server's pings with pongs itself.
 * Every function returns 0 on success or -1 with a message in errstr, unless
 * it says otherwise. Not thread-safe: one thread per connection. */
#ifndef TICKLAKE_WS_H
#define TICKLAKE_WS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define WS_MAX_MESSAGE (16u << 20) /* a bigger message closes the connection */

typedef struct ws_opts {
    const char *ca_file;    /* CA bundle for wss://; NULL: the system's default store */
    int connect_timeout_ms; /* TCP + TLS + opening handshake; 0: 10000 */
    int insecure; /* wss:// without certificate checks (tests with a self-signed server) */
    /* When it turns non-zero, every wait of the connection ends early (ws_connect
     * fails, ws_recv returns 0); NULL: none. */
    const atomic_int *cancel;
} ws_opts;

typedef struct ws_conn ws_conn;

/* Splits url ("ws://host[:port]/path?query" or "wss://...") into its parts:
 * tls 0/1, host (host_size bytes), port (default 80/443) and path (with the
 * query; "/" when empty). Pure. */
int ws_url_parse(const char *url, int *tls, char *host, size_t host_size, int *port, char *path,
                 size_t path_size, char *errstr, size_t errstr_size);

/* Opens a connection and waits for the opening handshake. The error says
 * what failed: the address, the TLS handshake, the HTTP status of the
 * upgrade, or the timeout. It never shows the URL's query, which may hold a
 * key (Finnhub's token). */
ws_conn *ws_connect(const char *url, const ws_opts *o, char *errstr, size_t errstr_size);

/* Queues one text message and writes it out (waits until it is written). */
int ws_send_text(ws_conn *c, const char *data, size_t len, char *errstr, size_t errstr_size);

/* Sends a WebSocket ping; the pong is counted (ws_pongs). */
int ws_send_ping(ws_conn *c, char *errstr, size_t errstr_size);

/* Waits up to timeout_ms for the next whole message and copies it into msg
 * (replacing its contents). Returns 1 with a message, 0 when the wait ended
 * without one, -1 when the connection is closed or failed (errstr says why,
 * with the close code the server sent, if any). */
int ws_recv(ws_conn *c, buf *msg, int timeout_ms, char *errstr, size_t errstr_size);

/* Whether a whole message has been received and waits: ws_recv returns it
 * at once. A feed handler batches the messages of one read with it. */
int ws_pending(const ws_conn *c);

/* Pongs received so far. */
int64_t ws_pongs(const ws_conn *c);

/* Closes (a close frame when still open) and frees. Accepts NULL. */
void ws_close(ws_conn *c);

#endif
