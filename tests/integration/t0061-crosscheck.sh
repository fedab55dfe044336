#!/usr/bin/env bash
# Queries over a lake written by the pipeline return the same answers as the same SQL run by an
# independent DuckDB (the Python package, pinned by tests/tools/venv.sh) directly over the Parquet
# files; the analysis macros agree with plain SQL and with the streamed bars; schema evolution: a
# new column in new partitions, old and new partitions queried together.
. "$(dirname "$0")/lib.sh"

py=$("$ROOT/tests/tools/venv.sh") || fail "unable to set up the Python venv (tests/tools/venv.sh)"

lake=$T/lake
start=$(( (EPOCHSECONDS / 60 * 60 + 45) * 1000000000 ))
args=(--duration 20 --lake "$lake" --rate 4000 --symbols 20 --status-interval 5s --start "$start")
if [ "$KAFKA_KIND" = real ]; then
    "$TICKLAKE" run "${args[@]}" --brokers "$BROKERS" --topic-prefix "$(unique_name x)." 2>"$T/run.err" ||
        { cat "$T/run.err" >&2; fail "run failed"; }
else
    "$TICKLAKE" run "${args[@]}" 2>"$T/run.err" || { cat "$T/run.err" >&2; fail "run failed"; }
fi
"$TICKLAKE" crawl --lake "$lake" >/dev/null

check() { # check SQL: ticklake's answer (as Parquet) against DuckDB over the files
    "$TICKLAKE" query --lake "$lake" --no-save --format parquet -o "$T/r.parquet" "$1" ||
        fail "ticklake failed on: $1"
    "$py" "$ROOT/tests/integration/crosscheck.py" "$lake" "$T/r.parquet" "$1" || fail "answers differ"
}

check "SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(size) AS volume, min(ts) AS first, max(ts) AS last FROM trades"
check "SELECT symbol, date, sum(price * size) / sum(size) AS vwap, sum(size) AS volume FROM trades GROUP BY ALL ORDER BY ALL"
check "SELECT * FROM trades WHERE symbol = (SELECT min(symbol) FROM trades) ORDER BY ts, id"
check "SELECT symbol, window_start, open, high, low, close, volume, trades FROM bars_1s ORDER BY symbol, window_start"
check "SELECT b.symbol, count(*) AS bars, sum(t.n) AS trades FROM bars_1m b JOIN (SELECT symbol, count(*) AS n FROM trades GROUP BY 1) t USING (symbol) GROUP BY 1 ORDER BY 1"
check "SELECT date, venue, source, count(*) AS n FROM trades WHERE date = current_date OR date IS NOT NULL GROUP BY ALL ORDER BY ALL"

# The macros: ohlc() over trades equals the streamed bars for every bar the pipeline closed, and
# equals plain SQL an independent reader runs.
m=$("$TICKLAKE" query --lake "$lake" --no-save --format csv "
    SELECT count(*), count(*) FILTER (WHERE o.open <> b.open OR o.close <> b.close OR o.high <> b.high
        OR o.low <> b.low OR o.volume <> b.volume OR o.trades <> b.trades OR o.symbol IS NULL)
    FROM bars_1s b LEFT JOIN ohlc(INTERVAL 1 second) o USING (symbol, window_start)" | tail -1)
echo "bars_1s vs ohlc(1 s): $m"
assert_eq "${m#*,}" 0 "bars that differ from ohlc()"
assert_ge "${m%,*}" 100 "bars compared"
"$TICKLAKE" query --lake "$lake" --no-save --format parquet -o "$T/r.parquet" \
    "SELECT * FROM ohlc(INTERVAL 5 second) ORDER BY symbol, window_start"
"$py" "$ROOT/tests/integration/crosscheck.py" "$lake" "$T/r.parquet" "
    SELECT symbol, make_timestamp_ns(epoch_ns(ts) // 5000000000 * 5000000000) AS window_start,
           first(price ORDER BY ts, id) AS open, max(price) AS high, min(price) AS low,
           last(price ORDER BY ts, id) AS close, sum(size) AS volume,
           least(greatest(sum(price * size) / sum(size), min(price)), max(price)) AS vwap,
           count(*) AS trades, sum(price * size) AS turnover
    FROM trades GROUP BY ALL ORDER BY symbol, window_start" || fail "ohlc() differs"
"$TICKLAKE" query --lake "$lake" --no-save --format parquet -o "$T/r.parquet" "SELECT * FROM top_movers(n := 5)"
"$py" "$ROOT/tests/integration/crosscheck.py" "$lake" "$T/r.parquet" "
    SELECT symbol, first(price ORDER BY ts, id) AS first_price, last(price ORDER BY ts, id) AS last_price,
           last(price ORDER BY ts, id) / first(price ORDER BY ts, id) - 1 AS ret,
           sum(size) AS volume, count(*) AS trades
    FROM trades GROUP BY symbol ORDER BY abs(ret) DESC, symbol LIMIT 5" || fail "top_movers() differs"
for every in "" "every := INTERVAL 1 second"; do # vwap(): daily (from the date key) and by interval
    "$TICKLAKE" query --lake "$lake" --no-save --format parquet -o "$T/r.parquet" \
        "SELECT * FROM vwap($every) ORDER BY symbol, window_start"
    w="CAST(date AS TIMESTAMP_NS)"
    [ -z "$every" ] || w="make_timestamp_ns(epoch_ns(ts) // 1000000000 * 1000000000)"
    "$py" "$ROOT/tests/integration/crosscheck.py" "$lake" "$T/r.parquet" "
        SELECT symbol, $w AS window_start,
               least(greatest(sum(price * size) / sum(size), min(price)), max(price)) AS vwap,
               sum(size) AS volume, count(*) AS trades
        FROM trades GROUP BY ALL ORDER BY symbol, window_start" || fail "vwap($every) differs"
done
# returns() and anomalies(): bars' closes and volumes from the trades, the previous bar by an ASOF
# join (not a window function), each symbol's mean and standard deviation by GROUP BY.
bars() { # SECONDS: the bars of that many seconds, from the trades
    echo "b AS (SELECT symbol, make_timestamp_ns(epoch_ns(ts) // ${1}000000000 * ${1}000000000)
                   AS window_start, last(price ORDER BY ts, id) AS close, sum(size) AS volume
                FROM trades GROUP BY ALL),
          r AS (SELECT b.symbol, b.window_start, b.close, p.close AS prev_close, b.volume
                FROM b ASOF LEFT JOIN b p ON b.symbol = p.symbol AND b.window_start > p.window_start)"
}
for secs in 1 5; do
    "$TICKLAKE" query --lake "$lake" --no-save --format parquet -o "$T/r.parquet" \
        "SELECT * FROM returns(INTERVAL $secs second) ORDER BY symbol, window_start"
    "$py" "$ROOT/tests/integration/crosscheck.py" "$lake" "$T/r.parquet" "WITH $(bars $secs)
        SELECT symbol, window_start, close, prev_close, close / prev_close - 1 AS ret,
               ln(close / prev_close) AS log_ret
        FROM r ORDER BY symbol, window_start" || fail "returns(INTERVAL $secs second) differs"
done
n=$("$TICKLAKE" query --lake "$lake" --no-save --format csv "
    SELECT count(*) FILTER (WHERE prev_close IS NOT NULL AND ret <> 0), count(DISTINCT symbol)
    FROM returns(INTERVAL 1 second)" | tail -1)
assert_ge "${n%,*}" 200 "non-zero 1 s returns"
assert_eq "${n#*,}" 20 "symbols with returns"
z=2
"$TICKLAKE" query --lake "$lake" --no-save --format parquet -o "$T/r.parquet" \
    "SELECT * FROM anomalies(INTERVAL 1 second, z := $z)"
"$py" "$ROOT/tests/integration/crosscheck.py" "$lake" "$T/r.parquet" "WITH $(bars 1),
      l AS (SELECT symbol, window_start, close, ln(close / prev_close) AS log_ret, volume FROM r),
      s AS (SELECT symbol, avg(log_ret) AS m_ret, stddev_samp(log_ret) AS sd_ret,
                   avg(volume) AS m_vol, stddev_samp(volume) AS sd_vol FROM l GROUP BY symbol),
      z AS (SELECT symbol, window_start, close, log_ret, (log_ret - m_ret) / nullif(sd_ret, 0) AS ret_z,
                   volume, (volume - m_vol) / nullif(sd_vol, 0) AS volume_z FROM l JOIN s USING (symbol))
    SELECT * FROM z WHERE abs(ret_z) >= $z OR volume_z >= $z ORDER BY symbol, window_start" ||
    fail "anomalies() differs"
# Both kinds of anomaly were at stake.
n=$("$TICKLAKE" query --lake "$lake" --no-save --format csv "
    SELECT count(*) FILTER (WHERE abs(ret_z) >= $z), count(*) FILTER (WHERE volume_z >= $z)
    FROM anomalies(INTERVAL 1 second, z := $z)" | tail -1)
echo "anomalies at z $z: $n (return, volume)"
assert_ge "${n%,*}" 1 "return anomalies"
assert_ge "${n#*,}" 1 "volume anomalies"

# Schema evolution: another tool adds a partition whose files have a new column.
mkdir -p "$lake/trades/date=2099-01-01"
"$py" - "$lake/trades/date=2099-01-01/feed+0+00000000000000000000.parquet" <<'PY'
import sys, duckdb
duckdb.sql("""COPY (SELECT 'NEW' AS symbol, TIMESTAMP_NS '2099-01-01 10:00:00' + INTERVAL (i) SECOND AS ts,
              10.0 + i AS price, 100::BIGINT AS size, i::BIGINT AS id, 'XNEW' AS venue, 'feed' AS source,
              i % 2 = 0 AS odd_lot FROM range(10) t(i)) TO '""" + sys.argv[1] + "' (FORMAT parquet)")
PY
"$TICKLAKE" crawl --lake "$lake" >/dev/null
"$TICKLAKE" describe --lake "$lake" --format csv trades | grep -q '^odd_lot,BOOLEAN,false,BOOLEAN$' ||
    fail "the new column is not in the catalog"
check "SELECT date, count(*) AS n, count(odd_lot) AS with_new, sum(CASE WHEN odd_lot THEN 1 ELSE 0 END) AS odd FROM trades GROUP BY 1 ORDER BY 1"
check "SELECT symbol, odd_lot, count(*) AS n FROM trades GROUP BY ALL ORDER BY ALL"
echo "ok: crosscheck"
