/* fuzz_s3.c - libFuzzer target over the pure parsers of the S3 client (s3_xml.c, s3_ini.c): the XML
 * reader (ListBucketResult, ListMultipartUploadsResult, Error, element lookup), ISO 8601 times and
 * the AWS INI reader. Any input must be accepted or refused without a crash, a leak or undefined
 * behaviour.
 */
#include <stddef.h>
#include <stdint.h>

#include "s3_ini.h"
#include "s3_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char err[256];
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
    s3_ini ini;
    if (s3_ini_parse(s, size, "fuzz", &ini, err, sizeof(err)) == 0) {
        s3_ini_get(&ini, "default", "aws_access_key_id");
        s3_ini_release(&ini);
    }
    return 0;
}
