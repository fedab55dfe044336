/* Unit tests for rowbuf.c: rows sort as DuckDB's ORDER BY would (group
 * first, strings by bytes, NULLs last, ties in append order) on every path
 * (buckets by symbol, sorted buckets left alone, many groups), strings are
 * interned and checked, and a written range reads back in order. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine.h"
#include "rowbuf.h"
#include "testlib.h"

static const engine_column cols[] = {{"symbol", ENGINE_VARCHAR},
                                     {"ts", ENGINE_TIMESTAMP_NS},
                                     {"price", ENGINE_DOUBLE},
                                     {"id", ENGINE_BIGINT},
                                     {"venue", ENGINE_VARCHAR}};
static const engine_table trades = {"t", cols, 5, "symbol, ts, id"};
static const engine_table by_time = {"t", cols, 5, " ts ,\"symbol\""};

static const char *const symbols[] = {"B", "A", "AA", "AB", "", "\xc3\xa9t\xc3\xa9", "a", NULL};
#define NSYM (sizeof(symbols) / sizeof(symbols[0]))

typedef struct ref_row {
    const char *sym;
    int64_t ts, id, group;
} ref_row;

/* The reference order, written independently: strcmp, NULLs last. */
static int ref_cmp(const ref_row *a, const ref_row *b, int time_first)
{
    if (a->group != b->group)
        return a->group < b->group ? -1 : 1;
    int s = !a->sym || !b->sym ? (!a->sym) - (!b->sym) : strcmp(a->sym, b->sym);
    s = s < 0 ? -1 : s > 0;
    int t = a->ts < b->ts ? -1 : a->ts > b->ts;
    if (time_first ? t : s)
        return time_first ? t : s;
    if (time_first ? s : t)
        return time_first ? s : t;
    if (time_first || a->id == b->id)
        return 0;
    if (a->id == ENGINE_NULL_INT || b->id == ENGINE_NULL_INT)
        return a->id == ENGINE_NULL_INT ? 1 : -1;
    return a->id < b->id ? -1 : 1;
}

/* Fills rb with n random rows, checks rowbuf_sort against a stable insertion
 * sort of the same rows. */
static void check_random(const engine_table *t, size_t n, int ngroups, int time_first,
                         unsigned seed)
{
    char err[256];
    rowbuf *rb = rowbuf_new(t, err, sizeof(err));
    CHECK(rb != NULL);
    ref_row *ref = calloc(n, sizeof(*ref));
    uint32_t *want = calloc(n, sizeof(*want));
    srand(seed);
    for (size_t i = 0; i < n; i++) {
        ref[i].sym = symbols[rand() % NSYM];
        ref[i].ts = rand() % 50;
        ref[i].id = rand() % 7 == 0 ? ENGINE_NULL_INT : rand() % 5;
        ref[i].group = (rand() % ngroups) * 86400;
        engine_value v[5];
        v[0].s = ref[i].sym;
        v[1].i = ref[i].ts;
        v[2].d = (double)i;
        v[3].i = ref[i].id;
        v[4].s = "XSIM";
        CHECK(rowbuf_append(rb, v, ref[i].group, err, sizeof(err)) == 0);
        size_t j = i;
        while (j > 0 && ref_cmp(&ref[want[j - 1]], &ref[i], time_first) > 0) {
            want[j] = want[j - 1];
            j--;
        }
        want[j] = (uint32_t)i;
    }
    CHECK_EQ_INT(rowbuf_rows(rb), n);
    const uint32_t *got = NULL;
    CHECK(rowbuf_sort(rb, &got, err, sizeof(err)) == 0);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += got[i] != want[i];
    CHECK_EQ_INT(bad, 0);
    /* The columns hold what was appended. */
    const rowbuf_column *p = rowbuf_col(rb, 2), *s = rowbuf_col(rb, 0);
    for (size_t i = 0; i < n && i < 50; i++) {
        CHECK(p->d[i] == (double)i);
        size_t len;
        if (ref[i].sym) {
            const char *str = rowbuf_str(rb, s->s[i], &len);
            CHECK(len == strlen(ref[i].sym) && memcmp(str, ref[i].sym, len) == 0);
        } else {
            CHECK(s->s[i] == ROWBUF_NULL_STR);
        }
        CHECK_EQ_INT(rowbuf_group(rb, i), ref[i].group);
    }
    rowbuf_free(rb);
    free(ref);
    free(want);
}

static void test_sort_matches_order_by(void)
{
    check_random(&trades, 3000, 3, 0, 1);    /* buckets by (group, symbol) */
    check_random(&trades, 20, 1, 0, 2);      /* small buckets: insertion sort */
    check_random(&by_time, 3000, 2, 1, 3);   /* first key not a string */
    check_random(&trades, 9000, 5000, 0, 4); /* too many groups: one merge sort */
}

/* Time-ordered rows of each symbol (as a Kafka partition delivers them) are
 * counted into place; equal rows keep their order. */
static void test_sorted_buckets_and_ties(void)
{
    char err[256];
    rowbuf *rb = rowbuf_new(&trades, err, sizeof(err));
    const char *sym[] = {"MSFT", "AAPL", "MSFT", "AAPL", "AAPL", "MSFT"};
    int64_t ts[] = {1, 1, 2, 2, 2, 3};
    for (int i = 0; i < 6; i++) {
        engine_value v[5] = {{.s = sym[i]}, {.i = ts[i]}, {.d = i}, {.i = 7}, {.s = NULL}};
        CHECK(rowbuf_append(rb, v, 0, err, sizeof(err)) == 0);
    }
    const uint32_t *o;
    CHECK(rowbuf_sort(rb, &o, err, sizeof(err)) == 0);
    uint32_t want[] = {1, 3, 4, 0, 2, 5};
    for (int i = 0; i < 6; i++)
        CHECK_EQ_INT(o[i], want[i]);
    /* One dictionary entry per distinct string. */
    CHECK_EQ_INT(rowbuf_col(rb, 0)->s[0], rowbuf_col(rb, 0)->s[2]);
    CHECK(rowbuf_col(rb, 0)->s[0] != rowbuf_col(rb, 0)->s[1]);
    CHECK(rowbuf_col(rb, 4)->s[0] == ROWBUF_NULL_STR);
    /* Clear keeps it usable. */
    rowbuf_clear(rb);
    CHECK_EQ_INT(rowbuf_rows(rb), 0);
    CHECK(rowbuf_sort(rb, &o, err, sizeof(err)) == 0);
    engine_value v[5] = {{.s = "ZZ"}, {.i = 1}, {.d = 1}, {.i = 1}, {.s = "V"}};
    CHECK(rowbuf_append(rb, v, 0, err, sizeof(err)) == 0);
    size_t len;
    CHECK(memcmp(rowbuf_str(rb, rowbuf_col(rb, 0)->s[0], &len), "ZZ", 2) == 0 && len == 2);
    rowbuf_free(rb);
}

static void test_bad_input(void)
{
    char err[256];
    rowbuf *rb = rowbuf_new(&trades, err, sizeof(err));
    engine_value v[5] = {{.s = "OK"}, {.i = 1}, {.d = 1}, {.i = 1}, {.s = "bad\xff"}};
    CHECK(rowbuf_append(rb, v, 0, err, sizeof(err)) == -1);
    CHECK(strstr(err, "venue") != NULL);
    CHECK_EQ_INT(rowbuf_rows(rb), 0);
    v[4].s = "fine";
    CHECK(rowbuf_append(rb, v, 0, err, sizeof(err)) == 0);
    CHECK_EQ_INT(rowbuf_rows(rb), 1);
    rowbuf_free(rb);
    static const engine_table nope = {"t", cols, 5, "symbol, size"};
    CHECK(rowbuf_new(&nope, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "size") != NULL);
    rowbuf_free(NULL);
}

static int64_t query_int(engine *e, const char *sql)
{
    int64_t v = -1;
    char err[512];
    CHECK(engine_query_int64(e, sql, &v, err, sizeof(err)) == 0);
    return v;
}

/* A sorted range lands in Parquet in that order, with NULLs and exact values. */
static void test_write_parquet_rows(void)
{
    static const engine_column all[] = {{"s", ENGINE_VARCHAR},
                                        {"ts", ENGINE_TIMESTAMP_NS},
                                        {"d", ENGINE_DOUBLE},
                                        {"n", ENGINE_BIGINT},
                                        {"day", ENGINE_DATE}};
    static const engine_table t = {"all", all, 5, "s, ts"};
    char err[512];
    engine *e = engine_open(NULL, 1, err, sizeof(err));
    rowbuf *rb = rowbuf_new(&t, err, sizeof(err));
    CHECK(e && rb);
    size_t n = 5000; /* more than one DuckDB vector */
    for (size_t i = 0; i < n; i++) {
        char sym[16];
        snprintf(sym, sizeof(sym), "S%zu", i % 7);
        engine_value v[5] = {{.s = i % 11 == 0 ? NULL : sym},
                             {.i = 1764115200000000001LL + (int64_t)(n - i)},
                             {.d = i % 13 == 0 ? NAN : (double)i / 4},
                             {.i = i % 17 == 0 ? ENGINE_NULL_INT : (int64_t)i},
                             {.i = -1}};
        CHECK(rowbuf_append(rb, v, (int64_t)(i % 2), err, sizeof(err)) == 0);
    }
    const uint32_t *o;
    CHECK(rowbuf_sort(rb, &o, err, sizeof(err)) == 0);
    char path[] = "/tmp/ticklake-test-rowbuf-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    size_t odd = 0;
    while (odd < n && rowbuf_group(rb, o[odd]) == 0)
        odd++;
    CHECK_EQ_INT(odd, n / 2);
    int64_t rows = 0;
    CHECK(engine_write_parquet_rows(e, rb, o + odd, n - odd, path, &rows, err, sizeof(err)) == 0);
    CHECK_EQ_INT(rows, n - odd);
    char sql[1024];
    /* Rows of group 1 only, sorted by (s NULLS LAST, ts) in file order. */
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM (SELECT s, ts, lag(s) OVER w ps, lag(ts) OVER w pt FROM "
             "read_parquet('%s', file_row_number = true) WINDOW w AS (ORDER BY file_row_number)) "
             "WHERE ps > s OR (ps = s AND pt > ts) OR (ps IS NULL AND s IS NOT NULL AND pt IS "
             "NOT NULL)",
             path);
    CHECK_EQ_INT(query_int(e, sql), 0);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FILTER (WHERE n %% 2 = 0) + count(*) FILTER (WHERE s IS NULL) * "
             "1000 + count(*) FILTER (WHERE d IS NULL) * 1000000 + count(*) FILTER (WHERE n IS "
             "NULL) * 1000000000 FROM read_parquet('%s')",
             path);
    /* Odd i of 0..4999: none even; NULL s at odd multiples of 11 (227), NULL d
     * at odd multiples of 13 (192), NULL n at odd multiples of 17 (147). */
    CHECK_EQ_INT(query_int(e, sql), 227LL * 1000 + 192LL * 1000000 + 147LL * 1000000000);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM read_parquet('%s') WHERE day = DATE '1969-12-31' AND "
             "epoch_ns(ts) > 1764115200000000001 AND (d IS NULL OR d * 4 = n OR n IS NULL)",
             path);
    CHECK_EQ_INT(query_int(e, sql), n - odd);
    unlink(path);
    rowbuf_free(rb);
    engine_close(e);
}

TEST_MAIN(TEST(test_sort_matches_order_by), TEST(test_sorted_buckets_and_ties),
          TEST(test_bad_input), TEST(test_write_parquet_rows))
