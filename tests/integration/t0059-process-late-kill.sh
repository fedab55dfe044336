#!/usr/bin/env bash
# Exactly-once with --late update on a real broker: a stream where one trade in eight comes up
# to 8 s late, so closed bars are corrected again and again (revisions) within a 5 s horizon and
# trades later than that are dead letters, is processed once without interruption and once with
# the processor killed (SIGKILL) at random points and restarted each time. The committed bars,
# revisions included, and the dead letters are the same: a restart rebuilds the retained bars
# from where their first trade was read, at the watermark it was read with, and goes on with the
# same revisions, publishing no correction twice and losing none
# (docs/decisions/0042-replay-rebuilds-retained-bars.md).
# The kill points are random; T0059_SEED=N replays a run's (the seed is printed).
. "$(dirname "$0")/lib.sh"
[ "$KAFKA_KIND" = real ] || skip "transactions are not honoured by the embedded broker"

seed=${T0059_SEED:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$seed
echo "seed $seed (replay the kill points with T0059_SEED=$seed)"
# 40 s of event time, 150 trades a second over 20 symbols, one in eight late by up to 8 s.
python3 - "$T/late.csv" <<'PY'
import random, sys, datetime
rnd = random.Random(59)
base = datetime.datetime(2026, 3, 2, 10, 0, 0, tzinfo=datetime.timezone.utc)
with open(sys.argv[1], "w") as f:
    f.write("symbol,timestamp,price,size\n")
    for i in range(6000):
        t = i / 150.0
        if rnd.random() < 0.125:
            t = max(0.0, t - rnd.uniform(0.5, 8.0))
        ts = base + datetime.timedelta(milliseconds=round(t * 1000))
        sym = "L%02d" % rnd.randrange(20)
        f.write("%s,%s.%03dZ,%.2f,%d\n" % (sym, ts.strftime("%Y-%m-%dT%H:%M:%S"),
                ts.microsecond // 1000, 50 + rnd.uniform(-5, 5), rnd.randrange(1, 500)))
PY
ingest() { # prefix [option...]
    "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$1" --source csv "${@:2}" "$T/late.csv" 2>/dev/null
}
read_topic() { kcat -C -b "$BROKERS" -t "$1" -e -q -X isolation.level=read_committed -f '%s\n' 2>/dev/null; }
committed_bars() { for iv in 1s 10s; do read_topic "${1}bars.$iv"; done | sort; }
dead_letters() { read_topic "${1}dlq" | sed 's/"topic":"[^"]*"//' | sort; } # without the prefix
# No idle timeout: windows close by event time only, so both runs close the same ones.
PROC=(process --brokers "$BROKERS" --intervals 1s,10s --lateness 200ms --idle-timeout 0
    --late update --late-horizon 5s -X session.timeout.ms=6000)

# The reference: every trade first, then one drained run.
ref=$(unique_name ref).
ingest "$ref"
"$TICKLAKE" "${PROC[@]}" --topic-prefix "$ref" --group "$(unique_name g)" --drain -q 2>"$T/ref.err" ||
    fail "the reference run failed: $(tail -3 "$T/ref.err")"
committed_bars "$ref" >"$T/ref.bars"
final=$(wc -l <"$T/ref.bars")
revised=$(grep -c '"revision":' "$T/ref.bars" || true)
echo "reference: $final bars, $revised of them corrections"
dead_letters "$ref" >"$T/ref.dlq"
echo "reference: $(wc -l <"$T/ref.dlq") dead letters (beyond the horizon)"
[ "$revised" -ge 200 ] || fail "only $revised corrections in the reference: nothing to compare"
[ "$(wc -l <"$T/ref.dlq")" -ge 50 ] || fail "too few trades beyond the horizon in the reference"

# Killed at random points while the trades arrive (paced: 40 s of event time in about 20 s).
pre=$(unique_name k).
group=$(unique_name g)
bg_start ingest "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --source csv --speed 2 \
    "$T/late.csv"
committed_after_close() {
    awk '/process: partition [0-9]+ closed [1-9][0-9]* bars/ { closed = 1 }
         closed && /process: transaction committed/ { found = 1; exit }
         END { exit !found }' "$T/$1.err"
}
prev=0
for round in 1 2 3; do
    bg_alive ingest || fail "the trades were all in before round $round (a slow machine): no kill mid-stream"
    bg_start "k$round" "$TICKLAKE" "${PROC[@]}" --topic-prefix "$pre" --group "$group" --instance-id 0 -v
    worked() { committed_after_close "k$round"; }
    wait_for 60 worked || { tail -5 "$T/k$round.err" >&2; fail "round $round committed no bars in 60 s"; }
    ms=$((RANDOM % 1001))
    sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
    bg_stop "k$round" KILL
    assert_eq "$BG_STATUS" 137 "round $round: exit status of the kill -9 (did it land?)"
    n=$(committed_bars "$pre" | wc -l)
    echo "round $round: killed $ms ms after it committed bars; $n of $final bars committed"
    [ "$n" -gt "$prev" ] || fail "round $round: the committed bars did not grow ($prev -> $n)"
    prev=$n
done
bg_wait ingest 60
assert_eq "$BG_STATUS" 0 "ingest exit status"
"$TICKLAKE" "${PROC[@]}" --topic-prefix "$pre" --group "$group" --instance-id 0 --drain -v 2>"$T/k4.err" ||
    fail "the last run failed: $(tail -3 "$T/k4.err")"
grep -Eq "process: partition [0-9]+ from offset [0-9]+ \(replaying open windows\)" "$T/k4.err" ||
    fail "the last run resumed from no committed offset"
committed_bars "$pre" >"$T/got.bars"
if ! cmp -s "$T/ref.bars" "$T/got.bars"; then
    echo "reference $final bars, got $(wc -l <"$T/got.bars")" >&2
    diff "$T/ref.bars" "$T/got.bars" | head -10 >&2 || true
    fail "after kill -9 and restarts the committed bars differ from the uninterrupted run's"
fi
dead_letters "$pre" >"$T/got.dlq"
cmp -s "$T/ref.dlq" "$T/got.dlq" || fail "the dead letters differ: $(wc -l <"$T/ref.dlq") against $(wc -l <"$T/got.dlq")"
echo "ok: process --late update exactly once across kill -9 ($final bars, $revised corrections, 3 kills)"
