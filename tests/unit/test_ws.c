/* test_ws.c - the WebSocket client's URL parsing and its connection errors
 * (a live exchange with a server is tests/feeds/ and the feeds integration tests). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"
#include "util.h"
#include "ws.h"

static void test_url(void)
{
    char host[64], path[64], err[256];
    int tls, port;
    CHECK(ws_url_parse("wss://ws-feed.exchange.coinbase.com", &tls, host, sizeof(host), &port, path,
                       sizeof(path), err, sizeof(err)) == 0);
    CHECK_EQ_INT(tls, 1);
    CHECK_EQ_INT(port, 443);
    CHECK_EQ_STR(host, "ws-feed.exchange.coinbase.com");
    CHECK_EQ_STR(path, "/");
    CHECK(ws_url_parse("ws://127.0.0.1:8765/ws/btcusdt@trade?x=1#frag", &tls, host, sizeof(host),
                       &port, path, sizeof(path), err, sizeof(err)) == 0);
    CHECK_EQ_INT(tls, 0);
    CHECK_EQ_INT(port, 8765);
    CHECK_EQ_STR(host, "127.0.0.1");
    CHECK_EQ_STR(path, "/ws/btcusdt@trade?x=1");
    CHECK(ws_url_parse("wss://ws.finnhub.io?token=abc", &tls, host, sizeof(host), &port, path,
                       sizeof(path), err, sizeof(err)) == 0);
    CHECK_EQ_STR(host, "ws.finnhub.io");
    CHECK_EQ_STR(path, "/?token=abc");
    CHECK(ws_url_parse("http://x/", &tls, host, sizeof(host), &port, path, sizeof(path), err,
                       sizeof(err)) == -1);
    CHECK(strstr(err, "ws://") != NULL);
    CHECK(ws_url_parse("ws://:80/", &tls, host, sizeof(host), &port, path, sizeof(path), err,
                       sizeof(err)) == -1);
    CHECK(strstr(err, "no host") != NULL);
    CHECK(ws_url_parse("ws://h:99999/", &tls, host, sizeof(host), &port, path, sizeof(path), err,
                       sizeof(err)) == -1);
    CHECK(strstr(err, "bad port") != NULL);
    CHECK(ws_url_parse("ws://h:12x/", &tls, host, sizeof(host), &port, path, sizeof(path), err,
                       sizeof(err)) == -1);
    CHECK(ws_url_parse("ws://a-very-long-host-name-that-does-not-fit-in-sixty-four-bytes.example/",
                       &tls, host, sizeof(host), &port, path, sizeof(path), err,
                       sizeof(err)) == -1);
    CHECK(strstr(err, "too long") != NULL);
    /* A key in the query never reaches an error message. */
    CHECK(ws_url_parse("ws://h:12x/?token=SECRETKEY", &tls, host, sizeof(host), &port, path,
                       sizeof(path), err, sizeof(err)) == -1);
    CHECK(strstr(err, "bad port") != NULL);
    CHECK(strstr(err, "SECRETKEY") == NULL);
    CHECK(ws_url_parse("http://h/?token=SECRETKEY", &tls, host, sizeof(host), &port, path,
                       sizeof(path), err, sizeof(err)) == -1);
    CHECK(strstr(err, "SECRETKEY") == NULL);
}

/* Nothing listens on port 1 of loopback: the connection is refused at once,
 * and the error names the host. */
static void test_refused(void)
{
    char err[512] = "";
    ws_opts o = {.connect_timeout_ms = 3000};
    ws_conn *c = ws_connect("ws://127.0.0.1:1/", &o, err, sizeof(err));
    CHECK(c == NULL);
    CHECK(strstr(err, "127.0.0.1") != NULL);
    ws_close(NULL);
}

static void *cancel_later(void *arg)
{
    sleep_ns(200 * 1000000LL);
    atomic_store((atomic_int *)arg, 1);
    return NULL;
}

/* A server that accepts the TCP connection (the kernel's backlog) but never
 * answers the upgrade: the connect waits for its timeout unless cancelled,
 * and the cancel ends it at once (SIGTERM during a connection attempt). */
static void test_cancel(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    CHECK(listen(fd, 4) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&a, &al) == 0);
    char url[64], err[512] = "";
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/?token=SECRETKEY", ntohs(a.sin_port));
    atomic_int cancel = 0;
    ws_opts o = {.connect_timeout_ms = 20000, .cancel = &cancel};
    pthread_t th;
    pthread_create(&th, NULL, cancel_later, &cancel);
    int64_t t0 = mono_ns();
    ws_conn *c = ws_connect(url, &o, err, sizeof(err));
    int64_t took = mono_ns() - t0;
    pthread_join(th, NULL);
    CHECK(c == NULL);
    CHECK(strstr(err, "cancelled") != NULL);
    CHECK(strstr(err, "SECRETKEY") == NULL); /* Finnhub's token is in the query */
    CHECK(took < 3 * NS_PER_SEC);
    ws_close(c);
    /* Not cancelled: the timeout's message leaves the query out too. */
    o.cancel = NULL;
    o.connect_timeout_ms = 500;
    err[0] = '\0';
    c = ws_connect(url, &o, err, sizeof(err));
    CHECK(c == NULL);
    CHECK(strstr(err, "no WebSocket connection") != NULL);
    CHECK(strstr(err, "127.0.0.1") != NULL);
    CHECK(strstr(err, "SECRETKEY") == NULL);
    ws_close(c);
    close(fd);
}

TEST_MAIN(TEST(test_url), TEST(test_refused), TEST(test_cancel))
