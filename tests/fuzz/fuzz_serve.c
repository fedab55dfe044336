/* fuzz_serve.c - libFuzzer target: what `ticklake serve` makes of a request's
 * path, query string and JSON body (serve_req.c, and the HTTP library's
 * query-string decoding through http_form_var) accepts or rejects any bytes
 * without crashing, and:
 *   - a static path it accepts stays below the console's folder: relative,
 *     no "." or ".." segment, no hidden file, no backslash;
 *   - a table name or query id it routes is one the API validates;
 *   - a query body it accepts has non-blank SQL and limits within the maxima;
 *   - every symbol it parses is one serve_symbol_valid accepts;
 *   - an SSE frame of any data is lines of "id:", "event:" and "data:" ending
 *     with one blank line, so data cannot forge another event;
 *   - a token equals itself and not a different one.
 * The input is PATH \0 QUERY \0 BODY. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "serve_req.h"

static void check_static(const char *path)
{
    char out[300];
    if (serve_static_path(path, out, sizeof(out)) != 0)
        return;
    /* No segment starts with '.' (so none is "." or ".."), none is empty. */
    if (out[0] == '/' || strchr(out, '\\') || strstr(out, "/.") || out[0] == '.' ||
        strstr(out, "//") || out[strlen(out) - 1] == '/')
        abort();
}

static void check_frame(const char *data, size_t len)
{
    buf b;
    buf_init(&b);
    serve_sse_frame(&b, 7, "trade", data, len);
    if (b.len < 2 || b.data[b.len - 1] != '\n' || b.data[b.len - 2] != '\n')
        abort();
    /* Every line up to the final blank one is a field. */
    size_t i = 0, end = b.len - 1;
    while (i < end) {
        const char *nl = memchr(b.data + i, '\n', end - i);
        if (!nl)
            abort();
        size_t n = (size_t)(nl - (b.data + i));
        if (!(strncmp(b.data + i, "id: ", 4) == 0 || strncmp(b.data + i, "event: ", 7) == 0 ||
              strncmp(b.data + i, "data: ", 6) == 0))
            abort();
        if (memchr(b.data + i, '\r', n))
            abort();
        i += n + 1;
    }
    buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 3);
    memcpy(in, data, size);
    in[size] = in[size + 1] = in[size + 2] = '\0';
    const char *path = in;
    const char *query = path + strlen(path) + 1;
    if (query > in + size)
        query = in + size + 1;
    const char *body = query + strlen(query) + 1;
    if (body > in + size)
        body = in + size + 2;
    size_t body_len = size - (size_t)(body - in) <= size ? size - (size_t)(body - in) : 0;
    if (body > in + size)
        body_len = 0;

    char name[SERVE_NAME_MAX];
    serve_route r = serve_route_of(path, name);
    if ((r == SERVE_ROUTE_DESCRIBE || r == SERVE_ROUTE_PARTITIONS || r == SERVE_ROUTE_DDL) &&
        (!name[0] ||
         strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
             strlen(name)))
        abort();
    if (r == SERVE_ROUTE_RESULT && strlen(name) != 36)
        abort();
    serve_method_allowed(r, "GET");
    check_static(path);

    char v[256];
    static const char *const names[] = {"symbol", "symbols", "interval", "from",
                                        "to",     "limit",   "kinds",    "token"};
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        int n = http_form_var(query, names[k], 0, v, sizeof(v));
        if (n < 0)
            continue;
        int64_t ns;
        serve_parse_time(v, &ns);
        serve_symbol_valid(v);
        char syms[16][32], err[128];
        int m = serve_symbols_parse(v, syms, 16, err, sizeof(err));
        for (int i = 0; i < m; i++)
            if (!serve_symbol_valid(syms[i]))
                abort();
        serve_listen_is_loopback(v);
        size_t tl = 0;
        serve_request_token(v, v, &tl);
    }
    serve_query_req q;
    char err[256];
    if (serve_query_parse(body, body_len, 1000, 5000, 30000, 60000, &q, err, sizeof(err)) == 0) {
        if (!q.sql || !q.sql[0] || q.max_rows < 1 || q.max_rows > 5000 || q.timeout_ms < 1 ||
            q.timeout_ms > 60000)
            abort();
        for (const char *t = q.tag; *t; t++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", *t))
                abort();
        serve_query_req_release(&q);
    }
    char tag[40];
    if (serve_cancel_parse(body, body_len, tag, err, sizeof(err)) == 0 && !tag[0])
        abort();
    check_frame(body, body_len);
    if (!serve_token_equal(path, strlen(path), path, strlen(path)))
        abort();
    if (strlen(path) && serve_token_equal(path, strlen(path), "x", 1) && strcmp(path, "x") != 0)
        abort();
    free(in);
    return 0;
}
