#!/usr/bin/env bash
# bench/ingest.sh - simulator -> Kafka ticks per second, on a real broker and on
# the embedded one, in each record encoding (JSON and binary), side by side in
# the same run with the client's ceiling: kcat (librdkafka's producer) sending
# the identical pre-encoded records with the same producer settings
# (idempotent, acks=all, lz4, murmur2, linger 5 ms).
#
#   bench/ingest.sh [TICKS] [RUNS] [ENCODINGS]   (default 2000000 ticks, 3 runs, "json binary")
#
# EXTRA_X="-X linger.ms=20 ..." adds librdkafka properties to both ticklake
# and kcat (to compare producer settings). Prints each run and the medians;
# docs/PERFORMANCE.md records the results.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000000}
RUNS=${2:-3}
ENCODINGS=${3:-json binary}
read -r -a EXTRA <<<"${EXTRA_X:-}"
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
# Binary values may hold any byte, so kcat's records are framed with
# multi-byte separators (checked: kcat must send exactly N records).
KSEP='\x1f\x1e'
RSEP='\x1d\x1c\x1b\x1a'

sim() { echo --rate max --count "$N" --symbols 500 --seed 1 --start 2026-01-02 --encoding "$1"; }

records() { # brokers encoding: the records kcat sends, exactly what ticklake produces
    # (dumped from the real broker: the embedded one keeps only a few MiB per partition)
    # shellcheck disable=SC2046
    ./ticklake ingest --brokers "$1" --topic-prefix "rec-$2." $(sim "$2") -q 2>/dev/null
    kcat -C -b "$1" -t "rec-$2.trades" -e -q -f "%k$KSEP%s$RSEP" >"$WORK/records-$2"
}

bench() { # name brokers encoding
    local name=$1 b=$2 enc=$3 ours=() ceil=() tag="$1-$3"
    local sim
    read -r -a sim <<<"$(sim "$enc")"
    for r in $(seq "$RUNS"); do
        local t0 t1
        t0=$(now)
        ./ticklake ingest --brokers "$b" --topic-prefix "t$r-$tag." "${sim[@]}" "${EXTRA[@]}" -q 2>/dev/null
        t1=$(now)
        ours+=("$(rate "$N" "$t0" "$t1")")
        # Create the topic first, as ticklake does, so both time the same work.
        ./ticklake ingest --brokers "$b" --topic-prefix "k$r-$tag." --rate max --count 1 -q 2>/dev/null
        t0=$(now)
        kcat -P -b "$b" -t "k$r-$tag.trades" -K "$KSEP" -D "$RSEP" -l "${PRODUCER_X[@]}" "${EXTRA[@]}" \
            "$WORK/records-$enc"
        t1=$(now)
        ceil+=("$(rate "$N" "$t0" "$t1")")
        echo "$tag run $r: ticklake ${ours[-1]} ticks/s, kcat ${ceil[-1]} records/s"
    done
    if [ "$name" = real-kafka ]; then
        local sent
        sent=$(kcat -C -b "$b" -t "k1-$tag.trades" -e -q -f '.\n' | wc -l)
        [ "$sent" = $((N + 1)) ] || echo "$tag: WARNING kcat sent $sent records, expected $((N + 1))"
    fi
    local mo mc
    mo=$(printf '%s\n' "${ours[@]}" | median)
    mc=$(printf '%s\n' "${ceil[@]}" | median)
    echo "$tag: median ticklake $mo ticks/s, kcat $mc records/s, ratio $(awk -v a="$mo" -v b="$mc" 'BEGIN { printf "%.2f", a / b }'), $(awk -v c="$(wc -c <"$WORK/records-$enc")" -v n="$N" 'BEGIN { printf "%.1f", c / n - 6 }') bytes a record with its key"
}

addr=$(tests/kafka/kafka.sh start "$WORK/kafka")
for enc in $ENCODINGS; do
    records "$addr" "$enc"
    bench "real-kafka" "$addr" "$enc"
done
./ticklake broker >"$WORK/broker.out" 2>/dev/null &
BPID=$!
for _ in $(seq 50); do [ -s "$WORK/broker.out" ] && break; sleep 0.1; done
# The embedded broker keeps only a few MiB per partition; the timing is still valid.
for enc in $ENCODINGS; do bench "embedded" "$(head -1 "$WORK/broker.out")" "$enc"; done
