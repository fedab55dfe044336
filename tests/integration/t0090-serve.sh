#!/usr/bin/env bash
# The web console's server: `ticklake run` serves the API, the push stream and /metrics (docs/API.md)
# while the pipeline runs. A simulated flash crash shows as a live alert on the stream and in
# /api/alerts; the stream carries AAPL's trades, forming and closed bars; SQL runs read-only with its
# limits; the catalog answers once the lake is crawled; bars come from the lake and the stream.
# Security: no path leaves the console's folder, no CORS headers unless asked, request bodies are
# limited, and a server listening beyond loopback wants its token (compared in constant time).
. "$(dirname "$0")/lib.sh"

lake=$T/lake
args=(--duration 70 --lake "$lake" --rate 2000 --symbols 20 --seed 90 --scenario flash-crash@30
    --listen 127.0.0.1:0 --status-interval 5s)
[ "$KAFKA_KIND" != real ] || args+=(--brokers "$BROKERS" --topic-prefix "$(unique_name sv).")
bg_start run "$TICKLAKE" run "${args[@]}"
url_known() { grep -q '^http://' "$T/run.out"; }
wait_for 20 url_known || { cat "$T/run.err" >&2; fail "run printed no URL"; }
U=$(grep -m1 '^http://' "$T/run.out")
echo "# console at $U ($KAFKA_KIND)" >&2

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
assert_eq "$(code "${U}healthz")" 200 "/healthz"
# The push stream: AAPL's trades, forming and closed bars, and every symbol's alerts.
bg_start sse curl -sN "${U}api/stream?symbols=AAPL&kinds=trade,forming,bar,alert"
bg_start sse_alerts curl -sN "${U}api/stream?kinds=alert"

# The console's files; nothing outside its folder.
assert_eq "$(code "${U}")" 200 "the console's index"
curl -s "${U}" | grep -q 'app.js' || fail "index.html does not load app.js"
assert_eq "$(code --path-as-is "${U}../../../../etc/passwd")" 404 "../ in the path"
assert_eq "$(code --path-as-is "${U}%2e%2e/%2e%2e/etc/passwd")" 404 "%2e%2e in the path"
assert_eq "$(code "${U}.git/config")" 404 "hidden files"
assert_eq "$(code "${U}api/nothing")" 404 "an unknown API path"
curl -s -D - -o /dev/null -H 'Origin: http://evil.example' "${U}api/status" | grep -qi '^access-control' &&
    fail "CORS headers without --cors-origin"

# The catalog appears once run's server has crawled the landed files (every 10 s).
ready() { [ "$(code "${U}readyz")" = 200 ]; }
wait_for 40 ready || { cat "$T/run.err" >&2; fail "/readyz not ready within 40 s"; }
has_trades() { curl -sf "${U}api/tables" | grep -q '"name":"trades"'; }
wait_for 40 has_trades || fail "no trades table: $(curl -s "${U}api/tables")"
curl -sf "${U}api/tables/trades" | grep -q '"name":"price","type":"DOUBLE"' || fail "describe trades"
curl -sf "${U}api/tables/trades/partitions" | grep -q '"values":{"date":"' || fail "partitions of trades"
curl -sf "${U}api/tables/trades/ddl" | grep -q 'CREATE EXTERNAL TABLE' || fail "DDL of trades"
assert_eq "$(code "${U}api/tables/nosuch")" 404 "describe of a missing table"

# SQL: rows as JSON, CSV, the read-only policy, the limits.
q() { curl -s -X POST --data-binary "$1" "${U}api/query"; }
r=$(q '{"sql":"SELECT count(*) AS n, count(DISTINCT symbol) AS s FROM trades"}')
[[ $r == *'"status":"SUCCEEDED"'* && $r == *'"columns":["n","s"]'* ]] || fail "count query: $r"
[[ $r =~ \"data\":\[\[([0-9]+),20\]\] ]] || fail "expected 20 symbols: $r"
assert_ge "${BASH_REMATCH[1]}" 1 "trades counted through the API"
id=$(sed -nE 's/.*"id":"([0-9a-f-]{36})".*/\1/p' <<<"$r")
curl -sf "${U}api/queries" | grep -q "\"id\":\"$id\"" || fail "query $id not in the history"
assert_eq "$(curl -s "${U}api/queries/$id.csv" | head -1)" "n,s" "saved result's header"
assert_eq "$(q '{"sql":"SELECT 42 AS x","format":"csv"}')" "x
42" "a CSV result"
r=$(q '{"sql":"SELECT * FROM range(100000)","max_rows":3}')
[[ $r == *'"rows":3,"truncated":true'* ]] || fail "max_rows: $r"
assert_eq "$(code -X POST --data-binary '{"sql":"DELETE FROM trades"}' "${U}api/query")" 400 "DELETE"
q '{"sql":"COPY trades TO '"'"'/tmp/x.csv'"'"'"}' | grep -q 'not allowed' || fail "COPY is not refused"
# An empty quoted name first: the policy once read it as a NULL name and the whole process died.
assert_eq "$(code -X POST --data-binary '{"sql":"\"\""}' "${U}api/query")" 400 "an empty quoted name"
assert_eq "$(q '{"sql":"SELECT 7 AS y","format":"csv"}')" "y
7" "a query after the empty quoted name"
# Pages of other sites: a form's POST (its Origin) and a rebound name (its Host) are refused.
assert_eq "$(code -X POST -H 'Origin: http://evil.example' -H 'Content-Type: text/plain' \
    --data-binary '{"sql":"SELECT 1"}' "${U}api/query")" 403 "a POST from another origin"
assert_eq "$(code -H "Host: evil.example:$(sed -E 's/.*:([0-9]+)\/$/\1/' <<<"$U")" "${U}api/tables")" 403 "a Host that is not loopback"
assert_eq "$(code -X POST -H "Origin: ${U%/}" --data-binary '{"sql":"SELECT 1"}' "${U}api/query")" \
    200 "a POST from the console's own page"
# EXPLAIN ANALYZE runs what it explains: of a COPY into the lake it is refused.
r=$(q '{"sql":"EXPLAIN ANALYZE COPY (SELECT 42 AS x) TO '"'"$lake/pwned.csv"'"'"}')
[[ $r == *'EXPLAIN is allowed of queries only'* && ! -e $lake/pwned.csv ]] || fail "EXPLAIN ANALYZE COPY: $r"
# One query cannot break or forge what later ones see: a session a query
# changed (an aborted transaction left open, a view dropped) is not reused.
q '{"sql":"BEGIN TRANSACTION; SELECT error('"'"'boom'"'"')"}' | grep -q '"status":"FAILED"' ||
    fail "BEGIN; error() did not fail"
q '{"sql":"DROP VIEW trades"}' | grep -q '"status":"SUCCEEDED"' || fail "DROP VIEW in a session"
for _ in 1 2 3; do
    r=$(q '{"sql":"SELECT count(*) AS n FROM trades"}')
    [[ $r == *'"status":"SUCCEEDED"'* ]] || fail "a query after BEGIN; error() and DROP VIEW: $r"
done
# Values as the engine wrote them: every digit of a UBIGINT and a DECIMAL, lists and structs whole.
r=$(q '{"sql":"SELECT 18446744073709551615::UBIGINT AS u, 12345678901234567.89::DECIMAL(38,2) AS d, [1,2] AS l, {'"'"'a'"'"': 1} AS st"}')
[[ $r == *'"columns":["u","d","l","st"],"data":[[18446744073709551615,12345678901234567.89,[1,2],{"a":1}]]'* ]] ||
    fail "exact and nested values: $r"
# An empty result still names its columns.
r=$(q '{"sql":"SELECT symbol, price FROM trades WHERE false"}')
[[ $r == *'"rows":0,'* && $r == *'"columns":["symbol","price"],"data":[]'* ]] || fail "empty result: $r"
# A JSON answer holds at most 4,096 columns, whole: a wider one is refused, not cut.
wide=$(seq -f '1 AS c%g' 4097 | paste -sd,)
assert_eq "$(code -X POST --data-binary "{\"sql\":\"SELECT $wide\"}" "${U}api/query")" 413 "4,097 columns"
r=$(q "{\"sql\":\"SELECT ${wide%,1 AS c4097}\"}")
[[ $r == *'"c4096"],"data":[['* ]] || fail "4,096 columns: ${r:0:300}"
# A value nested deeper than the server reads back is refused with the row,
# never left out of "data" while "rows" counts it.
deep=$(printf '[%.0s' $(seq 70))1$(printf ']%.0s' $(seq 70))
r=$(curl -s -w ' %{http_code}' -X POST --data-binary "{\"sql\":\"SELECT $deep AS d FROM range(3)\"}" \
    "${U}api/query")
[[ $r == *'row 1 cannot be sent as JSON'*' 422' ]] || fail "a row nested 70 deep: ${r:0:300}"
# A result past 64 MiB stops the query, not the server (100 rows of 1 MB here).
assert_eq "$(code -X POST --data-binary '{"sql":"SELECT repeat('"'"'x'"'"', 1000000) AS s FROM range(100)"}' \
    "${U}api/query")" 413 "a 100 MB result"
r=$(q '{"sql":"SELECT count(*) FROM range(10000000000) a, range(10) b","timeout_ms":300}')
[[ $r == *'"status":"TIMEOUT"'* ]] || fail "timeout_ms: $r"
# A tagged query is cancelled by its tag while it runs.
q '{"sql":"SELECT count(*) FROM range(10000000000) a, range(10) b","tag":"long-1","timeout_ms":30000}' \
    >"$T/cancelled.json" &
qpid=$!
cancel() { [ "$(code -X POST --data-binary '{"tag":"long-1"}' "${U}api/query/cancel")" = 200 ]; }
wait_for 10 cancel || fail "no running query tagged long-1 to cancel"
wait "$qpid"
grep -q '"status":"CANCELLED"' "$T/cancelled.json" || fail "not cancelled: $(cat "$T/cancelled.json")"
assert_eq "$(code -X POST --data-binary '{"tag":"long-1"}' "${U}api/query/cancel")" 404 "a finished tag"
assert_eq "$(code -X POST --data-binary 'not json' "${U}api/query")" 400 "a body that is not JSON"
assert_eq "$(code "${U}api/query")" 405 "GET of /api/query"
head -c 2000000 /dev/zero | tr '\0' 'x' >"$T/big"
assert_eq "$(code -X POST --data-binary @"$T/big" "${U}api/query")" 413 "a 2 MB body"
# A Parquet result past 64 MiB stops as its file passes the cap (it was written whole, here about
# 150 MB, before the 413): the results folder never holds a file much larger than the cap.
big_sql='{"sql":"SELECT md5(random()::VARCHAR) || md5(random()::VARCHAR) AS s FROM range(4000000)","format":"parquet","timeout_ms":60000}'
curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "$big_sql" "${U}api/query" >"$T/bigpq.code" &
bigpid=$!
largest=0
while kill -0 "$bigpid" 2>/dev/null; do
    f=$(find "$lake/_results" -name '*.parquet' -size +96M -print -quit 2>/dev/null)
    [ -z "$f" ] || largest=1
    sleep 0.1
done
wait "$bigpid" || true
assert_eq "$(cat "$T/bigpq.code")" 413 "a Parquet result over 64 MiB"
assert_eq "$largest" 0 "a Parquet result file over 96 MiB while the query ran"

# Bars: the lake's, continued by the stream's.
b=$(curl -sf "${U}api/bars?symbol=AAPL&interval=1s") || fail "/api/bars"
n=$(grep -o '"t":' <<<"$b" | wc -l)
assert_ge "$n" 5 "AAPL 1s bars from the API"
# limit keeps the newest of the lake's and the stream's bars together (the stream's came on top).
assert_eq "$(curl -sf "${U}api/bars?symbol=AAPL&interval=1s&limit=3" | grep -o '"t":' | wc -l)" 3 "bars with limit=3"
assert_eq "$(code "${U}api/bars?symbol=A%27B")" 400 "a symbol with a quote"
assert_eq "$(code "${U}api/bars?symbol=AAPL&from=yesterday")" 400 "a bad time"
# A value too long for its buffer is refused, not dropped for the default.
assert_eq "$(code "${U}api/bars?symbol=AAPL&limit=$(printf '9%.0s' {1..70})")" 400 "a 70-digit limit"
assert_eq "$(code "${U}api/bars?symbol=AAPL&from=$(printf '1%.0s' {1..80})")" 400 "an 80-character from"
# 1h is not a stream interval: its bars are the lake's 5m bars, bucketed (once bars_5m is crawled).
hourly() { curl -sf "${U}api/bars?symbol=AAPL&interval=1h" | grep -q '"t":'; }
wait_for 30 hourly || fail "1h bars from the 5m table: $(curl -s "${U}api/tables" | grep -o '"name":"[a-z_0-9]*"' | tr '\n' ' ')"
# A table a query made is no source of bars, even with a bars_ name that reads as an interval
# (bars_01m sorted before bars_1m and once replaced the chart's 1m history).
forged='SELECT '"'"'AAPL'"'"' AS symbol, TIMESTAMP_NS '"'"'2024-01-02 10:00:00'"'"' AS window_start, 9 AS revision, 1.0 AS open, 1e6 AS high, 0.5 AS low, 1.0 AS close, 1 AS volume, 1 AS trades'
q "{\"sql\":\"CREATE TABLE bars_01m AS $forged\"}" | grep -q '"status":"SUCCEEDED"' || fail "CREATE TABLE bars_01m"
! curl -sf "${U}api/bars?symbol=AAPL&interval=1m" | grep -q '"h":1000000' || fail "a forged bars_01m table fed /api/bars"

# The flash crash: a live alert on the stream and in /api/alerts.
crash() { curl -s "${U}api/alerts?symbol=AAPL" | grep -q '"kind":"price_move"'; }
wait_for 60 crash || { tail -5 "$T/run.err" >&2; fail "no price_move alert for AAPL in /api/alerts"; }
alert_on_stream() { grep -q '^data: {"symbol":"AAPL","kind":"price_move"' "$T/sse_alerts.out"; }
wait_for 10 alert_on_stream || fail "the alert did not reach the stream: $(tail -c 300 "$T/sse_alerts.out"; curl -s "${U}metrics" | grep '^ticklake_stream')"
for ev in trade forming bar alert; do
    grep -q "^event: $ev\$" "$T/sse.out" || fail "no '$ev' event on AAPL's stream"
done
grep '^data: ' "$T/sse.out" | grep -v '"symbol":"AAPL"' | head -1 | grep -q . &&
    fail "another symbol's event on AAPL's stream"

# Consumer lag per group and partition, as the cluster sees it: the sink has committed on trades,
# and every row's lag is its end minus its committed offset.
sink_committed() { curl -sf "${U}api/lag" | grep -q '"group":"ticklake-sink","lag":[0-9]*,"partitions":\[{'; }
wait_for 20 sink_committed || fail "/api/lag shows no committed partition of the sink: $(curl -s "${U}api/lag")"
curl -sf "${U}api/lag" | python3 -c '
import json, sys
d = json.load(sys.stdin)
groups = {g["group"]: g for g in d["groups"]}
assert set(groups) == {"ticklake-process", "ticklake-sink"}, groups.keys()
sink = groups["ticklake-sink"]["partitions"]
assert any(p["topic"].endswith("trades") for p in sink), sink
for g in d["groups"]:
    assert g["lag"] == sum(p["lag"] for p in g["partitions"]), g
    for p in g["partitions"]:
        assert p["end"] < 0 or p["lag"] == max(0, p["end"] - p["committed"]), p
' || fail "/api/lag: $(curl -s "${U}api/lag")"
assert_eq "$(curl -s "${U}api/lag?group=ticklake-sink" | python3 -c 'import json,sys; print([g["group"] for g in json.load(sys.stdin)["groups"]])')" \
    "['ticklake-sink']" "groups of /api/lag?group=ticklake-sink"
assert_eq "$(code "${U}api/lag?group=a%20b")" 400 "status of /api/lag with a bad group name"

# A result as a Parquet file: the columns' types kept, the same rows as the JSON answer.
pq='{"sql":"SELECT symbol, count(*) AS n, min(ts) AS t0 FROM trades GROUP BY symbol ORDER BY symbol","format":"parquet"}'
mkdir -p "$T/dl"
curl -s -D "$T/dl.h" -o "$T/dl/r.parquet" -X POST --data-binary "$pq" "${U}api/query"
grep -qi '^content-type: application/vnd.apache.parquet' "$T/dl.h" || fail "Parquet answer: $(cat "$T/dl.h")"
grep -qi '^content-disposition: attachment; filename=".*\.parquet"' "$T/dl.h" || fail "Parquet file name: $(cat "$T/dl.h")"
assert_eq "$(head -c 4 "$T/dl/r.parquet")$(tail -c 4 "$T/dl/r.parquet")" PAR1PAR1 "Parquet magic at both ends"
"$TICKLAKE" crawl --lake "$T/dl" >/dev/null
assert_eq "$("$TICKLAKE" query --lake "$T/dl" --format csv "SELECT string_agg(column_type, ' ') FROM (DESCRIBE SELECT * FROM read_parquet('$T/dl/r.parquet'))" | tail -1)" \
    "VARCHAR BIGINT TIMESTAMP_NS" "types in the Parquet result"
nsym=$("$TICKLAKE" query --lake "$T/dl" --format csv "SELECT count(*) FROM read_parquet('$T/dl/r.parquet')" | tail -1)
assert_ge "$nsym" 10 "symbols in the Parquet result"

# A result as an Arrow IPC stream: pyarrow reads it, with the types and the rows of the JSON answer;
# a row limit cuts it and says so.
ar='{"sql":"SELECT symbol, count(*) AS n, min(ts) AS t0, list(DISTINCT venue) AS venues FROM trades GROUP BY symbol ORDER BY symbol","format":"arrow"}'
curl -s -D "$T/ar.h" -o "$T/dl/r.arrows" -X POST --data-binary "$ar" "${U}api/query"
grep -qi '^content-type: application/vnd.apache.arrow.stream' "$T/ar.h" || fail "Arrow answer: $(cat "$T/ar.h")"
grep -qi '^content-disposition: attachment; filename=".*\.arrows"' "$T/ar.h" || fail "Arrow file name: $(cat "$T/ar.h")"
grep -qi '^x-truncated: false' "$T/ar.h" || fail "Arrow truncation header: $(cat "$T/ar.h")"
py=$("$ROOT/tests/tools/venv.sh") || fail "unable to set up the Python venv (tests/tools/venv.sh)"
"$py" - "$T/dl/r.arrows" "$nsym" <<'PY' || fail "the Arrow result"
import sys, pyarrow as pa
t = pa.ipc.open_stream(open(sys.argv[1], "rb")).read_all()
t.validate(full=True)
assert [str(f.type) for f in t.schema] == ["string", "int64", "timestamp[ns]", "list<l: string>"], t.schema
assert t.num_rows == int(sys.argv[2]), (t.num_rows, sys.argv[2])
assert t.column("symbol").to_pylist() == sorted(t.column("symbol").to_pylist())
assert all(n > 0 for n in t.column("n").to_pylist())
PY
curl -s -D "$T/ar.h" -o "$T/dl/cut.arrows" -X POST --data-binary '{"sql":"SELECT * FROM trades","format":"arrow","max_rows":5}' "${U}api/query"
grep -qi '^x-truncated: true' "$T/ar.h" || fail "a cut Arrow result: $(cat "$T/ar.h")"
assert_eq "$("$py" -c 'import pyarrow as pa, sys; print(pa.ipc.open_stream(open(sys.argv[1], "rb")).read_all().num_rows)' "$T/dl/cut.arrows")" 5 "rows of a cut Arrow result"

m=$(curl -sf "${U}metrics") || fail "/metrics"
grep -qE '^ticklake_ingest_records_total [1-9]' <<<"$m" || fail "no ingest counter in /metrics"
grep -q '^ticklake_http_request_duration_seconds_bucket{le="+Inf"}' <<<"$m" || fail "no histogram"
grep -qE '^ticklake_stream_clients 2$' <<<"$m" || fail "two stream clients: $(grep stream_clients <<<"$m")"
# Trades and forming bars are framed only for the symbols a client follows (AAPL here): every
# trade of the 20 symbols framed would make more events than records consumed.
events=$(sed -nE 's/^ticklake_stream_events_total ([0-9]+)$/\1/p' <<<"$m")
consumed=$(sed -nE 's/^ticklake_serve_consumed_records_total ([0-9]+)$/\1/p' <<<"$m")
[ -n "$events" ] && [ -n "$consumed" ] && [ $((events * 3)) -lt "$consumed" ] ||
    fail "stream events $events for $consumed records consumed: trades no client follows were framed"
ntrades=$(grep -c '^event: trade' "$T/sse.out")
nforming=$(grep -c '^event: forming' "$T/sse.out")
bg_stop sse
bg_stop sse_alerts

# Beyond loopback a token is needed: generated and printed when none is given.
bg_start srv "$TICKLAKE" serve --lake "$lake" --listen 0.0.0.0:0 --crawl-interval 0
wait_for 10 grep -q '^http://' "$T/srv.out" || fail "serve printed no URL"
S=$(grep -m1 '^http://' "$T/srv.out")
wait_for 5 grep -q 'access token' "$T/srv.err" || fail "no generated token printed"
tok=$(sed -nE 's/.*access token.*: ([0-9a-f]+)$/\1/p' "$T/srv.err")
assert_eq "${#tok}" 48 "generated token length"
assert_eq "$(code "${S}healthz")" 200 "/healthz without a token"
assert_eq "$(code "${S}api/tables")" 401 "no token"
assert_eq "$(code -H "Authorization: Bearer x${tok:1}" "${S}api/tables")" 401 "a wrong token"
assert_eq "$(code -H "Authorization: Bearer $tok" "${S}api/tables")" 200 "the token"
c=$(curl -s -D - -o /dev/null "${S}?token=$tok")
[[ $c == *"ticklake_token=$tok"*HttpOnly* ]] || fail "/?token= sets no cookie: $c"
assert_eq "$(code --cookie "ticklake_token=$tok" "${S}api/status")" 200 "the cookie"
assert_eq "$(code "${S}api/stream")" 401 "the stream without a token"
grep -q "$tok" "$T/srv.err" && [ "$(grep -c "$tok" "$T/srv.err")" -gt 1 ] && fail "the token is logged"
bg_stop srv INT
assert_eq "$BG_STATUS" 0 "serve exit status"

bg_wait run 90
[ "$BG_STATUS" = 0 ] || { tail -5 "$T/run.err" >&2; fail "run failed"; }

# A lake whose files cannot be read: bars and alerts say so instead of answering empty.
for t in bars_1s alerts; do
    f=$(find "$lake/$t" -name '*.parquet' -print -quit)
    [ -n "$f" ] || fail "no $t file in the lake"
    dst=$T/bad/$t/${f#"$lake/$t/"}
    mkdir -p "$(dirname "$dst")" && cp "$f" "$dst"
done
"$TICKLAKE" crawl --lake "$T/bad" >/dev/null 2>"$T/crawl-bad.err" || { cat "$T/crawl-bad.err" >&2; fail "crawl of the copy"; }
find "$T/bad" -name '*.parquet' -exec truncate -s 100 {} \;
bg_start bad "$TICKLAKE" serve --lake "$T/bad" --listen 127.0.0.1:0 --crawl-interval 0
wait_for 10 grep -q '^http://' "$T/bad.out" || fail "serve printed no URL"
B=$(grep -m1 '^http://' "$T/bad.out")
r=$(curl -s "${B}api/bars?symbol=AAPL&interval=1s")
[[ $r == *'"bars":[],"lake_error":"'* ]] || fail "bars of an unreadable lake: $r"
r=$(curl -s "${B}api/alerts")
[[ $r == *'"source":"lake","alerts":[],"lake_error":"'* ]] || fail "alerts of an unreadable lake: $r"
bg_stop bad INT
# A lake with no alerts yet is not an error.
mkdir -p "$T/empty"
bg_start empty "$TICKLAKE" serve --lake "$T/empty" --listen 127.0.0.1:0 --crawl-interval 0
wait_for 10 grep -q '^http://' "$T/empty.out" || fail "serve printed no URL"
assert_eq "$(curl -s "$(grep -m1 '^http://' "$T/empty.out")api/alerts")" '{"source":"lake","alerts":[]}' \
    "alerts of a lake without any"
bg_stop empty INT
grep -q 'warn' "$T/empty.err" && fail "warnings for a lake without alerts: $(cat "$T/empty.err")"
# --cors-origin: the allowed origin can read every answer, errors and downloads too (with the
# query id and truncation headers), and its preflight is answered.
bg_start cors "$TICKLAKE" serve --lake "$lake" --listen 127.0.0.1:0 --crawl-interval 0 \
    --cors-origin http://app.example
wait_for 10 grep -q '^http://' "$T/cors.out" || fail "serve printed no URL"
C=$(grep -m1 '^http://' "$T/cors.out")
acao() { grep -qi '^access-control-allow-origin: http://app.example' "$1"; }
o=(-H 'Origin: http://app.example')
curl -s -D "$T/h1" -o /dev/null "${o[@]}" "${C}api/tables"
acao "$T/h1" || fail "no CORS header on a JSON answer: $(cat "$T/h1")"
curl -s -D "$T/h2" -o /dev/null "${o[@]}" "${C}api/tables/nosuch"
grep -q '^HTTP/1.1 404' "$T/h2" && acao "$T/h2" || fail "no CORS header on an error: $(cat "$T/h2")"
curl -s -D "$T/h3" -o /dev/null "${o[@]}" -X POST --data-binary '{"sql":"SELECT 1 AS x","format":"csv"}' "${C}api/query"
acao "$T/h3" && grep -qi '^access-control-expose-headers: X-Query-Id, X-Truncated' "$T/h3" ||
    fail "no CORS headers on a CSV download: $(cat "$T/h3")"
curl -s -D "$T/h4" -o /dev/null "${o[@]}" -X OPTIONS -H 'Access-Control-Request-Method: POST' "${C}api/query"
grep -q '^HTTP/1.1 204' "$T/h4" && acao "$T/h4" && grep -qi '^access-control-allow-methods: GET, POST' "$T/h4" ||
    fail "the preflight: $(cat "$T/h4")"
bg_stop cors INT
echo "AAPL bars from the API: $n; stream: $ntrades trades, $nforming forming bars"
