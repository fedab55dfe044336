#!/usr/bin/env bash
# A transaction the broker fails is aborted and its records are read again. The broker refuses
# the 1 s bars for a while (their topic's max.message.bytes, 120, below a batch of bars but above
# the abort's marker), then takes them again: the processor carries on, and the committed bars
# equal those of an undisturbed run, none missing or doubled. A refusal that never ends stops the
# processor after 20 aborts in a row over a minute, saying why (the old one aborted forever).
# Here the commit meets each failure; a produce that meets it first (librdkafka refuses records
# until the abort) leads to the same abort: test_a_failed_transaction_refuses_records_until_aborted.
. "$(dirname "$0")/lib.sh"

[ "$KAFKA_KIND" = real ] || skip "transactions are not honoured by the embedded broker"
need_topic_configs
read_topic() { kcat -C -b "$BROKERS" -t "$1" -e -q -X isolation.level=read_committed -f '%s\n' 2>/dev/null; }
PROC=(--intervals 1s,10s --lateness 200ms --idle-timeout 1s --partitions 2 -v)
ingest() { # prefix
    "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$1" --partitions 2 --rate 500 \
        --speed max --count 20000 --symbols 8 --seed 118 --start 2026-05-04 -q 2>"$T/ingest.err" ||
        fail "ingest: $(tail -3 "$T/ingest.err")"
}
# A prefix whose 1 s bars the broker refuses, and the trades: the topics are made by a processor
# that finds no trades yet (--drain: it stops at once), then the bars' topic takes at most 120 bytes.
refusing() { # prefix
    "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$1" --group "$(unique_name mk)" \
        "${PROC[@]}" --drain >/dev/null 2>"$T/mk.err" || fail "making the topics: $(tail -3 "$T/mk.err")"
    topic_configs "${1}bars.1s" --alter --add-config max.message.bytes=120 >"$T/alter.out" ||
        fail "kafka-configs --add-config: $(cat "$T/alter.out")"
    ingest "$1"
}

# The reference: the same trades, processed undisturbed.
ref=$(unique_name ref).
ingest "$ref"
"$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$ref" --group "$(unique_name g)" \
    "${PROC[@]}" --drain >/dev/null 2>"$T/ref.err" || fail "reference processor: $(tail -3 "$T/ref.err")"
read_topic "${ref}bars.1s" | sort >"$T/ref.bars"
expected=$(wc -l <"$T/ref.bars")
assert_ge "$expected" 100 "bars of the reference run"

# A passing refusal.
pre=$(unique_name tr).
refusing "$pre"
FAIL_SHOW="$T/proc.err"
bg_start proc "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$pre" --group "$(unique_name g)" \
    "${PROC[@]}" --drain
aborts() { grep -c "aborting the transaction and reading its records again" "$T/proc.err" || true; }
some_aborts() { [ "$(aborts)" -ge 3 ]; }
wait_for 60 some_aborts || fail "no aborted transactions while the bars were refused"
bg_alive proc || fail "the processor stopped while the bars were refused"
topic_configs "${pre}bars.1s" --alter --delete-config max.message.bytes >"$T/alter.out" ||
    fail "kafka-configs --delete-config: $(cat "$T/alter.out")"
bg_wait proc 120
[ "$BG_STATUS" = 0 ] || fail "the processor failed (exit $BG_STATUS) instead of aborting"
read_topic "${pre}bars.1s" | sort >"$T/bars"
got=$(wc -l <"$T/bars")
assert_eq "$(sort -u "$T/bars" | wc -l)" "$got" "distinct committed bars vs all"
cmp -s "$T/ref.bars" "$T/bars" ||
    fail "committed bars differ from the undisturbed run ($got vs $expected): $(diff "$T/ref.bars" "$T/bars" | head -3)"
refused=$(aborts)

# A refusal that never ends: the processor stops, saying why, instead of aborting forever.
pre2=$(unique_name st).
refusing "$pre2"
FAIL_SHOW="$T/stuck.err"
start=$EPOCHSECONDS
bg_start stuck "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$pre2" \
    --group "$(unique_name g)" "${PROC[@]}"
bg_wait stuck 150
took=$((EPOCHSECONDS - start))
[ "$BG_STATUS" != 0 ] || fail "the processor ended well while every transaction was aborted"
grep -Eq "process: [0-9]+ transactions in a row aborted; the last: .*(too large|TOO_LARGE)" "$T/stuck.err" ||
    fail "no word of the aborts in a row: $(grep -m2 -E 'error|transactions in a row' "$T/stuck.err")"
assert_ge "$took" 60 "seconds before the processor gave up"
assert_eq "$(read_topic "${pre2}bars.1s" | wc -l)" 0 "committed bars while every one was refused"
echo "ok: $refused aborted transactions, then $got bars committed as the undisturbed run's; a lasting refusal stopped the processor after ${took}s"
