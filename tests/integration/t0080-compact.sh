#!/usr/bin/env bash
# compact: merging a partition's small files while a reader queries in a loop
# and the sink keeps running: every query succeeds and sees the same count and
# checksum, with reads both before the first merged file appears and after it
# covers its inputs; while more data lands during compaction (checked: sink
# files appear while a compaction runs) a second reader never sees a row
# twice or the count go down, and nothing is lost or doubled at the end; the
# files left are large except the two a topic partition may still grow;
# retention drops old partitions and the catalog records it.
. "$(dirname "$0")/lib.sh"
[ "$KAFKA_KIND" = embedded ] || skip "compaction reads and writes the lake only: it runs once, on the embedded broker"

pre=$(unique_name c).
group=$(unique_name g)
lake=$T/lake
target=150000
ingest() { "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate max -q --symbols 20 "$@"; }
ingest --count 150000 --seed 3 --start 2026-03-04
ingest --count 3000 --seed 4 --start 2026-02-01
Q="SELECT count(*) || ':' || count(DISTINCT id) || ':' || sum(hash(id, price)) FROM trades WHERE date = DATE '2026-03-04'"
q() { "$TICKLAKE" query --lake "$lake" --format csv "$1" | tail -1; }
landed() { "$TICKLAKE" crawl --lake "$lake" >/dev/null 2>&1 && [ "$(q "SELECT count(*) FROM trades")" = "$1" ]; }

bg_start sink "$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$pre" --group "$group" \
    --lake "$lake" --roll-bytes 20000 --roll-interval 1s
wait_for 60 landed 153000 || { cat "$T/sink.err" >&2; fail "the trades did not land"; }
files_before=$(ls "$lake/trades/date=2026-03-04" | wc -l)
assert_ge "$files_before" 20 "small files before compaction"
expect=$(q "$Q")
case "$expect" in 150000:150000:*) ;; *) fail "before compaction: $expect" ;; esac

# A reader queries in a loop while compaction merges (the sink idles, still running). Each read
# logs how many merged (~) files the partition had before the query started and after it ended,
# then the result, or "error RC" (its stderr goes to reader.qerr.N).
dir="$lake/trades/date=2026-03-04"
cat >"$T/reader.sh" <<'EOR'
# reader.sh LAKE DIR QUERY OUTDIR: queries until OUTDIR/stop-reader exists.
lake=$1 dir=$2 q=$3 out=$4 n=0
merged() { ls "$dir" | grep -c '^~' || true; }
while [ ! -e "$out/stop-reader" ]; do
    n=$((n + 1))
    before=$(merged)
    if res=$("$TICKLAKE" query --lake "$lake" --format csv "$q" 2>"$out/reader.qerr.$n"); then
        echo "$before $(merged) $(printf '%s\n' "$res" | tail -1)"
    else
        echo "error $? (query $n: $(head -c 300 "$out/reader.qerr.$n"))"
    fi
done
EOR
# check_reads NAME: fail on a failed query or anything a query printed on stderr.
check_reads() {
    local errs
    errs=$(grep -c '^error' "$T/$1.out" || true)
    [ "$errs" = 0 ] || fail "$errs queries of $1 failed: $(grep '^error' "$T/$1.out" | head -3)"
    errs=$(cat "$T/$1.qdir"/reader.qerr.* 2>/dev/null | head -c 500)
    [ -z "$errs" ] || fail "a query of $1 printed errors: $errs"
    [ -s "$T/$1.err" ] && fail "$1 printed errors: $(head -c 500 "$T/$1.err")"
    return 0
}
mkdir "$T/reader.qdir"
bg_start reader bash "$T/reader.sh" "$lake" "$dir" "$Q" "$T/reader.qdir"
reads_where() { awk -v want="$1" '$1 != "error" && (want == "before" ? $2 == 0 : $1 > 0)' "$T/reader.out" | wc -l; }
two_before() { [ "$(reads_where before)" -ge 2 ]; }
wait_for 30 two_before || fail "the reader made no two reads before compaction: $(head -3 "$T/reader.out")"
"$TICKLAKE" compact trades --lake "$lake" --target-bytes $target --grace 2s -q >"$T/c1.out" ||
    fail "compact failed: $(cat "$T/c1.out")"
grep -q " -> [1-9]" "$T/c1.out" || fail "compaction merged nothing: $(cat "$T/c1.out")"
two_after() { [ "$(reads_where after)" -ge 2 ]; }
wait_for 30 two_after || fail "the reader made no two reads after the switch: $(tail -3 "$T/reader.out")"
touch "$T/reader.qdir/stop-reader"
bg_wait reader 30
assert_eq "$BG_STATUS" 0 "reader exit status"
check_reads reader
reads=$(grep -c . "$T/reader.out")
before=$(reads_where before)
after=$(reads_where after)
# A read that started before the first merged file appeared and ended after it: the switch itself.
across=$(awk '$1 == 0 && $2 > 0' "$T/reader.out" | wc -l)
bad=$(cut -d' ' -f3- "$T/reader.out" | grep -vcxF "$expect" || true)
[ "$bad" = 0 ] || fail "$bad of $reads queries during compaction saw another result than $expect: $(cut -d' ' -f3- "$T/reader.out" | grep -vxF "$expect" | sort | uniq -c | head -5)"
files_after=$(ls "$lake/trades/date=2026-03-04" | wc -l)
[ "$files_after" -lt "$files_before" ] || fail "files: $files_before before, $files_after after"
assert_eq "$(q "$Q")" "$expect" "after compaction"
# Merged files keep the sink's schema (no partition column added from the path).
merged=$(ls "$lake/trades/date=2026-03-04" | grep '^~' | sed -n 1p)
schema=$("$TICKLAKE" query --lake "$lake" --format csv "SELECT string_agg(column_name || ' ' || column_type, '; ') FROM (DESCRIBE SELECT * FROM read_parquet('$lake/trades/date=2026-03-04/$merged', hive_partitioning = false))" | tail -1)
assert_eq "$schema" "symbol VARCHAR; ts TIMESTAMP_NS; price DOUBLE; size BIGINT; id BIGINT; venue VARCHAR; source VARCHAR" "merged file schema"

# More trades land while compaction runs again and again (6 s of trades at 10,000/s, landing in
# files every second) and a second reader checks every state it sees: no row twice, never fewer
# rows than the read before. The compaction runs go on until one of them overlapped with the sink
# landing a file (a sink file that was not there when it started is there when it ends).
sink_files() { ls "$dir" | grep -E '^[^~.].*\.parquet$' | sort; }
bg_start more "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate 10000 -q \
    --symbols 20 --count 60000 --seed 9 --start $(( ($(date -ud 2026-03-04 +%s) + 6 * 3600) * 1000000000 ))
Q2="SELECT count(*) || ':' || count(DISTINCT (id, ts)) FROM trades WHERE date = DATE '2026-03-04'"
mkdir "$T/reader2.qdir"
bg_start reader2 bash "$T/reader.sh" "$lake" "$dir" "$Q2" "$T/reader2.qdir"
runs=0 overlapped=0
while [ "$runs" -lt 4 ] || { [ "$overlapped" = 0 ] && bg_alive more; }; do
    runs=$((runs + 1))
    sink_files >"$T/files.before"
    # A grace of 1 s: a query that listed the inputs just before a switch can still read them.
    "$TICKLAKE" compact trades --lake "$lake" --target-bytes $target --grace 1s -q >"$T/c.out" ||
        fail "compact run $runs failed: $(cat "$T/c.out")"
    sink_files >"$T/files.after"
    [ -z "$(comm -13 "$T/files.before" "$T/files.after")" ] || overlapped=$((overlapped + 1))
    sleep 0.5
done
[ "$overlapped" -gt 0 ] || fail "no trades landed while one of $runs compactions ran"
bg_wait more 30
assert_eq "$BG_STATUS" 0 "second ingest exit status"
wait_for 60 landed 213000 || fail "after the second ingest: $(q "SELECT count(*) FROM trades") trades"
bg_stop sink TERM
assert_eq "$BG_STATUS" 0 "sink exit status"
touch "$T/reader2.qdir/stop-reader"
bg_wait reader2 30
check_reads reader2
reads2=$(grep -c . "$T/reader2.out")
assert_ge "$reads2" 3 "reads while trades landed during compaction"
# Every read: count = distinct (id, ts), from 150,000 to 210,000, never fewer than the read before.
awk '{ split($3, r, ":"); c = r[1] + 0 }
     r[1] != r[2] || c < 150000 || c > 210000 || c < prev { print "read " NR ": " $3 " (before: " prev ")"; bad = 1 }
     { prev = c } END { exit bad }' "$T/reader2.out" >"$T/reader2.bad" ||
    fail "a read while trades landed during compaction was wrong: $(head -3 "$T/reader2.bad")"
grows=$(cut -d' ' -f3 "$T/reader2.out" | sort -u | wc -l)
"$TICKLAKE" compact trades --lake "$lake" --target-bytes $target --grace 0 -q >/dev/null || fail "final compact"
# Ids restart with each ingest; (id, ts) tells the rows apart.
assert_eq "$(q "SELECT count(*) || ':' || count(DISTINCT (id, ts)) FROM trades WHERE date = DATE '2026-03-04'")" \
    "210000:210000" "rows after compacting during writes"
# The documented rule (docs/ARCHITECTURE.md): per topic partition, every file is at least target/2
# but the two newest by offset - the tail (a merged file the next run grows, or one sealed sink
# file left alone because merging one file gains nothing) and the sink's newest file, which the
# sink may rewrite and compaction never touches. So at most two sink files are left.
small=0
for p in $(ls "$dir" | sed -E 's/^~?.*\+([0-9]+)\+[0-9]{20}(-[0-9]{20})?\.parquet$/\1/' | sort -u); do
    sinks=$(ls "$dir" | grep -cE "^[^~].*\+$p\+[0-9]{20}\.parquet$")
    [ "$sinks" -ge 1 ] && [ "$sinks" -le 2 ] || fail "sink files left of partition $p: $sinks (1 or 2 expected)"
    # All files of the partition by first offset, oldest first; all but the two newest.
    for f in $(ls "$dir" | grep -E "^~?.*\+$p\+[0-9]{20}(-[0-9]{20})?\.parquet$" |
        sed -E 's/^(~?.*\+[0-9]+\+([0-9]{20}).*)$/\2 \1/' | sort | cut -d' ' -f2 | head -n -2); do
        [ "$(stat -c %s "$dir/$f")" -ge $((target / 2)) ] || { echo "small: $f" >&2; small=$((small + 1)); }
    done
done
assert_eq "$small" 0 "files under target/2 other than the two newest of a topic partition"
assert_eq "$(find "$lake" -name '.tmp-*' | wc -l)" 0 "temporary files left"

# Retention: the February partition is older than 7 days before 2026-03-05. A temporary file a
# writer still writes there (the sink landing late rows) stays; one a crashed writer left goes.
feb=$lake/trades/date=2026-02-01
echo partial >"$feb/.tmp-trades+0+00000000000000999999.parquet.4242.0.partial"
echo partial >"$feb/.tmp-trades+1+00000000000000999999.parquet.4243.0.partial"
touch -d '2 hours ago' "$feb/.tmp-trades+1+00000000000000999999.parquet.4243.0.partial"
"$TICKLAKE" compact trades --lake "$lake" --retain-days 7 --today 2026-03-05 --retain-only -q >"$T/r.out" ||
    fail "retention failed"
grep -q "retention dropped 1 partitions" "$T/r.out" || fail "retention: $(cat "$T/r.out")"
assert_eq "$(ls -A "$feb" | tr '\n' ' ')" ".tmp-trades+0+00000000000000999999.parquet.4242.0.partial " \
    "what retention left in date=2026-02-01"
rm -r "$feb"
assert_eq "$(q "SELECT count(*) FROM trades")" 210000 "trades after retention"
"$TICKLAKE" partitions --lake "$lake" --format csv trades >"$T/parts.out" || fail "partitions failed"
# The dropped partition stays in the catalog, marked deprecated; the other is active.
assert_eq "$(grep -c '^2026-02-01,.*,deprecated$' "$T/parts.out" || true)" 1 \
    "date=2026-02-01 deprecated in the catalog: $(cat "$T/parts.out")"
assert_eq "$(grep -c '^2026-03-04,.*,active$' "$T/parts.out" || true)" 1 \
    "date=2026-03-04 active in the catalog: $(cat "$T/parts.out")"
echo "ok: compact ($files_before files -> $files_after; $reads consistent queries during compaction:" \
    "$before before the switch, $after after, $across across it; $runs compactions while trades" \
    "landed, $overlapped overlapping a sink write, $reads2 reads of $grows states)"
