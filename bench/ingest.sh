#!/usr/bin/env bash
# bench/ingest.sh - simulator -> Kafka ticks per second, on a real broker and on
# the embedded one, side by side in the same run with the client's ceiling: kcat
# (librdkafka's producer) sending the identical pre-encoded records with the
# same producer settings (idempotent, acks=all, lz4, murmur2).
#
#   bench/ingest.sh [TICKS] [RUNS]      (default 2000000 ticks, 3 runs)
#
# Prints each run and the medians; docs/benchmarks.md records the results.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000000}
RUNS=${2:-3}
WORK=$(mktemp -d /tmp/ticklake-bench.XXXXXX)
BPID=
cleanup() {
    [ -z "$BPID" ] || kill "$BPID" 2>/dev/null || true
    tests/kafka/kafka.sh stop "$WORK/kafka" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
PRODUCER_X=(-X enable.idempotence=true -X acks=all -X compression.type=lz4 -X linger.ms=5
    -X batch.num.messages=10000 -X batch.size=1000000 -X queue.buffering.max.messages=500000
    -X partitioner=murmur2_random)

bench() { # name brokers
    local name=$1 b=$2 ours=() ceil=()
    # The records kcat sends: exactly what ticklake produced, key<TAB>value.
    ./ticklake ingest --brokers "$b" --topic-prefix "rec-$name." --rate max --count "$N" \
        --symbols 500 --seed 1 --start 2026-01-02 -q 2>/dev/null
    kcat -C -b "$b" -t "rec-$name.trades" -e -q -f '%k\t%s\n' >"$WORK/records"
    for r in $(seq "$RUNS"); do
        local t0 t1
        t0=$(now)
        ./ticklake ingest --brokers "$b" --topic-prefix "t$r-$name." --rate max --count "$N" \
            --symbols 500 --seed 1 --start 2026-01-02 -q 2>/dev/null
        t1=$(now)
        ours+=("$(rate "$N" "$t0" "$t1")")
        # Create the topic first, as ticklake does, so both time the same work.
        ./ticklake ingest --brokers "$b" --topic-prefix "k$r-$name." --rate max --count 1 -q 2>/dev/null
        t0=$(now)
        kcat -P -b "$b" -t "k$r-$name.trades" -K $'\t' -l "${PRODUCER_X[@]}" "$WORK/records"
        t1=$(now)
        ceil+=("$(rate "$N" "$t0" "$t1")")
        echo "$name run $r: ticklake ${ours[-1]} ticks/s, kcat ${ceil[-1]} records/s"
    done
    local mo mc
    mo=$(printf '%s\n' "${ours[@]}" | median)
    mc=$(printf '%s\n' "${ceil[@]}" | median)
    echo "$name: median ticklake $mo ticks/s, kcat $mc records/s, ratio $(awk -v a="$mo" -v b="$mc" 'BEGIN { printf "%.2f", a / b }')"
}

addr=$(tests/kafka/kafka.sh start "$WORK/kafka")
bench "real-kafka" "$addr"
./ticklake broker >"$WORK/broker.out" 2>/dev/null &
BPID=$!
for _ in $(seq 50); do [ -s "$WORK/broker.out" ] && break; sleep 0.1; done
# The embedded broker keeps only a few MiB per partition; the timing is still valid.
bench "embedded" "$(head -1 "$WORK/broker.out")"
