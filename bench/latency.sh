#!/usr/bin/env bash
# bench/latency.sh - trade -> committed bar/alert latency at a paced rate, on
# a real broker (transactions), for one or more commit intervals.
#
#   bench/latency.sh BROKERS [RATE] [SYMBOLS] [SECONDS] [COMMIT_INTERVALS...]
#   (default 100000 ticks/s, 1000 symbols, 20 s, commit intervals 100ms 20ms)
#
# Ingest paces trades in real time (event time = wall time) with a flash
# crash so alerts fire; process runs with its defaults (1s,1m,5m, lateness
# 1 s); bench/latency measures (see latency.c for the exact definition), once
# as a read_committed consumer (exactly-once readers) and once read_uncommitted
# (when the processor's writes reach the broker), and once from alerts.live
# (alerts sent at once, outside the transactions: at least once).
# WARMUP (seconds, default 5) leaves out what arrives in the first seconds of
# the run (latency.c says why and prints how much).
# READERS picks the readers (default "committed uncommitted live"; each is a
# process on the same cores).
# PROCESS_ARGS and INGEST_ARGS add options to the two commands (e.g. -X ...).
set -euo pipefail
cd "$(dirname "$0")/.."
B=$1
RATE=${2:-100000}
SYMS=${3:-1000}
SECS=${4:-20}
shift $(($# < 4 ? $# : 4))
CIS=("$@")
[ ${#CIS[@]} -gt 0 ] || CIS=(100ms 20ms)
make -s build/release/bench/latency ticklake
BIN=${TICKLAKE_BIN:-./ticklake}
for ci in "${CIS[@]}"; do
    P=lat$RANDOM.
    "$BIN" process --brokers "$B" --topic-prefix "$P" --group "g$P" --commit-interval "$ci" -q ${PROCESS_ARGS:-} \
        >/dev/null 2>"/tmp/$P.process.err" &
    ppid=$!
    sleep 2
    pids=()
    for r in ${READERS:-committed uncommitted live}; do
        build/release/bench/latency "$B" "$P" 1000000000 1s $((SECS + 4)) "$r" "${WARMUP:-5}" >"/tmp/$P.latency-$r" &
        pids+=($!)
    done
    ./ticklake ingest --brokers "$B" --topic-prefix "$P" --rate "$RATE" --count $((RATE * SECS)) \
        --symbols "$SYMS" --seed 5 --scenario flash-crash@$((SECS * 3 / 4)) -q ${INGEST_ARGS:-} 2>/dev/null
    wait "${pids[@]}"
    kill -TERM $ppid
    wait $ppid || true
    echo "commit interval $ci, $RATE ticks/s, $SYMS symbols, ${SECS}s, load $(cut -d' ' -f1 /proc/loadavg):"
    for r in ${READERS:-committed uncommitted live}; do
        echo "  $r:"
        sed 's/^/    /' "/tmp/$P.latency-$r"
        rm -f "/tmp/$P.latency-$r"
    done
    rm -f "/tmp/$P.process.err"
done
