/* serve_req.c - the pure parts of serve's requests (serve_req.h). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "civil.h"
#include "json.h"
#include "serve_req.h"

static int table_name_valid(const char *s, size_t n)
{
    if (n == 0 || n >= SERVE_NAME_MAX || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
            return 0;
    return 1;
}

/* A query id: 36 characters, lower-case hex with dashes at 8, 13, 18, 23. */
static int id_valid(const char *s, size_t n)
{
    if (n != 36)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

serve_route serve_route_of(const char *path, char name[SERVE_NAME_MAX])
{
    name[0] = '\0';
    static const struct {
        const char *path;
        serve_route route;
    } fixed[] = {
        {"/healthz", SERVE_ROUTE_HEALTHZ},       {"/readyz", SERVE_ROUTE_READYZ},
        {"/metrics", SERVE_ROUTE_METRICS},       {"/api/tables", SERVE_ROUTE_TABLES},
        {"/api/query", SERVE_ROUTE_QUERY},       {"/api/query/cancel", SERVE_ROUTE_CANCEL},
        {"/api/queries", SERVE_ROUTE_HISTORY},   {"/api/bars", SERVE_ROUTE_BARS},
        {"/api/alerts", SERVE_ROUTE_ALERTS},     {"/api/symbols", SERVE_ROUTE_SYMBOLS},
        {"/api/overview", SERVE_ROUTE_OVERVIEW}, {"/api/status", SERVE_ROUTE_STATUS},
        {"/api/stream", SERVE_ROUTE_STREAM},     {"/api/lag", SERVE_ROUTE_LAG},
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (strcmp(path, fixed[i].path) == 0)
            return fixed[i].route;
    if (strncmp(path, "/api/tables/", 12) == 0) {
        const char *n = path + 12;
        const char *slash = strchr(n, '/');
        size_t len = slash ? (size_t)(slash - n) : strlen(n);
        if (!table_name_valid(n, len))
            return SERVE_ROUTE_NONE;
        memcpy(name, n, len);
        name[len] = '\0';
        if (!slash)
            return SERVE_ROUTE_DESCRIBE;
        if (strcmp(slash, "/partitions") == 0)
            return SERVE_ROUTE_PARTITIONS;
        if (strcmp(slash, "/ddl") == 0)
            return SERVE_ROUTE_DDL;
        name[0] = '\0';
        return SERVE_ROUTE_NONE;
    }
    if (strncmp(path, "/api/queries/", 13) == 0) {
        const char *n = path + 13;
        size_t len = strlen(n);
        if (len == 40 && strcmp(n + 36, ".csv") == 0 && id_valid(n, 36)) {
            memcpy(name, n, 36);
            name[36] = '\0';
            return SERVE_ROUTE_RESULT;
        }
        return SERVE_ROUTE_NONE;
    }
    if (strcmp(path, "/api") == 0 || strncmp(path, "/api/", 5) == 0)
        return SERVE_ROUTE_NONE;
    return SERVE_ROUTE_STATIC;
}

const char *serve_route_methods(serve_route route)
{
    if (route == SERVE_ROUTE_QUERY || route == SERVE_ROUTE_CANCEL)
        return "POST";
    if (route == SERVE_ROUTE_STREAM) /* a HEAD would hold a stream slot, sending nothing */
        return "GET";
    return "GET, HEAD";
}

int serve_method_allowed(serve_route route, const char *method)
{
    /* A word of serve_route_methods' list ("GET, HEAD"): the one table. */
    size_t n = strlen(method);
    const char *allow = serve_route_methods(route);
    for (const char *p = allow; n && (p = strstr(p, method)) != NULL; p += n)
        if ((p == allow || p[-1] == ' ') && (p[n] == '\0' || p[n] == ','))
            return 1;
    return 0;
}

int serve_static_path(const char *path, char *out, size_t out_size)
{
    if (path[0] != '/')
        return -1;
    if (strcmp(path, "/") == 0)
        path = "/index.html";
    size_t n = strlen(path);
    if (n > 255 || n + 1 > out_size)
        return -1;
    int depth = 0;
    const char *p = path;
    size_t o = 0;
    while (*p == '/') {
        p++;
        const char *seg = p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - seg);
        if (len == 0 || ++depth > 8)
            return -1;
        if (!(isalnum((unsigned char)seg[0]) || seg[0] == '_' || seg[0] == '-'))
            return -1; /* no "..", no hidden files */
        for (size_t i = 0; i < len; i++) {
            char c = seg[i];
            if (!(isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.'))
                return -1;
        }
        if (o)
            out[o++] = '/';
        memcpy(out + o, seg, len);
        o += len;
    }
    if (*p || o == 0)
        return -1;
    out[o] = '\0';
    return 0;
}

int serve_symbol_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 31)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(isalnum((unsigned char)c) || strchr(".^=_:-", c)))
            return 0;
    }
    return 1;
}

int serve_symbols_parse(const char *list, char (*out)[32], size_t max, char *errstr,
                        size_t errstr_size)
{
    if (!list || !*list || strcmp(list, "*") == 0)
        return 0;
    size_t n = 0;
    const char *p = list;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char sym[40];
        if (len == 0 || len > 31) {
            set_err(errstr, errstr_size, "bad symbol in '%.*s': empty or longer than 31 bytes",
                    (int)(strlen(list) > 64 ? 64 : strlen(list)), list);
            return -1;
        }
        memcpy(sym, p, len);
        sym[len] = '\0';
        if (!serve_symbol_valid(sym)) {
            set_err(errstr, errstr_size, "bad symbol '%s'", sym);
            return -1;
        }
        size_t k = 0;
        while (k < n && strcmp(out[k], sym) != 0)
            k++;
        if (k == n) {
            if (n == max) {
                set_err(errstr, errstr_size, "more than %zu symbols", max);
                return -1;
            }
            memcpy(out[n++], sym, len + 1);
        }
        if (!e)
            break;
        p = e + 1;
    }
    return (int)n;
}

/* Reads exactly n digits at *p into *v. */
static int digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        *v = *v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return 0;
}

int serve_parse_time(const char *s, int64_t *ns)
{
    size_t n = strlen(s);
    if (n == 0 || n > 40)
        return -1;
    if (n >= 10 && s[4] == '-' && s[7] == '-') {
        const char *p = s;
        int y, mo, d, h = 0, mi = 0, sec = 0;
        if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
            digits(&p, 2, &d))
            return -1;
        /* Nanoseconds since 1970 in an int64 reach from 1677 to 2262. */
        if (y < 1678 || y > 2261 || mo < 1 || mo > 12 || d < 1 || d > (int)civil_month_days(y, mo))
            return -1;
        int64_t frac = 0;
        if (*p == 'T' || *p == ' ') {
            p++;
            if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
                return -1;
            if (*p == ':') {
                p++;
                if (digits(&p, 2, &sec))
                    return -1;
                if (*p == '.') {
                    p++;
                    int64_t scale = 100000000;
                    if (!isdigit((unsigned char)*p))
                        return -1;
                    while (isdigit((unsigned char)*p)) {
                        frac += (*p - '0') * scale;
                        scale /= 10;
                        p++;
                    }
                }
            }
            if (h > 23 || mi > 59 || sec > 60)
                return -1;
        }
        if (*p == 'Z') /* UTC, after a time or a date alone (API.md's grammar) */
            p++;
        if (*p)
            return -1;
        *ns = (days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec) *
                  NS_PER_SEC +
              frac;
        return 0;
    }
    /* Seconds, perhaps with a fraction. */
    const char *p = s;
    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return -1;
    int dot = 0;
    for (const char *q = p; *q; q++) {
        if (*q == '.' && !dot)
            dot = 1;
        else if (!isdigit((unsigned char)*q))
            return -1;
    }
    char *end;
    double v = strtod(s, &end);
    if (*end || !isfinite(v) || fabs(v) > 9.2e9)
        return -1;
    *ns = (int64_t)llround(v * 1e9);
    return 0;
}

/* A tag: a string of 1..36 [A-Za-z0-9_-] into out. */
static int tag_copy(const json_value *v, char out[40])
{
    if (v->type != JSON_STRING || v->len < 1 || v->len > 36)
        return -1;
    for (size_t i = 0; i < v->len; i++)
        if (!(isalnum((unsigned char)v->str[i]) || v->str[i] == '_' || v->str[i] == '-'))
            return -1;
    memcpy(out, v->str, v->len);
    out[v->len] = '\0';
    return 0;
}

int serve_cancel_parse(const char *body, size_t len, char tag[40], char *errstr, size_t errstr_size)
{
    char err[256];
    json_doc *doc = json_parse(body, len, err, sizeof(err));
    if (!doc)
        return set_err(errstr, errstr_size, "request body: %s", err);
    const json_value *v = json_get(json_root(doc), "tag");
    int rc = v && tag_copy(v, tag) == 0 ? 0 : -1;
    json_doc_free(doc);
    if (rc != 0)
        set_err(errstr, errstr_size,
                "request body: \"tag\" (1 to 36 of A-Z a-z 0-9 _ -) is required");
    return rc;
}

int serve_query_parse(const char *body, size_t len, int64_t default_rows, int64_t max_rows,
                      int64_t default_timeout_ms, int64_t max_timeout_ms, serve_query_req *out,
                      char *errstr, size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    char err[256];
    json_doc *doc = json_parse(body, len, err, sizeof(err));
    if (!doc)
        return set_err(errstr, errstr_size, "request body: %s", err);
    int rc = -1;
    const json_value *root = json_root(doc);
    if (root->type != JSON_OBJECT) {
        set_err(errstr, errstr_size, "request body: expected a JSON object");
        goto done;
    }
    const json_value *sql = json_get(root, "sql");
    if (!sql || sql->type != JSON_STRING) {
        set_err(errstr, errstr_size, "request body: \"sql\" (a string) is required");
        goto done;
    }
    size_t i = 0;
    while (i < sql->len && isspace((unsigned char)sql->str[i]))
        i++;
    if (i == sql->len || memchr(sql->str, '\0', sql->len)) {
        set_err(errstr, errstr_size, "request body: \"sql\" is empty");
        goto done;
    }
    out->max_rows = default_rows;
    out->timeout_ms = default_timeout_ms;
    const json_value *v = json_get(root, "max_rows");
    if (v && (v->type != JSON_NUMBER || !v->is_int || v->i < 1)) {
        set_err(errstr, errstr_size, "request body: \"max_rows\" must be a positive integer");
        goto done;
    }
    if (v)
        out->max_rows = v->i < max_rows ? v->i : max_rows;
    v = json_get(root, "timeout_ms");
    if (v && (v->type != JSON_NUMBER || !v->is_int || v->i < 1)) {
        set_err(errstr, errstr_size, "request body: \"timeout_ms\" must be a positive integer");
        goto done;
    }
    if (v)
        out->timeout_ms = v->i < max_timeout_ms ? v->i : max_timeout_ms;
    v = json_get(root, "format");
    if (v) {
        static const char *const names[] = {[SERVE_FMT_JSON] = "json",
                                            [SERVE_FMT_CSV] = "csv",
                                            [SERVE_FMT_PARQUET] = "parquet",
                                            [SERVE_FMT_ARROW] = "arrow"};
        size_t k = 0;
        while (k < sizeof(names) / sizeof(names[0]) &&
               !(v->type == JSON_STRING && strcmp(v->str, names[k]) == 0))
            k++;
        if (k < sizeof(names) / sizeof(names[0])) {
            out->format = (serve_format)k;
        } else {
            set_err(errstr, errstr_size,
                    "request body: \"format\" is \"json\", \"csv\", \"parquet\" or \"arrow\"");
            goto done;
        }
    }
    v = json_get(root, "tag");
    if (v && tag_copy(v, out->tag) != 0) {
        set_err(errstr, errstr_size, "request body: \"tag\" is 1 to 36 of A-Z a-z 0-9 _ -");
        goto done;
    }
    out->sql = xstrndup(sql->str, sql->len);
    rc = 0;
done:
    json_doc_free(doc);
    return rc;
}

void serve_query_req_release(serve_query_req *q)
{
    free(q->sql);
    q->sql = NULL;
}

int serve_token_equal(const char *a, size_t a_len, const char *b, size_t b_len)
{
    /* Every byte of b is compared, whatever a holds; a short a is read
     * cyclically so the loop does not leak where it ends. */
    unsigned diff = (unsigned)(a_len ^ b_len);
    for (size_t i = 0; i < b_len; i++) {
        unsigned char ca = a_len ? (unsigned char)a[i % a_len] : 0;
        diff |= ca ^ (unsigned char)b[i];
    }
    return diff == 0;
}

const char *serve_request_token(const char *auth, const char *cookie, size_t *len)
{
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
        const char *t = auth + 7;
        while (*t == ' ')
            t++;
        size_t n = strcspn(t, " \t\r\n");
        if (n) {
            *len = n;
            return t;
        }
    }
    for (const char *c = cookie; c && *c;) {
        while (*c == ' ' || *c == ';')
            c++;
        if (strncmp(c, "ticklake_token=", 15) == 0) {
            const char *t = c + 15;
            size_t n = strcspn(t, "; \t");
            if (n) {
                *len = n;
                return t;
            }
        }
        c = strchr(c, ';');
    }
    return NULL;
}

void serve_sse_frame(buf *out, uint64_t id, const char *event, const char *data, size_t len)
{
    char num[FMT_INT64_SIZE];
    buf_puts(out, "id: ");
    buf_append(out, num, fmt_int64(num, (int64_t)id));
    buf_puts(out, "\nevent: ");
    buf_puts(out, event);
    buf_putc(out, '\n');
    size_t i = 0;
    for (;;) {
        size_t j = i;
        while (j < len && data[j] != '\n' && data[j] != '\r')
            j++;
        buf_puts(out, "data: ");
        buf_append(out, data + i, j - i);
        buf_putc(out, '\n');
        if (j >= len)
            break;
        if (data[j] == '\r' && j + 1 < len && data[j + 1] == '\n')
            j++;
        i = j + 1;
    }
    buf_putc(out, '\n');
}

/* The end of a port's digits ("0" to "65535") at p, or NULL. */
static const char *port_end(const char *p)
{
    long v = 0;
    const char *q = p;
    while (isdigit((unsigned char)*q) && q - p < 5)
        v = v * 10 + (*q++ - '0');
    return q > p && v <= 65535 ? q : NULL;
}

/* The end of the JSON string starting at s[i] ('"'), or n. */
static size_t json_string_end(const char *s, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return n;
}

static int json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_space(const char *s, size_t n, size_t i)
{
    while (i < n && json_space(s[i]))
        i++;
    return i;
}

int serve_json_members(const char *s, size_t n, serve_span *keys, serve_span *vals, size_t max)
{
    size_t i = skip_space(s, n, 0), count = 0;
    if (i >= n || s[i] != '{')
        return -1;
    i = skip_space(s, n, i + 1);
    if (i < n && s[i] == '}')
        return 0;
    while (i < n && s[i] == '"') {
        size_t k0 = i;
        i = json_string_end(s, n, i);
        size_t k1 = i;
        i = skip_space(s, n, i);
        if (i >= n || s[i] != ':')
            return -1;
        i = skip_space(s, n, i + 1);
        size_t v0 = i;
        int depth = 0;
        while (i < n) {
            char c = s[i];
            if (c == '"') {
                i = json_string_end(s, n, i);
                continue;
            }
            if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (depth == 0)
                    break;
                depth--;
            } else if (c == ',' && depth == 0) {
                break;
            }
            i++;
        }
        size_t v1 = i;
        while (v1 > v0 && json_space(s[v1 - 1]))
            v1--;
        if (v1 == v0)
            return -1;
        if (count < max) {
            keys[count] = (serve_span){s + k0, k1 - k0};
            vals[count] = (serve_span){s + v0, v1 - v0};
        }
        count++;
        if (i < n && s[i] == ',')
            i = skip_space(s, n, i + 1);
        else if (i < n && s[i] == '}')
            return (int)count;
        else
            return -1;
    }
    return -1;
}

/* The length of the host of "host[:port]" ("[v6][:port]"); *port the
 * port's digits after the colon, or NULL when there is no port. */
static size_t host_part(const char *s, const char **port)
{
    size_t n;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        n = close ? (size_t)(close - s) + 1 : strlen(s);
    } else {
        n = strcspn(s, ":");
    }
    *port = s[n] == ':' ? s + n + 1 : NULL;
    return n;
}

/* 1 when h[0..n) names a loopback address: localhost, [::1], 127.a.b.c. */
static int loopback_name(const char *h, size_t n)
{
    if ((n == 9 && strncasecmp(h, "localhost", 9) == 0) || (n == 5 && memcmp(h, "[::1]", 5) == 0))
        return 1;
    if (n < 4 || strncmp(h, "127.", 4) != 0)
        return 0;
    const char *p = h + 4, *end = h + n;
    for (int k = 0; k < 3; k++) {
        if (p == end || !isdigit((unsigned char)*p))
            return 0;
        int v = 0;
        while (p < end && isdigit((unsigned char)*p) && v <= 255)
            v = v * 10 + (*p++ - '0');
        if (v > 255 || (k < 2 && (p == end || *p++ != '.')))
            return 0;
    }
    return p == end;
}

/* 1 when a Host header ("name", "name:port", "[v6]:port") names a
 * loopback address. */
static int host_is_loopback(const char *host)
{
    const char *port;
    size_t n = host_part(host, &port);
    const char *e = port ? port_end(port) : "";
    return e && !*e && loopback_name(host, n);
}

const char *serve_request_foreign(const char *host, const char *origin, const char *cors,
                                  int loopback_only)
{
    if (loopback_only && host && !host_is_loopback(host))
        return "the Host header names no loopback address (a page that points its own name at "
               "this machine); open the console as http://127.0.0.1:PORT/";
    if (!origin)
        return NULL;
    if (cors && strcmp(origin, cors) == 0)
        return NULL;
    const char *sep = strstr(origin, "://");
    if (host && sep && strcasecmp(sep + 3, host) == 0 &&
        (strncmp(origin, "http://", 7) == 0 || strncmp(origin, "https://", 8) == 0))
        return NULL;
    return "a request from a page of another origin (Origin does not match Host; see "
           "--cors-origin)";
}

int serve_listen_check(const char *listen, char *errstr, size_t errstr_size)
{
    const char *p = listen, *colon = NULL;
    if (*p == '[') {
        const char *e = strchr(p, ']');
        size_t n = strspn(p + 1, "0123456789abcdefABCDEF:.");
        if (e && e == p + 1 + n && n > 0 && e[1] == ':')
            colon = e + 1;
    } else {
        size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
        if (n > 0 && p[n] == ':')
            colon = p + n;
    }
    const char *e = colon ? port_end(colon + 1) : NULL;
    if (!e || *e)
        return set_err(errstr, errstr_size,
                       "--listen: expected one HOST:PORT (127.0.0.1:8080, [::1]:8080, "
                       "0.0.0.0:8080), not '%s'",
                       listen);
    return 0;
}

int serve_listen_is_loopback(const char *listen)
{
    const char *port;
    size_t n = host_part(listen, &port);
    const char *e = port ? port_end(port) : NULL;
    return n > 0 && e && !*e && loopback_name(listen, n);
}
