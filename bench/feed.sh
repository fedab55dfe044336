#!/usr/bin/env bash
# bench/feed.sh - live-feed ingest: trades decoded and published per second
# from a provider feed on loopback, and the latency from a message's arrival
# to the broker's acknowledgement of its trades, on a real Kafka broker.
#
#   bench/feed.sh [TRADES] [RUNS] [LATENCY_SECONDS]   (default 2000000, 3, 30)
#
# Throughput: bench/feed_server.py sends TRADES trades as fast as ticklake
# reads them, Polygon-shaped (100 trades a frame) and Coinbase-shaped (one
# trade a frame); the rate is TRADES over the time from the first frame to
# Kafka holding every trade (end offsets polled every 0.1 s). Latency: 10,000
# trades/s for LATENCY_SECONDS, paced; p50 and p99 from ticklake's own
# histogram (its last line), per shape. Each throughput run also prints the CPU seconds that
# ingest, the server and the broker spent while the trades flowed. PROVIDERS="polygon coinbase" (the
# default) picks the shapes; TICKLAKE_BIN another binary (default ./ticklake),
# or BINS="old=PATH new=PATH" several, interleaved run by run in one session;
# INGEST_ARGS more options for ingest (e.g. "-X linger.ms=5"). Before the
# runs, throughput runs of WARMUP trades in all (default 6,000,000) warm the
# broker's JIT and are not counted (runs after a cold start were up to 30%
# slower; WARMUP=0 skips them). Prints each run and the medians;
# docs/PERFORMANCE.md records the results.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000000}
RUNS=${2:-3}
LAT_S=${3:-30}
WORK=$(mktemp -d /tmp/ticklake-bench-feed.XXXXXX)
SPID= IPID=
cleanup() {
    [ -z "$IPID" ] || kill "$IPID" 2>/dev/null || true
    [ -z "$SPID" ] || kill "$SPID" 2>/dev/null || true
    tests/kafka/kafka.sh stop "$WORK/kafka" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
py=$(tests/tools/venv.sh)
export POLYGON_API_KEY=benchkey
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
symbols_of() { # provider -> the 10 symbols it is subscribed to
    case $1 in
    coinbase) echo BTC-USD,ETH-USD,SOL-USD,XRP-USD,ADA-USD,DOGE-USD,LTC-USD,DOT-USD,AVAX-USD,LINK-USD ;;
    polygon) echo AAPL,MSFT,NVDA,AMZN,GOOG,META,TSLA,AVGO,JPM,V ;;
    esac
}

start_server() { # provider trades rate
    # Removed first: the child truncates it only once it runs, and a poll
    # before that would read the previous server's port.
    rm -f "$WORK/server.out"
    "$py" bench/feed_server.py --provider "$1" --symbols "$(symbols_of "$1")" --trades "$2" \
        --rate "$3" >"$WORK/server.out" 2>"$WORK/server.err" &
    SPID=$!
    for _ in $(seq 1200); do
        [ -s "$WORK/server.out" ] && break
        kill -0 "$SPID" 2>/dev/null || break # died: its error is shown below
        sleep 0.1
    done
    PORT=$(head -1 "$WORK/server.out" 2>/dev/null)
    [ -n "$PORT" ] || { cat "$WORK/server.err" >&2; exit 1; }
}

start_ingest() { # provider prefix
    # shellcheck disable=SC2086 # INGEST_ARGS is a list of words
    "$BIN" ingest --brokers "$B" --topic-prefix "$2" --source "$1" \
        --symbols "$(symbols_of "$1")" --feed-url "ws://127.0.0.1:$PORT/" ${INGEST_ARGS:-} \
        2>"$WORK/ingest.err" &
    IPID=$!
}

stop_both() {
    kill -TERM "$IPID"
    wait "$IPID" || true
    IPID=
    kill "$SPID" 2>/dev/null || true
    wait "$SPID" 2>/dev/null || true
    SPID=
}

throughput() { # provider run -> trades/s
    local pre="f$2-$1." t0 t1 have=0
    start_server "$1" "$N" 0
    start_ingest "$1" "$pre"
    for _ in $(seq 600); do grep -q '^start ' "$WORK/server.out" && break; sleep 0.05; done
    t0=$(awk '/^start /{ print $2 }' "$WORK/server.out")
    local c0
    c0=$(cpu_ticks)
    local deadline=$((SECONDS + 300))
    while [ "$have" -lt "$N" ] && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.1
        have=$(kafka_sum "${pre}trades")
    done
    t1=$(date +%s.%N)
    # Where the CPU went while the trades flowed (not the server's encoding before it).
    paste <(echo "$c0" | tr ' ' '\n') <(cpu_ticks | tr ' ' '\n') | awk -v hz="$(getconf CLK_TCK)" -v n="$N" '
        { d[NR] = ($2 - $1) / hz; t += d[NR] }
        END { printf "cpu: ingest %.2f s, server %.2f s, broker %.2f s; %.2f us a trade in all\n",
              d[1], d[2], d[3], t * 1e6 / n }' >"$WORK/cpu"
    stop_both
    if [ "$have" -lt "$N" ]; then
        echo "$1 run $2: Kafka holds $have of $N trades after 300 s; ingest's log:" >&2
        grep -v CONFWARN "$WORK/ingest.err" | tail -5 >&2
        echo 0
        return
    fi
    awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }'
}

cpu_ticks() { # -> user+system clock ticks of ingest, the server and the broker
    local p
    for p in "$IPID" "$SPID" "$(cat "$WORK/kafka/pid")"; do
        awk '{ printf "%d ", $14 + $15 }' "/proc/$p/stat" 2>/dev/null || printf '0 '
    done
}

kafka_sum() { # topic -> sum of its partitions' end offsets (0 before it exists)
    local parts q=() p
    # The partition list is looked up once: polls cost the machine less.
    parts=$(cat "$WORK/parts.$1" 2>/dev/null || true)
    if [ -z "$parts" ]; then
        parts=$(kcat -L -b "$B" -t "$1" 2>/dev/null | sed -n 's/^ *partition \([0-9]*\),.*/\1/p')
        [ -n "$parts" ] || { echo 0; return; }
        echo "$parts" >"$WORK/parts.$1"
    fi
    for p in $parts; do q+=(-t "$1:$p:-1"); done
    kcat -Q -b "$B" "${q[@]}" 2>/dev/null | awk '$(NF - 1) == "offset" { s += $NF } END { print s + 0 }'
}

latency() { # provider run -> "p50_ms p99_ms trades"
    local pre="l$2-$1." n=$((10000 * LAT_S))
    start_server "$1" "$n" 10000
    start_ingest "$1" "$pre"
    for _ in $(seq $((LAT_S * 20 + 600))); do grep -q '^end ' "$WORK/server.out" && break; sleep 0.1; done
    sleep 1
    stop_both
    local got
    got=$(sed -n 's/.*; \([0-9]*\) delivered.*p50 \([0-9.]*\) ms, p99 \([0-9.]*\) ms$/\2 \3 \1/p' "$WORK/ingest.err" | tail -1)
    if [ -z "$got" ]; then
        echo "$1 latency run $2: no latency in ingest's log:" >&2
        grep -v CONFWARN "$WORK/ingest.err" | tail -5 >&2
        got="- - 0"
    fi
    echo "$got"
}

B=$(tests/kafka/kafka.sh start "$WORK/kafka")
# BINS="name=path ...": binaries run side by side, interleaved run by run.
read -r -a bins <<<"${BINS:-ticklake=${TICKLAKE_BIN:-./ticklake}}"
echo "# real Kafka at $B; $N trades a throughput run, 10,000 trades/s for $LAT_S s a latency run"
if [ "${WARMUP:-6000000}" != 0 ]; then
    N0=$N N=$((${WARMUP:-6000000} / 2))
    BIN=${bins[0]#*=}
    echo "# warm-up: $(throughput polygon w1) and $(throughput polygon w2) trades/s (not counted)"
    N=$N0
fi
for provider in ${PROVIDERS:-polygon coinbase}; do
    declare -A rates=() p50s=() p99s=()
    for r in $(seq "$RUNS"); do
        for nb in "${bins[@]}"; do
            name=${nb%%=*} BIN=${nb#*=}
            rate=$(throughput "$provider" "$r$name")
            read -r p50 p99 got <<<"$(latency "$provider" "$r$name")"
            rates[$name]+="$rate " p50s[$name]+="$p50 " p99s[$name]+="$p99 "
            echo "$provider $name run $r: $rate trades/s ($(cat "$WORK/cpu")); at 10,000/s: p50 $p50 ms, p99 $p99 ms ($got trades)"
        done
    done
    for nb in "${bins[@]}"; do
        name=${nb%%=*}
        echo "$provider $name: median $(printf '%s\n' ${rates[$name]} | median) trades/s; at 10,000/s median p50 $(printf '%s\n' ${p50s[$name]} | median) ms, p99 $(printf '%s\n' ${p99s[$name]} | median) ms"
    done
    unset rates p50s p99s
done
