#!/usr/bin/env bash
# A broker lost and back: `ticklake run` on a 3-broker cluster, broker 2 taken down and brought up
# again. On the embedded cluster it is down for 8 s (its connections closed and refused, its
# partitions left without a leader); on a real one (KAFKA_CLUSTER, tests/faults/t0060-broker-loss.sh)
# its JVM is killed with SIGKILL and restarted on its data. The status line names the broker, its address and for how long it has been down; the log
# has one WARN line when it is lost (which one, since when) and one INFO line when it is back (for
# how long it was down), not a line per reconnection attempt; and no trade is lost or doubled.
. "$(dirname "$0")/lib.sh"

# The embedded cluster takes a broker down on command (`ticklake broker --control`); a real cluster
# of three is the fault suite's (FAULTS=1). The real Kafka of the integration suite is one node that
# every other script shares: taking it down would fail them.
if [ -n "${KAFKA_CLUSTER:-}" ]; then
    brokers=$(cat "$KAFKA_CLUSTER/bootstrap")
    take_down() { bash "$ROOT/tests/kafka/kafka.sh" kill9 "$KAFKA_CLUSTER" 2; }
    bring_up() { bash "$ROOT/tests/kafka/kafka.sh" restart "$KAFKA_CLUSTER" 2; }
    duration=75 reconnect=12 # a JVM restart, then librdkafka's reconnect backoff (up to 10 s)
else
    [ "$KAFKA_KIND" = embedded ] ||
        skip "takes a broker down: embedded cluster, or a real one of three (tests/faults/t0060-broker-loss.sh)"
    controlled_broker --brokers-count 3
    brokers=$CONTROLLED_BROKERS
    take_down() { echo "down 2" >&3; }
    bring_up() { echo "up 2" >&3; }
    duration=40 reconnect=4
fi
IFS=, read -r _ addr2 _ <<<"$brokers"
[ -n "$addr2" ] || fail "expected 3 brokers, got '$brokers'"

lake=$T/lake
FAIL_SHOW="$T/run.err"
bg_start run "$TICKLAKE" run --brokers "$brokers" --duration "$duration" --lake "$lake" --rate 5000 \
    --symbols 20 --status-interval 1s --listen 127.0.0.1:0 --topic-prefix "$(unique_name loss)."
# Every stage's clients up: trades in, bars out, all three brokers known.
flowing() { grep -qE "bars out [1-9][0-9]* .*\| brokers 3/3$" "$T/run.err"; }
wait_for 30 flowing || { cat "$T/run.err" >&2; fail "the pipeline did not start on 3 brokers"; }

down_at=$EPOCHSECONDS
take_down
# "brokers 2/3 (broker 2 127.0.0.1:PORT down 3s)"
said_down() { grep -qE "\| brokers 2/3 \(broker 2 ${addr2//./\\.} down [0-9]+s\)$" "$T/run.err"; }
wait_for 10 said_down || { cat "$T/run.err" >&2; fail "the status line does not name broker 2 ($addr2) as down"; }
# /metrics has it too: a gauge of the seconds it has been down, by broker and address.
url_known() { grep -q '^http://' "$T/run.out"; }
wait_for 10 url_known || fail "run printed no console URL"
U=$(grep -m1 '^http://' "$T/run.out")
m=$(curl -sf "${U}metrics") || fail "/metrics"
grep -qE "^ticklake_kafka_brokers_up 2$" <<<"$m" || fail "/metrics: $(grep kafka_brokers <<<"$m")"
grep -qE "^ticklake_kafka_broker_down_seconds\{broker=\"2\",address=\"${addr2//./\\.}\"\} [0-9.]+$" <<<"$m" ||
    fail "/metrics has no down gauge of broker 2: $(grep kafka_broker <<<"$m")"
sleep 7
bg_alive run || fail "run ended while broker 2 was down"
# Only broker 2 is down: a false loss of another would show here, and in the counts below.
! grep -E "warn: kafka: broker [^2] " "$T/run.err" || fail "a broker other than 2 reported lost"
! sed -n '/kafka: broker 2 .* down since/,$p' "$T/run.err" | grep -E "kafka: broker 2 .* back after" ||
    fail "broker 2 reported back before it was brought up"
longest=$(sed -nE "s/.*\| brokers 2\/3 \(broker 2 [^ ]+ down ([0-9]+)s\)$/\1/p" "$T/run.err" | sort -n | tail -1)
assert_ge "$longest" 6 "seconds down the status line counted up to"
up_at=$EPOCHSECONDS
bring_up
back_at=$EPOCHSECONDS
said_back() { grep -q "kafka: broker 2 ($addr2) back after" "$T/run.err"; }
wait_for $((reconnect + 11)) said_back || { cat "$T/run.err" >&2; fail "no INFO line saying broker 2 is back"; }
all_up() { sed -n '/kafka: broker 2 .* back after/,$p' "$T/run.err" | grep -qE "\| brokers 3/3$"; }
wait_for 10 all_up || fail "the status line does not say 3/3 after broker 2 came back"
m=$(curl -sf "${U}metrics") || fail "/metrics"
grep -qE "^ticklake_kafka_brokers_up 3$" <<<"$m" || fail "/metrics after the return: $(grep kafka_brokers <<<"$m")"
! grep -q "^ticklake_kafka_broker_down_seconds{" <<<"$m" || fail "/metrics still has broker 2 down"

# One WARN and one INFO line for the loss, naming the broker and the time.
warns=$(grep -c "warn: kafka: broker 2 ($addr2) down since" "$T/run.err" || true)
assert_eq "$warns" 1 "WARN lines for the loss of broker 2"
infos=$(grep -c "info: kafka: broker 2 ($addr2) back after" "$T/run.err" || true)
assert_eq "$infos" 1 "INFO lines for the return of broker 2"
# The clients' refused connections are info lines: the loss is the one warning, no error.
! grep -E "(error|warn): .*${addr2//./\\.}" "$T/run.err" | grep -v "kafka: broker 2 ($addr2) down since" ||
    fail "error or warning lines about broker 2 besides the one WARN"
since=$(sed -nE "s/.*kafka: broker 2 \([^)]*\) down since ([0-9:]+) UTC.*/\1/p" "$T/run.err")
since_s=$(date -u -d "$(date -u -d "@$down_at" +%F) $since" +%s)
[ $((since_s - down_at)) -ge -1 ] && [ $((since_s - down_at)) -le 3 ] ||
    fail "down since $since UTC, but it was taken down at $(date -u -d "@$down_at" +%T)"
took=$(sed -nE "s/.*kafka: broker 2 \([^)]*\) back after ([0-9]+)s down.*/\1/p" "$T/run.err")
assert_ge "$took" $((up_at - down_at - 1)) "seconds down in the INFO line"
[ "$took" -le $((back_at - down_at + reconnect)) ] ||
    fail "back after ${took}s, but it was down $((up_at - down_at))-$((back_at - down_at))s"

bg_wait run 120
[ "$BG_STATUS" = 0 ] || { cat "$T/run.err" >&2; fail "run failed"; }
delivered=$(sed -nE 's/^ticklake run: ([0-9]+) ticks delivered.*/\1/p' "$T/run.err")
assert_ge "$delivered" 100000 "ticks delivered in 40 s at 5000/s"
"$TICKLAKE" crawl --lake "$lake" >"$T/crawl.out"
rows=$("$TICKLAKE" query --lake "$lake" --format csv "SELECT count(*), count(DISTINCT id) FROM trades" | tail -1)
assert_eq "$rows" "$delivered,$delivered" "trades in the lake (all, distinct ids) vs delivered"
echo "ok: broker 2 down $((back_at - down_at)) s, seen down since $since UTC, back after ${took}s; $delivered trades landed"
