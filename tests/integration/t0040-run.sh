#!/usr/bin/env bash
# The whole pipeline: `ticklake run`, then crawl, then query. The streamed bars
# agree with bars recomputed by SQL from the raw trades, for every window that
# closed, and no closed window is missing. The first minute: while run runs, a
# second process crawls and queries and sees rows within seconds (run rolls
# files every 5 s), the status line says when the next files land, and the
# small files are merged in the background without a row lost or doubled.
. "$(dirname "$0")/lib.sh"

lake=$T/lake
# Event time starts 45 s into the current minute, so the 25 s run closes a 1 min window.
start=$(( (EPOCHSECONDS / 60 * 60 + 45) * 1000000000 ))
args=(--duration 25 --lake "$lake" --rate 5000 --symbols 30 --status-interval 1s --start "$start"
    --compact-interval 5s)
# On a real cluster the stages are consumer groups of that cluster; without --brokers, run starts
# its own embedded broker.
[ "$KAFKA_KIND" != real ] || args+=(--brokers "$BROKERS" --topic-prefix "$(unique_name r).")
t0=${EPOCHREALTIME/./}
bg_start run "$TICKLAKE" run "${args[@]}"
# The sink's own default rolls at 60 s: nothing would be there before the end of the run. Here the
# first files come 5 s after the sink's first record (on the embedded broker the group's first join
# alone takes 3 s: about 9 s in all).
landed() {
    "$TICKLAKE" crawl --lake "$lake" >/dev/null 2>&1 &&
        [ "$("$TICKLAKE" query --lake "$lake" --format csv "SELECT count(*) > 0 FROM trades" 2>/dev/null | tail -1)" = true ]
}
wait_for 20 landed || { cat "$T/run.err" >&2; fail "no trades in the lake 20 s after run started"; }
echo "# trades queryable $(((${EPOCHREALTIME/./} - t0) / 1000)) ms after run started ($KAFKA_KIND)" >&2
bg_alive run || fail "run ended before its duration"
# "lake rows 150375 in 8 files, next in 3s"
next_said() { grep -qE "lake rows [0-9]+ in [0-9]+ files, next in [0-9]+s \|" "$T/run.err"; }
wait_for 10 next_said || fail "the status line does not say when the next files land: $(grep -m1 "lake rows" "$T/run.err")"
bg_wait run 90
[ "$BG_STATUS" = 0 ] || { cat "$T/run.err" >&2; fail "run failed"; }
grep -q "ticks in" "$T/run.err" || fail "no status line"
# On the embedded broker, which keeps only the newest 5 MiB of a partition, ingest waits until
# process and sink have their partitions: producing during their 3 s join once filled it before
# they read anything (lost records and a failed run at 100,000 ticks/s on a busy machine).
if [ "$KAFKA_KIND" != real ]; then
    grep -q "run: ingest starts: process and sink joined their groups in" "$T/run.err" ||
        fail "ingest did not wait for process and sink: $(grep -m3 -E 'assigned|ingest' "$T/run.err")"
    first_ingest=$(grep -n -m1 "run: ingest starts" "$T/run.err" | cut -d: -f1)
    assigned=$(grep -n "ticklake-process#.*assigned\|ticklake-sink#.*assigned" "$T/run.err" | head -2 | tail -1 | cut -d: -f1)
    [ -n "$assigned" ] && [ "$assigned" -lt "$first_ingest" ] ||
        fail "ingest started (line $first_ingest) before process and sink were assigned (line ${assigned:-none})"
fi
# A topic that a later stage creates (the console reads alerts.live) is not a warning on first use.
if grep -E "warn: .*(Subscribed topic not available|Unknown topic)" "$T/run.err"; then
    fail "a warning for a topic the pipeline creates itself"
fi
delivered=$(sed -nE 's/^ticklake run: ([0-9]+) ticks delivered.*/\1/p' "$T/run.err")
# --duration is trading time, counted from the first tick (on the embedded broker ingest waits about
# 3 s for the groups' join first): 25 s at 5000/s is 125,000 ticks.
assert_ge "$delivered" 115000 "ticks delivered in 25 s at 5000/s"
# Compaction merged small files while run ran (the checks below read through them).
grep -q "ticklake run: compaction merged [1-9]" "$T/run.err" || fail "no compaction: $(tail -3 "$T/run.err")"
merged=$(find "$lake/trades" -name '~*.parquet' | wc -l)
assert_ge "$merged" 1 "merged trades files"

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

# A second run into the same lake on a new embedded broker, whose offsets start at 0 again, adds
# to the lake: every trade of both runs is there once (the first run's files were overwritten by
# the second's before the files carried the broker's incarnation). It has 2 partitions: run creates
# every topic of the pipeline with them (it once left dlq, alerts.live and the changelog to the
# embedded broker's 4, and the processor refused to start).
if [ "$KAFKA_KIND" != real ]; then
    "$TICKLAKE" run --no-serve --duration 4 --lake "$lake" --rate 2000 --symbols 5 --partitions 2 \
        --compact-interval 0 -q 2>"$T/run2.err" || fail "second run failed: $(tail -3 "$T/run2.err")"
    d2=$(sed -nE 's/^ticklake run: ([0-9]+) ticks delivered.*/\1/p' "$T/run2.err")
    assert_ge "${d2:-0}" 1000 "ticks delivered by the second run"
    "$TICKLAKE" crawl --lake "$lake" >/dev/null
    rows=$("$TICKLAKE" query --lake "$lake" --format csv "SELECT count(*), count(DISTINCT (ts, id)) FROM trades" | tail -1)
    assert_eq "$rows" "$((delivered + d2)),$((delivered + d2))" "trades of both runs in one lake"
fi
echo "ok: run"
