#!/usr/bin/env bash
# bench/e2e.sh - ticks per second through Kafka end to end: the simulator
# publishes COUNT trades as fast as it can (ingest --speed max) while a
# processor, already in its group, turns them into 1s/1m/5m bars, indicators
# and alerts with transactions; both on this machine beside the broker. The
# rate is COUNT / (time of the processor's last commit - ingest start).
# With START=after the processor joins 0.7 s after ingest starts and stops by
# itself once it has read everything (--drain), so the rate is COUNT / (its
# exit - ingest start); with START=before (the default) it is already waiting
# when the first trade arrives, as in a deployment, and the end is its last
# commit (it commits nothing when idle).
#
#   bench/e2e.sh BROKERS [COUNT] [SYMBOLS] [ENCODING] [RUNS]  (default 8000000 1000 binary 3)
#   TICKLAKE_BIN=path  the binary of ingest and the processor (default ./ticklake)
set -euo pipefail
cd "$(dirname "$0")/.."
B=$1
N=${2:-8000000}
SYMS=${3:-1000}
ENC=${4:-binary}
RUNS=${5:-3}
make -s ticklake
BIN=${TICKLAKE_BIN:-./ticklake}
ms() { date +%s%3N; }
START=${START:-before}
LOG=""
trap 'rm -f "$LOG"' EXIT
for ((r = 1; r <= RUNS; r++)); do
    P=e2e$RANDOM.
    if [ "$START" = after ]; then
        t0=$(ms)
        "$BIN" ingest --brokers "$B" --topic-prefix "$P" --rate 1000000 --speed max --count "$N" \
            --symbols "$SYMS" --seed "$r" --start 2026-02-03 --encoding "$ENC" -q 2>/dev/null &
        ipid=$!
        sleep 0.7
        "$BIN" process --brokers "$B" --topic-prefix "$P" --group "g$P" --lateness 200ms --drain \
            -q >/dev/null 2>"/tmp/$P.err"
        t2=$(ms)
        wait $ipid
        echo "run $r (processor joins after): $(tail -1 "/tmp/$P.err"); end to end" \
            "$(python3 -c "print(f'{$N / ($t2 - $t0) * 1000:,.0f} ticks/s ({($t2 - $t0) / 1000:.2f} s)')")"
        rm -f "/tmp/$P.err"
        continue
    fi
    LOG=$(mktemp /tmp/ticklake-e2e.XXXXXX)
    "$BIN" process --brokers "$B" --topic-prefix "$P" --group "g$P" --lateness 200ms -v \
        >/dev/null 2>"$LOG" &
    pid=$!
    # the processor is in its group once it has been assigned its partitions
    for _ in $(seq 100); do grep -q 'assigned' "$LOG" && break; sleep 0.1; done
    sleep 1
    t0=$(ms)
    "$BIN" ingest --brokers "$B" --topic-prefix "$P" --rate 1000000 --speed max --count "$N" \
        --symbols "$SYMS" --seed "$r" --start 2026-02-03 --encoding "$ENC" -q 2>/dev/null
    t1=$(ms)
    # done when every trade is processed and committed: wait until no commit
    # has happened for 2 s (the processor commits whenever it made progress)
    last=""
    while :; do
        sleep 2
        cur=$(grep -c 'transaction committed' "$LOG" || true)
        [ "$cur" = "$last" ] && break
        last=$cur
    done
    kill -TERM $pid
    wait $pid || true
    tl=$(grep 'transaction committed' "$LOG" | tail -1 | cut -d' ' -f1)
    tlast=$(date -d "$(date +%F) $tl" +%s%3N)
    got=$(sed -n 's/^ticklake process: \([0-9]*\) trades.*/\1/p' "$LOG")
    python3 -c "
n, got, t0, t1, tl = $N, ${got:-0}, $t0, $t1, $tlast
print(f'run $r (processor waiting): {got} of {n} trades processed; ingest {n / (t1 - t0) * 1000:,.0f}/s; '
      f'end to end {n / (tl - t0) * 1000:,.0f} ticks/s ({(tl - t0) / 1000:.2f} s)')"
    rm -f "$LOG"
done
