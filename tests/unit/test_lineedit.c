/* Unit tests for lineedit.c without a terminal: plain lines from standard
 * input (as piped SQL reaches the shell's reader), and the history file:
 * loaded at open, one entry per line appended as entries are added, newlines
 * stored as spaces, no empty entries and no repeat of the last one. Editing
 * on a terminal is tested through a pseudo-terminal by t0062-shell.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lineedit.h"
#include "testlib.h"
#include "util.h"

static char dir[] = "/tmp/ticklake-lineedit-XXXXXX";

/* The test's folder, made on first use. */
static const char *tmpdir(void)
{
    static int made;
    if (!made && mkdtemp(dir))
        made = 1;
    return dir;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static char *slurp(const char *path)
{
    static char out[4096];
    buf b = {0};
    char err[256];
    out[0] = '\0';
    if (read_file(path, &b, err, sizeof(err)) == 0)
        snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
    buf_release(&b);
    return out;
}

static void test_plain_lines(void)
{
    char in[512];
    snprintf(in, sizeof(in), "%s/in.sql", tmpdir());
    write_text(in, "SELECT 1\r\n  AS x;\n\nlast line without newline");
    CHECK(freopen(in, "r", stdin) != NULL);
    lineedit *le = lineedit_open(NULL);
    CHECK(le != NULL);
    if (!le)
        return;
    CHECK_EQ_INT(lineedit_is_tty(le), 0);
    buf line = {0};
    CHECK_EQ_INT(lineedit_read(le, "ticklake> ", &line), 0);
    CHECK_EQ_STR(line.data, "SELECT 1");
    CHECK_EQ_INT(lineedit_read(le, "      -> ", &line), 0);
    CHECK_EQ_STR(line.data, "  AS x;");
    CHECK_EQ_INT(lineedit_read(le, "ticklake> ", &line), 0);
    CHECK_EQ_STR(line.data, "");
    CHECK_EQ_INT(lineedit_read(le, "ticklake> ", &line), 0);
    CHECK_EQ_STR(line.data, "last line without newline");
    CHECK_EQ_INT(lineedit_read(le, "ticklake> ", &line), 1);
    CHECK_EQ_INT(lineedit_read(le, "ticklake> ", &line), 1);
    buf_release(&line);
    lineedit_close(le);
    lineedit_close(NULL);
    unlink(in);
}

static void test_history_file(void)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/history", tmpdir());
    write_text(path, "SELECT 1;\n\n.tables\r\n");
    lineedit *le = lineedit_open(path);
    CHECK(le != NULL);
    if (!le)
        return;
    lineedit_add_history(le, ".tables"); /* the last entry loaded: not again */
    lineedit_add_history(le, "");
    lineedit_add_history(le, "SELECT count(*)\n  FROM trades;");
    lineedit_add_history(le, "SELECT count(*)\r\n  FROM trades;"); /* stored as the same */
    lineedit_add_history(le, "SELECT 1;");                         /* not the last: again */
    CHECK_EQ_STR(slurp(path), "SELECT 1;\n\n.tables\r\n"
                              "SELECT count(*)   FROM trades;\n"
                              "SELECT count(*)    FROM trades;\n"
                              "SELECT 1;\n");
    lineedit_close(le);
    /* Reopened, the file is the history: its last entry is not added again. */
    le = lineedit_open(path);
    lineedit_add_history(le, "SELECT 1;");
    lineedit_close(le);
    CHECK(strstr(slurp(path), "SELECT 1;\nSELECT 1;") == NULL);
    /* A history file that cannot be read or written is no error: there is no history. */
    char missing[600];
    snprintf(missing, sizeof(missing), "%s/no/such/dir/history", dir);
    le = lineedit_open(missing);
    CHECK(le != NULL);
    lineedit_add_history(le, "SELECT 2;");
    lineedit_close(le);
    CHECK(access(missing, F_OK) != 0);
    unlink(path);
    rmdir(tmpdir());
}

TEST_MAIN(TEST(test_plain_lines), TEST(test_history_file))
