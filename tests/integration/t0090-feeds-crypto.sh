#!/usr/bin/env bash
# Live crypto feeds (Coinbase, Binance, Kraken) against the replay server (tests/feeds/): each session
# is cut five times mid-stream (every other cut inside a frame), replays the last trades after each
# reconnect, leaves ids out, refuses the first connection and goes silent once. The trades in Kafka
# equal the trades sent (ids, exact prices, sizes, times), nothing doubled; the reconnects, gaps and
# duplicates dropped are reported; SIGTERM exits 0 with everything delivered.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/feeds/feeds.sh"

pre=$(unique_name t).
for provider in coinbase binance kraken; do
    case $provider in
    binance) syms=BTC-USDT,ETH-USDT ;;
    *) syms=BTC-USD,ETH-USD ;;
    esac
    feed_session "$provider" "$provider" "$syms" --trades 2000 --batch 20 --disconnects 5 \
        --replay 7 --gaps 3 --refuse 1 --stall 2.5 -- --feed-stall 1s
    # 5 cuts, the refused first attempt, and the stall the watchdog ended.
    assert_eq "$(count_of reconnects)" 7 "$provider: reconnects reported"
    assert_eq "$(count_of gaps)" 3 "$provider: gaps reported"
    assert_eq "$(count_of "duplicates dropped")" "$(summary_of dups_sent)" "$provider: duplicates dropped"
    assert_eq "$(count_of trades)" 2000 "$provider: trades sent to Kafka"
    grep -q "silent for" "$T/$provider.err" || fail "$provider: the watchdog did not report the stall"
    echo "ok: $provider: $LINE"
done

# Two sources at once into one topic, each record naming its source.
feed_server cb-server coinbase --trades 300
cb_port=$PORT
feed_server kr-server kraken --trades 300
kr_port=$PORT
bg_start both "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "${pre}both." \
    --source coinbase,kraken --symbols BTC-USD,ETH-USD \
    --feed-url "coinbase=ws://127.0.0.1:$cb_port/" --feed-url "kraken=ws://127.0.0.1:$kr_port/"
both_done() {
    [ -s "$T/cb-server.summary" ] && [ -s "$T/kr-server.summary" ] &&
        kcat -L -b "$BROKERS" -t "${pre}both.trades" 2>/dev/null | grep -q ' partition ' &&
        [ "$(kafka_end_sum "${pre}both.trades")" -ge 600 ]
}
wait_for 60 both_done || fail "coinbase,kraken: not every trade arrived"
bg_stop both TERM
assert_eq "$BG_STATUS" 0 "coinbase,kraken: exit status"
kcat -C -b "$BROKERS" -t "${pre}both.trades" -e -q -f '%s\n' >"$T/both.records"
"$py" "$ROOT/tests/feeds/check_records.py" coinbase "$T/cb-server.truth" "$T/both.records"
"$py" "$ROOT/tests/feeds/check_records.py" kraken "$T/kr-server.truth" "$T/both.records"
echo "ok: coinbase and kraken at once"
