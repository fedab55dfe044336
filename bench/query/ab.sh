#!/usr/bin/env bash
# ab.sh - the same queries over two or more lakes, in turn, so each comparison sees the same load.
#
#   bench/query/ab.sh RUNS LAKE...     (each LAKE crawled already)
#
# Prints one line per run: query index, lake, wall seconds, CPU seconds (user + sys), 1-minute
# load average. docs/decisions/0023-parquet-zstd-v2-pages.md compares a Parquet 1 and a Parquet 2 lake so.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TL=$ROOT/ticklake
runs=$1
shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
qs=("SELECT * FROM vwap()"
    "SELECT symbol, date, sum(price * size) / sum(size) AS vwap FROM trades GROUP BY ALL"
    "SELECT * FROM top_movers(n := 10)"
    "SELECT * FROM top_movers(n := 10, from_date := DATE '2026-02-02', to_date := DATE '2026-02-02')"
    "SELECT * FROM ohlc(INTERVAL 1 minute, sym := 'SYM042')"
    "SELECT count(*) FROM trades")
for ((r = 0; r < runs; r++)); do
    for qi in "${!qs[@]}"; do
        for lake in "$@"; do
            /usr/bin/time -f "%e %U %S" -o "$out" \
                "$TL" query --lake "$lake" --threads 2 --no-save --format csv -o /dev/null "${qs[$qi]}"
            read -r w u s <"$out"
            echo "$qi $lake $w $(python3 -c "print(round($u + $s, 2))") $(cut -d' ' -f1 /proc/loadavg)"
        done
    done
done
