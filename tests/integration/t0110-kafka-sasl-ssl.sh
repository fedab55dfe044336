#!/usr/bin/env bash
# SASL/SCRAM over TLS with -F: the client files of kcat (librdkafka names) and of the Kafka tools
# (Java names: sasl.mechanism, sasl.jaas.config, a PEM trust store) both work unchanged against a
# SASL_SSL listener; `ticklake run` lands every trade of a run in the lake through it (transactions
# included); a wrong password and an unknown CA fail at once (exit 1) with librdkafka's reason, not
# after the connect timeout; the password never shows in the logs.
#
# Needs a broker with a SASL_SSL listener: KAFKA_SECURE names the directory tests/kafka/kafka.sh made
# (sasl-bootstrap, client.properties, tls/ca.pem); tests/run-all.sh sets it for the real broker and
# tests/faults/t0050-sasl-ssl.sh for the 3-broker cluster. The embedded broker has no such listener.
. "$(dirname "$0")/lib.sh"

[ -n "${KAFKA_SECURE:-}" ] || skip "needs a SASL_SSL listener (KAFKA_SECURE, set for the real broker)"
command -v kcat >/dev/null || skip "kcat is not installed"
S=$(cat "$KAFKA_SECURE/sasl-bootstrap") || fail "no $KAFKA_SECURE/sasl-bootstrap"
FILE=$KAFKA_SECURE/client.properties
password=$(sed -n 's/^sasl.password=//p' "$FILE")
user=$(sed -n 's/^sasl.username=//p' "$FILE")
mechanism=$(sed -n 's/^sasl.mechanisms=//p' "$FILE")
ca=$(sed -n 's/^ssl.ca.location=//p' "$FILE")
[ -n "$password" ] && [ -n "$user" ] && [ -n "$ca" ] || fail "incomplete $FILE"
nbrokers=$(tr ',' '\n' <<<"$S" | wc -l)
# kcat over the same listener: every broker answers there.
seen=$(timeout 20 kcat -F "$FILE" -b "$S" -L -m 10 2>/dev/null | grep -c '^  broker [0-9]* at ') || true
assert_eq "$seen" "$nbrokers" "brokers kcat sees over SASL_SSL"
never_password() { # FILE...: the password is in none of them
    ! grep -lF "$password" "$@" || fail "the SASL password shows in $(grep -lF "$password" "$@" | tr '\n' ' ')"
}
kcount() { kcat -F "$FILE" -b "$S" -C -t "$1" -e -q -X isolation.level=read_committed -f '%o\n' 2>/dev/null | wc -l; }

# 1. kcat's file (librdkafka names), with -v so that librdkafka's own lines are in the log.
p=$(unique_name sasl).
"$TICKLAKE" ingest -v --bootstrap-server "$S" -F "$FILE" --rate max --count 3000 --symbols 5 \
    --start 2026-01-02 --seed 1 --topic-prefix "$p" 2>"$T/ingest1.err" ||
    fail "ingest over SASL_SSL with kcat's file: $(tail -5 "$T/ingest1.err")"
assert_eq "$(kcount "${p}trades")" 3000 "trades the first ingest delivered over SASL_SSL"
never_password "$T/ingest1.err"

# 2. The Kafka tools' file for the same listener: Java names only.
cat >"$T/java.properties" <<PROPS
# as kafka-console-producer.sh --producer.config reads it
bootstrap.servers=$S
security.protocol=SASL_SSL
sasl.mechanism=$mechanism
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$user" password="$password";
ssl.truststore.type=PEM
ssl.truststore.location=$ca
PROPS
"$TICKLAKE" ingest --bootstrap-server "$S" -F "$T/java.properties" --rate max --count 2000 \
    --symbols 5 --start 2026-01-02 --seed 2 --topic-prefix "$p" 2>"$T/ingest2.err" ||
    fail "ingest over SASL_SSL with the Kafka tools' file: $(tail -5 "$T/ingest2.err")"
assert_eq "$(kcount "${p}trades")" 5000 "trades after the second ingest (Java client file)"
# A JKS trust store, Java's default, cannot be read by librdkafka: a usage error naming the line.
sed 's/^ssl.truststore.type=PEM$/ssl.truststore.type=JKS/' "$T/java.properties" >"$T/jks.properties"
rc=0
"$TICKLAKE" ingest --bootstrap-server "$S" -F "$T/jks.properties" --count 1 --topic-prefix "$p" \
    2>"$T/jks.err" || rc=$?
assert_eq "$rc" 2 "exit status with a JKS trust store"
grep -q "$T/jks.properties:6: ssl.truststore.type JKS: librdkafka reads CA certificates from PEM only" \
    "$T/jks.err" || fail "JKS trust store: $(head -2 "$T/jks.err")"

# 3. The whole pipeline through the listener: ingest, process (transactions) and sink, then every
# delivered trade in the lake exactly once and bars committed.
lake=$T/lake
q=$(unique_name run).
"$TICKLAKE" run --bootstrap-server "$S" -F "$FILE" --topic-prefix "$q" --duration 15s --rate 3000 \
    --symbols 10 --lake "$lake" --listen 127.0.0.1:0 --status-interval 2s >"$T/run.out" 2>"$T/run.err" ||
    { tail -20 "$T/run.err" >&2; fail "run over SASL_SSL failed"; }
delivered=$(sed -nE 's/^ticklake run: ([0-9]+) ticks delivered.*/\1/p' "$T/run.err")
assert_ge "${delivered:-0}" 20000 "ticks run delivered over SASL_SSL"
"$TICKLAKE" crawl --lake "$lake" >/dev/null || fail "crawl"
rows=$("$TICKLAKE" query --lake "$lake" --format csv "SELECT count(*), count(DISTINCT id) FROM trades" | tail -1)
assert_eq "$rows" "$delivered,$delivered" "trades in the lake (all, distinct ids) vs delivered"
bars=$(kcount "${q}bars.1s")
assert_ge "$bars" 10 "committed 1s bars read over SASL_SSL"
never_password "$T/run.err" "$T/run.out"

# 4. Refusals fail at once (librdkafka retries them forever): a wrong password, an unknown CA.
sed "s/^sasl.password=.*/sasl.password=not-$password/" "$FILE" >"$T/wrong.properties"
start=$SECONDS rc=0
"$TICKLAKE" sink --bootstrap-server "$S" -F "$T/wrong.properties" --lake "$T/l2" --drain \
    --topic-prefix "$p" -X socket.connection.setup.timeout.ms=30000 2>"$T/wrong.err" || rc=$?
assert_eq "$rc" 1 "exit status of sink with a wrong password"
[ $((SECONDS - start)) -le 5 ] || fail "a wrong password took $((SECONDS - start)) s to fail"
grep -q "Kafka at '$S' refused the connection: .*SASL authentication error: Authentication failed" \
    "$T/wrong.err" || fail "wrong password: $(tail -2 "$T/wrong.err")"
never_password "$T/wrong.err"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=another CA" -keyout "$T/o.key" \
    -out "$T/other-ca.pem" >/dev/null 2>&1 || fail "openssl"
sed "s|^ssl.ca.location=.*|ssl.ca.location=$T/other-ca.pem|" "$FILE" >"$T/ca.properties"
rc=0
"$TICKLAKE" ingest --bootstrap-server "$S" -F "$T/ca.properties" --count 10 --topic-prefix "$p" \
    2>"$T/ca.err" || rc=$?
assert_eq "$rc" 1 "exit status of ingest with an unknown CA"
grep -q "refused the connection: .*certificate verify failed" "$T/ca.err" ||
    fail "unknown CA: $(tail -2 "$T/ca.err")"
assert_eq "$(kcount "${p}trades")" 5000 "trades after the refused runs"
echo "ok: $nbrokers broker(s) over SASL_SSL; kcat's and the Kafka tools' files; run landed $delivered trades, $bars 1s bars"
