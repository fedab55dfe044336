/* Unit tests for json.c: the record and catalog reader (over yyjson). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "json.h"
#include "testlib.h"
#include "util.h"

static json_doc *parse(const char *s)
{
    char err[256];
    json_doc *d = json_parse(s, strlen(s), err, sizeof(err));
    return d;
}

static void test_scalars_and_nesting(void)
{
    json_doc *d = parse(" {\"a\":1,\"b\":-2.5e3,\"c\":\"x\\\"y\",\"d\":[true,false,null],"
                        "\"e\":{\"f\":9223372036854775807}} ");
    CHECK(d != NULL);
    const json_value *r = json_root(d);
    int64_t i;
    double x;
    CHECK(json_get_int(r, "a", &i) == 0 && i == 1);
    CHECK(json_get_num(r, "b", &x) == 0 && x == -2500.0);
    CHECK(json_get_int(r, "b", &i) == -1);
    CHECK_EQ_STR(json_get_str(r, "c"), "x\"y");
    const json_value *arr = json_get(r, "d");
    CHECK(arr && arr->type == JSON_ARRAY && arr->count == 3);
    CHECK(arr->child->type == JSON_TRUE && arr->child->next->type == JSON_FALSE);
    CHECK(json_get_int(json_get(r, "e"), "f", &i) == 0 && i == INT64_MAX);
    CHECK(json_get(r, "missing") == NULL);
    json_doc_free(d);
}

static void test_unicode_escapes(void)
{
    json_doc *d = parse("\"\\u00e9\\ud83d\\ude00\\n\"");
    CHECK(d != NULL);
    const json_value *r = json_root(d);
    CHECK_EQ_STR(r->str, "\xc3\xa9\xf0\x9f\x98\x80\n");
    CHECK_EQ_INT(r->len, 7);
    json_doc_free(d);
}

static void test_errors_say_where(void)
{
    const char *bad[] = {"",          "{",   "{\"a\":}", "[1,]", "tru", "01", "\"abc",
                         "{\"a\" 1}", "1 2", "\"\\x\"",  "-",    "1.",  "1e", "[\"\x01\"]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        json_doc *d = json_parse(bad[i], strlen(bad[i]), err, sizeof(err));
        CHECK(d == NULL);
        CHECK(strstr(err, "at byte") != NULL);
        json_doc_free(d);
    }
}

static void test_depth_limit(void)
{
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    char err[256];
    CHECK(json_parse(deep, 200, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "deep") != NULL);
    json_doc *ok = json_parse(deep + 40, 120, err, sizeof(err));
    CHECK(ok != NULL);
    json_doc_free(ok);
}

static void test_double_round_trip(void)
{
    double vals[] = {0.1, 101.23, 1e-7, 123456789.123456789, 5e-324, 1.7976931348623157e308, -0.0};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        buf b = {0};
        json_put_double(&b, vals[i]);
        json_doc *d = parse(b.data);
        CHECK(d != NULL);
        CHECK(d && json_root(d)->num == vals[i]);
        json_doc_free(d);
        buf_release(&b);
    }
    buf b = {0};
    json_put_double(&b, 101.23);
    CHECK_EQ_STR(b.data, "101.23");
    buf_release(&b);
}

/* The cent-grid fast path of json_put_double and buf_put_int64 read back exactly. */
static void test_number_formatting(void)
{
    srand(3);
    for (int i = 0; i < 200000; i++) {
        double v;
        if (i % 3 == 0)
            v = (double)(rand() % 10000000) / 100.0; /* on the cent grid */
        else if (i % 3 == 1)
            v = -(double)(rand() % 1000000) / 100.0;
        else
            v = (double)rand() / (double)RAND_MAX * 1e4; /* anywhere */
        buf b = {0};
        json_put_double(&b, v);
        if (strtod(b.data, NULL) != v) {
            CHECK(!"a formatted double did not read back");
            fprintf(stderr, "  %.17g -> %s\n", v, b.data);
            buf_release(&b);
            break;
        }
        buf_release(&b);
    }
    buf b = {0};
    json_put_double(&b, 189.5);
    buf_puts(&b, " ");
    json_put_double(&b, 0.05);
    buf_puts(&b, " ");
    json_put_double(&b, -12.3);
    buf_puts(&b, " ");
    json_put_double(&b, 100);
    buf_puts(&b, " ");
    buf_put_int64(&b, INT64_MIN);
    buf_puts(&b, " ");
    buf_put_int64(&b, 0);
    CHECK_EQ_STR(b.data, "189.5 0.05 -12.3 100 -9223372036854775808 0");
    buf_release(&b);
}

/* Significant digits of a number's text: the mantissa's digits without leading and trailing zeros.
 */
static int sig_digits(const char *s)
{
    char d[64];
    int n = 0;
    for (; *s && *s != 'e' && *s != 'E' && n < 63; s++)
        if (*s >= '0' && *s <= '9')
            d[n++] = *s;
    int lo = 0;
    while (lo < n && d[lo] == '0')
        lo++;
    while (n > lo && d[n - 1] == '0')
        n--;
    return n - lo;
}

/* Every double reads back from its text, with no more significant digits than the shortest text
 * that does ("%.15g", "%.16g" or "%.17g"); short decimals are written as "%.15g" writes them. */
static void test_shortest_double(void)
{
    buf b = {0};
    json_put_double(&b, 0.1);
    buf_putc(&b, ' ');
    json_put_double(&b, 1e300);
    buf_putc(&b, ' ');
    json_put_double(&b, NAN);
    buf_putc(&b, ' ');
    json_put_double(&b, -INFINITY);
    buf_putc(&b, ' ');
    json_put_double(&b, -0.0);
    buf_putc(&b, ' ');
    json_put_double(&b, 0.00005);
    buf_putc(&b, ' ');
    json_put_double(&b, -1234.000001);
    buf_putc(&b, ' ');
    json_put_double(&b, 999999999999999.0);
    buf_putc(&b, ' ');
    json_put_double(&b, 1.0 / 3);
    CHECK_EQ_STR(b.data, "0.1 1e300 null null -0 0.00005 -1234.000001 999999999999999 "
                         "0.3333333333333333");
    uint64_t seed = 88172645463325252ull;
    char want[40];
    for (int i = 0; i < 300000; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        double v;
        if (i % 3 == 0) {
            static const double p10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10};
            v = (double)(int64_t)(seed % 100000000000000ull) / p10[seed % 11];
            if (seed & (1ull << 63))
                v = -v;
        } else if (i % 3 == 1) {
            v = (double)(seed >> 11) / (double)(1ull << 53) * 1000.0; /* VWAP-like */
        } else {
            memcpy(&v, &seed, sizeof(v));
            if (!isfinite(v))
                continue;
        }
        buf_reset(&b);
        json_put_double(&b, v);
        json_doc *d = parse(b.data);
        if (!d || json_root(d)->num != v || strtod(b.data, NULL) != v) {
            CHECK_EQ_STR(b.data, "a text that reads back");
            json_doc_free(d);
            break;
        }
        json_doc_free(d);
        int prec = 15;
        do
            snprintf(want, sizeof(want), "%.*g", prec, v);
        while (strtod(want, NULL) != v && ++prec <= 17);
        if (sig_digits(b.data) > sig_digits(want)) {
            CHECK_EQ_STR(b.data, want);
            break;
        }
        if (prec == 15 && fabs(v) >= 1e-4 && fabs(v) < 1e15 && strcmp(b.data, want) != 0) {
            CHECK_EQ_STR(b.data, want);
            break;
        }
    }
    buf_release(&b);
}

static void test_string_escaping_round_trip(void)
{
    const char s[] = "a\"b\\c\n\t\x01z";
    buf b = {0};
    buf_put_json_str(&b, s, sizeof(s) - 1);
    json_doc *d = parse(b.data);
    CHECK(d != NULL);
    CHECK(d && json_root(d)->len == sizeof(s) - 1 &&
          memcmp(json_root(d)->str, s, sizeof(s) - 1) == 0);
    json_doc_free(d);
    buf_release(&b);
}

/* RFC 8259: JSON text is UTF-8. Invalid UTF-8 inside a string (a stray continuation byte, a
 * truncated sequence, an overlong form, an encoded surrogate, a code point past U+10FFFF) and a
 * lone surrogate escape are errors that name the byte offset; the hand-written reader copied them
 * through. Valid multi-byte text and escapes of every length still read. */
static void test_strict_utf8(void)
{
    const struct {
        const char *json;
        const char *where;
    } bad[] = {
        {"[\"\xff\"]", "at byte 2:"},       {"{\"s\":\"ab\x80\"}", "at byte 8:"},
        {"\"a\xc3\"", "at byte 2:"},        {"\"\xc0\xaf\"", "at byte 1:"},
        {"\"\xed\xa0\x80\"", "at byte 1:"}, {"\"\xf4\x90\x80\x80\"", "at byte 1:"},
        {"{\"k\xfe\":1}", "at byte 3:"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        json_doc *d = json_parse(bad[i].json, strlen(bad[i].json), err, sizeof(err));
        CHECK(d == NULL);
        if (!strstr(err, bad[i].where) || !strstr(err, "UTF-8"))
            fprintf(stderr, "  case %zu: '%s' lacks '%s' or 'UTF-8'\n", i, err, bad[i].where);
        CHECK(strstr(err, bad[i].where) != NULL && strstr(err, "UTF-8") != NULL);
        json_doc_free(d);
        err[0] = '\0';
        json_rec *r = json_rec_parse(bad[i].json, strlen(bad[i].json), err, sizeof(err));
        CHECK(r == NULL && strstr(err, bad[i].where) != NULL);
        json_rec_free(r);
    }
    char err[256] = "";
    CHECK(json_parse("\"\\ud800\"", 8, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "at byte") != NULL && strstr(err, "surrogate") != NULL);
    const char *good = "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f\"";
    json_doc *d = json_parse(good, strlen(good), err, sizeof(err));
    CHECK(d && json_root(d)->len == 10 && memcmp(json_root(d)->str, good + 1, 10) == 0);
    json_doc_free(d);
}

/* json_rec: the top-level members of a record, by name, with json_parse's types and rules. */
static void test_record_lookups(void)
{
    const char *j = "{\"s\":\"AAPL\",\"i\":-42,\"u\":18446744073709551615,\"x\":1.5,\"n\":null,"
                    "\"t\":true,\"a\":[1,2,3],\"o\":{\"p\":1},\"e\":\"a\\u0000b\"}";
    char err[256];
    json_rec *r = json_rec_parse(j, strlen(j), err, sizeof(err));
    CHECK(r != NULL && json_rec_is_object(r));
    json_value v;
    int64_t i;
    double x;
    CHECK_EQ_STR(json_rec_get_str(r, "s"), "AAPL");
    CHECK(json_rec_get_int(r, "i", &i) == 0 && i == -42);
    CHECK(json_rec_get_int(r, "u", &i) == -1); /* beyond int64: a number, not an integer */
    CHECK(json_rec_get_num(r, "u", &x) == 0 && x == 18446744073709551615.0);
    CHECK(json_rec_get_int(r, "x", &i) == -1 && json_rec_get_num(r, "x", &x) == 0 && x == 1.5);
    CHECK(json_rec_get(r, "n", &v) == 0 && v.type == JSON_NULL);
    CHECK(json_rec_get(r, "t", &v) == 0 && v.type == JSON_TRUE);
    CHECK(json_rec_get(r, "a", &v) == 0 && v.type == JSON_ARRAY && v.count == 3 && !v.child);
    CHECK(json_rec_get(r, "o", &v) == 0 && v.type == JSON_OBJECT && v.count == 1);
    CHECK(json_rec_get(r, "e", &v) == 0 && v.len == 3 && memcmp(v.str, "a\0b", 4) == 0);
    CHECK(json_rec_get(r, "missing", &v) == -1 && json_rec_get_str(r, "i") == NULL);
    /* A second record while the first is open (the per-thread buffer is taken): both stay valid. */
    json_rec *r2 = json_rec_parse("{\"s\":\"MSFT\"}", 12, err, sizeof(err));
    CHECK(r2 && strcmp(json_rec_get_str(r2, "s"), "MSFT") == 0);
    CHECK_EQ_STR(json_rec_get_str(r, "s"), "AAPL");
    json_rec_free(r2);
    json_rec_free(r);
    /* Not an object; too big for the per-thread buffer (the heap); errors say where. */
    r = json_rec_parse("[1]", 3, err, sizeof(err));
    CHECK(r && !json_rec_is_object(r) && json_rec_get(r, "a", &v) == -1);
    json_rec_free(r);
    buf big = {0};
    buf_puts(&big, "{\"pad\":\"");
    for (int k = 0; k < 100000; k++)
        buf_putc(&big, 'x');
    buf_puts(&big, "\",\"k\":7}");
    r = json_rec_parse(big.data, big.len, err, sizeof(err));
    CHECK(r && json_rec_get_int(r, "k", &i) == 0 && i == 7);
    json_rec_free(r);
    buf_release(&big);
    CHECK(json_rec_parse("{\"a\":1,}", 8, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "at byte 6") != NULL); /* the trailing comma */
    json_rec_free(NULL);
}

/* One parser, document after document: each root is whole and right, the
 * sizes go up past what it keeps (heap) and down again, and an error leaves
 * it usable. */
static void test_parser_reuse(void)
{
    json_parser *p = json_parser_new();
    char err[256];
    buf big;
    buf_init(&big);
    buf_puts(&big, "[");
    for (int i = 0; i < 20000; i++) {
        if (i)
            buf_putc(&big, ',');
        buf_printf(&big, "{\"i\":%d,\"s\":\"v%d\"}", i, i);
    }
    buf_puts(&big, "]");
    for (int round = 0; round < 3; round++) {
        const json_value *v = json_parser_parse(p, "{\"a\":1,\"b\":\"x\"}", 15, err, sizeof(err));
        CHECK(v != NULL && v->type == JSON_OBJECT);
        int64_t a = 0;
        CHECK(json_get_int(v, "a", &a) == 0 && a == 1);
        CHECK_EQ_STR(json_get_str(v, "b"), "x");
        v = json_parser_parse(p, big.data, big.len, err, sizeof(err));
        CHECK(v != NULL && v->type == JSON_ARRAY && v->count == 20000);
        const json_value *e = v->child;
        for (int i = 0; i < 19999; i++)
            e = e->next;
        CHECK(json_get_int(e, "i", &a) == 0 && a == 19999);
        CHECK_EQ_STR(json_get_str(e, "s"), "v19999");
        CHECK(json_parser_parse(p, "[1,", 3, err, sizeof(err)) == NULL);
        CHECK(strstr(err, "byte") != NULL);
        v = json_parser_parse(p, "[\"\\u00e9\",2.5]", 14, err, sizeof(err));
        CHECK(v != NULL && v->count == 2);
        CHECK_EQ_STR(v->child->str, "\xc3\xa9");
        CHECK(v->child->next->num == 2.5);
    }
    buf_release(&big);
    json_parser_free(p);
    json_parser_free(NULL);
}

TEST_MAIN(TEST(test_parser_reuse), TEST(test_scalars_and_nesting), TEST(test_unicode_escapes),
          TEST(test_errors_say_where), TEST(test_depth_limit), TEST(test_double_round_trip),
          TEST(test_string_escaping_round_trip), TEST(test_number_formatting),
          TEST(test_shortest_double), TEST(test_strict_utf8), TEST(test_record_lookups))
