/* json.c - the JSON reader over yyjson (the only file that includes yyjson.h); see json.h.
 *
 * yyjson parses (strict RFC 8259, UTF-8 validated); json_parse then mirrors its values as
 * json_value nodes in one arena, pointing at yyjson's own unescaped, NUL-terminated strings, and
 * json_rec answers lookups straight from yyjson's values. */
#include "json.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "yyjson.h"

#define JSON_MAX_DEPTH 64
#define ARENA_BLOCK 8192

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    char data[];
};

struct json_doc {
    yyjson_doc *yy; /* owns the strings the nodes point at */
    struct arena_block *blocks;
    json_value *root;
};

/* Reads text with yyjson (alc NULL: the heap). NULL with errstr naming the byte offset. */
static yyjson_doc *read_yy(const char *text, size_t len, const yyjson_alc *alc, char *errstr,
                           size_t errstr_size)
{
    if (!text) {
        set_err(errstr, errstr_size, "invalid JSON at byte 0: no input");
        return NULL;
    }
    yyjson_read_err err;
    /* Without YYJSON_READ_INSITU yyjson copies the input and never writes to it. */
    yyjson_doc *d = yyjson_read_opts((char *)text, len, 0, alc, &err);
    if (!d)
        set_err(errstr, errstr_size, "invalid JSON at byte %zu: %s", err.pos,
                err.msg ? err.msg : "unreadable");
    return d;
}

/* Fills the scalar part of v (type, number, string, count) from y. */
static void fill_value(yyjson_val *y, json_value *v)
{
    memset(v, 0, sizeof(*v));
    switch (yyjson_get_type(y)) {
    case YYJSON_TYPE_BOOL:
        v->type = yyjson_get_bool(y) ? JSON_TRUE : JSON_FALSE;
        break;
    case YYJSON_TYPE_NUM:
        v->type = JSON_NUMBER;
        switch (yyjson_get_subtype(y)) {
        case YYJSON_SUBTYPE_UINT: {
            uint64_t u = yyjson_get_uint(y);
            v->num = (double)u;
            if (u <= (uint64_t)INT64_MAX) {
                v->is_int = 1;
                v->i = (int64_t)u;
            }
            break;
        }
        case YYJSON_SUBTYPE_SINT:
            v->is_int = 1;
            v->i = yyjson_get_sint(y);
            v->num = (double)v->i;
            break;
        default:
            v->num = yyjson_get_real(y);
            break;
        }
        break;
    case YYJSON_TYPE_STR:
        v->type = JSON_STRING;
        v->str = yyjson_get_str(y);
        v->len = yyjson_get_len(y);
        break;
    case YYJSON_TYPE_ARR:
        v->type = JSON_ARRAY;
        v->count = yyjson_arr_size(y);
        break;
    case YYJSON_TYPE_OBJ:
        v->type = JSON_OBJECT;
        v->count = yyjson_obj_size(y);
        break;
    default:
        v->type = JSON_NULL;
        break;
    }
}

/* ---- json_parse: a json_value tree over the yyjson document ------------------------------------
 */

static json_value *new_node(json_doc *doc)
{
    struct arena_block *b = doc->blocks;
    if (!b || b->used + sizeof(json_value) > b->cap) {
        b = malloc(sizeof(*b) + ARENA_BLOCK);
        if (!b)
            return NULL;
        b->next = doc->blocks;
        b->used = 0;
        b->cap = ARENA_BLOCK;
        doc->blocks = b;
    }
    json_value *v = (json_value *)(void *)(b->data + b->used);
    b->used += sizeof(json_value);
    return v;
}

/* Mirrors y (and its children) as *out; -1 with errstr when nesting is too deep or memory runs
 * out. depth counts the containers around y. */
static int mirror(json_doc *doc, yyjson_val *y, int depth, json_value **out, char *errstr,
                  size_t errstr_size)
{
    json_value *v = new_node(doc);
    if (!v)
        return set_err(errstr, errstr_size, "out of memory");
    fill_value(y, v);
    *out = v;
    if (!yyjson_is_ctn(y))
        return 0;
    if (depth >= JSON_MAX_DEPTH)
        return set_err(errstr, errstr_size, "invalid JSON: nesting too deep (more than %d levels)",
                       JSON_MAX_DEPTH);
    json_value **tail = &v->child;
    if (yyjson_is_arr(y)) {
        yyjson_arr_iter it = yyjson_arr_iter_with(y);
        yyjson_val *c;
        while ((c = yyjson_arr_iter_next(&it))) {
            if (mirror(doc, c, depth + 1, tail, errstr, errstr_size) != 0)
                return -1;
            tail = &(*tail)->next;
        }
    } else {
        yyjson_obj_iter it = yyjson_obj_iter_with(y);
        yyjson_val *k;
        while ((k = yyjson_obj_iter_next(&it))) {
            if (mirror(doc, yyjson_obj_iter_get_val(k), depth + 1, tail, errstr, errstr_size) != 0)
                return -1;
            (*tail)->key = yyjson_get_str(k);
            tail = &(*tail)->next;
        }
    }
    return 0;
}

json_doc *json_parse(const char *text, size_t len, char *errstr, size_t errstr_size)
{
    json_doc *doc = calloc(1, sizeof(*doc));
    if (!doc) {
        set_err(errstr, errstr_size, "out of memory");
        return NULL;
    }
    doc->yy = read_yy(text, len, NULL, errstr, errstr_size);
    if (!doc->yy || mirror(doc, yyjson_doc_get_root(doc->yy), 0, &doc->root, errstr, errstr_size)) {
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
    yyjson_doc_free(doc->yy);
    free(doc);
}

/* ---- json_parser: json_parse with memory kept between documents ------------------------------ */

/* A document needing more than this for yyjson (text of about 80 KiB and
 * more) is read on the heap, and a tree of more nodes than fit in it is not
 * kept for the next: the memory kept stays that of a typical message. */
#define PARSER_KEEP_MAX (1u << 20)

struct json_parser {
    json_doc doc;    /* the current document; its arena blocks are reused */
    void *mem;       /* yyjson's pool */
    size_t cap;      /* bytes at mem */
    bool yy_on_heap; /* doc.yy came from the heap, not mem */
};

json_parser *json_parser_new(void)
{
    return xcalloc(1, sizeof(json_parser));
}

/* Frees what the parser's document holds beyond its first arena block, so
 * the next document starts in one block as big as all the last one used. */
static void parser_reset(json_parser *p)
{
    if (p->yy_on_heap)
        yyjson_doc_free(p->doc.yy);
    p->doc.yy = NULL;
    p->yy_on_heap = false;
    p->doc.root = NULL;
    struct arena_block *b = p->doc.blocks;
    if (b && b->next) {
        size_t total = 0;
        while (b) {
            struct arena_block *next = b->next;
            total += b->cap;
            free(b);
            b = next;
        }
        b = total <= PARSER_KEEP_MAX ? malloc(sizeof(*b) + total) : NULL;
        if (b) {
            b->next = NULL;
            b->cap = total;
        }
        p->doc.blocks = b;
    }
    if (b)
        b->used = 0;
}

void json_parser_free(json_parser *p)
{
    if (!p)
        return;
    parser_reset(p);
    free(p->doc.blocks);
    free(p->mem);
    free(p);
}

const json_value *json_parser_parse(json_parser *p, const char *text, size_t len, char *errstr,
                                    size_t errstr_size)
{
    parser_reset(p);
    size_t need = yyjson_read_max_memory_usage(len, 0);
    yyjson_alc alc;
    bool pooled = false;
    if (need != 0 && need <= PARSER_KEEP_MAX) {
        if (need > p->cap) {
            size_t cap = p->cap ? p->cap : 16384;
            while (cap < need)
                cap *= 2;
            free(p->mem);
            p->mem = malloc(cap);
            p->cap = p->mem ? cap : 0;
        }
        pooled = p->mem && yyjson_alc_pool_init(&alc, p->mem, p->cap);
    }
    p->doc.yy = read_yy(text, len, pooled ? &alc : NULL, errstr, errstr_size);
    if (!p->doc.yy)
        return NULL;
    p->yy_on_heap = !pooled;
    if (mirror(&p->doc, yyjson_doc_get_root(p->doc.yy), 0, &p->doc.root, errstr, errstr_size) != 0)
        return NULL;
    return p->doc.root;
}

/* ---- json_rec: lookups straight from yyjson -----------------------------------------------------
 */

struct json_rec {
    yyjson_doc *doc;
    yyjson_val *obj;    /* the root when it is an object, else NULL */
    yyjson_obj_iter it; /* lookups go on from the member after the last one found */
    bool pooled;        /* doc lives in the per-thread pool */
};

/* yyjson needs at most 13 bytes per input byte plus 256 (yyjson_read_max_memory_usage): 32 KiB
 * holds any record up to about 2.4 KiB, so trades, quotes and bars never touch the heap. */
#define REC_POOL_SIZE 32768
static _Thread_local struct {
    _Alignas(16) unsigned char mem[REC_POOL_SIZE];
    json_rec rec;
    bool busy; /* rec and mem hold a record that has not been freed yet */
} rec_pool;

json_rec *json_rec_parse(const char *text, size_t len, char *errstr, size_t errstr_size)
{
    yyjson_alc alc;
    size_t need = yyjson_read_max_memory_usage(len, 0);
    bool pooled = !rec_pool.busy && need != 0 && need <= sizeof(rec_pool.mem) &&
                  yyjson_alc_pool_init(&alc, rec_pool.mem, sizeof(rec_pool.mem));
    json_rec *r = pooled ? &rec_pool.rec : malloc(sizeof(*r));
    if (!r) {
        set_err(errstr, errstr_size, "out of memory");
        return NULL;
    }
    r->doc = read_yy(text, len, pooled ? &alc : NULL, errstr, errstr_size);
    if (!r->doc) {
        if (!pooled)
            free(r);
        return NULL;
    }
    r->pooled = pooled;
    rec_pool.busy |= pooled;
    yyjson_val *root = yyjson_doc_get_root(r->doc);
    r->obj = yyjson_is_obj(root) ? root : NULL;
    if (r->obj)
        yyjson_obj_iter_init(r->obj, &r->it);
    return r;
}

void json_rec_free(json_rec *r)
{
    if (!r)
        return;
    if (r->pooled) {
        rec_pool.busy = false; /* the next parse re-initialises the whole pool */
        return;
    }
    yyjson_doc_free(r->doc);
    free(r);
}

int json_rec_is_object(json_rec *r)
{
    return r->obj != NULL;
}

int json_rec_get(json_rec *r, const char *key, json_value *out)
{
    if (!r->obj)
        return -1;
    /* Records are read in about the order they are written: going on from the last member found
     * (wrapping round) makes each lookup one key comparison instead of a scan from the start. */
    yyjson_val *v = yyjson_obj_iter_getn(&r->it, key, strlen(key));
    if (!v)
        return -1;
    fill_value(v, out);
    return 0;
}

int json_rec_get_int(json_rec *r, const char *key, int64_t *out)
{
    json_value v;
    if (json_rec_get(r, key, &v) != 0 || v.type != JSON_NUMBER || !v.is_int)
        return -1;
    *out = v.i;
    return 0;
}

int json_rec_get_num(json_rec *r, const char *key, double *out)
{
    json_value v;
    if (json_rec_get(r, key, &v) != 0 || v.type != JSON_NUMBER)
        return -1;
    *out = v.num;
    return 0;
}

const char *json_rec_get_str(json_rec *r, const char *key)
{
    json_value v;
    return json_rec_get(r, key, &v) == 0 && v.type == JSON_STRING ? v.str : NULL;
}

/* ---- lookups in a json_parse tree -------------------------------------------------------------
 */

const json_value *json_get(const json_value *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    /* The first byte first: most members differ there (a feed's "p", "s", "t"). */
    for (const json_value *c = obj->child; c; c = c->next)
        if (c->key && c->key[0] == key[0] && strcmp(c->key, key) == 0)
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

int json_rec_copy_str(json_rec *r, const char *key, char *dst, size_t dstsz, int required,
                      char *errstr, size_t errstr_size)
{
    json_value v;
    if (json_rec_get(r, key, &v) != 0 || v.type == JSON_NULL) {
        dst[0] = '\0';
        return required ? set_err(errstr, errstr_size, "missing field '%s'", key) : 0;
    }
    if (v.type != JSON_STRING)
        return set_err(errstr, errstr_size, "field '%s' is not a string", key);
    if (v.len >= dstsz || memchr(v.str, '\0', v.len))
        return set_err(errstr, errstr_size, "field '%s' is longer than %zu bytes", key, dstsz - 1);
    if (required && v.len == 0)
        return set_err(errstr, errstr_size, "field '%s' is empty", key);
    memcpy(dst, v.str, v.len + 1);
    return 0;
}

/* ---- writing -------------------------------------------------------------------------------- */

void json_put_double(buf *b, double v)
{
    if (!isfinite(v)) {
        buf_puts(b, "null");
        return;
    }
    /* Decimals of up to 9 places and 15 digits, as prices and sizes are,
     * without printf (double_short_decimal); below 1e-4 "%.15g" writes an
     * exponent, so those go to yyjson with the rest. */
    int64_t im;
    int k;
    if (fabs(v) >= 1e-4 && fabs(v) < 1e15 && double_short_decimal(v, &im, &k)) {
        if (im < 0) {
            buf_putc(b, '-');
            im = -im;
        }
        int64_t scale = (int64_t)tl_pow10[k];
        buf_put_int64(b, im / scale);
        int64_t frac = im % scale;
        if (frac) {
            char digits[10];
            int n = k;
            while (frac % 10 == 0) { /* trailing zeros are left out */
                frac /= 10;
                n--;
            }
            digits[0] = '.';
            for (int i = n; i >= 1; i--) {
                digits[i] = (char)('0' + frac % 10);
                frac /= 10;
            }
            buf_append(b, digits, (size_t)n + 1);
        }
        return;
    } else if (v == 0) {
        buf_puts(b, signbit(v) ? "-0" : "0");
        return;
    }
    /* The shortest round trip, by yyjson's writer: about 30 ns against 1.6 us for printf and
     * strtod trying 15, 16 and 17 digits (VWAPs, indicators and window state are such doubles).
     * The writer takes its one buffer from a pool on the stack, so nothing reaches the heap. */
    char pool[160];
    yyjson_alc alc;
    yyjson_alc_pool_init(&alc, pool, sizeof(pool));
    yyjson_val val;
    unsafe_yyjson_set_real(&val, v);
    size_t len = 0;
    const char *text = yyjson_val_write_opts(&val, YYJSON_WRITE_NOFLAG, &alc, &len, NULL);
    if (text) {
        buf_append(b, text, len);
        return;
    }
    char tmp[40]; /* not reached: the pool holds the writer's buffer */
    snprintf(tmp, sizeof(tmp), "%.17g", v);
    buf_puts(b, tmp);
}
