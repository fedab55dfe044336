#!/usr/bin/env bash
# The push stream's fan-out: one consumer per server, clients that never hold it up. Beside a live
# feed of 5,000 trades/s, a client reading at 1 KB/s falls a whole ring (--stream-buffer 4096) behind
# and is dropped, while a client that keeps up is not, stays within 3 s of the feed, and the server
# keeps answering the API.
. "$(dirname "$0")/lib.sh"

pre=$(unique_name st).
bg_start ingest "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate 5000 --symbols 20 \
    --duration 45 -q
bg_start srv "$TICKLAKE" serve --brokers "$BROKERS" --topic-prefix "$pre" --lake "$T/lake" \
    --listen 127.0.0.1:0 --stream-buffer 4096 --crawl-interval 0
wait_for 10 grep -q '^http://' "$T/srv.out" || { cat "$T/srv.err" >&2; fail "serve printed no URL"; }
S=$(grep -m1 '^http://' "$T/srv.out")
metric() { curl -s "${S}metrics" | sed -nE "s/^$1 ([0-9]+)$/\1/p"; }
consuming() { [ "$(metric ticklake_serve_consumed_records_total)" -gt 1000 ]; }
wait_for 30 consuming || { cat "$T/srv.err" >&2; fail "the server's consumer reads nothing"; }

bg_start fast curl -sN "${S}api/stream?kinds=trade"
# The slow client reads 1 KB a second through a 4 KB receive buffer: with curl --limit-rate the
# kernel's autotuned loopback buffers (megabytes) could hide the lag past the wait below.
bg_start slow python3 -c '
import socket, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect((u.hostname, u.port))
s.sendall(b"GET /api/stream?kinds=trade HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (u.hostname.encode(), u.port))
while s.recv(1024):
    time.sleep(1)
' "$S"
dropped() { [ "$(metric ticklake_stream_clients_dropped_total)" -ge 1 ]; }
wait_for 30 dropped || fail "the slow client was not dropped: $(curl -s "${S}metrics" | grep stream_)"
sleep 3
bg_alive fast || fail "the fast client's stream ended"
grep -q '^event: dropped' "$T/fast.out" && fail "the fast client was dropped"
assert_eq "$(metric ticklake_stream_clients)" 1 "stream clients left"
# The fast client is live: its last trade is within 3 s of now (the simulator's event time is the
# wall clock).
last=$(grep '^data: ' "$T/fast.out" | tail -1 | sed -nE 's/.*"ts":([0-9]+).*/\1/p')
[ -n "$last" ] || fail "the fast client got no trades"
behind_ms=$(( ($(date +%s%N) - last) / 1000000 ))
echo "fast client: $(grep -c '^event: trade' "$T/fast.out") trades, the last ${behind_ms} ms old"
[ "$behind_ms" -lt 3000 ] || fail "the fast client is ${behind_ms} ms behind"
# The API still answers while the stream runs.
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "${S}api/overview")" 200 "/api/overview"
curl -s "${S}api/overview" | grep -q '"symbol":"AAPL"' || fail "AAPL missing from the overview"
bg_stop fast
bg_stop slow
bg_stop srv INT
assert_eq "$BG_STATUS" 0 "serve exit status"
bg_stop ingest INT
