/* test_s3sign.c - the S3 client without a server (s3_sigv4.c, s3_xml.c,
 * s3_ini.c, s3_creds.c): SigV4 against the examples published
 * in the Amazon S3 API reference ("Signature Calculations for the
 * Authorization Header: Transferring Payload in a Single Chunk", examples GET
 * Object, PUT Object, GET Bucket Lifecycle, Get Bucket (List Objects), with
 * AKIAIOSFODNN7EXAMPLE), URI encoding, addressing, the XML reader on good and
 * malformed documents, the INI reader and credential resolution. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3.h"
#include "testlib.h"
#include "fake_env.h"

#define AK "AKIAIOSFODNN7EXAMPLE"
#define SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DATE "20130524T000000Z"

static s3_sign_input example(const char *method, const char *uri, const s3_kv *q, size_t nq,
                             const s3_kv *h, size_t nh, const char *payload)
{
    s3_sign_input in = {.method = method,
                        .canonical_uri = uri,
                        .query = q,
                        .nquery = nq,
                        .headers = h,
                        .nheaders = nh,
                        .payload_hash = payload,
                        .amz_date = DATE,
                        .region = "us-east-1",
                        .service = "s3",
                        .access_key = AK,
                        .secret_key = SK};
    return in;
}

static void test_sha256_and_date(void)
{
    char h[S3_SHA256_HEX_SIZE];
    s3_sha256_hex("", 0, h);
    CHECK_EQ_STR(h, S3_EMPTY_SHA256);
    s3_sha256_hex("Welcome to Amazon S3.", 21, h);
    CHECK_EQ_STR(h, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    char d[S3_AMZ_DATE_SIZE];
    s3_amz_date(1369353600, d); /* Fri, 24 May 2013 00:00:00 GMT */
    CHECK_EQ_STR(d, DATE);
}

/* Example: GET Object (the first 10 bytes of test.txt). */
static void test_sigv4_get_object(void)
{
    s3_kv h[] = {{"Host", "examplebucket.s3.amazonaws.com"},
                 {"Range", "bytes=0-9"},
                 {"x-amz-content-sha256", S3_EMPTY_SHA256},
                 {"x-amz-date", DATE}};
    s3_sign_input in = example("GET", "/test.txt", NULL, 0, h, 4, S3_EMPTY_SHA256);
    buf b = {0};
    s3_canonical_request(&b, &in);
    CHECK_EQ_STR(b.data, "GET\n/test.txt\n\n"
                         "host:examplebucket.s3.amazonaws.com\n"
                         "range:bytes=0-9\n"
                         "x-amz-content-sha256:" S3_EMPTY_SHA256 "\n"
                         "x-amz-date:" DATE "\n\n"
                         "host;range;x-amz-content-sha256;x-amz-date\n" S3_EMPTY_SHA256);
    buf_reset(&b);
    s3_string_to_sign(&b, &in);
    CHECK_EQ_STR(b.data, "AWS4-HMAC-SHA256\n" DATE "\n20130524/us-east-1/s3/aws4_request\n"
                         "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    char sig[S3_SHA256_HEX_SIZE];
    s3_signature(&in, sig);
    CHECK_EQ_STR(sig, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    buf_reset(&b);
    s3_authorization(&b, &in);
    CHECK_EQ_STR(b.data, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                         "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                         "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bd"
                         "b41");
    buf_release(&b);
}

/* Example: PUT Object (test$file.text, with a Date header and a storage class). */
static void test_sigv4_put_object(void)
{
    const char *payload = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    s3_kv h[] = {{"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                 {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                 {"Host", "examplebucket.s3.amazonaws.com"},
                 {"x-amz-date", DATE},
                 {"x-amz-content-sha256", payload}};
    buf uri = {0};
    buf_putc(&uri, '/');
    s3_uri_encode(&uri, "test$file.text", 14, 1);
    CHECK_EQ_STR(uri.data, "/test%24file.text");
    s3_sign_input in = example("PUT", uri.data, NULL, 0, h, 5, payload);
    buf b = {0};
    s3_string_to_sign(&b, &in);
    CHECK_EQ_STR(b.data, "AWS4-HMAC-SHA256\n" DATE "\n20130524/us-east-1/s3/aws4_request\n"
                         "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
    buf_reset(&b);
    s3_signed_headers(&b, &in);
    CHECK_EQ_STR(b.data, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
    char sig[S3_SHA256_HEX_SIZE];
    s3_signature(&in, sig);
    CHECK_EQ_STR(sig, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    buf_release(&b);
    buf_release(&uri);
}

/* Example: GET Bucket Lifecycle (a query parameter without a value). */
static void test_sigv4_get_lifecycle(void)
{
    s3_kv q[] = {{"lifecycle", ""}};
    s3_kv h[] = {{"host", "examplebucket.s3.amazonaws.com"},
                 {"x-amz-content-sha256", S3_EMPTY_SHA256},
                 {"x-amz-date", DATE}};
    s3_sign_input in = example("GET", "/", q, 1, h, 3, S3_EMPTY_SHA256);
    buf b = {0};
    s3_canonical_request(&b, &in);
    CHECK(strncmp(b.data, "GET\n/\nlifecycle=\nhost:", 22) == 0);
    buf_reset(&b);
    s3_string_to_sign(&b, &in);
    CHECK(strstr(b.data, "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca"));
    char sig[S3_SHA256_HEX_SIZE];
    s3_signature(&in, sig);
    CHECK_EQ_STR(sig, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    buf_release(&b);
}

/* Example: Get Bucket (List Objects), query given out of order. */
static void test_sigv4_list_objects(void)
{
    s3_kv q[] = {{"prefix", "J"}, {"max-keys", "2"}};
    s3_kv h[] = {{"x-amz-date", DATE},
                 {"host", "examplebucket.s3.amazonaws.com"},
                 {"x-amz-content-sha256", S3_EMPTY_SHA256}};
    s3_sign_input in = example("GET", "/", q, 2, h, 3, S3_EMPTY_SHA256);
    buf b = {0};
    s3_canonical_query(&b, q, 2);
    CHECK_EQ_STR(b.data, "max-keys=2&prefix=J");
    buf_reset(&b);
    s3_string_to_sign(&b, &in);
    CHECK(strstr(b.data, "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7"));
    char sig[S3_SHA256_HEX_SIZE];
    s3_signature(&in, sig);
    CHECK_EQ_STR(sig, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    buf_release(&b);
}

static void test_uri_encode(void)
{
    buf b = {0};
    const char *key = "dir/a b+c=d&e?f#g%h~i._-j*k'(l)\xc3\xa9\xe2\x82\xac";
    s3_uri_encode(&b, key, strlen(key), 1);
    CHECK_EQ_STR(b.data, "dir/a%20b%2Bc%3Dd%26e%3Ff%23g%25h~i._-j%2Ak%27%28l%29%C3%A9%E2%82%AC");
    buf_reset(&b);
    s3_uri_encode(&b, "a/b c", 5, 0);
    CHECK_EQ_STR(b.data, "a%2Fb%20c");
    buf_reset(&b);
    s3_uri_encode(&b, "x\0y", 3, 1); /* bytes, not a C string */
    CHECK_EQ_STR(b.data, "x%00y");
    buf_reset(&b);
    /* Query: encoded names and values sort by their encoded form; spaces are %20, never '+'. */
    s3_kv q[] = {{"prefix", "a b+c"},
                 {"continuation-token", "1/2=="},
                 {"list-type", "2"},
                 {"delimiter", "/"}};
    s3_canonical_query(&b, q, 4);
    CHECK_EQ_STR(b.data,
                 "continuation-token=1%2F2%3D%3D&delimiter=%2F&list-type=2&prefix=a%20b%2Bc");
    buf_reset(&b);
    s3_kv same[] = {{"a", "2"}, {"a", "1"}};
    s3_canonical_query(&b, same, 2);
    CHECK_EQ_STR(b.data, "a=1&a=2");
    buf_release(&b);
}

static void test_header_canonicalisation(void)
{
    s3_kv h[] = {{"Host", "h"},
                 {"X-Amz-Meta-Note", "  two   spaces  inside "},
                 {"x-amz-meta-note", "second"},
                 {"X-AMZ-DATE", DATE}};
    s3_sign_input in = example("PUT", "/k", NULL, 0, h, 4, S3_UNSIGNED_PAYLOAD);
    buf b = {0};
    s3_canonical_request(&b, &in);
    CHECK_EQ_STR(b.data, "PUT\n/k\n\nhost:h\nx-amz-date:" DATE
                         "\nx-amz-meta-note:two spaces inside,second\n\n"
                         "host;x-amz-date;x-amz-meta-note\nUNSIGNED-PAYLOAD");
    buf_release(&b);
}

static void test_endpoint_and_target(void)
{
    char err[256];
    s3_endpoint ep;
    buf base = {0}, host = {0}, path = {0};
    CHECK_EQ_INT(s3_endpoint_parse("http://127.0.0.1:7070", NULL, &ep, err, sizeof(err)), 0);
    CHECK(ep.is_ip && !ep.is_aws);
    CHECK_EQ_STR(ep.authority, "127.0.0.1:7070");
    CHECK_EQ_INT(
        s3_target(&ep, S3_ADDRESSING_AUTO, "b", "a b/c+d=é", &base, &host, &path, err, sizeof(err)),
        0);
    CHECK_EQ_STR(base.data, "http://127.0.0.1:7070");
    CHECK_EQ_STR(host.data, "127.0.0.1:7070");
    CHECK_EQ_STR(path.data, "/b/a%20b/c%2Bd%3D%C3%A9");
    CHECK_EQ_INT(
        s3_target(&ep, S3_ADDRESSING_VIRTUAL, "b", "k", &base, &host, &path, err, sizeof(err)), -1);
    CHECK(strstr(err, "virtual-host addressing"));

    CHECK_EQ_INT(s3_endpoint_parse("http://localhost:9000/", NULL, &ep, err, sizeof(err)), 0);
    buf_reset(&base);
    buf_reset(&host);
    buf_reset(&path);
    CHECK_EQ_INT(
        s3_target(&ep, S3_ADDRESSING_VIRTUAL, "bkt", "x/y", &base, &host, &path, err, sizeof(err)),
        0);
    CHECK_EQ_STR(base.data, "http://bkt.localhost:9000");
    CHECK_EQ_STR(host.data, "bkt.localhost:9000");
    CHECK_EQ_STR(path.data, "/x/y");
    buf_reset(&base);
    buf_reset(&host);
    buf_reset(&path);
    CHECK_EQ_INT(
        s3_target(&ep, S3_ADDRESSING_AUTO, "bkt", NULL, &base, &host, &path, err, sizeof(err)), 0);
    CHECK_EQ_STR(path.data, "/bkt"); /* custom endpoints default to path-style */

    CHECK_EQ_INT(s3_endpoint_parse(NULL, "eu-west-1", &ep, err, sizeof(err)), 0);
    CHECK(ep.is_aws);
    CHECK_EQ_STR(ep.authority, "s3.eu-west-1.amazonaws.com");
    buf_reset(&base);
    buf_reset(&host);
    buf_reset(&path);
    s3_target(&ep, S3_ADDRESSING_AUTO, "my-bucket", "k", &base, &host, &path, err, sizeof(err));
    CHECK_EQ_STR(base.data, "https://my-bucket.s3.eu-west-1.amazonaws.com");
    CHECK_EQ_STR(path.data, "/k");
    buf_reset(&base);
    buf_reset(&host);
    buf_reset(&path);
    s3_target(&ep, S3_ADDRESSING_AUTO, "my.bucket", "k", &base, &host, &path, err, sizeof(err));
    CHECK_EQ_STR(path.data, "/my.bucket/k"); /* dots break TLS wildcards: path-style */

    const char *bad[] = {"ftp://x",      "http://",        "http://h/path", "http://h:port",
                         "http://h?x=1", "127.0.0.1:9000", "http://u:p@h",  "http://h:123456"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        CHECK_EQ_INT(s3_endpoint_parse(bad[i], NULL, &ep, err, sizeof(err)), -1);
        CHECK(strstr(err, "bad S3 endpoint"));
    }
    enum s3_addressing a;
    CHECK(s3_parse_addressing("path", &a) == 0 && a == S3_ADDRESSING_PATH);
    CHECK(s3_parse_addressing("virtual", &a) == 0 && a == S3_ADDRESSING_VIRTUAL);
    CHECK(s3_parse_addressing(NULL, &a) == 0 && a == S3_ADDRESSING_AUTO);
    CHECK(s3_parse_addressing("Path", &a) == -1);
    buf_release(&base);
    buf_release(&host);
    buf_release(&path);
}

static void test_iso8601(void)
{
    int64_t ns;
    CHECK_EQ_INT(s3_parse_iso8601("2009-10-12T17:50:30.000Z", 24, &ns), 0);
    CHECK_EQ_INT(ns, 1255369830LL * 1000000000LL);
    CHECK_EQ_INT(s3_parse_iso8601("1970-01-01T00:00:00.5Z", 22, &ns), 0);
    CHECK_EQ_INT(ns, 500000000);
    CHECK_EQ_INT(s3_parse_iso8601("2024-02-29T23:59:59+00:00", 25, &ns), 0);
    CHECK_EQ_INT(ns, 1709251199LL * 1000000000LL);
    CHECK_EQ_INT(s3_parse_iso8601("2024-02-29 23:59:59Z", 20, &ns), -1);
    CHECK_EQ_INT(s3_parse_iso8601("2024-13-01T00:00:00Z", 20, &ns), -1);
    CHECK_EQ_INT(s3_parse_iso8601("2024-01-01T00:00:00", 19, &ns), -1);
    CHECK_EQ_INT(s3_parse_iso8601("2024-01-01T00:00:00.Z", 21, &ns), -1);
    CHECK_EQ_INT(s3_parse_iso8601("2024-01-01T00:00:00Zjunk", 24, &ns), -1);
    CHECK_EQ_INT(s3_parse_iso8601("4018-10-12T17:50:30.000Z", 24, &ns), -1); /* int64 ns overflow */
    CHECK_EQ_INT(s3_parse_iso8601("2261-12-31T23:59:59.999999999Z", 30, &ns), 0);
    CHECK(ns > 0);
}

static const char LIST_XML[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>bucket</Name><Prefix>t/</Prefix><KeyCount>3</KeyCount><MaxKeys>3</MaxKeys>"
    "<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
    "<!-- a comment -->"
    "<Contents><Key>t/a b&amp;c.parquet</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>"
    "<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size>"
    "<StorageClass>STANDARD</StorageClass><Owner><ID>x</ID><DisplayName>y</DisplayName></Owner>"
    "</Contents>\n  <Contents><Key><![CDATA[t/<raw>&]]>&#x20AC;&#65;</Key><Size>0</Size></Contents>"
    "<CommonPrefixes><Prefix>t/date=2024-01-01/</Prefix></CommonPrefixes>"
    "<CommonPrefixes><Prefix>t/date=2024-01-02/</Prefix></CommonPrefixes>"
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
    "<EncodingType/></ListBucketResult>";

static void test_xml_list(void)
{
    s3_listing l = {0};
    char err[256];
    CHECK_EQ_INT(s3_parse_list(LIST_XML, strlen(LIST_XML), &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.nobjects, 2);
    if (l.nobjects == 2) {
        CHECK_EQ_STR(l.objects[0].key, "t/a b&c.parquet");
        CHECK_EQ_INT(l.objects[0].size, 434234);
        CHECK_EQ_INT(l.objects[0].mtime_ns, 1255369830LL * 1000000000LL);
        CHECK_EQ_STR(l.objects[0].etag, "\"fba9dede5f27731c9771645a39863328\"");
        CHECK_EQ_STR(l.objects[1].key, "t/<raw>&\xe2\x82\xac"
                                       "A");
        CHECK_EQ_INT(l.objects[1].size, 0);
        CHECK_EQ_INT(l.objects[1].mtime_ns, 0);
    }
    CHECK_EQ_INT(l.nprefixes, 2);
    if (l.nprefixes == 2)
        CHECK_EQ_STR(l.prefixes[1], "t/date=2024-01-02/");
    CHECK(l.truncated);
    CHECK_EQ_STR(l.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    /* A second page appends; the last page is not truncated. */
    const char *last = "<ListBucketResult><IsTruncated>false</IsTruncated>"
                       "<Contents><Key>z</Key><Size>7</Size></Contents></ListBucketResult>";
    CHECK_EQ_INT(s3_parse_list(last, strlen(last), &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.nobjects, 3);
    CHECK(!l.truncated);
    CHECK(l.next_token == NULL);
    s3_listing_release(&l);
    CHECK(l.objects == NULL && l.nobjects == 0);
    s3_listing_release(NULL);
    /* An empty bucket. */
    const char *empty = "<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount>"
                        "<IsTruncated>false</IsTruncated></ListBucketResult>";
    CHECK_EQ_INT(s3_parse_list(empty, strlen(empty), &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.nobjects, 0);
    s3_listing_release(&l);
    /* encoding-type=url: keys and prefixes decoded (a U+0001 in a key, which XML 1.0 cannot
     * carry as &#x1;, failed the whole listing); not without EncodingType. */
    const char *enc =
        "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>a%01b+c%2Bd%25"
        "</Key><Size>1</Size></Contents><CommonPrefixes><Prefix>t/date%3D1+2/</Prefix>"
        "</CommonPrefixes></ListBucketResult>";
    CHECK_EQ_INT(s3_parse_list(enc, strlen(enc), &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(l.nobjects, 1);
    CHECK_EQ_STR(l.objects[0].key, "a\001b c+d%");
    CHECK_EQ_INT(l.nprefixes, 1);
    CHECK_EQ_STR(l.prefixes[0], "t/date=1 2/");
    s3_listing_release(&l);
    const char *raw = "<ListBucketResult><Contents><Key>a%41+b</Key><Size>1</Size></Contents>"
                      "</ListBucketResult>";
    CHECK_EQ_INT(s3_parse_list(raw, strlen(raw), &l, err, sizeof(err)), 0);
    CHECK_EQ_STR(l.objects[0].key, "a%41+b");
    s3_listing_release(&l);
    const char *badesc = "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>a%4"
                         "</Key><Size>1</Size></Contents></ListBucketResult>";
    CHECK_EQ_INT(s3_parse_list(badesc, strlen(badesc), &l, err, sizeof(err)), -1);
    s3_listing_release(&l);
}

static void test_xml_malformed(void)
{
    const char *bad[] = {
        "",
        "   ",
        "<",
        "<ListBucketResult>",
        "<ListBucketResult></ListBucketResul>",
        "<ListBucketResult><Contents></ListBucketResult></Contents>",
        "<ListBucketResult><Contents><Key>a&bogus;</Key></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a&#0;</Key></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a&#xD800;</Key></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a&#x110000;</Key></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a&amp</Key></Contents></ListBucketResult>",
        "<!DOCTYPE x [<!ENTITY a \"b\">]><ListBucketResult/>",
        "junk<ListBucketResult/>",
        "<ListBucketResult/>junk",
        "<ListBucketResult/><ListBucketResult/>",
        "<ListBucketResult a=b/>",
        "<ListBucketResult a=\"b/>",
        "<ListBucketResult><!-- unterminated </ListBucketResult>",
        "<ListBucketResult><![CDATA[ unterminated </ListBucketResult>",
        "<?xml version=\"1.0\"",
        "<1ListBucketResult/>",
        "<ListBucketResult><Contents><Size>12</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key><Size>99999999999999999999</Size></Contents>"
        "</ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key><LastModified>yesterday</LastModified>"
        "</Contents></ListBucketResult>",
        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
        "<Error><Code>AccessDenied</Code></Error>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s3_listing l = {0};
        char err[256] = "";
        int rc = s3_parse_list(bad[i], strlen(bad[i]), &l, err, sizeof(err));
        if (rc != -1)
            fprintf(stderr, "  accepted bad input %zu: %s\n", i, bad[i]);
        CHECK_EQ_INT(rc, -1);
        CHECK(strstr(err, "bad ListObjectsV2 response") != NULL);
        s3_listing_release(&l);
    }
    /* Nesting deeper than the limit is refused, not recursed into. */
    buf deep = {0};
    for (int i = 0; i < 40; i++)
        buf_puts(&deep, "<a>");
    for (int i = 0; i < 40; i++)
        buf_puts(&deep, "</a>");
    char err[256];
    CHECK_EQ_INT(s3_xml_walk(deep.data, deep.len, NULL, NULL, err, sizeof(err)), -1);
    CHECK(strstr(err, "nested deeper"));
    /* The length rules, not a terminator: bytes past it are not read, and a NUL inside is a
     * character (one XML 1.0 does not allow, refused where it is), not the end. */
    const char tail[] = "<a>x</a>junk";
    CHECK_EQ_INT(s3_xml_walk(tail, 8, NULL, NULL, err, sizeof(err)), 0);
    CHECK_EQ_INT(s3_xml_walk(tail, sizeof(tail) - 1, NULL, NULL, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "xml: junk after document element at line 1, column 9");
    const char nul[] = "<a>x\0y</a>";
    CHECK_EQ_INT(s3_xml_walk(nul, sizeof(nul) - 1, NULL, NULL, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "xml: not well-formed (invalid token) at line 1, column 5");
    CHECK_EQ_INT(s3_xml_walk(nul, 5, NULL, NULL, err, sizeof(err)), -1);
    buf_release(&deep);
    /* Errors say what and where, counting lines and columns from 1, also past skipped blanks. */
    static const struct {
        const char *doc, *err;
    } where[] = {
        {"<L><K>a&bogus;</K></L>", "xml: undefined entity at line 1, column 8"},
        {"<L>\n  <K>a</X></L>", "xml: mismatched tag at line 2, column 9"},
        {"\n\n  <L>", "xml: no element found at line 3, column 6"},
        {"<?xml version=\"1.0\"?>\n<!DOCTYPE L [<!ENTITY a \"b\">]><L>&a;</L>",
         "xml: DOCTYPE is not accepted at line 2, column 13"},
        {"", "xml: no element found at line 1, column 1"},
    };
    for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
        CHECK_EQ_INT(s3_xml_walk(where[i].doc, strlen(where[i].doc), NULL, NULL, err, sizeof(err)),
                     -1);
        CHECK_EQ_STR(err, where[i].err);
    }
    /* Every prefix of a good document is handled without a crash. */
    for (size_t n = 0; n < strlen(LIST_XML); n++) {
        s3_listing l = {0};
        s3_parse_list(LIST_XML, n, &l, err, sizeof(err));
        s3_listing_release(&l);
    }
}

/* Records each event as "+name@depth" or "-name@depth=text". */
static int record_event(void *ctx, enum s3_xml_event ev, const char *name, const char *text,
                        size_t text_len, int depth)
{
    buf *b = ctx;
    if (ev == S3_XML_START)
        buf_printf(b, "+%s@%d ", name, depth);
    else
        buf_printf(b, "-%s@%d=%.*s ", name, depth, (int)text_len, text);
    return 0;
}

/* The events a walk gives: local names without prefixes, each element's own text (since its last
 * tag), entities, CDATA and comments, empty elements, blanks before the declaration. */
static void test_xml_walk_events(void)
{
    const char *doc =
        " \n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<s3:R xmlns:s3=\"urn:x\" a='1'>x<s3:B>y&lt;<!-- c -->z</s3:B>w<![CDATA[<v>]]>"
        "<E/><F></F>&#x20AC;</s3:R>\n";
    buf b = {0};
    char err[256];
    CHECK_EQ_INT(s3_xml_walk(doc, strlen(doc), record_event, &b, err, sizeof(err)), 0);
    CHECK_EQ_STR(b.data, "+R@1 +B@2 -B@2=y<z +E@2 -E@2= +F@2 -F@2= -R@1=\xe2\x82\xac ");
    /* ISO-8859-1 documents come out in UTF-8. */
    buf_reset(&b);
    const char *latin1 = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><K>caf\xe9</K>";
    CHECK_EQ_INT(s3_xml_walk(latin1, strlen(latin1), record_event, &b, err, sizeof(err)), 0);
    CHECK_EQ_STR(b.data, "+K@1 -K@1=caf\xc3\xa9 ");
    buf_release(&b);
}

static void test_xml_error_and_find(void)
{
    const char *doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code>"
        "<Message>The request signature we calculated does not match the signature you "
        "provided.\nCheck your key.</Message><AWSAccessKeyId>tl</AWSAccessKeyId>"
        "<StringToSign>AWS4-HMAC-SHA256&#xA;...</StringToSign><RequestId>4442587FB7D0A2F9"
        "</RequestId></Error>";
    s3_error_doc e;
    CHECK_EQ_INT(s3_parse_error(doc, strlen(doc), &e), 0);
    CHECK_EQ_STR(e.code, "SignatureDoesNotMatch");
    CHECK(strncmp(e.message, "The request signature", 21) == 0);
    CHECK(strchr(e.message, '\n') == NULL); /* made printable for messages */
    const char *redirect = "<Error><Code>PermanentRedirect</Code><Message>m</Message>"
                           "<Region>eu-west-1</Region></Error>";
    CHECK_EQ_INT(s3_parse_error(redirect, strlen(redirect), &e), 0);
    CHECK_EQ_STR(e.region, "eu-west-1");
    CHECK_EQ_INT(s3_parse_error(LIST_XML, strlen(LIST_XML), &e), -1);
    CHECK_EQ_STR(e.code, "");
    CHECK_EQ_INT(s3_parse_error("<Error><Code>x", 14, &e), -1);
    CHECK_EQ_INT(s3_parse_error("", 0, &e), -1);

    const char *init = "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/"
                       "2006-03-01/\"><Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE"
                       "</UploadId></InitiateMultipartUploadResult>";
    buf out = {0};
    char err[256];
    CHECK_EQ_INT(s3_xml_find(init, strlen(init), "InitiateMultipartUploadResult/UploadId", &out,
                             err, sizeof(err)),
                 1);
    CHECK_EQ_STR(out.data, "VXBsb2FkIElE");
    buf_reset(&out);
    CHECK_EQ_INT(s3_xml_find(init, strlen(init), "InitiateMultipartUploadResult/Missing", &out, err,
                             sizeof(err)),
                 0);
    CHECK_EQ_INT(s3_xml_find(init, strlen(init), "Other/UploadId", &out, err, sizeof(err)), 0);
    const char *nested = "<R><A><UploadId>no</UploadId></A><UploadId>yes</UploadId></R>";
    CHECK_EQ_INT(s3_xml_find(nested, strlen(nested), "R/UploadId", &out, err, sizeof(err)), 1);
    CHECK_EQ_STR(out.data, "yes");
    CHECK_EQ_INT(s3_xml_find("<R><UploadId>", 13, "R/UploadId", &out, err, sizeof(err)), -1);
    buf_release(&out);
}

static const char CREDS[] = "# ticklake test credentials\r\n"
                            "[default]\r\n"
                            "aws_access_key_id = AKDEFAULT\r\n"
                            "aws_secret_access_key = skdefault/with=signs\r\n"
                            "\n"
                            "; another comment\n"
                            "[prod]\n"
                            "AWS_ACCESS_KEY_ID=AKPROD\n"
                            "aws_secret_access_key: skprod\n"
                            "aws_session_token =   tokprod  \n"
                            "[  prod  ]\n"
                            "aws_access_key_id = AKPROD2\n";

static void test_ini(void)
{
    s3_ini ini;
    char err[256];
    CHECK_EQ_INT(s3_ini_parse(CREDS, strlen(CREDS), "creds", &ini, err, sizeof(err)), 0);
    CHECK_EQ_STR(s3_ini_get(&ini, "default", "aws_secret_access_key"), "skdefault/with=signs");
    CHECK_EQ_STR(s3_ini_get(&ini, "prod", "aws_secret_access_key"), "skprod");
    CHECK_EQ_STR(s3_ini_get(&ini, "prod", "aws_session_token"), "tokprod");
    CHECK_EQ_STR(s3_ini_get(&ini, "prod", "aws_access_key_id"), "AKPROD2"); /* last one wins */
    CHECK(s3_ini_get(&ini, "prod", "region") == NULL);
    CHECK(s3_ini_get(&ini, "nope", "aws_access_key_id") == NULL);
    CHECK(s3_ini_has_section(&ini, "prod"));
    CHECK(!s3_ini_has_section(&ini, "staging"));
    s3_ini_release(&ini);
    s3_ini_release(NULL);

    const char *conf = "[profile  dev]\n"
                       "region = eu-central-1\n"
                       "s3 =\n"
                       "    addressing_style = path\n"
                       "    endpoint_url = http://127.0.0.1:7070\n"
                       "output = json\n"
                       "  continued line\n"
                       "[empty]\n";
    CHECK_EQ_INT(s3_ini_parse(conf, strlen(conf), "conf", &ini, err, sizeof(err)), 0);
    CHECK_EQ_STR(s3_ini_get(&ini, "profile dev", "region"), "eu-central-1");
    CHECK_EQ_STR(s3_ini_get(&ini, "profile dev", "s3.addressing_style"), "path");
    CHECK_EQ_STR(s3_ini_get(&ini, "profile dev", "s3.endpoint_url"), "http://127.0.0.1:7070");
    CHECK_EQ_STR(s3_ini_get(&ini, "profile dev", "output"), "json\ncontinued line");
    CHECK(s3_ini_has_section(&ini, "empty"));
    s3_ini_release(&ini);

    struct {
        const char *text, *want;
    } bad[] = {
        {"aws_access_key_id = x\n", "f:1: setting before any [section]"},
        {"[a]\nx = 1\njunk line\n", "f:3: expected '[section]' or 'key = value'"},
        {"[a\n", "f:1: malformed section header"},
        {"[]\n", "f:1: malformed section header"},
        {"[a]\n\n\n= value\n", "f:4: empty key"},
        {"[a]\n[b]]\n", "f:2: malformed section header"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        CHECK_EQ_INT(s3_ini_parse(bad[i].text, strlen(bad[i].text), "f", &ini, err, sizeof(err)),
                     -1);
        CHECK_EQ_STR(err, bad[i].want);
        CHECK(ini.nentries == 0 && ini.entries == NULL);
    }
}

static void write_text(const char *path, const char *text)
{
    char err[256];
    if (write_file_atomic(path, text, strlen(text), err, sizeof(err)) != 0)
        fprintf(stderr, "  %s\n", err);
}

static void test_credentials(void)
{
    char dir[] = "/tmp/ticklake-s3cred-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char home[300], awsdir[320], creds[340], conf[340], other[340];
    snprintf(home, sizeof(home), "%s", dir);
    snprintf(awsdir, sizeof(awsdir), "%s/.aws", dir);
    mkdir(awsdir, 0700);
    snprintf(creds, sizeof(creds), "%s/credentials", awsdir);
    snprintf(conf, sizeof(conf), "%s/config", awsdir);
    snprintf(other, sizeof(other), "%s/other-credentials", dir);
    write_text(creds, CREDS);
    write_text(conf, "[default]\nregion = us-west-2\n"
                     "[profile prod]\nregion = ap-south-1\ns3 =\n  addressing_style = virtual\n"
                     "[profile cfgonly]\naws_access_key_id = AKCFG\naws_secret_access_key = skcfg\n"
                     "endpoint_url = http://localhost:9000\n");
    char err[512];
    s3_credentials c;

    /* The default profile from ~/.aws, region from the config file. */
    env_clear();
    env_set("HOME", home);
    CHECK_EQ_INT(s3_credentials_load(&c, NULL, env_fn, err, sizeof(err)), 0);
    CHECK_EQ_STR(c.access_key, "AKDEFAULT");
    CHECK_EQ_STR(c.secret_key, "skdefault/with=signs");
    CHECK(c.session_token == NULL);
    CHECK_EQ_STR(c.region, "us-west-2");
    CHECK(strstr(c.source, "profile 'default'") && strstr(c.source, creds));
    s3_credentials_release(&c);

    /* AWS_PROFILE, with its token, region and addressing style. */
    env_set("AWS_PROFILE", "prod");
    CHECK_EQ_INT(s3_credentials_load(&c, NULL, env_fn, err, sizeof(err)), 0);
    CHECK_EQ_STR(c.access_key, "AKPROD2");
    CHECK_EQ_STR(c.session_token, "tokprod");
    CHECK_EQ_STR(c.region, "ap-south-1");
    CHECK_EQ_STR(c.addressing, "virtual");
    s3_credentials_release(&c);

    /* Environment keys beat AWS_PROFILE; AWS_REGION beats AWS_DEFAULT_REGION and the profile. */
    env_set("AWS_ACCESS_KEY_ID", "AKENV");
    env_set("AWS_SECRET_ACCESS_KEY", "skenv");
    env_set("AWS_SESSION_TOKEN", "tokenv");
    env_set("AWS_DEFAULT_REGION", "sa-east-1");
    CHECK_EQ_INT(s3_credentials_load(&c, NULL, env_fn, err, sizeof(err)), 0);
    CHECK_EQ_STR(c.access_key, "AKENV");
    CHECK_EQ_STR(c.session_token, "tokenv");
    CHECK_EQ_STR(c.region, "sa-east-1");
    CHECK(strstr(c.source, "environment"));
    s3_credentials_release(&c);
    env_set("AWS_REGION", "eu-north-1");
    CHECK_EQ_INT(s3_credentials_load(&c, NULL, env_fn, err, sizeof(err)), 0);
    CHECK_EQ_STR(c.region, "eu-north-1");
    s3_credentials_release(&c);

    /* A profile passed explicitly beats the environment's keys. */
    CHECK_EQ_INT(s3_credentials_load(&c, "cfgonly", env_fn, err, sizeof(err)), 0);
    CHECK_EQ_STR(c.access_key, "AKCFG"); /* from the config file */
    CHECK_EQ_STR(c.endpoint, "http://localhost:9000");
    s3_credentials_release(&c);
    env_set("AWS_ENDPOINT_URL", "http://e1:1");
    CHECK_EQ_INT(s3_credentials_load(&c, "cfgonly", env_fn, err, sizeof(err)), 0);
    CHECK_EQ_STR(c.endpoint, "http://e1:1");
    s3_credentials_release(&c);
    env_set("AWS_ENDPOINT_URL_S3", "http://e2:2");
    CHECK_EQ_INT(s3_credentials_load(&c, "cfgonly", env_fn, err, sizeof(err)), 0);
    CHECK_EQ_STR(c.endpoint, "http://e2:2");
    s3_credentials_release(&c);

    /* Half the environment's keys is an error. */
    env_set("AWS_SECRET_ACCESS_KEY", "");
    CHECK_EQ_INT(s3_credentials_load(&c, NULL, env_fn, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    CHECK(c.access_key == NULL);

    /* A named profile that is nowhere, and no keys at all. */
    env_clear();
    env_set("HOME", home);
    env_set("AWS_PROFILE", "staging");
    CHECK_EQ_INT(s3_credentials_load(&c, NULL, env_fn, err, sizeof(err)), -1);
    CHECK(strstr(err, "AWS profile 'staging' not found"));
    env_clear();
    env_set("HOME", "/nonexistent-home");
    env_set("AWS_EC2_METADATA_DISABLED", "true"); /* else the chain asks EC2's metadata */
    CHECK_EQ_INT(s3_credentials_load(&c, NULL, env_fn, err, sizeof(err)), -1);
    CHECK(strstr(err, "no AWS credentials"));

    /* AWS_SHARED_CREDENTIALS_FILE; a syntax error names path:line and no secret. */
    write_text(other, "[default]\naws_access_key_id = AKOTHER\naws_secret_access_key = "
                      "supersecret\nthis line is wrong\n");
    env_set("AWS_SHARED_CREDENTIALS_FILE", other);
    CHECK_EQ_INT(s3_credentials_load(&c, NULL, env_fn, err, sizeof(err)), -1);
    char want[400];
    snprintf(want, sizeof(want), "%s:4: expected '[section]' or 'key = value'", other);
    CHECK_EQ_STR(err, want);
    CHECK(strstr(err, "supersecret") == NULL);
    write_text(other, "[default]\naws_access_key_id = AKOTHER\n");
    CHECK_EQ_INT(s3_credentials_load(&c, NULL, env_fn, err, sizeof(err)), -1);
    CHECK(strstr(err, "no aws_secret_access_key"));
    write_text(other, "[default]\naws_access_key_id = AKOTHER\naws_secret_access_key = x\n");
    env_set("AWS_CONFIG_FILE", "/nonexistent/config");
    CHECK_EQ_INT(s3_credentials_load(&c, NULL, env_fn, err, sizeof(err)), 0);
    CHECK_EQ_STR(c.access_key, "AKOTHER");
    CHECK(c.region == NULL);
    s3_credentials_release(&c);
    s3_credentials_release(NULL);

    unlink(creds);
    unlink(conf);
    unlink(other);
    rmdir(awsdir);
    rmdir(dir);
}

static void test_xml_uploads(void)
{
    char err[256];
    const char *page =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Bucket>b</Bucket><KeyMarker></KeyMarker><NextKeyMarker>lake/t/b</NextKeyMarker>"
        "<NextUploadIdMarker>u2</NextUploadIdMarker><IsTruncated>true</IsTruncated>"
        "<Upload><Key>lake/t/a&amp;1</Key><UploadId>u1</UploadId>"
        "<Initiated>2026-03-04T05:06:07.000Z</Initiated></Upload>"
        "<Upload><Key>lake/t/b</Key><UploadId>u2</UploadId></Upload>"
        "</ListMultipartUploadsResult>";
    s3_uploads u = {0};
    CHECK_EQ_INT(s3_parse_uploads(page, strlen(page), &u, err, sizeof(err)), 0);
    CHECK_EQ_INT((int64_t)u.n, 2);
    CHECK_EQ_STR(u.v[0].key, "lake/t/a&1");
    CHECK_EQ_STR(u.v[0].upload_id, "u1");
    CHECK(u.v[0].initiated_ns > 0);
    CHECK_EQ_STR(u.v[1].upload_id, "u2");
    CHECK_EQ_INT(u.truncated, 1);
    CHECK_EQ_STR(u.next_key_marker, "lake/t/b");
    CHECK_EQ_STR(u.next_upload_id_marker, "u2");
    s3_uploads_release(&u);
    const char *no_id = "<ListMultipartUploadsResult><Upload><Key>k</Key></Upload>"
                        "</ListMultipartUploadsResult>";
    CHECK_EQ_INT(s3_parse_uploads(no_id, strlen(no_id), &u, err, sizeof(err)), -1);
    s3_uploads_release(&u);
    const char *other = "<ListBucketResult></ListBucketResult>";
    CHECK_EQ_INT(s3_parse_uploads(other, strlen(other), &u, err, sizeof(err)), -1);
    s3_uploads_release(&u);
    const char *trunc = "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated>"
                        "</ListMultipartUploadsResult>";
    CHECK_EQ_INT(s3_parse_uploads(trunc, strlen(trunc), &u, err, sizeof(err)), -1);
    s3_uploads_release(&u);
}

/* What DuckDB's secret gets: the addressing resolved per bucket, the keys as given. */
static void test_client_access(void)
{
    char err[256];
    s3_config cfg;
    s3_config_init(&cfg);
    cfg.endpoint = "http://127.0.0.1:7070";
    cfg.region = "eu-west-1";
    cfg.access_key = "AKIDEXAMPLE";
    cfg.secret_key = "secret";
    s3_client *c = s3_client_new(&cfg, err, sizeof(err));
    CHECK(c != NULL);
    s3_access a;
    CHECK_EQ_INT(s3_client_access(c, "bkt", &a, err, sizeof(err)), 0);
    CHECK_EQ_STR(a.scheme, "http");
    CHECK_EQ_STR(a.authority, "127.0.0.1:7070");
    CHECK_EQ_STR(a.region, "eu-west-1");
    CHECK_EQ_INT(a.path_style, 1); /* an IP endpoint: path-style */
    CHECK_EQ_STR(a.access_key, "AKIDEXAMPLE");
    CHECK_EQ_STR(a.secret_key, "secret");
    CHECK(a.session_token == NULL);
    s3_client_free(c);

    /* AWS: virtual-host for a DNS-safe bucket, path-style for a dotted one; the token passes. */
    cfg.endpoint = NULL;
    cfg.session_token = "token";
    c = s3_client_new(&cfg, err, sizeof(err));
    CHECK(c != NULL);
    CHECK_EQ_INT(s3_client_access(c, "my-bucket", &a, err, sizeof(err)), 0);
    CHECK_EQ_STR(a.scheme, "https");
    CHECK_EQ_STR(a.authority, "s3.eu-west-1.amazonaws.com");
    CHECK_EQ_INT(a.path_style, 0);
    CHECK_EQ_STR(a.session_token, "token");
    CHECK_EQ_INT(s3_client_access(c, "my.bucket", &a, err, sizeof(err)), 0);
    CHECK_EQ_INT(a.path_style, 1);
    s3_client_free(c);

    /* Virtual-host addressing asked for with an IP endpoint: an error, as for requests. */
    cfg.endpoint = "http://127.0.0.1:7070";
    cfg.addressing = S3_ADDRESSING_VIRTUAL;
    c = s3_client_new(&cfg, err, sizeof(err));
    CHECK(c != NULL);
    CHECK_EQ_INT(s3_client_access(c, "bkt", &a, err, sizeof(err)), -1);
    CHECK(strstr(err, "virtual-host addressing") != NULL);
    s3_client_free(c);
}

TEST_MAIN(TEST(test_xml_uploads), TEST(test_sha256_and_date), TEST(test_sigv4_get_object),
          TEST(test_sigv4_put_object), TEST(test_sigv4_get_lifecycle),
          TEST(test_sigv4_list_objects), TEST(test_uri_encode), TEST(test_header_canonicalisation),
          TEST(test_endpoint_and_target), TEST(test_iso8601), TEST(test_xml_list),
          TEST(test_xml_malformed), TEST(test_xml_walk_events), TEST(test_xml_error_and_find),
          TEST(test_ini), TEST(test_credentials), TEST(test_client_access))
