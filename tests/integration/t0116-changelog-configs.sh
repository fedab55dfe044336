#!/usr/bin/env bash
# The processor's changelog topic, when it already exists, gets the compacted-topic settings
# (kafka_compacted_configs: segment.bytes, segment.ms, min.cleanable.dirty.ratio) where it has the
# broker's defaults, as a topic made by an older ticklake has; a value set on the topic itself is
# the operator's and stays, and a cleanup.policy without compact is warned about.
. "$(dirname "$0")/lib.sh"

need_topic_configs
value() { topic_configs "$1" --describe --all | sed -n "s/^ *$2=\([^ ]*\) .*/\1/p"; }

pre=$(unique_name cc).
group=$(unique_name g)
topic=${pre}${group}-changelog
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate 1000 --speed max --count 3000 \
    --symbols 5 --seed 116 --start 2026-03-04 -q 2>"$T/ingest.err" || fail "ingest: $(tail -3 "$T/ingest.err")"
proc=("$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$pre" --group "$group" --drain)
"${proc[@]}" >/dev/null 2>"$T/first.err" || fail "first processor: $(tail -3 "$T/first.err")"
assert_eq "$(value "$topic" segment.bytes)" 67108864 "segment.bytes of a new changelog"
assert_eq "$(value "$topic" min.cleanable.dirty.ratio)" 0.1 "min.cleanable.dirty.ratio of a new changelog"

# As an older ticklake left it: the broker's defaults for two settings; and an operator's
# segment.ms and cleanup.policy set on the topic.
topic_configs "$topic" --alter --delete-config segment.bytes,min.cleanable.dirty.ratio >"$T/alter1.out" ||
    fail "kafka-configs --delete-config: $(cat "$T/alter1.out")"
topic_configs "$topic" --alter --add-config segment.ms=7200000,cleanup.policy=delete >"$T/alter2.out" ||
    fail "kafka-configs --add-config: $(cat "$T/alter2.out")"
assert_eq "$(value "$topic" segment.bytes)" 1073741824 "segment.bytes back at the broker's default"

"${proc[@]}" >/dev/null 2>"$T/second.err" || fail "second processor: $(tail -3 "$T/second.err")"
grep -q "compacted topic '$topic' had the broker's defaults; set segment.bytes=67108864 (was 1073741824), min.cleanable.dirty.ratio=0.1 (was 0.5)" "$T/second.err" ||
    fail "no word of the settings made: $(grep -m3 "$topic" "$T/second.err")"
grep -q "topic '$topic' has cleanup.policy=delete, set on the topic" "$T/second.err" ||
    fail "no warning about cleanup.policy=delete: $(grep -m3 "$topic" "$T/second.err")"
assert_eq "$(value "$topic" segment.bytes)" 67108864 "segment.bytes after the restart"
assert_eq "$(value "$topic" min.cleanable.dirty.ratio)" 0.1 "min.cleanable.dirty.ratio after the restart"
assert_eq "$(value "$topic" segment.ms)" 7200000 "the operator's segment.ms"
assert_eq "$(value "$topic" cleanup.policy)" delete "the operator's cleanup.policy"

# A third start finds nothing to change and says nothing about it.
"${proc[@]}" >/dev/null 2>"$T/third.err" || fail "third processor: $(tail -3 "$T/third.err")"
! grep -q "had the broker's defaults" "$T/third.err" || fail "settings made again: $(grep "$topic" "$T/third.err")"
echo "ok: changelog configs"
