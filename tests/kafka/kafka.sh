#!/usr/bin/env bash
# kafka.sh - a real Apache Kafka 3.9.1 broker for the integration tests: one KRaft node that is both
# broker and controller, on loopback ports, with its data in a directory of the caller's choosing.
#
#   kafka.sh fetch        resolve the broker's jars from Maven Central into .cache/kafka-3.9.1/libs
#   kafka.sh start DIR    start a broker in DIR (fetching first if needed); prints its bootstrap address
#   kafka.sh stop DIR     stop the broker started in DIR and delete its data
#
# start leaves in DIR: server.properties, log4j.properties, kafka.log (the broker's output), pid and
# bootstrap (`127.0.0.1:PORT`). Needs java (17+), mvn (for fetch), kcat (readiness probe), python3.
# KAFKA_JVM_OPTS adds options to the broker's JVM (benchmarks try other collectors with it, e.g.
# "-XX:+UseZGC"); the tests leave it empty.
set -euo pipefail

KAFKA_VERSION=3.9.1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=$ROOT/.cache/kafka-$KAFKA_VERSION
LIBS=$CACHE/libs
MARKER=$CACHE/.complete
START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
STOP_TIMEOUT=15

die() { echo "kafka.sh: $*" >&2; exit 1; }
usage() { echo "usage: $0 fetch | start DIR | stop DIR" >&2; exit 2; }

# fetch: copy kafka_2.13 and its runtime dependencies into $LIBS, once. The jars go to a scratch folder
# that is renamed only when Maven succeeded, and the marker is written last, so an interrupted fetch is
# simply redone.
cmd_fetch() {
    if [ -f "$MARKER" ] && [ -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]; then
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || die "mvn is needed to fetch Kafka (run scripts/deps.sh --test)"
    echo "kafka.sh: resolving Kafka $KAFKA_VERSION jars from Maven Central" >&2
    mkdir -p "$CACHE"
    rm -rf "$LIBS" "$LIBS.tmp"
    # Maven's output is shown only when it fails (when quiet, Debian's mvn still prints colour codes).
    if ! mvn -q -B -f "$HERE/pom.xml" dependency:copy-dependencies \
        -DoutputDirectory="$LIBS.tmp" -DincludeScope=runtime </dev/null >"$CACHE/mvn.log" 2>&1; then
        cat "$CACHE/mvn.log" >&2
        die "mvn dependency resolution failed (log: $CACHE/mvn.log)"
    fi
    [ -f "$LIBS.tmp/kafka_2.13-$KAFKA_VERSION.jar" ] || die "kafka_2.13-$KAFKA_VERSION.jar was not resolved"
    mv "$LIBS.tmp" "$LIBS"
    find "$LIBS" -name '*.jar' | wc -l >"$MARKER"
}

# free_ports N: print N distinct loopback ports that are free right now (the kernel picks them).
free_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# alive PID: true while PID runs (a zombie, which an init that does not reap may leave, counts as gone).
alive() {
    local state
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

# our_broker PID DIR: true when PID is the kafka.Kafka process running DIR/server.properties, so a
# stale pid file never makes us signal some other process that reused the pid.
our_broker() {
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $2/server.properties"
}

# The java command line with the fixture's classpath and log4j configuration (set in cmd_start).
JAVA=()

cmd_start() {
    local port cport uuid addr pid deadline
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd)
    if [ -f "$DIR/pid" ] && alive "$(cat "$DIR/pid")" && our_broker "$(cat "$DIR/pid")" "$DIR"; then
        die "a broker is already running in $DIR (pid $(cat "$DIR/pid"))"
    fi
    command -v java >/dev/null 2>&1 || die "java is needed (run scripts/deps.sh --test)"
    command -v kcat >/dev/null 2>&1 || die "kcat is needed (run scripts/deps.sh --test)"
    cmd_fetch
    rm -rf "$DIR/data" "$DIR/pid" "$DIR/bootstrap"
    JAVA=(java -Xmx512m -Djava.awt.headless=true -Dlog4j.configuration="file:$DIR/log4j.properties"
        -cp "$LIBS/*")

    read -r port cport < <(free_ports 2)
    [ -n "$cport" ] || die "could not pick free ports"
    addr=127.0.0.1:$port

    # One combined broker+controller node (KRaft, static quorum of itself). Internal topics get
    # replication factor 1 and fewer partitions than the defaults so that they are created quickly;
    # no initial rebalance delay and a low minimum session timeout keep consumer-group tests fast.
    cat >"$DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DIR/data
num.partitions=4
default.replication.factor=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=8
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
log.retention.check.interval.ms=1000
EOF

    # Warnings and errors only, plus the server's own start/stop lines.
    cat >"$DIR/log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
EOF

    uuid=$("${JAVA[@]}" kafka.tools.StorageTool random-uuid 2>"$DIR/format.log") ||
        { cat "$DIR/format.log" >&2; die "StorageTool random-uuid failed"; }
    "${JAVA[@]}" kafka.tools.StorageTool format -t "$uuid" -c "$DIR/server.properties" >>"$DIR/format.log" 2>&1 ||
        { cat "$DIR/format.log" >&2; die "StorageTool format failed"; }

    # The broker outlives this script: its output goes to kafka.log (never to our stdout, which callers
    # read with $(...)), and stdin is closed. A plain command (not a function) so that $! is java's pid.
    # shellcheck disable=SC2086 # KAFKA_JVM_OPTS is a list of options
    "${JAVA[@]}" ${KAFKA_JVM_OPTS:-} kafka.Kafka "$DIR/server.properties" </dev/null >"$DIR/kafka.log" 2>&1 &
    pid=$!
    echo "$pid" >"$DIR/pid"

    # Ready when a metadata request answers with the broker itself.
    deadline=$((SECONDS + START_TIMEOUT))
    until timeout 10 kcat -b "$addr" -L -m 3 2>/dev/null | grep -q "broker 1 at $addr"; do
        if ! alive "$pid"; then
            tail -n 40 "$DIR/kafka.log" >&2
            die "the broker exited during start-up (log: $DIR/kafka.log)"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 40 "$DIR/kafka.log" >&2
            DIR=$DIR cmd_stop
            die "the broker was not ready after ${START_TIMEOUT}s (log: $DIR/kafka.log)"
        fi
        sleep 0.5
    done
    echo "$addr" >"$DIR/bootstrap"
    echo "$addr"
}

cmd_stop() {
    local pid waited=0
    [ -d "$DIR" ] || return 0
    DIR=$(cd "$DIR" && pwd)
    if [ -f "$DIR/pid" ]; then
        pid=$(cat "$DIR/pid")
        if alive "$pid" && our_broker "$pid" "$DIR"; then
            kill -TERM "$pid" 2>/dev/null || true
            while alive "$pid" && [ "$waited" -lt $((STOP_TIMEOUT * 5)) ]; do
                sleep 0.2
                waited=$((waited + 1))
            done
            if alive "$pid"; then
                echo "kafka.sh: broker $pid did not stop in ${STOP_TIMEOUT}s, killing it" >&2
                kill -KILL "$pid" 2>/dev/null || true
                waited=0
                while alive "$pid" && [ "$waited" -lt 50 ]; do
                    sleep 0.2
                    waited=$((waited + 1))
                done
            fi
        fi
        rm -f "$DIR/pid" "$DIR/bootstrap"
    fi
    rm -rf "$DIR/data"
}

[ $# -ge 1 ] || usage
case $1 in
fetch)
    [ $# -eq 1 ] || usage
    cmd_fetch
    ;;
start | stop)
    [ $# -eq 2 ] || usage
    DIR=$2
    "cmd_$1"
    ;;
*) usage ;;
esac
