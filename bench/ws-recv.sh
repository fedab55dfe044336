#!/usr/bin/env bash
# bench/ws-recv.sh - the WebSocket client library's own cost per frame: Coinbase-shaped frames
# (one trade each, about 230 bytes) from bench/feed_server.py received and thrown away, through
# ticklake's ws module (libwebsockets 4.1.6, bench/ws_recv.c) and through civetweb 1.15's client
# (bench/peers/ws_recv_civetweb.c), interleaved run by run. Nothing is decoded or published: this
# is the floor under `ticklake ingest --source coinbase`.
#
#   bench/ws-recv.sh [FRAMES] [RUNS]      (default 2000000, 3)
#
# docs/PERFORMANCE.md ("Live feeds") records the results.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000000}
RUNS=${2:-3}
make -s -j2 build/release/bench/ws_recv
PEER=build/release/bench/ws_recv_civetweb
gcc -O2 -g -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$PEER" bench/peers/ws_recv_civetweb.c \
    -lcivetweb -lpthread
WORK=$(mktemp -d /tmp/ticklake-bench-ws.XXXXXX)
SPID=
cleanup() {
    [ -z "$SPID" ] || kill "$SPID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
py=$(tests/tools/venv.sh)
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
one() { # client -> its report line
    rm -f "$WORK/server.out"
    "$py" bench/feed_server.py --provider coinbase --trades "$N" \
        --symbols BTC-USD,ETH-USD,SOL-USD,XRP-USD,ADA-USD,DOGE-USD,LTC-USD,DOT-USD,AVAX-USD,LINK-USD \
        >"$WORK/server.out" 2>"$WORK/server.err" &
    SPID=$!
    for _ in $(seq 1200); do
        [ -s "$WORK/server.out" ] && break
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.1
    done
    [ -s "$WORK/server.out" ] || { cat "$WORK/server.err" >&2; exit 1; }
    "$1" "$(head -1 "$WORK/server.out")" "$N"
    kill "$SPID" 2>/dev/null || true
    wait "$SPID" 2>/dev/null || true
    SPID=
}
echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A ns=() fps=()
for r in $(seq "$RUNS"); do
    for c in build/release/bench/ws_recv "$PEER"; do
        line=$(one "$c")
        echo "run $r: $line"
        name=${line%%:*}
        ns[$name]+="$(sed 's/.* \([0-9]*\) ns cpu\/frame.*/\1/' <<<"$line") "
        fps[$name]+="$(sed 's/.* \([0-9]*\) frames\/s$/\1/' <<<"$line") "
    done
done
for name in "${!ns[@]}"; do
    echo "$name: median $(printf '%s\n' ${ns[$name]} | median) ns cpu/frame, $(printf '%s\n' ${fps[$name]} | median) frames/s"
done
