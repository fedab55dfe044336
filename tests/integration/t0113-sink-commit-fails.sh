#!/usr/bin/env bash
# The sink's offset commits fail as in a rebalance (ILLEGAL_GENERATION) after files were stored:
# the sink must then keep at most one stored-but-uncommitted file per partition (the naming
# argument of sink.h), or a later run that rolls its files elsewhere rewrites one of them and
# keeps the other, and its rows land twice. The sink is killed (kill -9) while commits fail, then
# a second sink that rolls by rows, not by time, drains the topic: every trade is in the lake
# exactly once. The embedded cluster fails the commits on command (`broker --control`).
. "$(dirname "$0")/lib.sh"
[ "$KAFKA_KIND" = embedded ] || skip "fails offset commits on command: embedded cluster only"

controlled_broker
brokers=$CONTROLLED_BROKERS

pre=$(unique_name cf).
group=$(unique_name g)
lake=$T/lake
N=12000
FAIL_SHOW="$T/sink1.err $T/sink2.err $T/broker.err"
bg_start ingest "$TICKLAKE" ingest --brokers "$brokers" --topic-prefix "$pre" --rate 1000 \
    --count $N --symbols 10 --seed 113 --start 2026-03-05 -q
sink=("$TICKLAKE" sink --brokers "$brokers" --topic-prefix "$pre" --group "$group" --lake "$lake"
    --intervals 1s -v)
# Files by time: one a partition every 0.7 s.
bg_start sink1 "${sink[@]}" --roll-interval 700ms --roll-rows 1000000
files() { grep -c "debug: sink: wrote .*trades" "$T/sink1.err" || true; }
wrote() { [ "$(files)" -ge 4 ]; }
wait_for 60 wrote || fail "the first sink wrote nothing"
echo "fail-commits 40" >&3
failing() { grep -q "the next 40 offset commits fail" "$T/broker.err"; }
wait_for 10 failing || fail "the broker took no fail-commits command"
# Let the failing commits meet several of the sink's files, then crash it.
at=$(files)
more() { [ "$(files)" -ge $((at + 6)) ]; }
wait_for 60 more || true
grep -q "offset commit failed: .*generation" "$T/sink1.err" || fail "the first sink met no failed commit"
bg_stop sink1 KILL
# The failures the first sink did not meet would only slow the second one's joins down.
echo "fail-commits 0" >&3
succeeding() { grep -q "offset commits succeed again" "$T/broker.err"; }
wait_for 10 succeeding || fail "the broker took no fail-commits 0 command"

bg_wait ingest 60
assert_eq "$BG_STATUS" 0 "ingest exit status"
# The second sink rolls by rows: its files start elsewhere than the first one's.
bg_start sink2 "${sink[@]}" --roll-rows 1700 --roll-interval 60s --drain
bg_wait sink2 120
assert_eq "$BG_STATUS" 0 "exit status of the draining sink"
"$TICKLAKE" crawl --lake "$lake" >/dev/null
got=$("$TICKLAKE" query --lake "$lake" --format csv \
    "SELECT count(*) || ' ' || count(DISTINCT id) FROM trades" | tail -1)
[ "$got" = "$N $N" ] || {
    grep -E "warn|sink: wrote" "$T/sink1.err" | tail -20 >&2
    fail "the lake holds '$got' (rows, distinct ids) of trades, expected '$N $N'"
}

# The files a sink reports are those the lake keeps: one stored whose commit then failed, and
# which the sink stores again under the same name, counts once (it was counted at its store).
lake3=$T/lake3
echo "fail-commits 3" >&3
wait_for 10 failing || fail "the broker took no fail-commits command"
"$TICKLAKE" sink --brokers "$brokers" --topic-prefix "$pre" --group "$(unique_name g)" \
    --lake "$lake3" --intervals 1s --roll-rows 2500 --roll-interval 60s --drain 2>"$T/sink3.err" ||
    fail "the third sink failed: $(tail -3 "$T/sink3.err")"
echo "fail-commits 0" >&3
grep -q "offset commit failed" "$T/sink3.err" || fail "the third sink met no failed commit: $(tail -3 "$T/sink3.err")"
stored=$(find "$lake3" -name '*.parquet' | wc -l)
grep -q "ticklake sink: $N rows in $stored files" "$T/sink3.err" ||
    fail "the summary does not count the $stored files in the lake: $(tail -1 "$T/sink3.err")"
echo "ok: commits failed under $(files) stored files, a crash, a drain that rolls elsewhere: $N trades exactly once; the files reported are the lake's"
