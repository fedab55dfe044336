/* s3_xml.c - the XML reader and the S3 response documents (pure). See s3_xml.h. */
#include "s3_xml.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"

#define XML_MAX_DEPTH 32

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

void s3_copy_printable(char *dst, size_t dstsz, const char *text, size_t n)
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
            s3_copy_printable(x->out->code, sizeof(x->out->code), text, text_len);
        else if (strcmp(name, "Message") == 0)
            s3_copy_printable(x->out->message, sizeof(x->out->message), text, text_len);
        else if (strcmp(name, "Region") == 0)
            s3_copy_printable(x->out->region, sizeof(x->out->region), text, text_len);
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
