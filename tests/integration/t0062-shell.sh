#!/usr/bin/env bash
# The interactive shell, driven through a pseudo-terminal: multi-line statements, several
# statements on a line (each result printed; a failing one stops the rest), dot commands,
# history recalled with the Up arrow and kept in the history file, errors that do not end the
# session, Ctrl-C that cancels a running statement but not the shell, Ctrl-D to leave.
. "$(dirname "$0")/lib.sh"

lake=$T/lake
if [ "$KAFKA_KIND" = real ]; then
    "$TICKLAKE" run --duration 4 --lake "$lake" --rate 1000 --symbols 5 --brokers "$BROKERS" \
        --topic-prefix "$(unique_name s)." 2>"$T/run.err" || { cat "$T/run.err" >&2; fail "run failed"; }
else
    "$TICKLAKE" run --duration 4 --lake "$lake" --rate 1000 --symbols 5 2>"$T/run.err" ||
        { cat "$T/run.err" >&2; fail "run failed"; }
fi
"$TICKLAKE" crawl --lake "$lake" >/dev/null

export TICKLAKE_HISTORY=$T/history
python3 - "$TICKLAKE" "$lake" >"$T/screen" 2>&1 <<'PY' || { cat "$T/screen" >&2; fail "shell session"; }
import os, pty, re, select, sys, termios, time

exe, lake = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(exe, [exe, "query", "--lake", lake])

# Every expectation matches only what the shell prints, never the line editor's echo of the typed
# text: a result computed by the query (42 for 6 * 7, upper- or lower-case of the typed word), table
# lines, error text, the query summary, and the fresh prompt that follows it.
PROMPT = r"(?<=\n)ticklake> "  # the main prompt, at the start of a fresh line
out = b""
mark = 0  # output before mark has been matched already

def read_more(timeout):
    global out
    r, _, _ = select.select([fd], [], [], timeout)
    if r:
        try:
            out += os.read(fd, 65536)
        except OSError:
            raise SystemExit("the shell ended; screen:\n" + out.decode(errors="replace"))

def expect(pattern, timeout=30):
    """Waits for the regular expression pattern in the output after the last match."""
    global mark
    rx = re.compile(pattern.encode())
    end = time.time() + timeout
    while True:
        m = rx.search(out, mark)
        if m:
            mark = m.end()
            return
        left = end - time.time()
        if left <= 0:
            raise SystemExit(f"timeout waiting for {pattern!r}; screen so far:\n{out.decode(errors='replace')}")
        read_more(left)

def send(s):
    os.write(fd, s.encode())

def statement(line, *patterns, status="SUCCEEDED"):
    """Sends line; waits for patterns in order, then the query summary and the next prompt."""
    send(line + "\r")
    for p in patterns:
        expect(p)
    expect(r"query [0-9a-f-]{36}: " + status + ", ")
    expect(PROMPT)

def cooked():
    """True once the line editor has given the terminal back (^C is a signal again)."""
    return bool(termios.tcgetattr(fd)[3] & termios.ISIG)

expect(PROMPT)
send("SELECT count(DISTINCT symbol)\r")          # not complete: a continuation prompt
expect(r"(?<=\n)      -> ")
statement("  AS symbols FROM trades;", r"\r\nsymbols\r\n-+\r\n +5\r\n\(1 row\)\r\n")
send(".tables\r")
expect(r"\r\nbars_1s\r\n(.*\r\n)*trades\r\n\([0-9]+ rows\)\r\n")
expect(PROMPT)
statement("SELEC oops;", r'error: Parser Error: syntax error at or near "SELEC"', r"LINE 1: SELEC oops\r\n",
          status="FAILED")                           # an error; the shell goes on
statement("SELECT 6 * 7 AS answer;", r"\r\nanswer\r\n-+\r\n +42\r\n\(1 row\)\r\n")
statement("SELECT upper('alpha') AS a; SELECT upper('omega') AS b;",  # two statements, two results
          r"\r\nALPHA\r\n", r"query [0-9a-f-]{36}: SUCCEEDED, ", r"\r\nOMEGA\r\n")
statement("SELECT upper('gamma') AS g; SELEC 2; SELECT upper('delta');",  # the failing one stops the rest
          r"\r\nGAMMA\r\n", r"query [0-9a-f-]{36}: SUCCEEDED, ",
          r"error: statement 2 of 3 \(line 1\): Parser Error", status="FAILED")
if b"DELTA" in out:
    raise SystemExit("a statement after the failing one ran:\n" + out.decode(errors="replace"))
# Up four times: the failed statement again (its own error, not the other failing line's).
statement("\x1b[A\x1b[A\x1b[A\x1b[A", r"LINE 1: SELEC oops\r\n", status="FAILED")
# Browse, then Ctrl-U and a new line.
statement("\x1b[A\x1b[A\x1b[B\x15SELECT lower('EDITED') AS x;", r"\r\nx\r\n-+\r\nedited\r\n\(1 row\)\r\n")
send("SELECT count(*) FROM range(1000000000000);\r")  # runs for hours...
end = time.time() + 30
while not cooked():  # the line is read and the statement starts: Ctrl-C now reaches it
    if time.time() > end:
        raise SystemExit("the terminal stayed in raw mode after the statement was sent")
    read_more(0.05)
for attempt in range(10):  # ...until Ctrl-C cancels it, not the shell (again if the first was early)
    send("\x03")
    try:
        expect(r"error: query cancelled\r\n", timeout=3)
        break
    except SystemExit:
        if attempt == 9:
            raise
expect(r"query [0-9a-f-]{36}: CANCELLED, ")
expect(PROMPT)
send("\x04")                                      # Ctrl-D leaves
end = time.time() + 20
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    if time.time() > end:
        os.kill(pid, 9)
        raise SystemExit("the shell did not end on Ctrl-D; screen:\n" + out.decode(errors="replace"))
    try:
        read_more(0.2)
    except SystemExit:
        pass
print(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
PY
grep -qx $'symbols\r' "$T/screen" || fail "no result of the multi-line statement"
grep -q "query [0-9a-f-]\{36\}: SUCCEEDED" "$T/screen" || fail "no query summary"
grep -q "query [0-9a-f-]\{36\}: FAILED" "$T/screen" || fail "the failed query has no summary"
grep -qx "SELECT count(DISTINCT symbol)   AS symbols FROM trades;" "$T/history" ||
    fail "multi-line statement not in the history file: $(cat "$T/history")"
grep -qx ".tables" "$T/history" || fail ".tables not in the history"
grep -qx "SELECT lower('EDITED') AS x;" "$T/history" || fail "edited line not in the history"
grep -q "query [0-9a-f-]\{36\}: CANCELLED" "$T/screen" || fail "the cancelled query has no summary"
# Every statement run in the shell is in the lake's query history.
n=$("$TICKLAKE" history --lake "$lake" --format csv -n 0 | tail -n +2 | wc -l)
assert_ge "$n" 4 "queries in the history"
echo "ok: shell"
