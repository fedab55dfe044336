#!/usr/bin/env bash
# The whole pipeline: `ticklake run`, then crawl, then query. The streamed bars
# agree with bars recomputed by SQL from the raw trades, for every window that
# closed, and no closed window is missing.
. "$(dirname "$0")/lib.sh"

lake=$T/lake
# Event time starts 45 s into the current minute, so the 20 s run closes a 1 min window.
start=$(( (EPOCHSECONDS / 60 * 60 + 45) * 1000000000 ))
args=(--duration 20 --lake "$lake" --rate 5000 --symbols 30 --status-interval 5s --start "$start")
if [ "$KAFKA_KIND" = real ]; then
    # On a real cluster the stages are consumer groups of that cluster.
    pre=$(unique_name r).
    "$TICKLAKE" run "${args[@]}" --brokers "$BROKERS" --topic-prefix "$pre" 2>"$T/run.err" ||
        { cat "$T/run.err" >&2; fail "run failed"; }
else
    # Without --brokers, run starts its own embedded broker.
    "$TICKLAKE" run "${args[@]}" 2>"$T/run.err" || { cat "$T/run.err" >&2; fail "run failed"; }
fi
grep -q "ticks in" "$T/run.err" || fail "no status line"
delivered=$(sed -nE 's/^ticklake run: ([0-9]+) ticks delivered.*/\1/p' "$T/run.err")
assert_ge "$delivered" 50000 "ticks delivered in 20 s at 5000/s"

"$TICKLAKE" crawl --lake "$lake" >"$T/crawl.out"
"$TICKLAKE" query --lake "$lake" "SELECT symbol, count(*) FROM trades GROUP BY 1" >"$T/q.out"
grep -q "(30 rows)" "$T/q.out" || fail "expected 30 symbols: $(tail -3 "$T/q.out")"
rows=$("$TICKLAKE" query --lake "$lake" --format csv "SELECT count(*), count(DISTINCT id) FROM trades" | tail -1)
assert_eq "$rows" "$delivered,$delivered" "trades in the lake (all, distinct ids) vs delivered"

"$TICKLAKE" query --lake "$lake" --format csv -f "$ROOT/tests/integration/bars_check.sql" >"$T/check.csv"
IFS=, read -r missing mismatched orphans duplicated bars closed < <(tail -1 "$T/check.csv")
echo "bars: $bars streamed, $closed windows surely closed, missing $missing, mismatched $mismatched, orphans $orphans, duplicated $duplicated"
assert_eq "$missing" 0 "closed windows missing from bars_1s"
assert_eq "$mismatched" 0 "bars that differ from SQL over the raw trades"
assert_eq "$orphans" 0 "bars without trades"
assert_eq "$duplicated" 0 "duplicate bars"
assert_ge "$bars" 500 "bars streamed"
# The 1 min bars land too, and equal their recomputation.
m=$("$TICKLAKE" query --lake "$lake" --format csv "
    WITH r AS (SELECT symbol, epoch_ns(ts) // 60000000000 * 60000000000 AS ws,
                      first(price ORDER BY ts, id) AS open, last(price ORDER BY ts, id) AS close,
                      max(price) AS high, min(price) AS low, sum(size) AS volume, count(*) AS trades
               FROM trades GROUP BY ALL)
    SELECT count(*), count(*) FILTER (WHERE b.open <> r.open OR b.close <> r.close OR b.high <> r.high
                                         OR b.low <> r.low OR b.volume <> r.volume OR b.trades <> r.trades
                                         OR r.symbol IS NULL)
    FROM bars_1m b LEFT JOIN r ON b.symbol = r.symbol AND epoch_ns(b.window_start) = r.ws" | tail -1)
echo "1m bars, mismatched: $m"
assert_eq "${m#*,}" 0 "1 min bars that differ from SQL over the raw trades"
assert_ge "${m%,*}" 30 "1 min bars (one per symbol)"
echo "ok: run"
