#!/usr/bin/env bash
# bench/sink.sh - Kafka -> Parquet rows per second: a topic is pre-filled with
# TICKS trades (ticklake ingest --rate max), then `ticklake sink --drain` reads
# it to its end and lands it, timed from start to exit (group join included),
# into a local lake and into S3 (versitygw on loopback), side by side in one
# run; plus the Parquet bytes per row. Real Kafka 3.9.1 (tests/kafka/kafka.sh):
# the embedded broker keeps only ~5 MiB per partition, too little to pre-fill.
#
#   bench/sink.sh [TICKS] [RUNS]        (default 4000000 ticks, 3 runs)
#   BROKERS=host:port bench/sink.sh     use a running Kafka instead of starting one
#   ENCODINGS="json binary" bench/sink.sh  the record encodings to compare (default: both),
#                                       each pre-filled into its own topic, runs interleaved
#   BINS="old=/tmp/old-ticklake new=./ticklake" bench/sink.sh
#                                       binaries to compare side by side, runs interleaved
#                                       (default: ./ticklake)
#   SETUPS="local1 local2" bench/sink.sh  which of local1 (one sink), local2 (two sinks, one
#                                       group) and s3 (one sink) to run (default: all three)
#   SINK_ARGS="--roll-rows 250000" bench/sink.sh  extra sink options (e.g. files that roll while
#                                       records are read, as in a steady stream)
#
# Local runs with one sink and with two (one consumer group: each takes half
# the partitions, one per core); S3 with one. CPU time (user + sys of the sink
# processes) per row is printed too: on a shared machine it is steadier than
# the wall clock.
#
# Prints each run and the medians; docs/PERFORMANCE.md records the results.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-4000000}
RUNS=${2:-3}
PARTS=${PARTS:-4}
WORK=$(mktemp -d /tmp/ticklake-bench-sink.XXXXXX)
OWN_KAFKA=0
cleanup() {
    [ "$OWN_KAFKA" = 0 ] || tests/kafka/kafka.sh stop "$WORK/kafka" >/dev/null 2>&1 || true
    tests/s3/s3server.sh stop "$WORK/s3" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

if [ -z "${BROKERS:-}" ]; then
    BROKERS=$(tests/kafka/kafka.sh start "$WORK/kafka")
    OWN_KAFKA=1
fi
SETUPS=${SETUPS:-local1 local2 s3}
S3_OK=0
if [[ " $SETUPS " == *" s3 "* ]] && tests/s3/s3server.sh start "$WORK/s3" >/dev/null 2>&1; then
    S3_OK=1
    # shellcheck disable=SC1091
    . "$WORK/s3/env"
    export TMPDIR=$WORK/tmp
    mkdir -p "$TMPDIR"
fi
ENCODINGS=${ENCODINGS:-json binary}
BINS=${BINS:-ticklake=./ticklake}
read -r -a SINK_EXTRA <<<"${SINK_ARGS:-}"
for enc in $ENCODINGS; do
    ./ticklake ingest --brokers "$BROKERS" --topic-prefix "bench$$-$enc." --partitions "$PARTS" \
        --rate max --count "$N" --symbols 500 --seed 1 --start 2026-03-04 --encoding "$enc" -q
    echo "topic bench$$-$enc.trades: $N trades in $PARTS partitions, $enc"
done

run_sink() { # bin kind instances run encoding -> prints "rows/s bytes/row cpu-us/row"
    local bl=${1%%=*} bin=${1#*=}
    shift
    local kind=$1 inst=$2 i=$3 enc=$4 pre=bench$$-$4. lake t0 t1 k pids=() extra=()
    if [ "$kind" = local ]; then
        lake=$WORK/lake-$bl-$i
    else
        lake=s3://$(cat "$WORK/s3/bucket")/lake-$bl-$kind-$inst-$i-$enc
        extra=(--s3-endpoint "$(cat "$WORK/s3/endpoint")" --s3-addressing path)
    fi
    t0=$(now)
    for k in $(seq 1 "$inst"); do
        /usr/bin/time -f "%U %S" -o "$WORK/time-$k" "$bin" sink --brokers "$BROKERS" \
            --topic-prefix "$pre" --group "bench-$bl-$kind-$inst-$i-$enc-$$" --lake "$lake" "${extra[@]}" \
            --intervals 1s --drain -q "${SINK_EXTRA[@]}" 2>"$WORK/sink-$k.err" &
        pids+=($!)
    done
    for k in "${!pids[@]}"; do
        wait "${pids[$k]}" || { cat "$WORK/sink-$((k + 1)).err" >&2; exit 1; }
    done
    t1=$(now)
    local rows=0 bytes=0 cpu=0 line
    for k in $(seq 1 "$inst"); do
        line=$(grep "rows in" "$WORK/sink-$k.err" | tail -1)
        rows=$((rows + $(echo "$line" | sed -E 's/.*: ([0-9]+) rows in.*/\1/')))
        bytes=$((bytes + $(echo "$line" | sed -E 's/.*\(([0-9]+) bytes\).*/\1/')))
        cpu=$(awk -v c="$cpu" '{ print c + $1 + $2 }' "$WORK/time-$k")
    done
    [ "$rows" = "$N" ] || { echo "$kind run $i landed $rows rows, expected $N" >&2; exit 1; }
    awk -v n="$N" -v a="$t0" -v b="$t1" -v by="$bytes" -v c="$cpu" -v k="$bl $kind x$inst $enc" -v i="$i" 'BEGIN {
        printf "%-24s run %d: %.2f s, %.0f rows/s, %.2f bytes/row, %.2f CPU s (%.2f us/row)\n", k, i, b - a, n / (b - a), by / n, c, c * 1e6 / n > "/dev/stderr"
        printf "%.0f %.2f %.2f\n", n / (b - a), by / n, c * 1e6 / n }'
    [ "$kind" = s3 ] || rm -rf "$lake"
}
has() { [[ " $SETUPS " == *" $1 "* ]]; }
for i in $(seq 1 "$RUNS"); do
    for enc in $ENCODINGS; do
        for b in $BINS; do
            bl=${b%%=*}
            ! has local1 || run_sink "$b" local 1 "$i" "$enc" >>"$WORK/local1-$bl-$enc"
            ! has local2 || run_sink "$b" local 2 "$i" "$enc" >>"$WORK/local2-$bl-$enc"
            ! has s3 || [ "$S3_OK" = 0 ] || run_sink "$b" s3 1 "$i" "$enc" >>"$WORK/s3res-$bl-$enc"
        done
    done
done
summary() { # file label
    [ -f "$1" ] || return 0
    echo "median $2: $(cut -d' ' -f1 "$1" | median) rows/s, $(cut -d' ' -f2 "$1" | median) bytes/row, $(cut -d' ' -f3 "$1" | median) CPU us/row"
}
for enc in $ENCODINGS; do
    for b in $BINS; do
        bl=${b%%=*}
        summary "$WORK/local1-$bl-$enc" "$bl local, 1 sink,  $enc"
        summary "$WORK/local2-$bl-$enc" "$bl local, 2 sinks, $enc"
        summary "$WORK/s3res-$bl-$enc" "$bl s3,    1 sink,  $enc"
    done
done
