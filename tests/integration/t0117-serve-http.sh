#!/usr/bin/env bash
# The HTTP edges of `ticklake serve` on a lake with an empty catalog, without Kafka (fast): what a 405
# and a 401 must say (RFC 9110), error bodies in the {"error": ...} shape, static paths, the token
# login's methods, query sessions' memory limits (--query-memory) and a prompt stop during a long
# query.
. "$(dirname "$0")/lib.sh"
[ "$KAFKA_KIND" = embedded ] || skip "no Kafka here: it runs once, beside the embedded broker"

mkdir -p "$T/lake"
"$TICKLAKE" crawl --lake "$T/lake" >/dev/null
start() { # NAME ARGS...: serve the lake; sets U
    local name=$1
    shift
    bg_start "$name" "$TICKLAKE" serve --lake "$T/lake" --crawl-interval 0 "$@"
    wait_for 10 grep -q '^http://' "$T/$name.out" || { cat "$T/$name.err" >&2; fail "serve printed no URL"; }
    U=$(grep -m1 '^http://' "$T/$name.out")
}
head_of() { curl -s -D - -o /dev/null "$@" | tr -d '\r'; }

start srv --listen 127.0.0.1:0
# A 405 lists the methods its resource accepts.
h=$(head_of -X DELETE "${U}api/tables")
[[ $h == 'HTTP/1.1 405'* && $h == *$'\nAllow: GET, HEAD\n'* ]] || fail "405 of DELETE /api/tables: $h"
h=$(head_of "${U}api/query")
[[ $h == 'HTTP/1.1 405'* && $h == *$'\nAllow: POST\n'* ]] || fail "405 of GET /api/query: $h"
h=$(head_of -I "${U}api/stream")
[[ $h == 'HTTP/1.1 405'* && $h == *$'\nAllow: GET\n'* ]] || fail "405 of HEAD /api/stream: $h"
# Errors have one shape, {"error": ...}: a missing saved result, a cancel's body over 511 bytes
# (which closes the connection: the rest of the body is not read).
r=$(curl -s -w ' %{http_code} %{content_type}' "${U}api/queries/0190f0c2-0000-7000-8000-000000000000.csv")
assert_eq "$r" '{"error":"no such result"}
 404 application/json' "a missing saved result"
head -c 600 /dev/zero | tr '\0' x >"$T/big"
h=$(curl -s -D - -X POST --data-binary @"$T/big" "${U}api/query/cancel" | tr -d '\r')
[[ $h == 'HTTP/1.1 413'* && $h == *$'\nConnection: close\n'* && $h == *'{"error":"request body too large"}' ]] ||
    fail "a 600-byte cancel: $h"
# Static paths: a %00 does not end the path early (/index.html%00.js was index.html).
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "${U}index.html")" 200 "the console's index"
r=$(curl -s --path-as-is -w ' %{http_code}' "${U}index.html%00.js")
assert_eq "$r" '{"error":"a NUL byte in the path"}
 400' "GET /index.html%00.js"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "${U}%2e%2e/%2e%2e/etc/passwd")" 404 "%2e%2e in the path"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "${U}api/t%61bles")" 200 "an encoded API path"
# A query session's DuckDB gets 2 GB of memory and 10 GB of spill, not 80% of the RAM and 90% of
# the disk each.
limits='{"sql":"SELECT current_setting('"'"'memory_limit'"'"') AS m, current_setting('"'"'max_temp_directory_size'"'"') AS t"}'
r=$(curl -s -X POST --data-binary "$limits" "${U}api/query")
[[ $r == *'"data":[["1.8 GiB","9.3 GiB"]]'* ]] || fail "a query session's limits: $r"
bg_stop srv INT

# Beyond loopback a token is needed: a 401 names the scheme.
start tok --listen 0.0.0.0:0 --token secret-token-1
h=$(head_of "${U}api/tables")
[[ $h == 'HTTP/1.1 401'* && $h == *$'\nWWW-Authenticate: Bearer realm="ticklake"\n'* ]] ||
    fail "401 without WWW-Authenticate: $h"
# /?token= logs in by a link: GET (and HEAD) only; a form's POST to it gets no cookie.
h=$(head_of "${U}?token=secret-token-1")
[[ $h == 'HTTP/1.1 303'* && $h == *'ticklake_token=secret-token-1'* ]] || fail "GET /?token=: $h"
h=$(head_of -X POST "${U}?token=secret-token-1")
[[ $h == 'HTTP/1.1 401'* && $h != *'Set-Cookie'* ]] || fail "POST /?token=: $h"
bg_stop tok INT

# A stop does not wait for a running query: it is cancelled, its client told so, and serve exits
# promptly (it waited out the query's timeout, up to 60 s).
start long --listen 127.0.0.1:0 --query-memory 512MB --query-spill 3GB
r=$(curl -s -X POST --data-binary "$limits" "${U}api/query")
[[ $r == *'"data":[["488.2 MiB","2.7 GiB"]]'* ]] || fail "--query-memory 512MB --query-spill 3GB: $r"
curl -s -w ' %{http_code}' -X POST --data-binary \
    '{"sql":"SELECT count(*) FROM range(100000000000)","timeout_ms":60000}' "${U}api/query" >"$T/long.json" &
qpid=$!
sleep 2
kill -0 "$qpid" 2>/dev/null || fail "the long query ended early: $(cat "$T/long.json")"
t0=$(date +%s%N)
bg_stop long TERM
took_ms=$((($(date +%s%N) - t0) / 1000000))
assert_eq "$BG_STATUS" 0 "serve's exit status after SIGTERM"
[ "$took_ms" -lt 5000 ] || fail "serve took $took_ms ms to stop with a query running"
wait "$qpid" || true
[[ $(cat "$T/long.json") == '{"error":"the server is stopping: the query was cancelled (query '*')"}'*' 503' ]] ||
    fail "the long query's answer: $(cat "$T/long.json")"
"$TICKLAKE" serve --lake "$T/lake" --listen 127.0.0.1:0 --duration 1 --query-memory lots 2>"$T/bad.err" && fail "--query-memory lots was taken"
grep -q -- '--query-memory' "$T/bad.err" || fail "no word on --query-memory lots: $(cat "$T/bad.err")"
"$TICKLAKE" serve --lake "$T/lake" --listen 127.0.0.1:0 --duration 1 --query-spill 10 2>"$T/bad.err" && fail "--query-spill 10 was taken"
grep -q -- '--query-spill: a size of 1MB or more' "$T/bad.err" || fail "no word on --query-spill 10: $(cat "$T/bad.err")"
echo "ok: serve HTTP edges (405/401 headers, error bodies, NUL paths, token login methods, query memory, prompt stop)"
