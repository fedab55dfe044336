/* arrow_ipc.c - the Arrow IPC streaming format from C data interface arrays; see arrow_ipc.h.
 *
 * FlatBuffers are built back to front, as the reference builders do: every object is written
 * before the objects that point at it, so each offset points forward (an unsigned uoffset) and
 * a table's vtable sits just before it. Positions while building are counted from the end of
 * the buffer ("used" bytes), which do not move when the buffer grows. */
#include "arrow_ipc.h"

#include <stdlib.h>
#include <string.h>

/* ---- a FlatBuffers builder -------------------------------------------------------------- */

#define FB_MAX_SLOTS 8

typedef struct fb {
    uint8_t *mem;
    size_t cap, used, minalign;
    size_t table_start;         /* used when the open table began */
    size_t slots[FB_MAX_SLOTS]; /* used after each field was written; 0: absent */
    int nslots;
} fb;

static void fb_reserve(fb *f, size_t n)
{
    if (f->cap - f->used >= n)
        return;
    size_t cap = f->cap ? f->cap : 256;
    while (cap - f->used < n)
        cap *= 2;
    uint8_t *m = xmalloc(cap);
    if (f->used)
        memcpy(m + cap - f->used, f->mem + f->cap - f->used, f->used);
    free(f->mem);
    f->mem = m;
    f->cap = cap;
}

static void fb_push(fb *f, const void *p, size_t n)
{
    if (n == 0)
        return;
    fb_reserve(f, n);
    f->used += n;
    memcpy(f->mem + f->cap - f->used, p, n);
}

static void fb_zeros(fb *f, size_t n)
{
    if (n == 0)
        return;
    fb_reserve(f, n);
    f->used += n;
    memset(f->mem + f->cap - f->used, 0, n);
}

/* Pads so that after extra more bytes, a value of size bytes is aligned. */
static void fb_prep(fb *f, size_t size, size_t extra)
{
    if (size > f->minalign)
        f->minalign = size;
    fb_zeros(f, (~(f->used + extra) + 1) & (size - 1));
}

/* v as size little-endian bytes at p: FlatBuffers and the message prefix are little-endian. */
static void le_store(uint8_t *p, uint64_t v, size_t size)
{
    for (size_t i = 0; i < size; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void fb_le(fb *f, uint64_t v, size_t size)
{
    uint8_t b[8];
    le_store(b, v, size);
    fb_prep(f, size, 0);
    fb_push(f, b, size);
}

/* A uoffset to the object at position off; returns the field's position. */
static size_t fb_uoffset(fb *f, size_t off)
{
    fb_prep(f, 4, 0);
    uint32_t v = (uint32_t)(f->used + 4 - off);
    fb_le(f, v, 4);
    return f->used;
}

/* A string of n bytes: they may hold anything, NULs too (metadata values). */
static size_t fb_string_n(fb *f, const char *s, size_t n)
{
    fb_prep(f, 4, n + 1);
    fb_zeros(f, 1);
    fb_push(f, s, n);
    fb_le(f, n, 4);
    return f->used;
}

static size_t fb_string(fb *f, const char *s)
{
    return fb_string_n(f, s, strlen(s));
}

static size_t fb_offsets(fb *f, const size_t *offs, size_t n)
{
    fb_prep(f, 4, 4 * n);
    for (size_t i = n; i-- > 0;)
        fb_uoffset(f, offs[i]);
    fb_le(f, n, 4);
    return f->used;
}

/* A vector of n structs of two int64s each (FieldNode, Buffer). */
static size_t fb_pairs(fb *f, const int64_t (*pairs)[2], size_t n)
{
    fb_prep(f, 4, 16 * n);
    fb_prep(f, 8, 16 * n);
    for (size_t i = n; i-- > 0;) {
        fb_le(f, (uint64_t)pairs[i][1], 8);
        fb_le(f, (uint64_t)pairs[i][0], 8);
    }
    fb_le(f, n, 4);
    return f->used;
}

static void fb_table(fb *f)
{
    f->table_start = f->used;
    f->nslots = 0;
    memset(f->slots, 0, sizeof(f->slots));
}

static void fb_slot(fb *f, int slot)
{
    f->slots[slot] = f->used;
    if (slot + 1 > f->nslots)
        f->nslots = slot + 1;
}

static void fb_field(fb *f, int slot, uint64_t v, size_t size)
{
    fb_le(f, v, size);
    fb_slot(f, slot);
}

static void fb_field_offset(fb *f, int slot, size_t off)
{
    fb_uoffset(f, off);
    fb_slot(f, slot);
}

/* Ends the open table: its soffset, then its vtable just before it. */
static size_t fb_end(fb *f)
{
    fb_le(f, 0, 4);
    size_t table = f->used;
    for (int i = f->nslots; i-- > 0;)
        fb_le(f, f->slots[i] ? table - f->slots[i] : 0, 2);
    fb_le(f, table - f->table_start, 2);
    fb_le(f, 4 + 2 * (size_t)f->nslots, 2);
    le_store(f->mem + f->cap - table, f->used - table, 4); /* soffset to the vtable */
    return table;
}

static void fb_finish(fb *f, size_t root)
{
    fb_prep(f, f->minalign > 8 ? f->minalign : 8, 4);
    fb_uoffset(f, root);
}

/* ---- Arrow types from C data interface formats ------------------------------------------- */

/* Type union members (Schema.fbs) and MessageHeader members (Message.fbs). */
enum {
    T_NULL = 1,
    T_INT = 2,
    T_FLOAT = 3,
    T_BINARY = 4,
    T_UTF8 = 5,
    T_BOOL = 6,
    T_DECIMAL = 7,
    T_DATE = 8,
    T_TIME = 9,
    T_TIMESTAMP = 10,
    T_INTERVAL = 11,
    T_LIST = 12,
    T_STRUCT = 13,
    T_FIXED_BINARY = 15,
    T_FIXED_LIST = 16,
    T_MAP = 17,
    T_DURATION = 18,
    T_LARGE_BINARY = 19,
    T_LARGE_UTF8 = 20,
    T_LARGE_LIST = 21
};
enum { H_SCHEMA = 1, H_RECORD_BATCH = 3 };
#define METADATA_V5 4

/* How an array's buffers are laid out. */
enum { L_NONE, L_FIXED, L_BITS, L_VAR32, L_VAR64, L_LIST32, L_LIST64, L_FIXED_LIST, L_STRUCT };

typedef struct atype {
    int id;     /* T_* */
    int layout; /* L_* */
    int bits;   /* L_FIXED: bits a value; L_FIXED_LIST: values a list */
    int is_signed, precision, scale, unit;
    const char *tz; /* T_TIMESTAMP: after the "ts?:" */
} atype;

static int parse_int(const char *s, const char **end, int *out)
{
    long v = 0;
    const char *p = s;
    while (*p >= '0' && *p <= '9' && v < 1000000)
        v = v * 10 + (*p++ - '0');
    if (p == s || v >= 1000000)
        return -1;
    *end = p;
    *out = (int)v;
    return 0;
}

static int unit_of(char c)
{
    return c == 's' ? 0 : c == 'm' ? 1 : c == 'u' ? 2 : c == 'n' ? 3 : -1;
}

/* 0 with *t filled for a supported format; -1 otherwise. */
static int parse_format(const char *fmt, atype *t)
{
    memset(t, 0, sizeof(*t));
    t->layout = L_FIXED;
    const char *e;
    if (!fmt || !fmt[0])
        return -1;
    if (!fmt[1]) {
        static const char ints[] = "cCsSiIlL";
        const char *i = strchr(ints, fmt[0]);
        if (i) {
            t->id = T_INT;
            t->bits = 8 << ((i - ints) / 2);
            t->is_signed = (i - ints) % 2 == 0;
            return 0;
        }
        switch (fmt[0]) {
        case 'n':
            *t = (atype){.id = T_NULL, .layout = L_NONE};
            return 0;
        case 'b':
            *t = (atype){.id = T_BOOL, .layout = L_BITS};
            return 0;
        case 'e':
        case 'f':
        case 'g':
            t->id = T_FLOAT;
            t->precision = fmt[0] == 'e' ? 0 : fmt[0] == 'f' ? 1 : 2;
            t->bits = 16 << t->precision;
            return 0;
        case 'z':
        case 'u':
            *t = (atype){.id = fmt[0] == 'z' ? T_BINARY : T_UTF8, .layout = L_VAR32};
            return 0;
        case 'Z':
        case 'U':
            *t = (atype){.id = fmt[0] == 'Z' ? T_LARGE_BINARY : T_LARGE_UTF8, .layout = L_VAR64};
            return 0;
        }
        return -1;
    }
    if (fmt[0] == 'd' && fmt[1] == ':') {
        t->id = T_DECIMAL;
        t->bits = 128;
        if (parse_int(fmt + 2, &e, &t->precision) != 0 || *e != ',' ||
            parse_int(e + 1, &e, &t->scale) != 0)
            return -1;
        if (*e == ',' && parse_int(e + 1, &e, &t->bits) != 0)
            return -1;
        return *e == '\0' && (t->bits == 32 || t->bits == 64 || t->bits == 128 || t->bits == 256)
                   ? 0
                   : -1;
    }
    if (fmt[0] == 'w' && fmt[1] == ':') {
        int n;
        if (parse_int(fmt + 2, &e, &n) != 0 || *e || n < 1 || n > (1 << 20))
            return -1;
        t->id = T_FIXED_BINARY;
        t->bits = 8 * n;
        return 0;
    }
    if (fmt[0] == 't' && fmt[1] && fmt[2]) {
        char k = fmt[1], u = fmt[2];
        if (k == 'd' && !fmt[3] && (u == 'D' || u == 'm')) {
            t->id = T_DATE;
            t->unit = u == 'D' ? 0 : 1;
            t->bits = u == 'D' ? 32 : 64;
            return 0;
        }
        if (k == 't' && !fmt[3] && unit_of(u) >= 0) {
            t->id = T_TIME;
            t->unit = unit_of(u);
            t->bits = t->unit <= 1 ? 32 : 64;
            return 0;
        }
        if (k == 's' && fmt[3] == ':' && unit_of(u) >= 0) {
            t->id = T_TIMESTAMP;
            t->unit = unit_of(u);
            t->bits = 64;
            t->tz = fmt + 4;
            return 0;
        }
        if (k == 'D' && !fmt[3] && unit_of(u) >= 0) {
            t->id = T_DURATION;
            t->unit = unit_of(u);
            t->bits = 64;
            return 0;
        }
        if (k == 'i' && !fmt[3] && (u == 'M' || u == 'D' || u == 'n')) {
            t->id = T_INTERVAL;
            t->unit = u == 'M' ? 0 : u == 'D' ? 1 : 2;
            t->bits = u == 'M' ? 32 : u == 'D' ? 64 : 128;
            return 0;
        }
        return -1;
    }
    if (fmt[0] == '+') {
        if (!strcmp(fmt, "+l"))
            *t = (atype){.id = T_LIST, .layout = L_LIST32};
        else if (!strcmp(fmt, "+L"))
            *t = (atype){.id = T_LARGE_LIST, .layout = L_LIST64};
        else if (!strcmp(fmt, "+s"))
            *t = (atype){.id = T_STRUCT, .layout = L_STRUCT};
        else if (!strcmp(fmt, "+m"))
            *t = (atype){.id = T_MAP, .layout = L_LIST32};
        else if (fmt[1] == 'w' && fmt[2] == ':') {
            int n;
            if (parse_int(fmt + 3, &e, &n) != 0 || *e || n < 1)
                return -1;
            *t = (atype){.id = T_FIXED_LIST, .layout = L_FIXED_LIST, .bits = n};
        } else
            return -1;
        return 0;
    }
    return -1;
}

/* The number of children a type has, or -1 when n does not fit it. */
static int children_ok(const atype *t, int64_t n)
{
    switch (t->layout) {
    case L_LIST32:
    case L_LIST64:
    case L_FIXED_LIST:
        return n == 1;
    case L_STRUCT:
        return 1;
    default:
        return n == 0;
    }
}

/* ---- the Schema message ------------------------------------------------------------------ */

static size_t type_table(fb *f, const atype *t, int64_t flags)
{
    size_t tz = t->id == T_TIMESTAMP && t->tz && t->tz[0] ? fb_string(f, t->tz) : 0;
    fb_table(f);
    switch (t->id) {
    case T_INT:
        fb_field(f, 0, (uint64_t)t->bits, 4);
        fb_field(f, 1, (uint64_t)t->is_signed, 1);
        break;
    case T_FLOAT:
        fb_field(f, 0, (uint64_t)t->precision, 2);
        break;
    case T_DECIMAL:
        fb_field(f, 0, (uint64_t)t->precision, 4);
        fb_field(f, 1, (uint64_t)t->scale, 4);
        fb_field(f, 2, (uint64_t)t->bits, 4);
        break;
    case T_DATE:
    case T_INTERVAL:
    case T_DURATION:
        fb_field(f, 0, (uint64_t)t->unit, 2);
        break;
    case T_TIME:
        fb_field(f, 0, (uint64_t)t->unit, 2);
        fb_field(f, 1, (uint64_t)t->bits, 4);
        break;
    case T_TIMESTAMP:
        fb_field(f, 0, (uint64_t)t->unit, 2);
        if (tz)
            fb_field_offset(f, 1, tz);
        break;
    case T_FIXED_BINARY:
        fb_field(f, 0, (uint64_t)(t->bits / 8), 4);
        break;
    case T_FIXED_LIST:
        fb_field(f, 0, (uint64_t)t->bits, 4);
        break;
    case T_MAP:
        fb_field(f, 0, (flags & ARROW_FLAG_MAP_KEYS_SORTED) != 0, 1);
        break;
    default:
        break;
    }
    return fb_end(f);
}

/* The custom_metadata vector (KeyValue tables) of a C data interface metadata blob: an int32
 * count, then each key and value as an int32 length and its bytes, in the host's byte order.
 * 0 when md is NULL or empty (the field is left out). DuckDB puts extension types here
 * ("ARROW:extension:name"), which readers such as pyarrow use to know the column. */
static size_t custom_metadata(fb *f, const char *md)
{
    if (!md)
        return 0;
    int32_t n;
    memcpy(&n, md, 4);
    if (n <= 0)
        return 0;
    size_t *kv = xcalloc((size_t)n, sizeof(size_t));
    const char *p = md + 4;
    for (int32_t i = 0; i < n; i++) {
        int32_t kl, vl;
        memcpy(&kl, p, 4);
        const char *k = p + 4;
        p = k + kl;
        memcpy(&vl, p, 4);
        const char *v = p + 4;
        p = v + vl;
        size_t ks = fb_string_n(f, k, (size_t)kl), vs = fb_string_n(f, v, (size_t)vl);
        fb_table(f);
        fb_field_offset(f, 0, ks);
        fb_field_offset(f, 1, vs);
        kv[i] = fb_end(f);
    }
    size_t vec = fb_offsets(f, kv, (size_t)n);
    free(kv);
    return vec;
}

/* path names the field for errors ("price", "quotes.bid"). */
static int field_table(fb *f, const struct ArrowSchema *s, const char *path, size_t *out,
                       char *errstr, size_t errstr_size)
{
    char here[256];
    snprintf(here, sizeof(here), "%s%s%s", path, path[0] ? "." : "", s->name ? s->name : "");
    if (s->dictionary)
        return set_err(errstr, errstr_size,
                       "column '%s' is dictionary-encoded (an ENUM): cast it to VARCHAR for Arrow "
                       "output",
                       here);
    atype t;
    if (parse_format(s->format, &t) != 0 || !children_ok(&t, s->n_children))
        return set_err(errstr, errstr_size, "column '%s': Arrow type '%s' cannot be written", here,
                       s->format ? s->format : "");
    size_t *kids = xcalloc(s->n_children > 0 ? (size_t)s->n_children : 1, sizeof(size_t));
    for (int64_t i = 0; i < s->n_children; i++)
        if (field_table(f, s->children[i], here, &kids[i], errstr, errstr_size) != 0) {
            free(kids);
            return -1;
        }
    size_t children = fb_offsets(f, kids, (size_t)s->n_children);
    free(kids);
    size_t type = type_table(f, &t, s->flags);
    size_t name = fb_string(f, s->name ? s->name : "");
    size_t meta = custom_metadata(f, s->metadata);
    fb_table(f);
    fb_field_offset(f, 0, name);
    fb_field(f, 1, (s->flags & ARROW_FLAG_NULLABLE) != 0, 1);
    fb_field(f, 2, (uint64_t)t.id, 1);
    fb_field_offset(f, 3, type);
    fb_field_offset(f, 5, children);
    if (meta)
        fb_field_offset(f, 6, meta);
    *out = fb_end(f);
    return 0;
}

/* Appends one encapsulated message: continuation, metadata size, the Message table (header of
 * kind header at position hdr), padding, then the body. */
static void put_message(fb *f, int header, size_t hdr, const buf *body, buf *out)
{
    fb_table(f);
    fb_field(f, 3, body ? body->len : 0, 8);
    fb_field_offset(f, 2, hdr);
    fb_field(f, 0, METADATA_V5, 2);
    fb_field(f, 1, (uint64_t)header, 1);
    size_t msg = fb_end(f);
    fb_finish(f, msg);
    size_t meta = (f->used + 7) & ~(size_t)7;
    uint8_t pre[8];
    le_store(pre, 0xffffffffu, 4); /* continuation */
    le_store(pre + 4, meta, 4);
    buf_append(out, pre, 8);
    buf_append(out, f->mem + f->cap - f->used, f->used);
    static const char zeros[8];
    buf_append(out, zeros, meta - f->used);
    if (body)
        buf_append(out, body->data, body->len);
}

int arrow_ipc_schema(const struct ArrowSchema *schema, buf *out, char *errstr, size_t errstr_size)
{
    if (!schema || !schema->format || strcmp(schema->format, "+s") != 0)
        return set_err(errstr, errstr_size, "Arrow output: the schema is not a struct of columns");
    fb f = {0};
    size_t *cols = xcalloc(schema->n_children > 0 ? (size_t)schema->n_children : 1, sizeof(size_t));
    int rc = 0;
    for (int64_t i = 0; i < schema->n_children && rc == 0; i++)
        rc = field_table(&f, schema->children[i], "", &cols[i], errstr, errstr_size);
    if (rc == 0) {
        size_t fields = fb_offsets(&f, cols, (size_t)schema->n_children);
        size_t meta = custom_metadata(&f, schema->metadata);
        fb_table(&f);
        fb_field_offset(&f, 1, fields);
        if (meta)
            fb_field_offset(&f, 2, meta);
        /* The bodies are the arrays' own bytes: the host's byte order. */
        fb_field(&f, 0, __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__, 2);
        put_message(&f, H_SCHEMA, fb_end(&f), NULL, out);
    }
    free(cols);
    free(f.mem);
    return rc;
}

/* ---- RecordBatch messages ---------------------------------------------------------------- */

typedef struct batch_state {
    int64_t (*nodes)[2]; /* FieldNode: length, null_count */
    size_t nnodes, nodes_cap;
    int64_t (*bufs)[2]; /* Buffer: offset, length (in the body) */
    size_t nbufs, bufs_cap;
    buf body;
} batch_state;

static void add_pair(int64_t (**v)[2], size_t *n, size_t *cap, int64_t a, int64_t b)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *v = xrealloc(*v, *cap * sizeof(**v));
    }
    (*v)[*n][0] = a;
    (*v)[*n][1] = b;
    (*n)++;
}

/* Appends n bytes at p (NULL: zeros) to the body, 8-byte aligned, as the next buffer. */
static void add_buffer(batch_state *b, const void *p, size_t n)
{
    add_pair(&b->bufs, &b->nbufs, &b->bufs_cap, (int64_t)b->body.len, (int64_t)n);
    if (p) {
        buf_append(&b->body, p, n);
    } else {
        buf_reserve(&b->body, n);
        memset(b->body.data + b->body.len, 0, n);
        b->body.len += n;
        b->body.data[b->body.len] = '\0';
    }
    static const char zeros[8];
    buf_append(&b->body, zeros, (8 - b->body.len % 8) % 8);
}

static int64_t count_nulls(const uint8_t *bits, int64_t n)
{
    int64_t valid = 0, i = 0;
    for (; i + 8 <= n; i += 8)
        valid += __builtin_popcount(bits[i / 8]);
    for (; i < n; i++)
        valid += (bits[i / 8] >> (i % 8)) & 1;
    return n - valid;
}

/* Entry i of an offsets buffer of w-byte (4 or 8) entries. */
static int64_t offset_at(const void *p, int w, int64_t i)
{
    return w == 4 ? ((const int32_t *)p)[i] : ((const int64_t *)p)[i];
}

/* Offsets of n values (n + 1 entries of w bytes) at p, rebased to start at 0, as the next
 * buffer; *first and *last get the first and last entries. -1 when they go backwards, or are
 * missing for values. */
static int add_offsets(batch_state *b, const void *p, int64_t n, int w, int64_t *first,
                       int64_t *last)
{
    if (!p && n > 0)
        return -1;
    int64_t o0 = p ? offset_at(p, w, 0) : 0, on = p ? offset_at(p, w, n) : 0;
    if (o0 < 0 || on < o0)
        return -1;
    *first = o0;
    *last = on;
    if (o0 == 0 && p) {
        add_buffer(b, p, (size_t)(n + 1) * (size_t)w);
        return 0;
    }
    size_t at = b->body.len;
    add_buffer(b, NULL, (size_t)(n + 1) * (size_t)w);
    uint8_t *dst = (uint8_t *)b->body.data + at;
    for (int64_t i = 0; i <= n && p; i++) {
        int64_t v = offset_at(p, w, i) - o0;
        if (w == 4) {
            int32_t v32 = (int32_t)v;
            memcpy(dst + 4 * i, &v32, 4);
        } else {
            memcpy(dst + 8 * i, &v, 8);
        }
    }
    return 0;
}

/* The nodes and buffers of the first n values of a (of schema s), depth first. */
static int add_array(batch_state *b, const struct ArrowSchema *s, const struct ArrowArray *a,
                     int64_t n, char *errstr, size_t errstr_size)
{
    const char *name = s->name ? s->name : "";
    atype t;
    if (parse_format(s->format, &t) != 0)
        return set_err(errstr, errstr_size, "column '%s': Arrow type '%s' cannot be written", name,
                       s->format ? s->format : "");
    if (a->offset != 0)
        return set_err(errstr, errstr_size, "column '%s': an Arrow array with an offset", name);
    if (n > a->length || a->n_children != s->n_children || !children_ok(&t, a->n_children))
        return set_err(errstr, errstr_size, "column '%s': the array does not match its schema",
                       name);
    int nbuf = t.layout == L_NONE                                 ? 0
               : t.layout == L_STRUCT || t.layout == L_FIXED_LIST ? 1
               : t.layout == L_VAR32 || t.layout == L_VAR64       ? 3
                                                                  : 2;
    if (a->n_buffers < nbuf)
        return set_err(errstr, errstr_size, "column '%s': the array has %lld buffers, not %d", name,
                       (long long)a->n_buffers, nbuf);
    if (t.layout == L_NONE) {
        add_pair(&b->nodes, &b->nnodes, &b->nodes_cap, n, n);
        return 0;
    }
    const uint8_t *valid = a->buffers[0];
    int64_t nulls = valid ? count_nulls(valid, n) : 0;
    add_pair(&b->nodes, &b->nnodes, &b->nodes_cap, n, nulls);
    add_buffer(b, nulls ? valid : NULL, nulls ? (size_t)(n + 7) / 8 : 0);
    int64_t first, last;
    switch (t.layout) {
    case L_FIXED:
        if (!a->buffers[1] && n > 0)
            return set_err(errstr, errstr_size, "column '%s': no data buffer", name);
        add_buffer(b, a->buffers[1], (size_t)n * (size_t)(t.bits / 8));
        return 0;
    case L_BITS:
        if (!a->buffers[1] && n > 0)
            return set_err(errstr, errstr_size, "column '%s': no data buffer", name);
        add_buffer(b, a->buffers[1], (size_t)(n + 7) / 8);
        return 0;
    case L_VAR32:
    case L_VAR64:
        if (add_offsets(b, a->buffers[1], n, t.layout == L_VAR32 ? 4 : 8, &first, &last) != 0 ||
            (last > first && !a->buffers[2]))
            return set_err(errstr, errstr_size, "column '%s': invalid offsets", name);
        add_buffer(b, last > first ? (const uint8_t *)a->buffers[2] + first : NULL,
                   (size_t)(last - first));
        return 0;
    case L_LIST32:
    case L_LIST64:
        if (add_offsets(b, a->buffers[1], n, t.layout == L_LIST32 ? 4 : 8, &first, &last) != 0 ||
            first != 0)
            return set_err(errstr, errstr_size, "column '%s': invalid list offsets", name);
        return add_array(b, s->children[0], a->children[0], last, errstr, errstr_size);
    case L_FIXED_LIST:
        return add_array(b, s->children[0], a->children[0], n * t.bits, errstr, errstr_size);
    case L_STRUCT:
        for (int64_t i = 0; i < a->n_children; i++)
            if (add_array(b, s->children[i], a->children[i], n, errstr, errstr_size) != 0)
                return -1;
        return 0;
    }
    return set_err(errstr, errstr_size, "column '%s': unknown layout", name);
}

int arrow_ipc_batch(const struct ArrowSchema *schema, const struct ArrowArray *batch, int64_t rows,
                    buf *out, char *errstr, size_t errstr_size)
{
    if (!schema || !schema->format || strcmp(schema->format, "+s") != 0 || !batch ||
        batch->n_children != schema->n_children || batch->offset != 0)
        return set_err(errstr, errstr_size,
                       "Arrow output: the batch is not a struct of the schema's columns");
    int64_t n = rows < 0 || rows > batch->length ? batch->length : rows;
    batch_state b = {0};
    int rc = 0;
    for (int64_t i = 0; i < batch->n_children && rc == 0; i++)
        rc = add_array(&b, schema->children[i], batch->children[i], n, errstr, errstr_size);
    if (rc == 0) {
        fb f = {0};
        size_t bufs = fb_pairs(&f, (const int64_t(*)[2])b.bufs, b.nbufs);
        size_t nodes = fb_pairs(&f, (const int64_t(*)[2])b.nodes, b.nnodes);
        fb_table(&f);
        fb_field(&f, 0, (uint64_t)n, 8);
        fb_field_offset(&f, 1, nodes);
        fb_field_offset(&f, 2, bufs);
        put_message(&f, H_RECORD_BATCH, fb_end(&f), &b.body, out);
        free(f.mem);
    }
    free(b.nodes);
    free(b.bufs);
    buf_release(&b.body);
    return rc;
}

void arrow_ipc_end(buf *out)
{
    static const uint8_t eos[8] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    buf_append(out, eos, sizeof(eos));
}
