/* json.h - a small JSON reader (DOM over one arena) for records and the catalog.
 *
 * json_parse() builds a tree of json_value nodes in a json_doc that owns all
 * of their memory; json_doc_free() releases it all at once. Strings are
 * unescaped (\uXXXX to UTF-8) and NUL-terminated. Numbers keep both a double
 * and, when the literal is an integer that fits, an exact int64. Writing JSON
 * is done with buf_* in util.h. Pure: no I/O. */
#ifndef TICKLAKE_JSON_H
#define TICKLAKE_JSON_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} json_type;

typedef struct json_value json_value;
struct json_value {
    json_type type;
    /* JSON_NUMBER: num always; is_int and i when the literal is an integer
     * within int64 range. */
    double num;
    int64_t i;
    int is_int;
    /* JSON_STRING: str (NUL-terminated) and len. */
    const char *str;
    size_t len;
    /* JSON_ARRAY / JSON_OBJECT: the first child; children are linked by next.
     * In an object each child carries its member name in key. */
    json_value *child;
    size_t count;
    json_value *next;
    const char *key;
};

typedef struct json_doc json_doc;

/* Parses text[0..len) as one JSON value (surrounding white space allowed).
 * Returns a document, or NULL with errstr saying what was wrong and at which
 * byte offset. Nesting deeper than 64 is rejected. */
json_doc *json_parse(const char *text, size_t len, char *errstr, size_t errstr_size);
/* The root value of a document. */
const json_value *json_root(const json_doc *doc);
/* Frees the document and every value and string in it. Accepts NULL. */
void json_doc_free(json_doc *doc);

/* The member named key of an object, or NULL (also when obj is not an object). */
const json_value *json_get(const json_value *obj, const char *key);
/* Typed getters: 0 on success, -1 when the member is missing or of another
 * type. json_get_int accepts only integer literals. */
int json_get_int(const json_value *obj, const char *key, int64_t *out);
int json_get_num(const json_value *obj, const char *key, double *out);
/* Returns the string member, or NULL. */
const char *json_get_str(const json_value *obj, const char *key);

#endif
