#!/usr/bin/env bash
# No consumer skips records silently. A replay of 1,000,000 trades followed by `sink --drain` lands
# every row, or fails naming the topic, the partition and the offsets lost; never exit 0 with rows
# missing (the embedded broker keeps about 5 MiB per partition and drops the oldest). Also: a group
# whose position (a paused consumer) or committed offset falls below the log's start fails the same
# way: on the embedded broker by its memory limit, on a real broker by retention.
. "$(dirname "$0")/lib.sh"

P=$(unique_name tr).
GROUP=$(unique_name sink)
python3 - "$T/trades.csv" <<'EOF'
import random, sys
random.seed(7)
with open(sys.argv[1], "w") as f:
    f.write("symbol,timestamp,price,size\n")
    t = 1767600000000
    for i in range(1000000):
        f.write("S%03d,%d,%.2f,%d\n" % (random.randrange(50), t + i, 100 + random.random() * 10,
                                        random.randrange(1, 500)))
EOF

sink() { # sink LAKE [ARGS...]: a draining sink of the group into LAKE
    local lake=$1
    shift
    "$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$P" --group "$GROUP" --lake "$lake" \
        --intervals 1s --drain -q "$@"
}
lake_count() {
    "$TICKLAKE" crawl --lake "$1" -q >/dev/null
    "$TICKLAKE" query --lake "$1" --no-save --format csv "SELECT count(*) FROM trades" | tail -n 1
}

# 1. The replay: 1,000,000 rows delivered, then a sink that starts afterwards.
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$P" --source csv "$T/trades.csv" \
    --no-progress -q
rc=0
sink "$T/lake" >"$T/sink1.out" 2>"$T/sink1.err" || rc=$?
cat "$T/sink1.err" >&2
if [ "$KAFKA_KIND" = embedded ]; then
    # The broker dropped the oldest records of every partition before the group read them.
    assert_eq "$rc" 1 "sink after a replay larger than the embedded broker keeps: exit status"
    grep -Eq "topic '${P//./\\.}trades' partition [0-9]+: the log starts at offset [1-9][0-9]*: offsets 0\.\.[0-9]+ \([0-9]+ records\) were dropped before group '$GROUP' read them" "$T/sink1.err" ||
        fail "the error does not name the topic, partition and offsets lost"
    grep -q "ticklake broker --kafka" "$T/sink1.err" || fail "the error does not say what to do"
else
    assert_eq "$rc" 0 "sink on a real broker: exit status"
    assert_eq "$(lake_count "$T/lake")" 1000000 "rows in the lake after the 1,000,000-row replay"
fi

# 2. A consumer that falls behind the log's start while it runs.
P=$(unique_name tr2).
GROUP=$(unique_name sink2)
head -n 1001 "$T/trades.csv" >"$T/first.csv"
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$P" --source csv "$T/first.csv" \
    --no-progress -q
if [ "$KAFKA_KIND" = real ]; then
    # Retention that deletes every closed segment of 1 MiB, checked each second (kafka.sh sets
    # log.retention.check.interval.ms); the partition's log start moves past what the group read.
    java -cp "$ROOT/.cache/kafka-3.9.1/libs/*" kafka.admin.ConfigCommand --bootstrap-server "$BROKERS" \
        --entity-type topics --entity-name "${P}trades" --alter \
        --add-config segment.bytes=1048576,retention.bytes=1048576 >"$T/config.log" 2>&1 ||
        { cat "$T/config.log" >&2; fail "ConfigCommand failed"; }
fi
# The group reads the first 1,000 rows and commits them.
sink "$T/lake2" 2>"$T/sink2.err" || { cat "$T/sink2.err" >&2; fail "first draining sink failed"; }
assert_eq "$(lake_count "$T/lake2")" 1000 "rows after the first drain"
# A running member of another group, paused while the log moves on; resumed, it must not skip. Its
# session outlasts the pause, so it resumes with its position (not a new assignment from the
# committed offsets, which step 3 covers). Its own group: a member that stays paused for long keeps
# the next join of its group waiting for its rebalance timeout.
LIVE_GROUP=$(unique_name live)
cmd=("$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$P" --group "$LIVE_GROUP" --lake "$T/lake3"
    --intervals 1s -X session.timeout.ms=60000)
bg_start live "${cmd[@]}"
landed() { [ "$(lake_count "$T/lake3" 2>/dev/null)" = 1000 ]; }
wait_for 90 landed || fail "the live sink did not land the first 1,000 rows"
kill -STOP "$(bg_pid live)"
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$P" --source csv "$T/trades.csv" \
    --no-progress -q
log_start() { kcat -b "$BROKERS" -C -t "${P}trades" -p 0 -o beginning -c 1 -e -q -f '%o\n' 2>/dev/null; }
moved() { [ "$(log_start)" -gt 1000 ]; }
wait_for 60 moved || fail "the log start did not move past 1000 (now $(log_start))"
kill -CONT "$(bg_pid live)"
bg_wait live 60
assert_eq "$BG_STATUS" 1 "resumed sink behind the log's start: exit status"
grep -Eq "topic '${P//./\\.}trades' partition [0-9]+: group '$LIVE_GROUP' was at offset [0-9]+ but the log now starts at [0-9]+: offsets [0-9]+\.\.[0-9]+ \([0-9]+ records\) were lost before it read them" "$T/live.err" ||
    { cat "$T/live.err" >&2; fail "the resumed sink's error does not name the offsets lost"; }

# 3. A committed offset below the log's start: the next member fails before reading anything.
rc=0
sink "$T/lake2" 2>"$T/sink3.err" || rc=$?
assert_eq "$rc" 1 "sink whose committed offset is below the log's start: exit status"
grep -Eq "topic '${P//./\\.}trades' partition [0-9]+: group '$GROUP' committed offset [0-9]+, but the log now starts at [0-9]+: offsets [0-9]+\.\.[0-9]+ \([0-9]+ records\) were lost" "$T/sink3.err" ||
    { cat "$T/sink3.err" >&2; fail "the error does not name the committed offset and the loss"; }

# 4. Accepting the loss is explicit: -X auto.offset.reset=earliest goes on from the log's start.
sink "$T/lake2" -X auto.offset.reset=earliest 2>"$T/sink4.err" ||
    { cat "$T/sink4.err" >&2; fail "sink with -X auto.offset.reset=earliest failed"; }
echo "ok"
