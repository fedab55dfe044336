/* ini.c - the line syntax of INI-style files; see ini.h. */
#include "ini.h"

#include <string.h>

#include "util.h"

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Trims blanks at the start, blanks and CRs at the end of [*s, *e). */
static void trim(const char **s, const char **e)
{
    while (*s < *e && is_blank(**s))
        (*s)++;
    while (*e > *s && (is_blank((*e)[-1]) || (*e)[-1] == '\r'))
        (*e)--;
}

void ini_init(ini_reader *r, const char *text, size_t len, const char *path, ini_syntax syntax)
{
    memset(r, 0, sizeof(*r));
    r->text = text;
    r->len = len;
    r->path = path;
    r->syntax = syntax;
    if (syntax.bom && len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        r->pos = 3;
}

int ini_next(ini_reader *r, ini_line *out, char *errstr, size_t errstr_size)
{
    while (r->pos < r->len) {
        r->lineno++;
        const char *raw = r->text + r->pos;
        const char *nl = memchr(raw, '\n', r->len - r->pos);
        size_t n = nl ? (size_t)(nl - raw) : r->len - r->pos;
        r->pos += n + (nl ? 1 : 0);
        if (n > 0 && raw[n - 1] == '\r')
            n--;
        if (r->syntax.max_line && n > r->syntax.max_line)
            return set_err(errstr, errstr_size, "%s:%d: line longer than %zu bytes", r->path,
                           r->lineno, r->syntax.max_line);
        if (r->syntax.controls) {
            for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)raw[i];
                if ((c < 0x20 && c != '\t') || c == 0x7f)
                    return set_err(errstr, errstr_size,
                                   "%s:%d: control character 0x%02x in the line", r->path,
                                   r->lineno, c);
            }
        }
        const char *s = raw, *e = raw + n;
        trim(&s, &e);
        if (s == e || *s == '#' || *s == ';')
            continue;
        if (!r->syntax.controls && memchr(s, '\0', (size_t)(e - s)))
            return set_err(errstr, errstr_size, "%s:%d: NUL byte in line", r->path, r->lineno);
        memset(out, 0, sizeof(*out));
        out->lineno = r->lineno;
        out->indented = is_blank(raw[0]);
        out->text = s;
        out->text_len = (size_t)(e - s);
        if (*s == '[') {
            out->kind = INI_SECTION;
            const char *close = memchr(s, ']', (size_t)(e - s));
            out->closed = close != NULL;
            const char *ns = s + 1, *ne = close ? close : e, *as = close ? close + 1 : e, *ae = e;
            trim(&ns, &ne);
            trim(&as, &ae);
            out->name = ns;
            out->name_len = (size_t)(ne - ns);
            out->value = as;
            out->value_len = (size_t)(ae - as);
            return 1;
        }
        const char *sep = s;
        while (sep < e && *sep != '=' && !(r->syntax.colon && *sep == ':'))
            sep++;
        if (sep == e) {
            out->kind = INI_TEXT;
            return 1;
        }
        out->kind = INI_SETTING;
        const char *ks = s, *ke = sep, *vs = sep + 1, *ve = e;
        trim(&ks, &ke);
        trim(&vs, &ve);
        out->name = ks;
        out->name_len = (size_t)(ke - ks);
        out->value = vs;
        out->value_len = (size_t)(ve - vs);
        return 1;
    }
    return 0;
}
