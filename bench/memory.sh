#!/usr/bin/env bash
# bench/memory.sh - resident memory of `ticklake process` against the number of
# symbols, on a real broker (transactions, changelog): ingest paces COUNT trades
# over SYMBOLS symbols at RATE/s in real time beside the processor (default
# intervals 1s,1m,5m: 3 series per symbol), and 3 s after the input ends the
# processor's VmHWM (peak) and VmRSS are read from /proc/PID/status.
#
# With RATE "backlog" the trades are produced first (as fast as possible,
# event time 100,000/s) and the processor then catches up with --drain: every
# commit then carries bars of all the symbols; its peak comes from
# /usr/bin/time (maximum resident set size).
#
#   bench/memory.sh BROKERS [SYMBOLS] [COUNT] [RATE|backlog]  (default 10000 1000000 50000)
#   TICKLAKE_BIN=path  the binary whose processor is measured (default ./ticklake)
#   START=ns           event time of the first trade (default now). The worst moment is a
#                      5-minute boundary, where every symbol closes a window of each interval at
#                      once: START=$(( ($(date +%s) / 300 * 300 + 290) * 1000000000 )) crosses
#                      one 10 s into the run, whatever the clock says.
set -euo pipefail
cd "$(dirname "$0")/.."
B=$1
SYMS=${2:-10000}
COUNT=${3:-1000000}
RATE=${4:-50000}
BIN=${TICKLAKE_BIN:-./ticklake}
make -s ticklake
P=mem$RANDOM.
if [ "$RATE" = backlog ]; then
    ./ticklake ingest --brokers "$B" --topic-prefix "$P" --rate 100000 --speed max --count "$COUNT" \
        --symbols "$SYMS" --seed 7 -q 2>/dev/null
    /usr/bin/time -f "%M %e %U %S" -o "/tmp/$P.time" "$BIN" process --brokers "$B" --topic-prefix "$P" \
        --group "g$P" --lateness 200ms --drain -q ${PROCESS_ARGS:-} >/dev/null
    read -r kb wall usr sys <"/tmp/$P.time"
    printf "%s symbols, %s trades caught up: peak RSS %.1f MB, %s s wall, %.2f s CPU (%s)\n" "$SYMS" "$COUNT" \
        "$(echo "$kb / 1000" | bc -l)" "$wall" "$(echo "$usr + $sys" | bc -l)" "$BIN"
    rm -f "/tmp/$P.time"
    exit 0
fi
"$BIN" process --brokers "$B" --topic-prefix "$P" --group "g$P" --lateness 200ms --idle-timeout 2s -q ${PROCESS_ARGS:-} \
    >/dev/null 2>"/tmp/$P.err" &
pid=$!
sleep 2
./ticklake ingest --brokers "$B" --topic-prefix "$P" --rate "$RATE" --count "$COUNT" --symbols "$SYMS" \
    --seed 7 ${START:+--start "$START"} -q 2>/dev/null
sleep 3
hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
kill -TERM $pid
wait $pid || true
printf '%s symbols, %s trades at %s/s: VmHWM %.1f MB, VmRSS %.1f MB (%s)\n' "$SYMS" "$COUNT" "$RATE" \
    "$(echo "$hwm / 1000" | bc -l)" "$(echo "$rss / 1000" | bc -l)" "$BIN"
rm -f "/tmp/$P.err"
