#!/usr/bin/env bash
# SIGTERM in the middle of a 1,000,000-tick run: ingest stops generating,
# flushes, reports; the records in Kafka are exactly the ones it reported
# delivered, with no duplicate trade id.
. "$(dirname "$0")/lib.sh"

pre=$(unique_name t).
# Paced in real time so that 1,000,000 ticks take seconds and the signal lands
# mid-run however fast the machine is (at full speed a quiet machine can finish
# before it). The embedded broker keeps only a few MiB per partition
# (docs/ARCHITECTURE.md), so there the pace is lower.
rate=300000
[ "$KAFKA_KIND" = real ] || rate=100000
bg_start ingest "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate "$rate" \
    --count 1000000 --symbols 100 --seed 5
# Let it get going (some records out), then stop it.
sleep 1.5
bg_alive ingest || fail "ingest finished 1,000,000 ticks before it could be interrupted"
bg_stop ingest TERM
assert_eq "$BG_STATUS" 0 "ingest exit status after SIGTERM (every generated tick delivered)"
line=$(grep '^ticklake ingest: ' "$T/ingest.err" | tail -1)
[[ $line =~ ([0-9]+)\ generated,\ ([0-9]+)\ delivered,\ ([0-9]+)\ failed ]] || fail "no summary: $line"
generated=${BASH_REMATCH[1]}
delivered=${BASH_REMATCH[2]}
assert_eq "${BASH_REMATCH[3]}" 0 "failed deliveries"
assert_eq "$delivered" "$generated" "delivered vs generated"
[ "$delivered" -lt 1000000 ] || fail "SIGTERM came after the run was complete"
assert_ge "$delivered" 1 "ticks delivered before SIGTERM"

kcat -C -b "$BROKERS" -t "${pre}trades" -e -q -f '%s\n' | sed -E 's/.*"id":([0-9]+).*/\1/' >"$T/ids"
assert_eq "$(wc -l <"$T/ids")" "$delivered" "records in Kafka vs reported delivered"
assert_eq "$(sort -n "$T/ids" | uniq -d | wc -l)" 0 "duplicate trade ids"
# The ids are exactly 1..delivered: nothing lost in between.
assert_eq "$(sort -n "$T/ids" | tail -1)" "$delivered" "highest trade id"
echo "ok: ingest SIGTERM ($delivered of 1000000 delivered before the signal)"
