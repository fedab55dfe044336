#!/usr/bin/env bash
# Live crypto feeds (Coinbase, Binance, Kraken), trades and quotes, against the replay server (tests/feeds/): each session
# is cut five times mid-stream (every other cut inside a frame), replays the last trades after each
# reconnect, leaves ids out, sends some ids out of order, refuses the first connection and goes
# silent once. The trades in Kafka
# equal the trades sent (ids, exact prices, sizes, times), nothing doubled; the reconnects, gaps and
# duplicates dropped are reported; SIGTERM exits 0 with everything delivered.
. "$(dirname "$0")/lib.sh"
[ "$KAFKA_KIND" = embedded ] || skip "the feeds' sessions do not depend on the broker: it runs once, on the embedded broker"
. "$ROOT/tests/feeds/feeds.sh"

pre=$(unique_name t).
for provider in coinbase binance kraken; do
    case $provider in
    binance) syms=BTC-USDT,ETH-USDT ;;
    *) syms=BTC-USD,ETH-USD ;;
    esac
    feed_session "$provider" "$provider" "$syms" --trades 2000 --batch 20 --disconnects 5 \
        --replay 7 --gaps 3 --late 4 --refuse 1 --stall 2.5 --ping 0.3 -- --feed-stall 1s --feed-quotes
    # The best bid and offer of every 10th trade (Coinbase ticker, Binance bookTicker, Kraken
    # ticker) rides before its batch; those of replayed trades come again (quotes have no id to drop
    # them by), and one lost in a cut comes again with its trade. So the distinct quotes in Kafka are
    # exactly those sent (prices exact, sizes in lots of 1e-8), and no more records than were sent.
    kq=$(kafka_end_sum "$QUOTES_TOPIC")
    assert_ge "$kq" 200 "$provider: quotes in Kafka"
    [ "$kq" -le "$(summary_of quotes_sent)" ] || fail "$provider: $kq quotes in Kafka, $(summary_of quotes_sent) sent"
    kcat -C -b "$BROKERS" -t "$QUOTES_TOPIC" -e -q -f '%s\n' >"$T/$provider.quotes"
    "$py" "$ROOT/tests/feeds/check_quotes.py" "$provider" "$T/$provider-server.truth.quotes" \
        "$T/$provider.quotes" || fail "$provider: the quotes in Kafka differ from the quotes sent"
    # 5 cuts, the refused first attempt, and the stall the watchdog ended; none for the server's
    # pings every 0.3 s (the library answers them: the server drops a client that does not).
    assert_eq "$(count_of reconnects)" 7 "$provider: reconnects reported"
    # The 4 late trades were counted missing, then taken back when they came.
    assert_eq "$(count_of gaps)" 3 "$provider: gaps reported"
    assert_eq "$(grep -c 'arrived late, filling a gap' "$T/$provider.err")" 4 "$provider: late trades"
    assert_eq "$(count_of "duplicates dropped")" "$(summary_of dups_sent)" "$provider: duplicates dropped"
    assert_eq "$(count_of trades)" 2000 "$provider: trades sent to Kafka"
    grep -q "silent for" "$T/$provider.err" || fail "$provider: the watchdog did not report the stall"
    echo "ok: $provider: $LINE"
done

# A burst: 30,000 trades as fast as the server can write them (500 a frame), cut once.
feed_session burst binance BTC-USDT,ETH-USDT --trades 30000 --batch 500 --interval 0 \
    --disconnects 1 --replay 100
assert_eq "$(count_of trades)" 30000 "burst: trades sent to Kafka"
assert_eq "$(count_of "duplicates dropped")" 100 "burst: duplicates dropped"
echo "ok: burst: $LINE"

# A shutdown notice with trades behind it in the same read, twice: the trades after the notice
# are handled before the connection closes (no provider sends them again).
feed_session notice binance BTC-USDT,ETH-USDT --trades 600 --batch 20 --notices 2
assert_eq "$(count_of trades)" 600 "notice: trades sent to Kafka"
assert_eq "$(count_of reconnects)" 2 "notice: reconnects reported"
grep -q "announced a shutdown" "$T/notice.err" || fail "notice: the shutdown was not reported"
echo "ok: notice: $LINE"

# A slow reader: ingest is stopped (SIGSTOP) for 3 s while the server keeps writing, so the
# socket buffers fill and the server's writes wait; after SIGCONT every trade arrives, none twice,
# and the pause is no reason to reconnect.
feed_server slow-server kraken --trades 3000 --batch 10 --interval 0.005
bg_start slow "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "${pre}slow." --source kraken \
    --symbols BTC-USD,ETH-USD --feed-url "ws://127.0.0.1:$PORT/"
slow_started() { grep -q "subscribed to" "$T/slow.err"; }
wait_for 20 slow_started || fail "slow reader: not subscribed: $(tail -3 "$T/slow.err")"
sleep 0.5
kill -STOP "$(bg_pid slow)"
sleep 3
kill -CONT "$(bg_pid slow)"
slow_done() {
    [ -s "$T/slow-server.summary" ] &&
        kcat -L -b "$BROKERS" -t "${pre}slow.trades" 2>/dev/null | grep -q ' partition ' &&
        [ "$(kafka_end_sum "${pre}slow.trades")" -ge 3000 ]
}
wait_for 60 slow_done || fail "slow reader: not every trade arrived: $(tail -3 "$T/slow.err")"
bg_stop slow TERM
assert_eq "$BG_STATUS" 0 "slow reader: exit status"
LINE=$(grep '^ticklake ingest: ' "$T/slow.err" | tail -1)
assert_eq "$(count_of reconnects)" 0 "slow reader: reconnects"
kcat -C -b "$BROKERS" -t "${pre}slow.trades" -e -q -f '%s\n' >"$T/slow.records"
"$py" "$ROOT/tests/feeds/check_records.py" kraken "$T/slow-server.truth" "$T/slow.records"
echo "ok: slow reader: $LINE"

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

# wss:// with the library's TLS: trusted through --feed-ca (a self-signed certificate for localhost),
# refused without it, with a message that says why.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost" 2>/dev/null
feed_server tls-server coinbase --trades 300 --tls "$T/cert.pem" "$T/key.pem"
bg_start untrusted "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "${pre}untrusted." \
    --source coinbase --symbols BTC-USD --feed-url "wss://localhost:$PORT/"
said() { grep -q "TLS handshake failed" "$T/untrusted.err"; }
wait_for 20 said || fail "wss:// with an untrusted certificate: no clear error: $(tail -3 "$T/untrusted.err")"
bg_stop untrusted TERM
assert_eq "$BG_STATUS" 0 "untrusted: exit status after SIGTERM"
grep -q "0 trades," "$T/untrusted.err" || fail "trades arrived over an untrusted connection"
bg_start tls "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "${pre}tls." --source coinbase \
    --symbols BTC-USD,ETH-USD --feed-url "wss://localhost:$PORT/" --feed-ca "$T/cert.pem"
tls_done() {
    [ -s "$T/tls-server.summary" ] &&
        kcat -L -b "$BROKERS" -t "${pre}tls.trades" 2>/dev/null | grep -q ' partition ' &&
        [ "$(kafka_end_sum "${pre}tls.trades")" -ge 300 ]
}
wait_for 60 tls_done || fail "wss://: not every trade arrived: $(tail -3 "$T/tls.err")"
bg_stop tls TERM
assert_eq "$BG_STATUS" 0 "wss://: exit status"
kcat -C -b "$BROKERS" -t "${pre}tls.trades" -e -q -f '%s\n' >"$T/tls.records"
"$py" "$ROOT/tests/feeds/check_records.py" coinbase "$T/tls-server.truth" "$T/tls.records"
echo "ok: wss:// trusted through --feed-ca, refused without"

# A restarted feed: on subscribe the provider sends recent trades again (Kraken's snapshot; here
# the last 15), which the first process published already. The second process learns the trades
# of its sources from the topic's tail and publishes none of them twice.
feed_server restart-server kraken --trades 600 --batch 10 --replay 15 --interval 0.05
rcmd=("$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "${pre}restart." --source kraken
    --symbols BTC-USD,ETH-USD --feed-url "ws://127.0.0.1:$PORT/")
bg_start restart1 "${rcmd[@]}"
some_in() {
    kcat -L -b "$BROKERS" -t "${pre}restart.trades" 2>/dev/null | grep -q ' partition ' &&
        [ "$(kafka_end_sum "${pre}restart.trades")" -ge 100 ]
}
wait_for 30 some_in || fail "restart: the first process published nothing: $(tail -3 "$T/restart1.err")"
bg_stop restart1 TERM
assert_eq "$BG_STATUS" 0 "restart: exit status of the first process"
bg_start restart2 "${rcmd[@]}"
restart_done() {
    [ -s "$T/restart-server.summary" ] &&
        [ "$(kafka_end_sum "${pre}restart.trades")" -ge "$(wc -l <"$T/restart-server.truth")" ]
}
wait_for 60 restart_done || fail "restart: not every trade arrived: $(tail -3 "$T/restart2.err")"
sleep 0.5
bg_stop restart2 TERM
assert_eq "$BG_STATUS" 0 "restart: exit status of the second process"
kcat -C -b "$BROKERS" -t "${pre}restart.trades" -e -q -f '%s\n' >"$T/restart.records"
"$py" "$ROOT/tests/feeds/check_records.py" kraken "$T/restart-server.truth" "$T/restart.records" ||
    fail "restart: the records differ from the trades sent (the snapshot published twice?)"
grep -q "trades of these sources already in '${pre}restart.trades'" "$T/restart2.err" ||
    fail "restart: the second process did not read the topic's tail: $(grep -v CONFWARN "$T/restart2.err" | head -5)"
echo "ok: restart: the snapshot sent again on subscribe was not published twice"

# The benchmark's server (bench/feed.sh) builds its frames from this fixture's sessions: it still
# starts and serves, and every trade lands (a fixture option it did not know once broke it).
bg_start bench-server "$py" "$ROOT/bench/feed_server.py" --provider coinbase --symbols BTC-USD,ETH-USD \
    --trades 5000
port_known() { [ -s "$T/bench-server.out" ]; }
wait_for 60 port_known || fail "bench server: did not start: $(tail -3 "$T/bench-server.err")"
bg_start bench "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "${pre}bench." --source coinbase \
    --symbols BTC-USD,ETH-USD --feed-url "ws://127.0.0.1:$(head -1 "$T/bench-server.out")/"
bench_done() {
    kcat -L -b "$BROKERS" -t "${pre}bench.trades" 2>/dev/null | grep -q ' partition ' &&
        [ "$(kafka_end_sum "${pre}bench.trades")" -ge 5000 ]
}
wait_for 60 bench_done || fail "bench server: Kafka holds $(kafka_end_sum "${pre}bench.trades") of 5000 trades"
bg_stop bench TERM
assert_eq "$BG_STATUS" 0 "bench server: ingest exit status"
assert_eq "$(kafka_end_sum "${pre}bench.trades")" 5000 "bench server: trades in Kafka"
bg_stop bench-server TERM
echo "ok: bench server: 5000 trades served and landed"
