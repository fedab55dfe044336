#!/usr/bin/env bash
# The lake in a distributed engine: Trino (server and Hive connector from Maven Central, file
# metastore, Java 25; bench/peers/trino.sh) declares the tables with `ticklake ddl --dialect trino
# --partitions` and answers the catalog tests' queries (t0060, t0061) and the three questions of
# bench/peers (bench/peers/queries.py) exactly as `ticklake query` does.
# Slow (Trino starts in about a minute on 2 cores, and is fetched once, about 450 MB), so it runs
# only with PEERS=1 tests/run-all.sh, on the real broker; by hand:
#   BROKERS=<addr> KAFKA_KIND=real bash tests/peers/t0001-trino.sh
. "$(dirname "$0")/../integration/lib.sh"

[ "$KAFKA_KIND" = real ] || skip "Trino check runs on the real broker only"
TRINO=$ROOT/bench/peers/trino.sh
trap 'rc=$?; bash "$TRINO" stop "$T/trino"; (exit $rc); tl_cleanup' EXIT

lake=$T/lake
# Event time starts 10 s before a minute ends and runs 14 s, so a 1m bar closes (bars_1m exists).
start=$(( (EPOCHSECONDS / 60 * 60 + 50) * 1000000000 ))
"$TICKLAKE" run --duration 14 --start "$start" --lake "$lake" --rate 3000 --symbols 12 --status-interval 5s \
    --brokers "$BROKERS" --topic-prefix "$(unique_name trino)." 2>"$T/run.err" ||
    { cat "$T/run.err" >&2; fail "run failed"; }
"$TICKLAKE" crawl --lake "$lake" >/dev/null

bash "$TRINO" start "$T/trino" >"$T/url" || fail "Trino did not start"
bash "$TRINO" sql "$T/trino" "CREATE SCHEMA IF NOT EXISTS lake.default" >/dev/null
"$TICKLAKE" ddl --lake "$lake" --dialect trino --location "local://$lake" --partitions --all \
    >"$T/ddl.sql" 2>/dev/null || fail "ddl failed"
n=0
while IFS= read -r -d ';' stmt; do
    stmt=$(printf '%s' "$stmt" | sed '/^[[:space:]]*$/d')
    [ -n "$stmt" ] || continue
    bash "$TRINO" sql "$T/trino" "$stmt" >/dev/null || fail "Trino rejected: $stmt"
    n=$((n + 1))
done <"$T/ddl.sql"
assert_ge "$n" 6 "DDL statements run (a CREATE TABLE and a sync_partition_metadata for trades, bars_1s, bars_1m at least)"

# Every table's row count, then the queries, each against ticklake's answer.
for t in trades bars_1s bars_1m; do
    want=$("$TICKLAKE" query --lake "$lake" --no-save --format csv "SELECT count(*) FROM $t" | tail -1)
    got=$(bash "$TRINO" sql "$T/trino" "SELECT count(*) FROM $t" | tr -d '[]')
    assert_eq "$got" "$want" "rows of $t in Trino"
done
TRINO_DIR=$T/trino TICKLAKE=$TICKLAKE python3 "$ROOT/bench/peers/queries.py" "$lake" ticklake,trino \
    >"$T/q.out" 2>&1 || { cat "$T/q.out" >&2; fail "Trino's answers differ from ticklake's"; }
cat "$T/q.out"
grep -c ' trino .* equal' "$T/q.out" | { read -r k; assert_ge "$k" 8 "queries answered equally by Trino"; }
echo "ok: trino"
