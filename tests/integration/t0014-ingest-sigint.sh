#!/usr/bin/env bash
# SIGINT (Ctrl-C) in the middle of a 1,000,000-tick run, as t0016 does with SIGTERM: ingest stops
# generating, flushes, reports and exits 0; every trade it reports delivered is in Kafka exactly
# once, and nothing else is.
. "$(dirname "$0")/lib.sh"

command -v kcat >/dev/null || skip "kcat is not installed"
pre=$(unique_name i).
# Paced in real time so that the signal lands mid-run however fast the machine is; the embedded
# broker keeps only a few MiB per partition (docs/ARCHITECTURE.md), so there the pace is lower.
rate=300000
[ "$KAFKA_KIND" = real ] || rate=100000
bg_start ingest "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate "$rate" \
    --count 1000000 --symbols 100 --seed 19
# Some records out, then the signal at a random point (logged, so a failure can be replayed).
started() { [ -n "$(kcat -C -b "$BROKERS" -t "${pre}trades" -c 1 -e -q 2>/dev/null)" ]; }
wait_for 30 started || fail "ingest delivered nothing: $(tail -3 "$T/ingest.err")"
pause=$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", 0.2 + rand() }')
echo "# SIGINT ${pause}s after the first record"
sleep "$pause"
bg_alive ingest || fail "ingest finished 1,000,000 ticks before it could be interrupted"
bg_stop ingest INT
assert_eq "$BG_STATUS" 0 "ingest exit status after SIGINT (every generated tick delivered)"
grep -q "second signal" "$T/ingest.err" && fail "ingest saw a second signal"
line=$(grep '^ticklake ingest: ' "$T/ingest.err" | tail -1)
[[ $line =~ ([0-9]+)\ generated,\ ([0-9]+)\ delivered,\ ([0-9]+)\ failed ]] || fail "no summary: $line"
generated=${BASH_REMATCH[1]}
delivered=${BASH_REMATCH[2]}
assert_eq "${BASH_REMATCH[3]}" 0 "failed deliveries"
assert_eq "$delivered" "$generated" "delivered vs generated"
[ "$delivered" -lt 1000000 ] || fail "SIGINT came after the run was complete"
assert_ge "$delivered" 1 "ticks delivered before SIGINT"

kcat -C -b "$BROKERS" -t "${pre}trades" -e -q -f '%s\n' | sed -E 's/.*"id":([0-9]+).*/\1/' >"$T/ids"
assert_eq "$(wc -l <"$T/ids")" "$delivered" "records in Kafka vs reported delivered"
sort -n "$T/ids" >"$T/ids.sorted"
assert_eq "$(uniq -d "$T/ids.sorted" | wc -l)" 0 "duplicate trade ids"
# The ids are exactly 1..delivered: nothing lost in between, nothing beyond.
assert_eq "$(sed -n 1p "$T/ids.sorted"):$(tail -1 "$T/ids.sorted")" "1:$delivered" "lowest and highest trade id"
echo "ok: ingest SIGINT ($delivered of 1000000 delivered before the signal)"
