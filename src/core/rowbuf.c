/* rowbuf.c - rows buffered column by column, sorted in C; see rowbuf.h. */
#include "rowbuf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Row indices are uint32: a buffer holds fewer rows than this. */
#define ROWBUF_MAX_ROWS (UINT32_MAX - 1u)
/* More distinct groups or buckets than this: one comparison sort instead. */
#define ROWBUF_MAX_GROUPS 4096
#define ROWBUF_MAX_BUCKETS (1u << 24)

struct rowbuf {
    const engine_table *t;
    size_t n, cap;
    rowbuf_column *cols;
    int64_t *group;
    /* The string dictionary: bytes in arena, entry i at off[i] with len[i]. */
    char *arena;
    size_t arena_len, arena_cap;
    uint32_t *off, *len, *hash;
    size_t nstr, str_cap;
    uint32_t *slots; /* open addressing: id + 1, 0 for empty */
    size_t nslots;   /* a power of two, at least twice nstr */
    uint32_t *last;  /* per column: the last id appended (a cache), or ROWBUF_NULL_STR */
    /* The sort: key columns (from order_by), and scratch. */
    size_t *keys, nkeys;
    uint32_t *order, *tmp, *rank, *count;
    size_t sort_cap, rank_cap, count_cap;
    int64_t *groups; /* the distinct groups, sorted */
    size_t ngroups;
};

static void *grow(void *p, size_t n, size_t size)
{
    return n > SIZE_MAX / size ? NULL : realloc(p, n * size);
}

/* Parses order_by ("a, b" or "\"index\", date") into column indices. */
static int parse_order(rowbuf *rb, char *errstr, size_t errstr_size)
{
    const engine_table *t = rb->t;
    const char *p = t->order_by ? t->order_by : "";
    rb->keys = calloc(t->ncolumns + 1, sizeof(*rb->keys));
    if (!rb->keys)
        return set_err(errstr, errstr_size, "out of memory");
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        const char *e = end;
        while (e > p && e[-1] == ' ')
            e--;
        const char *s = p;
        if (e - s >= 2 && *s == '"' && e[-1] == '"') {
            s++;
            e--;
        }
        size_t len = (size_t)(e - s), c = 0;
        while (c < t->ncolumns &&
               (strlen(t->columns[c].name) != len || memcmp(t->columns[c].name, s, len) != 0))
            c++;
        if (c == t->ncolumns || rb->nkeys == t->ncolumns)
            return set_err(errstr, errstr_size, "table '%s': cannot sort by '%.*s'", t->name,
                           (int)(end - p), p);
        rb->keys[rb->nkeys++] = c;
        p = end;
    }
    return 0;
}

rowbuf *rowbuf_new(const engine_table *t, char *errstr, size_t errstr_size)
{
    if (!t || t->ncolumns == 0 || !t->columns) {
        set_err(errstr, errstr_size, "table '%s' has no columns", t && t->name ? t->name : "");
        return NULL;
    }
    rowbuf *rb = calloc(1, sizeof(*rb));
    if (!rb) {
        set_err(errstr, errstr_size, "out of memory");
        return NULL;
    }
    rb->t = t;
    rb->cols = calloc(t->ncolumns, sizeof(*rb->cols));
    rb->last = calloc(t->ncolumns, sizeof(*rb->last));
    if (!rb->cols || !rb->last) {
        rowbuf_free(rb);
        set_err(errstr, errstr_size, "out of memory");
        return NULL;
    }
    for (size_t c = 0; c < t->ncolumns; c++) {
        rb->cols[c].type = t->columns[c].type;
        rb->last[c] = ROWBUF_NULL_STR;
    }
    if (parse_order(rb, errstr, errstr_size) != 0) {
        rowbuf_free(rb);
        return NULL;
    }
    return rb;
}

void rowbuf_free(rowbuf *rb)
{
    if (!rb)
        return;
    for (size_t c = 0; rb->cols && c < rb->t->ncolumns; c++) {
        free(rb->cols[c].i);
        free(rb->cols[c].d);
        free(rb->cols[c].s);
    }
    free(rb->cols);
    free(rb->group);
    free(rb->arena);
    free(rb->off);
    free(rb->len);
    free(rb->hash);
    free(rb->slots);
    free(rb->last);
    free(rb->keys);
    free(rb->order);
    free(rb->tmp);
    free(rb->rank);
    free(rb->count);
    free(rb->groups);
    free(rb);
}

size_t rowbuf_rows(const rowbuf *rb)
{
    return rb->n;
}

const engine_table *rowbuf_table(const rowbuf *rb)
{
    return rb->t;
}

const rowbuf_column *rowbuf_col(const rowbuf *rb, size_t column)
{
    return &rb->cols[column];
}

int64_t rowbuf_group(const rowbuf *rb, size_t row)
{
    return rb->group[row];
}

const char *rowbuf_str(const rowbuf *rb, uint32_t id, size_t *len)
{
    *len = rb->len[id];
    return rb->arena + rb->off[id];
}

void rowbuf_clear(rowbuf *rb)
{
    rb->n = 0;
    rb->nstr = 0;
    rb->arena_len = 0;
    if (rb->slots)
        memset(rb->slots, 0, rb->nslots * sizeof(*rb->slots));
    for (size_t c = 0; c < rb->t->ncolumns; c++)
        rb->last[c] = ROWBUF_NULL_STR;
}

/* Room for one more row in every column. */
static int reserve_row(rowbuf *rb)
{
    if (rb->n < rb->cap)
        return 0;
    if (rb->n >= ROWBUF_MAX_ROWS)
        return -1;
    size_t cap = rb->cap ? rb->cap * 2 : 4096;
    if (cap > ROWBUF_MAX_ROWS)
        cap = ROWBUF_MAX_ROWS;
    int64_t *g = grow(rb->group, cap, sizeof(*g));
    if (!g)
        return -1;
    rb->group = g;
    for (size_t c = 0; c < rb->t->ncolumns; c++) {
        rowbuf_column *col = &rb->cols[c];
        if (col->type == ENGINE_VARCHAR) {
            uint32_t *s = grow(col->s, cap, sizeof(*s));
            if (!s)
                return -1;
            col->s = s;
        } else if (col->type == ENGINE_DOUBLE) {
            double *d = grow(col->d, cap, sizeof(*d));
            if (!d)
                return -1;
            col->d = d;
        } else {
            int64_t *i = grow(col->i, cap, sizeof(*i));
            if (!i)
                return -1;
            col->i = i;
        }
    }
    rb->cap = cap;
    return 0;
}

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int rehash(rowbuf *rb, size_t nslots)
{
    uint32_t *slots = calloc(nslots, sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t id = 0; id < rb->nstr; id++) {
        size_t i = rb->hash[id] & (nslots - 1);
        while (slots[i])
            i = (i + 1) & (nslots - 1);
        slots[i] = (uint32_t)id + 1;
    }
    free(rb->slots);
    rb->slots = slots;
    rb->nslots = nslots;
    return 0;
}

/* The dictionary id of s (added if new) in *id; -1 with errstr. */
static int intern(rowbuf *rb, size_t column, const char *s, uint32_t *id, char *errstr,
                  size_t errstr_size)
{
    size_t n = strlen(s);
    uint32_t last = rb->last[column];
    if (last != ROWBUF_NULL_STR && rb->len[last] == n &&
        memcmp(rb->arena + rb->off[last], s, n) == 0) {
        *id = last;
        return 0;
    }
    uint32_t h = hash_bytes(s, n);
    size_t i = rb->nslots ? h & (rb->nslots - 1) : 0;
    while (rb->nslots && rb->slots[i]) {
        uint32_t e = rb->slots[i] - 1;
        if (rb->hash[e] == h && rb->len[e] == n && memcmp(rb->arena + rb->off[e], s, n) == 0) {
            *id = rb->last[column] = e;
            return 0;
        }
        i = (i + 1) & (rb->nslots - 1);
    }
    if (!utf8_valid(s, n))
        return set_err(errstr, errstr_size, "invalid UTF-8 in column '%s' of table '%s'",
                       rb->t->columns[column].name, rb->t->name);
    if (n > UINT32_MAX || rb->arena_len + n > UINT32_MAX || rb->nstr >= ROWBUF_MAX_ROWS)
        return set_err(errstr, errstr_size, "table '%s': too many strings buffered", rb->t->name);
    if (rb->arena_len + n > rb->arena_cap) {
        size_t cap = rb->arena_cap ? rb->arena_cap * 2 : 4096;
        while (cap < rb->arena_len + n)
            cap *= 2;
        char *a = realloc(rb->arena, cap);
        if (!a)
            return set_err(errstr, errstr_size, "out of memory");
        rb->arena = a;
        rb->arena_cap = cap;
    }
    if (rb->nstr == rb->str_cap) {
        size_t cap = rb->str_cap ? rb->str_cap * 2 : 256;
        uint32_t *o = grow(rb->off, cap, sizeof(*o));
        if (o)
            rb->off = o;
        uint32_t *l = o ? grow(rb->len, cap, sizeof(*l)) : NULL;
        if (l)
            rb->len = l;
        uint32_t *hs = l ? grow(rb->hash, cap, sizeof(*hs)) : NULL;
        if (!hs)
            return set_err(errstr, errstr_size, "out of memory");
        rb->hash = hs;
        rb->str_cap = cap;
    }
    if ((rb->nstr + 1) * 2 > rb->nslots && rehash(rb, rb->nslots ? rb->nslots * 2 : 1024) != 0)
        return set_err(errstr, errstr_size, "out of memory");
    uint32_t e = (uint32_t)rb->nstr++;
    memcpy(rb->arena + rb->arena_len, s, n);
    rb->off[e] = (uint32_t)rb->arena_len;
    rb->len[e] = (uint32_t)n;
    rb->hash[e] = h;
    rb->arena_len += n;
    i = h & (rb->nslots - 1);
    while (rb->slots[i])
        i = (i + 1) & (rb->nslots - 1);
    rb->slots[i] = e + 1;
    *id = rb->last[column] = e;
    return 0;
}

int rowbuf_append(rowbuf *rb, const engine_value *values, int64_t group, char *errstr,
                  size_t errstr_size)
{
    const engine_table *t = rb->t;
    if (reserve_row(rb) != 0)
        return set_err(errstr, errstr_size, "table '%s': no room for another row", t->name);
    size_t r = rb->n;
    /* Strings first: a bad one returns before any column of the row is written. */
    for (size_t c = 0; c < t->ncolumns; c++) {
        if (t->columns[c].type != ENGINE_VARCHAR)
            continue;
        uint32_t id = ROWBUF_NULL_STR;
        if (values[c].s && intern(rb, c, values[c].s, &id, errstr, errstr_size) != 0)
            return -1;
        rb->cols[c].s[r] = id;
    }
    for (size_t c = 0; c < t->ncolumns; c++) {
        switch (t->columns[c].type) {
        case ENGINE_VARCHAR:
            break;
        case ENGINE_DOUBLE:
            rb->cols[c].d[r] = values[c].d;
            break;
        default:
            rb->cols[c].i[r] = values[c].i;
            break;
        }
    }
    rb->group[r] = group;
    rb->n++;
    return 0;
}

/* ---- sorting ---------------------------------------------------------------- */

static int cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

static int64_t day_of(int64_t ns)
{
    int64_t day = 86400LL * 1000000000LL;
    return ns / day - (ns % day < 0);
}

/* Compares rows a and b by key columns from `from` on, as ORDER BY does:
 * strings by their bytes (through rank), NULLs last. */
static int cmp_rows(const rowbuf *rb, uint32_t a, uint32_t b, size_t from)
{
    for (size_t k = from; k < rb->nkeys; k++) {
        const rowbuf_column *col = &rb->cols[rb->keys[k]];
        int r = 0;
        switch (col->type) {
        case ENGINE_VARCHAR: {
            uint32_t x = col->s[a], y = col->s[b];
            uint32_t rx = x == ROWBUF_NULL_STR ? UINT32_MAX : rb->rank[x];
            uint32_t ry = y == ROWBUF_NULL_STR ? UINT32_MAX : rb->rank[y];
            r = rx < ry ? -1 : rx > ry;
            break;
        }
        case ENGINE_BIGINT:
        case ENGINE_TIMESTAMP_NS: {
            int64_t x = col->i[a], y = col->i[b];
            if (x != y)
                r = x == ENGINE_NULL_INT ? 1 : y == ENGINE_NULL_INT ? -1 : cmp_i64(x, y);
            break;
        }
        case ENGINE_DATE:
            r = cmp_i64(day_of(col->i[a]), day_of(col->i[b]));
            break;
        case ENGINE_DOUBLE: {
            double x = col->d[a], y = col->d[b];
            int nx = isnan(x), ny = isnan(y);
            r = nx || ny ? nx - ny : x < y ? -1 : x > y;
            break;
        }
        }
        if (r)
            return r;
    }
    return 0;
}

/* The full order when there are too many groups to count: group first. */
static int cmp_full(const rowbuf *rb, uint32_t a, uint32_t b, size_t from)
{
    int r = cmp_i64(rb->group[a], rb->group[b]);
    return r ? r : cmp_rows(rb, a, b, from);
}

typedef int (*row_cmp)(const rowbuf *rb, uint32_t a, uint32_t b, size_t from);

/* Stable merge sort of v[0..n) with scratch w[0..n). */
static void merge_sort(const rowbuf *rb, row_cmp cmp, size_t from, uint32_t *v, uint32_t *w,
                       size_t n)
{
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            uint32_t x = v[i];
            size_t j = i;
            while (j > 0 && cmp(rb, v[j - 1], x, from) > 0) {
                v[j] = v[j - 1];
                j--;
            }
            v[j] = x;
        }
        return;
    }
    size_t h = n / 2;
    merge_sort(rb, cmp, from, v, w, h);
    merge_sort(rb, cmp, from, v + h, w, n - h);
    if (cmp(rb, v[h - 1], v[h], from) <= 0)
        return; /* already in order */
    memcpy(w, v, h * sizeof(*v));
    size_t i = 0, j = h, o = 0;
    while (i < h && j < n)
        v[o++] = cmp(rb, v[j], w[i], from) < 0 ? v[j++] : w[i++];
    while (i < h)
        v[o++] = w[i++];
}

/* Sorts v[0..n) unless it is in order already. */
static void sort_range(const rowbuf *rb, row_cmp cmp, size_t from, uint32_t *v, uint32_t *w,
                       size_t n)
{
    size_t i = 1;
    while (i < n && cmp(rb, v[i - 1], v[i], from) <= 0)
        i++;
    if (i < n)
        merge_sort(rb, cmp, from, v, w, n);
}

static int cmp_str_ids(const void *x, const void *y, void *ctx)
{
    const rowbuf *rb = ctx;
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    size_t la = rb->len[a], lb = rb->len[b];
    int r = memcmp(rb->arena + rb->off[a], rb->arena + rb->off[b], la < lb ? la : lb);
    return r ? r : (la > lb) - (la < lb);
}

static int cmp_groups(const void *x, const void *y)
{
    return cmp_i64(*(const int64_t *)x, *(const int64_t *)y);
}

/* Collects the distinct groups, sorted; -1 if there are too many (or no memory). */
static int collect_groups(rowbuf *rb)
{
    if (!rb->groups && !(rb->groups = malloc(ROWBUF_MAX_GROUPS * sizeof(*rb->groups))))
        return -1;
    rb->ngroups = 0;
    int64_t prev = 0;
    for (size_t r = 0; r < rb->n; r++) {
        int64_t g = rb->group[r];
        if (r > 0 && g == prev)
            continue;
        prev = g;
        size_t k = 0;
        while (k < rb->ngroups && rb->groups[k] != g)
            k++;
        if (k < rb->ngroups)
            continue;
        if (rb->ngroups == ROWBUF_MAX_GROUPS)
            return -1;
        rb->groups[rb->ngroups++] = g;
    }
    qsort(rb->groups, rb->ngroups, sizeof(*rb->groups), cmp_groups);
    return 0;
}

static uint32_t group_rank(const rowbuf *rb, int64_t g)
{
    size_t lo = 0, hi = rb->ngroups;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (rb->groups[mid] <= g)
            lo = mid;
        else
            hi = mid;
    }
    return (uint32_t)lo;
}

int rowbuf_sort(rowbuf *rb, const uint32_t **order, char *errstr, size_t errstr_size)
{
    size_t n = rb->n;
    if (n > rb->sort_cap) {
        uint32_t *o = grow(rb->order, n, sizeof(*o));
        if (o)
            rb->order = o;
        uint32_t *w = o ? grow(rb->tmp, n, sizeof(*w)) : NULL;
        if (!w)
            return set_err(errstr, errstr_size, "out of memory sorting %zu rows", n);
        rb->tmp = w;
        rb->sort_cap = n;
    }
    /* The rank of every string by its bytes. */
    if (rb->nstr > rb->rank_cap) {
        uint32_t *k = grow(rb->rank, rb->nstr, sizeof(*k));
        if (!k)
            return set_err(errstr, errstr_size, "out of memory");
        rb->rank = k;
        rb->rank_cap = rb->nstr;
    }
    uint32_t *ids = rb->tmp; /* scratch: n >= nstr is not guaranteed, so size it */
    uint32_t *idbuf = NULL;
    if (rb->nstr > n) {
        ids = idbuf = malloc(rb->nstr * sizeof(*ids));
        if (!ids)
            return set_err(errstr, errstr_size, "out of memory");
    }
    for (uint32_t i = 0; i < rb->nstr; i++)
        ids[i] = i;
    qsort_r(ids, rb->nstr, sizeof(*ids), cmp_str_ids, rb);
    for (uint32_t i = 0; i < rb->nstr; i++)
        rb->rank[ids[i]] = i;
    free(idbuf);

    uint32_t *v = rb->order, *w = rb->tmp;
    *order = v;
    /* Buckets by (group, first key if it is a string); NULL strings last. */
    int str_first = rb->nkeys > 0 && rb->cols[rb->keys[0]].type == ENGINE_VARCHAR;
    size_t per_group = str_first ? rb->nstr + 1 : 1;
    int counted =
        collect_groups(rb) == 0 && rb->ngroups > 0 && rb->ngroups * per_group <= ROWBUF_MAX_BUCKETS;
    if (!counted) {
        for (size_t r = 0; r < n; r++)
            v[r] = (uint32_t)r;
        sort_range(rb, cmp_full, 0, v, w, n);
        return 0;
    }
    size_t nb = rb->ngroups * per_group;
    if (nb + 1 > rb->count_cap) {
        uint32_t *c = grow(rb->count, nb + 1, sizeof(*c));
        if (!c)
            return set_err(errstr, errstr_size, "out of memory");
        rb->count = c;
        rb->count_cap = nb + 1;
    }
    uint32_t *count = rb->count;
    memset(count, 0, (nb + 1) * sizeof(*count));
    const uint32_t *sym = str_first ? rb->cols[rb->keys[0]].s : NULL;
    int64_t prev = 0;
    uint32_t gr = 0;
    for (size_t r = 0; r < n; r++) { /* w[r]: the bucket of row r */
        if (r == 0 || rb->group[r] != prev) {
            prev = rb->group[r];
            gr = group_rank(rb, prev);
        }
        uint32_t b = gr * (uint32_t)per_group;
        if (sym)
            b += sym[r] == ROWBUF_NULL_STR ? (uint32_t)rb->nstr : rb->rank[sym[r]];
        w[r] = b;
        count[b + 1]++;
    }
    for (size_t b = 0; b < nb; b++)
        count[b + 1] += count[b];
    for (size_t r = 0; r < n; r++)
        v[count[w[r]]++] = (uint32_t)r;
    /* count[b] is now the end of bucket b. Sort within each bucket by the rest. */
    size_t from = str_first ? 1 : 0, start = 0;
    if (from < rb->nkeys)
        for (size_t b = 0; b < nb; b++) {
            size_t end = count[b];
            if (end - start > 1)
                sort_range(rb, cmp_rows, from, v + start, w, end - start);
            start = end;
        }
    return 0;
}
