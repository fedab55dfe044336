/* Unit tests for ini.c, the line syntax shared by config.c and s3_ini.c:
 * what each line is, trimming, indentation, line numbers, and the dialect
 * switches (BOM, ':' as a separator, control characters, line length). */
#include <stdio.h>
#include <string.h>

#include "ini.h"
#include "testlib.h"
#include "util.h"

/* Every line of text as "LINENO KIND[i] name|value|text;" or "ERR:<message>". */
static char *lines(const char *text, size_t len, ini_syntax syntax)
{
    static char out[2048];
    buf b = {0};
    buf_puts(&b, "");
    ini_reader r;
    ini_init(&r, text, len, "t.ini", syntax);
    ini_line l;
    char err[256];
    int rc;
    while ((rc = ini_next(&r, &l, err, sizeof(err))) == 1) {
        static const char *const kinds[] = {"S", "K", "T"};
        buf_printf(&b, "%d %s%s", l.lineno, kinds[l.kind], l.indented ? "i" : "");
        if (l.kind == INI_SECTION)
            buf_printf(&b, "%s", l.closed ? "" : "!");
        buf_printf(&b, " %.*s|%.*s|%.*s;", (int)l.name_len, l.name ? l.name : "", (int)l.value_len,
                   l.value ? l.value : "", (int)l.text_len, l.text);
    }
    if (rc < 0)
        snprintf(out, sizeof(out), "%sERR:%s", b.data, err);
    else
        snprintf(out, sizeof(out), "%s", b.data);
    buf_release(&b);
    return out;
}

#define LINES(text, syntax) lines(text, strlen(text), syntax)

static void test_kinds_and_trimming(void)
{
    ini_syntax plain = {0};
    CHECK_EQ_STR(LINES("", plain), "");
    CHECK_EQ_STR(LINES("\n\n  \t \r\n# c\n  ; c\n", plain), "");
    CHECK_EQ_STR(LINES("[ a  b ]\r\nk = v = w \n\tsub=1\nplain text\nlast", plain),
                 "1 S a  b||[ a  b ];2 K k|v = w|k = v = w;3 Ki sub|1|sub=1;"
                 "4 T ||plain text;5 T ||last;");
    /* A section: up to the first ']', what follows it apart; an unclosed one says so. */
    CHECK_EQ_STR(LINES("[a] x\n[b\n[c]]\n[]\n", plain),
                 "1 S a|x|[a] x;2 S! b||[b;3 S c|]|[c]];4 S ||[];");
    /* Empty keys and values are the caller's to judge; '#' after a value is part of it. */
    CHECK_EQ_STR(LINES(" = v\nk =\nk = a#b ; c\n", plain),
                 "1 Ki |v|= v;2 K k||k =;3 K k|a#b ; c|k = a#b ; c;");
    /* ':' separates only when the dialect says so, and then the first of '=' and ':' wins. */
    CHECK_EQ_STR(LINES("k: v\nurl = http://x\n", plain),
                 "1 T ||k: v;2 K url|http://x|url = http://x;");
    ini_syntax colon = {.colon = 1};
    CHECK_EQ_STR(LINES("k: v\nurl = http://x\na:b=c\n", colon),
                 "1 K k|v|k: v;2 K url|http://x|url = http://x;3 K a|b=c|a:b=c;");
}

static void test_dialects(void)
{
    /* A byte order mark is skipped only when asked for (otherwise it is text of the line). */
    ini_syntax bom = {.bom = 1};
    CHECK_EQ_STR(LINES("\xEF\xBB\xBF[a]\n", bom), "1 S a||[a];");
    CHECK_EQ_STR(LINES("\xEF\xBB\xBF[a]\n", (ini_syntax){0}), "1 T ||\xEF\xBB\xBF[a];");
    /* Control characters: with controls, anywhere (comments too), the CR before '\n' excepted;
     * without, only a NUL outside comments, and CRs at the end of a line are trimmed. */
    ini_syntax ctl = {.controls = 1};
    CHECK_EQ_STR(LINES("[a]\nk = v\r\n# \x01\n", ctl),
                 "1 S a||[a];2 K k|v|k = v;ERR:t.ini:3: control character 0x01 in the line");
    CHECK_EQ_STR(LINES("k = v\r\r\n", ctl), "ERR:t.ini:1: control character 0x0d in the line");
    CHECK_EQ_STR(LINES("k = v\x7f\n", ctl), "ERR:t.ini:1: control character 0x7f in the line");
    CHECK_EQ_STR(LINES("# \x01\nk = v\r\r\n", (ini_syntax){0}), "2 K k|v|k = v;");
    static const char nul[] = "# \0 in a comment\nk = a\0b\n";
    CHECK_EQ_STR(lines(nul, sizeof(nul) - 1, (ini_syntax){0}), "ERR:t.ini:2: NUL byte in line");
    CHECK_EQ_STR(lines(nul, sizeof(nul) - 1, ctl),
                 "ERR:t.ini:1: control character 0x00 in the line");
    /* The longest line, without its newline and CR. */
    ini_syntax max = {.max_line = 5};
    CHECK_EQ_STR(LINES("a=123\r\nb=1234\n", max),
                 "1 K a|123|a=123;ERR:t.ini:2: line longer than 5 bytes");
}

/* The pointers are into the text: a caller can keep them, and nothing past len is read. */
static void test_pointers_and_length(void)
{
    const char text[] = "[s]\nkey = value\nignored = past the length";
    size_t len = (size_t)(strstr(text, "ignored") - text);
    ini_reader r;
    ini_init(&r, text, len, "t.ini", (ini_syntax){0});
    ini_line l;
    char err[64];
    CHECK_EQ_INT(ini_next(&r, &l, err, sizeof(err)), 1);
    CHECK(l.name == text + 1 && l.name_len == 1);
    CHECK_EQ_INT(ini_next(&r, &l, err, sizeof(err)), 1);
    CHECK(l.name == text + 4 && l.value == text + 10 && l.value_len == 5);
    CHECK_EQ_INT(ini_next(&r, &l, err, sizeof(err)), 0);
    CHECK_EQ_INT(ini_next(&r, &l, err, sizeof(err)), 0);
}

TEST_MAIN(TEST(test_kinds_and_trimming), TEST(test_dialects), TEST(test_pointers_and_length))
