/* config.c - git-style config files; see config.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* A command name in a section: lower-case letters, digits, '-' and '_'. */
static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* An option name: letters, digits, '-', '_' and '.'. */
static int is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

int config_bool(const char *v)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return 1;
        if (strcasecmp(v, no[i]) == 0)
            return 0;
    }
    return -1;
}

/* Parses a section line (s starts at '['): sets *mine to whether it names
 * command. 0, or -1 with errstr. */
static int section(char *s, const char *command, const char *const *known, int *mine, char *errstr,
                   size_t errstr_size)
{
    char *close = strchr(s, ']');
    if (!close)
        return set_err(errstr, errstr_size, "section line without ']'");
    for (const char *p = close + 1; *p; p++)
        if (!is_blank(*p))
            return set_err(errstr, errstr_size, "text after ']' in a section line");
    *close = '\0';
    *mine = 0;
    int names = 0;
    for (char *p = s + 1; *p;) {
        while (is_blank(*p) || *p == ',')
            p++;
        if (!*p)
            break;
        char *start = p;
        while (*p && !is_blank(*p) && *p != ',') {
            if (!is_name_char(*p))
                return set_err(errstr, errstr_size,
                               "a section names commands (e.g. [process run]); '%c' is not part "
                               "of a command name",
                               *p);
            p++;
        }
        size_t n = (size_t)(p - start);
        if (strlen(command) == n && strncmp(command, start, n) == 0)
            *mine = 1;
        if (known) {
            size_t k = 0;
            while (known[k] && !(strlen(known[k]) == n && strncmp(known[k], start, n) == 0))
                k++;
            if (!known[k])
                return set_err(errstr, errstr_size,
                               "no command '%.*s' ('ticklake --help' lists them)", (int)n, start);
        }
        names++;
    }
    if (!names)
        return set_err(errstr, errstr_size, "a section names no command");
    return 0;
}

int config_parse(const char *text, size_t len, const char *path, const char *command,
                 const char *const *known, config_setting_fn fn, void *arg, char *errstr,
                 size_t errstr_size)
{
    char line[CONFIG_LINE_MAX + 1], msg[512];
    size_t pos = 0;
    int lineno = 0;
    int in_section = 0, mine = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (pos < len) {
        lineno++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        const char *raw = text + pos;
        pos += n + (nl ? 1 : 0);
        if (n > 0 && raw[n - 1] == '\r')
            n--;
        if (n > CONFIG_LINE_MAX)
            return set_err(errstr, errstr_size, "%s:%d: line longer than %d bytes", path, lineno,
                           CONFIG_LINE_MAX);
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)raw[i];
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                return set_err(errstr, errstr_size, "%s:%d: control character 0x%02x in the line",
                               path, lineno, c);
        }
        memcpy(line, raw, n);
        line[n] = '\0';
        char *s = line;
        while (is_blank(*s))
            s++;
        char *end = s + strlen(s);
        while (end > s && is_blank(end[-1]))
            *--end = '\0';
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            if (section(s, command, known, &mine, msg, sizeof(msg)) != 0)
                return set_err(errstr, errstr_size, "%s:%d: %s", path, lineno, msg);
            in_section = 1;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq)
            return set_err(errstr, errstr_size, "%s:%d: expected 'key = value' or '[section]'",
                           path, lineno);
        if (!in_section)
            return set_err(errstr, errstr_size,
                           "%s:%d: a setting before any [section] naming its commands", path,
                           lineno);
        char *kend = eq;
        while (kend > s && is_blank(kend[-1]))
            kend--;
        *kend = '\0';
        char *value = eq + 1;
        while (is_blank(*value))
            value++;
        if (!*s)
            return set_err(errstr, errstr_size, "%s:%d: no key before '='", path, lineno);
        for (const char *k = s; *k; k++)
            if (!is_key_char(*k))
                return set_err(errstr, errstr_size,
                               "%s:%d: '%s' is not an option name (letters, digits and '-')", path,
                               lineno, s);
        if (!mine)
            continue;
        if (fn(arg, s, value, lineno, msg, sizeof(msg)) != 0)
            return set_err(errstr, errstr_size, "%s:%d: %s", path, lineno, msg);
    }
    return 0;
}
