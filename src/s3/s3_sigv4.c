/* s3_sigv4.c - AWS Signature Version 4 (pure). See s3_sigv4.h. */
#include "s3_sigv4.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    s3_hmac_sha256(k.data, k.len, in->amz_date, 8, kd);
    s3_buf_release_secret(&k);
    s3_hmac_sha256(kd, 32, in->region, strlen(in->region), kr);
    s3_hmac_sha256(kr, 32, in->service, strlen(in->service), ks);
    s3_hmac_sha256(ks, 32, "aws4_request", 12, kk);
    buf sts = {0};
    s3_string_to_sign(&sts, in);
    s3_hmac_sha256(kk, 32, sts.data, sts.len, sig);
    buf_release(&sts);
    s3_hex(sig, 32, out);
    s3_wipe(kd, sizeof(kd));
    s3_wipe(kr, sizeof(kr));
    s3_wipe(ks, sizeof(ks));
    s3_wipe(kk, sizeof(kk));
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
