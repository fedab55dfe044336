#!/usr/bin/env bash
# run.sh - the query and crawl benchmark; prints a Markdown report (docs/PERFORMANCE.md holds one).
#
#   bench/query/run.sh [DIR]      (default DIR: .cache/bench)
#
# 1. DIR/lake: 100,000,000 trades in the pipeline's lake layout (bench/query/gen.py trades; made once,
#    about 6 minutes and 1.2 GB), crawled, then each query run RUNS times (default 5) with
#    `ticklake query --threads 2 --no-save --format csv -o FILE`; the report gives the fastest and
#    the median wall time of the whole command (process start, catalog, views, query, output), its
#    median CPU time (user + sys: less disturbed by other work on a shared machine than wall time)
#    and the range of the 1-minute load average before the runs.
# 2. DIR/parts: 10,000 date partitions (gen.py partitions), crawled from scratch, then again with
#    nothing changed, then after one new partition.
# Not part of the test suite. Needs the venv of tests/tools/venv.sh for the generator.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=${1:-$ROOT/.cache/bench}
RUNS=${RUNS:-5}
TL=$ROOT/ticklake
mkdir -p "$DIR"
make -C "$ROOT" -s ticklake >&2
py=$("$ROOT/tests/tools/venv.sh")

# now_s: seconds since the epoch with microseconds.
now_s() { echo "${EPOCHREALTIME}"; }
elapsed() { python3 -c "print(f'{$2 - $1:.3f}')"; }

if [ ! -f "$DIR/lake/.complete" ]; then
    rm -rf "$DIR/lake"
    echo "generating 100,000,000 trades in $DIR/lake ..." >&2
    t0=$(now_s)
    "$py" "$ROOT/bench/query/gen.py" trades "$DIR/lake" >&2
    echo "generated in $(elapsed "$t0" "$(now_s)") s" >&2
    "$py" "$ROOT/bench/query/gen.py" bars "$DIR/lake" >&2
    touch "$DIR/lake/.complete"
fi
rm -rf "$DIR/lake/_catalog" "$DIR/lake/_results"

echo "## Query benchmark"
echo
echo "Machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)."
echo "Command: \`bench/query/run.sh\` ($(date -u +%Y-%m-%d), ticklake $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), DuckDB 1.5.5)."
echo
t0=$(now_s)
"$TL" crawl --lake "$DIR/lake" >"$DIR/crawl.out"
t1=$(now_s)
"$TL" crawl --lake "$DIR/lake" >/dev/null
t2=$(now_s)
rows=$("$TL" query --lake "$DIR/lake" --no-save --format csv "SELECT count(*) FROM trades" | tail -1)
files=$(find "$DIR/lake/trades" -name '*.parquet' | wc -l)
bytes=$(du -sb "$DIR/lake/trades" | cut -f1)
echo "Data: $rows trades, $(ls "$DIR/lake/trades" | wc -l) date partitions, $files Parquet files (ZSTD, Parquet 2 pages), $((bytes / 1048576)) MiB; 500 symbols."
echo "Crawl of this lake: $(elapsed "$t0" "$t1") s from scratch, $(elapsed "$t1" "$t2") s unchanged."
echo
echo "| query | SQL | fastest (s) | median (s) | median CPU (s) | load | rows |"
echo "|---|---|---|---|---|---|---|"
bench() { # name sql: wall time of the whole command (fastest, median), its CPU time (user + sys,
    # median) and the 1-minute load average seen before each run (the machine is shared)
    local name=$1 sql=$2 times=() cpus=() loads=() i n w u s
    for ((i = 0; i < RUNS; i++)); do
        loads+=("$(cut -d' ' -f1 /proc/loadavg)")
        /usr/bin/time -f "%e %U %S" -o "$DIR/time.out" \
            "$TL" query --lake "$DIR/lake" --threads 2 --no-save --format csv -o "$DIR/out.csv" "$sql"
        read -r w u s <"$DIR/time.out"
        times+=("$w")
        cpus+=("$(python3 -c "print(f'{$u + $s:.2f}')")")
    done
    n=$(($(wc -l <"$DIR/out.csv") - 1))
    read -r fastest median < <(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[1], a[int((NR+1)/2)]}')
    read -r cpu < <(printf '%s\n' "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    read -r lmin lmax < <(printf '%s\n' "${loads[@]}" | sort -n | awk '{a[NR]=$1} END {print a[1], a[NR]}')
    echo "| $name | \`$sql\` | $fastest | $median | $cpu | $lmin-$lmax | $n |"
}
bench "daily VWAP per symbol" "SELECT * FROM vwap()"
bench "daily VWAP per symbol (plain SQL)" "SELECT symbol, date, sum(price * size) / sum(size) AS vwap FROM trades GROUP BY ALL"
bench "1-minute OHLC, one symbol, a month" "SELECT * FROM ohlc(INTERVAL 1 minute, sym := 'SYM042')"
bench "top movers, one day" "SELECT * FROM top_movers(n := 10, from_date := DATE '2026-02-02', to_date := DATE '2026-02-02')"
bench "top movers, the month" "SELECT * FROM top_movers(n := 10)"
bench "trade count" "SELECT count(*) FROM trades"
echo
echo "The same answers from the 1-minute bars the pipeline writes (bars_1m, $("$TL" query --lake "$DIR/lake" --no-save --format csv "SELECT count(*) FROM bars_1m" | tail -1) rows):"
echo
echo "| query | SQL | fastest (s) | median (s) | median CPU (s) | load | rows |"
echo "|---|---|---|---|---|---|---|"
bench "daily VWAP per symbol, from bars" "SELECT symbol, date, sum(turnover) / sum(volume) AS vwap FROM bars_1m GROUP BY ALL"
bench "1-minute OHLC, one symbol, a month, from bars" "SELECT * FROM bars_1m WHERE symbol = 'SYM042'"
bench "top movers, the month, from bars" "SELECT symbol, arg_min(open, window_start) AS first_price, arg_max(close, window_start) AS last_price, last_price / first_price - 1 AS ret FROM bars_1m GROUP BY symbol ORDER BY abs(ret) DESC, symbol LIMIT 10"

echo
echo "## Crawl benchmark: 10,000 partitions"
echo
if [ ! -f "$DIR/parts/.complete" ]; then
    rm -rf "$DIR/parts"
    "$py" "$ROOT/bench/query/gen.py" partitions "$DIR/parts" >&2
    touch "$DIR/parts/.complete"
fi
rm -rf "$DIR/parts/_catalog" "$DIR/parts/_results" "$DIR/parts/ticks/date=2100-01-01"
t0=$(now_s)
"$TL" crawl --lake "$DIR/parts" >"$DIR/crawl-parts.out"
t1=$(now_s)
"$TL" crawl --lake "$DIR/parts" >/dev/null
t2=$(now_s)
mkdir -p "$DIR/parts/ticks/date=2100-01-01"
cp "$DIR/parts/ticks/date=2000-01-01/"*.parquet "$DIR/parts/ticks/date=2100-01-01/"
t3=$(now_s)
"$TL" crawl --lake "$DIR/parts" >/dev/null
t4=$(now_s)
"$TL" query --lake "$DIR/parts" --no-save --format csv "SELECT count(*) FROM ticks" >/dev/null
t5=$(now_s)
"$TL" query --lake "$DIR/parts" --no-save --format csv "SELECT count(*) FROM ticks WHERE date = '2010-06-01'" >/dev/null
t6=$(now_s)
echo "| step | seconds |"
echo "|---|---|"
echo "| first crawl (10,000 partitions, 10,000 footers read) | $(elapsed "$t0" "$t1") |"
echo "| crawl again, nothing changed (no footer read) | $(elapsed "$t1" "$t2") |"
echo "| crawl after one new partition (1 footer read) | $(elapsed "$t3" "$t4") |"
echo "| query: count(*) over all 10,001 partitions | $(elapsed "$t4" "$t5") |"
echo "| query: count(*) of one partition (pruned) | $(elapsed "$t5" "$t6") |"
echo
echo "First crawl: $(cat "$DIR/crawl-parts.out")"
