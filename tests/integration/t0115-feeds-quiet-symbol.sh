#!/usr/bin/env bash
# A quiet symbol beside busy ones (Kraken, against the replay server): SOL-USD trades only in the
# snapshot of recent trades Kraken sends on every subscription, BTC-USD, ETH-USD and LTC-USD 140,000
# times between them (one partition each of the 4: the embedded broker keeps about 100,000 records
# a partition). The snapshot comes again after a reconnect that follows 136,000 of those, and again
# to a restarted ingest: each time it is dropped as already sent, so SOL-USD's 3 trades are in Kafka
# once, never logged as a late one filling a gap. (A duplicate filter remembering the last
# 65,536-131,072 ids of the whole source forgot them after the busy symbols' trades, and a restart's
# seed read of the topic's last 10,000 records a partition did not reach them, behind BTC-USD's
# 46,000 in their partition.)
. "$(dirname "$0")/lib.sh"
[ "$KAFKA_KIND" = embedded ] || skip "the feeds' sessions do not depend on the broker: it runs once, on the embedded broker"
. "$ROOT/tests/feeds/feeds.sh"

pre=$(unique_name t).
syms=BTC-USD,ETH-USD,LTC-USD,SOL-USD
feed_session quiet kraken "$syms" --trades 140000 --batch 500 --interval 0 --quiet 3 \
    --cut-at 136000
assert_eq "$(summary_of dups_sent)" 3 "the snapshot sent again"
assert_eq "$(count_of "duplicates dropped")" 3 "duplicates dropped"
assert_eq "$(count_of reconnects)" 1 "reconnects"
assert_eq "$(count_of trades)" 140003 "trades sent to Kafka"
assert_eq "$(count_of gaps)" 0 "gaps"
! grep -q 'arrived late' "$T/quiet.err" || fail "a resent trade was taken for a late one: $(grep -m1 'arrived late' "$T/quiet.err")"
echo "ok: reconnect: $LINE"

# SOL-USD's key has BTC-USD's partition (murmur2, as Kafka's): its trades sit behind BTC-USD's in
# one log, where a restart's read of the tail must find them.
topic=${pre}quiet.trades
kcat -C -b "$BROKERS" -t "$topic" -e -q -f '%k %p\n' | sort -u >"$T/quiet.parts"
assert_eq "$(grep -E '^(BTC|SOL)-USD ' "$T/quiet.parts" | cut -d' ' -f2 | sort -u | wc -l)" 1 \
    "partitions of BTC-USD and SOL-USD ($(tr '\n' ' ' <"$T/quiet.parts"))"

# Binary trades of another producer in the topic (the simulator's): nobody's to the feeds, and no
# error (the restart's read of the tail warned that they were not trades).
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "${pre}quiet." --encoding binary --rate max \
    --count 100 --start 2026-01-02 -q 2>/dev/null || fail "binary trades not sent"
# A restart: the new ingest learns the topic's trades first; the server sends only the snapshot.
feed_server again-server kraken --trades 0 --quiet 3
bg_start again "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "${pre}quiet." --source kraken \
    --symbols "$syms" --feed-url "ws://127.0.0.1:$PORT/"
again_done() { [ -s "$T/again-server.summary" ] && grep -q "subscribed to" "$T/again.err"; }
wait_for 120 again_done || fail "restart: the server did not finish: $(tail -5 "$T/again.err")"
sleep 1
bg_stop again TERM
assert_eq "$BG_STATUS" 0 "restart: ingest exit status"
LINE=$(grep '^ticklake ingest: ' "$T/again.err" | tail -1)
assert_eq "$(count_of "duplicates dropped")" 3 "restart: the snapshot dropped"
assert_eq "$(count_of trades)" 0 "restart: trades sent to Kafka"
assert_eq "$(kafka_end_sum "$topic")" 140103 "restart: records in the topic (and 100 binary)"
! grep -q 'are not trades' "$T/again.err" || fail "restart: $(grep -m1 'are not trades' "$T/again.err")"
bg_stop again-server TERM
echo "ok: restart: $LINE"
