/* bench/peers/ws_recv_civetweb.c - bench/ws_recv.c's loop through civetweb's
 * WebSocket client (Debian's libcivetweb 1.15), the other packaged library:
 * a peer for comparison, not ticklake code (bench/ws-recv.sh builds it).
 *
 *   ws_recv_civetweb PORT FRAMES
 *
 * civetweb reads each frame on its own thread and calls data() with the
 * whole payload; the main thread waits for the last. */
#include <civetweb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../ws_recv.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long frames, want;
static long long bytes;
static int finished;
static struct timespec t0;

static void finish(void)
{
    pthread_mutex_lock(&mu);
    finished = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

static int data(struct mg_connection *conn, int flags, char *payload, size_t len, void *user)
{
    (void)conn, (void)payload, (void)user;
    int op = flags & 0xf;
    if (op != MG_WEBSOCKET_OPCODE_TEXT && op != MG_WEBSOCKET_OPCODE_CONTINUATION)
        return 1;
    if (frames++ == 0)
        clock_gettime(CLOCK_MONOTONIC, &t0);
    bytes += (long long)len;
    if (frames < want)
        return 1;
    finish();
    return 0;
}

static void closed(const struct mg_connection *conn, void *user)
{
    (void)conn, (void)user;
    finish();
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORT FRAMES\n", argv[0]);
        return 2;
    }
    want = atol(argv[2]) + 1; /* + the subscription reply */
    char err[256];
    mg_init_library(0);
    struct mg_connection *c = mg_connect_websocket_client(
        "127.0.0.1", atoi(argv[1]), 0, err, sizeof(err), "/", NULL, data, closed, NULL);
    if (!c) {
        fprintf(stderr, "ws_recv_civetweb: %s\n", err);
        return 1;
    }
    mg_websocket_client_write(c, MG_WEBSOCKET_OPCODE_TEXT, WS_RECV_SUBSCRIBE,
                              strlen(WS_RECV_SUBSCRIBE));
    pthread_mutex_lock(&mu);
    while (!finished)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (frames < want) {
        fprintf(stderr, "ws_recv_civetweb: closed after %ld frames\n", frames);
        return 1;
    }
    ws_recv_report("civetweb", frames, bytes,
                   (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    /* Exit without mg_close_connection: its reader thread may still be in a read. */
    _exit(0);
}
