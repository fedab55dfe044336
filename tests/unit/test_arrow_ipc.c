/* Unit tests for arrow_ipc.c: the messages are read back with a small FlatBuffers reader written
 * here from the format's rules (root offset, vtables, vectors), so the tests check what a reader
 * finds: message kinds, field types and names, record batch lengths, null counts computed from
 * the bitmaps, buffers in the body, truncation, rebased offsets, and the refusals. pyarrow and
 * DuckDB read real query results in tests/integration (t0060, t0090). */
#include <stdlib.h>
#include <string.h>

#include "arrow_ipc.h"
#include "testlib.h"

/* ---- reading FlatBuffers --------------------------------------------------------------- */

static uint32_t u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int64_t i64(const uint8_t *p)
{
    return (int64_t)((uint64_t)u32(p) | (uint64_t)u32(p + 4) << 32);
}

/* The address of field slot of the table at t, or NULL when absent. */
static const uint8_t *field(const uint8_t *t, int slot)
{
    const uint8_t *vt = t - (int32_t)u32(t);
    unsigned vsize = vt[0] | vt[1] << 8;
    if (4 + 2 * (unsigned)slot >= vsize)
        return NULL;
    unsigned off = vt[4 + 2 * slot] | vt[5 + 2 * slot] << 8;
    return off ? t + off : NULL;
}

static const uint8_t *deref(const uint8_t *p)
{
    return p ? p + u32(p) : NULL;
}

/* One message of the stream at *at: its Message table, and its body. */
typedef struct msg {
    const uint8_t *table;
    const uint8_t *body;
    int64_t body_len;
} msg;

static int next_message(const buf *b, size_t *at, msg *m)
{
    const uint8_t *p = (const uint8_t *)b->data + *at;
    CHECK(*at + 8 <= b->len);
    CHECK_EQ_INT(u32(p), 0xffffffffu);
    uint32_t meta = u32(p + 4);
    if (meta == 0) {
        *at += 8;
        return 0;
    }
    CHECK_EQ_INT(meta % 8, 0);
    m->table = deref(p + 8);
    CHECK_EQ_INT(*(const int16_t *)field(m->table, 0), 4); /* MetadataVersion V5 */
    m->body_len = i64(field(m->table, 3));
    CHECK_EQ_INT(m->body_len % 8, 0);
    m->body = p + 8 + meta;
    *at += 8 + meta + (size_t)m->body_len;
    CHECK(*at <= b->len);
    return 1;
}

static int header_type(const msg *m)
{
    return *field(m->table, 1);
}

static const uint8_t *header(const msg *m)
{
    return deref(field(m->table, 2));
}

static const char *str(const uint8_t *s)
{
    return (const char *)s + 4;
}

/* ---- building C data interface arrays --------------------------------------------------- */

static struct ArrowSchema col(const char *format, const char *name)
{
    return (struct ArrowSchema){.format = format, .name = name, .flags = ARROW_FLAG_NULLABLE};
}

static void test_schema_and_batch(void)
{
    /* ids int64 (a null at row 1), names utf8 with offsets starting at 2, flags bool. */
    struct ArrowSchema c0 = col("l", "id"), c1 = col("u", "name"), c2 = col("b", "flag");
    c2.flags = 0;
    struct ArrowSchema *cols[] = {&c0, &c1, &c2};
    struct ArrowSchema s = {.format = "+s", .name = "", .n_children = 3, .children = cols};
    int64_t ids[4] = {10, 0, 30, 40};
    uint8_t valid0 = 0x0d; /* rows 0, 2, 3 */
    int32_t offs[5] = {2, 4, 4, 7, 8};
    const char text[] = "xxabcdefg";
    uint8_t bits = 0x05;
    const void *b0[] = {&valid0, ids}, *b1[] = {NULL, offs, text}, *b2[] = {NULL, &bits};
    struct ArrowArray a0 = {.length = 4, .null_count = -1, .n_buffers = 2, .buffers = b0};
    struct ArrowArray a1 = {.length = 4, .null_count = 0, .n_buffers = 3, .buffers = b1};
    struct ArrowArray a2 = {.length = 4, .null_count = 0, .n_buffers = 2, .buffers = b2};
    struct ArrowArray *kids[] = {&a0, &a1, &a2};
    const void *top[] = {NULL};
    struct ArrowArray batch = {
        .length = 4, .n_buffers = 1, .buffers = top, .n_children = 3, .children = kids};
    buf out = {0};
    char err[256];
    CHECK(arrow_ipc_schema(&s, &out, err, sizeof(err)) == 0);
    CHECK(arrow_ipc_batch(&s, &batch, -1, &out, err, sizeof(err)) == 0);
    CHECK(arrow_ipc_batch(&s, &batch, 3, &out, err, sizeof(err)) == 0);
    arrow_ipc_end(&out);
    CHECK_EQ_INT(out.len % 8, 0);

    size_t at = 0;
    msg m;
    CHECK(next_message(&out, &at, &m) == 1);
    CHECK_EQ_INT(header_type(&m), 1); /* Schema */
    const uint8_t *fields = deref(field(header(&m), 1));
    CHECK_EQ_INT(u32(fields), 3);
    const char *names[] = {"id", "name", "flag"};
    int types[] = {2, 5, 6}; /* Int, Utf8, Bool */
    for (int i = 0; i < 3; i++) {
        const uint8_t *f = deref(fields + 4 + 4 * i);
        CHECK_EQ_STR(str(deref(field(f, 0))), names[i]);
        CHECK_EQ_INT(*field(f, 1), i < 2);
        CHECK_EQ_INT(*field(f, 2), types[i]);
        CHECK_EQ_INT(u32(deref(field(f, 5))), 0); /* no children */
        if (i == 0) {
            const uint8_t *t = deref(field(f, 3));
            CHECK_EQ_INT((int)u32(field(t, 0)), 64);
            CHECK_EQ_INT(*field(t, 1), 1);
        }
    }
    for (int k = 0; k < 2; k++) {
        int64_t n = k == 0 ? 4 : 3;
        CHECK(next_message(&out, &at, &m) == 1);
        CHECK_EQ_INT(header_type(&m), 3); /* RecordBatch */
        const uint8_t *rb = header(&m);
        CHECK_EQ_INT(i64(field(rb, 0)), n);
        const uint8_t *nodes = deref(field(rb, 1)), *bufs = deref(field(rb, 2));
        CHECK_EQ_INT(u32(nodes), 3);
        CHECK_EQ_INT(u32(bufs), 2 + 3 + 2);
        /* Nodes: lengths, and null counts from the bitmap (the array said -1). */
        CHECK_EQ_INT(i64(nodes + 4), n);
        CHECK_EQ_INT(i64(nodes + 12), 1);
        CHECK_EQ_INT(i64(nodes + 20), n);
        CHECK_EQ_INT(i64(nodes + 28), 0);
        int64_t off[7], len[7];
        for (int i = 0; i < 7; i++) {
            off[i] = i64(bufs + 4 + 16 * i);
            len[i] = i64(bufs + 12 + 16 * i);
            CHECK_EQ_INT(off[i] % 8, 0);
            CHECK(off[i] + len[i] <= m.body_len);
        }
        CHECK_EQ_INT(len[0], 1);
        CHECK_EQ_INT(m.body[off[0]] & 0x07, 0x05);
        CHECK_EQ_INT(len[1], 8 * n);
        CHECK(memcmp(m.body + off[1], ids, (size_t)(8 * n)) == 0);
        CHECK_EQ_INT(len[2], 0); /* no nulls: no bitmap */
        CHECK_EQ_INT(len[3], 4 * (n + 1));
        int32_t o[5];
        memcpy(o, m.body + off[3], (size_t)(4 * (n + 1)));
        CHECK(o[0] == 0 && o[1] == 2 && o[2] == 2 && o[3] == 5);
        CHECK_EQ_INT(len[4], o[n]);
        CHECK(memcmp(m.body + off[4], "abcdefg", (size_t)o[n]) == 0);
        CHECK_EQ_INT(len[5], 0);
        CHECK_EQ_INT(len[6], 1);
        CHECK_EQ_INT(m.body[off[6]] & 0x07, 0x05);
    }
    CHECK(next_message(&out, &at, &m) == 0);
    CHECK_EQ_INT(at, out.len);
    buf_release(&out);
}

/* Appends an int32 length and the bytes: the C data interface's metadata encoding. */
static size_t md_put(char *p, const char *s, int32_t n)
{
    memcpy(p, &n, 4);
    memcpy(p + 4, s, (size_t)n);
    return 4 + (size_t)n;
}

/* Field and schema metadata (DuckDB's extension type names) come through as custom_metadata,
 * bytes as given (a NUL in a value too); fields without it have none. */
static void test_metadata(void)
{
    char md[128], smd[64];
    int32_t n = 2;
    memcpy(md, &n, 4);
    size_t len = 4;
    len += md_put(md + len, "ARROW:extension:name", 20);
    len += md_put(md + len, "arrow.uuid", 10);
    len += md_put(md + len, "k", 1);
    len += md_put(md + len, "a\0b", 3);
    n = 1;
    memcpy(smd, &n, 4);
    len = 4;
    len += md_put(smd + len, "origin", 6);
    len += md_put(smd + len, "ticklake", 8);
    struct ArrowSchema c0 = col("w:16", "u"), c1 = col("l", "n");
    c0.metadata = md;
    struct ArrowSchema *cols[] = {&c0, &c1};
    struct ArrowSchema s = {
        .format = "+s", .name = "", .n_children = 2, .children = cols, .metadata = smd};
    buf out = {0};
    char err[256];
    CHECK(arrow_ipc_schema(&s, &out, err, sizeof(err)) == 0);
    size_t at = 0;
    msg m;
    CHECK(next_message(&out, &at, &m) == 1);
    const uint8_t *sch = header(&m);
    const uint8_t *skv = deref(field(sch, 2));
    CHECK(skv != NULL && u32(skv) == 1);
    if (skv) {
        const uint8_t *kv = deref(skv + 4);
        CHECK_EQ_STR(str(deref(field(kv, 0))), "origin");
        CHECK_EQ_STR(str(deref(field(kv, 1))), "ticklake");
    }
    const uint8_t *fields = deref(field(sch, 1));
    const uint8_t *f0 = deref(fields + 4), *f1 = deref(fields + 8);
    const uint8_t *kvs = deref(field(f0, 6));
    CHECK(kvs != NULL && u32(kvs) == 2);
    if (kvs) {
        const uint8_t *kv0 = deref(kvs + 4), *kv1 = deref(kvs + 8);
        CHECK_EQ_STR(str(deref(field(kv0, 0))), "ARROW:extension:name");
        CHECK_EQ_STR(str(deref(field(kv0, 1))), "arrow.uuid");
        CHECK_EQ_STR(str(deref(field(kv1, 0))), "k");
        const uint8_t *v = deref(field(kv1, 1));
        CHECK_EQ_INT(u32(v), 3);
        CHECK(memcmp(v + 4, "a\0b", 3) == 0);
    }
    CHECK(field(f1, 6) == NULL);
    buf_release(&out);
}

static void test_nested_and_types(void)
{
    /* A list<int32>, a struct<ts: timestamp[us, UTC], d: decimal(18,4)>, an all-null column. */
    struct ArrowSchema item = col("i", "l"), ts = col("tsu:UTC", "ts"), dec = col("d:18,4", "d");
    struct ArrowSchema *litems[] = {&item}, *sitems[] = {&ts, &dec};
    struct ArrowSchema lst = col("+l", "lst"), st = col("+s", "st"), nul = col("n", "none");
    lst.n_children = 1;
    lst.children = litems;
    st.n_children = 2;
    st.children = sitems;
    struct ArrowSchema *cols[] = {&lst, &st, &nul};
    struct ArrowSchema s = {.format = "+s", .n_children = 3, .children = cols};
    buf out = {0};
    char err[256];
    CHECK(arrow_ipc_schema(&s, &out, err, sizeof(err)) == 0);
    size_t at = 0;
    msg m;
    CHECK(next_message(&out, &at, &m) == 1);
    const uint8_t *fields = deref(field(header(&m), 1));
    const uint8_t *f0 = deref(fields + 4), *f1 = deref(fields + 8), *f2 = deref(fields + 12);
    CHECK_EQ_INT(*field(f0, 2), 12); /* List */
    const uint8_t *kids = deref(field(f0, 5));
    CHECK_EQ_INT(u32(kids), 1);
    CHECK_EQ_INT(*field(deref(kids + 4), 2), 2); /* Int */
    CHECK_EQ_INT(*field(f1, 2), 13);             /* Struct_ */
    kids = deref(field(f1, 5));
    CHECK_EQ_INT(u32(kids), 2);
    const uint8_t *tsf = deref(kids + 4), *decf = deref(kids + 8);
    CHECK_EQ_INT(*field(tsf, 2), 10); /* Timestamp */
    const uint8_t *tst = deref(field(tsf, 3));
    CHECK_EQ_INT(*(const int16_t *)field(tst, 0), 2); /* MICROSECOND */
    CHECK_EQ_STR(str(deref(field(tst, 1))), "UTC");
    CHECK_EQ_INT(*field(decf, 2), 7); /* Decimal */
    const uint8_t *dt = deref(field(decf, 3));
    CHECK(u32(field(dt, 0)) == 18 && u32(field(dt, 1)) == 4 && u32(field(dt, 2)) == 128);
    CHECK_EQ_INT(*field(f2, 2), 1); /* Null */

    /* Two rows: [1, 2] and [3]; the struct's second row null; the list child has 3 values. */
    int32_t loffs[3] = {0, 2, 3}, items[3] = {1, 2, 3};
    int64_t tss[2] = {5, 6};
    int64_t decs[4] = {1, 0, 2, 0};
    uint8_t stvalid = 0x01;
    const void *bl[] = {NULL, loffs}, *bi[] = {NULL, items}, *bs[] = {&stvalid},
               *bt[] = {NULL, tss}, *bd[] = {NULL, decs}, *bn[] = {NULL};
    struct ArrowArray ai = {.length = 3, .n_buffers = 2, .buffers = bi};
    struct ArrowArray *lkids[] = {&ai};
    struct ArrowArray al = {
        .length = 2, .n_buffers = 2, .buffers = bl, .n_children = 1, .children = lkids};
    struct ArrowArray at_ = {.length = 2, .n_buffers = 2, .buffers = bt};
    struct ArrowArray ad = {.length = 2, .n_buffers = 2, .buffers = bd};
    struct ArrowArray *skids[] = {&at_, &ad};
    struct ArrowArray as = {
        .length = 2, .n_buffers = 1, .buffers = bs, .n_children = 2, .children = skids};
    struct ArrowArray an = {.length = 2, .null_count = 2, .n_buffers = 0, .buffers = bn};
    struct ArrowArray *ckids[] = {&al, &as, &an};
    struct ArrowArray batch = {
        .length = 2, .n_buffers = 1, .buffers = bn, .n_children = 3, .children = ckids};
    CHECK(arrow_ipc_batch(&s, &batch, -1, &out, err, sizeof(err)) == 0);
    CHECK(next_message(&out, &at, &m) == 1);
    const uint8_t *rb = header(&m);
    const uint8_t *nodes = deref(field(rb, 1)), *bufs = deref(field(rb, 2));
    /* Depth first: lst, its items, st, ts, d, none. */
    CHECK_EQ_INT(u32(nodes), 6);
    int64_t want[6][2] = {{2, 0}, {3, 0}, {2, 1}, {2, 0}, {2, 0}, {2, 2}};
    for (int i = 0; i < 6; i++) {
        CHECK_EQ_INT(i64(nodes + 4 + 16 * i), want[i][0]);
        CHECK_EQ_INT(i64(nodes + 12 + 16 * i), want[i][1]);
    }
    /* lst: validity, offsets; items: validity, data; st: validity; ts, d: 2 each; none: 0. */
    CHECK_EQ_INT(u32(bufs), 2 + 2 + 1 + 2 + 2);
    CHECK_EQ_INT(i64(bufs + 4 + 16 * 3 + 8), 12); /* items data: 3 int32 */
    CHECK_EQ_INT(i64(bufs + 4 + 16 * 8 + 8), 32); /* decimals: 2 x 16 bytes */
    buf_release(&out);
}

static void test_refusals(void)
{
    buf out = {0};
    char err[256];
    struct ArrowSchema dict = col("u", ""), c = col("i", "level");
    c.dictionary = &dict;
    struct ArrowSchema *cols[] = {&c};
    struct ArrowSchema s = {.format = "+s", .n_children = 1, .children = cols};
    CHECK(arrow_ipc_schema(&s, &out, err, sizeof(err)) == -1);
    CHECK(strstr(err, "'level'") && strstr(err, "VARCHAR"));
    c.dictionary = NULL;
    c.format = "vu"; /* a string view */
    CHECK(arrow_ipc_schema(&s, &out, err, sizeof(err)) == -1);
    CHECK(strstr(err, "'vu'") != NULL);
    c.format = "d:9";
    CHECK(arrow_ipc_schema(&s, &out, err, sizeof(err)) == -1);
    c.format = "+l"; /* a list without its child */
    CHECK(arrow_ipc_schema(&s, &out, err, sizeof(err)) == -1);
    struct ArrowSchema not_struct = col("l", "x");
    CHECK(arrow_ipc_schema(&not_struct, &out, err, sizeof(err)) == -1);
    CHECK_EQ_INT(out.len, 0); /* nothing written by a refusal */

    c.format = "i";
    int32_t v[2] = {1, 2};
    const void *bv[] = {NULL, v}, *bn[] = {NULL};
    struct ArrowArray a = {.length = 2, .offset = 1, .n_buffers = 2, .buffers = bv};
    struct ArrowArray *kids[] = {&a};
    struct ArrowArray batch = {
        .length = 2, .n_buffers = 1, .buffers = bn, .n_children = 1, .children = kids};
    CHECK(arrow_ipc_batch(&s, &batch, -1, &out, err, sizeof(err)) == -1);
    CHECK(strstr(err, "offset") != NULL);
    a.offset = 0;
    a.n_buffers = 1;
    CHECK(arrow_ipc_batch(&s, &batch, -1, &out, err, sizeof(err)) == -1);
    a.n_buffers = 2;
    batch.n_children = 0;
    CHECK(arrow_ipc_batch(&s, &batch, -1, &out, err, sizeof(err)) == -1);
    batch.n_children = 1;
    CHECK(arrow_ipc_batch(&s, &batch, 0, &out, err, sizeof(err)) == 0); /* an empty batch */
    size_t at = 0;
    msg m;
    CHECK(next_message(&out, &at, &m) == 1);
    CHECK_EQ_INT(i64(field(header(&m), 0)), 0);
    buf_release(&out);
}

TEST_MAIN(TEST(test_schema_and_batch), TEST(test_metadata), TEST(test_nested_and_types),
          TEST(test_refusals))
