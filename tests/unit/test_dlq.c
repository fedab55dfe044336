/* Unit tests for dlq.c: the dead-letter record, whole and cut to size. */
#include <stdlib.h>
#include <string.h>

#include "dlq.h"
#include "json.h"
#include "testlib.h"

/* Parses a dead letter; NULL (and a failed check) when it is not JSON. */
static json_doc *parse(const buf *b)
{
    char err[256] = "";
    json_doc *d = json_parse(b->data, b->len, err, sizeof(err));
    CHECK(d != NULL);
    if (!d)
        fprintf(stderr, "  %s\n", err);
    return d;
}

static void test_small_values_whole(void)
{
    buf b;
    buf_init(&b);
    dlq_encode(&b, "process", "trades", 2, 1234, "invalid JSON", "{\"x\":1", 6);
    CHECK_EQ_STR(b.data,
                 "{\"stage\":\"process\",\"topic\":\"trades\",\"partition\":2,\"offset\":1234,"
                 "\"reason\":\"invalid JSON\",\"value\":\"{\\\"x\\\":1\"}");
    buf_reset(&b);
    const unsigned char bin[] = {0x01, 0xff, 0x00, 0x41};
    dlq_encode(&b, "process", "trades", 0, 7, "not a trade", bin, sizeof(bin));
    CHECK(strstr(b.data, ",\"value_base64\":\"Af8AQQ==\"}") != NULL);
    CHECK(strstr(b.data, "truncated") == NULL);
    buf_release(&b);
}

/* A value the broker took whole (just under 1 MB) that escapes to six
 * times its size: the dead letter keeps its first DLQ_VALUE_MAX bytes and
 * says so, and fits the producer's 1,000,000-byte limit. */
static void test_large_values_cut_to_fit(void)
{
    size_t n = 999000;
    char *v = malloc(n);
    memset(v, 0x01, n); /* a control byte: \u0001, 6 bytes escaped */
    buf b;
    buf_init(&b);
    dlq_encode(&b, "process", "trades", 3, 99, "invalid JSON", v, n);
    CHECK(b.len < 1000000 - 2048);
    json_doc *d = parse(&b);
    if (d) {
        const json_value *r = json_root(d);
        const char *s = json_get_str(r, "value");
        CHECK(s != NULL && strlen(s) == DLQ_VALUE_MAX);
        int64_t whole = 0;
        CHECK_EQ_INT(json_get_int(r, "value_bytes", &whole), 0);
        CHECK(whole == (int64_t)n);
        CHECK(strstr(b.data, "\"value_truncated\":true}") != NULL);
        json_doc_free(d);
    }
    /* Not UTF-8: base64 of the first DLQ_VALUE_MAX bytes. */
    memset(v, 0xff, n);
    buf_reset(&b);
    dlq_encode(&b, "process", "trades", 3, 99, "not a trade", v, n);
    CHECK(b.len < 1000000 - 2048);
    d = parse(&b);
    if (d) {
        const char *s = json_get_str(json_root(d), "value_base64");
        CHECK(s != NULL && strlen(s) == (DLQ_VALUE_MAX + 2) / 3 * 4);
        json_doc_free(d);
    }
    buf_release(&b);
    free(v);
}

/* The cut never splits a UTF-8 character: a text of 3-byte characters
 * ("€") stays a JSON string, cut before the character that straddles the
 * limit, whichever byte of it the limit falls on. */
static void test_cut_keeps_characters_whole(void)
{
    for (int shift = 0; shift < 3; shift++) {
        size_t n = DLQ_VALUE_MAX + 300;
        char *v = malloc(n);
        memset(v, 'a', (size_t)shift);
        for (size_t i = (size_t)shift; i + 3 <= n; i += 3)
            memcpy(v + i, "\xe2\x82\xac", 3);
        size_t whole = (size_t)shift + (n - (size_t)shift) / 3 * 3;
        buf b;
        buf_init(&b);
        dlq_encode(&b, "process", "trades", 0, 1, "r", v, whole);
        CHECK(strstr(b.data, "\"value\":\"") != NULL);
        CHECK(strstr(b.data, "value_base64") == NULL);
        json_doc *d = parse(&b);
        if (d) {
            const char *s = json_get_str(json_root(d), "value");
            size_t kept = s ? strlen(s) : 0;
            CHECK(kept <= DLQ_VALUE_MAX && kept > DLQ_VALUE_MAX - 3);
            CHECK((kept - (size_t)shift) % 3 == 0);
            json_doc_free(d);
        }
        buf_release(&b);
        free(v);
    }
}

TEST_MAIN(TEST(test_small_values_whole), TEST(test_large_values_cut_to_fit),
          TEST(test_cut_keeps_characters_whole))
