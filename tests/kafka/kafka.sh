#!/usr/bin/env bash
# kafka.sh - a real Apache Kafka 3.9.1 broker for the integration tests: one KRaft node that is both
# broker and controller, on loopback ports, with its data in a directory of the caller's choosing.
#
#   kafka.sh fetch        resolve the broker's jars from Maven Central into .cache/kafka-3.9.1/libs
#   kafka.sh start DIR    start a broker in DIR (fetching first if needed); prints its bootstrap address
#   kafka.sh stop DIR     stop the broker started in DIR and delete its data
#
# A 3-node cluster (each node a combined broker+controller, a controller quorum of 3; internal topics
# with replication factor 3 and min.insync.replicas 2), its nodes numbered 1..3 in DIR/node1..3:
#   kafka.sh cluster-start DIR   start it; prints the bootstrap list (a,b,c), also in DIR/bootstrap
#   kafka.sh cluster-stop DIR    stop every node and delete the data
#   kafka.sh kill9 DIR N         SIGKILL node N (its data stays)
#   kafka.sh stop-node DIR N     stop node N cleanly (SIGTERM; its data stays)
#   kafka.sh restart DIR N       start node N again (same id, data dir and ports; kills it first if it
#                                runs) and wait until it is back in the cluster
#   kafka.sh sigstop DIR N / sigcont DIR N   hang / resume node N
#   kafka.sh leader DIR TOPIC [P]  the node leading partition P of TOPIC (default 0), from kcat -L
#   kafka.sh leaders DIR TOPIC     "partition leader" lines for every partition of TOPIC
#   kafka.sh controller DIR      the active controller (the raft leader with the highest epoch in the
#                                nodes' __cluster_metadata-0/quorum-state files)
#   kafka.sh pid DIR N           node N's pid
#
# Every broker also has a SASL_SSL listener (TLS with a certificate of a CA made for DIR, SCRAM-SHA-512
# with one user made at format time), for the tests of client properties files (-F). start and
# cluster-start leave in DIR: sasl-bootstrap (that listener's address list), tls/ca.pem (the CA a client
# trusts) and client.properties (a librdkafka client file: security.protocol, sasl.mechanisms,
# sasl.username, sasl.password, ssl.ca.location).
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
usage() {
    echo "usage: $0 fetch | start DIR | stop DIR | cluster-start DIR | cluster-stop DIR |" \
        "kill9|stop-node|restart|sigstop|sigcont|pid DIR N | leader DIR TOPIC [P] | leaders DIR TOPIC |" \
        "controller DIR" >&2
    exit 2
}

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

# ---- TLS and SCRAM for the SASL_SSL listener ----
SCRAM_USER=ticklake

# make_security: a CA and a broker certificate for 127.0.0.1 and localhost in DIR/tls (the broker's
# key and chain in one PEM file, as Kafka's PEM key store reads it), and a SCRAM password in
# DIR/tls/scram-password; kept when they exist, so a node restarted on its data keeps them.
make_security() {
    local t=$DIR/tls
    [ -f "$t/broker.pem" ] && [ -f "$t/scram-password" ] && return 0
    command -v openssl >/dev/null 2>&1 || die "openssl is needed for the SASL_SSL listener"
    mkdir -p "$t"
    (
        cd "$t"
        openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=ticklake test CA" \
            -keyout ca.key -out ca.pem
        openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout broker.key -out broker.csr
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >ext.cnf
        openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
            -extfile ext.cnf -out broker.crt
        openssl pkcs8 -topk8 -nocrypt -in broker.key -out broker.p8
        cat broker.p8 broker.crt ca.pem >broker.pem
        openssl rand -hex 16 >scram-password
    ) >"$t/openssl.log" 2>&1 || { cat "$t/openssl.log" >&2; die "openssl could not make the test certificates"; }
}

# security_properties: the broker settings of the SASL_SSL listener (in a node's server.properties,
# whose listeners lines name the listener).
security_properties() {
    cat <<EOF
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=$DIR/tls/broker.pem
EOF
}

# scram_arg: StorageTool format's option value that creates the SCRAM user.
scram_arg() { echo "SCRAM-SHA-512=[name=$SCRAM_USER,password=$(cat "$DIR/tls/scram-password")]"; }

# write_client_file SASL_BOOTSTRAP: DIR/sasl-bootstrap and DIR/client.properties.
write_client_file() {
    echo "$1" >"$DIR/sasl-bootstrap"
    cat >"$DIR/client.properties" <<EOF
# librdkafka client settings for the SASL_SSL listener of $DIR
security.protocol=SASL_SSL
sasl.mechanisms=SCRAM-SHA-512
sasl.username=$SCRAM_USER
sasl.password=$(cat "$DIR/tls/scram-password")
ssl.ca.location=$DIR/tls/ca.pem
EOF
}

# The java command line with the fixture's classpath and log4j configuration (set in cmd_start).
JAVA=()

cmd_start() {
    local port cport sport uuid addr pid deadline
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

    read -r port cport sport < <(free_ports 3)
    [ -n "$sport" ] || die "could not pick free ports"
    addr=127.0.0.1:$port
    rm -rf "$DIR/tls"
    make_security

    # One combined broker+controller node (KRaft, static quorum of itself). Internal topics get
    # replication factor 1 and fewer partitions than the defaults so that they are created quickly;
    # no initial rebalance delay and a low minimum session timeout keep consumer-group tests fast.
    cat >"$DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport,SASL_SSL://127.0.0.1:$sport
advertised.listeners=PLAINTEXT://127.0.0.1:$port,SASL_SSL://127.0.0.1:$sport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
$(security_properties)
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
    "${JAVA[@]}" kafka.tools.StorageTool format -t "$uuid" -c "$DIR/server.properties" \
        --add-scram "$(scram_arg)" >>"$DIR/format.log" 2>&1 ||
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
    write_client_file "127.0.0.1:$sport"
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
    rm -rf "$DIR/data" "$DIR/tls" "$DIR/sasl-bootstrap" "$DIR/client.properties"
}


# ---- the 3-node cluster ----
NODES=3

# write_log4j FILE: warnings and errors only, plus the server's own start/stop lines.
write_log4j() {
    cat >"$1" <<'EOF'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
EOF
}

# node_launch N: start node N's JVM from DIR/nodeN/server.properties (already formatted).
node_launch() {
    local nd=$DIR/node$1 pid
    # shellcheck disable=SC2086 # KAFKA_JVM_OPTS is a list of options
    java -Xmx512m -Xms256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
        -Dlog4j.configuration="file:$nd/log4j.properties" -cp "$LIBS/*" ${KAFKA_JVM_OPTS:-} \
        kafka.Kafka "$nd/server.properties" </dev/null >>"$nd/kafka.log" 2>&1 &
    pid=$!
    echo "$pid" >"$nd/pid"
}

node_pid() { cat "$DIR/node$1/pid" 2>/dev/null; }

# node_running N: node N's JVM runs (and is ours).
node_running() {
    local pid
    pid=$(node_pid "$1") || return 1
    [ -n "$pid" ] && alive "$pid" && our_broker "$pid" "$DIR/node$1"
}

# cluster_ready [N]: the metadata (asked of node N, default any) lists all three brokers.
cluster_ready() {
    local boot
    boot=$(cat "$DIR/bootstrap.pending" 2>/dev/null || cat "$DIR/bootstrap")
    [ -z "${1:-}" ] || boot=$(cut -d, -f"$1" <<<"$boot")
    [ "$(timeout 10 kcat -b "$boot" -L -m 3 2>/dev/null | grep -c '^  broker [0-9]* at ')" -eq $NODES ]
}

cmd_cluster_start() {
    local ports uuid i boot="" voters="" sboot="" deadline
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd)
    for i in $(seq $NODES); do
        if node_running "$i"; then die "node $i of a cluster is already running in $DIR"; fi
    done
    command -v java >/dev/null 2>&1 || die "java is needed (run scripts/deps.sh --test)"
    command -v kcat >/dev/null 2>&1 || die "kcat is needed (run scripts/deps.sh --test)"
    cmd_fetch
    rm -rf "$DIR"/node* "$DIR/bootstrap" "$DIR/tls"
    make_security
    read -r -a ports < <(free_ports $((3 * NODES)))
    [ "${#ports[@]}" -eq $((3 * NODES)) ] || die "could not pick free ports"
    for i in $(seq $NODES); do
        boot+="${boot:+,}127.0.0.1:${ports[3 * i - 3]}"
        voters+="${voters:+,}$i@127.0.0.1:${ports[3 * i - 2]}"
        sboot+="${sboot:+,}127.0.0.1:${ports[3 * i - 1]}"
    done
    uuid=$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>"$DIR/format.log") ||
        { cat "$DIR/format.log" >&2; die "StorageTool random-uuid failed"; }
    for i in $(seq $NODES); do
        local nd=$DIR/node$i port=${ports[3 * i - 3]} cport=${ports[3 * i - 2]} sport=${ports[3 * i - 1]}
        mkdir -p "$nd"
        # Internal topics replicated 3 times with min.insync.replicas 2, as in production; short
        # session and replica timeouts so that a dead or hung node is noticed within seconds.
        cat >"$nd/server.properties" <<EOF
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport,SASL_SSL://127.0.0.1:$sport
advertised.listeners=PLAINTEXT://127.0.0.1:$port,SASL_SSL://127.0.0.1:$sport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
$(security_properties)
log.dirs=$nd/data
num.partitions=4
default.replication.factor=3
min.insync.replicas=2
auto.create.topics.enable=true
offsets.topic.replication.factor=3
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=8
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
log.retention.check.interval.ms=1000
broker.session.timeout.ms=6000
broker.heartbeat.interval.ms=1000
replica.lag.time.max.ms=10000
unclean.leader.election.enable=false
EOF
        write_log4j "$nd/log4j.properties"
        java -cp "$LIBS/*" kafka.tools.StorageTool format -t "$uuid" -c "$nd/server.properties" \
            --add-scram "$(scram_arg)" >>"$DIR/format.log" 2>&1 || { cat "$DIR/format.log" >&2; die "StorageTool format failed"; }
    done
    echo "$boot" >"$DIR/bootstrap.pending"
    for i in $(seq $NODES); do node_launch "$i"; done
    deadline=$((SECONDS + START_TIMEOUT * 2))
    until cluster_ready; do
        for i in $(seq $NODES); do
            if ! node_running "$i"; then
                tail -n 40 "$DIR/node$i/kafka.log" >&2
                cmd_cluster_stop
                die "node $i exited during start-up (log: $DIR/node$i/kafka.log)"
            fi
        done
        if [ "$SECONDS" -ge "$deadline" ]; then
            cmd_cluster_stop
            die "the cluster was not ready after $((START_TIMEOUT * 2))s (logs: $DIR/node*/kafka.log)"
        fi
        sleep 0.5
    done
    mv "$DIR/bootstrap.pending" "$DIR/bootstrap"
    write_client_file "$sboot"
    echo "$boot"
}

# node_signal_stop N SIG: send SIG to node N and wait for it to exit (KILL after STOP_TIMEOUT).
node_signal_stop() {
    local pid waited=0
    node_running "$1" || return 0
    pid=$(node_pid "$1")
    kill -CONT "$pid" 2>/dev/null || true
    kill "-$2" "$pid" 2>/dev/null || true
    while alive "$pid" && [ "$waited" -lt $((STOP_TIMEOUT * 5)) ]; do
        sleep 0.2
        waited=$((waited + 1))
    done
    if alive "$pid"; then
        echo "kafka.sh: node $1 (pid $pid) did not stop in ${STOP_TIMEOUT}s, killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
        while alive "$pid"; do sleep 0.2; done
    fi
}

cmd_cluster_stop() {
    local i
    [ -d "$DIR" ] || return 0
    DIR=$(cd "$DIR" && pwd)
    # All at once: a node stopping alone waits for a controller the others may have taken away.
    for i in $(seq $NODES); do
        if node_running "$i"; then kill -CONT "$(node_pid "$i")" 2>/dev/null || true; kill -TERM "$(node_pid "$i")" 2>/dev/null || true; fi
    done
    for i in $(seq $NODES); do node_signal_stop "$i" TERM; done
    rm -rf "$DIR"/node*/data "$DIR"/node*/pid "$DIR/bootstrap" "$DIR/bootstrap.pending" "$DIR/tls" \
        "$DIR/sasl-bootstrap" "$DIR/client.properties"
}

node_arg() {
    DIR=$(cd "$DIR" 2>/dev/null && pwd) || die "no cluster in $DIR"
    [[ $N =~ ^[1-3]$ ]] || die "node must be 1..$NODES, not '$N'"
    [ -f "$DIR/node$N/server.properties" ] || die "no node $N in $DIR"
}

cmd_kill9() {
    node_arg
    node_running "$N" || die "node $N is not running"
    kill -KILL "$(node_pid "$N")"
    while node_running "$N"; do sleep 0.1; done
}

cmd_stop_node() {
    node_arg
    node_signal_stop "$N" TERM
}

cmd_restart() {
    local deadline
    node_arg
    node_signal_stop "$N" TERM
    node_launch "$N"
    deadline=$((SECONDS + START_TIMEOUT))
    until cluster_ready "$N"; do
        node_running "$N" || { tail -n 40 "$DIR/node$N/kafka.log" >&2; die "node $N exited on restart"; }
        [ "$SECONDS" -lt "$deadline" ] || die "node $N was not back after ${START_TIMEOUT}s"
        sleep 0.3
    done
}

cmd_sigstop() { node_arg; node_running "$N" || die "node $N is not running"; kill -STOP "$(node_pid "$N")"; }
cmd_sigcont() { node_arg; node_running "$N" || die "node $N is not running"; kill -CONT "$(node_pid "$N")"; }
cmd_pid() { node_arg; node_pid "$N"; }

# leaders: "PARTITION LEADER" per partition of TOPIC (LEADER -1: none), asked of any running node.
cmd_leaders() {
    local i boot out=""
    DIR=$(cd "$DIR" && pwd)
    for i in $(seq $NODES); do
        node_running "$i" || continue
        [ "$(sed 's/.*) //' "/proc/$(node_pid "$i")/stat" | cut -d' ' -f1)" != T ] || continue
        boot=$(cut -d, -f"$i" "$DIR/bootstrap")
        out=$(timeout 10 kcat -b "$boot" -L -t "$TOPIC" -m 3 2>/dev/null |
            sed -n 's/^ *partition \([0-9]*\), leader \(-\{0,1\}[0-9]*\),.*/\1 \2/p') && [ -n "$out" ] && break
    done
    [ -n "$out" ] || die "no running node knows topic '$TOPIC'"
    echo "$out"
}

cmd_leader() {
    cmd_leaders | awk -v p="$PART" '$1 == p { print $2; f = 1 } END { exit !f }' ||
        die "topic '$TOPIC' has no partition $PART"
}

# controller: the leader id of the highest epoch any node's quorum-state records (each node rewrites
# the file when it learns of a new leader).
cmd_controller() {
    DIR=$(cd "$DIR" && pwd)
    python3 - "$DIR"/node*/data/__cluster_metadata-0/quorum-state <<'EOF' || die "no node knows an active controller"
import json, sys
best = None
for path in sys.argv[1:]:
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError):
        continue
    if d.get("leaderId", -1) >= 0 and (best is None or d["leaderEpoch"] > best["leaderEpoch"]):
        best = d
if best is None:
    sys.exit(1)
print(best["leaderId"])
EOF
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
cluster-start | cluster-stop | controller)
    [ $# -eq 2 ] || usage
    DIR=$2
    "cmd_${1//-/_}"
    ;;
kill9 | stop-node | restart | sigstop | sigcont | pid)
    [ $# -eq 3 ] || usage
    DIR=$2
    N=$3
    "cmd_${1//-/_}"
    ;;
leader | leaders)
    [ $# -ge 3 ] && [ $# -le 4 ] || usage
    DIR=$2
    TOPIC=$3
    PART=${4:-0}
    "cmd_$1"
    ;;
*) usage ;;
esac
