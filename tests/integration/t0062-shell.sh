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
import os, pty, select, sys, time

exe, lake = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(exe, [exe, "query", "--lake", lake])

out = b""
mark = 0  # output before mark has been matched already
def read_until(needle, timeout=20):
    global out, mark
    end = time.time() + timeout
    while needle.encode() not in out[mark:]:
        left = end - time.time()
        if left <= 0:
            raise SystemExit(f"timeout waiting for {needle!r}; screen so far:\n{out.decode(errors='replace')}")
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    mark = out.index(needle.encode(), mark) + len(needle)

def send(s):
    os.write(fd, s.encode())

read_until("ticklake> ")
send("SELECT count(DISTINCT symbol)\r")          # not complete: a continuation prompt
read_until("-> ")
send("  AS symbols FROM trades;\r")
read_until("(1 row)")
read_until("ticklake> ")
send(".tables\r")
read_until("trades")
read_until("ticklake> ")
send("SELEC oops;\r")                             # an error; the shell goes on
read_until("Parser Error")
read_until("ticklake> ")
send("SELECT 40 + 2 AS answer;\r")
read_until("42")
read_until("ticklake> ")
send("SELECT upper('alpha') AS a; SELECT upper('omega') AS b;\r")  # two statements, two results
read_until("ALPHA")
read_until("OMEGA")
read_until("ticklake> ")
send("SELECT upper('gamma') AS g; SELEC 2; SELECT upper('delta');\r")  # the failing one stops the rest
read_until("GAMMA")
read_until("statement 2 of 3 (line 1): Parser Error")
read_until("ticklake> ")
if b"DELTA" in out:
    raise SystemExit("a statement after the failing one ran:\n" + out.decode(errors="replace"))
send("\x1b[A\x1b[A\x1b[A\x1b[A\r")                  # Up four times: the failed statement again
read_until("Parser Error")
read_until("ticklake> ")
send("\x1b[A\x1b[A\x1b[B\x15SELECT 'edited' AS x;\r")  # browse, then Ctrl-U and a new line
read_until("edited")
read_until("ticklake> ")
send("SELECT count(*) FROM range(1000000000000);\r")  # runs for hours...
time.sleep(1.5)
send("\x03")                                      # ...until Ctrl-C cancels it, not the shell
read_until("query cancelled")
read_until("ticklake> ")
send("\x04")                                      # Ctrl-D leaves
end = time.time() + 20
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    if time.time() > end:
        os.kill(pid, 9)
        raise SystemExit("the shell did not end on Ctrl-D; screen:\n" + out.decode(errors="replace"))
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            out += os.read(fd, 65536)
        except OSError:
            pass
print(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
PY
grep -q "symbols" "$T/screen" || fail "no result of the multi-line statement"
grep -q "query [0-9a-f-]\{36\}: SUCCEEDED" "$T/screen" || fail "no query summary"
grep -q "query [0-9a-f-]\{36\}: FAILED" "$T/screen" || fail "the failed query has no summary"
grep -qx "SELECT count(DISTINCT symbol)   AS symbols FROM trades;" "$T/history" ||
    fail "multi-line statement not in the history file: $(cat "$T/history")"
grep -qx ".tables" "$T/history" || fail ".tables not in the history"
grep -qx "SELECT 'edited' AS x;" "$T/history" || fail "edited line not in the history"
grep -q "query [0-9a-f-]\{36\}: CANCELLED" "$T/screen" || fail "the cancelled query has no summary"
# Every statement run in the shell is in the lake's query history.
n=$("$TICKLAKE" history --lake "$lake" --format csv -n 0 | tail -n +2 | wc -l)
assert_ge "$n" 4 "queries in the history"
echo "ok: shell"
