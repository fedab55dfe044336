#!/usr/bin/env bash
# The push stream's fan-out: one consumer per server, clients that never hold it up. Beside a live
# feed of 5,000 trades/s of 2 symbols, a client reading at 1 KB/s falls a whole ring
# (--stream-buffer 4096) behind and is dropped, while a client that keeps up is not, stays within
# 3 s of the feed, and the server keeps answering the API. Each twice: clients of every symbol scan
# the ring, clients of one symbol walk its chain and get exactly its trades.
. "$(dirname "$0")/lib.sh"
[ "$KAFKA_KIND" = embedded ] || skip "the stream's fan-out does not depend on the broker: it runs once, on the embedded broker"

pre=$(unique_name st).
# The feed runs until the end of the test (stopped there): the fast client's lag is measured against
# it, and the quiet symbol's client must see the ring turn. With 45 s it once ended before the lag
# was measured on a loaded machine (the last trade 5.3 s old, the test 52 s long).
bg_start ingest "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate 5000 --symbols 2 \
    --duration 300 -q
metric_of() { curl -s "${1}metrics" | sed -nE "s/^$2 ([0-9]+)$/\1/p"; }
# serve_up NAME BUFFER: a server of the feed with a ring of BUFFER events, once its consumer reads;
# its URL in URL.
serve_up() {
    bg_start "$1" "$TICKLAKE" serve --brokers "$BROKERS" --topic-prefix "$pre" --lake "$T/lake" \
        --listen 127.0.0.1:0 --stream-buffer "$2" --crawl-interval 0
    wait_for 10 grep -q '^http://' "$T/$1.out" || { cat "$T/$1.err" >&2; fail "$1 printed no URL"; }
    URL=$(grep -m1 '^http://' "$T/$1.out")
    consuming() { [ "$(metric_of "$URL" ticklake_serve_consumed_records_total)" -gt 1000 ]; }
    wait_for 30 consuming || { cat "$T/$1.err" >&2; fail "$1's consumer reads nothing"; }
}
serve_up srv 4096
S=$URL
metric() { metric_of "$S" "$1"; }
# A client that reads nothing blocks its handler's write until civetweb gives up (30 s); it counts
# as dropped then (it was not). On a second server whose ring (300,000 events, a minute of the
# feed) is not overtaken first, which would drop it anyway.
serve_up srv2 300000
S2=$URL
metric2() { metric_of "$S2" "$1"; }
deaf_client='
import socket, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect((u.hostname, u.port))
s.sendall(b"GET /api/stream?kinds=trade HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (u.hostname.encode(), u.port))
time.sleep(600)
'
bg_start deaf python3 -c "$deaf_client" "$S2"
deaf_start=$(date +%s)

# Two pairs: clients of every symbol scan the ring; clients of one symbol walk its chain.
sym=$(curl -s "${S}api/symbols" | sed -nE 's/.*"symbols":\["([^"]+)".*/\1/p')
[ -n "$sym" ] || fail "no symbol in /api/symbols"
bg_start fast curl -sN "${S}api/stream?kinds=trade"
bg_start fast1 curl -sN "${S}api/stream?kinds=trade&symbols=$sym"
# A slow client reads 1 KB a second through a 4 KB receive buffer: with curl --limit-rate the
# kernel's autotuned loopback buffers (megabytes) could hide the lag past the wait below.
slow_client='
import socket, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect((u.hostname, u.port))
s.sendall(b"GET /api/stream?kinds=trade%s HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (sys.argv[2].encode(), u.hostname.encode(), u.port))
while s.recv(1024):
    time.sleep(1)
'
bg_start slow python3 -c "$slow_client" "$S" ""
bg_start slow1 python3 -c "$slow_client" "$S" "&symbols=$sym"
dropped() { [ "$(metric ticklake_stream_clients_dropped_total)" -ge 2 ]; }
wait_for 40 dropped || fail "the slow clients were not both dropped: $(curl -s "${S}metrics" | grep stream_)"
sleep 3
bg_alive fast || fail "the fast client's stream ended"
bg_alive fast1 || fail "the fast client of $sym's stream ended"
grep -q '^event: dropped' "$T/fast.out" && fail "the fast client was dropped"
grep -q '^event: dropped' "$T/fast1.out" && fail "the fast client of $sym was dropped"
assert_eq "$(metric ticklake_stream_clients)" 2 "stream clients left"
# The client of one symbol gets that symbol's trades only, and as many as the other client saw of
# it over the same span (the first and last of its trades there bound it).
# Complete lines only (curl may be writing the last one), of a copy of the one-symbol stream's
# file taken now; the full stream may be a wake-up (20 ms) behind it, so the count waits until that
# one has reached the copy's last trade.
ids() { sed -nE '/^data: .*\}$/s/.*"id":([0-9]+).*/\1/p' "$1"; }
cp "$T/fast1.out" "$T/fast1.snap"
n1=$(grep -c '^data: ' "$T/fast1.snap" || true)
assert_ge "$n1" 100 "trades of $sym on its own stream"
assert_eq "$(grep '^data: .*}$' "$T/fast1.snap" | { grep -vc "\"symbol\":\"$sym\"" || true; })" 0 \
    "other symbols' trades on $sym's stream"
sym_ids() { grep "\"symbol\":\"$sym\"" "$T/fast.out" | sed -nE '/\}$/s/.*"id":([0-9]+).*/\1/p'; }
# The span starts at the later of the two streams' first trades: the two curls connect one after
# the other, and on a loaded machine the second may miss what the first got (75 trades once).
first=$(ids "$T/fast1.snap" | awk 'NR == 1')
first_full=$(sym_ids | awk 'NR == 1')
[ "${first_full:-0}" -le "$first" ] || first=$first_full
last1=$(ids "$T/fast1.snap" | awk 'END {print}')
in_span() { awk -v a="$first" -v b="$last1" '$1 >= a && $1 <= b' | wc -l; }
reached() { sym_ids | awk -v b="$last1" '$1 >= b { f = 1 } END { exit !f }'; }
wait_for 5 reached || fail "the full stream did not reach $sym's trade $last1 within 5 s"
between=$(sym_ids | in_span)
got=$(ids "$T/fast1.snap" | in_span)
assert_eq "$got" "$between" "trades of $sym between its first and last on its own stream and on the full one"
# The fast client is live: its last trade is within 3 s of now (the simulator's event time is the
# wall clock).
bg_alive ingest || fail "the feed ended before the fast client's lag was measured"
last=$(grep '^data: ' "$T/fast.out" | tail -1 | sed -nE 's/.*"ts":([0-9]+).*/\1/p')
[ -n "$last" ] || fail "the fast client got no trades"
behind_ms=$(( ($(date +%s%N) - last) / 1000000 ))
echo "fast client: $(grep -c '^event: trade' "$T/fast.out") trades, the last ${behind_ms} ms old"
[ "$behind_ms" -lt 3000 ] || fail "the fast client is ${behind_ms} ms behind"
# The API still answers while the stream runs.
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "${S}api/overview")" 200 "/api/overview"
curl -s "${S}api/overview" | grep -q '"symbol":"AAPL"' || fail "AAPL missing from the overview"
# A client may follow a symbol with no trades yet: the server notes its interest, but the symbol is
# not listed until it trades; listed ones have trades and a last price within their range.
bg_start nosuch curl -sN "${S}api/stream?kinds=trade&symbols=NOSUCH"
sleep 1
curl -s "${S}api/overview" >"$T/overview.json"
python3 - "$T/overview.json" <<'EOF2' || fail "the overview: $(head -c 300 "$T/overview.json")"
import json, sys
syms = json.load(open(sys.argv[1]))["symbols"]
assert syms, "no symbols"
assert all(s["symbol"] != "NOSUCH" for s in syms), "NOSUCH listed"
assert [s["symbol"] for s in syms] == sorted(s["symbol"] for s in syms), "not sorted"
for s in syms:
    assert s["trades"] > 0 and s["volume"] > 0, s
    assert s["low"] <= s["last"] <= s["high"] and s["low"] <= s["first"] <= s["high"], s
EOF2
curl -s "${S}api/symbols" | grep -q NOSUCH && fail "NOSUCH in /api/symbols"
bg_stop nosuch
# Clients cannot fill the server's symbol table with names that never trade: of 2,560 made-up
# names, it keeps at most 1,024 (else 320 such clients filled its 20,000 entries, and symbols
# that traded afterwards were never shown).
python3 - "$S" <<'EOF2' || fail "the made-up symbols' clients"
import http.client, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
for i in range(40):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    names = ",".join(f"Z{i}Y{k}" for k in range(64))
    c.request("GET", f"/api/stream?kinds=trade&symbols={names}")
    r = c.getresponse()
    assert r.status == 200, r.status
    c.close()
EOF2
held=$(curl -s "${S}metrics" | sed -n 's/^ticklake_stream_symbols \([0-9]*\)$/\1/p')
[ -n "$held" ] && [ "$held" -le 1100 ] || fail "the stream holds '$held' symbols after 2,560 made-up names"
# A client of a symbol that went quiet is not behind: a short second feed adds a third symbol and
# stops; its client, connected after that symbol's last trade, must outlive several turns of the
# ring (4,096 events, under a second here) and see no drop. It once was dropped as soon as the
# ring overtook its symbol's last event.
symbols() { curl -s "${S}api/symbols" | tr -d '[]"{}' | sed 's/^symbols://' | tr ',' '\n' | sort; }
symbols >"$T/two"
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate 500 --symbols 3 --seed 92 \
    --count 300 -q 2>/dev/null || fail "the short feed of 3 symbols failed"
third() { symbols | comm -13 "$T/two" -; }
has_third() { [ -n "$(third)" ]; }
wait_for 10 has_third || fail "no third symbol in /api/symbols: $(curl -s "${S}api/symbols")"
quiet=$(third)
sleep 1
bg_start quiet curl -sN "${S}api/stream?kinds=trade&symbols=$quiet"
sleep 6
bg_alive quiet || fail "the client of the quiet symbol $quiet lost its stream"
grep -q '^event: dropped' "$T/quiet.out" && fail "the client of the quiet symbol $quiet was dropped"
assert_eq "$(metric ticklake_stream_clients_dropped_total)" 2 "clients dropped (the two slow ones only)"
# A client that came while the table of untraded names was full (above), of a symbol that then
# traded, leaves the symbol's count as it found it: its next client gets its trades. The count
# once went below zero, and the next client's trades were never framed. (Without a client of
# every symbol: their trades are framed for it anyway.)
bg_stop fast
two_left() { [ "$(metric ticklake_stream_clients)" = 2 ]; } # the clients of $sym and $quiet
# A client that left while its symbols are quiet (the made-up names', AMZN's below) is noticed by a
# write: the heartbeat's, every 5-6 s, and the first write after the close may still succeed, so it
# can take two (12 s; with heartbeats every 15 s it took 24 s and 30 s).
wait_for 20 two_left || fail "stream clients: $(metric ticklake_stream_clients), want 2 (of $sym and $quiet)"
assert_eq "$(metric ticklake_stream_symbols_untraded)" 1024 "untraded names held when AMZN's first client comes"
bg_start early curl -sN "${S}api/stream?kinds=trade&symbols=AMZN"
three() { [ "$(metric ticklake_stream_clients)" = 3 ]; } # registered before AMZN trades
wait_for 10 three || fail "the first client of AMZN did not connect"
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate 500 --symbols 4 --seed 93 \
    --count 400 -q 2>/dev/null || fail "the short feed of 4 symbols failed"
amzn() { curl -s "${S}api/symbols" | grep -q AMZN; }
wait_for 10 amzn || fail "AMZN did not trade: $(curl -s "${S}api/symbols")"
# That client came when the table of untraded names was full (the made-up names' clients have gone,
# their names stay): it still gets AMZN's trades once AMZN trades. It got none, the symbol's entry
# made by its first trade not counting the client that was waiting for it.
early_trades() { grep -q '^data: {"symbol":"AMZN"' "$T/early.out"; }
wait_for 10 early_trades || fail "the client of AMZN that came before AMZN traded got no trade: $(curl -s "${S}metrics" | grep stream_)"
bg_stop early
wait_for 20 two_left || fail "the server did not notice the first client of AMZN leave"
bg_start late curl -sN "${S}api/stream?kinds=trade&symbols=AMZN"
wait_for 10 three || fail "the second client of AMZN did not connect"
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate 500 --symbols 4 --seed 94 \
    --count 400 -q 2>/dev/null || fail "the second short feed of 4 symbols failed"
late_trades() { grep -q '^data: {"symbol":"AMZN"' "$T/late.out"; }
wait_for 10 late_trades || fail "the second client of AMZN got no trade: $(curl -s "${S}metrics" | grep stream_)"
bg_stop late
bg_stop quiet
bg_stop slow
deaf_dropped() { [ "$(metric2 ticklake_stream_clients_dropped_total)" -ge 1 ]; }
deaf_wait=$((deaf_start + 50 - $(date +%s)))
wait_for $((deaf_wait > 1 ? deaf_wait : 1)) deaf_dropped ||
    fail "the client that reads nothing was not counted as dropped: $(curl -s "${S2}metrics" | grep stream_)"
assert_eq "$(metric2 ticklake_stream_clients)" 0 "serve 2's stream clients after the deaf one's drop"
bg_stop deaf
bg_stop srv2 INT
bg_stop srv INT
assert_eq "$BG_STATUS" 0 "serve exit status"
bg_stop ingest INT
