/* test_serve_req.c - serve's request parsing (serve_req.c) and the HTTP
 * library's query-string decoding (http_form_var). */
#include <string.h>

#include "http.h"
#include "serve_req.h"
#include "testlib.h"

static void test_routes(void)
{
    char name[SERVE_NAME_MAX];
    CHECK_EQ_INT(serve_route_of("/api/tables", name), SERVE_ROUTE_TABLES);
    CHECK_EQ_INT(serve_route_of("/api/tables/bars_1m", name), SERVE_ROUTE_DESCRIBE);
    CHECK_EQ_STR(name, "bars_1m");
    CHECK_EQ_INT(serve_route_of("/api/tables/bars_1m/partitions", name), SERVE_ROUTE_PARTITIONS);
    CHECK_EQ_INT(serve_route_of("/api/tables/bars_1m/ddl", name), SERVE_ROUTE_DDL);
    CHECK_EQ_INT(serve_route_of("/api/tables/bars_1m/other", name), SERVE_ROUTE_NONE);
    CHECK_EQ_INT(serve_route_of("/api/tables/1bad", name), SERVE_ROUTE_NONE);
    CHECK_EQ_INT(serve_route_of("/api/tables/a'b", name), SERVE_ROUTE_NONE);
    CHECK_EQ_INT(serve_route_of("/api/queries/0190f0c2-0000-7000-8000-000000000000.csv", name),
                 SERVE_ROUTE_RESULT);
    CHECK_EQ_STR(name, "0190f0c2-0000-7000-8000-000000000000");
    CHECK_EQ_INT(serve_route_of("/api/queries/../../etc/passwd.csv", name), SERVE_ROUTE_NONE);
    CHECK_EQ_INT(serve_route_of("/api/queries/0190F0C2-0000-7000-8000-000000000000.csv", name),
                 SERVE_ROUTE_NONE);
    CHECK_EQ_INT(serve_route_of("/api/nothing", name), SERVE_ROUTE_NONE);
    CHECK_EQ_INT(serve_route_of("/metrics", name), SERVE_ROUTE_METRICS);
    CHECK_EQ_INT(serve_route_of("/app.js", name), SERVE_ROUTE_STATIC);
    CHECK(serve_method_allowed(SERVE_ROUTE_QUERY, "POST"));
    CHECK(!serve_method_allowed(SERVE_ROUTE_QUERY, "GET"));
    CHECK(!serve_method_allowed(SERVE_ROUTE_TABLES, "DELETE"));
    CHECK(serve_method_allowed(SERVE_ROUTE_TABLES, "HEAD"));
    CHECK(serve_method_allowed(SERVE_ROUTE_STREAM, "GET"));
    CHECK(!serve_method_allowed(SERVE_ROUTE_STREAM, "HEAD"));
    /* A 405's Allow header lists exactly what serve_method_allowed lets pass. */
    CHECK_EQ_STR(serve_route_methods(SERVE_ROUTE_QUERY), "POST");
    CHECK_EQ_STR(serve_route_methods(SERVE_ROUTE_CANCEL), "POST");
    CHECK_EQ_STR(serve_route_methods(SERVE_ROUTE_STREAM), "GET");
    CHECK_EQ_STR(serve_route_methods(SERVE_ROUTE_TABLES), "GET, HEAD");
    CHECK_EQ_STR(serve_route_methods(SERVE_ROUTE_STATIC), "GET, HEAD");
    static const char *const methods[] = {"GET",     "HEAD", "POST", "PUT", "DELETE",
                                          "OPTIONS", "GE",   "EAD",  "POS", ""};
    for (int route = SERVE_ROUTE_STATIC; route <= SERVE_ROUTE_LAG; route++)
        for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
            const char *list = serve_route_methods((serve_route)route);
            int listed = 0;
            for (const char *p = list; *p;) {
                size_t n = strcspn(p, ",");
                listed |= strlen(methods[i]) == n && strncmp(p, methods[i], n) == 0;
                p += n;
                p += strspn(p, ", ");
            }
            CHECK_EQ_INT(serve_method_allowed((serve_route)route, methods[i]), listed);
        }
}

static void test_static_paths(void)
{
    char out[300];
    CHECK(serve_static_path("/", out, sizeof(out)) == 0);
    CHECK_EQ_STR(out, "index.html");
    CHECK(serve_static_path("/vendor/lightweight-charts.js", out, sizeof(out)) == 0);
    CHECK_EQ_STR(out, "vendor/lightweight-charts.js");
    CHECK(serve_static_path("/../etc/passwd", out, sizeof(out)) == -1);
    CHECK(serve_static_path("/a/../../b", out, sizeof(out)) == -1);
    CHECK(serve_static_path("/.git/config", out, sizeof(out)) == -1);
    CHECK(serve_static_path("//etc/passwd", out, sizeof(out)) == -1);
    CHECK(serve_static_path("/a\\..\\b", out, sizeof(out)) == -1);
    CHECK(serve_static_path("/a/", out, sizeof(out)) == -1);
    CHECK(serve_static_path("/a b", out, sizeof(out)) == -1);
    CHECK(serve_static_path("relative", out, sizeof(out)) == -1);
}

static void test_params(void)
{
    CHECK(serve_symbol_valid("AAPL"));
    CHECK(serve_symbol_valid("BRK.B"));
    CHECK(serve_symbol_valid("^GSPC"));
    CHECK(!serve_symbol_valid("A'B"));
    CHECK(!serve_symbol_valid(""));
    CHECK(!serve_symbol_valid("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"));
    char syms[4][32], err[128];
    CHECK_EQ_INT(serve_symbols_parse("AAPL,MSFT,AAPL", syms, 4, err, sizeof(err)), 2);
    CHECK_EQ_STR(syms[1], "MSFT");
    CHECK_EQ_INT(serve_symbols_parse("*", syms, 4, err, sizeof(err)), 0);
    CHECK_EQ_INT(serve_symbols_parse("AAPL,,MSFT", syms, 4, err, sizeof(err)), -1);
    CHECK_EQ_INT(serve_symbols_parse("A;B", syms, 4, err, sizeof(err)), -1);
    CHECK_EQ_INT(serve_symbols_parse("A,B,C,D,E", syms, 4, err, sizeof(err)), -1);
    int64_t ns;
    CHECK(serve_parse_time("1767225600", &ns) == 0 && ns == 1767225600LL * NS_PER_SEC);
    CHECK(serve_parse_time("1767225600.5", &ns) == 0 && ns == 1767225600500000000LL);
    CHECK(serve_parse_time("2026-01-01", &ns) == 0 && ns == 1767225600LL * NS_PER_SEC);
    CHECK(serve_parse_time("2026-01-01T00:00:01.25Z", &ns) == 0 && ns == 1767225601250000000LL);
    CHECK(serve_parse_time("2026-01-01Z", &ns) == 0 && ns == 1767225600LL * NS_PER_SEC);
    CHECK(serve_parse_time("2026-01-01ZZ", &ns) == -1);
    CHECK(serve_parse_time("2026-02-30", &ns) == -1);
    CHECK(serve_parse_time("0086-01-02", &ns) == -1); /* beyond int64 ns (the fuzzer's find) */
    CHECK(serve_parse_time("12abc", &ns) == -1);
    CHECK(serve_parse_time("", &ns) == -1);
    CHECK(serve_listen_is_loopback("127.0.0.1:8080"));
    CHECK(serve_listen_is_loopback("localhost:1"));
    CHECK(serve_listen_is_loopback("[::1]:80"));
    CHECK(!serve_listen_is_loopback("0.0.0.0:8080"));
    CHECK(!serve_listen_is_loopback("127.0.0.1.evil:80"));
    CHECK(!serve_listen_is_loopback("10.0.0.1:80"));
    /* a list is not loopback, nor one address */
    CHECK(!serve_listen_is_loopback("127.0.0.1:18081,0.0.0.0:18082"));
    CHECK(!serve_listen_is_loopback("[::1]:1,[::]:2"));
    CHECK(!serve_listen_is_loopback("localhost:1,0.0.0.0:2"));
    CHECK(!serve_listen_is_loopback("127.0.0.1:"));
    CHECK_EQ_INT(serve_listen_check("127.0.0.1:0", err, sizeof(err)), 0);
    CHECK_EQ_INT(serve_listen_check("[::1]:8080", err, sizeof(err)), 0);
    CHECK_EQ_INT(serve_listen_check("0.0.0.0:65535", err, sizeof(err)), 0);
    CHECK_EQ_INT(serve_listen_check("my-host.example:80", err, sizeof(err)), 0);
    CHECK_EQ_INT(serve_listen_check("127.0.0.1:18081,0.0.0.0:18082", err, sizeof(err)), -1);
    CHECK(strstr(err, "expected one HOST:PORT") != NULL);
    CHECK_EQ_INT(serve_listen_check("8080", err, sizeof(err)), -1);
    CHECK_EQ_INT(serve_listen_check("127.0.0.1:65536", err, sizeof(err)), -1);
    CHECK_EQ_INT(serve_listen_check("127.0.0.1:80s", err, sizeof(err)), -1);
    CHECK_EQ_INT(serve_listen_check("[::1]80", err, sizeof(err)), -1);

    /* Pages of other sites: refused by Origin; by Host in loopback mode (DNS rebinding). */
    CHECK(serve_request_foreign("127.0.0.1:8080", NULL, NULL, 1) == NULL); /* curl */
    CHECK(serve_request_foreign(NULL, NULL, NULL, 1) == NULL);
    CHECK(serve_request_foreign("127.0.0.1:8080", "http://127.0.0.1:8080", NULL, 1) == NULL);
    CHECK(serve_request_foreign("LOCALHOST:8080", "http://localhost:8080", NULL, 1) == NULL);
    CHECK(serve_request_foreign("[::1]:8080", "http://[::1]:8080", NULL, 1) == NULL);
    CHECK(serve_request_foreign("localhost", NULL, NULL, 1) == NULL);
    CHECK(serve_request_foreign("127.0.0.1:8080", "http://evil.example", NULL, 1) != NULL);
    CHECK(serve_request_foreign("127.0.0.1:8080", "null", NULL, 1) != NULL);
    CHECK(serve_request_foreign("127.0.0.1:8080", "http://evil.example", "http://evil.example",
                                1) == NULL); /* --cors-origin */
    CHECK(serve_request_foreign("evil.example:8080", "http://evil.example:8080", NULL, 1) != NULL);
    CHECK(serve_request_foreign("evil.example:8080", NULL, NULL, 1) != NULL);
    CHECK(serve_request_foreign("127.0.0.1.evil.example:8080", NULL, NULL, 1) != NULL);
    /* with a token in force, any Host; Origin still checked */
    CHECK(serve_request_foreign("box.example:8080", "http://box.example:8080", NULL, 0) == NULL);
    CHECK(serve_request_foreign("box.example:8080", "https://evil.example", NULL, 0) != NULL);
}

static void test_form_vars(void)
{
    char v[16];
    CHECK_EQ_INT(http_form_var("a=1&symbol=BRK%2EB&b=2", "symbol", 0, v, sizeof(v)), 5);
    CHECK_EQ_STR(v, "BRK.B");
    CHECK_EQ_INT(http_form_var("a=1", "symbol", 0, v, sizeof(v)), -1);
    CHECK_EQ_INT(http_form_var("x=0123456789abcdefghij", "x", 0, v, sizeof(v)), -2);
    CHECK_EQ_INT(http_form_var("k=a+b", "k", 0, v, sizeof(v)), 3);
    CHECK_EQ_STR(v, "a b");
}

static void test_query_body(void)
{
    serve_query_req q;
    char err[256];
    const char *b =
        "{\"sql\":\"SELECT 1\",\"max_rows\":500000,\"timeout_ms\":5,\"format\":\"csv\"}";
    CHECK(serve_query_parse(b, strlen(b), 1000, 100000, 30000, 60000, &q, err, sizeof(err)) == 0);
    CHECK_EQ_STR(q.sql, "SELECT 1");
    CHECK_EQ_INT(q.max_rows, 100000);
    CHECK_EQ_INT(q.timeout_ms, 5);
    CHECK_EQ_INT(q.format, SERVE_FMT_CSV);
    serve_query_req_release(&q);
    b = "{\"sql\":\"SELECT 1\"}";
    CHECK(serve_query_parse(b, strlen(b), 1000, 100000, 30000, 60000, &q, err, sizeof(err)) == 0);
    CHECK_EQ_INT(q.max_rows, 1000);
    CHECK_EQ_INT(q.timeout_ms, 30000);
    serve_query_req_release(&q);
    b = "{\"sql\":\"SELECT 1\",\"tag\":\"run-7_a\"}";
    CHECK(serve_query_parse(b, strlen(b), 1000, 100000, 30000, 60000, &q, err, sizeof(err)) == 0);
    CHECK_EQ_STR(q.tag, "run-7_a");
    CHECK_EQ_INT(q.format, SERVE_FMT_JSON);
    serve_query_req_release(&q);
    b = "{\"sql\":\"SELECT 1\",\"format\":\"parquet\"}";
    CHECK(serve_query_parse(b, strlen(b), 1000, 100000, 30000, 60000, &q, err, sizeof(err)) == 0);
    CHECK_EQ_INT(q.format, SERVE_FMT_PARQUET);
    serve_query_req_release(&q);
    b = "{\"sql\":\"SELECT 1\",\"format\":\"arrow\"}";
    CHECK(serve_query_parse(b, strlen(b), 1000, 100000, 30000, 60000, &q, err, sizeof(err)) == 0);
    CHECK_EQ_INT(q.format, SERVE_FMT_ARROW);
    serve_query_req_release(&q);
    b = "{\"sql\":\"SELECT 1\",\"format\":\"feather\"}";
    CHECK(serve_query_parse(b, strlen(b), 1000, 100000, 30000, 60000, &q, err, sizeof(err)) == -1);
    CHECK(strstr(err, "\"arrow\"") != NULL);
    serve_query_req_release(&q);
    char tag[40];
    b = "{\"tag\":\"run-7_a\"}";
    CHECK(serve_cancel_parse(b, strlen(b), tag, err, sizeof(err)) == 0);
    CHECK_EQ_STR(tag, "run-7_a");
    b = "{\"tag\":\"a b\"}";
    CHECK(serve_cancel_parse(b, strlen(b), tag, err, sizeof(err)) == -1);
    CHECK(serve_cancel_parse("{}", 2, tag, err, sizeof(err)) == -1);
    char name[SERVE_NAME_MAX];
    CHECK_EQ_INT(serve_route_of("/api/query/cancel", name), SERVE_ROUTE_CANCEL);
    CHECK_EQ_INT(serve_route_of("/api/lag", name), SERVE_ROUTE_LAG);
    const char *bad[] = {"",
                         "[]",
                         "{\"sql\":\"x\",\"tag\":\"\"}",
                         "{\"sql\":\"x\",\"tag\":\"../x\"}",
                         "{\"sql\":1}",
                         "{\"sql\":\"  \"}",
                         "{\"sql\":\"x\",\"max_rows\":0}",
                         "{\"sql\":\"x\",\"format\":\"xml\"}",
                         "{\"sql\":\"x\",\"timeout_ms\":1.5}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(serve_query_parse(bad[i], strlen(bad[i]), 1000, 100000, 30000, 60000, &q, err,
                                sizeof(err)) == -1);
}

static void test_tokens_and_frames(void)
{
    CHECK(serve_token_equal("secret-1", 8, "secret-1", 8));
    CHECK(!serve_token_equal("secret-2", 8, "secret-1", 8));
    CHECK(!serve_token_equal("secret", 6, "secret-1", 8));
    CHECK(!serve_token_equal("", 0, "secret-1", 8));
    size_t n = 0;
    const char *t = serve_request_token("Bearer abc123", NULL, &n);
    CHECK(t && n == 6 && strncmp(t, "abc123", 6) == 0);
    t = serve_request_token(NULL, "a=1; ticklake_token=xyz; b=2", &n);
    CHECK(t && n == 3 && strncmp(t, "xyz", 3) == 0);
    CHECK(serve_request_token("Basic abc", "a=1", &n) == NULL);
    buf b;
    buf_init(&b);
    serve_sse_frame(&b, 5, "alert", "{\"a\":1}", 7);
    CHECK_EQ_STR(b.data, "id: 5\nevent: alert\ndata: {\"a\":1}\n\n");
    buf_reset(&b);
    /* A newline in the data cannot end the event or start another. */
    serve_sse_frame(&b, 6, "x", "a\n\nevent: evil\r\nb", 17);
    buf_putc(&b, '\0');
    CHECK_EQ_STR(b.data, "id: 6\nevent: x\ndata: a\ndata: \ndata: event: evil\ndata: b\n\n");
    buf_release(&b);
}

/* A row's members as the engine wrote them: every digit, nested values whole. */
static void test_json_members(void)
{
    serve_span k[8], v[8];
    const char *row =
        "{\"u\":18446744073709551615, \"d\" : 12345678901234567.89,\"l\":[1,[2,\"]\"]],"
        "\"st\":{\"a\":\"x\\\"y}\"},\"s\":\"\u00e9,\",\"n\":null }";
    CHECK_EQ_INT(serve_json_members(row, strlen(row), k, v, 8), 6);
    static const char *const want_k[] = {"\"u\"", "\"d\"", "\"l\"", "\"st\"", "\"s\"", "\"n\""};
    static const char *const want_v[] = {"18446744073709551615", "12345678901234567.89",
                                         "[1,[2,\"]\"]]",        "{\"a\":\"x\\\"y}\"}",
                                         "\"\u00e9,\"",          "null"};
    for (int i = 0; i < 6; i++) {
        CHECK(k[i].n == strlen(want_k[i]) && memcmp(k[i].p, want_k[i], k[i].n) == 0);
        CHECK(v[i].n == strlen(want_v[i]) && memcmp(v[i].p, want_v[i], v[i].n) == 0);
    }
    CHECK_EQ_INT(serve_json_members("{}", 2, k, v, 8), 0);
    CHECK_EQ_INT(serve_json_members("[1]", 3, k, v, 8), -1);
    CHECK_EQ_INT(serve_json_members("{\"a\":}", 6, k, v, 8), -1);
    CHECK_EQ_INT(serve_json_members("{\"a\":1", 6, k, v, 8), -1);
    /* more members than room: counted, the first max filled */
    CHECK_EQ_INT(serve_json_members("{\"a\":1,\"b\":2,\"c\":3}", 19, k, v, 2), 3);
}

TEST_MAIN(TEST(test_json_members), TEST(test_routes), TEST(test_static_paths), TEST(test_params),
          TEST(test_form_vars), TEST(test_query_body), TEST(test_tokens_and_frames))
