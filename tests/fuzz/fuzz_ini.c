/* fuzz_ini.c - libFuzzer target over ini.c, the line syntax of the config and AWS files, in every
 * dialect (the first byte picks BOM, ':' and control-character handling and a line limit): any
 * bytes are read or refused without a crash; line numbers only grow; every piece of a line lies
 * inside the text, trimmed of blanks; errors read "PATH:LINE: ...".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"

static void check_piece(const char *p, size_t n, const char *text, size_t len)
{
    if (!n)
        return;
    if (!p || p < text || p + n > text + len)
        abort();
    if (p[0] == ' ' || p[0] == '\t' || p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r')
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned mode = size ? data[0] : 0;
    ini_syntax syntax = {
        .bom = mode & 1, .colon = mode & 2, .controls = mode & 4, .max_line = mode & 8 ? 64 : 0};
    const char *text = (const char *)data;
    ini_reader r;
    ini_init(&r, text, size, "f.ini", syntax);
    ini_line l;
    char err[256];
    int rc, last = 0;
    while ((rc = ini_next(&r, &l, err, sizeof(err))) == 1) {
        if (l.lineno <= last || !l.text_len)
            abort();
        last = l.lineno;
        check_piece(l.text, l.text_len, text, size);
        check_piece(l.name, l.name_len, text, size);
        check_piece(l.value, l.value_len, text, size);
        if (l.text[0] == '#' || l.text[0] == ';' || (l.kind == INI_SECTION) != (l.text[0] == '['))
            abort();
        if (syntax.max_line && l.text_len > syntax.max_line)
            abort();
    }
    if (rc < 0 && strncmp(err, "f.ini:", 6) != 0)
        abort();
    return 0;
}
