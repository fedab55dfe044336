/* test_s3request.c - s3_request.c, the pure half of the S3 client's requests:
 * bucket and key checks, URLs (path-style and virtual-hosted, the query
 * canonical), the signed headers (Authorization checked against a SigV4
 * computed independently, with Python's hmac and hashlib, for these exact
 * inputs), Range values and servers that ignore them, list queries, part
 * sizes and ranges, and the multipart and CreateBucket bodies. The requests
 * as sent are tested against a real server by tests/s3/test_s3_live.c. */
#include <stdint.h>
#include <stdlib.h>

#include "s3_request.h"
#include "testlib.h"

static void test_check_key(void)
{
    char err[128];
    CHECK_EQ_INT(s3_check_key("b", "k", err, sizeof(err)), 0);
    CHECK_EQ_INT(s3_check_key("b", NULL, err, sizeof(err)), 0);
    CHECK_EQ_INT(s3_check_key("", "k", err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "s3: empty bucket name");
    CHECK_EQ_INT(s3_check_key(NULL, NULL, err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "s3: empty bucket name");
    CHECK_EQ_INT(s3_check_key("b", "", err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "s3: empty key in bucket 'b'");
}

static void test_url(void)
{
    s3_endpoint ep;
    char err[256];
    buf url = {0}, host = {0}, path = {0};
    CHECK_EQ_INT(s3_endpoint_parse("http://127.0.0.1:7070", NULL, &ep, err, sizeof(err)), 0);
    /* Path-style; the query sorted and encoded whatever the order given. */
    s3_kv q[] = {{"prefix", "x y/z"}, {"list-type", "2"}};
    CHECK_EQ_INT(s3_request_url(&ep, S3_ADDRESSING_AUTO, "b", "a b/c", q, 2, &url, &host, &path,
                                err, sizeof(err)),
                 0);
    CHECK_EQ_STR(url.data, "http://127.0.0.1:7070/b/a%20b/c?list-type=2&prefix=x%20y%2Fz");
    CHECK_EQ_STR(host.data, "127.0.0.1:7070");
    CHECK_EQ_STR(path.data, "/b/a%20b/c");
    /* A bucket request without a query; an empty value keeps its '='. */
    buf_reset(&url);
    buf_reset(&host);
    buf_reset(&path);
    s3_kv up[] = {{"uploads", ""}};
    CHECK_EQ_INT(s3_request_url(&ep, S3_ADDRESSING_PATH, "b", NULL, NULL, 0, &url, &host, &path,
                                err, sizeof(err)),
                 0);
    CHECK_EQ_STR(url.data, "http://127.0.0.1:7070/b");
    buf_reset(&url);
    buf_reset(&host);
    buf_reset(&path);
    CHECK_EQ_INT(s3_request_url(&ep, S3_ADDRESSING_PATH, "b", "k", up, 1, &url, &host, &path, err,
                                sizeof(err)),
                 0);
    CHECK_EQ_STR(url.data, "http://127.0.0.1:7070/b/k?uploads=");
    /* Virtual-hosted: the bucket goes into the host. */
    CHECK_EQ_INT(s3_endpoint_parse("https://localhost:9000/", NULL, &ep, err, sizeof(err)), 0);
    buf_reset(&url);
    buf_reset(&host);
    buf_reset(&path);
    CHECK_EQ_INT(s3_request_url(&ep, S3_ADDRESSING_VIRTUAL, "bkt", "x/y~", NULL, 0, &url, &host,
                                &path, err, sizeof(err)),
                 0);
    CHECK_EQ_STR(url.data, "https://bkt.localhost:9000/x/y~");
    CHECK_EQ_STR(host.data, "bkt.localhost:9000");
    CHECK_EQ_STR(path.data, "/x/y~");
    /* Virtual addressing on an IP endpoint is impossible: an error, nothing in url. */
    CHECK_EQ_INT(s3_endpoint_parse("http://127.0.0.1:7070", NULL, &ep, err, sizeof(err)), 0);
    buf_reset(&url);
    err[0] = '\0';
    CHECK_EQ_INT(s3_request_url(&ep, S3_ADDRESSING_VIRTUAL, "b", "k", NULL, 0, &url, &host, &path,
                                err, sizeof(err)),
                 -1);
    CHECK(err[0] != '\0' && url.len == 0);
    buf_release(&url);
    buf_release(&host);
    buf_release(&path);
}

static char *joined(const buf *lines, size_t n)
{
    buf b = {0};
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s\n", lines[i].data);
    return b.data;
}

static void test_headers(void)
{
    s3_kv q[] = {{"prefix", "x y"}, {"list-type", "2"}};
    s3_request r = {.method = "GET",
                    .host = "127.0.0.1:7070",
                    .path = "/b/a%20b/c",
                    .query = q,
                    .nquery = 2,
                    .payload_hash = NULL, /* no body: the empty payload's hash */
                    .amz_date = "20130524T000000Z",
                    .region = "us-east-1",
                    .access_key = "AKIDEXAMPLE",
                    .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
    buf lines[S3_MAX_HEADERS] = {{0}};
    size_t n = s3_request_headers(&r, lines);
    CHECK_EQ_INT(n, 6);
    char *all = joined(lines, n);
    CHECK_EQ_STR(all, "Host: 127.0.0.1:7070\n"
                      "x-amz-date: 20130524T000000Z\n"
                      "x-amz-content-sha256: " S3_EMPTY_SHA256 "\n"
                      "Authorization: AWS4-HMAC-SHA256 "
                      "Credential=AKIDEXAMPLE/20130524/us-east-1/s3/aws4_request,"
                      "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
                      "Signature=a2c5c78f9fd580b65bc7db6c124e6c3a0a83b8c6e709af14238df86ca90320ec\n"
                      "Content-Type:\n"
                      "Accept:\n");
    free(all);
    for (size_t i = 0; i < S3_MAX_HEADERS; i++)
        buf_release(&lines[i]);

    /* A body's hash and a session token, which is signed too. */
    s3_kv pq[] = {{"uploadId", "u/1"}, {"partNumber", "1"}};
    r = (s3_request){.method = "PUT",
                     .host = "bkt.localhost:9000",
                     .path = "/k",
                     .query = pq,
                     .nquery = 2,
                     .payload_hash =
                         "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
                     .amz_date = "20240229T235959Z",
                     .region = "eu-west-1",
                     .access_key = "AK",
                     .secret_key = "SK",
                     .session_token = "TOKEN+/="};
    n = s3_request_headers(&r, lines);
    CHECK_EQ_INT(n, 7);
    all = joined(lines, n);
    CHECK_EQ_STR(all, "Host: bkt.localhost:9000\n"
                      "x-amz-date: 20240229T235959Z\n"
                      "x-amz-content-sha256: "
                      "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n"
                      "x-amz-security-token: TOKEN+/=\n"
                      "Authorization: AWS4-HMAC-SHA256 "
                      "Credential=AK/20240229/eu-west-1/s3/aws4_request,"
                      "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"
                      "Signature=4cbf0ea6a87383dda2801fa4f2ed073c064d5209e91df39d54ebaba571c04c0d\n"
                      "Content-Type:\n"
                      "Accept:\n");
    free(all);
    for (size_t i = 0; i < S3_MAX_HEADERS; i++)
        buf_release(&lines[i]);
}

static void test_range(void)
{
    char r[S3_RANGE_SIZE];
    CHECK_EQ_INT(s3_range(0, 1, r), 0);
    CHECK_EQ_STR(r, "0-0");
    CHECK_EQ_INT(s3_range(100, 16384, r), 0);
    CHECK_EQ_STR(r, "100-16483");
    CHECK_EQ_INT(s3_range(INT64_MAX - 9, 10, r), 0);
    CHECK_EQ_STR(r, "9223372036854775798-9223372036854775807");
    CHECK_EQ_INT(s3_range(-1, 1, r), -1);
    CHECK_EQ_INT(s3_range(0, 0, r), -1);
    CHECK_EQ_INT(s3_range(0, -5, r), -1);
    CHECK_EQ_INT(s3_range(INT64_MAX - 9, 11, r), -1); /* the end overflows */

    /* A server that ignored Range and sent the whole object after what out held. */
    buf b = {0};
    buf_puts(&b, "KEEP0123456789");
    CHECK_EQ_INT(s3_range_of_whole(&b, 4, 2, 3), 0);
    CHECK_EQ_STR(b.data, "KEEP234");
    CHECK_EQ_INT(b.len, 7);
    buf_reset(&b);
    buf_puts(&b, "KEEP0123456789");
    CHECK_EQ_INT(s3_range_of_whole(&b, 4, 8, 3), -1); /* the object is shorter */
    CHECK_EQ_STR(b.data, "KEEP0123456789");
    buf_reset(&b);
    buf_puts(&b, "KEEP234");
    CHECK_EQ_INT(s3_range_of_whole(&b, 4, 2, 3), 0); /* already the range: unchanged */
    CHECK_EQ_STR(b.data, "KEEP234");
    buf_reset(&b);
    buf_puts(&b, "0123456789");
    CHECK_EQ_INT(s3_range_of_whole(&b, 0, 7, 3), 0); /* the very end */
    CHECK_EQ_STR(b.data, "789");
    buf_release(&b);
}

static char *query_text(const s3_kv *q, size_t n)
{
    buf b = {0};
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s%s=%s", i ? "&" : "", q[i].name, q[i].value);
    buf_puts(&b, "");
    return b.data;
}

static void test_queries(void)
{
    s3_kv q[S3_MAX_QUERY];
    char maxk[24];
    struct {
        const char *prefix, *delim;
        int max;
        const char *token, *want;
    } lists[] = {
        {NULL, NULL, 0, NULL, "list-type=2&encoding-type=url"},
        {"", "", -1, NULL, "list-type=2&encoding-type=url"},
        {"t/", "/", 0, NULL, "list-type=2&encoding-type=url&prefix=t/&delimiter=/"},
        {"p", NULL, 1000,
         "tok==", "list-type=2&encoding-type=url&prefix=p&max-keys=1000&continuation-token=tok=="},
        {"p", "/", 7, "t",
         "list-type=2&encoding-type=url&prefix=p&delimiter=/&max-keys=7&continuation-token=t"},
    };
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        size_t n =
            s3_list_query(q, lists[i].prefix, lists[i].delim, lists[i].max, maxk, lists[i].token);
        CHECK(n <= S3_MAX_QUERY);
        char *got = query_text(q, n);
        CHECK_EQ_STR(got, lists[i].want);
        free(got);
    }
    size_t n = s3_uploads_query(q, NULL, NULL, NULL);
    char *got = query_text(q, n);
    CHECK_EQ_STR(got, "uploads=");
    free(got);
    n = s3_uploads_query(q, "pre", "k/1", "u-2");
    got = query_text(q, n);
    CHECK_EQ_STR(got, "uploads=&prefix=pre&key-marker=k/1&upload-id-marker=u-2");
    free(got);
    n = s3_uploads_query(q, "", "k", NULL);
    got = query_text(q, n);
    CHECK_EQ_STR(got, "uploads=&key-marker=k");
    free(got);
}

static void test_parts(void)
{
    const int64_t mib = S3_MIB, p8 = 8 * mib;
    CHECK_EQ_INT(s3_part_size(100 * mib, p8), p8);
    CHECK_EQ_INT(s3_part_count(100 * mib, p8), 13);
    CHECK_EQ_INT(s3_part_count(96 * mib, p8), 12);
    CHECK_EQ_INT(s3_part_count(1, p8), 1);
    /* Exactly S3_MAX_PARTS parts: kept; one byte more: the next whole MiB. */
    CHECK_EQ_INT(s3_part_size(S3_MAX_PARTS * p8, p8), p8);
    CHECK_EQ_INT(s3_part_size(S3_MAX_PARTS * p8 + 1, p8), 9 * mib);
    CHECK(s3_part_count(S3_MAX_PARTS * p8 + 1, 9 * mib) <= S3_MAX_PARTS);
    /* 5 TiB, the largest object: within the limit, a whole number of MiB. */
    int64_t big = 5LL * 1024 * 1024 * mib, part = s3_part_size(big, p8);
    CHECK(part % mib == 0 && s3_part_count(big, part) <= S3_MAX_PARTS &&
          s3_part_count(big, part - mib) > S3_MAX_PARTS);
    int64_t off, len, total = 0;
    int64_t size = 20 * mib + 5, count = s3_part_count(size, p8);
    CHECK_EQ_INT(count, 3);
    for (int64_t i = 0; i < count; i++) {
        s3_part_range(size, p8, i, &off, &len);
        CHECK_EQ_INT(off, total); /* parts are contiguous */
        total += len;
    }
    CHECK_EQ_INT(total, size);
    s3_part_range(size, p8, 2, &off, &len);
    CHECK(off == 16 * mib && len == 4 * mib + 5);
    s3_part_range(size, p8, 0, &off, &len);
    CHECK(off == 0 && len == p8);
}

static void test_bodies(void)
{
    buf b = {0};
    char *etags[] = {"\"abc\"", "a&b<c>'d'"};
    s3_complete_body(&b, etags, 2);
    CHECK_EQ_STR(b.data,
                 "<CompleteMultipartUpload>"
                 "<Part><PartNumber>1</PartNumber><ETag>&quot;abc&quot;</ETag></Part>"
                 "<Part><PartNumber>2</PartNumber><ETag>a&amp;b&lt;c&gt;&apos;d&apos;</ETag></Part>"
                 "</CompleteMultipartUpload>");
    buf_reset(&b);
    s3_create_bucket_body(&b, "us-east-1");
    CHECK_EQ_INT(b.len, 0);
    s3_create_bucket_body(&b, "eu-west-1");
    CHECK_EQ_STR(b.data, "<CreateBucketConfiguration "
                         "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                         "<LocationConstraint>eu-west-1</LocationConstraint>"
                         "</CreateBucketConfiguration>");
    buf_release(&b);
}

TEST_MAIN(TEST(test_check_key), TEST(test_url), TEST(test_headers), TEST(test_range),
          TEST(test_queries), TEST(test_parts), TEST(test_bodies))
