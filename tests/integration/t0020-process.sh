#!/usr/bin/env bash
# process: the bars it streams equal bars recomputed independently (Python)
# from the trades in Kafka, for every window that closed; once the input goes
# quiet the idle timeout closes the rest; a restart of the group adds no
# duplicate bars.
. "$(dirname "$0")/lib.sh"

pre=$(unique_name p).
group=$(unique_name g)
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate max --count 60000 \
    --symbols 30 --seed 3 --start 2026-01-02 -q
kcat -C -b "$BROKERS" -t "${pre}trades" -e -q -f '%p %s\n' >"$T/trades"
assert_eq "$(wc -l <"$T/trades")" 60000 "trades in Kafka"

bars() { kcat -C -b "$BROKERS" -t "${pre}bars.$1" -e -q -f '%s\n' 2>/dev/null; }
dump_bars() { { bars 1s; bars 10s; } >"$T/bars"; }
check() { dump_bars && python3 "$ROOT/tests/integration/barcheck.py" "$T/trades" "$T/bars" \
    --lateness-ns 200000000 --intervals 1s,10s "$@"; }
check_all() { check --all; }

# Without the idle timeout exactly the windows the watermarks passed close.
bg_start proc0 "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$pre" --group "$group-0" \
    --intervals 1s,10s --lateness 200ms --idle-timeout 0
wait_for 60 check || { check || true; cat "$T/proc0.err" >&2; fail "streamed bars differ from the recomputed ones"; }
sleep 3
check || fail "bars for windows that never closed"
bg_stop proc0 TERM
assert_eq "$BG_STATUS" 0 "process exit status after SIGTERM"
# Only its own group's output counts from here: a new prefix' bars are shared,
# so the second group writes to the same topics; start from a clean prefix.
pre=$(unique_name q).
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate max --count 60000 \
    --symbols 30 --seed 3 --start 2026-01-02 -q
kcat -C -b "$BROKERS" -t "${pre}trades" -e -q -f '%p %s\n' >"$T/trades"

# With it (2 s), the quiet partitions close every remaining window.
bg_start proc "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$pre" --group "$group" \
    --intervals 1s,10s --lateness 200ms --idle-timeout 2s
wait_for 60 check_all || { check_all || true; cat "$T/proc.err" >&2; fail "idle partitions did not close their windows"; }
bg_stop proc TERM
assert_eq "$BG_STATUS" 0 "process exit status after SIGTERM"
grep -q "60000 trades" "$T/proc.err" || fail "process did not report 60000 trades: $(tail -3 "$T/proc.err")"

# A restart resumes from the committed offsets and must not publish bars again;
# --drain stops it once every partition is read to its end (it waits for its
# assignment), so the comparison comes after it has seen everything.
before=$(wc -l <"$T/bars")
bg_start proc2 "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$pre" --group "$group" \
    --intervals 1s,10s --lateness 200ms --idle-timeout 2s --drain
bg_wait proc2 60
assert_eq "$BG_STATUS" 0 "restarted process exit status"
grep -Eq "process: partition [0-9]+ from offset [0-9]+" "$T/proc2.err" &&
    ! grep -Eq "process: partition [0-9]+ from offset -" "$T/proc2.err" ||
    fail "the restart did not resume every partition from a committed offset: $(grep 'process: partition' "$T/proc2.err")"
# Every window had closed (the idle timeout) and was committed: nothing is left to replay.
grep -q "ticklake process: 0 trades" "$T/proc2.err" ||
    fail "the restart replayed trades of closed windows: $(tail -1 "$T/proc2.err")"
check_all || fail "bars after a restart differ"
assert_eq "$(wc -l <"$T/bars")" "$before" "bars after a restart"
echo "ok: process"
