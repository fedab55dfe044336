#!/usr/bin/env bash
# A quiet symbol beside busy ones (Kraken, against the replay server): SOL-USD trades only in the
# snapshot of recent trades Kraken sends on every subscription, BTC-USD, ETH-USD and LTC-USD 140,000
# times between them (one partition each of the 4: the embedded broker keeps about 100,000 records
# a partition). The snapshot comes again after a reconnect that follows 136,000 of those: it is
# dropped as already sent, so SOL-USD's 3 trades are in Kafka once, never logged as a late one
# filling a gap. (A duplicate filter remembering the last 65,536-131,072 ids of the whole source
# forgot them after the busy symbols' trades.)
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
