/* lineedit.c - a small line editor with history; see lineedit.h. */
#include "lineedit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

struct lineedit {
    int tty;
    char *history_path;
    char **hist;
    size_t nhist;
};

int lineedit_is_tty(const lineedit *le)
{
    return le->tty;
}

static void hist_push(lineedit *le, const char *s)
{
    if (le->nhist == LINEEDIT_HISTORY_MAX) {
        free(le->hist[0]);
        memmove(le->hist, le->hist + 1, (le->nhist - 1) * sizeof(*le->hist));
        le->nhist--;
    }
    char *d = strdup(s);
    if (d)
        le->hist[le->nhist++] = d;
}

lineedit *lineedit_open(const char *history_path)
{
    lineedit *le = calloc(1, sizeof(*le));
    if (!le)
        return NULL;
    le->hist = calloc(LINEEDIT_HISTORY_MAX, sizeof(*le->hist));
    if (!le->hist) {
        free(le);
        return NULL;
    }
    le->tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
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
                hist_push(le, line);
        }
        free(line);
        fclose(f);
    }
    return le;
}

void lineedit_close(lineedit *le)
{
    if (!le)
        return;
    for (size_t i = 0; i < le->nhist; i++)
        free(le->hist[i]);
    free(le->hist);
    free(le->history_path);
    free(le);
}

void lineedit_add_history(lineedit *le, const char *entry)
{
    buf e = {0};
    for (const char *p = entry; *p; p++)
        buf_putc(&e, *p == '\n' || *p == '\r' ? ' ' : *p);
    if (e.len == 0 || (le->nhist && strcmp(le->hist[le->nhist - 1], e.data) == 0)) {
        buf_release(&e);
        return;
    }
    hist_push(le, e.data);
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

/* Display columns of s[0..n): one per code point. */
static size_t columns(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static void refresh(const char *prompt, const buf *line, size_t pos)
{
    buf o = {0};
    buf_puts(&o, "\r");
    buf_puts(&o, prompt);
    buf_append(&o, line->data, line->len);
    buf_puts(&o, "\x1b[K\r");
    size_t col = columns(prompt, strlen(prompt)) + columns(line->data, pos);
    if (col)
        buf_printf(&o, "\x1b[%zuC", col);
    if (write(STDOUT_FILENO, o.data, o.len) < 0) {
        /* nothing to do: the next refresh redraws */
    }
    buf_release(&o);
}

static int read_byte(unsigned char *c)
{
    for (;;) {
        ssize_t n = read(STDIN_FILENO, c, 1);
        if (n == 1)
            return 0;
        if (n == 0)
            return 1;
        if (errno != EINTR)
            return -1;
    }
}

static void set_line(buf *line, size_t *pos, const char *s)
{
    buf_reset(line);
    buf_puts(line, s);
    *pos = line->len;
}

static void erase(buf *line, size_t from, size_t to)
{
    memmove(line->data + from, line->data + to, line->len - to + 1);
    line->len -= to - from;
}

static int edit(lineedit *le, const char *prompt, buf *line)
{
    size_t pos = 0;
    size_t hidx = le->nhist; /* le->nhist: the line being typed */
    char *typed = NULL;      /* the line being typed, while browsing the history */
    int rc = 0;
    buf_reset(line);
    buf_puts(line, "");
    refresh(prompt, line, pos);
    for (;;) {
        unsigned char c;
        int r = read_byte(&c);
        if (r != 0) {
            rc = r > 0 ? (line->len ? 0 : 1) : -1;
            break;
        }
        if (c == '\r' || c == '\n') {
            break;
        } else if (c == 3) { /* Ctrl-C */
            rc = 2;
            break;
        } else if (c == 4) { /* Ctrl-D */
            if (line->len == 0) {
                rc = 1;
                break;
            }
            if (pos < line->len) {
                size_t e = pos + 1;
                while (e < line->len && ((unsigned char)line->data[e] & 0xC0) == 0x80)
                    e++;
                erase(line, pos, e);
            }
        } else if (c == 127 || c == 8) { /* Backspace */
            if (pos > 0) {
                size_t s = pos - 1;
                while (s > 0 && ((unsigned char)line->data[s] & 0xC0) == 0x80)
                    s--;
                erase(line, s, pos);
                pos = s;
            }
        } else if (c == 1) {
            pos = 0;
        } else if (c == 5) {
            pos = line->len;
        } else if (c == 2 || c == 6) { /* Ctrl-B / Ctrl-F */
            c = c == 2 ? 'D' : 'C';
            goto arrow;
        } else if (c == 11) { /* Ctrl-K */
            line->len = pos;
            line->data[pos] = '\0';
        } else if (c == 21) { /* Ctrl-U */
            erase(line, 0, pos);
            pos = 0;
        } else if (c == 23) { /* Ctrl-W */
            size_t s = pos;
            while (s > 0 && line->data[s - 1] == ' ')
                s--;
            while (s > 0 && line->data[s - 1] != ' ')
                s--;
            erase(line, s, pos);
            pos = s;
        } else if (c == 12) { /* Ctrl-L */
            if (write(STDOUT_FILENO, "\x1b[H\x1b[2J", 7) < 0) {
                /* ignored */
            }
        } else if (c == 16 || c == 14) { /* Ctrl-P / Ctrl-N */
            c = c == 16 ? 'A' : 'B';
            goto arrow;
        } else if (c == 27) { /* escape sequences */
            unsigned char s0, s1;
            if (read_byte(&s0) != 0 || read_byte(&s1) != 0)
                continue;
            if (s0 != '[' && s0 != 'O')
                continue;
            if (s1 >= '0' && s1 <= '9') {
                unsigned char s2;
                if (read_byte(&s2) != 0 || s2 != '~')
                    continue;
                if (s1 == '3' && pos < line->len) {
                    size_t e = pos + 1;
                    while (e < line->len && ((unsigned char)line->data[e] & 0xC0) == 0x80)
                        e++;
                    erase(line, pos, e);
                } else if (s1 == '1' || s1 == '7') {
                    pos = 0;
                } else if (s1 == '4' || s1 == '8') {
                    pos = line->len;
                }
                refresh(prompt, line, pos);
                continue;
            }
            c = s1;
            if (c == 'H') {
                pos = 0;
            } else if (c == 'F') {
                pos = line->len;
            } else {
            arrow:
                if (c == 'D' && pos > 0) {
                    pos--;
                    while (pos > 0 && ((unsigned char)line->data[pos] & 0xC0) == 0x80)
                        pos--;
                } else if (c == 'C' && pos < line->len) {
                    pos++;
                    while (pos < line->len && ((unsigned char)line->data[pos] & 0xC0) == 0x80)
                        pos++;
                } else if (c == 'A' && hidx > 0) {
                    if (hidx == le->nhist) {
                        free(typed);
                        typed = strdup(line->data);
                    }
                    hidx--;
                    set_line(line, &pos, le->hist[hidx]);
                } else if (c == 'B' && hidx < le->nhist) {
                    hidx++;
                    set_line(line, &pos, hidx == le->nhist ? (typed ? typed : "") : le->hist[hidx]);
                }
            }
        } else if (c >= 32 || c == '\t') {
            buf_putc(line, '\0'); /* room for one more byte */
            line->len--;
            memmove(line->data + pos + 1, line->data + pos, line->len - pos + 1);
            line->data[pos++] = (char)(c == '\t' ? ' ' : c);
            line->len++;
        }
        refresh(prompt, line, pos);
    }
    free(typed);
    if (write(STDOUT_FILENO, "\r\n", 2) < 0) {
        /* ignored */
    }
    return rc;
}

int lineedit_read(lineedit *le, const char *prompt, buf *out)
{
    if (!le->tty)
        return read_plain(prompt, out);
    struct termios orig, raw;
    if (tcgetattr(STDIN_FILENO, &orig) != 0)
        return read_plain(prompt, out);
    raw = orig;
    raw.c_iflag &= ~(unsigned)(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
    raw.c_lflag &= ~(unsigned)(ECHO | ICANON | IEXTEN | ISIG);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) != 0)
        return read_plain(prompt, out);
    int rc = edit(le, prompt, out);
    tcsetattr(STDIN_FILENO, TCSADRAIN, &orig);
    return rc;
}
