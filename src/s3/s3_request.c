/* s3_request.c - the pure half of the S3 client's requests; see s3_request.h. */
#include "s3_request.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int s3_check_key(const char *bucket, const char *key, char *errstr, size_t errstr_size)
{
    if (!bucket || !*bucket)
        return set_err(errstr, errstr_size, "s3: empty bucket name");
    if (key && !*key)
        return set_err(errstr, errstr_size, "s3: empty key in bucket '%s'", bucket);
    return 0;
}

int s3_request_url(const s3_endpoint *ep, enum s3_addressing addressing, const char *bucket,
                   const char *key, const s3_kv *query, size_t nquery, buf *url, buf *host,
                   buf *path, char *errstr, size_t errstr_size)
{
    buf base = {0};
    int rc = s3_target(ep, addressing, bucket, key, &base, host, path, errstr, errstr_size);
    if (rc == 0) {
        buf_printf(url, "%s%s", base.data, path->data);
        if (nquery) {
            buf_putc(url, '?');
            s3_canonical_query(url, query, nquery);
        }
    }
    buf_release(&base);
    return rc;
}

size_t s3_request_headers(const s3_request *r, buf lines[S3_MAX_HEADERS])
{
    const char *payload = r->payload_hash ? r->payload_hash : S3_EMPTY_SHA256;
    s3_kv hdrs[4] = {
        {"host", r->host}, {"x-amz-content-sha256", payload}, {"x-amz-date", r->amz_date}};
    size_t nh = 3;
    if (r->session_token)
        hdrs[nh++] = (s3_kv){"x-amz-security-token", r->session_token};
    s3_sign_input in = {.method = r->method,
                        .canonical_uri = r->path,
                        .query = r->query,
                        .nquery = r->nquery,
                        .headers = hdrs,
                        .nheaders = nh,
                        .payload_hash = payload,
                        .amz_date = r->amz_date,
                        .region = r->region,
                        .service = "s3",
                        .access_key = r->access_key,
                        .secret_key = r->secret_key};
    size_t n = 0;
    buf_printf(&lines[n++], "Host: %s", r->host);
    buf_printf(&lines[n++], "x-amz-date: %s", r->amz_date);
    buf_printf(&lines[n++], "x-amz-content-sha256: %s", payload);
    if (r->session_token)
        buf_printf(&lines[n++], "x-amz-security-token: %s", r->session_token);
    buf_puts(&lines[n], "Authorization: ");
    s3_authorization(&lines[n++], &in);
    buf_puts(&lines[n++], "Content-Type:");
    buf_puts(&lines[n++], "Accept:");
    return n;
}

int s3_range(int64_t offset, int64_t len, char out[S3_RANGE_SIZE])
{
    int64_t last;
    if (offset < 0 || len <= 0 || __builtin_add_overflow(offset, len - 1, &last))
        return -1;
    snprintf(out, S3_RANGE_SIZE, "%" PRId64 "-%" PRId64, offset, last);
    return 0;
}

int s3_range_of_whole(buf *out, size_t base, int64_t offset, int64_t len)
{
    if (out->len - base <= (size_t)len)
        return 0;
    if ((int64_t)(out->len - base) < offset + len)
        return -1;
    memmove(out->data + base, out->data + base + offset, (size_t)len);
    out->len = base + (size_t)len;
    out->data[out->len] = '\0';
    return 0;
}

size_t s3_list_query(s3_kv q[S3_MAX_QUERY], const char *prefix, const char *delimiter, int max_keys,
                     char maxk[24], const char *token)
{
    size_t n = 0;
    q[n++] = (s3_kv){"list-type", "2"};
    /* Keys come back percent-encoded (s3_parse_list decodes them): a key
     * may hold characters XML 1.0 cannot carry (U+0001 is legal in a key),
     * which failed the whole listing. As the SDKs ask. */
    q[n++] = (s3_kv){"encoding-type", "url"};
    if (prefix && *prefix)
        q[n++] = (s3_kv){"prefix", prefix};
    if (delimiter && *delimiter)
        q[n++] = (s3_kv){"delimiter", delimiter};
    if (max_keys > 0) {
        snprintf(maxk, 24, "%d", max_keys);
        q[n++] = (s3_kv){"max-keys", maxk};
    }
    if (token)
        q[n++] = (s3_kv){"continuation-token", token};
    return n;
}

size_t s3_uploads_query(s3_kv q[S3_MAX_QUERY], const char *prefix, const char *key_marker,
                        const char *upload_id_marker)
{
    size_t n = 0;
    q[n++] = (s3_kv){"uploads", ""};
    if (prefix && *prefix)
        q[n++] = (s3_kv){"prefix", prefix};
    if (key_marker)
        q[n++] = (s3_kv){"key-marker", key_marker};
    if (upload_id_marker)
        q[n++] = (s3_kv){"upload-id-marker", upload_id_marker};
    return n;
}

int64_t s3_part_size(int64_t size, int64_t part_size)
{
    if (s3_part_count(size, part_size) > S3_MAX_PARTS)
        return ((size + S3_MAX_PARTS - 1) / S3_MAX_PARTS + S3_MIB - 1) / S3_MIB * S3_MIB;
    return part_size;
}

int64_t s3_part_count(int64_t size, int64_t part)
{
    return (size + part - 1) / part;
}

void s3_part_range(int64_t size, int64_t part, int64_t i, int64_t *off, int64_t *len)
{
    *off = i * part;
    *len = size - i * part < part ? size - i * part : part;
}

static void xml_escape(buf *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_puts(out, "&amp;");
            break;
        case '<':
            buf_puts(out, "&lt;");
            break;
        case '>':
            buf_puts(out, "&gt;");
            break;
        case '"':
            buf_puts(out, "&quot;");
            break;
        case '\'':
            buf_puts(out, "&apos;");
            break;
        default:
            buf_putc(out, *s);
        }
    }
}

void s3_complete_body(buf *out, char *const *etags, int64_t n)
{
    buf_puts(out, "<CompleteMultipartUpload>");
    for (int64_t i = 0; i < n; i++) {
        buf_printf(out, "<Part><PartNumber>%" PRId64 "</PartNumber><ETag>", i + 1);
        xml_escape(out, etags[i]);
        buf_puts(out, "</ETag></Part>");
    }
    buf_puts(out, "</CompleteMultipartUpload>");
}

void s3_create_bucket_body(buf *out, const char *region)
{
    if (strcmp(region, "us-east-1") != 0)
        buf_printf(out,
                   "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                   "<LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>",
                   region);
}
