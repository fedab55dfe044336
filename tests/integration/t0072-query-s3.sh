#!/usr/bin/env bash
# crawl and query an S3 lake (a real versitygw on loopback), in place (DuckDB's httpfs reads the
# objects) and through the local cache: the pipeline sinks into s3://bucket/lake, every object is
# downloaded with curl into a local copy, and the same queries in place, through the cache and over
# the copy must print the same rows, which the venv's Python DuckDB also computes from the copy.
# Also checked: the crawl reads only Parquet footers (ranged GETs) and an unchanged lake downloads
# nothing; an in-place query downloads nothing into the cache; a warm cache downloads nothing for a
# query; a fresh cache with a catalog in S3 reads no footer; the catalog, results and query metadata
# are objects in the lake; CREATE TABLE AS writes into S3; no query writes to or reads outside the
# lake's prefix (COPY TO s3://, INSERT); a deleted object leaves the catalog and the views; a wrong
# secret fails with a clear 403; GETs refused for good fail a cached query, and what did arrive
# stays cached. Only the sink needs Kafka, so the script runs once, on the
# embedded broker.
. "$(dirname "$0")/lib.sh"

[ "$KAFKA_KIND" = embedded ] || skip "the S3 query test reads S3 only; it runs on the embedded broker"
command -v curl >/dev/null || skip "curl is not installed"
started=$SECONDS
s3_start
url=s3://$bucket/lake
s3opts=(--s3-endpoint "$endpoint" --s3-addressing path)

# 1. The pipeline sinks a small lake into S3 (two date partitions: it starts before midnight UTC).
start_ns=$(($(date -u -d '2026-03-04 23:59:57' +%s) * 1000000000))
"$TICKLAKE" run --brokers "$BROKERS" --topic-prefix "$(unique_name s3q)." --duration 6 --lake "$url" \
    "${s3opts[@]}" --rate 3000 --symbols 12 --start "$start_ns" --status-interval 5s 2>"$T/run.err" ||
    { cat "$T/run.err" >&2; fail "run into S3 failed"; }

# s3req METHOD PATH OUT: a signed request with curl (keys on stdin, never in argv); prints the status.
ini_get() { sed -n "s/^$2 *= *//p" "$1" | head -n 1; }
s3req() {
    printf 'user = "%s:%s"\n' "$(ini_get "$T/s3/credentials" aws_access_key_id)" \
        "$(ini_get "$T/s3/credentials" aws_secret_access_key)" |
        curl -sS -X "$1" -o "$3" -w '%{http_code}' -K - --aws-sigv4 "aws:amz:us-east-1:s3" \
            -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$endpoint$2"
}
# keys PREFIX: every key under PREFIX/ (one ListObjectsV2 page is plenty here).
keys() {
    local code
    code=$(s3req GET "/$bucket?list-type=2&prefix=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1/")" "$T/list.xml")
    [ "$code" = 200 ] || fail "listing s3://$bucket/$1: HTTP $code"
    python3 - "$T/list.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
assert root.find(ns + "IsTruncated").text != "true"
for c in root.findall(ns + "Contents"):
    print(c.find(ns + "Key").text)
PY
}
# The local copy: every data object, downloaded with curl.
n=0
while IFS= read -r key; do
    rel=${key#lake/}
    mkdir -p "$T/copy/$(dirname "$rel")"
    code=$(s3req GET "/$bucket/$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="/~"))' "$key")" "$T/copy/$rel")
    [ "$code" = 200 ] || fail "GET s3://$bucket/$key: HTTP $code"
    n=$((n + 1))
done < <(keys lake)
assert_ge "$n" 8 "objects the sink wrote"
parquet_bytes=$(find "$T/copy" -name '*.parquet' -printf '%s\n' | awk '{s += $1} END {print s}')
nfiles=$(find "$T/copy" -name '*.parquet' | wc -l)

# 2. Crawl the S3 lake (cold cache): one footer per Parquet file, far fewer bytes than the files.
tl() { "$TICKLAKE" "$@" "${s3opts[@]}" --cache-dir "$T/cache"; }
sum_field() { sed -n "s/.*[,;:] \([0-9]*\) $1.*/\1/p" "$2" | tail -1; }
tl crawl --lake "$url" >"$T/crawl1.out" 2>"$T/crawl1.err" || fail "crawl of $url: $(cat "$T/crawl1.err")"
grep -q "^catalog version 1: " "$T/crawl1.out" || fail "first crawl: $(cat "$T/crawl1.out")"
grep -q "$nfiles files ($nfiles read" "$T/crawl1.out" || fail "first crawl read: $(cat "$T/crawl1.out")"
assert_eq "$(sum_field footers "$T/crawl1.err")" "$nfiles" "footers fetched by the first crawl"
assert_eq "$(sum_field 'downloaded whole' "$T/crawl1.err")" 0 "objects downloaded whole by the crawl"
down=$(sum_field 'bytes downloaded' "$T/crawl1.err")
[ "$down" -lt "$parquet_bytes" ] || fail "the crawl downloaded $down bytes of $parquet_bytes"
for k in _catalog/catalog.json _catalog/versions/1.json; do
    assert_eq "$(s3req GET "/$bucket/lake/$k" "$T/obj")" 200 "GET lake/$k"
done
tl crawl --lake "$url" >"$T/crawl2.out" 2>"$T/crawl2.err"
grep -q "^catalog version 1 (unchanged)" "$T/crawl2.out" || fail "second crawl: $(cat "$T/crawl2.out")"
assert_eq "$(sum_field 'bytes downloaded' "$T/crawl2.err")" 0 "bytes downloaded by an unchanged crawl"
"$TICKLAKE" crawl --lake "$T/copy" >"$T/crawl-copy.out"
assert_eq "$(sed 's/, [0-9]* bytes,/,/' "$T/crawl1.out")" "$(sed 's/, [0-9]* bytes,/,/' "$T/crawl-copy.out")" \
    "crawl summary of S3 vs the local copy"

# The catalog commands read the catalog from S3 too.
for cmd in "tables" "describe trades" "partitions trades"; do
    # shellcheck disable=SC2086 # the command and its table are two words
    tl $cmd --lake "$url" --format csv >"$T/cat-s3.csv" || fail "$cmd over S3"
    # shellcheck disable=SC2086
    "$TICKLAKE" $cmd --lake "$T/copy" --format csv >"$T/cat-copy.csv"
    cmp -s "$T/cat-s3.csv" "$T/cat-copy.csv" ||
        fail "$cmd over S3 vs the copy: $(diff "$T/cat-s3.csv" "$T/cat-copy.csv" | head -4)"
done
tl ddl --lake "$url" trades >"$T/ddl.sql" 2>/dev/null
grep -q "^LOCATION '$url/trades/'$" "$T/ddl.sql" || fail "ddl over S3: $(cat "$T/ddl.sql")"

# 3. The same queries over S3 (in place, the default, and through the cache) and over the local
# copy print the same rows.
queries=(
    "SELECT count(*), count(DISTINCT id), sum(size), min(ts), max(ts) FROM trades"
    "SELECT date, symbol, count(*) AS n, sum(price * size) AS turnover FROM trades GROUP BY ALL ORDER BY ALL"
    "SELECT * FROM vwap() ORDER BY symbol, window_start"
    "SELECT * FROM top_movers(n := 5)"
    "SELECT * FROM ohlc(INTERVAL 1 second, sym := 'AAPL') ORDER BY window_start"
    "SELECT * FROM bars_1s ORDER BY symbol, window_start"
    "SELECT date, count(*) FROM trades WHERE date = DATE '2026-03-05' GROUP BY ALL"
)
i=0
for sql in "${queries[@]}"; do
    i=$((i + 1))
    tl query -v --lake "$url" --format csv "$sql" >"$T/s3-$i.csv" 2>"$T/s3-$i.err" ||
        fail "query $i over S3 in place: $(cat "$T/s3-$i.err")"
    tl query -v --s3-read cache --lake "$url" --no-save --format csv "$sql" >"$T/s3c-$i.csv" \
        2>"$T/s3c-$i.err" || fail "query $i over S3 through the cache: $(cat "$T/s3c-$i.err")"
    "$TICKLAKE" query --lake "$T/copy" --no-save --format csv "$sql" >"$T/copy-$i.csv"
    cmp -s "$T/s3-$i.csv" "$T/copy-$i.csv" || fail "query $i in place differs: $sql: $(diff "$T/s3-$i.csv" "$T/copy-$i.csv" | head -5)"
    cmp -s "$T/s3c-$i.csv" "$T/copy-$i.csv" || fail "query $i through the cache differs: $sql: $(diff "$T/s3c-$i.csv" "$T/copy-$i.csv" | head -5)"
done
assert_ge "$(wc -l <"$T/s3-2.csv")" 13 "rows of query 2"
# In place, a query downloads nothing (the crawl left the catalog and the footers in the cache);
# with a fresh cache it downloads the catalog and only lists the trades files (stubs in the
# mirror): DuckDB reads them from S3. Through the cache, the first query downloaded them once
# (only the table it names); the others found them cached.
ntrades=$(find "$T/copy/trades" -name '*.parquet' | wc -l)
assert_eq "$(sum_field 'bytes downloaded' "$T/s3-1.err")" 0 "bytes downloaded by an in-place query"
# What DuckDB read from S3 is the query's bytes_scanned: some, and less than the table's files.
scanned=$(sed -n 's/.* \([0-9]*\) bytes scanned.*/\1/p' "$T/s3-2.err")
assert_ge "${scanned:-0}" 1 "bytes scanned by an in-place query"
[ "$scanned" -lt "$parquet_bytes" ] || fail "an in-place query scanned $scanned bytes of $parquet_bytes"
"$TICKLAKE" query -v --lake "$url" "${s3opts[@]}" --cache-dir "$T/cache5" --no-save --format csv \
    "${queries[0]}" >"$T/fresh.csv" 2>"$T/fresh.err" || fail "in place, fresh cache: $(cat "$T/fresh.err")"
cmp -s "$T/fresh.csv" "$T/copy-1.csv" || fail "in place with a fresh cache: $(cat "$T/fresh.csv")"
assert_eq "$(sum_field stubs "$T/fresh.err")" "$ntrades" "trades files listed by an in-place query"
assert_eq "$(sum_field 'downloaded whole' "$T/fresh.err")" 1 "objects downloaded in place (catalog.json)"
assert_eq "$(sum_field 'downloaded whole' "$T/s3c-1.err")" "$ntrades" "files downloaded by the first cached query"
assert_eq "$(sum_field 'bytes downloaded' "$T/s3c-2.err")" 0 "bytes downloaded by a warm cached query"
# The venv's DuckDB (same release, its own reader) computes query 2 from the copy: same answer.
py=$("$ROOT/tests/tools/venv.sh") || fail "unable to set up the Python venv (tests/tools/venv.sh)"
"$py" - "$T/copy" "$T/s3-2.csv" <<'PY' || fail "the in-place answer differs from Python DuckDB's"
import csv, math, sys
import duckdb
rows = duckdb.sql(f"""SELECT CAST(date AS VARCHAR), symbol, count(*), sum(price * size)
    FROM read_parquet('{sys.argv[1]}/trades/*/*.parquet', hive_partitioning = true)
    GROUP BY ALL ORDER BY ALL""").fetchall()
got = list(csv.reader(open(sys.argv[2])))[1:]
assert len(got) == len(rows), (len(got), len(rows))
for (d, s, n, t), g in zip(rows, got):
    assert [d, s, str(n)] == g[:3], (d, s, n, g)
    assert math.isclose(t, float(g[3]), rel_tol=1e-12), (t, g)
PY

# No query writes into the lake or reads outside its prefix, in place as through the cache.
for how in in-place cache; do
    for sql in "COPY (SELECT 1 AS x) TO '$url/trades/evil.csv'" \
        "COPY (SELECT 1 AS x) TO 's3://$bucket/evil.parquet' (FORMAT parquet)" \
        "INSERT INTO trades SELECT * FROM trades LIMIT 1" \
        "WITH x AS (SELECT 1) SELECT * FROM read_parquet('s3://$bucket/elsewhere/*.parquet')"; do
        rc=0
        tl query --s3-read "$how" --lake "$url" --no-save "$sql" >/dev/null 2>"$T/refused.err" || rc=$?
        assert_eq "$rc" 1 "exit status of '$sql' ($how)"
        grep -q -i "not allowed\|permission" "$T/refused.err" ||
            fail "'$sql' ($how) was not refused as a policy: $(cat "$T/refused.err")"
    done
done
if keys lake | grep -q evil; then fail "a query wrote into the lake"; fi
assert_eq "$(s3req GET "/$bucket/evil.parquet" "$T/head.out")" 404 "GET of an object a COPY named"

# 4. Results and metadata are objects in the lake; history reads them from S3.
id=$(sed -n 's/^query \([0-9a-f-]*\): SUCCEEDED.*/\1/p' "$T/s3-4.err")
[ -n "$id" ] || fail "no query id: $(cat "$T/s3-4.err")"
assert_eq "$(s3req GET "/$bucket/lake/_results/$id.csv" "$T/result.csv")" 200 "GET the saved result"
cmp -s "$T/result.csv" "$T/s3-4.csv" || fail "the saved result differs from the printed one"
assert_eq "$(s3req GET "/$bucket/lake/_results/$id.json" "$T/result.json")" 200 "GET the query metadata"
"$TICKLAKE" history --lake "$url" "${s3opts[@]}" --cache-dir "$T/cache2" --format csv -n 0 >"$T/history.csv"
assert_eq "$(($(wc -l <"$T/history.csv") - 1))" "${#queries[@]}" "queries in the history from S3"
"$TICKLAKE" history --lake "$url" "${s3opts[@]}" --cache-dir "$T/cache2" "$id" >"$T/one.json"
grep -q '"status": *"SUCCEEDED"' "$T/one.json" || fail "history of $id: $(cat "$T/one.json")"

# A query brings in only the tables it names: bars_1s alone from a fresh cache. A table it does
# not name cannot be read: the only way to name one out of the policy's sight, query_table() with
# a computed name, is refused (a view over such a table fails when read, never answers empty:
# test_catalog test_crawl_and_attach).
nbars=$(find "$T/copy/bars_1s" -name '*.parquet' | wc -l)
"$TICKLAKE" query -v --lake "$url" "${s3opts[@]}" --cache-dir "$T/cache4" --no-save --format csv \
    --s3-read cache "SELECT count(*) FROM bars_1s" >"$T/bars.csv" 2>"$T/bars.err"
assert_eq "$(sum_field 'downloaded whole' "$T/bars.err")" "$((nbars + 1))" \
    "files a bars_1s query downloaded (and catalog.json)"
for read in cache in-place; do
    rc=0
    "$TICKLAKE" query --lake "$url" "${s3opts[@]}" --cache-dir "$T/cache4" --no-save --s3-read "$read" \
        "SELECT count(*) FROM (SELECT 1) CROSS JOIN query_table('tra' || 'des')" >/dev/null 2>"$T/absent.err" || rc=$?
    assert_eq "$rc" 1 "exit status of a query ($read) reading a table by a computed name"
    grep -q "query_table() is not allowed in lake queries" "$T/absent.err" ||
        fail "query_table ($read) not refused: $(cat "$T/absent.err")"
done

# 5. A fresh cache: the catalog in S3 already knows every file, so a crawl reads no footer.
"$TICKLAKE" crawl --lake "$url" "${s3opts[@]}" --cache-dir "$T/cache3" >"$T/crawl3.out" 2>"$T/crawl3.err"
grep -q "^catalog version 1 (unchanged)" "$T/crawl3.out" || fail "crawl with a fresh cache: $(cat "$T/crawl3.out")"
assert_eq "$(sum_field footers "$T/crawl3.err")" 0 "footers read with a fresh cache and a catalog"

# 6. CREATE TABLE AS writes a table into S3 and registers it.
tl query --lake "$url" "CREATE TABLE per_symbol AS SELECT symbol, count(*) AS n FROM trades GROUP BY 1" >"$T/ctas.out"
keys lake/per_symbol | grep -q '^lake/per_symbol/[0-9a-f-]*\.parquet$' || fail "no CTAS object in S3"
assert_eq "$(tl query --lake "$url" --no-save --format csv "SELECT sum(n) FROM per_symbol" | tail -1)" \
    "$(tail -1 "$T/copy-1.csv" | cut -d, -f1)" "rows counted by the CTAS table"
# After CREATE TABLE AS, the session's views are made again: in place (a fresh cache: stubs only),
# they still read S3.
"$TICKLAKE" query --lake "$url" "${s3opts[@]}" --cache-dir "$T/cache6" --no-save --format csv "CREATE TABLE per_day AS SELECT date, count(*) AS n FROM trades GROUP BY 1;
    SELECT count(*), count(DISTINCT id), sum(size), min(ts), max(ts) FROM trades" >"$T/ctas2.out" 2>"$T/ctas2.err" ||
    fail "a query after CREATE TABLE AS in place: $(cat "$T/ctas2.err")"
assert_eq "$(tail -1 "$T/ctas2.out")" "$(tail -1 "$T/copy-1.csv")" "trades after CREATE TABLE AS in one session"

# 7. An object deleted from S3 leaves the catalog and the views at the next crawl and query.
victim=$(keys lake/trades | sed -n 1p)
assert_eq "$(s3req DELETE "/$bucket/$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="/~"))' "$victim")" "$T/del.out")" 204 \
    "DELETE $victim"
rm "$T/copy/${victim#lake/}"
tl crawl --lake "$url" >"$T/crawl4.out" 2>"$T/crawl4.err"
grep -q "^catalog version 4:" "$T/crawl4.out" || fail "crawl after a delete: $(cat "$T/crawl4.out")"
grep -q " 1 removed" "$T/crawl4.err" || fail "the cache kept the deleted object: $(cat "$T/crawl4.err")"
"$TICKLAKE" crawl --lake "$T/copy" >/dev/null
tl query --lake "$url" --no-save --format csv "${queries[0]}" >"$T/after.csv"
"$TICKLAKE" query --lake "$T/copy" --no-save --format csv "${queries[0]}" >"$T/after-copy.csv"
cmp -s "$T/after.csv" "$T/after-copy.csv" || fail "after the delete: $(cat "$T/after.csv") vs $(cat "$T/after-copy.csv")"

# 8. A wrong secret: a clear 403 naming the bucket, exit 1, for crawl and for query.
sed 's/^\(aws_secret_access_key *= *\).*/\1wrong-secret/' "$T/s3/credentials" >"$T/bad-credentials"
for cmd in crawl query; do
    rc=0
    extra=()
    [ "$cmd" = query ] && extra=("SELECT 1")
    AWS_SHARED_CREDENTIALS_FILE=$T/bad-credentials timeout 60 "$TICKLAKE" "$cmd" --lake "$url" \
        "${s3opts[@]}" --cache-dir "$T/cache" "${extra[@]}" >/dev/null 2>"$T/bad.err" || rc=$?
    assert_eq "$rc" 1 "$cmd exit status with a wrong secret"
    grep -q "access denied to bucket '$bucket'" "$T/bad.err" || fail "$cmd: no clear 403 error: $(cat "$T/bad.err")"
    grep -q "403" "$T/bad.err" || fail "$cmd: the error does not say 403: $(cat "$T/bad.err")"
    if grep -q "wrong-secret" "$T/bad.err"; then fail "the secret appears in the error output"; fi
done
# 9. Through the cache, files come down many at once. When S3 refuses some GETs for good (a proxy
# answering 403 AccessDenied to a quarter of them), the cached query fails with that error, the
# files that did arrive stay cached, and the next query downloads only the rest and answers as the
# copy does. With every GET held for half a second, a fresh cache's download had several GETs in
# flight at once (one at a time, the proxy would see one).
bg_start proxy python3 "$ROOT/tests/tools/s3_fault_proxy.py" --upstream-port "$(cat "$T/s3/port")" \
    --seed 2 --ops get --rate denied=0.25 --log "$T/proxy.log" # seed 2: catalog.json passes
port_known() { [ -s "$T/proxy.out" ]; }
wait_for 10 port_known || fail "the fault proxy did not start: $(cat "$T/proxy.err")"
proxy=http://127.0.0.1:$(head -1 "$T/proxy.out")
rc=0
"$TICKLAKE" query -v --s3-read cache --lake "$url" --s3-endpoint "$proxy" --s3-addressing path \
    --cache-dir "$T/cache9" --no-save --format csv "${queries[0]}" >/dev/null 2>"$T/denied.err" || rc=$?
assert_eq "$rc" 1 "exit status of a cached query whose GETs were refused"
grep -q "access denied to bucket '$bucket' key '" "$T/denied.err" ||
    fail "no 403 naming the key: $(cat "$T/denied.err")"
assert_ge "$(grep -c '^fault denied get GET ' "$T/proxy.log")" 1 "GETs refused by the proxy"
arrived=$(grep -c '^pass get GET .* 200$' "$T/proxy.log" || true)
# The endpoint names the cache (one bucket on two servers is two lakes): the proxy comes back on
# its port without faults.
bg_stop proxy
bg_start proxy2 python3 "$ROOT/tests/tools/s3_fault_proxy.py" --upstream-port "$(cat "$T/s3/port")" \
    --port "${proxy##*:}" --log "$T/proxy2.log" --ops get --rate delay=1 --delay 0.5
port_known() { [ -s "$T/proxy2.out" ]; }
wait_for 10 port_known || fail "the proxy did not start again: $(cat "$T/proxy2.err")"
s3opts=(--s3-endpoint "$proxy" --s3-addressing path)
"$TICKLAKE" query -v --s3-read cache --lake "$url" "${s3opts[@]}" --cache-dir "$T/cache9" --no-save \
    --format csv "${queries[0]}" >"$T/after9.csv" 2>"$T/after9.err" ||
    fail "cached query after the refusals: $(cat "$T/after9.err")"
cmp -s "$T/after9.csv" "$T/after-copy.csv" || fail "after the refusals: $(cat "$T/after9.csv")"
"$TICKLAKE" query -v --s3-read cache --lake "$url" "${s3opts[@]}" --cache-dir "$T/cache9b" --no-save \
    --format csv "${queries[0]}" >/dev/null 2>"$T/all9.err" || fail "cached query, fresh cache: $(cat "$T/all9.err")"
all=$(sum_field 'downloaded whole' "$T/all9.err")
assert_ge "$all" 2 "objects a cached query downloads into a fresh cache"
assert_eq "$(sum_field 'downloaded whole' "$T/after9.err")" "$((all - arrived))" \
    "objects downloaded after $arrived of $all had arrived"
assert_ge "$(sed -n 's/^peak get //p' "$T/proxy2.log" | sort -n | tail -1)" 3 "GETs in flight at once"

echo "ok: query s3 ($nfiles files, crawl downloaded $down of $parquet_bytes bytes; $((SECONDS - started)) s)"
