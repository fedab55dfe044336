#!/usr/bin/env bash
# ingest: every trade generated is delivered, keyed by symbol, partitioned as
# Java clients do (murmur2), and the same seed gives the same trades.
. "$(dirname "$0")/lib.sh"

p1=$(unique_name a).
p2=$(unique_name b).
p3=$(unique_name c).
common=(--brokers "$BROKERS" --rate max --count 20000 --symbols 25 --start 2026-01-02 -q)
"$TICKLAKE" ingest "${common[@]}" --seed 7 --topic-prefix "$p1"
"$TICKLAKE" ingest "${common[@]}" --seed 7 --topic-prefix "$p2"
"$TICKLAKE" ingest "${common[@]}" --seed 8 --topic-prefix "$p3"

dump() { kcat -C -b "$BROKERS" -t "${1}trades" -e -q -f '%k %p %s\n'; }
dump "$p1" >"$T/a"
dump "$p2" >"$T/b"
dump "$p3" >"$T/c"
assert_eq "$(wc -l <"$T/a")" 20000 "records in Kafka"
# Every id once: nothing lost, nothing doubled.
ids=$(sed -E 's/.*"id":([0-9]+).*/\1/' "$T/a" | sort -n | uniq | wc -l)
assert_eq "$ids" 20000 "distinct trade ids"
# The key is the symbol.
bad_keys=$(awk '{ split($3, a, "\"symbol\":\""); split(a[2], b, "\""); if (b[1] != $1) n++ } END { print n+0 }' "$T/a")
assert_eq "$bad_keys" 0 "records whose key is not their symbol"
# Same seed, same trades (and partitions); another seed, other trades.
sort "$T/a" >"$T/a.s"
sort "$T/b" >"$T/b.s"
cmp -s "$T/a.s" "$T/b.s" || fail "the same seed gave different trades"
sort "$T/c" >"$T/c.s"
! cmp -s "$T/a.s" "$T/c.s" || fail "another seed gave the same trades"
# murmur2 like the Java client: kcat with librdkafka's murmur2_random partitioner
# places each key where ingest did.
ref=$(unique_name ref)
awk '{print $1}' "$T/a" | sort -u >"$T/keys"
"$TICKLAKE" ingest --brokers "$BROKERS" --rate max --count 1 --topic-prefix "$ref." -q
kcat -P -b "$BROKERS" -t "$ref.trades" -X partitioner=murmur2_random -K: < <(awk '{print $1 ":x"}' "$T/keys")
kcat -C -b "$BROKERS" -t "$ref.trades" -e -q -f '%k %p\n' | sort -u >"$T/refparts"
awk '{print $1, $2}' "$T/a" | sort -u >"$T/ourparts"
missing=$(comm -23 "$T/ourparts" "$T/refparts" | wc -l)
assert_eq "$missing" 0 "keys placed on other partitions than kcat's murmur2"
# Fresh topics, written the moment they exist: every trade is there. A broker
# names a new partition's leader before it leads it; librdkafka's (2.0.2 to
# 2.15.1) idempotent producer then lost a first batch that failed while reporting it
# delivered ("implicitly acked"; 1 in 4 paced runs of t0050 lost 1-2 trades).
# ingest now waits for every partition to answer, and a record acknowledged
# without an offset is checked against the log and sent again if missing. The race is by chance here; test_kafka.c
# reproduces the loss on the embedded broker every time.
for i in 1 2 3 4 5 6; do
    p=$(unique_name fresh).
    "$TICKLAKE" ingest --brokers "$BROKERS" --rate 2500 --speed 4 --count 3000 --symbols 40 \
        --seed "$i" --start 2026-01-02 --topic-prefix "$p" -q
    assert_eq "$(dump "$p" | wc -l)" 3000 "trades on a fresh topic, run $i"
done
# A live feed (paced, no --start): a trade's event time is when it was sent, its Kafka CreateTime
# (ms), not that less the stage's start-up (topics, producer: 50-250 ms behind for every trade
# before, under `run` too). The median difference; a trade sent while the machine was busy may
# be late by itself, and the pacing sends one as soon as less than a whole ms is left before its
# event time, so in whole ms it can be -1.
p=$(unique_name live).
"$TICKLAKE" ingest --brokers "$BROKERS" --rate 2000 --count 2000 --symbols 10 --topic-prefix "$p" -q
kcat -C -b "$BROKERS" -t "${p}trades" -e -q -f '%T %s\n' |
    sed -E 's/^([0-9]+) .*"ts":([0-9]+).*/\1 \2/' | awk '{ print $1 - int($2 / 1000000) }' |
    sort -n >"$T/behind"
assert_eq "$(wc -l <"$T/behind")" 2000 "live trades read back"
median=$(sed -n 1000p "$T/behind")
[ "$median" -ge -1 ] && [ "$median" -le 20 ] ||
    fail "live trades are sent ${median} ms after their event time at the median (-1 to 20 expected)"
echo "ok: ingest (live trades sent ${median} ms after their event time, median)"
