/* kprops.h - Kafka client properties files, as kcat's -F and the Kafka tools'
 * --command-config read them (pure: text in, settings out; the caller reads
 * the file and applies the settings):
 *
 *     # comment, ! comment       skipped (first non-blank is '#', '!' or ';')
 *     key=value                  a setting; "key: value" and "key value" too
 *
 * As in Java, the key ends at the first blank, '=' or ':', and blanks, one
 * '=' or ':' and blanks again lead to the value, which may hold '=', ':' and
 * blanks ("sasl.password = a b=c"); blanks around both are trimmed.
 * Backslash escapes are read as Java's Properties.load reads them, so a
 * file Properties.store wrote (username\="u", host\:9092) means what it
 * means to the Kafka tools: \t \n \r \f, \uXXXX, and a backslash before
 * any other character stands for that character (a key may hold '=', ':'
 * or a blank so). Refused with a clear error rather than read differently
 * from Java: a line continuation (an odd number of trailing '\'),
 * [sections], an empty key, a key alone, a bad \u. Errors read
 * "PATH:LINE: what". */
#ifndef TICKLAKE_KPROPS_H
#define TICKLAKE_KPROPS_H

#include <stddef.h>

#define KPROPS_MAX_LINE 65536 /* the longest line in bytes */

/* Called for each setting, in order; key and value are not NUL-terminated.
 * A non-zero return stops the reading and is returned. */
typedef int (*kprops_cb)(void *ctx, const char *key, size_t key_len, const char *value,
                         size_t value_len, int lineno);

/* Reads text[0..len) (path only for messages), decoding escapes in place:
 * the keys and values given to cb point into text, which is changed. 0, the
 * callback's non-zero return, or -1 with errstr. */
int kprops_parse(char *text, size_t len, const char *path, kprops_cb cb, void *ctx, char *errstr,
                 size_t errstr_size);

#endif
