#!/usr/bin/env bash
# REST polling (Finnhub quotes, Alpha Vantage intraday bars) against tests/feeds/rest_server.py:
# the first request of each symbol is throttled (HTTP 429, Alpha Vantage's "Information" note) and
# retried; polling again and again publishes every snapshot and bar served exactly once, to the
# snapshots and bars.rest topics (not trades), with US/Eastern bar times in UTC; a rejected key
# exits 1 at once.
. "$(dirname "$0")/lib.sh"
py=$("$ROOT/tests/tools/venv.sh") || fail "unable to set up the Python venv (tests/tools/venv.sh)"

pre=$(unique_name t).
bg_start rest "$py" "$ROOT/tests/feeds/rest_server.py" --served "$T/served"
port_known() { [ -s "$T/rest.out" ]; }
wait_for 20 port_known || fail "the REST server did not start: $(cat "$T/rest.err")"
port=$(head -1 "$T/rest.out")
poll=(--poll-interval 300ms --poll-gap 50ms --duration 3s --brokers "$BROKERS" --topic-prefix "$pre")

FINNHUB_TOKEN=testkey "$TICKLAKE" ingest --source finnhub-quote --symbols AAPL,MSFT \
    --feed-url "http://127.0.0.1:$port/api/v1/quote" "${poll[@]}" 2>"$T/fh.err" ||
    fail "finnhub-quote failed: $(tail -3 "$T/fh.err")"
line=$(grep '^ticklake ingest: finnhub-quote' "$T/fh.err")
[[ $line =~ ([0-9]+)\ throttled ]] && [ "${BASH_REMATCH[1]}" = 2 ] || fail "throttling not counted: $line"
served=$(grep -c '"snapshot"' "$T/served")
assert_ge "$served" 4 "snapshots served"
assert_eq "$(kafka_end_sum "${pre}snapshots")" "$served" "snapshots in Kafka vs served"
kcat -C -b "$BROKERS" -t "${pre}snapshots" -e -q -f '%s\n' |
    "$py" -c 'import json,sys; r=[json.loads(l) for l in sys.stdin]; k=[(x["symbol"],x["ts"]) for x in r]; sys.exit(len(k)!=len(set(k)))' ||
    fail "a snapshot published twice"

ALPHAVANTAGE_API_KEY=testkey "$TICKLAKE" ingest --source alphavantage --symbols IBM \
    --feed-url "http://127.0.0.1:$port/query" "${poll[@]}" 2>"$T/av.err" ||
    fail "alphavantage failed: $(tail -3 "$T/av.err")"
grep -q "throttled (alphavantage: Thank you for using Alpha Vantage" "$T/av.err" ||
    fail "the Information note was not reported: $(tail -3 "$T/av.err")"
served=$(grep -c '"bar"' "$T/served")
assert_ge "$served" 11 "bars served"
assert_eq "$(kafka_end_sum "${pre}bars.rest")" "$served" "bars in Kafka vs served (each once)"
# The first bar served is 09:35 US/Eastern on 2024-06-14 (EDT): 13:35 UTC.
first=$(kcat -C -b "$BROKERS" -t "${pre}bars.rest" -e -q -f '%s\n' | sed -E 's/.*"window_start":([0-9]+).*/\1/' | sort -n | head -1)
assert_eq "$first" 1718372100000000000 "first bar's window_start (UTC)"

rc=0
FINNHUB_TOKEN=wrong timeout 20 "$TICKLAKE" ingest --source finnhub-quote --symbols AAPL \
    --feed-url "http://127.0.0.1:$port/api/v1/quote" "${poll[@]}" 2>"$T/bad.err" || rc=$?
assert_eq "$rc" 1 "finnhub-quote exit status on a rejected key"
grep -q "the key was rejected (HTTP 401)" "$T/bad.err" || fail "no clear message: $(tail -2 "$T/bad.err")"
rc=0
ALPHAVANTAGE_API_KEY=wrong timeout 20 "$TICKLAKE" ingest --source alphavantage --symbols IBM \
    --feed-url "http://127.0.0.1:$port/query" "${poll[@]}" 2>"$T/bad2.err" || rc=$?
assert_eq "$rc" 1 "alphavantage exit status on a rejected key"
grep -q "apikey is invalid" "$T/bad2.err" || fail "no clear message: $(tail -2 "$T/bad2.err")"
! grep -q wrong "$T/bad.err" "$T/bad2.err" || fail "the key is in the log"
echo "ok: REST polling: snapshots and bars once each, throttling retried, rejected keys exit 1"
