/* s3.c - the S3 client: SigV4, XML and INI readers (pure), credentials, and
 * object operations over libcurl with retries. See s3.h for the contract. */
#include "s3.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "civil.h"
#include "log.h"

#define MIB (1024 * 1024)
#define S3_MIN_PART (5 * MIB)
#define S3_MAX_PARTS 10000
#define XML_MAX_DEPTH 32
#define ERR_BODY_MAX (64 * 1024)

/* Frees a string that may hold a secret, wiping it first. */
static void free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

static void buf_release_secret(buf *b)
{
    if (b->data)
        OPENSSL_cleanse(b->data, b->cap);
    buf_release(b);
}

/* ------------------------------------------------------------------------
 * Hashing and encoding
 * ------------------------------------------------------------------------ */

static const char HEX[] = "0123456789abcdef";

static void to_hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[d[i] >> 4];
        out[2 * i + 1] = HEX[d[i] & 15];
    }
    out[2 * n] = '\0';
}

void s3_sha256_hex(const void *data, size_t len, char out[S3_SHA256_HEX_SIZE])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        abort(); /* SHA-256 cannot fail short of memory exhaustion */
    to_hex(md, 32, out);
}

static void hmac256(const void *key, size_t keylen, const void *msg, size_t msglen,
                    unsigned char out[32])
{
    unsigned int outlen = 0;
    if (!HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &outlen) || outlen != 32)
        abort();
}

void s3_amz_date(int64_t unix_s, char out[S3_AMZ_DATE_SIZE])
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, S3_AMZ_DATE_SIZE, "%Y%m%dT%H%M%SZ", &tm);
}

static int is_unreserved(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

void s3_uri_encode(buf *out, const char *s, size_t n, int keep_slash)
{
    static const char UHEX[] = "0123456789ABCDEF";
    buf_reserve(out, n * 3);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (is_unreserved(ch) || (keep_slash && ch == '/')) {
            out->data[out->len++] = (char)ch;
        } else {
            out->data[out->len++] = '%';
            out->data[out->len++] = UHEX[ch >> 4];
            out->data[out->len++] = UHEX[ch & 15];
        }
    }
    out->data[out->len] = '\0';
}

/* ------------------------------------------------------------------------
 * SigV4
 * ------------------------------------------------------------------------ */

typedef struct enc_pair {
    char *name;
    char *value;
} enc_pair;

static int enc_pair_cmp(const void *a, const void *b)
{
    const enc_pair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

void s3_canonical_query(buf *out, const s3_kv *query, size_t n)
{
    if (n == 0)
        return;
    enc_pair *v = xrealloc(NULL, n * sizeof(*v));
    buf t = {0};
    for (size_t i = 0; i < n; i++) {
        buf_reset(&t);
        s3_uri_encode(&t, query[i].name, strlen(query[i].name), 0);
        v[i].name = xstrdup(t.data);
        buf_reset(&t);
        const char *val = query[i].value ? query[i].value : "";
        s3_uri_encode(&t, val, strlen(val), 0);
        v[i].value = xstrdup(t.data);
    }
    qsort(v, n, sizeof(*v), enc_pair_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(out, '&');
        buf_puts(out, v[i].name);
        buf_putc(out, '=');
        buf_puts(out, v[i].value);
        free(v[i].name);
        free(v[i].value);
    }
    free(v);
    buf_release(&t);
}

/* A header as signed: lower-case name, value trimmed with inner runs of
 * spaces collapsed. */
typedef struct canon_header {
    char *name;
    char *value;
} canon_header;

static int canon_header_cmp(const void *a, const void *b)
{
    return strcmp(((const canon_header *)a)->name, ((const canon_header *)b)->name);
}

/* Canonical headers, sorted by name, with repeated names merged (values
 * joined with ','). Returns the count; free with canon_free. */
static size_t canon_headers(const s3_sign_input *in, canon_header **out)
{
    canon_header *v = xrealloc(NULL, (in->nheaders ? in->nheaders : 1) * sizeof(*v));
    size_t n = 0;
    for (size_t i = 0; i < in->nheaders; i++) {
        char *name = xstrdup(in->headers[i].name);
        for (char *p = name; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        const char *s = in->headers[i].value ? in->headers[i].value : "";
        buf val = {0};
        buf_puts(&val, "");
        int space = 0;
        while (*s == ' ' || *s == '\t')
            s++;
        for (; *s; s++) {
            if (*s == ' ' || *s == '\t') {
                space = 1;
                continue;
            }
            if (space && val.len)
                buf_putc(&val, ' ');
            space = 0;
            buf_putc(&val, *s);
        }
        v[n].name = name;
        v[n].value = val.data;
        n++;
    }
    qsort(v, n, sizeof(*v), canon_header_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && strcmp(v[m - 1].name, v[i].name) == 0) {
            buf merged = {0};
            buf_printf(&merged, "%s,%s", v[m - 1].value, v[i].value);
            free(v[m - 1].value);
            free(v[i].name);
            free(v[i].value);
            v[m - 1].value = merged.data;
        } else {
            v[m++] = v[i];
        }
    }
    *out = v;
    return m;
}

static void canon_free(canon_header *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].value);
    }
    free(v);
}

void s3_signed_headers(buf *out, const s3_sign_input *in)
{
    canon_header *h;
    size_t n = canon_headers(in, &h);
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(out, ';');
        buf_puts(out, h[i].name);
    }
    canon_free(h, n);
}

void s3_canonical_request(buf *out, const s3_sign_input *in)
{
    buf_printf(out, "%s\n%s\n", in->method, in->canonical_uri);
    s3_canonical_query(out, in->query, in->nquery);
    buf_putc(out, '\n');
    canon_header *h;
    size_t n = canon_headers(in, &h);
    for (size_t i = 0; i < n; i++)
        buf_printf(out, "%s:%s\n", h[i].name, h[i].value);
    buf_putc(out, '\n');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(out, ';');
        buf_puts(out, h[i].name);
    }
    canon_free(h, n);
    buf_printf(out, "\n%s", in->payload_hash);
}

static void scope(buf *out, const s3_sign_input *in)
{
    buf_printf(out, "%.8s/%s/%s/aws4_request", in->amz_date, in->region, in->service);
}

void s3_string_to_sign(buf *out, const s3_sign_input *in)
{
    buf creq = {0};
    s3_canonical_request(&creq, in);
    char h[S3_SHA256_HEX_SIZE];
    s3_sha256_hex(creq.data, creq.len, h);
    buf_release(&creq);
    buf_printf(out, "AWS4-HMAC-SHA256\n%s\n", in->amz_date);
    scope(out, in);
    buf_printf(out, "\n%s", h);
}

void s3_signature(const s3_sign_input *in, char out[S3_SHA256_HEX_SIZE])
{
    buf k = {0};
    buf_printf(&k, "AWS4%s", in->secret_key);
    unsigned char kd[32], kr[32], ks[32], kk[32], sig[32];
    hmac256(k.data, k.len, in->amz_date, 8, kd);
    buf_release_secret(&k);
    hmac256(kd, 32, in->region, strlen(in->region), kr);
    hmac256(kr, 32, in->service, strlen(in->service), ks);
    hmac256(ks, 32, "aws4_request", 12, kk);
    buf sts = {0};
    s3_string_to_sign(&sts, in);
    hmac256(kk, 32, sts.data, sts.len, sig);
    buf_release(&sts);
    to_hex(sig, 32, out);
    OPENSSL_cleanse(kd, sizeof(kd));
    OPENSSL_cleanse(kr, sizeof(kr));
    OPENSSL_cleanse(ks, sizeof(ks));
    OPENSSL_cleanse(kk, sizeof(kk));
}

void s3_authorization(buf *out, const s3_sign_input *in)
{
    char sig[S3_SHA256_HEX_SIZE];
    s3_signature(in, sig);
    buf_printf(out, "AWS4-HMAC-SHA256 Credential=%s/", in->access_key);
    scope(out, in);
    buf_puts(out, ",SignedHeaders=");
    s3_signed_headers(out, in);
    buf_printf(out, ",Signature=%s", sig);
}

/* ------------------------------------------------------------------------
 * XML
 * ------------------------------------------------------------------------ */

static int xml_name_start(unsigned char c)
{
    return isalpha(c) || c == '_' || c == ':' || c >= 0x80;
}

static int xml_name_char(unsigned char c)
{
    return xml_name_start(c) || isdigit(c) || c == '-' || c == '.';
}

static int xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Finds needle in [p, end); NULL if absent. */
static const char *xml_find(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);
    for (; p + n <= end; p++)
        if (memcmp(p, needle, n) == 0)
            return p;
    return NULL;
}

static void put_utf8(buf *b, uint32_t cp)
{
    char t[4];
    buf_append(b, t, utf8_encode(cp, t));
}

/* Decodes character data [p, end) into out. 0 or -1 (bad entity). */
static int xml_decode(const char *p, const char *end, buf *out, const char **bad)
{
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        if (!amp) {
            buf_append(out, p, (size_t)(end - p));
            return 0;
        }
        buf_append(out, p, (size_t)(amp - p));
        const char *semi = memchr(amp, ';', (size_t)(end - amp));
        if (!semi || semi - amp > 12) {
            *bad = amp;
            return -1;
        }
        const char *e = amp + 1;
        size_t n = (size_t)(semi - e);
        if (n == 2 && memcmp(e, "lt", 2) == 0)
            buf_putc(out, '<');
        else if (n == 2 && memcmp(e, "gt", 2) == 0)
            buf_putc(out, '>');
        else if (n == 3 && memcmp(e, "amp", 3) == 0)
            buf_putc(out, '&');
        else if (n == 4 && memcmp(e, "quot", 4) == 0)
            buf_putc(out, '"');
        else if (n == 4 && memcmp(e, "apos", 4) == 0)
            buf_putc(out, '\'');
        else if (n >= 2 && e[0] == '#') {
            uint32_t cp = 0;
            int hex = e[1] == 'x' || e[1] == 'X';
            const char *d = e + 1 + hex;
            if (d >= semi) {
                *bad = amp;
                return -1;
            }
            for (; d < semi; d++) {
                int v;
                if (*d >= '0' && *d <= '9')
                    v = *d - '0';
                else if (hex && *d >= 'a' && *d <= 'f')
                    v = *d - 'a' + 10;
                else if (hex && *d >= 'A' && *d <= 'F')
                    v = *d - 'A' + 10;
                else {
                    *bad = amp;
                    return -1;
                }
                cp = cp * (hex ? 16 : 10) + (uint32_t)v;
                if (cp > 0x10FFFF) {
                    *bad = amp;
                    return -1;
                }
            }
            if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) {
                *bad = amp;
                return -1;
            }
            put_utf8(out, cp);
        } else {
            *bad = amp;
            return -1;
        }
        p = semi + 1;
    }
    return 0;
}

int s3_xml_walk(const char *xml, size_t len, s3_xml_cb cb, void *ctx, char *errstr,
                size_t errstr_size)
{
    const char *p = xml, *end = xml + len;
    const char *names[XML_MAX_DEPTH];
    size_t name_lens[XML_MAX_DEPTH];
    int depth = 0, seen_root = 0, rc = 0;
    buf text = {0}, name = {0};
    const char *bad = NULL;
#define XML_FAIL(...)                                                                              \
    do {                                                                                           \
        set_err(errstr, errstr_size, __VA_ARGS__);                                                 \
        rc = -1;                                                                                   \
        goto done;                                                                                 \
    } while (0)
    buf_puts(&text, "");
    while (p < end) {
        if (*p != '<') {
            const char *lt = memchr(p, '<', (size_t)(end - p));
            const char *stop = lt ? lt : end;
            if (depth == 0) {
                for (const char *q = p; q < stop; q++)
                    if (!xml_space(*q))
                        XML_FAIL("xml: text outside the root element at byte %zu",
                                 (size_t)(q - xml));
            } else if (xml_decode(p, stop, &text, &bad) != 0) {
                XML_FAIL("xml: bad character reference at byte %zu", (size_t)(bad - xml));
            }
            p = stop;
            continue;
        }
        size_t rest = (size_t)(end - p);
        if (rest >= 2 && p[1] == '?') {
            const char *q = xml_find(p + 2, end, "?>");
            if (!q)
                XML_FAIL("xml: unterminated '<?' at byte %zu", (size_t)(p - xml));
            p = q + 2;
        } else if (rest >= 4 && memcmp(p, "<!--", 4) == 0) {
            const char *q = xml_find(p + 4, end, "-->");
            if (!q)
                XML_FAIL("xml: unterminated comment at byte %zu", (size_t)(p - xml));
            p = q + 3;
        } else if (rest >= 9 && memcmp(p, "<![CDATA[", 9) == 0) {
            const char *q = xml_find(p + 9, end, "]]>");
            if (!q)
                XML_FAIL("xml: unterminated CDATA at byte %zu", (size_t)(p - xml));
            if (depth == 0)
                XML_FAIL("xml: CDATA outside the root element at byte %zu", (size_t)(p - xml));
            buf_append(&text, p + 9, (size_t)(q - (p + 9)));
            p = q + 3;
        } else if (rest >= 2 && p[1] == '!') {
            XML_FAIL("xml: unsupported markup (DOCTYPE) at byte %zu", (size_t)(p - xml));
        } else if (rest >= 2 && p[1] == '/') {
            const char *q = p + 2, *n0 = q;
            while (q < end && xml_name_char((unsigned char)*q))
                q++;
            size_t nl = (size_t)(q - n0);
            while (q < end && xml_space(*q))
                q++;
            if (q >= end || *q != '>' || nl == 0)
                XML_FAIL("xml: malformed end tag at byte %zu", (size_t)(p - xml));
            if (depth == 0 || nl != name_lens[depth - 1] || memcmp(n0, names[depth - 1], nl) != 0)
                XML_FAIL("xml: end tag '%.*s' does not match at byte %zu", (int)(nl > 64 ? 64 : nl),
                         n0, (size_t)(p - xml));
            const char *local = memchr(n0, ':', nl) ? (const char *)memrchr(n0, ':', nl) + 1 : n0;
            buf_reset(&name);
            buf_append(&name, local, nl - (size_t)(local - n0));
            if (cb && cb(ctx, S3_XML_END, name.data, text.data, text.len, depth) != 0)
                XML_FAIL("xml: stopped");
            buf_reset(&text);
            depth--;
            p = q + 1;
        } else {
            const char *q = p + 1, *n0 = q;
            if (q >= end || !xml_name_start((unsigned char)*q))
                XML_FAIL("xml: malformed tag at byte %zu", (size_t)(p - xml));
            while (q < end && xml_name_char((unsigned char)*q))
                q++;
            size_t nl = (size_t)(q - n0);
            /* Attributes: name = "value" | 'value', skipped. */
            int self_close = 0;
            for (;;) {
                while (q < end && xml_space(*q))
                    q++;
                if (q >= end)
                    XML_FAIL("xml: unterminated tag at byte %zu", (size_t)(p - xml));
                if (*q == '>') {
                    q++;
                    break;
                }
                if (*q == '/' && q + 1 < end && q[1] == '>') {
                    self_close = 1;
                    q += 2;
                    break;
                }
                if (!xml_name_start((unsigned char)*q))
                    XML_FAIL("xml: malformed attribute at byte %zu", (size_t)(q - xml));
                while (q < end && xml_name_char((unsigned char)*q))
                    q++;
                while (q < end && xml_space(*q))
                    q++;
                if (q >= end || *q != '=')
                    XML_FAIL("xml: malformed attribute at byte %zu", (size_t)(q - xml));
                q++;
                while (q < end && xml_space(*q))
                    q++;
                if (q >= end || (*q != '"' && *q != '\''))
                    XML_FAIL("xml: malformed attribute at byte %zu", (size_t)(q - xml));
                const char *close = memchr(q + 1, *q, (size_t)(end - q - 1));
                if (!close)
                    XML_FAIL("xml: unterminated attribute at byte %zu", (size_t)(q - xml));
                q = close + 1;
            }
            if (depth == 0 && seen_root)
                XML_FAIL("xml: a second root element at byte %zu", (size_t)(p - xml));
            if (depth >= XML_MAX_DEPTH)
                XML_FAIL("xml: nested deeper than %d at byte %zu", XML_MAX_DEPTH,
                         (size_t)(p - xml));
            seen_root = 1;
            names[depth] = n0;
            name_lens[depth] = nl;
            depth++;
            const char *local = memchr(n0, ':', nl) ? (const char *)memrchr(n0, ':', nl) + 1 : n0;
            buf_reset(&name);
            buf_append(&name, local, nl - (size_t)(local - n0));
            buf_reset(&text);
            if (cb && cb(ctx, S3_XML_START, name.data, NULL, 0, depth) != 0)
                XML_FAIL("xml: stopped");
            if (self_close) {
                if (cb && cb(ctx, S3_XML_END, name.data, text.data, 0, depth) != 0)
                    XML_FAIL("xml: stopped");
                depth--;
            }
            p = q;
        }
    }
    if (depth != 0)
        XML_FAIL("xml: unexpected end of document inside '%.*s'",
                 (int)(name_lens[depth - 1] > 64 ? 64 : name_lens[depth - 1]), names[depth - 1]);
    if (!seen_root)
        XML_FAIL("xml: no root element");
done:
#undef XML_FAIL
    buf_release(&text);
    buf_release(&name);
    return rc;
}

/* Parses a whole decimal int64 from text. 0 or -1. */
static int parse_i64(const char *s, size_t n, int64_t *out)
{
    while (n && xml_space(*s)) {
        s++;
        n--;
    }
    while (n && xml_space(s[n - 1]))
        n--;
    if (n == 0 || n > 19)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (v > (INT64_MAX - (s[i] - '0')) / 10)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int s3_parse_iso8601(const char *s, size_t n, int64_t *out_ns)
{
    while (n && xml_space(*s)) {
        s++;
        n--;
    }
    while (n && xml_space(s[n - 1]))
        n--;
    int y, mo, d, h, mi, sec;
    if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':' || digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &sec))
        return -1;
    /* ns since 1970 in an int64 reach the year 2262. */
    if (y < 1970 || y > 2261 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60)
        return -1;
    size_t i = 19;
    int64_t frac = 0;
    if (i < n && s[i] == '.') {
        i++;
        int nd = 0;
        int64_t scale = 100000000;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (nd < 9) {
                frac += (s[i] - '0') * scale;
                scale /= 10;
            }
            nd++;
            i++;
        }
        if (nd == 0)
            return -1;
    }
    if (i < n && (s[i] == 'Z' || s[i] == 'z'))
        i++;
    else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && memcmp(s + i + 1, "00:00", 5) == 0)
        i += 6;
    else
        return -1;
    if (i != n)
        return -1;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out_ns = ((days * 86400 + h * 3600 + mi * 60 + sec) * NS_PER_SEC) + frac;
    return 0;
}

void s3_object_release(s3_object *o)
{
    if (!o)
        return;
    free(o->key);
    free(o->etag);
    memset(o, 0, sizeof(*o));
}

void s3_listing_release(s3_listing *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->nobjects; i++)
        s3_object_release(&l->objects[i]);
    free(l->objects);
    for (size_t i = 0; i < l->nprefixes; i++)
        free(l->prefixes[i]);
    free(l->prefixes);
    free(l->next_token);
    memset(l, 0, sizeof(*l));
}

typedef struct list_ctx {
    s3_listing *out;
    int in_contents, in_prefixes, has_key, bad_root;
    s3_object cur;
    char err[200];
} list_ctx;

static int list_cb(void *vctx, enum s3_xml_event ev, const char *name, const char *text,
                   size_t text_len, int depth)
{
    list_ctx *x = vctx;
    s3_listing *l = x->out;
    if (depth == 1 && ev == S3_XML_START) {
        if (strcmp(name, "ListBucketResult") != 0) {
            snprintf(x->err, sizeof(x->err), "expected ListBucketResult, not '%.64s'", name);
            return 1;
        }
        return 0;
    }
    if (depth == 2 && ev == S3_XML_START) {
        if (strcmp(name, "Contents") == 0) {
            x->in_contents = 1;
            x->has_key = 0;
            memset(&x->cur, 0, sizeof(x->cur));
        } else if (strcmp(name, "CommonPrefixes") == 0) {
            x->in_prefixes = 1;
        }
        return 0;
    }
    if (ev != S3_XML_END)
        return 0;
    if (depth == 3 && x->in_contents) {
        if (strcmp(name, "Key") == 0) {
            free(x->cur.key);
            x->cur.key = xstrndup(text, text_len);
            x->has_key = 1;
        } else if (strcmp(name, "Size") == 0) {
            if (parse_i64(text, text_len, &x->cur.size) != 0) {
                snprintf(x->err, sizeof(x->err), "bad Size '%.32s'", text);
                return 1;
            }
        } else if (strcmp(name, "LastModified") == 0) {
            if (s3_parse_iso8601(text, text_len, &x->cur.mtime_ns) != 0) {
                snprintf(x->err, sizeof(x->err), "bad LastModified '%.40s'", text);
                return 1;
            }
        } else if (strcmp(name, "ETag") == 0) {
            free(x->cur.etag);
            x->cur.etag = xstrndup(text, text_len);
        }
    } else if (depth == 3 && x->in_prefixes && strcmp(name, "Prefix") == 0) {
        l->prefixes = xrealloc(l->prefixes, (l->nprefixes + 1) * sizeof(*l->prefixes));
        l->prefixes[l->nprefixes++] = xstrndup(text, text_len);
    } else if (depth == 2 && strcmp(name, "Contents") == 0) {
        x->in_contents = 0;
        if (!x->has_key) {
            s3_object_release(&x->cur);
            snprintf(x->err, sizeof(x->err), "a Contents element without a Key");
            return 1;
        }
        l->objects = xrealloc(l->objects, (l->nobjects + 1) * sizeof(*l->objects));
        l->objects[l->nobjects++] = x->cur;
        memset(&x->cur, 0, sizeof(x->cur));
    } else if (depth == 2 && strcmp(name, "CommonPrefixes") == 0) {
        x->in_prefixes = 0;
    } else if (depth == 2 && strcmp(name, "IsTruncated") == 0) {
        l->truncated = text_len >= 4 && strncmp(text, "true", 4) == 0;
    } else if (depth == 2 && strcmp(name, "NextContinuationToken") == 0) {
        free(l->next_token);
        l->next_token = xstrndup(text, text_len);
    }
    return 0;
}

int s3_parse_list(const char *xml, size_t len, s3_listing *out, char *errstr, size_t errstr_size)
{
    list_ctx x = {.out = out};
    out->truncated = 0;
    free(out->next_token);
    out->next_token = NULL;
    char err[256];
    if (s3_xml_walk(xml, len, list_cb, &x, err, sizeof(err)) != 0) {
        s3_object_release(&x.cur);
        return set_err(errstr, errstr_size, "bad ListObjectsV2 response: %s",
                       x.err[0] ? x.err : err);
    }
    if (out->truncated && (!out->next_token || !out->next_token[0]))
        return set_err(errstr, errstr_size,
                       "bad ListObjectsV2 response: truncated without NextContinuationToken");
    return 0;
}

/* --- ListMultipartUploads ------------------------------------------------ */

void s3_uploads_release(s3_uploads *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->n; i++) {
        free(u->v[i].key);
        free(u->v[i].upload_id);
    }
    free(u->v);
    free(u->next_key_marker);
    free(u->next_upload_id_marker);
    memset(u, 0, sizeof(*u));
}

typedef struct uploads_ctx {
    s3_uploads *out;
    int in_upload;
    s3_upload cur;
    char err[200];
} uploads_ctx;

static int uploads_cb(void *vctx, enum s3_xml_event ev, const char *name, const char *text,
                      size_t text_len, int depth)
{
    uploads_ctx *x = vctx;
    s3_uploads *u = x->out;
    if (depth == 1 && ev == S3_XML_START) {
        if (strcmp(name, "ListMultipartUploadsResult") != 0) {
            snprintf(x->err, sizeof(x->err), "expected ListMultipartUploadsResult, not '%.64s'",
                     name);
            return 1;
        }
        return 0;
    }
    if (depth == 2 && ev == S3_XML_START && strcmp(name, "Upload") == 0) {
        x->in_upload = 1;
        memset(&x->cur, 0, sizeof(x->cur));
        return 0;
    }
    if (ev != S3_XML_END)
        return 0;
    if (depth == 3 && x->in_upload) {
        if (strcmp(name, "Key") == 0) {
            free(x->cur.key);
            x->cur.key = xstrndup(text, text_len);
        } else if (strcmp(name, "UploadId") == 0) {
            free(x->cur.upload_id);
            x->cur.upload_id = xstrndup(text, text_len);
        } else if (strcmp(name, "Initiated") == 0 &&
                   s3_parse_iso8601(text, text_len, &x->cur.initiated_ns) != 0) {
            snprintf(x->err, sizeof(x->err), "bad Initiated '%.40s'", text);
            return 1;
        }
    } else if (depth == 2 && strcmp(name, "Upload") == 0) {
        x->in_upload = 0;
        if (!x->cur.key || !x->cur.upload_id || !x->cur.upload_id[0]) {
            free(x->cur.key);
            free(x->cur.upload_id);
            memset(&x->cur, 0, sizeof(x->cur));
            snprintf(x->err, sizeof(x->err), "an Upload without a Key or UploadId");
            return 1;
        }
        u->v = xrealloc(u->v, (u->n + 1) * sizeof(*u->v));
        u->v[u->n++] = x->cur;
        memset(&x->cur, 0, sizeof(x->cur));
    } else if (depth == 2 && strcmp(name, "IsTruncated") == 0) {
        u->truncated = text_len >= 4 && strncmp(text, "true", 4) == 0;
    } else if (depth == 2 && strcmp(name, "NextKeyMarker") == 0) {
        free(u->next_key_marker);
        u->next_key_marker = xstrndup(text, text_len);
    } else if (depth == 2 && strcmp(name, "NextUploadIdMarker") == 0) {
        free(u->next_upload_id_marker);
        u->next_upload_id_marker = xstrndup(text, text_len);
    }
    return 0;
}

int s3_parse_uploads(const char *xml, size_t len, s3_uploads *out, char *errstr, size_t errstr_size)
{
    uploads_ctx x = {.out = out};
    out->truncated = 0;
    free(out->next_key_marker);
    free(out->next_upload_id_marker);
    out->next_key_marker = out->next_upload_id_marker = NULL;
    char err[256];
    if (s3_xml_walk(xml, len, uploads_cb, &x, err, sizeof(err)) != 0) {
        free(x.cur.key);
        free(x.cur.upload_id);
        return set_err(errstr, errstr_size, "bad ListMultipartUploads response: %s",
                       x.err[0] ? x.err : err);
    }
    if (out->truncated && (!out->next_key_marker || !out->next_key_marker[0]))
        return set_err(errstr, errstr_size,
                       "bad ListMultipartUploads response: truncated without NextKeyMarker");
    return 0;
}

typedef struct err_ctx {
    s3_error_doc *out;
    int is_error;
} err_ctx;

static void copy_text(char *dst, size_t dstsz, const char *text, size_t n)
{
    /* Printable ASCII only: the text comes from the network and goes into
     * messages and logs. */
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < dstsz; i++) {
        unsigned char ch = (unsigned char)text[i];
        dst[j++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : (ch == '\n' || ch == '\t' ? ' ' : '?');
    }
    dst[j] = '\0';
}

static int err_cb(void *vctx, enum s3_xml_event ev, const char *name, const char *text,
                  size_t text_len, int depth)
{
    err_ctx *x = vctx;
    if (depth == 1 && ev == S3_XML_START) {
        x->is_error = strcmp(name, "Error") == 0;
        return !x->is_error;
    }
    if (depth == 2 && ev == S3_XML_END) {
        if (strcmp(name, "Code") == 0)
            copy_text(x->out->code, sizeof(x->out->code), text, text_len);
        else if (strcmp(name, "Message") == 0)
            copy_text(x->out->message, sizeof(x->out->message), text, text_len);
        else if (strcmp(name, "Region") == 0)
            copy_text(x->out->region, sizeof(x->out->region), text, text_len);
    }
    return 0;
}

int s3_parse_error(const char *xml, size_t len, s3_error_doc *out)
{
    memset(out, 0, sizeof(*out));
    err_ctx x = {.out = out};
    char err[128];
    if (s3_xml_walk(xml, len, err_cb, &x, err, sizeof(err)) != 0 || !x.is_error) {
        memset(out, 0, sizeof(*out));
        return -1;
    }
    return 0;
}

typedef struct find_ctx {
    const char *path;
    buf *out;
    int depth_match; /* how many leading path parts the open elements match */
    int found;
} find_ctx;

/* The idx-th '/'-separated part of path (0-based); its length in *n. */
static const char *path_part(const char *path, int idx, size_t *n)
{
    const char *p = path;
    for (int i = 0; i < idx; i++) {
        p = strchr(p, '/');
        if (!p)
            return NULL;
        p++;
    }
    const char *e = strchr(p, '/');
    *n = e ? (size_t)(e - p) : strlen(p);
    return p;
}

static int find_cb(void *vctx, enum s3_xml_event ev, const char *name, const char *text,
                   size_t text_len, int depth)
{
    find_ctx *x = vctx;
    size_t n;
    const char *part = path_part(x->path, depth - 1, &n);
    int matches = part && strlen(name) == n && memcmp(name, part, n) == 0;
    if (ev == S3_XML_START) {
        if (x->depth_match == depth - 1 && matches)
            x->depth_match = depth;
        return 0;
    }
    if (x->depth_match == depth) {
        size_t tmp;
        if (!path_part(x->path, depth, &tmp)) {
            buf_append(x->out, text, text_len);
            x->found = 1;
            return 1; /* the first one only */
        }
        x->depth_match = depth - 1;
    }
    return 0;
}

int s3_xml_find(const char *xml, size_t len, const char *path, buf *out, char *errstr,
                size_t errstr_size)
{
    find_ctx x = {.path = path, .out = out};
    char err[200];
    if (s3_xml_walk(xml, len, find_cb, &x, err, sizeof(err)) != 0 && !x.found)
        return set_err(errstr, errstr_size, "%s", err);
    return x.found;
}

/* ------------------------------------------------------------------------
 * INI
 * ------------------------------------------------------------------------ */

static void trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

static void ini_add(s3_ini *ini, const char *section, const char *key, size_t keylen,
                    const char *val, size_t vallen, int line)
{
    ini->entries = xrealloc(ini->entries, (ini->nentries + 1) * sizeof(*ini->entries));
    s3_ini_entry *e = &ini->entries[ini->nentries++];
    e->section = xstrdup(section);
    e->key = xstrndup(key, keylen);
    for (char *p = e->key; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    e->value = xstrndup(val, vallen);
    e->line = line;
}

int s3_ini_parse(const char *text, size_t len, const char *path, s3_ini *out, char *errstr,
                 size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    const char *p = text, *end = text + len;
    int line = 0;
    char *section = NULL;
    char *parent = NULL; /* a key with an empty value: indented lines below are its sub-keys */
    s3_ini_entry *last = NULL;
    size_t last_idx = 0;
    int rc = 0;
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p, *e = le;
        int indented = s < e && (*s == ' ' || *s == '\t');
        p = nl ? nl + 1 : end;
        trim(&s, &e);
        if (s == e || *s == '#' || *s == ';')
            continue;
        if (memchr(s, '\0', (size_t)(e - s))) {
            rc = set_err(errstr, errstr_size, "%s:%d: NUL byte in line", path, line);
            break;
        }
        if (*s == '[') {
            if (e[-1] != ']' || e - s < 3) {
                rc = set_err(errstr, errstr_size, "%s:%d: malformed section header", path, line);
                break;
            }
            const char *ns = s + 1, *ne = e - 1;
            trim(&ns, &ne);
            if (ns == ne || memchr(ns, '[', (size_t)(ne - ns)) ||
                memchr(ns, ']', (size_t)(ne - ns))) {
                rc = set_err(errstr, errstr_size, "%s:%d: malformed section header", path, line);
                break;
            }
            buf b = {0};
            int space = 0;
            for (const char *q = ns; q < ne; q++) {
                if (*q == ' ' || *q == '\t') {
                    space = 1;
                    continue;
                }
                if (space)
                    buf_putc(&b, ' ');
                space = 0;
                buf_putc(&b, *q);
            }
            free(section);
            section = b.data;
            free(parent);
            parent = NULL;
            last = NULL;
            out->sections = xrealloc(out->sections, (out->nsections + 1) * sizeof(char *));
            out->sections[out->nsections++] = xstrdup(section);
            continue;
        }
        const char *eq = s;
        while (eq < e && *eq != '=' && *eq != ':')
            eq++;
        if (indented && last && !parent) {
            /* A continuation of the previous value. */
            size_t old = strlen(last->value);
            last->value = xrealloc(last->value, old + 1 + (size_t)(e - s) + 1);
            last->value[old] = '\n';
            memcpy(last->value + old + 1, s, (size_t)(e - s));
            last->value[old + 1 + (size_t)(e - s)] = '\0';
            continue;
        }
        if (eq == e) {
            rc = set_err(errstr, errstr_size, "%s:%d: expected '[section]' or 'key = value'", path,
                         line);
            break;
        }
        if (!section) {
            rc = set_err(errstr, errstr_size, "%s:%d: setting before any [section]", path, line);
            break;
        }
        const char *ks = s, *ke = eq, *vs = eq + 1, *ve = e;
        trim(&ks, &ke);
        trim(&vs, &ve);
        if (ks == ke) {
            rc = set_err(errstr, errstr_size, "%s:%d: empty key", path, line);
            break;
        }
        if (indented && parent) {
            buf k = {0};
            buf_printf(&k, "%s.%.*s", parent, (int)(ke - ks), ks);
            ini_add(out, section, k.data, k.len, vs, (size_t)(ve - vs), line);
            buf_release(&k);
            continue;
        }
        free(parent);
        parent = NULL;
        ini_add(out, section, ks, (size_t)(ke - ks), vs, (size_t)(ve - vs), line);
        last_idx = out->nentries - 1;
        last = &out->entries[last_idx];
        if (vs == ve) {
            parent = xstrndup(ks, (size_t)(ke - ks));
            for (char *q = parent; *q; q++)
                *q = (char)tolower((unsigned char)*q);
        }
    }
    (void)last_idx;
    free(section);
    free(parent);
    if (rc != 0)
        s3_ini_release(out);
    return rc;
}

const char *s3_ini_get(const s3_ini *ini, const char *section, const char *key)
{
    const char *v = NULL;
    for (size_t i = 0; i < ini->nentries; i++)
        if (strcmp(ini->entries[i].section, section) == 0 && strcmp(ini->entries[i].key, key) == 0)
            v = ini->entries[i].value;
    return v;
}

int s3_ini_has_section(const s3_ini *ini, const char *section)
{
    for (size_t i = 0; i < ini->nsections; i++)
        if (strcmp(ini->sections[i], section) == 0)
            return 1;
    return 0;
}

void s3_ini_release(s3_ini *ini)
{
    if (!ini)
        return;
    for (size_t i = 0; i < ini->nentries; i++) {
        free(ini->entries[i].section);
        free(ini->entries[i].key);
        free_secret(ini->entries[i].value);
    }
    free(ini->entries);
    for (size_t i = 0; i < ini->nsections; i++)
        free(ini->sections[i]);
    free(ini->sections);
    memset(ini, 0, sizeof(*ini));
}

/* ------------------------------------------------------------------------
 * Credentials
 * ------------------------------------------------------------------------ */

static const char *env_get(s3_getenv_fn env, const char *name)
{
    const char *v = env ? env(name) : getenv(name);
    return v && *v ? v : NULL;
}

/* Reads and parses an INI file; a missing file gives an empty ini. */
static int ini_load(const char *path, s3_ini *ini, char *errstr, size_t errstr_size)
{
    memset(ini, 0, sizeof(*ini));
    buf b = {0};
    char err[512];
    if (read_file(path, &b, err, sizeof(err)) != 0) {
        int e = errno;
        buf_release_secret(&b);
        struct stat st;
        if (stat(path, &st) != 0 && (e == ENOENT || errno == ENOENT))
            return 0;
        return set_err(errstr, errstr_size, "%s", err);
    }
    int rc = s3_ini_parse(b.data ? b.data : "", b.len, path, ini, errstr, errstr_size);
    buf_release_secret(&b);
    return rc;
}

void s3_credentials_release(s3_credentials *c)
{
    if (!c)
        return;
    free(c->access_key);
    free_secret(c->secret_key);
    free_secret(c->session_token);
    free(c->region);
    free(c->endpoint);
    free(c->addressing);
    memset(c, 0, sizeof(*c));
}

int s3_credentials_load(s3_credentials *out, const char *profile, s3_getenv_fn env, char *errstr,
                        size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    int explicit_profile = profile != NULL;
    if (!profile)
        profile = env_get(env, "AWS_PROFILE");
    int named = profile != NULL;
    if (!profile)
        profile = "default";

    buf cred_path = {0}, conf_path = {0};
    const char *home = env_get(env, "HOME");
    const char *p = env_get(env, "AWS_SHARED_CREDENTIALS_FILE");
    if (p)
        buf_puts(&cred_path, p);
    else if (home)
        buf_printf(&cred_path, "%s/.aws/credentials", home);
    p = env_get(env, "AWS_CONFIG_FILE");
    if (p)
        buf_puts(&conf_path, p);
    else if (home)
        buf_printf(&conf_path, "%s/.aws/config", home);

    s3_ini cred = {0}, conf = {0};
    int rc = -1;
    if (cred_path.len && ini_load(cred_path.data, &cred, errstr, errstr_size) != 0)
        goto done;
    if (conf_path.len && ini_load(conf_path.data, &conf, errstr, errstr_size) != 0)
        goto done;

    buf conf_section = {0};
    if (strcmp(profile, "default") == 0 && !s3_ini_has_section(&conf, "profile default"))
        buf_puts(&conf_section, "default");
    else
        buf_printf(&conf_section, "profile %s", profile);
    int in_cred = s3_ini_has_section(&cred, profile);
    int in_conf = s3_ini_has_section(&conf, conf_section.data);

    const char *ak = env_get(env, "AWS_ACCESS_KEY_ID");
    const char *sk = env_get(env, "AWS_SECRET_ACCESS_KEY");
    if (!explicit_profile && (ak || sk)) {
        if (!ak || !sk) {
            set_err(errstr, errstr_size, "%s is set but %s is not",
                    ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                    ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
            buf_release(&conf_section);
            goto done;
        }
        out->access_key = xstrdup(ak);
        out->secret_key = xstrdup(sk);
        out->session_token = xstrdup(env_get(env, "AWS_SESSION_TOKEN"));
        snprintf(out->source, sizeof(out->source), "the environment (AWS_ACCESS_KEY_ID)");
    } else {
        if (named && !in_cred && !in_conf) {
            set_err(errstr, errstr_size, "AWS profile '%s' not found in '%s' or '%s'", profile,
                    cred_path.len ? cred_path.data : "(no HOME)",
                    conf_path.len ? conf_path.data : "(no HOME)");
            buf_release(&conf_section);
            goto done;
        }
        const s3_ini *from = NULL;
        const char *sect = NULL, *path = NULL;
        if (s3_ini_get(&cred, profile, "aws_access_key_id")) {
            from = &cred;
            sect = profile;
            path = cred_path.data;
        } else if (s3_ini_get(&conf, conf_section.data, "aws_access_key_id")) {
            from = &conf;
            sect = conf_section.data;
            path = conf_path.data;
        }
        if (!from) {
            set_err(errstr, errstr_size,
                    "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add "
                    "aws_access_key_id and aws_secret_access_key to profile '%s' in '%s'",
                    profile, cred_path.len ? cred_path.data : "~/.aws/credentials");
            buf_release(&conf_section);
            goto done;
        }
        const char *fsk = s3_ini_get(from, sect, "aws_secret_access_key");
        if (!fsk || !*fsk) {
            set_err(errstr, errstr_size,
                    "profile '%s' in '%s' has aws_access_key_id but no "
                    "aws_secret_access_key",
                    profile, path);
            buf_release(&conf_section);
            goto done;
        }
        out->access_key = xstrdup(s3_ini_get(from, sect, "aws_access_key_id"));
        out->secret_key = xstrdup(fsk);
        const char *tok = s3_ini_get(from, sect, "aws_session_token");
        out->session_token = tok && *tok ? xstrdup(tok) : NULL;
        snprintf(out->source, sizeof(out->source), "profile '%s' in '%s'", profile, path);
    }
    const char *region = env_get(env, "AWS_REGION");
    if (!region)
        region = env_get(env, "AWS_DEFAULT_REGION");
    if (!region)
        region = s3_ini_get(&conf, conf_section.data, "region");
    out->region = region && *region ? xstrdup(region) : NULL;
    const char *ep = env_get(env, "AWS_ENDPOINT_URL_S3");
    if (!ep)
        ep = env_get(env, "AWS_ENDPOINT_URL");
    if (!ep)
        ep = s3_ini_get(&conf, conf_section.data, "s3.endpoint_url");
    if (!ep)
        ep = s3_ini_get(&conf, conf_section.data, "endpoint_url");
    out->endpoint = ep && *ep ? xstrdup(ep) : NULL;
    const char *as = s3_ini_get(&conf, conf_section.data, "s3.addressing_style");
    out->addressing = as && *as ? xstrdup(as) : NULL;
    buf_release(&conf_section);
    rc = 0;
done:
    s3_ini_release(&cred);
    s3_ini_release(&conf);
    buf_release(&cred_path);
    buf_release(&conf_path);
    if (rc != 0)
        s3_credentials_release(out);
    return rc;
}

/* ------------------------------------------------------------------------
 * Endpoints and addressing
 * ------------------------------------------------------------------------ */

int s3_parse_addressing(const char *s, enum s3_addressing *out)
{
    if (!s || !*s || strcmp(s, "auto") == 0)
        *out = S3_ADDRESSING_AUTO;
    else if (strcmp(s, "path") == 0)
        *out = S3_ADDRESSING_PATH;
    else if (strcmp(s, "virtual") == 0)
        *out = S3_ADDRESSING_VIRTUAL;
    else
        return -1;
    return 0;
}

int s3_endpoint_parse(const char *url, const char *region, s3_endpoint *out, char *errstr,
                      size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    if (!url || !*url) {
        strcpy(out->scheme, "https");
        snprintf(out->authority, sizeof(out->authority), "s3.%s.amazonaws.com",
                 region && *region ? region : "us-east-1");
        out->is_aws = 1;
        return 0;
    }
    const char *rest;
    if (strncmp(url, "http://", 7) == 0) {
        strcpy(out->scheme, "http");
        rest = url + 7;
    } else if (strncmp(url, "https://", 8) == 0) {
        strcpy(out->scheme, "https");
        rest = url + 8;
    } else {
        return set_err(errstr, errstr_size,
                       "bad S3 endpoint '%s': expected http://host[:port] or https://host[:port]",
                       url);
    }
    size_t n = strcspn(rest, "/?#");
    if (rest[n] == '?' || rest[n] == '#' || (rest[n] == '/' && rest[n + 1] != '\0'))
        return set_err(errstr, errstr_size,
                       "bad S3 endpoint '%s': a path, query or fragment is not supported", url);
    if (n == 0 || n >= sizeof(out->authority) || memchr(rest, '@', n))
        return set_err(errstr, errstr_size, "bad S3 endpoint '%s': bad host", url);
    memcpy(out->authority, rest, n);
    out->authority[n] = '\0';
    const char *host = out->authority;
    size_t hostlen;
    if (host[0] == '[') {
        const char *rb = strchr(host, ']');
        if (!rb)
            return set_err(errstr, errstr_size, "bad S3 endpoint '%s': bad IPv6 host", url);
        hostlen = (size_t)(rb + 1 - host);
        out->is_ip = 1;
    } else {
        const char *colon = strchr(host, ':');
        hostlen = colon ? (size_t)(colon - host) : strlen(host);
        int ip = hostlen > 0;
        for (size_t i = 0; i < hostlen; i++)
            if (!(isdigit((unsigned char)host[i]) || host[i] == '.'))
                ip = 0;
        out->is_ip = ip;
    }
    const char *port = host + hostlen;
    if (*port) {
        if (*port != ':' || !port[1] || strspn(port + 1, "0123456789") != strlen(port + 1) ||
            strlen(port + 1) > 5)
            return set_err(errstr, errstr_size, "bad S3 endpoint '%s': bad port", url);
    }
    for (size_t i = 0; i < hostlen; i++) {
        unsigned char ch = (unsigned char)host[i];
        if (ch <= 0x20 || ch >= 0x7f)
            return set_err(errstr, errstr_size, "bad S3 endpoint '%s': bad host", url);
    }
    return 0;
}

/* A bucket name usable as a DNS label in a virtual host (no dots, so TLS
 * wildcard certificates match). */
static int bucket_dns_safe(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '-'))
            return 0;
    return b[0] != '-' && b[n - 1] != '-';
}

int s3_target(const s3_endpoint *ep, enum s3_addressing addressing, const char *bucket,
              const char *key, buf *base, buf *host, buf *path, char *errstr, size_t errstr_size)
{
    int virt;
    if (addressing == S3_ADDRESSING_AUTO)
        virt = ep->is_aws && bucket_dns_safe(bucket);
    else
        virt = addressing == S3_ADDRESSING_VIRTUAL;
    if (virt && ep->is_ip)
        return set_err(errstr, errstr_size,
                       "virtual-host addressing needs a host name, not the IP address in '%s'",
                       ep->authority);
    if (virt) {
        for (const char *q = bucket; *q; q++)
            if (!(isalnum((unsigned char)*q) || *q == '-' || *q == '.'))
                return set_err(errstr, errstr_size,
                               "bucket '%s' cannot be used with virtual-host addressing", bucket);
        buf_printf(host, "%s.%s", bucket, ep->authority);
        buf_putc(path, '/');
    } else {
        buf_puts(host, ep->authority);
        buf_putc(path, '/');
        s3_uri_encode(path, bucket, strlen(bucket), 0);
        if (key)
            buf_putc(path, '/');
    }
    if (key)
        s3_uri_encode(path, key, strlen(key), 1);
    buf_printf(base, "%s://%s", ep->scheme, host->data);
    return 0;
}

/* ------------------------------------------------------------------------
 * The client
 * ------------------------------------------------------------------------ */

struct s3_client {
    CURL *curl;
    s3_endpoint ep;
    char endpoint_url[320];
    enum s3_addressing addressing;
    char *region;
    char *access_key;
    char *secret_key;
    char *session_token;
    char source[512];
    int64_t connect_timeout_ns, stall_timeout_ns, write_retry_ns, read_retry_ns;
    int64_t backoff_min_ns, backoff_max_ns, multipart_threshold, part_size;
    const atomic_int *cancel;
    uint64_t rng;
    s3_stats stats;
    char curl_err[CURL_ERROR_SIZE];
};

void s3_config_init(s3_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->connect_timeout_ns = 10 * NS_PER_SEC;
    cfg->stall_timeout_ns = 30 * NS_PER_SEC;
    cfg->write_retry_ns = 300 * NS_PER_SEC;
    cfg->read_retry_ns = 60 * NS_PER_SEC;
    cfg->backoff_min_ns = 100 * 1000000LL;
    cfg->backoff_max_ns = 5 * NS_PER_SEC;
    cfg->multipart_threshold = 8 * MIB;
    cfg->part_size = 8 * MIB;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;

static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

s3_client *s3_client_new(const s3_config *cfg, char *errstr, size_t errstr_size)
{
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK) {
        set_err(errstr, errstr_size, "s3: curl_global_init failed: %s",
                curl_easy_strerror(curl_init_rc));
        return NULL;
    }
    if (cfg->part_size < S3_MIN_PART) {
        set_err(errstr, errstr_size, "s3: part size %" PRId64 " is below the minimum of 5 MiB",
                cfg->part_size);
        return NULL;
    }
    s3_credentials cr;
    memset(&cr, 0, sizeof(cr));
    if (cfg->access_key && cfg->secret_key) {
        cr.access_key = xstrdup(cfg->access_key);
        cr.secret_key = xstrdup(cfg->secret_key);
        cr.session_token = cfg->session_token ? xstrdup(cfg->session_token) : NULL;
        const char *r = env_get(NULL, "AWS_REGION");
        cr.region = xstrdup(r ? r : env_get(NULL, "AWS_DEFAULT_REGION"));
        const char *e = env_get(NULL, "AWS_ENDPOINT_URL_S3");
        cr.endpoint = xstrdup(e ? e : env_get(NULL, "AWS_ENDPOINT_URL"));
        snprintf(cr.source, sizeof(cr.source), "the configuration");
    } else if (s3_credentials_load(&cr, cfg->profile, NULL, errstr, errstr_size) != 0) {
        return NULL;
    }
    s3_client *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->access_key = cr.access_key;
    c->secret_key = cr.secret_key;
    c->session_token = cr.session_token;
    cr.access_key = cr.secret_key = cr.session_token = NULL;
    strlcpy_tl(c->source, cr.source, sizeof(c->source));
    c->region =
        xstrdup(cfg->region && *cfg->region ? cfg->region : (cr.region ? cr.region : "us-east-1"));
    const char *endpoint = cfg->endpoint && *cfg->endpoint ? cfg->endpoint : cr.endpoint;
    c->addressing = cfg->addressing;
    if (c->addressing == S3_ADDRESSING_AUTO && cr.addressing &&
        s3_parse_addressing(cr.addressing, &c->addressing) != 0) {
        set_err(errstr, errstr_size,
                "s3: bad s3.addressing_style '%s' in %s (path, virtual or auto)", cr.addressing,
                cr.source);
        goto fail;
    }
    if (s3_endpoint_parse(endpoint, c->region, &c->ep, errstr, errstr_size) != 0)
        goto fail;
    snprintf(c->endpoint_url, sizeof(c->endpoint_url), "%s://%s", c->ep.scheme, c->ep.authority);
    c->connect_timeout_ns = cfg->connect_timeout_ns;
    c->stall_timeout_ns = cfg->stall_timeout_ns;
    c->write_retry_ns = cfg->write_retry_ns;
    c->read_retry_ns = cfg->read_retry_ns;
    c->backoff_min_ns = cfg->backoff_min_ns > 0 ? cfg->backoff_min_ns : 1000000;
    c->backoff_max_ns =
        cfg->backoff_max_ns > c->backoff_min_ns ? cfg->backoff_max_ns : c->backoff_min_ns;
    c->multipart_threshold = cfg->multipart_threshold;
    c->part_size = cfg->part_size;
    c->cancel = cfg->cancel;
    c->rng = (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c;
    if (!c->rng)
        c->rng = 88172645463325252ULL;
    c->curl = curl_easy_init();
    if (!c->curl) {
        set_err(errstr, errstr_size, "s3: curl_easy_init failed");
        goto fail;
    }
    s3_credentials_release(&cr);
    LOG_DEBUG("s3: endpoint %s, region %s, %s addressing, credentials from %s", c->endpoint_url,
              c->region,
              c->addressing == S3_ADDRESSING_PATH      ? "path"
              : c->addressing == S3_ADDRESSING_VIRTUAL ? "virtual"
                                                       : "auto",
              c->source);
    return c;
fail:
    s3_credentials_release(&cr);
    s3_client_free(c);
    return NULL;
}

void s3_client_free(s3_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c->access_key);
    free_secret(c->secret_key);
    free_secret(c->session_token);
    free(c->region);
    OPENSSL_cleanse(c, sizeof(*c));
    free(c);
}

const char *s3_client_endpoint(const s3_client *c)
{
    return c->endpoint_url;
}

const char *s3_client_region(const s3_client *c)
{
    return c->region;
}

void s3_client_stats(const s3_client *c, s3_stats *out)
{
    *out = c->stats;
}

/* A request body: memory, or a range of a file. */
typedef struct body {
    const char *data; /* memory, when fd < 0 */
    size_t len;
    int fd;
    int64_t off;
    int64_t flen;
    char sha256[S3_SHA256_HEX_SIZE];
} req_body;

static int64_t body_len(const req_body *b)
{
    return b->fd >= 0 ? b->flen : (int64_t)b->len;
}

typedef struct req {
    const char *method;
    const char *bucket;
    const char *key; /* NULL for a bucket request */
    s3_kv query[6];
    size_t nquery;
    const req_body *body; /* NULL: none */
    buf *out;             /* the response body on success, appended; NULL: discarded */
    int out_fd;           /* or written to this file when >= 0 */
    int64_t budget_ns;
    int embedded_error; /* a 200 may carry an <Error> (CompleteMultipartUpload) */
    const char *range;  /* GET: "first-last" bytes (Range: bytes=...); NULL: the whole object */
} req;

typedef struct resp {
    long status;
    CURLcode cc;
    int attempts;
    buf err; /* the body of a non-2xx response (capped) */
    s3_error_doc doc;
    int has_doc;
    char etag[256];
    char bucket_region[64];
    int64_t content_length;
    int64_t mtime_s;
} resp;

typedef struct xfer {
    s3_client *c;
    const req *r;
    resp *rs;
    int64_t pos; /* upload position */
    int status_known;
    int to_err;
    int local_errno;
    const char *local_what;
} xfer;

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    xfer *x = userdata;
    size_t n = size * nmemb;
    if (!x->status_known) {
        long code = 0;
        curl_easy_getinfo(x->c->curl, CURLINFO_RESPONSE_CODE, &code);
        x->to_err = code < 200 || code >= 300;
        x->status_known = 1;
    }
    x->c->stats.bytes_received += (int64_t)n;
    if (x->to_err) {
        if (x->rs->err.len < ERR_BODY_MAX)
            buf_append(&x->rs->err, ptr,
                       n < ERR_BODY_MAX - x->rs->err.len ? n : ERR_BODY_MAX - x->rs->err.len);
        return n;
    }
    if (x->r->out_fd >= 0) {
        size_t done = 0;
        while (done < n) {
            ssize_t w = write(x->r->out_fd, ptr + done, n - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                x->local_errno = w < 0 ? errno : EIO;
                x->local_what = "write the downloaded object";
                return 0;
            }
            done += (size_t)w;
        }
    } else if (x->r->out) {
        buf_append(x->r->out, ptr, n);
    }
    return n;
}

static size_t read_cb(char *buffer, size_t size, size_t nitems, void *userdata)
{
    xfer *x = userdata;
    const req_body *b = x->r->body;
    size_t want = size * nitems;
    int64_t left = body_len(b) - x->pos;
    if (left <= 0)
        return 0;
    if ((int64_t)want > left)
        want = (size_t)left;
    if (b->fd < 0) {
        memcpy(buffer, b->data + x->pos, want);
    } else {
        ssize_t r;
        do
            r = pread(b->fd, buffer, want, (off_t)(b->off + x->pos));
        while (r < 0 && errno == EINTR);
        if (r <= 0) {
            x->local_errno = r < 0 ? errno : EIO;
            x->local_what =
                r < 0 ? "read the file to upload" : "read the file to upload (it shrank)";
            return CURL_READFUNC_ABORT;
        }
        want = (size_t)r;
    }
    x->pos += (int64_t)want;
    x->c->stats.bytes_sent += (int64_t)want;
    return want;
}

static int seek_cb(void *userdata, curl_off_t offset, int origin)
{
    xfer *x = userdata;
    if (origin != SEEK_SET || offset < 0 || offset > body_len(x->r->body))
        return CURL_SEEKFUNC_CANTSEEK;
    x->pos = offset;
    return CURL_SEEKFUNC_OK;
}

/* Copies a header value (trimmed) if the line is "name: value". */
static int header_value(const char *line, size_t n, const char *name, char *out, size_t outsz)
{
    size_t nl = strlen(name);
    if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return 0;
    const char *s = line + nl + 1, *e = line + n;
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
        e--;
    copy_text(out, outsz, s, (size_t)(e - s));
    return 1;
}

static size_t header_cb(char *buffer, size_t size, size_t nitems, void *userdata)
{
    xfer *x = userdata;
    size_t n = size * nitems;
    if (n >= 5 && memcmp(buffer, "HTTP/", 5) == 0) {
        /* A new status line (after 100 Continue): forget the earlier headers. */
        x->rs->etag[0] = '\0';
        x->rs->bucket_region[0] = '\0';
        x->status_known = 0;
        return n;
    }
    if (!header_value(buffer, n, "etag", x->rs->etag, sizeof(x->rs->etag)))
        header_value(buffer, n, "x-amz-bucket-region", x->rs->bucket_region,
                     sizeof(x->rs->bucket_region));
    return n;
}

static void slist_free_wiped(struct curl_slist *l)
{
    for (struct curl_slist *p = l; p; p = p->next)
        OPENSSL_cleanse(p->data, strlen(p->data));
    curl_slist_free_all(l);
}

static struct curl_slist *slist_add(struct curl_slist *l, const char *h)
{
    struct curl_slist *r = curl_slist_append(l, h);
    if (!r)
        abort();
    return r;
}

/* One attempt: sign, send, receive. Fills rs; returns the curl code. */
static CURLcode send_once(s3_client *c, const req *r, const char *url, const char *host,
                          const char *path, resp *rs, xfer *x)
{
    char amz_date[S3_AMZ_DATE_SIZE];
    s3_amz_date(now_ns() / NS_PER_SEC, amz_date);
    const char *payload = r->body ? r->body->sha256 : S3_EMPTY_SHA256;
    s3_kv hdrs[4] = {{"host", host}, {"x-amz-content-sha256", payload}, {"x-amz-date", amz_date}};
    size_t nh = 3;
    if (c->session_token)
        hdrs[nh++] = (s3_kv){"x-amz-security-token", c->session_token};
    s3_sign_input in = {.method = r->method,
                        .canonical_uri = path,
                        .query = r->query,
                        .nquery = r->nquery,
                        .headers = hdrs,
                        .nheaders = nh,
                        .payload_hash = payload,
                        .amz_date = amz_date,
                        .region = c->region,
                        .service = "s3",
                        .access_key = c->access_key,
                        .secret_key = c->secret_key};
    buf h = {0};
    struct curl_slist *sl = NULL;
    buf_printf(&h, "Host: %s", host);
    sl = slist_add(sl, h.data);
    buf_reset(&h);
    buf_printf(&h, "x-amz-date: %s", amz_date);
    sl = slist_add(sl, h.data);
    buf_reset(&h);
    buf_printf(&h, "x-amz-content-sha256: %s", payload);
    sl = slist_add(sl, h.data);
    if (c->session_token) {
        buf_reset(&h);
        buf_printf(&h, "x-amz-security-token: %s", c->session_token);
        sl = slist_add(sl, h.data);
    }
    buf_reset(&h);
    buf_puts(&h, "Authorization: ");
    s3_authorization(&h, &in);
    sl = slist_add(sl, h.data);
    buf_release_secret(&h);
    sl = slist_add(sl, "Content-Type:");
    sl = slist_add(sl, "Accept:");

    CURL *cu = c->curl;
    curl_easy_reset(cu);
    c->curl_err[0] = '\0';
    curl_easy_setopt(cu, CURLOPT_URL, url);
    curl_easy_setopt(cu, CURLOPT_HTTPHEADER, sl);
    curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, c->curl_err);
    curl_easy_setopt(cu, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(cu, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->connect_timeout_ns / 1000000));
    if (c->stall_timeout_ns > 0) {
        curl_easy_setopt(cu, CURLOPT_LOW_SPEED_LIMIT, 1L);
        long secs = (long)(c->stall_timeout_ns / NS_PER_SEC);
        curl_easy_setopt(cu, CURLOPT_LOW_SPEED_TIME, secs > 0 ? secs : 1L);
    }
    curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(cu, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(cu, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(cu, CURLOPT_FILETIME, 1L);
    if (strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(cu, CURLOPT_NOBODY, 1L);
    } else if (r->body) {
        curl_easy_setopt(cu, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(cu, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body_len(r->body));
        curl_easy_setopt(cu, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(cu, CURLOPT_READDATA, x);
        curl_easy_setopt(cu, CURLOPT_SEEKFUNCTION, seek_cb);
        curl_easy_setopt(cu, CURLOPT_SEEKDATA, x);
        if (strcmp(r->method, "PUT") != 0)
            curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, r->method);
    } else if (strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, r->method);
    }
    if (r->range)
        curl_easy_setopt(cu, CURLOPT_RANGE, r->range);
    c->stats.requests++;
    CURLcode cc = curl_easy_perform(cu);
    curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &rs->status);
    curl_off_t cl = -1, ft = -1;
    curl_easy_getinfo(cu, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
    curl_easy_getinfo(cu, CURLINFO_FILETIME_T, &ft);
    rs->content_length = cl;
    rs->mtime_s = ft;
    slist_free_wiped(sl);
    return cc;
}

static int retryable_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_UPLOAD_FAILED:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_SEND_FAIL_REWIND:
        return 1;
    default:
        return 0;
    }
}

static int retryable_http(long status, const char *code)
{
    if (status >= 500 || status == 429 || status == 408)
        return 1;
    return strcmp(code, "SlowDown") == 0 || strcmp(code, "RequestTimeout") == 0 ||
           strcmp(code, "InternalError") == 0 || strcmp(code, "ServiceUnavailable") == 0 ||
           strcmp(code, "Throttling") == 0 || strcmp(code, "ThrottlingException") == 0;
}

static uint64_t rng_next(s3_client *c)
{
    uint64_t x = c->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c->rng = x;
    return x;
}

/* Exponential backoff with jitter: half the capped exponential step plus a
 * random part of the other half. */
static int64_t backoff_ns(s3_client *c, int attempt)
{
    int64_t cap = c->backoff_min_ns;
    for (int i = 1; i < attempt && cap < c->backoff_max_ns; i++)
        cap *= 2;
    if (cap > c->backoff_max_ns)
        cap = c->backoff_max_ns;
    int64_t half = cap / 2;
    return half + (int64_t)(rng_next(c) % (uint64_t)(half > 0 ? half : 1));
}

static int cancelled(const s3_client *c)
{
    return c->cancel && atomic_load(c->cancel);
}

/* "bucket 'b' key 'k'" or "bucket 'b'". */
static void subject(buf *s, const req *r)
{
    buf_printf(s, "bucket '%s'", r->bucket);
    if (r->key)
        buf_printf(s, " key '%s'", r->key);
}

static void status_detail(buf *d, const resp *rs)
{
    buf_printf(d, "%ld", rs->status);
    if (rs->has_doc && rs->doc.code[0]) {
        buf_printf(d, " %s", rs->doc.code);
        if (rs->doc.message[0])
            buf_printf(d, ": %s", rs->doc.message);
    } else if (rs->status == 403) {
        buf_puts(d, " Forbidden");
    } else if (rs->status == 404) {
        buf_puts(d, " Not Found");
    }
}

/* Builds the message for a failed HTTP response; returns -1 or S3_ENOENT. */
static int http_fail(s3_client *c, const req *r, const resp *rs, char *errstr, size_t errstr_size)
{
    buf s = {0}, d = {0};
    subject(&s, r);
    status_detail(&d, rs);
    const char *code = rs->has_doc ? rs->doc.code : "";
    const char *region = rs->bucket_region[0] ? rs->bucket_region : rs->doc.region;
    int rc = -1;
    if (region[0] && strcmp(region, c->region) != 0 &&
        (rs->status == 301 || rs->status == 307 ||
         strcmp(code, "AuthorizationHeaderMalformed") == 0 ||
         strcmp(code, "PermanentRedirect") == 0)) {
        set_err(errstr, errstr_size,
                "s3: bucket '%s' is in region '%s', not '%s': set the S3 region (AWS_REGION) (%s)",
                r->bucket, region, c->region, d.data);
    } else if (rs->status == 403) {
        set_err(errstr, errstr_size, "s3: access denied to %s (%s; credentials from %s)", s.data,
                d.data, c->source);
    } else if (rs->status == 404 && strcmp(code, "NoSuchBucket") == 0) {
        set_err(errstr, errstr_size, "s3: no such bucket '%s' (%s)", r->bucket, d.data);
        rc = S3_ENOENT;
    } else if (rs->status == 404 && strcmp(code, "NoSuchUpload") == 0) {
        set_err(errstr, errstr_size, "s3: the multipart upload to %s is gone (%s)", s.data, d.data);
    } else if (rs->status == 404 && r->key) {
        set_err(errstr, errstr_size, "s3: no such key '%s' in bucket '%s' (%s)", r->key, r->bucket,
                d.data);
        rc = S3_ENOENT;
    } else if (rs->status == 404) {
        set_err(errstr, errstr_size, "s3: no such bucket '%s' (%s)", r->bucket, d.data);
        rc = S3_ENOENT;
    } else {
        set_err(errstr, errstr_size, "s3: %s %s failed (%s)", r->method, s.data, d.data);
    }
    buf_release(&s);
    buf_release(&d);
    return rc;
}

/* Sends r, retrying as the header describes, until it succeeds, fails for
 * good, or its budget is spent. 0, S3_ENOENT or -1 with errstr; rs holds the
 * last response either way (release rs->err). */
static int do_request(s3_client *c, const req *r, resp *rs, char *errstr, size_t errstr_size)
{
    buf base = {0}, host = {0}, path = {0}, url = {0};
    int rc = -1;
    memset(rs, 0, sizeof(*rs));
    char terr[256];
    if (s3_target(&c->ep, c->addressing, r->bucket, r->key, &base, &host, &path, terr,
                  sizeof(terr)) != 0) {
        set_err(errstr, errstr_size, "s3: %s", terr);
        goto done;
    }
    buf_printf(&url, "%s%s", base.data, path.data);
    if (r->nquery) {
        buf_putc(&url, '?');
        s3_canonical_query(&url, r->query, r->nquery);
    }
    size_t out_base = r->out ? r->out->len : 0;
    int64_t start = mono_ns();
    for (int attempt = 1;; attempt++) {
        buf_reset(&rs->err);
        rs->has_doc = 0;
        rs->status = 0;
        rs->attempts = attempt;
        if (r->out) {
            r->out->len = out_base;
            if (r->out->data)
                r->out->data[out_base] = '\0';
        }
        if (r->out_fd >= 0 &&
            (ftruncate(r->out_fd, 0) != 0 || lseek(r->out_fd, 0, SEEK_SET) != 0)) {
            set_err(errstr, errstr_size, "s3: unable to truncate the download file: %s",
                    strerror(errno));
            goto done;
        }
        xfer x = {.c = c, .r = r, .rs = rs};
        int64_t t0 = mono_ns();
        CURLcode cc = send_once(c, r, url.data, host.data, path.data, rs, &x);
        rs->cc = cc;
        LOG_DEBUG("s3: %s %s%s%s -> %ld%s%s (%.0f ms)", r->method, path.data, r->nquery ? "?" : "",
                  r->nquery ? strchr(url.data, '?') + 1 : "", rs->status, cc == CURLE_OK ? "" : " ",
                  cc == CURLE_OK ? "" : curl_easy_strerror(cc), (double)(mono_ns() - t0) / 1e6);
        buf why = {0};
        int retry;
        if (x.local_errno) {
            set_err(errstr, errstr_size, "s3: %s %s%s%s: unable to %s: %s", r->method, r->bucket,
                    r->key ? "/" : "", r->key ? r->key : "", x.local_what, strerror(x.local_errno));
            buf_release(&why);
            goto done;
        }
        if (cc != CURLE_OK) {
            retry = retryable_curl(cc);
            buf_printf(&why, "%s", c->curl_err[0] ? c->curl_err : curl_easy_strerror(cc));
        } else {
            if (rs->err.len)
                rs->has_doc = s3_parse_error(rs->err.data, rs->err.len, &rs->doc) == 0;
            if (rs->status >= 200 && rs->status < 300 && r->embedded_error && r->out &&
                r->out->len > out_base &&
                s3_parse_error(r->out->data + out_base, r->out->len - out_base, &rs->doc) == 0) {
                rs->has_doc = 1;
                rs->status = 500; /* an error in a 200: treat as a server error */
            }
            if (rs->status >= 200 && rs->status < 300) {
                rc = 0;
                buf_release(&why);
                goto done;
            }
            retry = retryable_http(rs->status, rs->has_doc ? rs->doc.code : "");
            status_detail(&why, rs);
        }
        if (!retry) {
            if (cc != CURLE_OK) {
                buf s = {0};
                subject(&s, r);
                set_err(errstr, errstr_size, "s3: %s %s: %s (endpoint %s)", r->method, s.data,
                        why.data, c->endpoint_url);
                buf_release(&s);
            } else {
                rc = http_fail(c, r, rs, errstr, errstr_size);
            }
            buf_release(&why);
            goto done;
        }
        int64_t elapsed = mono_ns() - start;
        if (elapsed >= r->budget_ns || cancelled(c)) {
            buf s = {0};
            subject(&s, r);
            set_err(errstr, errstr_size,
                    "s3: %s %s: %s (%s after %d attempt%s in %.0f s; endpoint %s)", r->method,
                    s.data, why.data, cancelled(c) ? "cancelled" : "gave up", attempt,
                    attempt == 1 ? "" : "s", (double)elapsed / 1e9, c->endpoint_url);
            buf_release(&s);
            buf_release(&why);
            goto done;
        }
        int64_t wait = backoff_ns(c, attempt);
        if (wait > r->budget_ns - elapsed)
            wait = r->budget_ns - elapsed;
        LOG_WARN("s3: %s bucket '%s'%s%s%s: %s; retry %d in %.1f s", r->method, r->bucket,
                 r->key ? " key '" : "", r->key ? r->key : "", r->key ? "'" : "", why.data, attempt,
                 (double)wait / 1e9);
        buf_release(&why);
        int64_t until = mono_ns() + wait;
        while (!cancelled(c)) {
            int64_t left = until - mono_ns();
            if (left <= 0)
                break;
            sleep_ns(left < 100000000 ? left : 100000000);
        }
        c->stats.retries++;
    }
done:
    buf_release(&base);
    buf_release(&host);
    buf_release(&path);
    buf_release(&url);
    return rc;
}

static void resp_release(resp *rs)
{
    buf_release(&rs->err);
}

static int check_key(const char *bucket, const char *key, char *errstr, size_t errstr_size)
{
    if (!bucket || !*bucket)
        return set_err(errstr, errstr_size, "s3: empty bucket name");
    if (key && !*key)
        return set_err(errstr, errstr_size, "s3: empty key in bucket '%s'", bucket);
    return 0;
}

/* Streams SHA-256 over a file range. 0 or -1 with errstr. */
static int hash_range(int fd, int64_t off, int64_t len, const char *path,
                      char out[S3_SHA256_HEX_SIZE], char *errstr, size_t errstr_size)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        abort();
    size_t bsz = 1 << 20;
    char *b = malloc(bsz);
    if (!b)
        abort();
    int rc = 0;
    int64_t done = 0;
    while (done < len) {
        size_t want = (size_t)(len - done < (int64_t)bsz ? len - done : (int64_t)bsz);
        ssize_t r = pread(fd, b, want, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = set_err(errstr, errstr_size, "s3: unable to read '%s': %s", path,
                         r < 0 ? strerror(errno) : "the file shrank");
            break;
        }
        EVP_DigestUpdate(ctx, b, (size_t)r);
        done += r;
    }
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    free(b);
    if (rc == 0)
        to_hex(md, 32, out);
    return rc;
}

int s3_put(s3_client *c, const char *bucket, const char *key, const void *data, size_t len,
           char *errstr, size_t errstr_size)
{
    if (check_key(bucket, key, errstr, errstr_size) != 0)
        return -1;
    req_body b = {.data = len ? data : "", .len = len, .fd = -1};
    s3_sha256_hex(b.data, len, b.sha256);
    req r = {.method = "PUT",
             .bucket = bucket,
             .key = key,
             .body = &b,
             .out_fd = -1,
             .budget_ns = c->write_retry_ns};
    resp rs;
    int rc = do_request(c, &r, &rs, errstr, errstr_size);
    resp_release(&rs);
    return rc < 0 ? -1 : rc;
}

static void xml_escape(buf *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_puts(out, "&amp;");
            break;
        case '<':
            buf_puts(out, "&lt;");
            break;
        case '>':
            buf_puts(out, "&gt;");
            break;
        case '"':
            buf_puts(out, "&quot;");
            break;
        case '\'':
            buf_puts(out, "&apos;");
            break;
        default:
            buf_putc(out, *s);
        }
    }
}

static void abort_upload(s3_client *c, const char *bucket, const char *key, const char *upload_id)
{
    req r = {.method = "DELETE",
             .bucket = bucket,
             .key = key,
             .out_fd = -1,
             .budget_ns = 10 * NS_PER_SEC};
    r.query[r.nquery++] = (s3_kv){"uploadId", upload_id};
    resp rs;
    char err[512];
    if (do_request(c, &r, &rs, err, sizeof(err)) != 0)
        LOG_WARN("s3: could not abort the multipart upload to bucket '%s' key '%s': %s", bucket,
                 key, err);
    resp_release(&rs);
}

/* One multipart upload of the whole file. Returns 0, -1, or 1 when the
 * upload vanished (NoSuchUpload) and may be started again. */
static int multipart_once(s3_client *c, const char *bucket, const char *key, int fd,
                          const char *path, int64_t size, int64_t part, int64_t deadline,
                          char *errstr, size_t errstr_size)
{
    buf out = {0}, id = {0}, complete = {0};
    char **etags = NULL;
    int64_t nparts = (size + part - 1) / part;
    int rc = -1;
    req_body empty = {.data = "", .len = 0, .fd = -1};
    strcpy(empty.sha256, S3_EMPTY_SHA256);
    req r = {
        .method = "POST", .bucket = bucket, .key = key, .body = &empty, .out = &out, .out_fd = -1};
    r.query[r.nquery++] = (s3_kv){"uploads", ""};
    r.budget_ns = deadline - mono_ns();
    resp rs;
    int q = do_request(c, &r, &rs, errstr, errstr_size);
    resp_release(&rs);
    if (q != 0)
        goto done;
    char err[256];
    if (s3_xml_find(out.data, out.len, "InitiateMultipartUploadResult/UploadId", &id, err,
                    sizeof(err)) != 1 ||
        id.len == 0) {
        set_err(errstr, errstr_size,
                "s3: no UploadId in the response to starting a multipart "
                "upload to bucket '%s' key '%s'",
                bucket, key);
        goto done;
    }
    LOG_DEBUG("s3: multipart upload of '%s' to bucket '%s' key '%s': %" PRId64 " parts", path,
              bucket, key, nparts);
    etags = calloc((size_t)nparts, sizeof(*etags));
    if (!etags)
        abort();
    for (int64_t i = 0; i < nparts; i++) {
        req_body b = {
            .fd = fd, .off = i * part, .flen = size - i * part < part ? size - i * part : part};
        if (hash_range(fd, b.off, b.flen, path, b.sha256, errstr, errstr_size) != 0)
            goto fail;
        char num[24];
        snprintf(num, sizeof(num), "%" PRId64, i + 1);
        req pr = {.method = "PUT", .bucket = bucket, .key = key, .body = &b, .out_fd = -1};
        pr.query[pr.nquery++] = (s3_kv){"partNumber", num};
        pr.query[pr.nquery++] = (s3_kv){"uploadId", id.data};
        pr.budget_ns = deadline - mono_ns();
        q = do_request(c, &pr, &rs, errstr, errstr_size);
        int gone = q != 0 && rs.has_doc && strcmp(rs.doc.code, "NoSuchUpload") == 0;
        if (q == 0 && !rs.etag[0])
            set_err(errstr, errstr_size, "s3: no ETag for part %s of bucket '%s' key '%s'", num,
                    bucket, key);
        resp_release(&rs);
        if (gone) {
            rc = 1;
            goto done;
        }
        if (q != 0 || !rs.etag[0])
            goto fail;
        etags[i] = xstrdup(rs.etag);
    }
    buf_puts(&complete, "<CompleteMultipartUpload>");
    for (int64_t i = 0; i < nparts; i++) {
        buf_printf(&complete, "<Part><PartNumber>%" PRId64 "</PartNumber><ETag>", i + 1);
        xml_escape(&complete, etags[i]);
        buf_puts(&complete, "</ETag></Part>");
    }
    buf_puts(&complete, "</CompleteMultipartUpload>");
    req_body cb = {.data = complete.data, .len = complete.len, .fd = -1};
    s3_sha256_hex(cb.data, cb.len, cb.sha256);
    buf_reset(&out);
    req cr = {.method = "POST",
              .bucket = bucket,
              .key = key,
              .body = &cb,
              .out = &out,
              .out_fd = -1,
              .embedded_error = 1};
    cr.query[cr.nquery++] = (s3_kv){"uploadId", id.data};
    cr.budget_ns = deadline - mono_ns();
    q = do_request(c, &cr, &rs, errstr, errstr_size);
    int gone = q != 0 && rs.has_doc && strcmp(rs.doc.code, "NoSuchUpload") == 0;
    int retried = rs.attempts > 1;
    resp_release(&rs);
    if (q == 0) {
        rc = 0;
        goto done;
    }
    if (gone && retried) {
        /* An earlier attempt may have completed the upload and lost the
         * answer: the object is there with the right size. */
        s3_object o = {0};
        char herr[256];
        if (s3_head(c, bucket, key, &o, herr, sizeof(herr)) == 0 && o.size == size) {
            s3_object_release(&o);
            rc = 0;
            goto done;
        }
        s3_object_release(&o);
    }
    if (gone) {
        rc = 1;
        goto done;
    }
fail:
    abort_upload(c, bucket, key, id.data);
done:
    if (etags)
        for (int64_t i = 0; i < nparts; i++)
            free(etags[i]);
    free(etags);
    buf_release(&out);
    buf_release(&id);
    buf_release(&complete);
    return rc;
}

int s3_put_file(s3_client *c, const char *bucket, const char *key, const char *path, char *errstr,
                size_t errstr_size)
{
    if (check_key(bucket, key, errstr, errstr_size) != 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return set_err(errstr, errstr_size, "s3: unable to open '%s': %s", path, strerror(errno));
    struct stat st;
    int rc = -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        set_err(errstr, errstr_size, "s3: '%s' is not a regular file", path);
        goto done;
    }
    int64_t size = (int64_t)st.st_size;
    if (size <= c->multipart_threshold) {
        req_body b = {.fd = fd, .off = 0, .flen = size};
        if (hash_range(fd, 0, size, path, b.sha256, errstr, errstr_size) != 0)
            goto done;
        req r = {.method = "PUT",
                 .bucket = bucket,
                 .key = key,
                 .body = &b,
                 .out_fd = -1,
                 .budget_ns = c->write_retry_ns};
        resp rs;
        rc = do_request(c, &r, &rs, errstr, errstr_size) < 0 ? -1 : 0;
        resp_release(&rs);
        goto done;
    }
    int64_t part = c->part_size;
    if ((size + part - 1) / part > S3_MAX_PARTS)
        part = ((size + S3_MAX_PARTS - 1) / S3_MAX_PARTS + MIB - 1) / MIB * MIB;
    int64_t deadline = mono_ns() + c->write_retry_ns;
    for (;;) {
        rc = multipart_once(c, bucket, key, fd, path, size, part, deadline, errstr, errstr_size);
        if (rc != 1)
            break;
        if (mono_ns() >= deadline || cancelled(c)) {
            rc = -1;
            break;
        }
        LOG_WARN("s3: the multipart upload to bucket '%s' key '%s' vanished; starting again",
                 bucket, key);
    }
done:
    close(fd);
    return rc;
}

int s3_get(s3_client *c, const char *bucket, const char *key, buf *out, char *errstr,
           size_t errstr_size)
{
    if (check_key(bucket, key, errstr, errstr_size) != 0)
        return -1;
    req r = {.method = "GET",
             .bucket = bucket,
             .key = key,
             .out = out,
             .out_fd = -1,
             .budget_ns = c->read_retry_ns};
    resp rs;
    int rc = do_request(c, &r, &rs, errstr, errstr_size);
    resp_release(&rs);
    return rc;
}

int s3_get_range(s3_client *c, const char *bucket, const char *key, int64_t offset, int64_t len,
                 buf *out, char *errstr, size_t errstr_size)
{
    if (check_key(bucket, key, errstr, errstr_size) != 0)
        return -1;
    if (offset < 0 || len <= 0)
        return set_err(errstr, errstr_size, "s3: bad range %" PRId64 "+%" PRId64 " of key '%s'",
                       offset, len, key);
    char range[64];
    snprintf(range, sizeof(range), "%" PRId64 "-%" PRId64, offset, offset + len - 1);
    size_t base = out->len;
    req r = {.method = "GET",
             .bucket = bucket,
             .key = key,
             .out = out,
             .out_fd = -1,
             .budget_ns = c->read_retry_ns,
             .range = range};
    resp rs;
    int rc = do_request(c, &r, &rs, errstr, errstr_size);
    /* A server that ignores Range answers 200 with the whole object: keep
     * only the bytes asked for. */
    if (rc == 0 && rs.status == 200 && out->len - base > (size_t)len) {
        if ((int64_t)(out->len - base) < offset + len) {
            rc = set_err(errstr, errstr_size,
                         "s3: bucket '%s' key '%s' is shorter than the range asked for", bucket,
                         key);
        } else {
            memmove(out->data + base, out->data + base + offset, (size_t)len);
            out->len = base + (size_t)len;
            out->data[out->len] = '\0';
        }
    }
    resp_release(&rs);
    return rc;
}

int s3_get_file(s3_client *c, const char *bucket, const char *key, const char *path, char *errstr,
                size_t errstr_size)
{
    if (check_key(bucket, key, errstr, errstr_size) != 0)
        return -1;
    buf tmp = {0};
    buf_printf(&tmp, "%s.tmp-XXXXXX", path);
    int fd = mkostemp(tmp.data, O_CLOEXEC);
    if (fd < 0) {
        set_err(errstr, errstr_size, "s3: unable to create '%s': %s", tmp.data, strerror(errno));
        buf_release(&tmp);
        return -1;
    }
    req r = {
        .method = "GET", .bucket = bucket, .key = key, .out_fd = fd, .budget_ns = c->read_retry_ns};
    resp rs;
    int rc = do_request(c, &r, &rs, errstr, errstr_size);
    resp_release(&rs);
    if (rc == 0 && (fchmod(fd, 0644) != 0 || fsync(fd) != 0))
        rc =
            set_err(errstr, errstr_size, "s3: unable to write '%s': %s", tmp.data, strerror(errno));
    if (close(fd) != 0 && rc == 0)
        rc =
            set_err(errstr, errstr_size, "s3: unable to write '%s': %s", tmp.data, strerror(errno));
    if (rc == 0 && rename_durable(tmp.data, path, errstr, errstr_size) != 0)
        rc = -1;
    if (rc != 0)
        unlink(tmp.data);
    buf_release(&tmp);
    return rc;
}

int s3_head(s3_client *c, const char *bucket, const char *key, s3_object *out, char *errstr,
            size_t errstr_size)
{
    if (out)
        memset(out, 0, sizeof(*out));
    if (check_key(bucket, key, errstr, errstr_size) != 0)
        return -1;
    req r = {.method = "HEAD",
             .bucket = bucket,
             .key = key,
             .out_fd = -1,
             .budget_ns = c->read_retry_ns};
    resp rs;
    int rc = do_request(c, &r, &rs, errstr, errstr_size);
    if (rc == 0 && out) {
        out->key = xstrdup(key);
        out->size = rs.content_length;
        out->mtime_ns = rs.mtime_s >= 0 ? rs.mtime_s * NS_PER_SEC : 0;
        out->etag = rs.etag[0] ? xstrdup(rs.etag) : NULL;
    }
    resp_release(&rs);
    return rc;
}

int s3_delete(s3_client *c, const char *bucket, const char *key, char *errstr, size_t errstr_size)
{
    if (check_key(bucket, key, errstr, errstr_size) != 0)
        return -1;
    req r = {.method = "DELETE",
             .bucket = bucket,
             .key = key,
             .out_fd = -1,
             .budget_ns = c->write_retry_ns};
    resp rs;
    int rc = do_request(c, &r, &rs, errstr, errstr_size);
    if (rc == S3_ENOENT && rs.has_doc && strcmp(rs.doc.code, "NoSuchBucket") != 0)
        rc = 0; /* the key is already gone */
    resp_release(&rs);
    return rc == S3_ENOENT ? -1 : rc;
}

int s3_list(s3_client *c, const char *bucket, const s3_list_opts *opts, s3_listing *out,
            char *errstr, size_t errstr_size)
{
    if (check_key(bucket, NULL, errstr, errstr_size) != 0)
        return -1;
    s3_list_opts none = {0};
    if (!opts)
        opts = &none;
    char maxk[24];
    snprintf(maxk, sizeof(maxk), "%d", opts->max_keys);
    char *token = NULL;
    int rc = 0;
    for (;;) {
        req r = {.method = "GET", .bucket = bucket, .out_fd = -1, .budget_ns = c->read_retry_ns};
        buf body = {0};
        r.out = &body;
        r.query[r.nquery++] = (s3_kv){"list-type", "2"};
        if (opts->prefix && *opts->prefix)
            r.query[r.nquery++] = (s3_kv){"prefix", opts->prefix};
        if (opts->delimiter && *opts->delimiter)
            r.query[r.nquery++] = (s3_kv){"delimiter", opts->delimiter};
        if (opts->max_keys > 0)
            r.query[r.nquery++] = (s3_kv){"max-keys", maxk};
        if (token)
            r.query[r.nquery++] = (s3_kv){"continuation-token", token};
        resp rs;
        rc = do_request(c, &r, &rs, errstr, errstr_size);
        resp_release(&rs);
        if (rc == 0) {
            char err[300];
            if (s3_parse_list(body.data ? body.data : "", body.len, out, err, sizeof(err)) != 0)
                rc = set_err(errstr, errstr_size, "s3: listing bucket '%s': %s", bucket, err);
        }
        buf_release(&body);
        if (rc != 0)
            break;
        out->pages++;
        if (!out->truncated)
            break;
        if (token && strcmp(token, out->next_token) == 0) {
            rc = set_err(errstr, errstr_size,
                         "s3: listing bucket '%s': the server repeated a continuation token",
                         bucket);
            break;
        }
        free(token);
        token = xstrdup(out->next_token);
    }
    free(token);
    return rc;
}

int s3_list_uploads(s3_client *c, const char *bucket, const char *prefix, s3_uploads *out,
                    char *errstr, size_t errstr_size)
{
    if (check_key(bucket, NULL, errstr, errstr_size) != 0)
        return -1;
    char *km = NULL, *um = NULL;
    int rc = 0;
    for (int page = 0;; page++) {
        req r = {.method = "GET", .bucket = bucket, .out_fd = -1, .budget_ns = c->read_retry_ns};
        buf body = {0};
        r.out = &body;
        r.query[r.nquery++] = (s3_kv){"uploads", ""};
        if (prefix && *prefix)
            r.query[r.nquery++] = (s3_kv){"prefix", prefix};
        if (km)
            r.query[r.nquery++] = (s3_kv){"key-marker", km};
        if (um)
            r.query[r.nquery++] = (s3_kv){"upload-id-marker", um};
        resp rs;
        rc = do_request(c, &r, &rs, errstr, errstr_size);
        resp_release(&rs);
        if (rc == 0) {
            char err[300];
            if (s3_parse_uploads(body.data ? body.data : "", body.len, out, err, sizeof(err)) != 0)
                rc = set_err(errstr, errstr_size, "s3: listing uploads of bucket '%s': %s", bucket,
                             err);
        }
        buf_release(&body);
        if (rc != 0 || !out->truncated)
            break;
        if (page > 10000 ||
            (km && strcmp(km, out->next_key_marker) == 0 && um && out->next_upload_id_marker &&
             strcmp(um, out->next_upload_id_marker) == 0)) {
            rc =
                set_err(errstr, errstr_size,
                        "s3: listing uploads of bucket '%s': the server repeated a marker", bucket);
            break;
        }
        free(km);
        free(um);
        km = xstrdup(out->next_key_marker);
        um = out->next_upload_id_marker ? xstrdup(out->next_upload_id_marker) : NULL;
    }
    free(km);
    free(um);
    return rc < 0 ? -1 : rc;
}

int s3_abort_upload(s3_client *c, const char *bucket, const char *key, const char *upload_id,
                    char *errstr, size_t errstr_size)
{
    if (check_key(bucket, key, errstr, errstr_size) != 0)
        return -1;
    req r = {.method = "DELETE",
             .bucket = bucket,
             .key = key,
             .out_fd = -1,
             .budget_ns = c->write_retry_ns};
    r.query[r.nquery++] = (s3_kv){"uploadId", upload_id};
    resp rs;
    int rc = do_request(c, &r, &rs, errstr, errstr_size);
    /* Gone already (completed or aborted by someone else): nothing to do. */
    if (rc != 0 && rs.has_doc && strcmp(rs.doc.code, "NoSuchUpload") == 0)
        rc = 0;
    resp_release(&rs);
    return rc < 0 ? -1 : rc;
}

int s3_create_bucket(s3_client *c, const char *bucket, char *errstr, size_t errstr_size)
{
    if (check_key(bucket, NULL, errstr, errstr_size) != 0)
        return -1;
    buf cfg = {0};
    if (strcmp(c->region, "us-east-1") != 0)
        buf_printf(&cfg,
                   "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                   "<LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>",
                   c->region);
    req_body b = {.data = cfg.data ? cfg.data : "", .len = cfg.len, .fd = -1};
    s3_sha256_hex(b.data, b.len, b.sha256);
    req r = {.method = "PUT",
             .bucket = bucket,
             .body = &b,
             .out_fd = -1,
             .budget_ns = c->write_retry_ns};
    resp rs;
    int rc = do_request(c, &r, &rs, errstr, errstr_size);
    if (rc != 0 && rs.status == 409 && rs.has_doc &&
        strcmp(rs.doc.code, "BucketAlreadyOwnedByYou") == 0)
        rc = 0;
    resp_release(&rs);
    buf_release(&cfg);
    return rc < 0 ? -1 : rc;
}
