/* json.h - the JSON reader of records and the catalog, over yyjson (the only
 * file that includes yyjson.h is json.c; docs/decisions/0038-json-through-yyjson.md).
 *
 * Strict RFC 8259: invalid UTF-8 inside strings, lone surrogate escapes, numbers
 * out of double range, comments and trailing commas are errors, each saying at
 * which byte offset. Strings are unescaped (\uXXXX to UTF-8) and NUL-terminated.
 * Numbers keep both a double and, when the literal is an integer within int64
 * range, an exact int64. Writing JSON is done with buf_* in util.h, and numbers with
 * json_put_double below. Pure: no I/O.
 *
 * Two ways in:
 *   - json_parse() builds a tree of json_value nodes in a json_doc that owns all
 *     of their memory; json_doc_free() releases it all at once. For documents
 *     whose structure is walked: the catalog, query metadata, feeds.
 *   - json_rec_parse() reads one record and looks members of the top-level
 *     object up by name (json_rec_get), building no tree and, for records up to
 *     a few KiB, calling no malloc. For the hot paths: trades, quotes, bars. */
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

/* ---- a parser that keeps its memory between documents ---------------------------------------- */

/* For a thread that parses one message after another (a feed's source): the
 * parser owns the memory of its current document and reuses it for the next,
 * so a steady stream of messages allocates nothing. Not thread-safe: one
 * parser per thread. */
typedef struct json_parser json_parser;

json_parser *json_parser_new(void);
/* Frees the parser and its current document. Accepts NULL. */
void json_parser_free(json_parser *p);
/* As json_parse, but the root returned (owned by p) is valid until the next
 * json_parser_parse on p or json_parser_free; the previous one is gone. */
const json_value *json_parser_parse(json_parser *p, const char *text, size_t len, char *errstr,
                                    size_t errstr_size);

/* ---- records: the top-level members of one object, looked up by name ------------------------ */

typedef struct json_rec json_rec;

/* Parses text[0..len) as one JSON value (surrounding white space allowed). Returns a record, or
 * NULL with errstr saying what was wrong and at which byte offset. The record's memory is a
 * per-thread buffer when free and the record small, else the heap; free it with json_rec_free
 * before the next parse on the thread for speed. */
json_rec *json_rec_parse(const char *text, size_t len, char *errstr, size_t errstr_size);
/* Accepts NULL. */
void json_rec_free(json_rec *r);
/* 1 when the record's value is an object. */
int json_rec_is_object(json_rec *r);
/* Fills *out with the scalar member named key of the record's object (type, and num, i, is_int or
 * str, len as json_parse would; child, next and key are NULL) and returns 0; -1 when there is no
 * such member. An array or object member comes back with its type only (count set). Lookups are
 * fastest in the order the members are written. When a name occurs more than once, which of the
 * members is found is unspecified (RFC 8259 leaves it to the reader). */
int json_rec_get(json_rec *r, const char *key, json_value *out);
/* Typed lookups with the rules of json_get_int, json_get_num and json_get_str below. */
int json_rec_get_int(json_rec *r, const char *key, int64_t *out);
int json_rec_get_num(json_rec *r, const char *key, double *out);
const char *json_rec_get_str(json_rec *r, const char *key);
/* Copies string member key into dst (dstsz bytes, NUL-terminated) and returns 0. Missing or null
 * is "" and allowed unless required; -1 with errstr naming the member when it is not a string,
 * does not fit, holds a NUL, or is required and empty. */
int json_rec_copy_str(json_rec *r, const char *key, char *dst, size_t dstsz, int required,
                      char *errstr, size_t errstr_size);

/* ---- lookups in a json_parse tree ---------------------------------------------------------- */

/* The member named key of an object, or NULL (also when obj is not an object). */
const json_value *json_get(const json_value *obj, const char *key);
/* Typed getters: 0 on success, -1 when the member is missing or of another
 * type. json_get_int accepts only integer literals. */
int json_get_int(const json_value *obj, const char *key, int64_t *out);
int json_get_num(const json_value *obj, const char *key, double *out);
/* Returns the string member, or NULL. */
const char *json_get_str(const json_value *obj, const char *key);

/* ---- writing -------------------------------------------------------------------------------- */

/* Appends v as a JSON number with the fewest significant digits that parse back to the same
 * double (up to 17); NaN and infinities are written as null. Decimals of up to 9 places and 15
 * digits (prices, sizes) come out as "%.15g" writes them; other values in yyjson's notation
 * ("1e300", "7.5e-7", "100000000000000000000.0"), which every JSON reader takes. */
struct buf;
void json_put_double(struct buf *b, double v);

#endif
