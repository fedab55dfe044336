#!/usr/bin/env bash
# Exactly-once processing on a real broker: kill -9 the processor at random
# points several times, restarting it each time; the committed bars, indicators
# and alerts equal those of an uninterrupted run, with nothing missing and
# nothing doubled (indicator and alert state comes back from the changelog).
# Every kill is shown to land on a working processor: it dies of SIGKILL (137)
# after committing a transaction, the committed bars grow from round to round
# (at least two kills land while 0 < committed < final), and each restarted
# round says it restored indicator state and resumed from committed offsets.
# A drained restart afterwards adds nothing. Then two instances share the group
# and one is killed after it committed: the same committed output.
# The kill points are random; T0050_SEED=N replays a run's (the seed is printed).
. "$(dirname "$0")/lib.sh"
[ "$KAFKA_KIND" = real ] || skip "transactions are not honoured by the embedded broker"

seed=${T0050_SEED:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$seed
echo "seed $seed (replay the kill points with T0050_SEED=$seed)"
N=100000
# The same seed and rate give the same trades in the same partition order; each
# run is paced (40 s of event time in about 10 s) so the processor is killed
# while trades still arrive. 40 one-second bars per symbol warm the indicators
# up, and a flash crash 20 s in raises alerts.
SIM=(--rate 2500 --speed 4 --count $N --symbols 40 --seed 21 --start 2026-02-03
    --scenario flash-crash@20 -q)
ingest() { "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$1" "${SIM[@]}"; }
ingest_bg() { bg_start "ingest-$1" "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$1" "${SIM[@]}"; }
read_topic() { kcat -C -b "$BROKERS" -t "$1" -e -q -X isolation.level=read_committed -f '%s\n' 2>/dev/null; }
committed_bars() { # prefix -> sorted committed bars
    for iv in 1s 10s; do read_topic "${1}bars.$iv"; done | sort
}
committed_all() { # prefix -> sorted committed bars, indicators and alerts, each tagged
    for t in bars.1s bars.10s indicators.1s indicators.10s alerts; do
        read_topic "$1$t" | sed "s/^/$t /"
    done | sort
}
proc() { # name prefix group instance [option...]
    bg_start "$1" "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$2" --group "$3" \
        --instance-id "$4" --intervals 1s,10s --lateness 200ms --idle-timeout 2s \
        -X session.timeout.ms=6000 "${@:5}"
}
# What a processor's log (run with -v) says: transactions committed, and a
# transaction committed after the run closed bars of its own (replayed windows
# whose bars were published before are not counted as closed); the restore of
# indicator state from the changelog on an assignment (on a restart with state:
# "restored N series", N > 0, and every partition from its committed offset,
# "partition P from offset O (replaying open windows)", never -1).
commits() { grep -c "process: transaction committed" "$T/$1.err" || true; }
committed_bars_logged() {
    awk '/process: partition [0-9]+ closed [1-9][0-9]* bars/ { closed = 1 }
         closed && /process: transaction committed/ { found = 1; exit }
         END { exit !found }' "$T/$1.err"
}
restore_logged() { grep -q "process: restored [0-9]* series" "$T/$1.err"; }
restored_state() {
    grep -Eq "process: restored [1-9][0-9]* series" "$T/$1.err" &&
        grep -Eq "process: partition [0-9]+ from offset [0-9]+ \(replaying open windows\)" "$T/$1.err" &&
        ! grep -Eq "process: partition [0-9]+ from offset -" "$T/$1.err"
}
restore_lines() { grep -E "process: (partition [0-9]+ from|restored)" "$T/$1.err" >&2 || true; }
# kill_random NAME WHAT: wait a random 0-1 s (from the seeded RANDOM) and
# kill -9 NAME; it must die of the signal.
kill_random() {
    local ms=$((RANDOM % 1001))
    kill_delay=$((ms / 1000)).$(printf %03d $((ms % 1000)))
    sleep "$kill_delay"
    bg_stop "$1" KILL
    assert_eq "$BG_STATUS" 137 "$2: exit status of the kill -9 (did it land?)"
}

# The reference: one uninterrupted run.
ref=$(unique_name ref).
ingest "$ref"
proc ref "$ref" "$(unique_name g)" 0
kcat -C -b "$BROKERS" -t "${ref}trades" -e -q -f '%p %s\n' >"$T/trades"
all_closed() { committed_bars "$ref" >"$T/ref.bars" && python3 "$ROOT/tests/integration/barcheck.py" \
    "$T/trades" "$T/ref.bars" --lateness-ns 200000000 --intervals 1s,10s --all; }
wait_for 120 all_closed || { all_closed || true; fail "the uninterrupted run did not produce every bar"; }
bg_stop ref TERM
committed_all "$ref" >"$T/ref.all"
count() { grep -c "^$1" "$T/$2" || true; }
echo "reference: $(count bars ref.all) bars, $(count indicators ref.all) indicators, $(count alerts ref.all) alerts"
[ "$(count alerts ref.all)" -ge 1 ] || fail "the reference run raised no alert: nothing to compare"
[ "$(count indicators ref.all)" = "$(count bars ref.all)" ] || fail "an indicator record per bar"
grep -q '"rsi":[0-9]' "$T/ref.all" || fail "indicators never warmed up: nothing to compare"

same_as_ref() { committed_all "$1" >"$T/got.all" && cmp -s "$T/ref.all" "$T/got.all"; }
report_diff() {
    for k in bars indicators alerts; do
        echo "$k: reference $(count $k ref.all), got $(count $k got.all)" >&2
    done
    diff "$T/ref.all" "$T/got.all" | head -10 >&2 || true
    # The inputs too, so a failure tells a processor error from different input.
    for p in "$ref" "$pre"; do
        echo "$p: $(read_topic "${p}trades" | wc -l) trades ($(read_topic "${p}trades" | sort | md5sum |
            cut -c1-12) sorted), $(read_topic "${p}dlq" | wc -l) dead letters" >&2
    done
}

# kill -9 at random points, restarting each time: each round is killed a
# random 0-1 s after it committed bars of its own (the 10 s of ingest leave
# room for the four rounds). Reading the committed bars while a processor
# commits takes seconds (kcat waits for the end of a moving stable offset), so
# they are counted after each kill only, or, once ingest is over (a slow
# machine), to see a round's work when the log shows none (windows closed by
# the idle timeout are not logged).
final=$(wc -l <"$T/ref.bars")
pre=$(unique_name k).
group=$(unique_name g)
ingest_bg "$pre"
sleep 1
prev=0 mid=0
grew() { [ "$(committed_bars "$pre" | wc -l)" -gt "$prev" ]; }
for round in 1 2 3 4; do
    proc "k$round" "$pre" "$group" 0 -v
    wait_for 60 restore_logged "k$round" || { tail -5 "$T/k$round.err" >&2; fail "round $round: no restore logged"; }
    if [ "$round" -gt 1 ] && ! restored_state "k$round"; then
        restore_lines "k$round"
        fail "round $round did not restore indicator state from the changelog and resume from committed offsets"
    fi
    worked() { committed_bars_logged "k$round" || { ! bg_alive "ingest-$pre" && grew; }; }
    [ "$prev" -ge "$final" ] || wait_for 60 worked ||
        { tail -5 "$T/k$round.err" >&2; fail "round $round committed no bars in 60 s"; }
    kill_random "k$round" "round $round"
    n=$(committed_bars "$pre" | wc -l)
    echo "round $round: killed ${kill_delay} s after it committed bars ($(commits "k$round") transactions), $n of $final bars committed"
    [ "$n" -gt "$prev" ] || [ "$prev" -ge "$final" ] || fail "round $round: the committed bars did not grow ($prev -> $n)"
    [ "$n" -le 0 ] || [ "$n" -ge "$final" ] || mid=$((mid + 1))
    prev=$n
done
[ "$mid" -ge 2 ] || fail "only $mid kills landed while 0 < committed bars < $final"
proc k5 "$pre" "$group" 0
wait_for 60 restore_logged k5 || { tail -5 "$T/k5.err" >&2; fail "round 5: no restore logged"; }
restored_state k5 || { restore_lines k5; fail "round 5 did not restore state and resume from committed offsets"; }
# Every trade of the run reached the topic, as ingest says (it fails on a
# record acknowledged without an offset, see t0010).
bg_wait "ingest-$pre" 60
assert_eq "$BG_STATUS" 0 "ingest exit status"
wait_for 120 same_as_ref "$pre" || { report_diff; fail "after kill -9 and restarts the committed output differs"; }
bg_stop k5 TERM
assert_eq "$BG_STATUS" 0 "process exit status after SIGTERM"
same_as_ref "$pre" || { report_diff; fail "bars arrived after the output was complete"; }
# A restart adds nothing: it resumes from the committed offsets, replays the
# open windows without publishing their bars again, and (--drain) exits once
# every partition is read to its end.
proc drain "$pre" "$group" 0 --drain
bg_wait drain 60
assert_eq "$BG_STATUS" 0 "exit status of the drained restart"
restored_state drain || { restore_lines drain; fail "the drained restart did not resume from committed offsets"; }
same_as_ref "$pre" || { report_diff; fail "a restart changed the committed output"; }
# The live feed is at least once: every committed alert is on alerts.live too
# (maybe more than once: alerts of a killed transaction are raised again).
read_topic "${pre}alerts" | sort -u >"$T/alerts.committed"
kcat -C -b "$BROKERS" -t "${pre}alerts.live" -e -q 2>/dev/null | sort -u >"$T/alerts.live"
missing=$(comm -23 "$T/alerts.committed" "$T/alerts.live" | wc -l)
assert_eq "$missing" 0 "committed alerts missing from alerts.live"
echo "alerts.live: $(wc -l <"$T/alerts.live") distinct, $(wc -l <"$T/alerts.committed") committed"

# Two instances in one group; one is killed mid-run, after it committed a
# transaction for its partitions, and not restarted.
pre=$(unique_name two).
group=$(unique_name g)
ingest_bg "$pre"
proc a "$pre" "$group" a
proc b "$pre" "$group" b -v
b_assigned() { grep -q "assigned [1-9][0-9]* partitions" "$T/b.err"; }
wait_for 60 b_assigned || { tail -5 "$T/b.err" >&2; fail "the second instance got no partitions"; }
wait_for 60 committed_bars_logged b || { tail -5 "$T/b.err" >&2; fail "the second instance committed no bars in 60 s"; }
kill_random b "the second instance"
echo "second instance: killed ${kill_delay} s after it committed bars ($(commits b) transactions)"
bg_wait "ingest-$pre" 60
assert_eq "$BG_STATUS" 0 "ingest exit status"
wait_for 150 same_as_ref "$pre" || { report_diff; fail "with one of two instances killed the committed output differs"; }
bg_stop a TERM
assert_eq "$BG_STATUS" 0 "process exit status after SIGTERM"
echo "ok: process exactly once"
