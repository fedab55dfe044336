#!/usr/bin/env bash
# bench/latency-run.sh - trade -> alert at a push-stream client of the console
# that `ticklake run` serves, on its embedded broker.
#
#   bench/latency-run.sh [RATE] [SYMBOLS] [SECONDS] [RUNS]
#   (default 100000 ticks/s, 1000 symbols, 30 s, 1 run)
#
# `ticklake run` paces trades in real time (event time = wall time) with a
# flash crash and alert thresholds lowered for enough alerts to have a p99
# (PROCESS_ARGS, default "--alert-z 1.5 --alert-gap 0.05"); its processor
# hands each alert to the console in process (serve_alert). bench/sse_alerts.py
# follows /api/stream?kinds=alert and notes when each alert arrives;
# bench/latency ("file:" mode) then reads the trades from the embedded broker
# and matches each alert with the trade that closed its window (latency.c has
# the definition). WARMUP (s, default 5) leaves out the first seconds.
# TICKLAKE_BIN picks the binary (default ./ticklake).
# SSE_CLIENT picks the client script (default bench/sse_alerts.py); KEEP=1
# keeps each run's folder (run.err, the alerts file) and prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-100000}
SYMS=${2:-1000}
SECS=${3:-30}
RUNS=${4:-1}
make -s build/release/bench/latency ticklake
BIN=${TICKLAKE_BIN:-./ticklake}
for run in $(seq "$RUNS"); do
    D=$(mktemp -d /tmp/latrun.XXXXXX)
    # shellcheck disable=SC2086
    "$BIN" run --lake "$D/lake" --listen 127.0.0.1:0 --rate "$RATE" --symbols "$SYMS" --seed 5 \
        --scenario "flash-crash@$((SECS * 3 / 4))" --duration $((SECS + 60)) \
        ${PROCESS_ARGS:---alert-z 1.5 --alert-gap 0.05} >"$D/run.out" 2>"$D/run.err" &
    rpid=$!
    for _ in $(seq 100); do
        grep -q '^http://' "$D/run.out" 2>/dev/null && grep -q 'embedded broker at' "$D/run.err" && break
        sleep 0.1
    done
    URL=$(grep -m1 '^http://' "$D/run.out")
    B=$(sed -nE 's/.*embedded broker at ([^ ]+).*/\1/p' "$D/run.err" | head -1)
    # The embedded broker keeps only the newest records: latency reads the
    # trades while they come, and the alerts file once the client is done.
    build/release/bench/latency "$B" "" 1000000000 1s $((SECS + 2)) "file:$D/alerts" "${WARMUP:-5}" \
        >"$D/latency" 2>"$D/latency.err" &
    lpid=$!
    python3 "${SSE_CLIENT:-bench/sse_alerts.py}" "$URL" "$SECS" "$D/alerts" || {
        kill -TERM $rpid $lpid
        grep -E 'warn|error' "$D/run.err" | tail -5 >&2
        curl -s "${URL}metrics" | grep -E '^ticklake_stream_clients_dropped' >&2
        exit 1
    }
    wait $lpid || { cat "$D/latency.err" >&2; exit 1; }
    kill -TERM $rpid
    wait $rpid || true
    echo "run $run: ticklake run, $RATE ticks/s, $SYMS symbols, ${SECS}s, load $(cut -d' ' -f1 /proc/loadavg):"
    sed 's/^/    /' "$D/latency"
    if [ -n "${KEEP:-}" ]; then echo "kept $D"; else rm -rf "$D"; fi
done
