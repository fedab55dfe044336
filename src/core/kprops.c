/* kprops.c - Kafka client properties files; see kprops.h. */
#include "kprops.h"

#include <string.h>

#include "ini.h"
#include "util.h"

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\f';
}

int kprops_parse(const char *text, size_t len, const char *path, kprops_cb cb, void *ctx,
                 char *errstr, size_t errstr_size)
{
    ini_reader r;
    ini_syntax syn = {.bom = 1, .colon = 1, .controls = 1, .max_line = KPROPS_MAX_LINE};
    ini_init(&r, text, len, path, syn);
    ini_line l;
    int rc;
    while ((rc = ini_next(&r, &l, errstr, errstr_size)) == 1) {
        if (l.text[0] == '!')
            continue;
        if (l.text[l.text_len - 1] == '\\')
            return set_err(errstr, errstr_size,
                           "%s:%d: a line continuation (a trailing '\\') is not supported", path,
                           l.lineno);
        if (l.kind == INI_SECTION)
            return set_err(errstr, errstr_size,
                           "%s:%d: a properties file has no [sections]: expected key=value", path,
                           l.lineno);
        /* As Java reads it: the key ends at the first blank, '=' or ':'; blanks, one '=' or
         * ':', and blanks again separate it from the value. */
        const char *t = l.text;
        size_t n = l.text_len, i = 0;
        while (i < n && !blank(t[i]) && t[i] != '=' && t[i] != ':')
            i++;
        size_t kn = i;
        int sep = 0;
        while (i < n && blank(t[i]))
            i++;
        if (i < n && (t[i] == '=' || t[i] == ':')) {
            i++;
            sep = 1;
            while (i < n && blank(t[i]))
                i++;
        }
        if (!sep && i == kn)
            return set_err(errstr, errstr_size, "%s:%d: expected key=value, not '%.*s'", path,
                           l.lineno, (int)(n > 64 ? 64 : n), t);
        const char *k = t, *v = t + i;
        size_t vn = n - i;
        if (kn == 0)
            return set_err(errstr, errstr_size, "%s:%d: empty key", path, l.lineno);
        int c = cb(ctx, k, kn, v, vn, l.lineno);
        if (c != 0)
            return c;
    }
    return rc < 0 ? -1 : 0;
}
