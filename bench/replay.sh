#!/usr/bin/env bash
# bench/replay.sh - CSV replay into Kafka, rows per second: `ticklake ingest
# --source csv` of an index file in the original data set's layout
# (indexProcessed-*.csv: Index,Date,Open,High,Low,Close,Adj Close,Volume,
# CloseUSD), ROWS rows (100 indices x ROWS/100 trading days, made once from a
# fixed seed), into a real Kafka 3.9.1 broker (tests/kafka/kafka.sh), timed from
# start to exit (every record acknowledged). Each run writes to fresh topics.
#
#   bench/replay.sh [ROWS] [RUNS]             (default 1000000 rows, 3 runs)
#   BROKERS=host:port bench/replay.sh         use a running Kafka instead of starting one
#   BINS="old=/tmp/old-ticklake new=./ticklake" bench/replay.sh
#                                             binaries side by side, runs interleaved
#   WARMUP=N bench/replay.sh                  N rounds first, not counted (default 2): a Java
#                                             broker's first runs measure its JIT, not ingest
#
# Prints each run (rows/s and CPU seconds of ingest) and the medians;
# docs/PERFORMANCE.md records the results.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
RUNS=${2:-3}
WORK=$(mktemp -d /tmp/ticklake-bench-replay.XXXXXX)
OWN_KAFKA=0
cleanup() {
    [ "$OWN_KAFKA" = 0 ] || tests/kafka/kafka.sh stop "$WORK/kafka" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

if [ -z "${BROKERS:-}" ]; then
    BROKERS=$(tests/kafka/kafka.sh start "$WORK/kafka")
    OWN_KAFKA=1
fi
BINS=${BINS:-ticklake=./ticklake}

# The file: 100 indices, each a run of consecutive weekdays, prices on a random walk.
python3 - "$WORK/indexProcessed-bench.csv" "$ROWS" <<'EOF'
import datetime, random, sys
random.seed(7)
path, rows = sys.argv[1], int(sys.argv[2])
per = max(1, rows // 100)
with open(path, "w") as f:
    f.write("Index,Date,Open,High,Low,Close,Adj Close,Volume,CloseUSD\n")
    n = 0
    for k in range(100):
        day, px = datetime.date(1970, 1, 1), 1000.0 + k
        for _ in range(per):
            if n == rows:
                break
            while day.weekday() >= 5:
                day += datetime.timedelta(days=1)
            o = px
            c = max(1.0, o * (1 + random.gauss(0, 0.01)))
            h, l = max(o, c) * 1.005, min(o, c) * 0.995
            f.write("IX%02d,%s,%.6f,%.6f,%.6f,%.6f,%.6f,%.1f,%.8f\n"
                    % (k, day.isoformat(), o, h, l, c, c, random.randrange(1, 10**9), c * 0.13))
            day += datetime.timedelta(days=1)
            px = c
            n += 1
EOF
echo "file: $ROWS rows, $(du -m "$WORK/indexProcessed-bench.csv" | cut -f1) MB; broker $BROKERS"

declare -A RATE=() CPU=()
WARMUP=${WARMUP:-2}
for i in $(seq $((1 - WARMUP)) "$RUNS"); do
    for b in $BINS; do
        bl=${b%%=*} bin=${b#*=}
        t0=$(now)
        /usr/bin/time -f "%U %S" -o "$WORK/time" "$bin" ingest --brokers "$BROKERS" \
            --topic-prefix "bench$$-$bl-$i." --source csv "$WORK/indexProcessed-bench.csv" \
            --no-progress -q 2>"$WORK/ingest.err" || {
            cat "$WORK/ingest.err" >&2
            exit 1
        }
        t1=$(now)
        rate=$(awk -v n="$ROWS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
        cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$WORK/time")
        if [ "$i" -le 0 ]; then
            echo "warm-up $bl: $rate rows/s, ingest CPU $cpu s"
            continue
        fi
        RATE[$bl]+="$rate "
        CPU[$bl]+="$cpu "
        echo "run $i $bl: $rate rows/s, ingest CPU $cpu s"
    done
done
for b in $BINS; do
    bl=${b%%=*}
    echo "median $bl: $(tr ' ' '\n' <<<"${RATE[$bl]}" | grep . | median) rows/s," \
        "CPU $(tr ' ' '\n' <<<"${CPU[$bl]}" | grep . | median) s"
done
