/* lineedit.c - the SQL shell's line editor: libedit's (native histedit API)
 * on a terminal, plain lines elsewhere; the history file is ours. See
 * lineedit.h. */
#include "lineedit.h"

#include <errno.h>
#include <histedit.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct lineedit {
    int tty;
    char *history_path;
    History *hist;      /* also without a terminal: entries still go to the file */
    EditLine *el;       /* NULL without a terminal */
    const char *prompt; /* of the line being read */
    int interrupted;    /* Ctrl-C dropped the line */
    locale_t ctype;     /* a UTF-8 LC_CTYPE for libedit's calls, or 0 */
};

int lineedit_is_tty(const lineedit *le)
{
    return le->tty;
}

/* The LC_CTYPE libedit decodes keys and measures text with, on this thread only: the
 * environment's when it is UTF-8, else C.UTF-8 (ticklake never calls setlocale, and in the C
 * locale libedit would drop every non-ASCII byte). 0 when neither exists. */
static locale_t utf8_ctype(void)
{
    locale_t l = newlocale(LC_CTYPE_MASK, "", (locale_t)0);
    if (l) {
        locale_t prev = uselocale(l);
        int utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
        uselocale(prev);
        if (utf8)
            return l;
        freelocale(l);
    }
    return newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static char *prompt_of(EditLine *el)
{
    lineedit *le = NULL;
    el_get(el, EL_CLIENTDATA, &le);
    return (char *)(le && le->prompt ? le->prompt : "");
}

/* Ctrl-C: the line is dropped (the terminal does not turn it into SIGINT while editing). */
static unsigned char key_interrupt(EditLine *el, int ch)
{
    (void)ch;
    lineedit *le = NULL;
    el_get(el, EL_CLIENTDATA, &le);
    le->interrupted = 1;
    return CC_EOF;
}

/* Ctrl-D: end of input on an empty line, else deletes the character under the cursor. */
static unsigned char key_eof_or_delete(EditLine *el, int ch)
{
    (void)ch;
    const LineInfo *li = el_line(el);
    if (li->lastchar == li->buffer)
        return CC_EOF;
    if (li->cursor < li->lastchar && el_cursor(el, 1) >= 0)
        el_deletestr(el, 1);
    return CC_REFRESH;
}

/* Tab: a space (there is no completion). */
static unsigned char key_tab(EditLine *el, int ch)
{
    (void)ch;
    el_insertstr(el, " ");
    return CC_REFRESH;
}

/* Ctrl-W: deletes the blank-separated word before the cursor, and the blanks after it. */
static unsigned char key_kill_word(EditLine *el, int ch)
{
    (void)ch;
    const LineInfo *li = el_line(el);
    const char *s = li->cursor;
    while (s > li->buffer && s[-1] == ' ')
        s--;
    while (s > li->buffer && s[-1] != ' ')
        s--;
    int chars = 0; /* libedit counts characters, not bytes */
    for (const char *p = s; p < li->cursor; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    if (chars)
        el_deletestr(el, chars);
    return CC_REFRESH;
}

/* The editor on the terminal: emacs keys as lineedit.h lists them. 0 or -1. */
static int editor_open(lineedit *le)
{
    le->el = el_init("ticklake", stdin, stdout, stderr);
    if (!le->el)
        return -1;
    EditLine *el = le->el;
    el_set(el, EL_CLIENTDATA, le);
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_PROMPT, prompt_of);
    el_set(el, EL_HIST, history, le->hist);
    /* Ctrl-C reaches the editor as a key while a line is edited; once it is read, the terminal is
     * as before and Ctrl-C is SIGINT again (it cancels a running statement). */
    el_set(el, EL_SETTY, "-d", "-isig", NULL);
    el_set(el, EL_ADDFN, "tl-interrupt", "drop the line", key_interrupt);
    el_set(el, EL_ADDFN, "tl-eof-or-delete", "end input or delete a character", key_eof_or_delete);
    el_set(el, EL_ADDFN, "tl-tab", "insert a space", key_tab);
    el_set(el, EL_ADDFN, "tl-kill-word", "delete the word before the cursor", key_kill_word);
    el_set(el, EL_BIND, "^C", "tl-interrupt", NULL);
    el_set(el, EL_BIND, "^D", "tl-eof-or-delete", NULL);
    el_set(el, EL_BIND, "^I", "tl-tab", NULL);
    el_set(el, EL_BIND, "^W", "tl-kill-word", NULL);
    el_set(el, EL_BIND, "^U", "vi-kill-line-prev", NULL);
    /* Home, End and Delete as most terminals send them (arrows come from libedit's defaults). */
    static const char *const keys[][2] = {
        {"\033[H", "ed-move-to-beg"},       {"\033[F", "ed-move-to-end"},
        {"\033OH", "ed-move-to-beg"},       {"\033OF", "ed-move-to-end"},
        {"\033[1~", "ed-move-to-beg"},      {"\033[7~", "ed-move-to-beg"},
        {"\033[4~", "ed-move-to-end"},      {"\033[8~", "ed-move-to-end"},
        {"\033[3~", "ed-delete-next-char"},
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        el_set(el, EL_BIND, keys[i][0], keys[i][1], NULL);
    return 0;
}

lineedit *lineedit_open(const char *history_path)
{
    lineedit *le = calloc(1, sizeof(*le));
    if (!le)
        return NULL;
    HistEvent ev;
    le->hist = history_init();
    if (!le->hist) {
        free(le);
        return NULL;
    }
    history(le->hist, &ev, H_SETSIZE, LINEEDIT_HISTORY_MAX);
    le->history_path = history_path ? strdup(history_path) : NULL;
    FILE *f = history_path ? fopen(history_path, "r") : NULL;
    if (f) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, f)) > 0) {
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
            if (n > 0)
                history(le->hist, &ev, H_ENTER, line);
        }
        free(line);
        fclose(f);
    }
    le->tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    if (le->tty) {
        le->ctype = utf8_ctype();
        locale_t prev = le->ctype ? uselocale(le->ctype) : (locale_t)0;
        int rc = editor_open(le);
        if (le->ctype)
            uselocale(prev);
        if (rc != 0)
            le->tty = 0; /* plain lines, as without a terminal */
    }
    return le;
}

void lineedit_close(lineedit *le)
{
    if (!le)
        return;
    if (le->el) {
        locale_t prev = le->ctype ? uselocale(le->ctype) : (locale_t)0;
        el_end(le->el);
        if (le->ctype)
            uselocale(prev);
    }
    if (le->ctype)
        freelocale(le->ctype);
    history_end(le->hist);
    free(le->history_path);
    free(le);
}

void lineedit_add_history(lineedit *le, const char *entry)
{
    buf e = {0};
    for (const char *p = entry; *p; p++)
        buf_putc(&e, *p == '\n' || *p == '\r' ? ' ' : *p);
    HistEvent ev;
    if (e.len == 0 ||
        (history(le->hist, &ev, H_FIRST) == 0 && ev.str && strcmp(ev.str, e.data) == 0)) {
        buf_release(&e);
        return;
    }
    history(le->hist, &ev, H_ENTER, e.data);
    if (le->history_path) {
        FILE *f = fopen(le->history_path, "a");
        if (f) {
            fprintf(f, "%s\n", e.data);
            fclose(f);
        }
    }
    buf_release(&e);
}

/* Plain reading, without a terminal. */
static int read_plain(const char *prompt, buf *out)
{
    if (isatty(STDIN_FILENO)) {
        fputs(prompt, stderr);
        fflush(stderr);
    }
    buf_reset(out);
    buf_puts(out, "");
    int c;
    while ((c = getchar()) != EOF && c != '\n')
        buf_putc(out, (char)c);
    if (c == EOF && out->len == 0)
        return ferror(stdin) ? -1 : 1;
    if (out->len && out->data[out->len - 1] == '\r')
        out->data[--out->len] = '\0';
    return 0;
}

int lineedit_read(lineedit *le, const char *prompt, buf *out)
{
    if (!le->el)
        return read_plain(prompt, out);
    locale_t prev = le->ctype ? uselocale(le->ctype) : (locale_t)0;
    le->prompt = prompt;
    le->interrupted = 0;
    el_resize(le->el); /* the window may have changed while a statement ran */
    /* Edit mode before the prompt: el_gets would show the prompt first, and keys typed right
     * after it would meet the cooked terminal (echoed twice, Ctrl-U and arrows taken by the tty
     * driver). el_gets gives the terminal back as it found it when it returns. */
    el_set(le->el, EL_PREP_TERM, 1);
    int n = 0;
    const char *s = el_gets(le->el, &n);
    int err = errno;
    int rc = 0;
    buf_reset(out);
    buf_puts(out, "");
    if (le->interrupted || (!s && n < 0 && err == EINTR)) {
        rc = 2; /* Ctrl-C, or a signal: the line is dropped */
    } else if (!s) {
        rc = n < 0 ? -1 : 1;
    } else {
        size_t len = (size_t)n;
        while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
            len--;
        buf_append(out, s, len);
    }
    if (le->ctype)
        uselocale(prev);
    if (rc != 0) {
        /* libedit ends a line it returns with a newline; dropped and final ones get one too. */
        fputs("\n", stdout);
        fflush(stdout);
    }
    return rc;
}
