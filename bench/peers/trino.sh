#!/usr/bin/env bash
# trino.sh - a single-node Trino from Maven Central over a local ticklake lake, for bench/peers and
# tests/peers: the server core tarball plus the Hive connector plugin (file metastore), on Java 25.
#
#   trino.sh fetch            download and check the pinned tarball and plugin into .cache/peers/
#   trino.sh start DIR        start a server with its config and data in DIR; prints http://127.0.0.1:PORT
#   trino.sh sql DIR SQL      run one statement (REST API), print its rows as JSON lines
#   trino.sh stop DIR         stop the server started in DIR
#
# Catalog `lake` is the Hive connector with its metastore in DIR/metastore and the native local file
# system (`local:///...` locations); timestamps are read at nanosecond precision, as the lake stores
# them. TRINO_JAVA_HOME overrides where Java 25 is looked for.
set -euo pipefail

TRINO_VERSION=476
CORE_SHA=0f388f9967c177ae70a47c099082fc95387f0c3cb96d8000d1d41fc3a5223158
HIVE_SHA=611bacdb07d9f3cf7b9d47f97ecc76fa2e7ff8bfe8a9728c3d06adc1bfb8662e
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=$ROOT/.cache/peers
HOME_DIR=$CACHE/trino-$TRINO_VERSION/trino-server-core-$TRINO_VERSION
MAVEN=https://repo1.maven.org/maven2/io/trino

die() { echo "trino.sh: $*" >&2; exit 1; }

java_home() {
    local j
    for j in "${TRINO_JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /opt/*jdk*25* /usr/lib/jvm/java-25*; do
        [ -n "$j" ] && [ -x "$j/bin/java" ] && "$j/bin/java" -version 2>&1 | grep -q 'version "25' && { echo "$j"; return; }
    done
    die "no Java 25 found (Trino $TRINO_VERSION needs it); set TRINO_JAVA_HOME"
}

get() { # get URL FILE SHA256
    if ! [ -f "$2" ] || [ "$(sha256sum "$2" | cut -d' ' -f1)" != "$3" ]; then
        echo "trino.sh: downloading $1" >&2
        curl -sSfL -o "$2.part" "$1" || die "download of $1 failed"
        mv "$2.part" "$2"
    fi
    [ "$(sha256sum "$2" | cut -d' ' -f1)" = "$3" ] || die "sha256 mismatch for $2"
}

cmd_fetch() {
    [ -f "$HOME_DIR/.complete" ] && return 0
    mkdir -p "$CACHE/dl"
    get "$MAVEN/trino-server-core/$TRINO_VERSION/trino-server-core-$TRINO_VERSION.tar.gz" \
        "$CACHE/dl/trino-server-core-$TRINO_VERSION.tar.gz" "$CORE_SHA"
    get "$MAVEN/trino-hive/$TRINO_VERSION/trino-hive-$TRINO_VERSION.zip" \
        "$CACHE/dl/trino-hive-$TRINO_VERSION.zip" "$HIVE_SHA"
    rm -rf "$CACHE/trino-$TRINO_VERSION"
    mkdir -p "$CACHE/trino-$TRINO_VERSION"
    tar -xzf "$CACHE/dl/trino-server-core-$TRINO_VERSION.tar.gz" -C "$CACHE/trino-$TRINO_VERSION"
    (cd "$HOME_DIR/plugin" && python3 -m zipfile -e "$CACHE/dl/trino-hive-$TRINO_VERSION.zip" . &&
        mv "trino-hive-$TRINO_VERSION" hive)
    touch "$HOME_DIR/.complete"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cmd_start() {
    local dir=$1 port jh
    cmd_fetch
    jh=$(java_home)
    mkdir -p "$dir/etc/catalog" "$dir/data" "$dir/metastore"
    dir=$(cd "$dir" && pwd)
    port=$(free_port)
    cat >"$dir/etc/node.properties" <<P
node.environment=peers
node.id=peers-$port
node.data-dir=$dir/data
P
    cat >"$dir/etc/jvm.config" <<P
-server
-Xmx${TRINO_HEAP:-1G}
-XX:+UseG1GC
-XX:+ExitOnOutOfMemoryError
-Djdk.attach.allowAttachSelf=true
P
    cat >"$dir/etc/config.properties" <<P
coordinator=true
node-scheduler.include-coordinator=true
http-server.http.port=$port
discovery.uri=http://127.0.0.1:$port
query.max-memory=512MB
query.max-memory-per-node=512MB
P
    cat >"$dir/etc/catalog/lake.properties" <<P
connector.name=hive
hive.metastore=file
hive.metastore.catalog.dir=local://$dir/metastore
fs.native-local.enabled=true
local.location=/
hive.timestamp-precision=NANOSECONDS
P
    echo "http://127.0.0.1:$port" >"$dir/url"
    JAVA_HOME=$jh PATH=$jh/bin:$PATH "$HOME_DIR/bin/launcher" --etc-dir="$dir/etc" --data-dir="$dir/data" \
        --pid-file="$dir/pid" --launcher-log-file="$dir/launcher.log" --server-log-file="$dir/server.log" start >/dev/null
    local i
    for i in $(seq 1 ${TRINO_START_TIMEOUT:-180}); do
        # started, and its node registered as a worker ("No nodes available" until then)
        if curl -sf "http://127.0.0.1:$port/v1/info" 2>/dev/null | grep -q '"starting":false' &&
            python3 "$HERE/trino_sql.py" "http://127.0.0.1:$port" "SELECT 1" >/dev/null 2>&1; then
            echo "http://127.0.0.1:$port"
            return 0
        fi
        sleep 1
    done
    tail -20 "$dir/server.log" >&2 || true
    die "Trino did not start within ${TRINO_START_TIMEOUT:-180} s (log: $dir/server.log)"
}

cmd_sql() { python3 "$HERE/trino_sql.py" "$(cat "$1/url")" "$2"; }

cmd_stop() {
    local dir=$1 jh
    [ -f "$dir/pid" ] || return 0
    jh=$(java_home)
    JAVA_HOME=$jh PATH=$jh/bin:$PATH "$HOME_DIR/bin/launcher" --etc-dir="$dir/etc" --data-dir="$dir/data" \
        --pid-file="$dir/pid" stop >/dev/null 2>&1 || true
    rm -f "$dir/pid"
}

case "${1:-}" in
fetch) cmd_fetch ;;
start) [ $# = 2 ] || die "usage: trino.sh start DIR"; cmd_start "$2" ;;
sql) [ $# = 3 ] || die "usage: trino.sh sql DIR SQL"; cmd_sql "$2" "$3" ;;
stop) [ $# = 2 ] || die "usage: trino.sh stop DIR"; cmd_stop "$2" ;;
*) die "usage: trino.sh fetch | start DIR | sql DIR SQL | stop DIR" ;;
esac
