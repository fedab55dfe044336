/* kprops.c - Kafka client properties files; see kprops.h. */
#include "kprops.h"

#include <string.h>

#include "ini.h"
#include "util.h"

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\f';
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The code unit of "\uXXXX" at t (after the 'u'), or -1. */
static long hex4(const char *t, size_t n)
{
    if (n < 4)
        return -1;
    long u = 0;
    for (int j = 0; j < 4; j++) {
        int h = hexval(t[j]);
        if (h < 0)
            return -1;
        u = u * 16 + h;
    }
    return u;
}

/* Decodes t[*i..n) in place as Java's Properties.load reads it, up to the
 * end, or for a key up to the first blank, '=' or ':' not escaped: \t \n
 * \r \f, \uXXXX (a surrogate pair as one character), and a backslash
 * before any other character stands for that character ("\=" is '=', "\\"
 * is '\'). What it writes is never longer than what it read, so it writes
 * over the text it has read. *i moves past what was read, *len gets what was
 * written from the old *i. 0, or -1 with what is wrong in why. */
static int unescape(char *t, size_t n, size_t *i, int key, size_t *len, const char **why)
{
    size_t k = *i, w = *i;
    while (k < n) {
        char c = t[k];
        if (key && (blank(c) || c == '=' || c == ':'))
            break;
        if (c != '\\') {
            t[w++] = c;
            k++;
            continue;
        }
        c = t[k + 1]; /* an odd number of trailing backslashes was refused before */
        k += 2;
        switch (c) {
        case 't':
            t[w++] = '\t';
            break;
        case 'n':
            t[w++] = '\n';
            break;
        case 'r':
            t[w++] = '\r';
            break;
        case 'f':
            t[w++] = '\f';
            break;
        case 'u': {
            long u = hex4(t + k, n - k);
            if (u < 0) {
                *why = "\\u needs four hex digits";
                return -1;
            }
            k += 4;
            if (u >= 0xD800 && u <= 0xDBFF) {
                long lo =
                    k + 1 < n && t[k] == '\\' && t[k + 1] == 'u' ? hex4(t + k + 2, n - k - 2) : -1;
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    *why = "a \\u surrogate without its pair";
                    return -1;
                }
                k += 6;
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
                *why = "a \\u surrogate without its pair";
                return -1;
            }
            w += utf8_encode((uint32_t)u, t + w); /* at most 4 bytes, where 6 were read */
            break;
        }
        default:
            t[w++] = c;
        }
    }
    *len = w - *i;
    *i = k;
    return 0;
}

int kprops_parse(char *text, size_t len, const char *path, kprops_cb cb, void *ctx, char *errstr,
                 size_t errstr_size)
{
    ini_reader r;
    ini_syntax syn = {.bom = 1, .colon = 1, .controls = 1, .max_line = KPROPS_MAX_LINE};
    ini_init(&r, text, len, path, syn);
    ini_line l;
    int rc, out = 0;
    while ((rc = ini_next(&r, &l, errstr, errstr_size)) == 1) {
        if (l.text[0] == '!')
            continue;
        /* An odd number of trailing backslashes continues the line in Java;
         * an even number is backslashes. */
        size_t trailing = 0;
        while (trailing < l.text_len && l.text[l.text_len - 1 - trailing] == '\\')
            trailing++;
        if (trailing % 2) {
            out = set_err(errstr, errstr_size,
                          "%s:%d: a line continuation (a trailing '\\') is not supported", path,
                          l.lineno);
            break;
        }
        if (l.kind == INI_SECTION) {
            out = set_err(errstr, errstr_size,
                          "%s:%d: a properties file has no [sections]: expected key=value", path,
                          l.lineno);
            break;
        }
        /* As Java reads it: the key ends at the first blank, '=' or ':' not
         * escaped; blanks, one '=' or ':', and blanks again separate it from
         * the value. */
        /* l.text is a line of text, which the caller let us write. */
        char *t = (char *)l.text;
        const char *why = NULL;
        size_t n = l.text_len, i = 0, kn = 0, vn = 0;
        if (unescape(t, n, &i, 1, &kn, &why) != 0) {
            out = set_err(errstr, errstr_size, "%s:%d: %s", path, l.lineno, why);
            break;
        }
        size_t kend = i;
        int sep = 0;
        while (i < n && blank(t[i]))
            i++;
        if (i < n && (t[i] == '=' || t[i] == ':')) {
            i++;
            sep = 1;
            while (i < n && blank(t[i]))
                i++;
        }
        if (!sep && i == kend) {
            out = set_err(errstr, errstr_size, "%s:%d: expected key=value, not '%.*s'", path,
                          l.lineno, (int)(n > 64 ? 64 : n), t);
            break;
        }
        if (kn == 0) {
            out = set_err(errstr, errstr_size, "%s:%d: empty key", path, l.lineno);
            break;
        }
        const char *v = t + i;
        if (unescape(t, n, &i, 0, &vn, &why) != 0) {
            out = set_err(errstr, errstr_size, "%s:%d: %s", path, l.lineno, why);
            break;
        }
        int c = cb(ctx, t, kn, v, vn, l.lineno);
        if (c != 0) {
            out = c;
            break;
        }
    }
    return out ? out : rc < 0 ? -1 : 0;
}
