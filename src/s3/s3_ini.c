/* s3_ini.c - the AWS INI files (pure). See s3_ini.h. */
#include "s3_ini.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "s3_hash.h"
#include "util.h"

/* ------------------------------------------------------------------------
 * INI
 * ------------------------------------------------------------------------ */

static void trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

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
    const char *p = text, *end = text + len;
    int line = 0;
    char *section = NULL;
    char *parent = NULL; /* a key with an empty value: indented lines below are its sub-keys */
    s3_ini_entry *last = NULL;
    size_t last_idx = 0;
    int rc = 0;
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p, *e = le;
        int indented = s < e && (*s == ' ' || *s == '\t');
        p = nl ? nl + 1 : end;
        trim(&s, &e);
        if (s == e || *s == '#' || *s == ';')
            continue;
        if (memchr(s, '\0', (size_t)(e - s))) {
            rc = set_err(errstr, errstr_size, "%s:%d: NUL byte in line", path, line);
            break;
        }
        if (*s == '[') {
            if (e[-1] != ']' || e - s < 3) {
                rc = set_err(errstr, errstr_size, "%s:%d: malformed section header", path, line);
                break;
            }
            const char *ns = s + 1, *ne = e - 1;
            trim(&ns, &ne);
            if (ns == ne || memchr(ns, '[', (size_t)(ne - ns)) ||
                memchr(ns, ']', (size_t)(ne - ns))) {
                rc = set_err(errstr, errstr_size, "%s:%d: malformed section header", path, line);
                break;
            }
            buf b = {0};
            int space = 0;
            for (const char *q = ns; q < ne; q++) {
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
        const char *eq = s;
        while (eq < e && *eq != '=' && *eq != ':')
            eq++;
        if (indented && last && !parent) {
            /* A continuation of the previous value. */
            size_t old = strlen(last->value);
            last->value = xrealloc(last->value, old + 1 + (size_t)(e - s) + 1);
            last->value[old] = '\n';
            memcpy(last->value + old + 1, s, (size_t)(e - s));
            last->value[old + 1 + (size_t)(e - s)] = '\0';
            continue;
        }
        if (eq == e) {
            rc = set_err(errstr, errstr_size, "%s:%d: expected '[section]' or 'key = value'", path,
                         line);
            break;
        }
        if (!section) {
            rc = set_err(errstr, errstr_size, "%s:%d: setting before any [section]", path, line);
            break;
        }
        const char *ks = s, *ke = eq, *vs = eq + 1, *ve = e;
        trim(&ks, &ke);
        trim(&vs, &ve);
        if (ks == ke) {
            rc = set_err(errstr, errstr_size, "%s:%d: empty key", path, line);
            break;
        }
        if (indented && parent) {
            buf k = {0};
            buf_printf(&k, "%s.%.*s", parent, (int)(ke - ks), ks);
            ini_add(out, section, k.data, k.len, vs, (size_t)(ve - vs), line);
            buf_release(&k);
            continue;
        }
        free(parent);
        parent = NULL;
        ini_add(out, section, ks, (size_t)(ke - ks), vs, (size_t)(ve - vs), line);
        last_idx = out->nentries - 1;
        last = &out->entries[last_idx];
        if (vs == ve) {
            parent = xstrndup(ks, (size_t)(ke - ks));
            for (char *q = parent; *q; q++)
                *q = (char)tolower((unsigned char)*q);
        }
    }
    (void)last_idx;
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
