#!/usr/bin/env bash
# sink --instance-id: a sink killed with SIGKILL and restarted with the same id takes its partitions
# back at once (static membership), not after the killed member's session times out. The session
# timeout is 30 s here, so getting the partitions back within 10 s of the restart proves it; every
# trade still lands exactly once.
. "$(dirname "$0")/lib.sh"

# librdkafka's mock cluster (2.0.2 and 2.15.1 alike) ignores group.instance.id: a restarted member
# waits there for the killed one's session to time out whatever its id (with this script's skip
# removed, 2.15.1's took 30.9 s of the 30 s session; t0071 restarts sinks on it).
[ "$KAFKA_KIND" = real ] || skip "static membership needs a real broker (the embedded one ignores group.instance.id)"

pre=$(unique_name ss).
group=$(unique_name g)
lake=$T/lake
N=40000 # two ingests; ids restart with each, so (id, ts) tells rows apart
sink=("$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$pre" --group "$group" --lake "$lake"
    --intervals 1s --roll-rows 5000 --roll-interval 1s --instance-id a -X session.timeout.ms=30000 -v)
assigned() { grep -qE "kafka .*: assigned [1-9][0-9]* partitions" "$T/sink.err"; }
partitions() { sed -nE 's/.*kafka .*: assigned ([0-9]+) partitions.*/\1/p' "$1" | head -1; }
lake_rows() {
    [ -d "$lake/trades" ] && "$TICKLAKE" crawl --lake "$lake" >/dev/null &&
        "$TICKLAKE" query --lake "$lake" --format csv "SELECT count(*) || ' ' || count(DISTINCT (id, ts)) FROM trades" | tail -1
}

"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate max --count $((N / 2)) \
    --symbols 20 --seed 76 --start 2026-03-04 -q 2>"$T/ingest1.err" || { cat "$T/ingest1.err" >&2; fail "ingest failed"; }
bg_start sink "${sink[@]}"
wait_for 60 assigned || fail "the sink got no partitions: $(tail -5 "$T/sink.err")"
grep -q "sink: static member '${pre}${group}-a'" "$T/sink.err" || fail "no static member: $(grep -m3 sink: "$T/sink.err")"
wrote() { grep -q "debug: sink: wrote" "$T/sink.err"; }
wait_for 60 wrote || fail "the sink wrote nothing: $(tail -5 "$T/sink.err")"
bg_stop sink KILL
assert_eq "$BG_STATUS" 137 "sink killed"
cp "$T/sink.err" "$T/sink-killed.err"
before=$(partitions "$T/sink-killed.err")

# More trades while it is down; then the same id again.
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate max --count $((N / 2)) \
    --symbols 20 --seed 77 --start 2026-03-05 -q 2>"$T/ingest2.err" || { cat "$T/ingest2.err" >&2; fail "ingest failed"; }
t0=${EPOCHREALTIME/./}
bg_start sink "${sink[@]}"
wait_for 40 assigned || fail "the restarted sink got no partitions in 40 s: $(tail -5 "$T/sink.err")"
ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
echo "# partitions back $ms ms after the restart ($KAFKA_KIND; session timeout 30 s)" >&2
assert_eq "$(partitions "$T/sink.err")" "$before" "partitions after the restart"
[ "$ms" -lt 10000 ] || fail "the restarted sink waited $ms ms for its partitions (static membership: at once)"

all_landed() { [ "$(lake_rows)" = "$N $N" ]; }
wait_for 60 all_landed || fail "lake holds $(lake_rows) (rows, distinct (id, ts)), expected $N $N"
bg_stop sink TERM
assert_eq "$BG_STATUS" 0 "sink exit status after SIGTERM"
assert_eq "$(find "$lake" -name '.tmp-*' | wc -l)" 0 "temporary files left"
echo "ok: sink static membership ($KAFKA_KIND: partitions back in $ms ms, $N trades exactly once)"
