#!/usr/bin/env bash
# s3.sh - crawl and query an S3 lake, in place (httpfs) and through the local cache: cold vs warm,
# bytes downloaded.
#
#   bench/query/s3.sh [LAKE]     (default LAKE: .cache/bench/lake, made by bench/query/run.sh)
#   RUNS=N bench/query/s3.sh     runs of each query step (default 3; the median is printed)
#   WAN=DELAY:RATE bench/query/s3.sh
#                                the commands reach S3 through bench/wan_proxy.go, which holds
#                                bytes DELAY each way and paces each connection to RATE MB/s
#                                (e.g. WAN=10ms:80), as S3 seen from a cloud region; loopback has
#                                neither (the upload goes direct). Needs Go.
#   THREADS=N bench/query/s3.sh  --threads N for every query (default: ticklake's own, which is
#                                16 in place and one per core through the cache)
#   TICKLAKE_BIN=path bench/query/s3.sh   the binary (default ./ticklake, built first)
#   QUERIES=vwap bench/query/s3.sh
#                                the daily VWAP only (default all: daily VWAP and top movers)
#
# Starts a versitygw (tests/s3/s3server.sh) in a temporary folder, uploads LAKE's trades table with
# curl (SigV4), then times with an empty cache and again with a warm one: `ticklake crawl` (footers
# only, by ranged GETs), a second crawl (nothing changed), a crawl with a fresh cache while the
# catalog is in S3; then each query (daily VWAP, top movers) in place (`--s3-read in-place`: DuckDB
# reads the byte ranges it needs) and through the cache (`--s3-read cache`: the files are
# downloaded whole first), cold (a fresh cache folder per run) and warm (the same one again).
# Prints a Markdown table; the cache counters come from the commands' own summary line. Not part
# of the test suite.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAKE=${1:-$ROOT/.cache/bench/lake}
TL=${TICKLAKE_BIN:-$ROOT/ticklake}
S3=$ROOT/tests/s3/s3server.sh
W=$(mktemp -d "${TMPDIR:-/tmp}/ticklake-s3bench.XXXXXX")
cleanup() { "$S3" stop "$W/s3" >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT
[ -n "${TICKLAKE_BIN:-}" ] || make -C "$ROOT" -s ticklake >&2

# As S3 does, the server keeps connections open between requests (s3server.sh's default).
endpoint=$("$S3" start "$W/s3")
# shellcheck disable=SC1091
. "$W/s3/env"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
bucket=$(cat "$W/s3/bucket")
ini_get() { sed -n "s/^$2 *= *//p" "$1" | head -n 1; }
put() { # FILE KEY
    printf 'user = "%s:%s"\n' "$(ini_get "$W/s3/credentials" aws_access_key_id)" \
        "$(ini_get "$W/s3/credentials" aws_secret_access_key)" |
        curl -sS -f -o /dev/null -K - --aws-sigv4 "aws:amz:us-east-1:s3" -T "$1" \
            -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
            "$endpoint/$bucket/$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="/~"))' "$2")"
}
n=0
bytes=0
while IFS= read -r f; do
    put "$f" "lake/${f#"$LAKE"/}"
    n=$((n + 1))
    bytes=$((bytes + $(stat -c %s "$f")))
done < <(find "$LAKE/trades" -name '*.parquet' | sort)
echo "Uploaded $n objects, $bytes bytes (the trades table of $LAKE) to versitygw at $endpoint." >&2

url=s3://$bucket/lake
if [ -n "${WAN:-}" ]; then
    GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
    "$GO" build -o "$W/wan_proxy" "$ROOT/bench/wan_proxy.go"
    hostport=${endpoint#http://}
    "$W/wan_proxy" -upstream "$hostport" -delay "${WAN%%:*}" -rate "${WAN#*:}" >"$W/wan.addr" &
    wan_pid=$!
    trap 'kill $wan_pid 2>/dev/null || true; cleanup' EXIT
    for _ in $(seq 50); do [ -s "$W/wan.addr" ] && break; sleep 0.1; done
    [ -s "$W/wan.addr" ] || { echo "bench/wan_proxy.go did not start (WAN=DELAY:RATE, e.g. 10ms:80)" >&2; exit 1; }
    endpoint=http://$(cat "$W/wan.addr")
    echo "Through bench/wan_proxy.go at $endpoint: ${WAN%%:*} each way, ${WAN#*:} MB/s per connection." >&2
fi
opts=(--s3-endpoint "$endpoint" --s3-addressing path)
RUNS=${RUNS:-3}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# qstep LABEL MODE COLD|WARM SQL: RUNS runs of the query; COLD gives each run a fresh cache folder
# holding nothing (as a new machine), WARM reuses one that a first, untimed run filled. Prints the
# median and each run.
qstep() {
    local label=$1 mode=$2 temp=$3 sql=$4 i cache t0 t1 times=() summary
    for ((i = 1; i <= RUNS; i++)); do
        if [ "$temp" = COLD ]; then cache=$W/cold-$mode-$i; else cache=$W/warm-$mode; fi
        rm -rf "$W/cold-$mode-$i"
        if [ "$temp" = WARM ] && [ ! -d "$cache" ]; then
            "$TL" query --s3-read "$mode" --lake "$url" "${opts[@]}" --cache-dir "$cache" \
                ${THREADS:+--threads "$THREADS"} --no-save --format csv -o "$W/q.csv" "$sql" 2>/dev/null
        fi
        t0=${EPOCHREALTIME}
        "$TL" query -v --s3-read "$mode" --lake "$url" "${opts[@]}" --cache-dir "$cache" \
            ${THREADS:+--threads "$THREADS"} --no-save --format csv -o "$W/q-$mode.csv" "$sql" >"$W/out" 2>"$W/err"
        t1=${EPOCHREALTIME}
        times+=("$(python3 -c "print(f'{$t1 - $t0:.2f}')")")
        [ "$temp" = WARM ] || rm -rf "$cache"
    done
    summary=$(sed -n 's/.*s3 cache: //p' "$W/err" | tail -1)
    echo "| $label | $(printf '%s\n' "${times[@]}" | median) | ${times[*]} | $summary |"
}
step() { # label cache-dir command...
    local label=$1 cache=$2 t0 t1 summary
    shift 2
    t0=${EPOCHREALTIME}
    "$TL" "$@" "${opts[@]}" --cache-dir "$cache" >"$W/out" 2>"$W/err"
    t1=${EPOCHREALTIME}
    summary=$(sed -n 's/.*s3 cache: //p' "$W/err" | tail -1)
    echo "| $label | $(python3 -c "print(f'{$t1 - $t0:.2f}')") | $summary |"
}
q="SELECT * FROM top_movers(n := 10)"
echo "S3 lake: $n Parquet objects, $((bytes / 1048576)) MiB (the trades table); load average $(cut -d' ' -f1-3 /proc/loadavg)."
[ -z "${WAN:-}" ] || echo "Network: bench/wan_proxy.go, ${WAN%%:*} each way, ${WAN#*:} MB/s per connection."
echo
echo "| step | seconds | cache counters |"
echo "|---|---|---|"
step "crawl, empty cache (footers by ranged GETs)" "$W/cache" crawl --lake "$url"
step "crawl again, nothing changed" "$W/cache" crawl --lake "$url"
step "crawl with a fresh cache, catalog already in S3" "$W/cache2" crawl --lake "$url"
echo
echo "Queries: the median of $RUNS runs in seconds, then each run; a cold run gets an empty cache folder."
echo
echo "| query | median | runs | cache counters (last run) |"
echo "|---|---|---|---|"
vwap="SELECT * FROM vwap() ORDER BY symbol, window_start"
pairs=("daily VWAP:$vwap" "top movers:$q")
[ "${QUERIES:-all}" != vwap ] || pairs=("daily VWAP:$vwap")
for pair in "${pairs[@]}"; do
    name=${pair%%:*}
    sql=${pair#*:}
    qstep "$name, in place, cold" in-place COLD "$sql"
    qstep "$name, in place, warm" in-place WARM "$sql"
    qstep "$name, through the cache, cold (downloads the files)" cache COLD "$sql"
    qstep "$name, through the cache, warm" cache WARM "$sql"
    # Equal but for the last digits of sums (threads add doubles in any order).
    python3 - "$W/q-in-place.csv" "$W/q-cache.csv" <<'PY' || echo "WARNING: $name: the answers in place and through the cache differ" >&2
import csv, math, sys
a, b = (list(csv.reader(open(f))) for f in sys.argv[1:])
def same(x, y):
    try:
        return math.isclose(float(x), float(y), rel_tol=1e-9)
    except ValueError:
        return x == y
sys.exit(0 if len(a) == len(b) and all(len(r) == len(q) and all(map(same, r, q)) for r, q in zip(a, b)) else 1)
PY
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
