#!/usr/bin/env bash
# ingest --source csv on the files people have: Yahoo Finance exports (no
# symbol column; `null` rows; ISO, Excel DD-MM-YY and US M/D/YYYY dates) land
# in index.daily as the same records as the daily index data set; a header
# whose UTF-8 byte-order mark was re-saved as Latin-1 (ï»¿) is accepted with a
# warning; an unrecognised header is shown; a file with no usable row fails
# (exit 1) while the other files of the run still go out.
. "$(dirname "$0")/lib.sh"

data=$ROOT/tests/data
pre=$(unique_name f).
ingest() { "$TICKLAKE" ingest --brokers "$BROKERS" --no-progress "$@"; }
records() {
    local topic=$1
    shift
    kcat -C -b "$BROKERS" -t "$topic" -e -q "$@"
}
# "date open high low close volume" of each record, sorted.
fields() {
    sed -E 's/.*"date":"([^"]*)".*"open":([^,]*),"high":([^,]*),"low":([^,]*),"close":([^,]*),.*"volume":([^,]*),.*/\1 \2 \3 \4 \5 \6/' |
        sort
}

# The same 26 trading days in the HSI sample, as the expected fields.
awk -F, '$2 >= "2009-12-01" && $2 <= "2010-01-11" { printf "%s %s %s %s %s %d\n", $2, $3, $4, $5, $6, $8 }' \
    "$data/indexProcessed-HSI.csv" | sort >"$T/want"
assert_eq "$(wc -l <"$T/want")" 26 "HSI sample rows in the window"

# A Yahoo export named ^HSI.csv: the symbol comes from the file name, the four
# null rows (holidays) are skipped as "no prices", not unusable: exit 0.
out=0
ingest --topic-prefix "${pre}y." --source csv --index-info "$data/indexInfo.csv" \
    "$data/yahoo/^HSI.csv" 2>"$T/y.err" || out=$?
assert_eq "$out" 0 "exit status of a Yahoo export (null rows are holidays)"
grep -q "symbol '^HSI' from the file name" "$T/y.err" || fail "symbol origin not logged: $(cat "$T/y.err")"
for line in 19 20 24 25; do
    grep -q "\^HSI.csv:$line: no prices" "$T/y.err" || fail "null row on line $line not reported: $(cat "$T/y.err")"
done
grep -q "26 rows delivered of 26, 0 failed, 0 unusable, 4 skipped" "$T/y.err" ||
    fail "summary: $(tail -1 "$T/y.err")"
records "${pre}y.index.daily" >"$T/y"
assert_eq "$(wc -l <"$T/y")" 26 "index.daily records from the Yahoo export"
assert_eq "$(records "${pre}y.index.daily" -f '%k\n' | sort -u)" "^HSI" "record keys"
assert_eq "$(grep -c '"index":"^HSI",' "$T/y")" 26 "index of the records"
assert_eq "$(grep -c '"exchange":"Hong Kong Stock Exchange","currency":"HKD"' "$T/y")" 26 \
    "records enriched from indexInfo.csv's HSI"
fields <"$T/y" >"$T/y.fields"
assert_eq "$(diff "$T/want" "$T/y.fields" && echo same)" same "Yahoo records against the HSI sample"

# The same export saved by Excel (DD-MM-YY, CRLF) and by US Excel (M/D/YYYY):
# --symbol names the instrument, the dates' order is found from the rows, and
# the records are byte for byte those of the ISO file.
for v in excel us; do
    out=0
    ingest --topic-prefix "${pre}$v." --source csv --index-info "$data/indexInfo.csv" \
        --symbol '^HSI' "$data/yahoo/^HSI-$v.csv" 2>"$T/$v.err" || out=$?
    assert_eq "$out" 0 "exit status of the $v export"
    records "${pre}$v.index.daily" | sort >"$T/$v"
    assert_eq "$(sort "$T/y" | diff - "$T/$v" && echo same)" same "records of the $v export"
done
grep -q "read day first (DD-MM-YY), as '14-12-09' on line 11 shows" "$T/excel.err" ||
    fail "date order of the Excel export not logged: $(cat "$T/excel.err")"
grep -q "read month first (MM/DD/YYYY), as '12/14/2009' on line 11 shows" "$T/us.err" ||
    fail "date order of the US export not logged: $(cat "$T/us.err")"

# --date-format contradicting the file: the rows it cannot read are unusable
# and say why; the others go out (exit 3).
out=0
ingest --topic-prefix "${pre}c." --source csv --symbol '^HSI' --date-format mdy \
    "$data/yahoo/^HSI-excel.csv" 2>"$T/c.err" || out=$?
assert_eq "$out" 3 "exit status with --date-format mdy on a day-first file"
grep -q "\^HSI-excel.csv:11: bad Date '14-12-09' (not a date month first, as --date-format mdy says)" \
    "$T/c.err" || fail "contradicting date: $(cat "$T/c.err")"

# From stdin there is no file name: without --symbol a clear error, exit 1.
out=0
ingest --source csv - <"$data/yahoo/^HSI.csv" 2>"$T/stdin.err" || out=$?
assert_eq "$out" 1 "exit status of a Yahoo export on stdin without --symbol"
grep -q "pass --symbol NAME" "$T/stdin.err" || fail "no --symbol hint: $(cat "$T/stdin.err")"
out=0
ingest --topic-prefix "${pre}i." --source csv --symbol AAPL - <"$data/yahoo/^HSI.csv" 2>/dev/null || out=$?
assert_eq "$out" 0 "exit status of a Yahoo export on stdin with --symbol"
assert_eq "$(records "${pre}i.index.daily" -f '%k\n' | sort | uniq -c | awk '{print $1, $2}')" "26 AAPL" \
    "records of stdin with --symbol"

# A header with the UTF-8 byte-order mark re-saved as Latin-1: accepted, and
# the warning names it.
out=0
ingest --topic-prefix "${pre}b." --source csv "$data/mojibake-bom.csv" 2>"$T/b.err" || out=$?
assert_eq "$out" 0 "exit status with a mojibake byte-order mark"
grep -q "warn.*mojibake-bom.csv:1: the header starts with a UTF-8 byte-order mark decoded as Latin-1 (ï»¿)" \
    "$T/b.err" || fail "mojibake not named: $(cat "$T/b.err")"
records "${pre}b.index.daily" >"$T/b"
assert_eq "$(wc -l <"$T/b")" 5 "records of the file with the mojibake mark"
assert_eq "$(grep -c '"index":"HSI",.*"currency":"HKD"' "$T/b")" 5 "enriched records"

# A header nothing knows: the error shows it, as read, and what was expected.
printf '\xc3\xa9Ticker;Day;Px\n1;2;3\n' >"$T/odd.csv"
out=0
ingest --source csv "$T/odd.csv" 2>"$T/odd.err" || out=$?
assert_eq "$out" 1 "exit status of an unknown header"
grep -qF "odd.csv:1: header not recognised: '\\xC3\\xA9Ticker;Day;Px'; expected" "$T/odd.err" ||
    fail "header not shown: $(cat "$T/odd.err")"
grep -q "Index, Date, Open, High, Low, Close" "$T/odd.err" || fail "expected columns not named"

# A file with rows and none usable fails, and says so.
out=0
ingest --topic-prefix "${pre}n." --source csv "$data/no-usable-rows.csv" 2>"$T/n.err" || out=$?
assert_eq "$out" 1 "exit status of a file with no usable row"
grep -q "no-usable-rows.csv: no usable rows (3 rows: 2 unusable, 1 skipped)" "$T/n.err" ||
    fail "no usable rows not said: $(cat "$T/n.err")"
# A header and nothing else, likewise.
head -1 "$data/no-usable-rows.csv" >"$T/header-only.csv"
out=0
ingest --topic-prefix "${pre}h." --source csv "$T/header-only.csv" 2>"$T/h.err" || out=$?
assert_eq "$out" 1 "exit status of a file with a header only"
grep -q "header-only.csv: no usable rows (no data rows after the header)" "$T/h.err" ||
    fail "empty file not said: $(cat "$T/h.err")"
# Several files: one without usable rows, one unreadable, one good after them:
# the good one still goes out, each failure is reported, exit 1.
out=0
ingest --topic-prefix "${pre}m." --source csv "$data/no-usable-rows.csv" "$T/nope.csv" \
    "$data/mojibake-bom.csv" 2>"$T/m.err" || out=$?
assert_eq "$out" 1 "exit status of a run with failed files"
assert_eq "$(records "${pre}m.index.daily" | wc -l)" 5 "records of the good file after the failed ones"
grep -q "2 of 3 files failed" "$T/m.err" || fail "failed files not counted: $(tail -2 "$T/m.err")"
grep -q "nope.csv" "$T/m.err" || fail "unreadable file not named"
echo "ok: replay files"
