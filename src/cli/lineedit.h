/* lineedit.h - the interactive SQL shell's line editor with history: the only
 * user of libedit (BSD editline, its native histedit API).
 *
 * On a terminal (stdin and stdout both) libedit edits in emacs style:
 * Left/Right (also Ctrl-B/F), Home/End (also Ctrl-A/E), Backspace/Delete,
 * Ctrl-K/U/W (kill to end / to start / the word before the cursor), Up/Down
 * (also Ctrl-P/N) through the history, Ctrl-L clears the screen, Ctrl-C drops
 * the line, Ctrl-D on an empty line ends input, Tab inserts a space.
 * ~/.editrc is not read. Elsewhere it reads plain lines (piped SQL). The
 * history is kept in a file of ours, not libedit's: one entry per line
 * (newlines in an entry are stored as spaces), the last
 * LINEEDIT_HISTORY_MAX entries, appended as they are added. */
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
