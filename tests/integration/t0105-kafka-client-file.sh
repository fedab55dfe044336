#!/usr/bin/env bash
# Kafka tool conventions: --bootstrap-server is --brokers, and -F FILE reads a client properties
# file (kcat -F, the Kafka tools' --command-config: key=value lines, '#' comments) whose settings
# apply like -X, in order with it (the last one wins). Seen in librdkafka's own log lines, which name
# the client after its client.id, and in the records that arrive; a bad file is a usage error
# naming the file and line, and a bad value names the property.
. "$(dirname "$0")/lib.sh"

command -v kcat >/dev/null || skip "kcat is not installed"
p=$(unique_name kf).
cat >"$T/client.properties" <<'PROPS'
# a client file as kcat and the Kafka tools read it
client.id = t0105-from-file
debug: metadata
! a Java-style comment
PROPS
common=(--rate max --count 500 --symbols 5 --start 2026-01-02 --topic-prefix "$p")

# --bootstrap-server and -F: the file's client.id names the client in librdkafka's log.
"$TICKLAKE" ingest -v --bootstrap-server "$BROKERS" -F "$T/client.properties" "${common[@]}" \
    --seed 1 2>"$T/file.err" || fail "ingest with -F: $(tail -5 "$T/file.err")"
grep -q "kafka t0105-from-file#producer" "$T/file.err" ||
    fail "client.id from -F did not apply: $(grep -m3 'kafka ' "$T/file.err")"
# -X after -F wins; -F after -X wins.
"$TICKLAKE" ingest -v --bootstrap-server "$BROKERS" -F "$T/client.properties" \
    -X client.id=t0105-from-x "${common[@]}" --seed 2 2>"$T/x.err" || fail "ingest with -F -X"
grep -q "kafka t0105-from-x#producer" "$T/x.err" || fail "-X after -F did not win"
if grep -q "kafka t0105-from-file#" "$T/x.err"; then fail "-F's client.id was used after -X"; fi
"$TICKLAKE" ingest -v --brokers "$BROKERS" -X client.id=t0105-from-x -F "$T/client.properties" \
    "${common[@]}" --seed 3 2>"$T/fx.err" || fail "ingest with -X -F"
grep -q "kafka t0105-from-file#producer" "$T/fx.err" || fail "-F after -X did not win"
n=$(kcat -C -b "$BROKERS" -t "${p}trades" -e -q -f '%o\n' | wc -l)
assert_eq "$n" 1500 "records the three runs delivered"

# A file's acks applies as -X acks would: a bad value names the property.
printf 'acks = sometimes\n' >"$T/acks.properties"
rc=0
"$TICKLAKE" ingest --bootstrap-server "$BROKERS" -F "$T/acks.properties" "${common[@]}" \
    2>"$T/acks.err" || rc=$?
assert_eq "$rc" 1 "exit status with acks=sometimes from -F"
grep -q "kafka property 'acks'" "$T/acks.err" || fail "bad acks from -F: $(cat "$T/acks.err")"

# Usage errors: a missing file, a line that is not key=value (with its path and line).
rc=0
"$TICKLAKE" sink --bootstrap-server "$BROKERS" -F "$T/nonexistent" --lake "$T/lake" 2>"$T/u1.err" || rc=$?
assert_eq "$rc" 2 "exit status of -F with a missing file"
grep -q "option '-F'.*$T/nonexistent" "$T/u1.err" || fail "missing -F file: $(head -2 "$T/u1.err")"
printf 'client.id=x\nbootstrap.servers\n' >"$T/bad.properties"
rc=0
"$TICKLAKE" process --bootstrap-server "$BROKERS" -F "$T/bad.properties" 2>"$T/u2.err" || rc=$?
assert_eq "$rc" 2 "exit status of -F with a bad line"
grep -q "$T/bad.properties:2: expected key=value" "$T/u2.err" || fail "bad -F line: $(head -2 "$T/u2.err")"
