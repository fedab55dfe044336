#!/usr/bin/env bash
# ingest --source csv: the HSI sample lands its 5,692 rows in index.daily and
# then in the index_daily lake table (year partitions), enriched with exchange
# and currency; a messy trades file delivers every good
# row, reports every bad one as file:line, and exits 3; --strict stops at the
# first bad row; --from/--to filter by date; --speed says which rows it cannot pace.
. "$(dirname "$0")/lib.sh"

pre=$(unique_name r).
out=0
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --source csv \
    "$ROOT/tests/data/indexProcessed-HSI.csv" 2>"$T/hsi.err" || out=$?
assert_eq "$out" 3 "exit status with one unusable row"
grep -q "indexProcessed-HSI.csv:5694: bad CloseUSD" "$T/hsi.err" || fail "the cut-off last row is not reported: $(tail -3 "$T/hsi.err")"
kcat -C -b "$BROKERS" -t "${pre}index.daily" -e -q >"$T/daily"
assert_eq "$(wc -l <"$T/daily")" 5692 "index.daily records"
assert_eq "$(grep -c '"exchange":"Hong Kong Stock Exchange","currency":"HKD"' "$T/daily")" 5692 "enriched rows"
assert_eq "$(kcat -C -b "$BROKERS" -t "${pre}index.daily" -e -q -f '%k\n' | sort -u)" HSI "record keys"

# The sink lands them in the index_daily table, partitioned by year.
lake=$T/lake
bg_start sink "$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$pre" --group "$(unique_name g)" \
    --lake "$lake" --roll-interval 1s
landed() {
    [ -d "$lake/index_daily" ] && "$TICKLAKE" crawl --lake "$lake" >/dev/null &&
        [ "$("$TICKLAKE" query --lake "$lake" --format csv "SELECT count(*) FROM index_daily" | tail -1)" = 5692 ]
}
wait_for 60 landed || fail "index_daily does not hold the 5,692 rows: $(cat "$T/sink.err" | tail -3)"
bg_stop sink TERM
q() { "$TICKLAKE" query --lake "$lake" --format csv "$1" | tail -1; }
assert_eq "$(q "SELECT count(*) FROM index_daily WHERE exchange = 'Hong Kong Stock Exchange' AND currency = 'HKD'")" 5692 "enriched rows in the lake"
assert_eq "$(q "SELECT count(DISTINCT date) FROM index_daily")" 5692 "distinct trading days"
assert_eq "$(q "SELECT min(date) || ' ' || max(date) FROM index_daily")" "1986-12-31 2010-01-08" "date range"
assert_eq "$(q "SELECT count(*) FROM index_daily WHERE year <> year(date)")" 0 "rows outside their year partition"
years=$(find "$lake/index_daily" -maxdepth 1 -name 'year=*' | wc -l)
assert_eq "$years" "$(q "SELECT count(DISTINCT year(date)) FROM index_daily")" "one partition per year"

# --from/--to: 1987 only.
pre2=$(unique_name y).
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre2" --source csv --from 1987-01-01 \
    --to 1987-12-31 "$ROOT/tests/data/indexProcessed-HSI.csv" 2>/dev/null || out=$?
n=$(kcat -C -b "$BROKERS" -t "${pre2}index.daily" -e -q | grep -c '"date":"1987-')
total=$(kcat -C -b "$BROKERS" -t "${pre2}index.daily" -e -q | wc -l)
assert_eq "$n" "$total" "rows outside 1987"
assert_ge "$n" 240 "trading days in 1987"

# A messy trades file: BOM, CRLF, blank rows, nulls, quotes, a tab in a field,
# bad numbers, a bad date, a missing field.
printf '\xef\xbb\xbfsymbol,timestamp,price,size\r\n' >"$T/messy.csv"
cat >>"$T/messy.csv" <<'CSV'
AAPL,2026-01-05T14:30:00Z,189.5,100
MSFT,2026-01-05T14:30:00.250Z,402.25,50

,,,
AAPL,2026-01-05T14:30:01Z,null,100
"GOOGL",1767623401000,140.1,"200"
TSLA,2026-02-30T10:00:00Z,250,10
IBM,2026-01-05T14:30:02Z,abc,10
NVDA,2026-01-05T14:30:03Z,135.5
AMD,2026-01-05 14:30:04,120.75,300
CSV
out=0
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "${pre}m." --source csv "$T/messy.csv" \
    2>"$T/messy.err" || out=$?
assert_eq "$out" 3 "exit status with unusable rows"
for line in 6 8 9 10; do
    grep -q "messy.csv:$line: " "$T/messy.err" || fail "row on line $line not reported: $(cat "$T/messy.err")"
done
kcat -C -b "$BROKERS" -t "${pre}m.trades" -e -q >"$T/trades"
assert_eq "$(wc -l <"$T/trades")" 4 "good trades delivered"
for sym in AAPL MSFT GOOGL AMD; do
    grep -q "\"symbol\":\"$sym\"" "$T/trades" || fail "$sym missing from trades"
done
grep -q "ticklake ingest: 4 rows delivered of 4, 0 failed, 4 unusable" "$T/messy.err" ||
    fail "summary line: $(tail -1 "$T/messy.err")"

# --strict: the first bad row is fatal.
out=0
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "${pre}s." --source csv --strict \
    "$T/messy.csv" 2>"$T/strict.err" || out=$?
assert_eq "$out" 1 "exit status with --strict"
grep -q "messy.csv:6: .*--strict" "$T/strict.err" || fail "strict error: $(tail -2 "$T/strict.err")"

# --speed paces by event time forwards: a file sorted newest first cannot be
# paced; it is said once, at the first row out of order, and counted.
cat >"$T/desc.csv" <<'CSV'
symbol,timestamp,price,size
AAPL,2026-01-05T14:30:03Z,189.5,100
AAPL,2026-01-05T14:30:02Z,189.4,100
AAPL,2026-01-05T14:30:01Z,189.3,100
AAPL,2026-01-05T14:30:00Z,189.2,100
CSV
out=0
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "${pre}d." --source csv --speed 100 \
    "$T/desc.csv" 2>"$T/desc.err" || out=$?
assert_eq "$out" 0 "exit status of a newest-first file under --speed"
grep -q "desc.csv:3: --speed: this row's time (2026-01-05 14:30:02 UTC) is before an earlier row's (2026-01-05 14:30:03 UTC)" "$T/desc.err" ||
    fail "no warning at the first row out of order: $(cat "$T/desc.err")"
assert_eq "$(grep -c -- "--speed: this row" "$T/desc.err")" 1 "warnings for rows out of order"
grep -q "3 rows were out of time order and sent unpaced" "$T/desc.err" || fail "unpaced rows not counted: $(cat "$T/desc.err")"
assert_eq "$(kcat -C -b "$BROKERS" -t "${pre}d.trades" -e -q | wc -l)" 4 "newest-first trades delivered"

# A file that does not exist: a clear error, exit 1.
out=0
"$TICKLAKE" ingest --brokers "$BROKERS" --source csv "$T/nope.csv" 2>"$T/nope.err" || out=$?
assert_eq "$out" 1 "exit status for a missing file"
grep -q "nope.csv" "$T/nope.err" || fail "missing file not named"
echo "ok: replay"
