#!/usr/bin/env bash
# sink: every trade lands in the lake exactly once, as Parquet named by topic,
# partition and offset; offsets are committed, so a restart adds nothing; the
# files are readable with the documented schema.
. "$(dirname "$0")/lib.sh"

pre=$(unique_name s).
group=$(unique_name g)
lake=$T/lake
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate max --count 50000 \
    --symbols 40 --seed 11 --start 2026-03-04 -q

sink=("$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$pre" --group "$group" --lake "$lake"
    --roll-interval 1s)
lake_rows() {
    [ -d "$lake" ] && "$TICKLAKE" crawl --lake "$lake" >/dev/null &&
        "$TICKLAKE" query --lake "$lake" --format csv "SELECT count(*) FROM trades" | tail -1
}
all_landed() { [ "$(lake_rows)" = 50000 ]; }

bg_start sink "${sink[@]}"
wait_for 60 all_landed || { cat "$T/sink.err" >&2; fail "lake holds $(lake_rows) trades, expected 50000"; }
bg_stop sink TERM
assert_eq "$BG_STATUS" 0 "sink exit status after SIGTERM"

q() { "$TICKLAKE" query --lake "$lake" --format csv "$1" | tail -1; }
assert_eq "$(q "SELECT count(DISTINCT id) FROM trades")" 50000 "distinct trade ids in the lake"
assert_eq "$(q "SELECT count(*) FROM trades WHERE date <> DATE '2026-03-04'")" 0 "rows outside their date partition"
# File names derive from topic, partition and the first offset in the file (and on the embedded
# broker, whose offsets start at 0 on each start, from its incarnation: its cluster id).
inc=
[ "$KAFKA_KIND" = real ] || inc='~mockCluster[0-9a-f]+'
ls "$lake/trades/date=2026-03-04/" | grep -vqE "^${pre//./\\.}trades$inc\+[0-3]\+[0-9]{20}\.parquet$" &&
    fail "unexpected file names: $(ls "$lake/trades/date=2026-03-04/")"
# The schema is the documented one.
schema=$("$TICKLAKE" query --lake "$lake" --format csv \
    "SELECT string_agg(column_name || ' ' || data_type, '; ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'trades'" | tail -1)
assert_eq "$schema" "symbol VARCHAR; ts TIMESTAMP_NS; price DOUBLE; size BIGINT; id BIGINT; venue VARCHAR; source VARCHAR; date DATE" "trades schema"
# Order within a file: by symbol, then time (file_row_number is DuckDB's row
# position in its file); "unsorted/rows", so a query that saw no file fails too.
order=$(q "SELECT count(*) FILTER (WHERE ps > symbol OR (ps = symbol AND pt > ts)) || '/' || count(*) FROM (SELECT symbol, ts, lag(symbol) OVER w AS ps, lag(ts) OVER w AS pt FROM read_parquet('$lake/trades/*/*.parquet', filename=true) WINDOW w AS (PARTITION BY filename ORDER BY file_row_number))")
assert_eq "$order" 0/50000 "rows out of (symbol, ts) order within files / rows"

# A restart reads from the committed offsets: nothing is written twice. --drain
# stops it once every partition is read to its end (it waits for its
# assignment), so the comparison comes after it has seen everything.
files_before=$(find "$lake" -name '*.parquet' | wc -l)
bg_start sink2 "${sink[@]}" --drain
bg_wait sink2 60
assert_eq "$BG_STATUS" 0 "restarted sink exit status"
grep -Eq "assigned [1-9][0-9]* partitions" "$T/sink2.err" || fail "the restarted sink got no partitions"
grep -q "ticklake sink: 0 rows in 0 files" "$T/sink2.err" || fail "the restart wrote again: $(tail -1 "$T/sink2.err")"
assert_eq "$(lake_rows)" 50000 "trades after a restart"
assert_eq "$(find "$lake" -name '*.parquet' | wc -l)" "$files_before" "files after a restart"
# No temporary files are left behind.
assert_eq "$(find "$lake" -name '.tmp-*' | wc -l)" 0 "temporary files left"

# A malformed record alone in its buffer is committed by the freshness roll (1 s): a sink killed
# after it leaves nothing to read again (before, only a revoke or a stop committed it, and each
# restart counted it again).
if command -v kcat >/dev/null; then
    bg_start sink3 "${sink[@]}"
    wait_for 30 grep -Eq "assigned [1-9][0-9]* partitions" "$T/sink3.err" || fail "sink3 got no partitions"
    printf 'AAPL\tnot a trade {\n' | kcat -P -b "$BROKERS" -t "${pre}trades" -K $'\t'
    wait_for 30 grep -q "bad record at" "$T/sink3.err" || fail "sink3 did not read the bad record"
    sleep 3
    bg_stop sink3 KILL
    bg_start sink4 "${sink[@]}" --drain
    bg_wait sink4 60
    assert_eq "$BG_STATUS" 0 "sink4 exit status"
    grep -q "0 rows in 0 files (0 bytes), 0 bad records" "$T/sink4.err" ||
        fail "the bad record was read again: $(tail -1 "$T/sink4.err")"
fi
echo "ok: sink"
