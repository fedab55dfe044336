/* fuzz_config.c - libFuzzer target: the config file parser accepts or
 * rejects any bytes without crashing, reports every error as "PATH:LINE: ...",
 * and hands on only well-formed settings (a non-empty key of option-name
 * characters, a value without newlines or surrounding blanks). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"

static int check_setting(void *arg, const char *key, const char *value, int line, char *err,
                         size_t errlen)
{
    size_t *n = arg;
    if (!*key || strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
                     strlen(key))
        abort();
    size_t vl = strlen(value);
    if (strpbrk(value, "\r\n") || (vl && (value[0] == ' ' || value[0] == '\t' ||
                                          value[vl - 1] == ' ' || value[vl - 1] == '\t')))
        abort();
    (void)config_bool(value);
    /* Refuse some settings, so errors from the callback are covered too. */
    if (++*n % 7 == 0)
        return set_err(err, errlen, "refused '%s'", key);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const commands[] = {"process", "run", "sink", "x", NULL};
    const char *command = commands[size ? data[0] % 4 : 0];
    /* Every other input checks section names against the commands. */
    const char *const *known = size && (data[0] & 4) ? commands : NULL;
    char err[512];
    size_t n = 0;
    if (config_parse((const char *)data, size, "f.conf", command, known, check_setting, &n, err,
                     sizeof(err)) != 0 &&
        strncmp(err, "f.conf:", 7) != 0)
        abort();
    return 0;
}
