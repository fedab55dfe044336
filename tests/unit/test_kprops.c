/* test_kprops.c - Kafka client properties files (kprops.h): the settings kcat -F and the Kafka
 * tools read, in order, and clear errors for what Java would read differently. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kprops.h"
#include "testlib.h"
#include "util.h"

static int collect(void *ctx, const char *key, size_t klen, const char *value, size_t vlen,
                   int lineno)
{
    buf *b = ctx;
    buf_printf(b, "%d:[%.*s]=[%.*s]\n", lineno, (int)klen, key, (int)vlen, value);
    return 0;
}

static int stop_at_two(void *ctx, const char *key, size_t klen, const char *value, size_t vlen,
                       int lineno)
{
    (void)key;
    (void)klen;
    (void)value;
    (void)vlen;
    int *n = ctx;
    return ++*n == 2 ? 7 : 0;
}

/* kprops_parse decodes in place: each call reads a copy of text. */
static int parse_copy(const char *text, size_t len, const char *path, kprops_cb cb, void *ctx,
                      char *err, size_t errlen)
{
    char *copy = malloc(len + 1);
    memcpy(copy, text, len + 1);
    int rc = kprops_parse(copy, len, path, cb, ctx, err, errlen);
    free(copy);
    return rc;
}

static void test_settings(void)
{
    const char *text = "\xEF\xBB\xBF# a client file\n"
                       "bootstrap.servers=127.0.0.1:9092\n"
                       "  ! Java comment\n"
                       "; and this\n"
                       "\n"
                       "security.protocol = SASL_SSL\r\n"
                       "sasl.mechanisms: SCRAM-SHA-512\n"
                       "sasl.username alice\n"
                       "sasl.password = p=ss: w0rd with blanks  \n"
                       "ssl.ca.location=/etc/ssl/ca.pem\n"
                       "client.id=\n"
                       "acks\t =\t all";
    buf got = {0};
    char err[256];
    CHECK_EQ_INT(parse_copy(text, strlen(text), "c.properties", collect, &got, err, sizeof(err)),
                 0);
    CHECK_EQ_STR(got.data, "2:[bootstrap.servers]=[127.0.0.1:9092]\n"
                           "6:[security.protocol]=[SASL_SSL]\n"
                           "7:[sasl.mechanisms]=[SCRAM-SHA-512]\n"
                           "8:[sasl.username]=[alice]\n"
                           "9:[sasl.password]=[p=ss: w0rd with blanks]\n"
                           "10:[ssl.ca.location]=[/etc/ssl/ca.pem]\n"
                           "11:[client.id]=[]\n"
                           "12:[acks]=[all]\n");
    buf_release(&got);
    /* Java's escapes: an escaped blank, '=' or ':' stays in the key; an even
     * number of trailing backslashes is backslashes, not a continuation. */
    const char *esc = "a\\ b\\=c = x\\:y\\t\\u00e9\\\\\n\\u0041=\\ lead\n";
    CHECK_EQ_INT(parse_copy(esc, strlen(esc), "e", collect, &got, err, sizeof(err)), 0);
    CHECK_EQ_STR(got.data, "1:[a b=c]=[x:y\t\xc3\xa9\\]\n2:[A]=[ lead]\n");
    buf_release(&got);
    /* Empty text, only comments. */
    CHECK_EQ_INT(parse_copy("", 0, "e", collect, &got, err, sizeof(err)), 0);
    CHECK_EQ_INT(parse_copy("# x\n!y\n", 7, "e", collect, &got, err, sizeof(err)), 0);
    CHECK(got.len == 0);
    /* The callback's non-zero return stops the reading and is returned. */
    int n = 0;
    CHECK_EQ_INT(parse_copy("a=1\nb=2\nc=3\n", 12, "s", stop_at_two, &n, err, sizeof(err)), 7);
    CHECK_EQ_INT(n, 2);
}

static void test_errors(void)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"a=1\nbroker.list\n", "f:2: expected key=value, not 'broker.list'"},
        {"=x\n", "f:1: empty key"},
        {": x\n", "f:1: empty key"},
        {"[kafka]\na=1\n", "f:1: a properties file has no [sections]: expected key=value"},
        {"sasl.jaas.config=a \\\n  b\n",
         "f:1: a line continuation (a trailing '\\') is not supported"},
        {"a=1\nb=\x01\n", "f:2: control character 0x01 in the line"},
        {"a=\\u12\n", "f:1: \\u needs four hex digits"},
        {"a=\\ud800x\n", "f:1: a \\u surrogate without its pair"},
        {"a=b\\\\\\\n", "f:1: a line continuation (a trailing '\\') is not supported"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        buf got = {0};
        char err[256] = "";
        CHECK_EQ_INT(
            parse_copy(bad[i].text, strlen(bad[i].text), "f", collect, &got, err, sizeof(err)), -1);
        CHECK_EQ_STR(err, bad[i].want);
        buf_release(&got);
    }
}

TEST_MAIN(TEST(test_settings), TEST(test_errors))
