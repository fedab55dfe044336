/* s3_xml.c - the XML walk (expat underneath) and the S3 response documents (pure). See s3_xml.h. */
#include "s3_xml.h"

#include <expat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"

#define XML_MAX_DEPTH 32

/* ------------------------------------------------------------------------
 * XML, through expat: its events become the callbacks of s3_xml.h
 * ------------------------------------------------------------------------ */

static int xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

typedef struct walk {
    XML_Parser parser;
    s3_xml_cb cb;
    void *ctx;
    int depth;
    buf text;      /* the open element's own character data since the last tag */
    buf name;      /* the local name of the element of the current event */
    int stopped;   /* a handler stopped the parser: later events are ignored */
    char err[200]; /* why, when a handler stopped it */
    unsigned long skipped_lines, skipped_cols; /* blanks skipped before the document */
} walk;

/* "line L, column C" of the parser's position in the whole document (from 1). */
static const char *walk_where(const walk *w, char *out)
{
    unsigned long line = (unsigned long)XML_GetCurrentLineNumber(w->parser);
    unsigned long col = (unsigned long)XML_GetCurrentColumnNumber(w->parser) + 1;
    if (line == 1)
        col += w->skipped_cols;
    snprintf(out, 64, "line %lu, column %lu", line + w->skipped_lines, col);
    return out;
}

/* Stops the parser from inside a handler with a reason that says where. */
static void walk_stop(walk *w, const char *what)
{
    if (w->stopped)
        return;
    w->stopped = 1;
    char where[64];
    snprintf(w->err, sizeof(w->err), "xml: %s at %s", what, walk_where(w, where));
    XML_StopParser(w->parser, XML_FALSE);
}

/* The local name: any "ns:" prefix removed (the parser is not namespace-aware, as S3 documents
 * need not be). */
static void local_name(buf *b, const XML_Char *qname)
{
    const char *colon = strrchr(qname, ':');
    buf_reset(b);
    buf_puts(b, colon ? colon + 1 : qname);
}

static void XMLCALL on_start(void *data, const XML_Char *qname, const XML_Char **attrs)
{
    (void)attrs;
    walk *w = data;
    if (w->stopped)
        return;
    if (w->depth >= XML_MAX_DEPTH) {
        char what[64];
        snprintf(what, sizeof(what), "nested deeper than %d", XML_MAX_DEPTH);
        walk_stop(w, what);
        return;
    }
    w->depth++;
    local_name(&w->name, qname);
    buf_reset(&w->text);
    if (w->cb && w->cb(w->ctx, S3_XML_START, w->name.data, NULL, 0, w->depth) != 0)
        walk_stop(w, "stopped");
}

static void XMLCALL on_end(void *data, const XML_Char *qname)
{
    walk *w = data;
    if (w->stopped)
        return;
    local_name(&w->name, qname);
    if (w->cb && w->cb(w->ctx, S3_XML_END, w->name.data, w->text.data, w->text.len, w->depth) != 0)
        walk_stop(w, "stopped");
    buf_reset(&w->text);
    w->depth--;
}

static void XMLCALL on_text(void *data, const XML_Char *s, int len)
{
    walk *w = data;
    if (!w->stopped && len > 0)
        buf_append(&w->text, s, (size_t)len);
}

/* A DOCTYPE could declare entities (and their expansion): S3 never sends one, so none is read. */
static void XMLCALL on_doctype(void *data, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    walk_stop(data, "DOCTYPE is not accepted");
}

int s3_xml_walk(const char *xml, size_t len, s3_xml_cb cb, void *ctx, char *errstr,
                size_t errstr_size)
{
    walk w = {.cb = cb, .ctx = ctx};
    w.parser = XML_ParserCreate(NULL);
    if (!w.parser)
        return set_err(errstr, errstr_size, "xml: out of memory");
    XML_SetUserData(w.parser, &w);
    XML_SetElementHandler(w.parser, on_start, on_end);
    XML_SetCharacterDataHandler(w.parser, on_text);
    XML_SetStartDoctypeDeclHandler(w.parser, on_doctype);
    buf_puts(&w.text, "");
    buf_puts(&w.name, "");
    /* Blanks before the XML declaration are skipped (expat wants it first); errors still count
     * lines and columns from the start of the document. */
    size_t off = 0;
    unsigned long skipped_lines = 0, skipped_cols = 0;
    while (off < len && xml_space(xml[off])) {
        skipped_cols++;
        if (xml[off++] == '\n') {
            skipped_lines++;
            skipped_cols = 0;
        }
    }
    w.skipped_lines = skipped_lines;
    w.skipped_cols = skipped_cols;
    /* expat takes an int length: a larger document goes in pieces. */
    enum XML_Status st = XML_STATUS_OK;
    do {
        size_t n = len - off > (size_t)INT_MAX / 2 ? (size_t)INT_MAX / 2 : len - off;
        st = XML_Parse(w.parser, xml + off, (int)n, off + n == len);
        off += n;
    } while (st == XML_STATUS_OK && off < len);
    int rc = 0;
    char where[64];
    if (st != XML_STATUS_OK) {
        if (w.stopped)
            rc = set_err(errstr, errstr_size, "%s", w.err);
        else
            rc = set_err(errstr, errstr_size, "xml: %s at %s",
                         XML_ErrorString(XML_GetErrorCode(w.parser)), walk_where(&w, where));
    }
    XML_ParserFree(w.parser);
    buf_release(&w.text);
    buf_release(&w.name);
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
    int url_encoded; /* <EncodingType>url</EncodingType>: keys and prefixes are */
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
    } else if (depth == 2 && strcmp(name, "EncodingType") == 0) {
        x->url_encoded = text_len == 3 && memcmp(text, "url", 3) == 0;
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

static int hex_value(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Decodes in place what S3's encoding-type=url made of s: %XX and '+' for a
 * space (as botocore's unquote_plus). -1 on a bad escape or a NUL. */
static int url_decode(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (*r == '+') {
            *w++ = ' ';
        } else if (*r == '%') {
            int hi = hex_value(r[1]), lo = hi < 0 ? -1 : hex_value(r[2]);
            if (lo < 0 || (hi == 0 && lo == 0))
                return -1;
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return 0;
}

int s3_parse_list(const char *xml, size_t len, s3_listing *out, char *errstr, size_t errstr_size)
{
    list_ctx x = {.out = out};
    size_t objects0 = out->nobjects, prefixes0 = out->nprefixes; /* this page's come after */
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
    for (size_t i = objects0; x.url_encoded && i < out->nobjects; i++)
        if (url_decode(out->objects[i].key) != 0)
            return set_err(errstr, errstr_size, "bad ListObjectsV2 response: key '%.200s'",
                           out->objects[i].key);
    for (size_t i = prefixes0; x.url_encoded && i < out->nprefixes; i++)
        if (url_decode(out->prefixes[i]) != 0)
            return set_err(errstr, errstr_size, "bad ListObjectsV2 response: prefix '%.200s'",
                           out->prefixes[i]);
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
