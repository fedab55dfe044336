/* lineedit.h - a small line editor with history for the interactive SQL shell.
 *
 * On a terminal it edits in raw mode: Left/Right, Home/End (also Ctrl-A/E),
 * Backspace/Delete, Ctrl-K/U/W (kill to end / to start / a word), Up/Down
 * through the history, Ctrl-L clears the screen, Ctrl-C drops the line,
 * Ctrl-D on an empty line ends input. Elsewhere it reads plain lines. The
 * history is kept in a file, one entry per line (newlines in an entry are
 * stored as spaces), the last LINEEDIT_HISTORY_MAX entries. No dependency
 * beyond POSIX termios. */
#ifndef TICKLAKE_LINEEDIT_H
#define TICKLAKE_LINEEDIT_H

#include <stddef.h>

#include "util.h"

#define LINEEDIT_HISTORY_MAX 1000

typedef struct lineedit lineedit;

/* Opens an editor on stdin/stdout (stderr for the prompt when stdout is not
 * a terminal). history_path may be NULL (no history file); a missing file is
 * an empty history. Returns NULL only when out of memory. */
lineedit *lineedit_open(const char *history_path);
/* 1 when input comes from a terminal (editing is on). */
int lineedit_is_tty(const lineedit *le);
/* Reads one line after showing prompt, into out (replaced, no newline).
 * Returns 0 for a line, 1 at end of input, 2 when Ctrl-C dropped the line,
 * -1 on a read error. */
int lineedit_read(lineedit *le, const char *prompt, buf *out);
/* Adds entry to the history (not when empty or equal to the last entry)
 * and appends it to the history file. */
void lineedit_add_history(lineedit *le, const char *entry);
/* Restores the terminal and frees le. Accepts NULL. */
void lineedit_close(lineedit *le);

#endif
