#!/usr/bin/env bash
# Live stock feeds (Finnhub, Alpaca, Polygon) against the replay server (tests/feeds/): sessions cut
# five times with trades replayed after each reconnect (Alpaca and Polygon also refuse a reconnect
# once for their one-connection limit, and stream quotes too); the trades in Kafka equal the trades
# sent, nothing doubled, and every quote sent is in the quotes topic. A rejected key (Alpaca's 402, Polygon's auth_failed, Finnhub's HTTP 401) exits 1
# at once with a clear message instead of retrying.
. "$(dirname "$0")/lib.sh"
[ "$KAFKA_KIND" = embedded ] || skip "the feeds' sessions do not depend on the broker: it runs once, on the embedded broker"
. "$ROOT/tests/feeds/feeds.sh"

pre=$(unique_name t).
for provider in finnhub alpaca polygon; do
    limit=() quotes=() quiet=() stall=5s
    # Alpaca and Polygon send no heartbeat and are silent outside trading hours: a server silent
    # for 2.5 s that answers pings is a quiet market, not a stall (--feed-stall 1s).
    [ "$provider" = finnhub ] || limit=(--limit-once) quotes=(--feed-quotes) quiet=(--stall 2.5) stall=1s
    feed_session "$provider" "$provider" AAPL,MSFT --trades 1500 --batch 25 --disconnects 5 \
        --replay 9 "${limit[@]}" "${quiet[@]}" -- --feed-stall $stall "${quotes[@]}"
    if [ ${#quiet[@]} -gt 0 ]; then
        ! grep -q "silent for" "$T/$provider.err" ||
            fail "$provider: a silent server that answers pings was taken for a stall: $(grep 'silent for' "$T/$provider.err")"
    fi
    if [ ${#quotes[@]} -gt 0 ]; then
        # One quote rides in each batch frame; those of replayed batches come again (quotes have
        # no id to drop them by), so Kafka holds every quote sent.
        assert_eq "$(kafka_end_sum "$QUOTES_TOPIC")" "$(summary_of quotes_sent)" "$provider: quotes in Kafka"
        [[ $LINE =~ ([0-9]+)\ quotes ]] || fail "$provider: no quotes in the report: $LINE"
        assert_eq "${BASH_REMATCH[1]}" "$(summary_of quotes_sent)" "$provider: quotes reported"
    fi
    # Alpaca and Polygon allow one connection: the first reconnect is refused once with the
    # connection-limit error, retried after a backoff.
    assert_eq "$(count_of reconnects)" $((5 + ${#limit[@]})) "$provider: reconnects reported"
    case $provider in
    alpaca) grep -q 'alpaca: error 406: connection limit exceeded.*; reconnecting' "$T/$provider.err" ;;
    polygon) grep -q 'polygon: connection limit: .*; reconnecting' "$T/$provider.err" ;;
    *) true ;;
    esac || fail "$provider: the connection limit was not reported: $(grep -i limit "$T/$provider.err")"
    assert_eq "$(count_of "duplicates dropped")" "$(summary_of dups_sent)" "$provider: duplicates dropped"
    assert_eq "$(count_of trades)" 1500 "$provider: trades sent to Kafka"
    echo "ok: $provider: $LINE"
done

# Finnhub confirms nothing: a server that takes the subscription and hangs up, four times, is
# not a session that subscribed, so the backoff keeps growing (500 ms doubling: the fourth wait
# is 2 to 4 s) instead of starting again at 500 ms each time.
feed_server hangup finnhub --trades 100 --nsymbols 1 --hangup 4
bg_start hangup-ingest "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "${pre}hangup." \
    --source finnhub --symbols AAPL --feed-url "ws://127.0.0.1:$PORT/"
four_waits() { [ "$(grep -c 'finnhub: reconnecting in' "$T/hangup-ingest.err")" -ge 4 ]; }
wait_for 30 four_waits || fail "finnhub: not four reconnects: $(grep -v CONFWARN "$T/hangup-ingest.err" | tail -5)"
waits=$(sed -nE 's/.*finnhub: reconnecting in ([0-9]+) ms.*/\1/p' "$T/hangup-ingest.err" | head -4 | tr '\n' ' ')
read -r _ _ _ w4 <<<"$waits"
assert_ge "$w4" 2000 "finnhub: the fourth reconnect's wait after four hang-ups (waits: $waits)"
[ "$(grep -c 'finnhub: connected to' "$T/hangup-ingest.err")" -le 1 ] ||
    fail "finnhub: a hung-up session counted as subscribed: $(grep 'connected to' "$T/hangup-ingest.err")"
bg_stop hangup-ingest TERM
bg_stop hangup TERM
echo "ok: finnhub: four hang-ups after the subscription, waits $waits ms"

for provider in alpaca polygon finnhub; do
    feed_server "$provider-bad" "$provider" --auth-fail
    [ "$provider" = finnhub ] && export FINNHUB_TOKEN=wrongtoken123
    start=$(date +%s)
    rc=0
    timeout 30 "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "${pre}bad." --source "$provider" \
        --symbols AAPL --feed-url "ws://127.0.0.1:$PORT/" 2>"$T/$provider-bad.log" || rc=$?
    assert_eq "$rc" 1 "$provider: exit status on a rejected key"
    [ $(($(date +%s) - start)) -le 10 ] || fail "$provider: took more than 10 s to give up on a rejected key"
    case $provider in
    alpaca) grep -q 'alpaca: error 402: auth failed' "$T/$provider-bad.log" ;;
    polygon) grep -q 'polygon: authentication failed' "$T/$provider-bad.log" ;;
    finnhub) grep -q 'finnhub: the key was rejected: .*HTTP 401' "$T/$provider-bad.log" ;;
    esac || fail "$provider: no clear message: $(cat "$T/$provider-bad.log")"
    ! grep -q wrongtoken123 "$T/$provider-bad.log" || fail "$provider: the key is in the log"
    export FINNHUB_TOKEN=testkey
    bg_stop "$provider-bad" TERM
    echo "ok: $provider: a rejected key exits 1 at once"
done

# One source's rejected key stops the others at once: Polygon's server here accepts the TCP
# connection and never answers the upgrade (a 10 s wait that must not hold the exit).
feed_server both-bad alpaca --auth-fail
bg_start silent "$py" -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True); time.sleep(120)'
silent_port() { [ -s "$T/silent.out" ]; }
wait_for 10 silent_port || fail "the silent server did not start"
start=$(date +%s%N)
rc=0
timeout 30 "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "${pre}both-bad." --source alpaca,polygon \
    --symbols AAPL --feed-url "alpaca=ws://127.0.0.1:$PORT/" \
    --feed-url "polygon=ws://127.0.0.1:$(head -1 "$T/silent.out")/" 2>"$T/both-bad.log" || rc=$?
took=$((($(date +%s%N) - start) / 1000000))
assert_eq "$rc" 1 "alpaca,polygon: exit status on alpaca's rejected key"
grep -q 'alpaca: error 402: auth failed' "$T/both-bad.log" || fail "alpaca,polygon: no clear message: $(tail -3 "$T/both-bad.log")"
[ "$took" -le 5000 ] || fail "alpaca,polygon: $took ms to exit on a rejected key (polygon's wait held it)"
bg_stop silent
bg_stop both-bad TERM
echo "ok: a rejected key stops the other source at once ($took ms)"

# Keys from a config file instead of the environment (as a real deployment keeps them out of ps).
feed_server cfg-server alpaca --trades 200
printf '[ingest run]\napca-api-key-id = testkey\napca-api-secret-key = secret\n' >"$T/keys.conf"
bg_start cfg env -u APCA_API_KEY_ID -u APCA_API_SECRET_KEY "$TICKLAKE" ingest --config "$T/keys.conf" \
    --brokers "$BROKERS" --topic-prefix "${pre}cfg." --source alpaca --symbols AAPL,MSFT \
    --feed-url "ws://127.0.0.1:$PORT/"
cfg_done() {
    [ -s "$T/cfg-server.summary" ] &&
        kcat -L -b "$BROKERS" -t "${pre}cfg.trades" 2>/dev/null | grep -q ' partition ' &&
        [ "$(kafka_end_sum "${pre}cfg.trades")" -ge 200 ]
}
wait_for 60 cfg_done || fail "keys from a config file: not every trade arrived: $(tail -3 "$T/cfg.err")"
bg_stop cfg TERM
assert_eq "$BG_STATUS" 0 "keys from a config file: exit status"
echo "ok: alpaca: keys from a config file"
