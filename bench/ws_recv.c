/* bench/ws_recv.c - the WebSocket client's own cost: frames received per second
 * and CPU per frame through ticklake's ws module (src/ws/, libwebsockets),
 * doing nothing with the messages. With bench/peers/ws_recv_civetweb.c (the
 * same loop through civetweb's client) it shows what the library costs before
 * any decoding or publishing (bench/ws-recv.sh runs both).
 *
 *   make bench-ws-recv && build/release/bench/ws_recv PORT FRAMES
 *
 * Connects to ws://127.0.0.1:PORT/ (bench/feed_server.py --provider
 * coinbase), subscribes as ticklake's Coinbase feed does, and receives the
 * subscription reply and FRAMES frames. Prints one line: frames, bytes, wall
 * seconds from the first frame, process CPU seconds, CPU ns per frame, and
 * frames per second. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "ws.h"
#include "ws_recv.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORT FRAMES\n", argv[0]);
        return 2;
    }
    char url[64], err[512];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/", atoi(argv[1]));
    long want = atol(argv[2]) + 1, frames = 0; /* + the subscription reply */
    long long bytes = 0;
    ws_conn *c = ws_connect(url, NULL, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "ws_recv: %s\n", err);
        return 1;
    }
    if (ws_send_text(c, WS_RECV_SUBSCRIBE, strlen(WS_RECV_SUBSCRIBE), err, sizeof(err)) != 0) {
        fprintf(stderr, "ws_recv: %s\n", err);
        return 1;
    }
    buf m;
    buf_init(&m);
    int64_t t0 = 0;
    while (frames < want) {
        int r = ws_recv(c, &m, 10000, err, sizeof(err));
        if (r <= 0) {
            fprintf(stderr, "ws_recv: after %ld frames: %s\n", frames,
                    r < 0 ? err : "no frame in 10 s");
            return 1;
        }
        if (frames++ == 0)
            t0 = mono_ns();
        bytes += (long long)m.len;
    }
    ws_recv_report("lws (ws.c)", frames, bytes, (double)(mono_ns() - t0) / 1e9);
    buf_release(&m);
    ws_close(c);
    return 0;
}
