/* s3_ini.h - the AWS INI files, ~/.aws/credentials and ~/.aws/config (pure:
 * parses text; the caller reads the file). Values may be secrets and are
 * wiped when released. */
#ifndef TICKLAKE_S3_INI_H
#define TICKLAKE_S3_INI_H

#include <stddef.h>

typedef struct s3_ini_entry {
    char *section; /* as written inside [], inner spaces collapsed: "profile prod" */
    char *key;     /* lower-case; a nested key is "parent.key", e.g. "s3.addressing_style" */
    char *value;   /* trimmed */
    int line;
} s3_ini_entry;

typedef struct s3_ini {
    s3_ini_entry *entries;
    size_t nentries;
    char **sections; /* every [section] seen, even empty ones */
    size_t nsections;
} s3_ini;

/* Parses INI text: [section] lines, "key = value" (or "key: value") lines,
 * full-line comments starting with '#' or ';', blank lines, and indented
 * "sub = value" lines under a key with an empty value (nested settings, as the
 * AWS CLI's "s3 =" block). Errors read "path:line: message". 0 or -1. */
int s3_ini_parse(const char *text, size_t len, const char *path, s3_ini *out, char *errstr,
                 size_t errstr_size);
/* The value of key in section (the last one if repeated), or NULL. */
const char *s3_ini_get(const s3_ini *ini, const char *section, const char *key);
/* 1 if [section] appears, else 0. */
int s3_ini_has_section(const s3_ini *ini, const char *section);
/* Frees the contents, wiping the values (they may be secrets). Accepts NULL. */
void s3_ini_release(s3_ini *ini);
#endif
