#!/usr/bin/env bash
# REST polling (Finnhub quotes, Alpha Vantage intraday bars) against tests/feeds/rest_server.py:
# the first request of each symbol is throttled (HTTP 429, Alpha Vantage's "Information" note) and
# retried; polling again and again, also after a restart, publishes every snapshot and bar served
# exactly once, to the snapshots and bars.rest topics (not trades), with US/Eastern bar times in
# UTC; a rejected key exits 1 at once.
. "$(dirname "$0")/lib.sh"
[ "$KAFKA_KIND" = embedded ] || skip "REST polling does not depend on the broker: it runs once, on the embedded broker"
py=$("$ROOT/tests/tools/venv.sh") || fail "unable to set up the Python venv (tests/tools/venv.sh)"

pre=$(unique_name t).
bg_start rest "$py" "$ROOT/tests/feeds/rest_server.py" --served "$T/served"
port_known() { [ -s "$T/rest.out" ]; }
wait_for 20 port_known || fail "the REST server did not start: $(cat "$T/rest.err")"
port=$(head -1 "$T/rest.out")
poll=(--poll-interval 300ms --poll-gap 50ms --duration 3s --brokers "$BROKERS" --topic-prefix "$pre")

# LAG's time goes back every other answer: an older snapshot is not published again.
FINNHUB_TOKEN=testkey "$TICKLAKE" ingest --source finnhub-quote --symbols AAPL,MSFT,LAG \
    --feed-url "http://127.0.0.1:$port/api/v1/quote" "${poll[@]}" 2>"$T/fh.err" ||
    fail "finnhub-quote failed: $(tail -3 "$T/fh.err")"
line=$(grep '^ticklake ingest: finnhub-quote' "$T/fh.err")
[[ $line =~ ([0-9]+)\ throttled ]] && [ "${BASH_REMATCH[1]}" = 3 ] || fail "throttling not counted: $line"
served=$(grep -c '"snapshot"' "$T/served")
assert_ge "$served" 4 "snapshots served"
assert_eq "$(kafka_end_sum "${pre}snapshots")" "$served" "snapshots in Kafka vs served"
kcat -C -b "$BROKERS" -t "${pre}snapshots" -e -q -f '%s\n' |
    "$py" -c 'import json,sys; r=[json.loads(l) for l in sys.stdin]; k=[(x["symbol"],x["ts"]) for x in r]; sys.exit(len(k)!=len(set(k)))' ||
    fail "a snapshot published twice"

av_poll() { # NAME: one Alpha Vantage poller run, its log in $T/NAME.err
    ALPHAVANTAGE_API_KEY=testkey "$TICKLAKE" ingest --source alphavantage --symbols IBM,NOSUCH \
        --feed-url "http://127.0.0.1:$port/query" "${poll[@]}" 2>"$T/$1.err" ||
        fail "alphavantage ($1) failed: $(tail -3 "$T/$1.err")"
}
av_poll av
# A symbol Alpha Vantage does not know ("Invalid API call") is an error of that symbol: logged,
# counted, the other symbols polled on; only a rejected key stops the poller.
grep -q "alphavantage NOSUCH: Invalid API call" "$T/av.err" ||
    fail "the unknown symbol was not reported: $(grep -v CONFWARN "$T/av.err" | tail -3)"
grep -q "throttled (alphavantage: Thank you for using Alpha Vantage" "$T/av.err" ||
    fail "the Information note was not reported: $(tail -3 "$T/av.err")"
served=$(grep -c '"bar"' "$T/served")
assert_ge "$served" 11 "bars served"
assert_eq "$(kafka_end_sum "${pre}bars.rest")" "$served" "bars in Kafka vs served (each once)"
# A restarted poller reads what the topic holds first: the bars it is served again are not
# published again.
av_poll av2
grep -q "records of these symbols already in '${pre}bars.rest'" "$T/av2.err" ||
    fail "the restarted poller did not read the topic: $(grep -v CONFWARN "$T/av2.err" | tail -3)"
served=$(grep -c '"bar"' "$T/served")
assert_eq "$(kafka_end_sum "${pre}bars.rest")" "$served" "bars in Kafka vs served after a restart (each once)"
# The first bar served is 09:35 US/Eastern on 2024-06-14 (EDT): 13:35 UTC.
first=$(kcat -C -b "$BROKERS" -t "${pre}bars.rest" -e -q -f '%s\n' | sed -E 's/.*"window_start":([0-9]+).*/\1/' | sort -n | head -1)
assert_eq "$first" 1718372100000000000 "first bar's window_start (UTC)"

# run polls too, beside no trade source, and its sink lands both topics in their own tables:
# every snapshot and bar in Kafka once in the lake (the bars published by ingest above included).
lake=$T/lake
FINNHUB_TOKEN=testkey ALPHAVANTAGE_API_KEY=testkey "$TICKLAKE" run --no-serve --lake "$lake" \
    --source finnhub-quote --symbols AAPL,MSFT --feed-url "http://127.0.0.1:$port/api/v1/quote" \
    --poll-interval 300ms --poll-gap 50ms --duration 4s --brokers "$BROKERS" --topic-prefix "$pre" \
    --status-interval 1s 2>"$T/run.err" || fail "run --source finnhub-quote failed: $(tail -5 "$T/run.err")"
grep -qE '^rest finnhub-quote: [1-9][0-9]* records delivered' "$T/run.err" ||
    fail "no REST status line: $(tail -5 "$T/run.err")"
grep -qE '^ticklake run: finnhub-quote: [0-9]+ requests, [1-9][0-9]* records' "$T/run.err" ||
    fail "no REST summary: $(tail -5 "$T/run.err")"
"$TICKLAKE" crawl --lake "$lake" >/dev/null
# The lake holds the topic's snapshots exactly once each, and the topic holds each once: run's
# poller is a new process, which read the topic's tail before it published.
snaps=$(kafka_end_sum "${pre}snapshots")
kdistinct=$(kcat -C -b "$BROKERS" -t "${pre}snapshots" -e -q -f '%s\n' |
    "$py" -c 'import json,sys; print(len({(r["symbol"], r["ts"]) for r in map(json.loads, sys.stdin)}))')
assert_eq "$("$TICKLAKE" query --lake "$lake" --format csv "SELECT count(*), count(DISTINCT (symbol, ts)) FROM snapshots" | tail -1)" "$snaps,$kdistinct" "snapshots in the lake vs Kafka"
assert_eq "$kdistinct" "$snaps" "distinct snapshots in Kafka (none again after a restart)"
assert_eq "$("$TICKLAKE" query --lake "$lake" --format csv "SELECT count(*), count(DISTINCT (symbol, window_start)), min(epoch_ns(window_start)) FROM bars_rest" | tail -1)" \
    "$(kafka_end_sum "${pre}bars.rest"),$(kafka_end_sum "${pre}bars.rest"),1718372100000000000" "REST bars in the lake, once each"
assert_eq "$("$TICKLAKE" query --lake "$lake" --format csv "SELECT count(*) FROM snapshots WHERE price > 0 AND source = 'finnhub' AND recv_ts > 0" | tail -1)" "$snaps" "snapshot columns"
[ ! -d "$lake/trades" ] || fail "a REST-only run landed trades: $(ls "$lake/trades")"

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
echo "ok: REST polling: snapshots and bars once each (Kafka and the lake, ingest and run), throttling retried, rejected keys exit 1"
