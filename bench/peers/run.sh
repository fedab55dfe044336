#!/usr/bin/env bash
# run.sh - ticklake side by side with what users would run instead, in one run, on one machine, on the
# same real Kafka broker and the same trades; prints one table, ratios first (docs/PERFORMANCE.md
# "Peers" holds the latest one). Issue 17.
#
#   bench/peers/run.sh [N] [REPEAT]      N trades (default 200000), REPEAT runs of each timed step
#                                        (default 3; medians), peers and ticklake interleaved
#
# Correctness first: every bar and every answer compared must be equal, else the run fails.
#   bars     Kafka Streams 3.9.1 (bench/peers/streams, exactly_once_v2) computing the same 1s and 1m
#            bars with the same grace as `ticklake process`, compared bar by bar (barcompare.py)
#   queries  the catalog tests' queries and the three questions on ticklake query, the DuckDB CLI
#            (the version scripts/fetch-duckdb.sh pins), Spark (pyspark) and Trino (trino.sh; tables
#            from `ticklake ddl --dialect trino`) over the same lake (queries.py)
# Then throughput: ingest vs kcat -P (identical bytes) and confluent-kafka-python; processing
# records per CPU-second vs Kafka Streams; query seconds; and the original Python design
# (original.py: kafka-python, boto3 into S3, DuckDB read_json) on PY_N trades (default 20000) vs
# ticklake ingest, sink into S3 and query.
#
# Set-up, cached under .cache/peers (pinned versions): a venv with duckdb, duckdb-cli, pyspark,
# kafka-python, confluent-kafka and boto3 from PyPI; the Streams app built by Maven from Maven
# Central; Trino 476 (sha256-pinned downloads from Maven Central; Java 25). Needs the test set-up
# (./dev setup --test: Java 17, Maven, kcat, the Kafka jars, versitygw). BROKERS=host:port uses a
# running real Kafka instead of starting one. Everything it starts is stopped at exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
N=${1:-200000}
REPEAT=${2:-3}
PY_N=${PY_N:-20000}
HERE=bench/peers
CACHE=.cache/peers
VENV=$CACHE/venv
PY_PINS=(kafka-python==2.2.15 confluent-kafka==2.11.1 boto3==1.40.0 pyspark==4.0.1)
LATENESS=1s
LATENESS_NS=1000000000
W=$(mktemp -d "${TMPDIR:-/tmp}/ticklake-peers.XXXXXX")
KAFKA_STARTED= TRINO_STARTED= S3_STARTED=
log() { echo "peers: $*" >&2; }
die() { log "$*"; exit 1; }

cleanup() {
    local rc=$?
    [ -z "$TRINO_STARTED" ] || bash $HERE/trino.sh stop "$W/trino" || true
    [ -z "$S3_STARTED" ] || bash tests/s3/s3server.sh stop "$W/s3" >/dev/null 2>&1 || true
    [ -z "$KAFKA_STARTED" ] || bash tests/kafka/kafka.sh stop "$W/kafka" >/dev/null 2>&1 || true
    [ "${PEERS_KEEP:-0}" = 1 ] && log "kept $W" || rm -rf "$W"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The DuckDB release ticklake is built against, as scripts/fetch-duckdb.sh pins it.
duckdb_version() {
    local v
    v=$(sed -nE 's/^BINDINGS_PKG=.*node-bindings-linux-x64@([0-9]+\.[0-9]+\.[0-9]+).*/\1/p' scripts/fetch-duckdb.sh)
    [ -n "$v" ] || v=$(grep -oE 'DuckDB [0-9]+\.[0-9]+\.[0-9]+' scripts/fetch-duckdb.sh | head -1 | cut -d' ' -f2)
    [ -n "$v" ] || die "cannot read the pinned DuckDB version from scripts/fetch-duckdb.sh"
    echo "$v"
}

setup() {
    DUCKDB_VERSION=$(duckdb_version)
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    local want=("duckdb==$DUCKDB_VERSION" "duckdb-cli==$DUCKDB_VERSION" "${PY_PINS[@]}") missing=() p
    local have
    have=$("$VENV/bin/python" -m pip list --format=freeze 2>/dev/null | tr 'A-Z_' 'a-z-')
    for p in "${want[@]}"; do grep -qx "$p" <<<"$have" || missing+=("$p"); done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing ${missing[*]} into $VENV"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${missing[@]}"
    fi
    chmod +x "$VENV/bin/duckdb" # the duckdb-cli wheel installs it without the execute bit
    "$VENV/bin/duckdb" --version | grep -q "v$DUCKDB_VERSION" || die "duckdb CLI is not $DUCKDB_VERSION"
    [ -x ./ticklake ] || make -j2 >/dev/null
    if [ ! -f $HERE/streams/target/streams-bars-1.jar ] || [ $HERE/streams/src/main/java/ticklake/peers/Bars.java -nt $HERE/streams/target/streams-bars-1.jar ]; then
        log "building the Kafka Streams app (Maven Central)"
        mvn -q -B -f $HERE/streams/pom.xml package dependency:copy-dependencies -DincludeScope=runtime \
            </dev/null >"$W/mvn.log" 2>&1 || { cat "$W/mvn.log" >&2; die "maven failed"; }
    fi
    bash $HERE/trino.sh fetch
    if [ -z "${BROKERS:-}" ]; then
        BROKERS=$(bash tests/kafka/kafka.sh start "$W/kafka")
        KAFKA_STARTED=1
    fi
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
now() { date +%s.%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cpu_of() { awk '/^cpu / { print $2 + $3 }' "$1"; } # from /usr/bin/time -f 'cpu %U %S'
ROWS=()
row() { local s="|" a; for a in "$@"; do s+=" $a |"; done; ROWS+=("$s"); }

setup
PREFIX=peers$$-$(date +%s)
START=$(( (EPOCHSECONDS / 60 * 60 - 900) * 1000000000 )) # recent: Kafka's 7-day time retention
SIM_BASE=(--rate 2000 --symbols 20 --seed 7 --start "$START" --speed max)
SIM=("${SIM_BASE[@]}" --encoding json)
log "$N trades ($((N / 2000)) s of event time, 20 symbols), $REPEAT runs each, broker $BROKERS"

# --- the trades every leg uses -------------------------------------------------------------------
./ticklake ingest -b "$BROKERS" -q --topic-prefix "$PREFIX.d." --count "$N" "${SIM[@]}"
kcat -C -b "$BROKERS" -t "$PREFIX.d.trades" -e -q -f '%k\t%s\n' >"$W/records.tsv"
kcat -C -b "$BROKERS" -t "$PREFIX.d.trades" -e -q -f '%p\t%s\n' >"$W/trades.tsv"
[ "$(wc -l <"$W/records.tsv")" = "$N" ] || die "the trades topic holds $(wc -l <"$W/records.tsv") records, not $N"

# --- ingest: ticklake vs kcat -P vs confluent-kafka-python, identical records ---------------------
PX=(-X enable.idempotence=true -X acks=all -X compression.type=lz4 -X linger.ms=5 -X batch.num.messages=10000
    -X batch.size=1000000 -X queue.buffering.max.messages=500000 -X partitioner=murmur2_random)
# Records are framed with multi-byte separators: binary values may hold any byte.
KSEP='\x1f\x1e' RSEP='\x1d\x1c\x1b\x1a'
ingest_compare() { # ENCODING: ticklake ingest, kcat -P and confluent-kafka-python, the same records
    local enc=$1 tag=${1:0:1} r tool t0 t1 tl_in=() kc_in=() cf_in=() m_tl m_kc m_cf same
    ./ticklake ingest -b "$BROKERS" -q --topic-prefix "$PREFIX.r$tag." --count "$N" "${SIM_BASE[@]}" --encoding "$enc"
    kcat -C -b "$BROKERS" -t "$PREFIX.r$tag.trades" -e -q -f "%k$KSEP%s$RSEP" >"$W/records.$enc"
    for r in $(seq "$REPEAT"); do
        for tool in i k c; do # every topic exists first (made by a one-tick ingest): all time the same work
            ./ticklake ingest -b "$BROKERS" -q --topic-prefix "$PREFIX.$tool$tag$r." --count 1 --rate max >/dev/null 2>&1
        done
        t0=$(now); ./ticklake ingest -b "$BROKERS" -q --topic-prefix "$PREFIX.i$tag$r." --count "$N" "${SIM_BASE[@]}" --encoding "$enc"; t1=$(now)
        tl_in+=("$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')")
        t0=$(now); kcat -P -b "$BROKERS" -t "$PREFIX.k$tag$r.trades" -K "$KSEP" -D "$RSEP" -l "${PX[@]}" "$W/records.$enc"; t1=$(now)
        kc_in+=("$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')")
        cf_in+=("$("$VENV/bin/python" $HERE/produce_confluent.py "$BROKERS" "$PREFIX.c$tag$r.trades" "$W/records.$enc")")
        log "ingest $enc run $r: ticklake ${tl_in[-1]}, kcat ${kc_in[-1]}, confluent-kafka ${cf_in[-1]} records/s"
    done
    # Identical bytes: every record ticklake produced is in kcat's and confluent-kafka's topics, key
    # and value byte for byte (each topic has one more: the tick that created it).
    for tool in i k c; do
        kcat -C -b "$BROKERS" -t "$PREFIX.$tool${tag}1.trades" -e -q -f "%k$KSEP%s$RSEP" >"$W/got.$tool"
    done
    same=$(python3 - "$W/records.$enc" "$W/got.i" "$W/got.k" "$W/got.c" <<'PY'
import collections, sys
def recs(p):
    return collections.Counter(open(p, "rb").read().split(b"\x1d\x1c\x1b\x1a")[:-1])
want = recs(sys.argv[1])
print(min(sum((want & recs(p)).values()) for p in sys.argv[2:]))
PY
)
    [ "$same" = "$N" ] || die "$enc: a topic holds only $same of ticklake's $N records"
    m_tl=$(printf '%s\n' "${tl_in[@]}" | median) m_kc=$(printf '%s\n' "${kc_in[@]}" | median) m_cf=$(printf '%s\n' "${cf_in[@]}" | median)
    row "ingest ($enc trades, $(( $(wc -c <"$W/records.$enc") / N - 6 )) bytes with key; acks=all, idempotent, lz4)" "ticklake / kcat" \
        "**$(ratio "$m_tl" "$m_kc")** (target >= 0.9)" \
        "ticklake $m_tl rec/s, kcat -P $m_kc, confluent-kafka-python $m_cf ($(ratio "$m_cf" "$m_kc") of kcat)" \
        "$N of $N records byte-identical (key and value) in ticklake's, kcat's and confluent-kafka's topics"
}
ingest_compare json
ingest_compare binary

# --- processing: ticklake process vs Kafka Streams, bar by bar, per CPU-second --------------------
tl_cpu=() ks_cpu=() tl_wall=() ks_wall=() verdict=
for r in $(seq "$REPEAT"); do
    /usr/bin/time -f 'cpu %U %S wall %e' -o "$W/tl.time" ./ticklake process -b "$BROKERS" -q --topic-prefix "$PREFIX.d." \
        -g "$PREFIX-p$r" --instance-id "p$r" --intervals 1s,1m --lateness "$LATENESS" --idle-timeout 0 --drain >/dev/null 2>"$W/tl.err" || { cat "$W/tl.err" >&2; die "ticklake process failed"; }
    # process writes to <prefix>bars.*: keep run 1's output for the comparison
    tl_cpu+=("$(cpu_of "$W/tl.time")") tl_wall+=("$(awk '{ print $5 }' "$W/tl.time")")
    rm -rf "$W/ks-state"
    APP_ID="$PREFIX-ks$r" /usr/bin/time -f 'cpu %U %S wall %e' -o "$W/ks.time" java -Xmx512m \
        -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dstate.dir="$W/ks-state" \
        -cp "$HERE/streams/target/classes:$HERE/streams/target/dependency/*" ticklake.peers.Bars \
        "$BROKERS" "$PREFIX.d.trades" "$PREFIX.ks$r.bars." "$((LATENESS_NS / 1000000))" 1s 1m >"$W/ks.out" 2>"$W/ks.err" ||
        { cat "$W/ks.err" >&2; die "Kafka Streams failed"; }
    ks_cpu+=("$(cpu_of "$W/ks.time")") ks_wall+=("$(awk '{ print $5 }' "$W/ks.time")")
    log "process run $r: ticklake ${tl_cpu[-1]} CPU-s, Kafka Streams ${ks_cpu[-1]} CPU-s"
    if [ "$r" = 1 ]; then
        for i in 1s 1m; do kcat -C -b "$BROKERS" -t "$PREFIX.d.bars.$i" -e -q -X isolation.level=read_committed -f '%s\n'; done >"$W/tl.bars"
        for i in 1s 1m; do kcat -C -b "$BROKERS" -t "$PREFIX.ks1.bars.$i" -e -q -X isolation.level=read_committed -f '%s\n'; done >"$W/ks.bars"
        verdict=$(python3 $HERE/barcompare.py "$W/tl.bars" "$W/ks.bars" "$W/trades.tsv" "$LATENESS_NS") ||
            { echo "$verdict" >&2; die "Kafka Streams' bars differ from ticklake's"; }
        log "$verdict"
        # the lake, from run 1's bars only (later runs append theirs to the same topics)
        ./ticklake sink -b "$BROKERS" -q --topic-prefix "$PREFIX.d." -g "$PREFIX-s" --lake "$W/lake" --intervals 1s,1m --drain
    fi
done
m_tlc=$(printf '%s\n' "${tl_cpu[@]}" | median) m_ksc=$(printf '%s\n' "${ks_cpu[@]}" | median)
m_tlw=$(printf '%s\n' "${tl_wall[@]}" | median) m_ksw=$(printf '%s\n' "${ks_wall[@]}" | median)
tl_rate=$(awk -v n="$N" -v c="$m_tlc" 'BEGIN { printf "%.0f", n / c }') ks_rate=$(awk -v n="$N" -v c="$m_ksc" 'BEGIN { printf "%.0f", n / c }')
row "1s+1m bars, exactly once (ticklake process vs Kafka Streams 3.9.1 EOS v2)" "ticklake / Kafka Streams, trades per CPU-second" \
    "**$(ratio "$tl_rate" "$ks_rate")** (target >= 3)" \
    "ticklake $tl_rate/CPU-s ($m_tlc CPU-s, $m_tlw s wall), Kafka Streams $ks_rate/CPU-s ($m_ksc CPU-s, $m_ksw s wall)" \
    "${verdict#bars: }"

# --- the lake: sink, crawl; the same queries on ticklake, DuckDB CLI, Spark and Trino -------------
./ticklake crawl --lake "$W/lake" >/dev/null
bash $HERE/trino.sh start "$W/trino" >/dev/null
TRINO_STARTED=1
bash $HERE/trino.sh sql "$W/trino" "CREATE SCHEMA IF NOT EXISTS lake.default" >/dev/null
./ticklake ddl --lake "$W/lake" --dialect trino --location "local://$W/lake" --partitions --all 2>/dev/null >"$W/ddl.sql"
while IFS= read -r -d ';' stmt; do
    stmt=$(printf '%s' "$stmt" | sed '/^[[:space:]]*$/d')
    [ -z "$stmt" ] || bash $HERE/trino.sh sql "$W/trino" "$stmt" >/dev/null
done <"$W/ddl.sql"
TRINO_DIR=$W/trino DUCKDB_CLI=$VENV/bin/duckdb "$VENV/bin/python" $HERE/queries.py "$W/lake" ticklake,duckdb,spark,trino \
    --repeat "$REPEAT" --json "$W/q.json" 2>"$W/q.err" | tee "$W/q.out" >&2 ||
    { tail -20 "$W/q.err" >&2; die "an engine's answer differs from ticklake's"; }
bash $HERE/trino.sh stop "$W/trino"; TRINO_STARTED=
python3 - "$W/q.json" >"$W/q.rows" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = {}
for x in r:
    t.setdefault(x["engine"], 0.0)
    t[x["engine"]] += x["median_s"]
tl = t["ticklake"]
n = len({x["query"] for x in r})
eq = sum(1 for x in r if x["verdict"].startswith("equal"))
print(f"| {n} queries over the lake (catalog tests + 3 questions), sum of medians | peer / ticklake seconds "
      f"| **DuckDB CLI {t['duckdb'] / tl:.2f}, Spark {t['spark'] / tl:.2f}, Trino {t['trino'] / tl:.2f}** "
      f"| ticklake {tl:.2f} s, DuckDB CLI {t['duckdb']:.2f} s, Spark {t['spark']:.2f} s, Trino {t['trino']:.2f} s "
      f"| {eq} of {len(r) - n} peer answers equal to ticklake's |")
PY
ROWS+=("$(cat "$W/q.rows")")

# --- the original Python design vs ticklake, on PY_N trades ---------------------------------------
bash tests/s3/s3server.sh start "$W/s3" >/dev/null
S3_STARTED=1
# shellcheck disable=SC1091
. "$W/s3/env"
# The Python producer sends exactly the records ticklake ingest makes of PY_N trades (the simulator
# is deterministic: every run below makes them again).
./ticklake ingest -b "$BROKERS" -q --topic-prefix "$PREFIX.o0." --count "$PY_N" "${SIM[@]}"
kcat -C -b "$BROKERS" -t "$PREFIX.o0.trades" -e -q -f '%k\t%s\n' >"$W/py.tsv"
py_prod=() py_cons=() tl_prod=() tl_sink=()
for r in $(seq "$REPEAT"); do
    py_prod+=("$("$VENV/bin/python" $HERE/original.py produce "$BROKERS" "$PREFIX.py$r.trades" "$W/py.tsv")")
    t0=$(now); ./ticklake ingest -b "$BROKERS" -q --topic-prefix "$PREFIX.o$r." --count "$PY_N" "${SIM[@]}"; t1=$(now)
    tl_prod+=("$(awk -v n="$PY_N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')")
    log "original produce run $r: kafka-python ${py_prod[-1]}, ticklake ${tl_prod[-1]} records/s"
done
# One consume-to-S3 run each (the Python one takes minutes); same records, same bucket.
py_cons=$("$VENV/bin/python" $HERE/original.py consume "$BROKERS" "$PREFIX.py1.trades" "$PY_N" "$S3_TEST_BUCKET")
t0=$(now)
./ticklake sink -b "$BROKERS" -q --topic-prefix "$PREFIX.o1." -g "$PREFIX-os" --lake "s3://$S3_TEST_BUCKET/lake" \
    --s3-endpoint "$S3_TEST_ENDPOINT" --intervals 1s --drain
t1=$(now)
tl_sink=$(awk -v n="$PY_N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
./ticklake crawl --lake "s3://$S3_TEST_BUCKET/lake" --s3-endpoint "$S3_TEST_ENDPOINT" >/dev/null
obj=$W/s3/data/$S3_TEST_BUCKET
py_objs=$(find "$obj/raw" -type f | wc -l) py_bytes=$(find "$obj/raw" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
tl_objs=$(find "$obj/lake/trades" -type f | wc -l) tl_bytes=$(find "$obj/lake/trades" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
# The three questions, the same SQL over `trades` (ts as ns since the epoch: raw in JSON, epoch_ns in the lake).
QS=("SELECT symbol, TS // 86400000000000 AS day, sum(price * size) / sum(size) AS vwap FROM trades GROUP BY 1, 2 ORDER BY 1, 2"
    "SELECT TS // 60000000000 AS minute, first(price ORDER BY TS, id) AS open, max(price) AS high, min(price) AS low, last(price ORDER BY TS, id) AS close, sum(size) AS volume FROM trades WHERE symbol = (SELECT min(symbol) FROM trades) GROUP BY 1 ORDER BY 1"
    "WITH d AS (SELECT symbol, first(price ORDER BY TS, id) AS f, last(price ORDER BY TS, id) AS l FROM trades GROUP BY 1) SELECT symbol, (l - f) / f AS move FROM d ORDER BY abs((l - f) / f) DESC, symbol LIMIT 5")
q_py=() q_tl=() q_eq=0
for i in 0 1 2; do
    sql_py=${QS[$i]//TS/ts} sql_tl=${QS[$i]//TS/epoch_ns(ts)}
    a=() b=()
    for r in $(seq "$REPEAT"); do
        t0=$(now); "$VENV/bin/python" $HERE/original.py query "$obj/raw" "$sql_py" >"$W/py.q$i"; t1=$(now)
        a+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
        t0=$(now); ./ticklake query --lake "s3://$S3_TEST_BUCKET/lake" --s3-endpoint "$S3_TEST_ENDPOINT" --no-save --format csv "$sql_tl" >"$W/tl.q$i"; t1=$(now)
        b+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
    done
    q_py+=("$(printf '%s\n' "${a[@]}" | median)") q_tl+=("$(printf '%s\n' "${b[@]}" | median)")
    python3 - "$W/tl.q$i" "$W/py.q$i" <<'PY' && q_eq=$((q_eq + 1)) || log "question $((i + 1)): answers differ"
import csv, math, sys
a, b = (list(csv.reader(open(p)))[1:] for p in sys.argv[1:3])
ok = len(a) == len(b) and all(
    x == y or math.isclose(float(x), float(y), rel_tol=1e-12)
    for ra, rb in zip(a, b) for x, y in zip(ra, rb))
sys.exit(0 if ok and len(a) else 1)
PY
done
[ "$q_eq" = 3 ] || die "the original design's answers differ from ticklake's"
row "original design (kafka-python + boto3 + DuckDB read_json) vs ticklake, $PY_N trades" "ticklake / original, records/s" \
    "**produce $(ratio "$(printf '%s\n' "${tl_prod[@]}" | median)" "$(printf '%s\n' "${py_prod[@]}" | median)"), to S3 $(ratio "$tl_sink" "$py_cons")**" \
    "produce: ticklake ingest $(printf '%s\n' "${tl_prod[@]}" | median)/s vs kafka-python $(printf '%s\n' "${py_prod[@]}" | median)/s; to S3: ticklake sink $tl_sink/s vs consumer+boto3 $py_cons/s (one run each)" \
    "stored: ticklake $tl_objs Parquet objects (trades), $tl_bytes bytes; original $py_objs JSON objects, $py_bytes bytes"
row "original design: the 3 questions (daily VWAP, 1-min OHLC of one symbol, top movers)" "original / ticklake seconds" \
    "**$(ratio "${q_py[0]}" "${q_tl[0]}"), $(ratio "${q_py[1]}" "${q_tl[1]}"), $(ratio "${q_py[2]}" "${q_tl[2]}")**" \
    "DuckDB read_json over the objects ${q_py[*]} s; ticklake query on its S3 lake ${q_tl[*]} s" "$q_eq of 3 answers equal"
bash tests/s3/s3server.sh stop "$W/s3" >/dev/null 2>&1; S3_STARTED=

echo
echo "ticklake $(git rev-parse --short HEAD), $N trades (PY_N $PY_N), $REPEAT runs, medians; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC'); DuckDB $DUCKDB_VERSION"
echo
echo "| comparison | ratio | value | runs | correctness |"
echo "|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
