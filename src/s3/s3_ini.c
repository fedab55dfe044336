/* s3_ini.c - the AWS INI files (pure). See s3_ini.h. */
#include "s3_ini.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "s3_hash.h"
#include "util.h"

/* ------------------------------------------------------------------------
 * INI: the lines from ini.c, with the AWS CLI's meaning
 * ------------------------------------------------------------------------ */

static void ini_add(s3_ini *ini, const char *section, const char *key, size_t keylen,
                    const char *val, size_t vallen, int line)
{
    ini->entries = xrealloc(ini->entries, (ini->nentries + 1) * sizeof(*ini->entries));
    s3_ini_entry *e = &ini->entries[ini->nentries++];
    e->section = xstrdup(section);
    e->key = xstrndup(key, keylen);
    for (char *p = e->key; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    e->value = xstrndup(val, vallen);
    e->line = line;
}

int s3_ini_parse(const char *text, size_t len, const char *path, s3_ini *out, char *errstr,
                 size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    /* As the AWS CLI reads them: "key: value" too, control characters kept (but a NUL). */
    ini_reader r;
    ini_init(&r, text, len, path, (ini_syntax){.colon = 1});
    ini_line l;
    char *section = NULL;
    char *parent = NULL; /* a key with an empty value: indented lines below are its sub-keys */
    s3_ini_entry *last = NULL;
    int rc = 0, more;
    while ((more = ini_next(&r, &l, errstr, errstr_size)) == 1) {
        if (l.kind == INI_SECTION) {
            if (!l.closed || l.value_len || l.name_len == 0 || memchr(l.name, '[', l.name_len)) {
                rc =
                    set_err(errstr, errstr_size, "%s:%d: malformed section header", path, l.lineno);
                break;
            }
            /* Inner blanks collapse to one space: "[profile   x]" is "profile x". */
            buf b = {0};
            int space = 0;
            for (const char *q = l.name; q < l.name + l.name_len; q++) {
                if (*q == ' ' || *q == '\t') {
                    space = 1;
                    continue;
                }
                if (space)
                    buf_putc(&b, ' ');
                space = 0;
                buf_putc(&b, *q);
            }
            free(section);
            section = b.data;
            free(parent);
            parent = NULL;
            last = NULL;
            out->sections = xrealloc(out->sections, (out->nsections + 1) * sizeof(char *));
            out->sections[out->nsections++] = xstrdup(section);
            continue;
        }
        if (l.indented && last && !parent) {
            /* A continuation of the previous value. */
            size_t old = strlen(last->value);
            last->value = xrealloc(last->value, old + 1 + l.text_len + 1);
            last->value[old] = '\n';
            memcpy(last->value + old + 1, l.text, l.text_len);
            last->value[old + 1 + l.text_len] = '\0';
            continue;
        }
        if (l.kind == INI_TEXT) {
            rc = set_err(errstr, errstr_size, "%s:%d: expected '[section]' or 'key = value'", path,
                         l.lineno);
            break;
        }
        if (!section) {
            rc =
                set_err(errstr, errstr_size, "%s:%d: setting before any [section]", path, l.lineno);
            break;
        }
        if (l.name_len == 0) {
            rc = set_err(errstr, errstr_size, "%s:%d: empty key", path, l.lineno);
            break;
        }
        if (l.indented && parent) {
            buf k = {0};
            buf_printf(&k, "%s.%.*s", parent, (int)l.name_len, l.name);
            ini_add(out, section, k.data, k.len, l.value, l.value_len, l.lineno);
            buf_release(&k);
            continue;
        }
        free(parent);
        parent = NULL;
        ini_add(out, section, l.name, l.name_len, l.value, l.value_len, l.lineno);
        last = &out->entries[out->nentries - 1];
        if (l.value_len == 0) {
            parent = xstrndup(l.name, l.name_len);
            for (char *q = parent; *q; q++)
                *q = (char)tolower((unsigned char)*q);
        }
    }
    if (more < 0)
        rc = -1;
    free(section);
    free(parent);
    if (rc != 0)
        s3_ini_release(out);
    return rc;
}

const char *s3_ini_get(const s3_ini *ini, const char *section, const char *key)
{
    const char *v = NULL;
    for (size_t i = 0; i < ini->nentries; i++)
        if (strcmp(ini->entries[i].section, section) == 0 && strcmp(ini->entries[i].key, key) == 0)
            v = ini->entries[i].value;
    return v;
}

int s3_ini_has_section(const s3_ini *ini, const char *section)
{
    for (size_t i = 0; i < ini->nsections; i++)
        if (strcmp(ini->sections[i], section) == 0)
            return 1;
    return 0;
}

void s3_ini_release(s3_ini *ini)
{
    if (!ini)
        return;
    for (size_t i = 0; i < ini->nentries; i++) {
        free(ini->entries[i].section);
        free(ini->entries[i].key);
        s3_free_secret(ini->entries[i].value);
    }
    free(ini->entries);
    for (size_t i = 0; i < ini->nsections; i++)
        free(ini->sections[i]);
    free(ini->sections);
    memset(ini, 0, sizeof(*ini));
}
