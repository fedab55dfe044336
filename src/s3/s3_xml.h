/* s3_xml.h - S3 response documents (pure: no I/O): an XML walk with callbacks
 * (expat underneath; this is its only user), element lookup by path, and the mapping of
 * ListObjectsV2 (ListBucketResult), ListMultipartUploads and <Error>
 * documents into structs; ISO 8601 times as S3 writes them. */
#ifndef TICKLAKE_S3_XML_H
#define TICKLAKE_S3_XML_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum s3_xml_event {
    S3_XML_START, /* an element opens; text is NULL */
    S3_XML_END    /* an element closes; text holds its own character data, decoded */
};

/* Called for each event. name is the local name (any "ns:" prefix removed),
 * depth is 1 for the root element. Return 0 to go on, non-zero to stop. */
typedef int (*s3_xml_cb)(void *ctx, enum s3_xml_event ev, const char *name, const char *text,
                         size_t text_len, int depth);

/* Walks an XML document with expat: elements, attributes (skipped), character
 * data with the five named entities and numeric references, CDATA, comments,
 * processing instructions and the XML declaration (blanks before it are
 * skipped); any encoding expat knows, text handed on in UTF-8. A DOCTYPE is
 * refused (no entity declarations), nesting is limited to 32 levels, and a
 * NUL byte is malformed, as XML 1.0 says. Returns 0, or -1 with errstr
 * ("xml: what at line L, column C") on malformed input or when cb stops it. */
int s3_xml_walk(const char *xml, size_t len, s3_xml_cb cb, void *ctx, char *errstr,
                size_t errstr_size);

/* An object in a bucket. key and etag are owned (malloc'd). */
typedef struct s3_object {
    char *key;
    int64_t size;
    int64_t mtime_ns; /* LastModified, ns since the epoch; 0 if unknown */
    char *etag;       /* as the server sent it, quotes included; may be NULL */
} s3_object;

/* Frees the contents; the object is left empty. Accepts NULL. */
void s3_object_release(s3_object *o);

/* One ListObjectsV2 page, or (from s3_list) every page together. Owns all. */
typedef struct s3_listing {
    s3_object *objects;
    size_t nobjects;
    char **prefixes; /* CommonPrefixes, when a delimiter was given */
    size_t nprefixes;
    int truncated;    /* IsTruncated (of the last page) */
    char *next_token; /* NextContinuationToken, or NULL */
    int pages;        /* pages read (s3_list) */
} s3_listing;

/* Frees the contents; the listing is left empty. Accepts NULL. */
void s3_listing_release(s3_listing *l);

/* Parses a ListBucketResult document, appending its objects and prefixes to
 * out and setting truncated and next_token. 0, or -1 with errstr (malformed,
 * another root element, a Contents without Key, a bad Size or date). */
int s3_parse_list(const char *xml, size_t len, s3_listing *out, char *errstr, size_t errstr_size);

/* An incomplete multipart upload (ListMultipartUploads). Strings owned. */
typedef struct s3_upload {
    char *key;
    char *upload_id;
    int64_t initiated_ns; /* 0 if not given */
} s3_upload;

typedef struct s3_uploads {
    s3_upload *v;
    size_t n;
    int truncated;
    char *next_key_marker, *next_upload_id_marker;
} s3_uploads;

/* Frees the contents; the list is left empty. Accepts NULL. */
void s3_uploads_release(s3_uploads *u);
/* Parses a ListMultipartUploadsResult page, appending its uploads to out and
 * setting truncated and the markers. 0, or -1 with errstr (malformed, another
 * root, an Upload without Key or UploadId, a bad Initiated date). */
int s3_parse_uploads(const char *xml, size_t len, s3_uploads *out, char *errstr,
                     size_t errstr_size);

/* An S3 <Error> document, cut to fit. */
typedef struct s3_error_doc {
    char code[64];
    char message[256];
    char region[64]; /* <Region>, sent with some redirects */
} s3_error_doc;

/* Parses an <Error> document. 0 when xml is one (fields filled, missing ones
 * empty), -1 otherwise (out cleared). */
int s3_parse_error(const char *xml, size_t len, s3_error_doc *out);

/* Finds the text of the first element at path under the root, e.g.
 * "InitiateMultipartUploadResult/UploadId", and appends it to out.
 * 1 found, 0 not found, -1 with errstr when malformed. */
int s3_xml_find(const char *xml, size_t len, const char *path, buf *out, char *errstr,
                size_t errstr_size);

/* Parses an ISO 8601 UTC time such as "2009-10-12T17:50:30.000Z" into ns
 * since the epoch. 0 or -1. */
int s3_parse_iso8601(const char *s, size_t n, int64_t *out_ns);

/* Copies n bytes of text (from the network) to dst for messages and logs,
 * cut to fit dstsz with a NUL: printable ASCII is kept, '\n' and '\t' become
 * spaces, any other byte '?'. */
void s3_copy_printable(char *dst, size_t dstsz, const char *text, size_t n);

#endif
