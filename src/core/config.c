/* config.c - git-style config files; see config.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ini.h"
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

/* Reads the command names of a section (name[0..n), inside the brackets):
 * sets *mine to whether one is command. 0, or -1 with errstr. */
static int section(const char *name, size_t len, const char *command, const char *const *known,
                   int *mine, char *errstr, size_t errstr_size)
{
    *mine = 0;
    int names = 0;
    const char *p = name, *end = name + len;
    while (p < end) {
        while (p < end && (is_blank(*p) || *p == ','))
            p++;
        if (p == end)
            break;
        const char *start = p;
        while (p < end && !is_blank(*p) && *p != ',') {
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
    /* A key and a value, NUL-terminated for fn; together no longer than their line. */
    char kv[CONFIG_LINE_MAX + 2], msg[512];
    int in_section = 0, mine = 0, more;
    ini_reader r;
    ini_init(&r, text, len, path,
             (ini_syntax){.bom = 1, .controls = 1, .max_line = CONFIG_LINE_MAX});
    ini_line l;
    while ((more = ini_next(&r, &l, errstr, errstr_size)) == 1) {
        if (l.kind == INI_SECTION) {
            if (!l.closed)
                return set_err(errstr, errstr_size, "%s:%d: section line without ']'", path,
                               l.lineno);
            if (l.value_len)
                return set_err(errstr, errstr_size, "%s:%d: text after ']' in a section line", path,
                               l.lineno);
            if (section(l.name, l.name_len, command, known, &mine, msg, sizeof(msg)) != 0)
                return set_err(errstr, errstr_size, "%s:%d: %s", path, l.lineno, msg);
            in_section = 1;
            continue;
        }
        if (l.kind != INI_SETTING)
            return set_err(errstr, errstr_size, "%s:%d: expected 'key = value' or '[section]'",
                           path, l.lineno);
        if (!in_section)
            return set_err(errstr, errstr_size,
                           "%s:%d: a setting before any [section] naming its commands", path,
                           l.lineno);
        if (l.name_len == 0)
            return set_err(errstr, errstr_size, "%s:%d: no key before '='", path, l.lineno);
        char *key = kv, *value = kv + l.name_len + 1;
        memcpy(key, l.name, l.name_len);
        key[l.name_len] = '\0';
        memcpy(value, l.value, l.value_len);
        value[l.value_len] = '\0';
        for (const char *k = key; *k; k++)
            if (!is_key_char(*k))
                return set_err(errstr, errstr_size,
                               "%s:%d: '%s' is not an option name (letters, digits and '-')", path,
                               l.lineno, key);
        if (!mine)
            continue;
        if (fn(arg, key, value, l.lineno, msg, sizeof(msg)) != 0)
            return set_err(errstr, errstr_size, "%s:%d: %s", path, l.lineno, msg);
    }
    return more;
}
