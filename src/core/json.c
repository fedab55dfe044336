/* json.c - a small recursive-descent JSON parser into one arena; see json.h. */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define JSON_MAX_DEPTH 64
#define ARENA_BLOCK 8192

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    char data[];
};

struct json_doc {
    struct arena_block *blocks;
    json_value *root;
};

typedef struct parser {
    const char *p, *start, *end;
    json_doc *doc;
    char *errstr;
    size_t errstr_size;
    int depth;
} parser;

static void *arena_alloc(json_doc *doc, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct arena_block *b = doc->blocks;
    if (!b || b->used + n > b->cap) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = malloc(sizeof(*b) + cap);
        if (!b)
            return NULL;
        b->next = doc->blocks;
        b->used = 0;
        b->cap = cap;
        doc->blocks = b;
    }
    void *r = b->data + b->used;
    b->used += n;
    return r;
}

static int fail(parser *ps, const char *what)
{
    set_err(ps->errstr, ps->errstr_size, "invalid JSON at byte %zu: %s",
            (size_t)(ps->p - ps->start), what);
    return -1;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static json_value *new_value(parser *ps, json_type t)
{
    json_value *v = arena_alloc(ps->doc, sizeof(*v));
    if (!v)
        return NULL;
    memset(v, 0, sizeof(*v));
    v->type = t;
    return v;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Parses a string literal at ps->p (on the opening quote). */
static int parse_string(parser *ps, const char **out, size_t *out_len)
{
    ps->p++; /* opening quote */
    const char *s = ps->p;
    size_t escapes = 0;
    while (ps->p < ps->end && *ps->p != '"') {
        if ((unsigned char)*ps->p < 0x20)
            return fail(ps, "control character in string");
        if (*ps->p == '\\') {
            escapes++;
            ps->p++;
            if (ps->p >= ps->end)
                break;
        }
        ps->p++;
    }
    if (ps->p >= ps->end)
        return fail(ps, "unterminated string");
    size_t raw = (size_t)(ps->p - s);
    char *o = arena_alloc(ps->doc, raw + 1);
    if (!o)
        return fail(ps, "out of memory");
    if (!escapes) {
        memcpy(o, s, raw);
        o[raw] = '\0';
        *out = o;
        *out_len = raw;
        ps->p++;
        return 0;
    }
    size_t n = 0;
    for (const char *q = s; q < ps->p; q++) {
        if (*q != '\\') {
            o[n++] = *q;
            continue;
        }
        q++;
        switch (*q) {
        case '"':
            o[n++] = '"';
            break;
        case '\\':
            o[n++] = '\\';
            break;
        case '/':
            o[n++] = '/';
            break;
        case 'b':
            o[n++] = '\b';
            break;
        case 'f':
            o[n++] = '\f';
            break;
        case 'n':
            o[n++] = '\n';
            break;
        case 'r':
            o[n++] = '\r';
            break;
        case 't':
            o[n++] = '\t';
            break;
        case 'u': {
            unsigned cp;
            if (ps->p - q < 5 || hex4(q + 1, &cp) != 0) {
                ps->p = q;
                return fail(ps, "bad \\u escape");
            }
            q += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                unsigned lo;
                if (ps->p - q >= 7 && q[1] == '\\' && q[2] == 'u' && hex4(q + 3, &lo) == 0 &&
                    lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    q += 6;
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                cp = 0xFFFD;
            }
            /* The escape is 6 bytes and the encoding at most 4: fits in place. */
            n += utf8_encode(cp, o + n);
            break;
        }
        default:
            ps->p = q;
            return fail(ps, "bad escape");
        }
    }
    o[n] = '\0';
    *out = o;
    *out_len = n;
    ps->p++;
    return 0;
}

static int parse_number(parser *ps, json_value *v)
{
    const char *s = ps->p;
    const char *q = s;
    int is_int = 1;
    if (q < ps->end && *q == '-')
        q++;
    if (q >= ps->end || *q < '0' || *q > '9')
        return fail(ps, "bad number");
    if (*q == '0' && q + 1 < ps->end && q[1] >= '0' && q[1] <= '9')
        return fail(ps, "leading zero in number");
    while (q < ps->end && *q >= '0' && *q <= '9')
        q++;
    if (q < ps->end && *q == '.') {
        is_int = 0;
        q++;
        if (q >= ps->end || *q < '0' || *q > '9')
            return fail(ps, "bad fraction");
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        is_int = 0;
        q++;
        if (q < ps->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= ps->end || *q < '0' || *q > '9')
            return fail(ps, "bad exponent");
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    }
    char tmp[64];
    size_t n = (size_t)(q - s);
    char *heap = NULL;
    char *lit = tmp;
    if (n >= sizeof(tmp)) {
        heap = malloc(n + 1);
        if (!heap)
            return fail(ps, "out of memory");
        lit = heap;
    }
    memcpy(lit, s, n);
    lit[n] = '\0';
    v->num = strtod(lit, NULL);
    if (is_int) {
        errno = 0;
        long long i = strtoll(lit, NULL, 10);
        if (errno == 0) {
            v->is_int = 1;
            v->i = i;
        }
    }
    free(heap);
    ps->p = q;
    return 0;
}

static int parse_value(parser *ps, json_value **out);

static int parse_container(parser *ps, json_value *v, int is_obj)
{
    char close = is_obj ? '}' : ']';
    if (++ps->depth > JSON_MAX_DEPTH)
        return fail(ps, "nesting too deep");
    ps->p++;
    skip_ws(ps);
    json_value **tail = &v->child;
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        ps->depth--;
        return 0;
    }
    for (;;) {
        const char *key = NULL;
        size_t keylen;
        skip_ws(ps);
        if (is_obj) {
            if (ps->p >= ps->end || *ps->p != '"')
                return fail(ps, "expected member name");
            if (parse_string(ps, &key, &keylen) != 0)
                return -1;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':')
                return fail(ps, "expected ':'");
            ps->p++;
        }
        json_value *child;
        if (parse_value(ps, &child) != 0)
            return -1;
        child->key = key;
        *tail = child;
        tail = &child->next;
        v->count++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            ps->depth--;
            return 0;
        }
        return fail(ps, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int literal(parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return fail(ps, "unexpected character");
    ps->p += n;
    return 0;
}

static int parse_value(parser *ps, json_value **out)
{
    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, "unexpected end of input");
    json_value *v = new_value(ps, JSON_NULL);
    if (!v)
        return fail(ps, "out of memory");
    *out = v;
    switch (*ps->p) {
    case '{':
        v->type = JSON_OBJECT;
        return parse_container(ps, v, 1);
    case '[':
        v->type = JSON_ARRAY;
        return parse_container(ps, v, 0);
    case '"':
        v->type = JSON_STRING;
        return parse_string(ps, &v->str, &v->len);
    case 't':
        v->type = JSON_TRUE;
        return literal(ps, "true");
    case 'f':
        v->type = JSON_FALSE;
        return literal(ps, "false");
    case 'n':
        v->type = JSON_NULL;
        return literal(ps, "null");
    default:
        v->type = JSON_NUMBER;
        return parse_number(ps, v);
    }
}

json_doc *json_parse(const char *text, size_t len, char *errstr, size_t errstr_size)
{
    json_doc *doc = calloc(1, sizeof(*doc));
    if (!doc) {
        set_err(errstr, errstr_size, "out of memory");
        return NULL;
    }
    parser ps = {.p = text,
                 .start = text,
                 .end = text + len,
                 .doc = doc,
                 .errstr = errstr,
                 .errstr_size = errstr_size};
    if (!text || parse_value(&ps, &doc->root) != 0) {
        if (!text)
            set_err(errstr, errstr_size, "invalid JSON: no input");
        json_doc_free(doc);
        return NULL;
    }
    skip_ws(&ps);
    if (ps.p != ps.end) {
        fail(&ps, "trailing characters after the value");
        json_doc_free(doc);
        return NULL;
    }
    return doc;
}

const json_value *json_root(const json_doc *doc)
{
    return doc ? doc->root : NULL;
}

void json_doc_free(json_doc *doc)
{
    if (!doc)
        return;
    struct arena_block *b = doc->blocks;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(doc);
}

const json_value *json_get(const json_value *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    for (const json_value *c = obj->child; c; c = c->next)
        if (c->key && strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

int json_get_int(const json_value *obj, const char *key, int64_t *out)
{
    const json_value *v = json_get(obj, key);
    if (!v || v->type != JSON_NUMBER || !v->is_int)
        return -1;
    *out = v->i;
    return 0;
}

int json_get_num(const json_value *obj, const char *key, double *out)
{
    const json_value *v = json_get(obj, key);
    if (!v || v->type != JSON_NUMBER)
        return -1;
    *out = v->num;
    return 0;
}

const char *json_get_str(const json_value *obj, const char *key)
{
    const json_value *v = json_get(obj, key);
    return v && v->type == JSON_STRING ? v->str : NULL;
}
