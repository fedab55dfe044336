/* config.h - ticklake's config files, git-style: which lines apply to a
 * command. Pure: text in, one call per setting out; no I/O (cli.c reads the
 * file and applies the settings to a command's options).
 *
 *     # a comment (also "; ...": a line whose first non-blank is # or ;)
 *     [process run]          a section: the commands it applies to,
 *                            separated by spaces or commas
 *     alert-z = 3            key = value: the key is a long option name of
 *                            the command, or one letter for a short option
 *
 * The value is the rest of the line after '=', without surrounding blanks
 * (no quoting, no comments after a value: '#' is part of it). A trailing CR
 * and a UTF-8 byte order mark are ignored. Settings of sections that do not
 * name the command are skipped unchecked; lines that are not blank, a
 * comment, a section or key = value are errors wherever they are, as are a
 * setting before any section and a control character (a NUL byte, a CR
 * inside a line). docs/CONFIG.md is the user's
 * description. */
#ifndef TICKLAKE_CONFIG_H
#define TICKLAKE_CONFIG_H

#include <stddef.h>

/* The longest line, in bytes, without its newline. */
#define CONFIG_LINE_MAX 4095

/* Called for each setting of a section naming the command, in file order;
 * key and value are NUL-terminated copies valid only during the call, line
 * is the setting's line number (from 1). Returns 0, or -1 with what is wrong
 * in errstr (without file and line). */
typedef int (*config_setting_fn)(void *arg, const char *key, const char *value, int line,
                                 char *errstr, size_t errstr_size);

/* Parses text[0..len) and calls fn for the settings of command's sections.
 * known, when not NULL, is the NULL-terminated list of every command: a
 * section naming another (a misspelt "[proces]") is an error.
 * 0, or -1 at the first error (the file's or fn's) with "PATH:LINE: what is
 * wrong" in errstr; settings before it have been applied. */
int config_parse(const char *text, size_t len, const char *path, const char *command,
                 const char *const *known, config_setting_fn fn, void *arg, char *errstr,
                 size_t errstr_size);

/* A flag's value: true/yes/on/1 -> 1, false/no/off/0 -> 0 (any case), else -1. */
int config_bool(const char *value);

#endif
