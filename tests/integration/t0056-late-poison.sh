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
# A poison record the broker takes whole (990,000 control bytes) whose dead letter, escaped in
# full, would be six times the producer's limit: it is cut to fit and the stream goes on (the old
# code failed to produce it and stopped, on it again at every start).
head -c 990000 /dev/zero | tr '\0' '\001' >"$T/big.poison"
kcat -P -b "$BROKERS" -t "${pre}trades" -k LATE "$T/big.poison"
process drop "$pre"
# (grep reads the whole dead-letter topic here: with -q it would stop at a match, and kcat, still
# writing the large dead letter, would fail the pipeline.)
has_big() { dlq "$pre" | grep '"value_bytes":990000,"value_truncated":true}' >/dev/null; }
wait_for 30 has_big || fail "the large poison record's dead letter is missing: $(tail -3 "$T/proc-drop.err")"
has_poison() { dlq "$pre" | grep '"reason":"invalid JSON' >/dev/null; }
wait_for 30 has_poison || fail "poison record not in dlq: $(dlq "$pre" | head -3 | cut -c1-300)"
has_late() { dlq "$pre" | grep '"reason":"late: event time' >/dev/null; }
wait_for 30 has_late || fail "late trade not in dlq: $(dlq "$pre" | head -3 | cut -c1-300)"
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

# Restarts. Scenarios (a) and (b): the processor handles the records above (6 dead letters: the poison
# record and 5 late trades), stops with SIGTERM (a final commit), starts again in its group, and
# then reads one trade that is late (10:00:02, its 1 s window closed): exactly 7 dead letters.
# (a) Intervals 1s,1m: the open 1m window holds the committed offset at the first trade, so the
#     restart replays every record; the replayed ones sent their dead letters before (the old
#     code sent all 6 again).
# (b) Interval 1s: the idle timeout closed every window, so nothing is replayed; the late trade
#     meets the committed watermark (the old code opened a window for it whose bar was then
#     suppressed: the trade vanished, with no dead letter).
printf 'symbol,timestamp,price,size\nLATE,2026-01-05T10:00:02.000Z,8.0,10\n' >"$T/straggler.csv"
for case in a b; do
    pre=$(unique_name "restart-$case").
    g=$(unique_name g)
    ivs=1s
    [ "$case" = b ] || ivs=1s,1m
    setup "$pre"
    for run in 1 2; do
        bg_start "proc-$case$run" "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$pre" \
            --group "$g" --intervals "$ivs" --lateness 0 --idle-timeout 1s --late drop "${PARTS[@]}"
        if [ "$run" = 1 ]; then
            six() { [ "$(dlq "$pre" | wc -l)" -ge 6 ]; }
            wait_for 30 six || fail "($case) dead letters: $(dlq "$pre" | wc -l), want 6"
            # The last 1 s window closes on the idle timeout.
            last_closed() { bars "$pre" | grep -q '"window_start":1767607205000000000'; }
            wait_for 30 last_closed || fail "($case) the last window did not close: $(bars "$pre")"
            bg_stop "proc-$case$run" TERM
            assert_eq "$BG_STATUS" 0 "($case) process exit status"
        fi
    done
    started() { grep -q "partition .* from offset" "$T/proc-${case}2.err"; }
    wait_for 30 started || fail "($case) the restarted processor took no partition"
    "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --source csv "${PARTS[@]}" \
        "$T/straggler.csv" 2>/dev/null
    seven() { [ "$(dlq "$pre" | wc -l)" -ge 7 ]; }
    wait_for 30 seven || fail "($case) the late trade after the restart is not a dead letter"
    bg_stop "proc-${case}2" TERM
    assert_eq "$(dlq "$pre" | wc -l)" 7 "($case) dead letters after the restart"
    dlq "$pre" | tail -1 | grep -q '\\"price\\":8' || fail "($case) the last dead letter is not the late trade"
done
# (c) --late update across a restart. Run 1 reads the trades, its idle timeout closes the last
#     window (an advance of the watermark no record made), then reads the poison record and the
#     trades again: each corrects its closed bar (10:00:05's too, late only because of that
#     advance). It stops (on real Kafka SIGKILL, once its correction is committed; on the embedded
#     broker, which does not honour transactions, SIGTERM) and starts again; two stragglers follow: 10:00:05.5 corrects
#     that bar once more (revision 2 of 3 trades, as without the restart: the restart replays
#     from the retained bars' first trade, with the idle advance at its place), and 10:00:02
#     starts a bar for a window that had none (revision 0). Nothing is published twice. (The old
#     code had no retained bar after the restart: the first straggler made a bar of itself alone,
#     revision 0, which the committed watermark then suppressed, like the second: both vanished.)
cbars() { kcat -C -b "$BROKERS" -t "${1}bars.1s" -e -q -X isolation.level=read_committed 2>/dev/null; }
rbar() { # prefix window_start revision: that bar's records (revision 0 is left out of the JSON)
    if [ "$3" = 0 ]; then
        cbars "$1" | grep "\"window_start\":$2," | grep -v '"revision"' || true
    else
        cbars "$1" | grep "\"window_start\":$2," | grep "\"revision\":$3}" || true
    fi
}
keys() { # prefix: "window_start revision" of each committed bar
    cbars "$1" | sed -E 's/.*"window_start":([0-9]+),.*"revision":([0-9]+).*/\1 \2/;t;s/.*"window_start":([0-9]+),.*/\1 0/'
}
pre=$(unique_name restart-c).
g=$(unique_name g)
proc_c() {
    bg_start "proc-c$1" "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$pre" \
        --group "$g" --intervals 1s --lateness 0 --idle-timeout 1s --late update \
        --late-horizon 10m "${PARTS[@]}"
}
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --source csv "${PARTS[@]}" \
    "$T/late.csv" 2>/dev/null
proc_c 1
w5=1767607205000000000
w5_closed() { [ -n "$(rbar "$pre" $w5 0)" ]; }
wait_for 30 w5_closed || fail "(c) the last window did not close: $(bars "$pre")"
printf 'LATE\tnot a trade {\n' | kcat -P -b "$BROKERS" -t "${pre}trades" -K $'\t'
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --source csv "${PARTS[@]}" \
    "$T/late.csv" 2>/dev/null
w5_corrected() { [ -n "$(rbar "$pre" $w5 1)" ]; }
wait_for 30 w5_corrected || fail "(c) 10:00:05 was not corrected: $(bars "$pre")"
if [ "$KAFKA_KIND" = real ]; then
    bg_stop proc-c1 KILL
    assert_eq "$BG_STATUS" 137 "(c) process killed"
else
    bg_stop proc-c1 TERM
    assert_eq "$BG_STATUS" 0 "(c) process exit status"
fi
before=$(cbars "$pre" | wc -l)
proc_c 2
started() { grep -q "partition .* from offset" "$T/proc-c2.err"; }
wait_for 30 started || fail "(c) the restarted processor took no partition"
printf 'symbol,timestamp,price,size\nLATE,2026-01-05T10:00:05.500Z,8.0,10\nLATE,2026-01-05T10:00:02.000Z,7.0,5\n' \
    >"$T/stragglers.csv"
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --source csv "${PARTS[@]}" \
    "$T/stragglers.csv" 2>/dev/null
w2=1767607202000000000
both() { [ -n "$(rbar "$pre" $w5 2)" ] && [ -n "$(rbar "$pre" $w2 0)" ]; }
wait_for 30 both || fail "(c) after the restart: $(cbars "$pre" | tail -n +$((before + 1)))"
sleep 1
bg_stop proc-c2 TERM
rev2=$(rbar "$pre" $w5 2)
[[ $rev2 == *'"open":13,'* && $rev2 == *'"close":8,'* && $rev2 == *'"trades":3,'* && $rev2 == *'"volume":210,'* ]] ||
    fail "(c) the corrected bar after the restart is wrong: $rev2"
[[ $(rbar "$pre" $w2 0) == *'"trades":1}'* ]] || fail "(c) the new bar is wrong: $(rbar "$pre" $w2 0)"
assert_eq "$(cbars "$pre" | wc -l)" "$((before + 2))" "(c) bars after the restart (two)"
assert_eq "$(keys "$pre" | sort | uniq -d)" "" "(c) a (window, revision) published twice"
assert_eq "$(kcat -C -b "$BROKERS" -t "${pre}dlq" -e -q -X isolation.level=read_committed 2>/dev/null | wc -l)" 1 \
    "(c) dead letters (the poison record)"

# A trade stamped in 2199 (a bad clock: inside the accepted range) goes to dlq
# as a bad record, and the trades after it still make bars: admitted, it moved
# the partition's watermark to 2199, and every later trade was late.
pre=$(unique_name ahead).
cat >"$T/ahead.csv" <<'CSV'
symbol,timestamp,price,size
LATE,2026-01-05T10:00:00.100Z,10.0,100
LATE,2199-01-01T00:00:00.000Z,99.0,1
LATE,2026-01-05T10:00:01.100Z,11.0,100
LATE,2026-01-05T10:00:02.100Z,12.0,100
CSV
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --source csv "${PARTS[@]}" \
    "$T/ahead.csv" 2>/dev/null
# And a trade of LATE keyed by another name: in another partition it would
# make a second, partial bar of LATE's window.
printf 'OTHER\t{"symbol":"LATE","ts":1767607201500000000,"price":11.5,"size":7,"id":9}\n' |
    kcat -P -b "$BROKERS" -t "${pre}trades" -K $'\t'
process drop "$pre"
w1() { bars "$pre" | grep -q '"window_start":1767607201000000000'; }
wait_for 30 w1 || fail "no bar after the trade stamped 2199: $(bars "$pre"; dlq "$pre")"
dlq "$pre" | grep -q '"reason":"event time [0-9]* is [0-9]* s later than the record'"'"'s Kafka timestamp' ||
    fail "the trade stamped 2199 is not in dlq: $(dlq "$pre")"
dlq "$pre" | grep -q '"reason":"the record'"'"'s key '"'"'OTHER'"'"' is not its symbol '"'"'LATE'"'"'' ||
    fail "the trade keyed OTHER is not in dlq: $(dlq "$pre")"
assert_eq "$(dlq "$pre" | wc -l)" 2 "dead letters (the trade stamped 2199, the one keyed OTHER)"
[[ $(bars "$pre" | grep '"window_start":1767607201000000000') == *'"trades":1}'* ]] ||
    fail "the trade keyed OTHER is in a bar: $(bars "$pre")"
bg_stop proc-drop TERM
echo "ok: late and poison records, also across a restart; a trade stamped far ahead or misrouted"
