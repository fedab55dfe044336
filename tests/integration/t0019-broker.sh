#!/usr/bin/env bash
# `ticklake broker`: --partitions is honoured for every topic of the pipeline, and refused (with what to
# do) where the embedded broker would auto-create a topic with 4; `--kafka` runs a durable Apache Kafka
# whose records survive a restart. Starts its own brokers (the runner's BROKERS is not used).
. "$(dirname "$0")/lib.sh"

# first_line NAME SECS: the first line bg NAME printed on stdout, waiting up to SECS for it.
first_line() {
    has_line() { [ -n "$(sed -n 1p "$T/$1.out")" ]; }
    wait_for "$2" has_line "$1" || { cat "$T/$1.err" >&2; fail "$1 printed no address in $2 s"; }
    sed -n 1p "$T/$1.out"
}
partitions_of() { # partitions_of BROKERS TOPIC
    kcat -b "$1" -L -t "$2" -m 10 2>/dev/null | sed -n "s/.*topic \"$2\" with \([0-9]*\) partitions.*/\1/p"
}

if [ "$KAFKA_KIND" = embedded ]; then
    # 1. The embedded broker creates every topic of the pipeline with --partitions.
    bg_start mock "$TICKLAKE" broker --partitions 16 --intervals 1s,1h
    addr=$(first_line mock 30)
    for topic in trades quotes index.daily bars.1s bars.1h indicators.1h alerts alerts.live dlq \
        ticklake-process-changelog; do
        assert_eq "$(partitions_of "$addr" "$topic")" 16 "partitions of '$topic'"
    done
    # 2. A topic it would auto-create cannot get another count: refused, saying what to do.
    rc=0
    "$TICKLAKE" ingest --brokers "$addr" --topic-prefix x. --partitions 8 --count 10 \
        2>"$T/ingest.err" || rc=$?
    assert_eq "$rc" 1 "ingest --partitions 8 onto a missing topic of the embedded broker"
    grep -q "has no topic 'x.trades' and creates topics with 4 partitions on first use, not the 8 asked for: start it with \`ticklake broker --partitions 8\`" "$T/ingest.err" ||
        { cat "$T/ingest.err" >&2; fail "the refusal does not say why and what to do"; }
    # ... while the broker's own topics (16) and the default (4) are fine.
    "$TICKLAKE" ingest --brokers "$addr" --partitions 16 --count 100 --speed max -q
    "$TICKLAKE" ingest --brokers "$addr" --topic-prefix y. --count 100 --speed max -q
    assert_eq "$(partitions_of "$addr" y.trades)" 4 "partitions of an auto-created topic"
    bg_stop mock
    assert_eq "$BG_STATUS" 0 "embedded broker exit status"
    echo ok
    exit 0
fi

# 3. A durable Apache Kafka (needs Java, which the real-broker run has): data kept across a restart.
command -v java >/dev/null || skip "no java"
BG_STOP_TIMEOUT=45 # ticklake gives Kafka 30 s to shut down cleanly
[ -d "$ROOT/.cache/kafka-3.9.1/libs" ] || skip "Kafka's jars are not fetched (tests/kafka/kafka.sh fetch)"
read -r port cport < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
durable=("$TICKLAKE" broker --kafka --data-dir "$T/kafka" --port "$port" --controller-port "$cport"
    --partitions 3 --heap 512m)
bg_start kafka "${durable[@]}"
addr=$(first_line kafka 120)
assert_eq "$addr" "127.0.0.1:$port" "the durable broker's address"
assert_eq "$(partitions_of "$addr" trades)" 3 "partitions of trades on the durable broker"
kcat -b "$addr" -L -t ticklake-process-changelog >/dev/null
"$TICKLAKE" ingest --brokers "$addr" --count 1000 --speed max -q
count() { kcat -b "$addr" -C -t trades -o beginning -e -q -f '%o\n' 2>/dev/null | wc -l; }
assert_eq "$(count)" 1000 "records before the restart"
bg_stop kafka TERM
assert_eq "$BG_STATUS" 0 "durable broker exit status after SIGTERM"
if pgrep -f "kafka.Kafka $T/kafka/server.properties" >/dev/null; then
    fail "the Kafka JVM outlived ticklake broker"
fi
: >"$T/kafka.out"
bg_start kafka2 "${durable[@]}"
addr=$(first_line kafka2 120)
assert_eq "$(count)" 1000 "records after the restart"
grep -q "formatting" "$T/kafka2.err" && fail "the restart formatted the data folder again"
bg_stop kafka2 TERM
assert_eq "$BG_STATUS" 0 "durable broker exit status after the second SIGTERM"
# Without the jars: a clear error, not a hang.
rc=0
"$TICKLAKE" broker --kafka --data-dir "$T/k2" --port "$port" --kafka-libs "$T/nothing" \
    2>"$T/nojars.err" || rc=$?
assert_eq "$rc" 1 "broker --kafka without jars"
grep -q "Kafka's jars are not in" "$T/nojars.err" || fail "no clear error without the jars"
echo ok
