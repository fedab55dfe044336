/* fuzz_s3.c - libFuzzer target over the pure parsers of the S3 client (s3_xml.c, s3_ini.c): the XML
 * walk through expat (events checked: depth within 1..32, a local name without a prefix, text that
 * is exactly text_len bytes without a NUL, every start ended), the documents on it
 * (ListBucketResult, ListMultipartUploadsResult, Error, element lookup), ISO 8601 times and the AWS
 * INI reader, and the credential chain's STS, container / IMDS and credential_process answers
 * (s3_creds_parse.c). Any input must be accepted or refused without a crash, a leak or undefined
 * behaviour, and a refusal says "xml: ... at line L, column C".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s3_creds.h"
#include "s3_ini.h"
#include "s3_xml.h"

static int check_event(void *ctx, enum s3_xml_event ev, const char *name, const char *text,
                       size_t text_len, int depth)
{
    int *open = ctx;
    if (depth < 1 || depth > 32 || strchr(name, ':'))
        abort();
    if (ev == S3_XML_START) {
        if (text || depth != *open + 1)
            abort();
        *open = depth;
    } else {
        if (!text || strlen(text) != text_len || depth != *open)
            abort();
        *open = depth - 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char err[256];
    int open = 0;
    if (s3_xml_walk(s, size, check_event, &open, err, sizeof(err)) == 0) {
        if (open != 0)
            abort();
    } else if (strncmp(err, "xml: ", 5) != 0 || !strstr(err, " at line ")) {
        abort();
    }
    s3_listing l = {0};
    s3_parse_list(s, size, &l, err, sizeof(err));
    s3_listing_release(&l);
    s3_uploads u = {0};
    s3_parse_uploads(s, size, &u, err, sizeof(err));
    s3_uploads_release(&u);
    s3_error_doc e;
    s3_parse_error(s, size, &e);
    buf b = {0};
    s3_xml_find(s, size, "InitiateMultipartUploadResult/UploadId", &b, err, sizeof(err));
    buf_release(&b);
    int64_t ns;
    s3_parse_iso8601(s, size, &ns);
    /* The credential chain's answers: keys on success, none (and no crash) otherwise. */
    for (int mode = 0; mode < 3; mode++) {
        s3_credentials c;
        memset(&c, 0, sizeof(c));
        int rc = mode == 0 ? s3_creds_parse_sts(s, size, &c, err, sizeof(err))
                           : s3_creds_parse_json(s, size, mode == 2, &c, err, sizeof(err));
        if (rc == 0 && (!c.access_key || !c.secret_key || (mode != 2 && !c.session_token)))
            abort();
        if (rc != 0 && (c.access_key || c.secret_key || c.session_token))
            abort();
        s3_credentials_release(&c);
    }
    s3_ini ini;
    if (s3_ini_parse(s, size, "fuzz", &ini, err, sizeof(err)) == 0) {
        s3_ini_get(&ini, "default", "aws_access_key_id");
        s3_ini_release(&ini);
    }
    return 0;
}
