#!/usr/bin/env bash
# `ticklake serve` over an S3 lake (a real versitygw on loopback): the catalog, describe and
# partitions come from the lake's _catalog in S3 (through the local cache), SQL runs in place and
# agrees with `ticklake query`, each query is saved in the lake's _results in S3 and shows in the
# history, its CSV downloads from S3, bars come from the lake, the read-only policy holds (no COPY
# into the bucket), and a file the sink lands after the server started shows once the server's
# crawler has run. Only the sink needs Kafka, so the script runs once, on the embedded broker.
. "$(dirname "$0")/lib.sh"

[ "$KAFKA_KIND" = embedded ] || skip "the S3 serve test reads S3 only; it runs on the embedded broker"
s3_start
url=s3://$bucket/lake
s3opts=(--s3-endpoint "$endpoint" --s3-addressing path)
pre=$(unique_name s3s).
"$TICKLAKE" run --brokers "$BROKERS" --topic-prefix "$pre" --duration 6 --lake "$url" "${s3opts[@]}" \
    --rate 3000 --symbols 12 --seed 112 --roll-interval 2s --no-serve -q 2>"$T/run.err" ||
    { cat "$T/run.err" >&2; fail "run into S3 failed"; }
"$TICKLAKE" crawl --lake "$url" "${s3opts[@]}" --cache-dir "$T/cache-crawl" >/dev/null 2>"$T/crawl.err" ||
    { cat "$T/crawl.err" >&2; fail "crawl of the S3 lake failed"; }
n_cli=$("$TICKLAKE" query --lake "$url" "${s3opts[@]}" --cache-dir "$T/cache-cli" --format csv \
    "SELECT count(*) FROM trades" | tail -1)
assert_ge "$n_cli" 10000 "trades in the S3 lake"

bg_start srv "$TICKLAKE" serve --lake "$url" "${s3opts[@]}" --cache-dir "$T/cache" \
    --listen 127.0.0.1:0 --crawl-interval 2s
wait_for 20 grep -q '^http://' "$T/srv.out" || { cat "$T/srv.err" >&2; fail "serve printed no URL"; }
U=$(grep -m1 '^http://' "$T/srv.out")
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
assert_eq "$(code "${U}readyz")" 200 "readyz of an S3 lake with a catalog"
curl -sf "${U}api/tables" | grep -q '"name":"trades"' || fail "tables: $(curl -s "${U}api/tables")"
curl -sf "${U}api/tables/trades" | grep -q '"name":"price","type":"DOUBLE"' || fail "describe trades"
curl -sf "${U}api/tables/trades/partitions" | grep -q '"values":{"date":"' || fail "partitions of trades"
curl -sf "${U}api/tables/trades/ddl" | grep -q "LOCATION 's3://$bucket/lake/trades" ||
    fail "DDL of trades: $(curl -s "${U}api/tables/trades/ddl")"

q() { curl -s -X POST --data-binary "$1" "${U}api/query"; }
r=$(q '{"sql":"SELECT count(*) AS n FROM trades"}')
[[ $r =~ \"data\":\[\[([0-9]+)\]\] ]] || fail "count query: $r"
assert_eq "${BASH_REMATCH[1]}" "$n_cli" "trades counted through the API and by ticklake query"
id=$(sed -nE 's/.*"id":"([0-9a-f-]{36})".*/\1/p' <<<"$r")
[ -n "$id" ] || fail "no query id: $r"
curl -sf "${U}api/queries" | grep -q "\"id\":\"$id\"" || fail "query $id not in the history: $(curl -s "${U}api/queries")"
assert_eq "$(curl -s "${U}api/queries/$id.csv" | tr -d '\r' | tr '\n' ' ')" "n $n_cli " "saved result downloaded from S3"
assert_eq "$(code "${U}api/queries/00000000-0000-4000-8000-000000000000.csv")" 404 "a result that is not there"
# The same history through ticklake history (the result and its metadata are objects in the lake).
"$TICKLAKE" history --lake "$url" "${s3opts[@]}" --cache-dir "$T/cache-cli" 2>/dev/null | grep -q "$id" ||
    fail "ticklake history does not list $id"
# Read-only: nothing is written into the bucket or read outside the lake.
assert_eq "$(code -X POST --data-binary "{\"sql\":\"COPY (SELECT 1) TO 's3://$bucket/lake/x.csv'\"}" "${U}api/query")" 400 "COPY into the bucket"
sym=$("$TICKLAKE" query --lake "$url" "${s3opts[@]}" --cache-dir "$T/cache-cli" --format csv \
    "SELECT min(symbol) FROM trades" | tail -1)
bars=$(curl -sf "${U}api/bars?symbol=$sym&interval=1s")
[[ $bars == *'"bars":[{"t":'* ]] || fail "bars of $sym from the S3 lake: $bars"

# A second run lands more trades; the server's crawler (every 2 s) makes them visible.
"$TICKLAKE" run --brokers "$BROKERS" --topic-prefix "${pre}b." --duration 4 --lake "$url" "${s3opts[@]}" \
    --rate 3000 --symbols 12 --seed 113 --roll-interval 2s --no-serve -q 2>"$T/run2.err" ||
    { cat "$T/run2.err" >&2; fail "the second run into S3 failed"; }
more() {
    r=$(q '{"sql":"SELECT count(*) AS n FROM trades"}')
    [[ $r =~ \"data\":\[\[([0-9]+)\]\] ]] && [ "${BASH_REMATCH[1]}" -gt "$n_cli" ]
}
wait_for 60 more || fail "the second run's trades never showed: $r"
bg_stop srv INT
assert_eq "$BG_STATUS" 0 "serve exit status"
echo "ok: serve over an S3 lake"
