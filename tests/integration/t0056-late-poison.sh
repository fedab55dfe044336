#!/usr/bin/env bash
# Late data and poison records in process: with --late drop a late trade goes
# to dlq with the reason and its window's bar leaves it out; with --late update
# the bar is published again with revision 1; a record that is not a trade goes
# to dlq and the stream goes on.
. "$(dirname "$0")/lib.sh"

# One symbol; the trade on line 5 is 3 s behind the one before it.
cat >"$T/late.csv" <<'CSV'
symbol,timestamp,price,size
LATE,2026-01-05T10:00:00.100Z,10.0,100
LATE,2026-01-05T10:00:01.100Z,11.0,100
LATE,2026-01-05T10:00:04.100Z,12.0,100
LATE,2026-01-05T10:00:00.500Z,9.0,50
LATE,2026-01-05T10:00:05.100Z,13.0,100
CSV

# One partition where topics can be created with it; the embedded broker refuses any count but its 4
# (one symbol lands in one partition anyway).
PARTS=()
[ "$KAFKA_KIND" = embedded ] || PARTS=(--partitions 1)

setup() { # prefix: the trades, a poison record, the trades again
    local pre=$1
    "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --source csv "${PARTS[@]}" \
        "$T/late.csv" 2>/dev/null
    # A poison record in the middle of the stream.
    printf 'LATE\tnot a trade {\n' | kcat -P -b "$BROKERS" -t "${pre}trades" -K $'\t'
    "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --source csv "${PARTS[@]}" \
        "$T/late.csv" 2>/dev/null # again: later offsets, the same (now late) event times
}
process() { # policy prefix
    bg_start "proc-$1" "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$2" \
        --group "$(unique_name g)" --intervals 1s --lateness 0 --idle-timeout 1s --late "$1" \
        "${PARTS[@]}"
}

bars() { kcat -C -b "$BROKERS" -t "${1}bars.1s" -e -q 2>/dev/null; }
dlq() { kcat -C -b "$BROKERS" -t "${1}dlq" -e -q 2>/dev/null; }

pre=$(unique_name drop).
setup "$pre"
process drop "$pre"
has_poison() { dlq "$pre" | grep -q '"reason":"invalid JSON'; }
wait_for 30 has_poison || fail "poison record not in dlq: $(dlq "$pre" | head -3)"
has_late() { dlq "$pre" | grep -q '"reason":"late: event time'; }
wait_for 30 has_late || fail "late trade not in dlq: $(dlq "$pre" | head -3)"
dlq "$pre" | grep '"reason":"late' | sed -n 1p | grep -q '\\"price\\":9' || fail "dlq holds the wrong late record"
closed() { bars "$pre" | grep -q '"window_start":1767607205000000000'; }
wait_for 30 closed || fail "windows did not close: $(bars "$pre")"
first=$(bars "$pre" | grep '"window_start":1767607200000000000' | sed -n 1p)
[[ $first == *'"trades":1}'* && $first == *'"open":10,'* ]] || fail "the dropped trade is in the bar: $first"
grep -q "bad record at" "$T/proc-drop.err" || fail "the poison record was not logged"
bg_stop proc-drop TERM
assert_eq "$BG_STATUS" 0 "process exit status"

pre=$(unique_name update).
setup "$pre"
process update "$pre"
revised() { bars "$pre" | grep '"window_start":1767607200000000000' | grep -q '"revision":1'; }
wait_for 30 revised || fail "no revision 1 bar: $(bars "$pre")"
rev=$(bars "$pre" | grep '"window_start":1767607200000000000' | grep '"revision":1' | sed -n 1p)
[[ $rev == *'"trades":2,'* && $rev == *'"open":10,'* && $rev == *'"low":9,'* && $rev == *'"volume":150,'* ]] ||
    fail "the corrected bar is wrong: $rev"
bg_stop proc-update TERM
echo "ok: late and poison records"
