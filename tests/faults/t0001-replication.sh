#!/usr/bin/env bash
# On a 3-broker cluster the topics ticklake creates (trades, the processor's outputs and its
# compacted changelog) get replication factor 3 and min.insync.replicas 2 by default; given
# --replication/--min-insync-replicas win; more in sync than replicas is a usage error.
. "$(dirname "$0")/lib.sh"

LIBS=$ROOT/.cache/kafka-3.9.1/libs
# replicas TOPIC: the distinct replica counts of TOPIC's partitions (kcat -L).
replicas() {
    kcat -b "$BROKERS" -L -t "$1" | sed -n 's/.*replicas: \([0-9,]*\),.*/\1/p' | awk -F, '{ print NF }' | sort -u | tr '\n' ' '
}
# min_isr TOPIC: the topic's own min.insync.replicas setting, or "none" (Kafka's ConfigCommand).
min_isr() {
    java -cp "$LIBS/*" -Dlog4j.configuration="file:$KAFKA_CLUSTER/node1/log4j.properties" \
        kafka.admin.ConfigCommand --bootstrap-server "$BROKERS" --describe --entity-type topics \
        --entity-name "$1" 2>/dev/null | sed -n 's/^ *min.insync.replicas=\([0-9]*\) .*DYNAMIC_TOPIC_CONFIG.*/\1/p' |
        grep . || echo none
}

pre=$(unique_name r).
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --count 1000 --rate max -q
"$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$pre" --group g --intervals 1s \
    --duration 3s -q 2>"$T/process.err" || { cat "$T/process.err" >&2; fail "process failed"; }
for t in trades bars.1s alerts g-changelog; do
    assert_eq "$(replicas "$pre$t")" "3 " "replicas of every partition of $t"
    assert_eq "$(min_isr "$pre$t")" 2 "min.insync.replicas of $t"
done

pre=$(unique_name o).
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --count 10 --rate max -q \
    --replication 2 --min-insync-replicas 1
assert_eq "$(replicas "${pre}trades")" "2 " "replicas with --replication 2"
assert_eq "$(min_isr "${pre}trades")" 1 "min.insync.replicas with --min-insync-replicas 1"

rc=0
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --count 10 --replication 2 \
    --min-insync-replicas 3 2>"$T/usage.err" || rc=$?
assert_eq "$rc" 2 "exit status with --min-insync-replicas above --replication"
grep -q "min-insync-replicas must not exceed --replication" "$T/usage.err" || fail "usage error: $(cat "$T/usage.err")"
echo "ok: topics on 3 brokers: replication 3, min.insync.replicas 2; options override"
