/* ini.h - the line syntax of INI-style files, shared by ticklake's config
 * files (config.c) and the AWS shared files (s3_ini.c). Pure: text in, one
 * classified line at a time out; what sections and keys mean is the
 * caller's.
 *
 *     # comment, ; comment       skipped (first non-blank is '#' or ';')
 *     [name]                     a section
 *     key = value                a setting ("key: value" too, with colon)
 *     anything else              handed on as text (a continuation, or an
 *                                error the caller words)
 *
 * Lines end at '\n'; a CR before it is dropped; blanks (space, tab) around a
 * line, a key, a value and a section name are trimmed, and a trailing CR with
 * them. Line numbers count from 1 and every error reads "PATH:LINE: what". */
#ifndef TICKLAKE_INI_H
#define TICKLAKE_INI_H

#include <stddef.h>

/* What a dialect allows. */
typedef struct ini_syntax {
    int bom;         /* a UTF-8 byte order mark at the start is skipped */
    int colon;       /* ':' separates a key from its value as '=' does (whichever comes first) */
    int controls;    /* a control character other than tab, in any line, comments too, is an
                        error ("control character 0x.. in the line"); without, only a NUL byte in
                        a line that is not blank or a comment is ("NUL byte in line") */
    size_t max_line; /* the longest line in bytes without its newline (an error past it); 0: any */
} ini_syntax;

enum ini_kind {
    INI_SECTION, /* '[' first: name is up to the first ']', after is what follows that ']' */
    INI_SETTING, /* a separator: name is the key (may be empty), value the rest */
    INI_TEXT     /* neither: only text is set */
};

/* One line that is not blank or a comment. The pointers are into the text
 * given to ini_init (not NUL-terminated), valid as long as it is. */
typedef struct ini_line {
    enum ini_kind kind;
    int lineno;       /* from 1 */
    int indented;     /* the line starts with a blank */
    int closed;       /* INI_SECTION: a ']' was found */
    const char *text; /* the whole line, trimmed */
    size_t text_len;
    const char *name; /* INI_SECTION: the name inside, trimmed; INI_SETTING: the key, trimmed */
    size_t name_len;
    const char *value; /* INI_SETTING: the value, trimmed; INI_SECTION: the text after the
                          first ']', trimmed */
    size_t value_len;
} ini_line;

typedef struct ini_reader {
    const char *text, *path;
    size_t len, pos;
    int lineno;
    ini_syntax syntax;
} ini_reader;

/* Starts reading text[0..len) (path is only for messages and must outlive r). */
void ini_init(ini_reader *r, const char *text, size_t len, const char *path, ini_syntax syntax);
/* The next line that is not blank or a comment: 1 with *out set, 0 at the
 * end, -1 with "PATH:LINE: what" in errstr (a control character, a line too
 * long). */
int ini_next(ini_reader *r, ini_line *out, char *errstr, size_t errstr_size);

#endif
