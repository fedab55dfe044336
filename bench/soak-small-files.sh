#!/usr/bin/env bash
# bench/soak-small-files.sh - the small-file rule over a long run (not CI).
#
# Trades flow at RATE ticks/s for MINUTES minutes through `ticklake sink`
# (defaults: 128 MiB / 8M rows / 60 s) into a local lake while
# `ticklake compact trades` runs every COMPACT_EVERY seconds; at the end the
# sink and a last compaction finish and the catalog is checked:
#
#   per date partition and Kafka partition, every file is at least MIN_BYTES
#   (half the compaction target) except the two newest by offset: the tail
#   (a merged file the next compaction grows, or a lone sealed file not worth
#   merging alone) and the sink's newest file (the sink may rewrite it).
#
# It also checks that no trade is missing or doubled. Prints PASS or FAIL.
#
#   bench/soak-small-files.sh                          10 min at 100,000 ticks/s
#   MINUTES=2 RATE=50000 bench/soak-small-files.sh     shorter
#   BROKERS=host:port ...                              a running Kafka (else one is started)
#
# PARTITIONS (default 1) sets the trades partitions: at 100,000 ticks/s a
# trade is ~8 bytes of Parquet, so 10 minutes make ~480 MB; spread over more
# partitions no partition would reach a full 128 MiB file in 10 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-10}
RATE=${RATE:-100000}
PARTITIONS=${PARTITIONS:-1}
COMPACT_EVERY=${COMPACT_EVERY:-120}
TARGET=${TARGET:-134217728}
MIN_BYTES=$((TARGET / 2))
WORK=$(mktemp -d /tmp/ticklake-soak.XXXXXX)
OWN_KAFKA=0
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [ "$OWN_KAFKA" = 0 ] || tests/kafka/kafka.sh stop "$WORK/kafka" >/dev/null 2>&1 || true
    [ "${KEEP:-0}" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
if [ -z "${BROKERS:-}" ]; then
    BROKERS=$(tests/kafka/kafka.sh start "$WORK/kafka")
    OWN_KAFKA=1
fi
pre=soak$$.
lake=$WORK/lake
N=$((RATE * MINUTES * 60))
echo "soak: $N trades at $RATE/s for $MINUTES min, $PARTITIONS partitions, compaction every ${COMPACT_EVERY}s, target $TARGET"
./ticklake sink --brokers "$BROKERS" --topic-prefix "$pre" --partitions "$PARTITIONS" \
    --lake "$lake" --intervals 1s -q 2>"$WORK/sink.err" &
PIDS+=($!)
sink_pid=$!
# The sink creates the topics and joins its group before the first trade.
sleep 10
./ticklake ingest --brokers "$BROKERS" --topic-prefix "$pre" --partitions "$PARTITIONS" \
    --rate "$RATE" --count "$N" --symbols 500 --seed 7 -q 2>"$WORK/ingest.err" &
PIDS+=($!)
ingest_pid=$!
start=$SECONDS
while kill -0 "$ingest_pid" 2>/dev/null; do
    sleep "$COMPACT_EVERY" || true
    [ -d "$lake/trades" ] && ./ticklake compact trades --lake "$lake" --target-bytes "$TARGET" -q |
        sed "s/^/[$((SECONDS - start))s] /"
done
wait "$ingest_pid" || { cat "$WORK/ingest.err"; echo "FAIL: ingest failed"; exit 1; }
tail -1 "$WORK/ingest.err"
# Let the sink catch up (its freshness bound writes the rest), then stop it.
sleep 70
kill -TERM "$sink_pid"
wait "$sink_pid" || { tail -3 "$WORK/sink.err"; echo "FAIL: sink failed"; exit 1; }
tail -1 "$WORK/sink.err"
./ticklake compact trades --lake "$lake" --target-bytes "$TARGET" --grace 0 -q
./ticklake crawl --lake "$lake" >/dev/null
rows=$(./ticklake query --lake "$lake" --format csv "SELECT count(*) || ' ' || count(DISTINCT id) FROM trades" | tail -1)
.cache/venv/bin/python3 - "$lake/_catalog/catalog.json" "$MIN_BYTES" "$rows" "$N" <<'PY'
import json, re, sys, collections
cat = json.load(open(sys.argv[1])); min_bytes = int(sys.argv[2]); rows = sys.argv[3]; n = int(sys.argv[4])
t = next(t for t in cat["tables"] if t["name"] == "trades")
bad, total, small_ok = [], 0, 0
for p in t["partitions"]:
    groups = collections.defaultdict(list)
    for f in p["files"]:
        name = f["path"].rsplit("/", 1)[1]
        m = re.match(r"^(~?)(.*)\+(\d+)\+(\d{20})(?:-(\d{20}))?\.parquet$", name)
        groups[m.group(3)].append((m.group(1) == "~", int(m.group(4)), f["size"], name))
    for part, files in groups.items():
        allowed = set(x[3] for x in sorted(files, key=lambda x: x[1])[-2:])
        for x in files:
            total += 1
            if x[2] < min_bytes:
                if x[3] in allowed:
                    small_ok += 1
                else:
                    bad.append("%s (%d bytes)" % (x[3], x[2]))
print("files: %d, under %d bytes: %d allowed (the two newest of a Kafka partition), %d not" % (total, min_bytes, small_ok, len(bad)))
for b in bad[:10]:
    print("  small:", b)
ok_rows = rows == "%d %d" % (n, n)
print("rows (count, distinct ids): %s, expected %d" % (rows, n))
print("PASS" if not bad and ok_rows else "FAIL")
sys.exit(0 if not bad and ok_rows else 1)
PY
