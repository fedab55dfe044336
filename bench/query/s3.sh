#!/usr/bin/env bash
# s3.sh - crawl and query an S3 lake through the local cache: cold vs warm, bytes downloaded.
#
#   bench/query/s3.sh [LAKE]     (default LAKE: .cache/bench/lake, made by bench/query/run.sh)
#
# Starts a versitygw (tests/s3/s3server.sh) in a temporary folder, uploads LAKE's trades table with
# curl (SigV4), then times with an empty cache and again with a warm one: `ticklake crawl` (footers
# only, by ranged GETs), a second crawl (nothing changed), a crawl with a fresh cache while the
# catalog is in S3, and `ticklake query` (downloads the files of the catalog's partitions once).
# Prints a Markdown table; the cache counters come from the commands' own summary lines. Not part
# of the test suite.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAKE=${1:-$ROOT/.cache/bench/lake}
TL=$ROOT/ticklake
S3=$ROOT/tests/s3/s3server.sh
W=$(mktemp -d "${TMPDIR:-/tmp}/ticklake-s3bench.XXXXXX")
cleanup() { "$S3" stop "$W/s3" >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT
make -C "$ROOT" -s ticklake >&2

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
opts=(--s3-endpoint "$endpoint" --s3-addressing path)
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
echo "S3 lake: $n Parquet objects, $((bytes / 1048576)) MiB (trades, 100,000,000 rows); load average $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| step | seconds | cache counters |"
echo "|---|---|---|"
step "crawl, empty cache (footers by ranged GETs)" "$W/cache" crawl --lake "$url"
step "crawl again, nothing changed" "$W/cache" crawl --lake "$url"
step "crawl with a fresh cache, catalog already in S3" "$W/cache2" crawl --lake "$url"
step "query, cache holds footers only (downloads the files)" "$W/cache" query -v --lake "$url" --threads 2 --no-save --format csv -o "$W/q.csv" "$q"
step "query, warm cache" "$W/cache" query -v --lake "$url" --threads 2 --no-save --format csv -o "$W/q.csv" "$q"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
