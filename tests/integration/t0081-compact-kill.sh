#!/usr/bin/env bash
# compact killed with SIGKILL mid-merge, then run again: right after the kill queries still see
# every row once (count, distinct ids and a checksum as before compaction), and the next run
# removes what the killed one left (temporary files, covered inputs, once the catalog lists their
# merged files) and completes: every row once,
# no temporary file left, queries and the catalog work. Each round starts from a copy of the same
# small-file lake and kills at a different point: while the first merged file is being written
# (its temporary file exists), right after the first switch (a merged file exists, its inputs
# too), and at a random time within a measured full run.
. "$(dirname "$0")/lib.sh"
[ "$KAFKA_KIND" = embedded ] || skip "compaction reads and writes the lake only: it runs once, on the embedded broker"

started=$SECONDS
pre=$(unique_name c).
src=$T/lake-src
target=150000
ingest() { "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate max -q --symbols 20 "$@"; }
ingest --count 120000 --seed 81 --start 2026-03-04
ingest --count 40000 --seed 82 --start 2026-03-05
# Many small files: the sink rolls every ~20 kB and stops once it has written everything.
"$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$pre" --group "$(unique_name g)" \
    --lake "$src" --roll-bytes 20000 --roll-interval 1s --drain 2>"$T/sink.err" ||
    fail "sink failed: $(tail -3 "$T/sink.err")"
"$TICKLAKE" crawl --lake "$src" >/dev/null
Q="SELECT count(*) || ':' || count(DISTINCT (id, ts)) || ':' || sum(hash(id, ts, price, size)) FROM trades"
q() { "$TICKLAKE" query --lake "$1" --format csv "$Q" 2>"$T/q.err" | tail -1; }
expect=$(q "$src")
case "$expect" in 160000:160000:*) ;; *) fail "before compaction: $expect ($(cat "$T/q.err"))" ;; esac
files_src=$(find "$src/trades" -name '*.parquet' | wc -l)
assert_ge "$files_src" 20 "small files before compaction"

compact() { # LAKE [options]: compact trades of LAKE
    local lake=$1
    shift
    "$TICKLAKE" compact trades --lake "$lake" --target-bytes $target "$@"
}
# The length of an uninterrupted run, for the random kill point.
cp -a "$src" "$T/lake-timed"
t0=${EPOCHREALTIME/./}
compact "$T/lake-timed" --grace 0 -q >/dev/null || fail "an uninterrupted compaction failed"
full_us=$((${EPOCHREALTIME/./} - t0))
assert_eq "$(q "$T/lake-timed")" "$expect" "after an uninterrupted compaction"

# check_lake LAKE WHAT: every row once and the checksum of the original.
check_lake() {
    local got
    got=$(q "$1") || true
    [ "$got" = "$expect" ] || fail "$2: query gave '$got', expected '$expect' ($(head -c 300 "$T/q.err"))"
}
tmps() { find "$1" -name '.tmp-*' | wc -l; }
merged() { find "$1/trades" -name '~*.parquet' | wc -l; }

left_tmp=0
for how in writing switched random; do
    lake=$T/lake-$how
    cp -a "$src" "$lake"
    bg_start "compact-$how" "$TICKLAKE" compact trades --lake "$lake" --target-bytes $target --grace 1s
    case $how in
    writing) point() { [ "$(tmps "$lake")" -gt 0 ]; } ;;
    switched) point() { [ "$(merged "$lake")" -gt 0 ]; } ;;
    random)
        delay=$(awk -v s="$RANDOM" -v f="$full_us" 'BEGIN { srand(s); printf "%.3f", rand() * f / 1e6 }')
        point() { sleep "$delay"; }
        ;;
    esac
    # Polled every 10 ms (wait_for's 0.2 s could miss the moment). At the point the process is
    # stopped and the point checked again, so the kill lands in the state seen: on a loaded machine
    # a temporary file seen a moment ago may already be the merged file. If it moved on, go on.
    frozen() {
        point || return 1
        kill -STOP "$(bg_pid "compact-$how")" 2>/dev/null || return 1
        point && return 0
        kill -CONT "$(bg_pid "compact-$how")" 2>/dev/null
        return 1
    }
    deadline=$((SECONDS + 30))
    until frozen; do
        bg_alive "compact-$how" || break
        [ "$SECONDS" -lt "$deadline" ] || fail "$how: the kill point never came"
        sleep 0.01
    done
    bg_alive "compact-$how" || fail "$how: compaction ended before the kill point ($(tail -3 "$T/compact-$how.err"))"
    bg_stop "compact-$how" KILL
    assert_eq "$BG_STATUS" 137 "$how: compaction killed"
    state="$(tmps "$lake") temporary, $(merged "$lake") merged of $(find "$lake/trades" -name '*.parquet' | wc -l) files"
    echo "# $how${delay:+ (${delay}s of ${full_us}us)}: killed with $state" >&2
    [ "$(tmps "$lake")" -eq 0 ] || left_tmp=$((left_tmp + 1))
    case $how in
    writing) [ "$(tmps "$lake")" -gt 0 ] || fail "writing: no temporary file at the kill" ;;
    switched) [ "$(merged "$lake")" -gt 0 ] || fail "switched: no merged file at the kill" ;;
    esac
    # Right after the crash: the covering rule hides the inputs a merged file replaced.
    check_lake "$lake" "$how: right after the kill"
    # Run again: it cleans up and completes.
    compact "$lake" --grace 0 >"$T/again-$how.out" 2>"$T/again-$how.err" ||
        fail "$how: compaction after the kill failed: $(tail -3 "$T/again-$how.err")"
    if [ "$how" = writing ]; then
        grep -q "left by an earlier run" "$T/again-$how.err" ||
            fail "writing: the next run did not say it removed the temporary file: $(cat "$T/again-$how.err")"
    fi
    # The killed run never updated the catalog: the next one records the merged files it left
    # before it deletes their inputs (a session reading by glob would otherwise see neither).
    if [ "$how" = switched ]; then
        grep -q "inputs of an earlier run are covered by merged files the catalog did not list" "$T/again-$how.err" ||
            fail "switched: the earlier run's inputs went before the catalog listed their merged files: $(cat "$T/again-$how.err")"
    fi
    assert_eq "$(tmps "$lake")" 0 "$how: temporary files after the next run"
    check_lake "$lake" "$how: after the next run"
    # Nothing covered is left, and the catalog (crawled by compact) lists every row once.
    "$TICKLAKE" crawl --lake "$lake" >/dev/null || fail "$how: crawl failed"
    for d in "$lake"/trades/date=*; do
        covered=$(ls "$d" | python3 -c '
import re, sys
names = [l.strip() for l in sys.stdin if l.strip().endswith(".parquet")]
m = [re.match(r"^~(.*)\+(\d+)\+(\d{20})-(\d{20})\.parquet$", n) for n in names]
rng = [(x.group(1), x.group(2), int(x.group(3)), int(x.group(4))) for x in m if x]
n = 0
for name in names:
    s = re.match(r"^([^~].*)\+(\d+)\+(\d{20})\.parquet$", name)
    if s and any(t == s.group(1) and p == s.group(2) and a <= int(s.group(3)) <= b for t, p, a, b in rng):
        n += 1
print(n)')
        assert_eq "$covered" 0 "$how: covered sink files left in $d"
    done
    "$TICKLAKE" partitions --lake "$lake" --format csv trades >"$T/parts-$how.csv" ||
        fail "$how: partitions failed"
    assert_eq "$(awk -F, 'NR > 1 && $NF == "active" { n += $4 } END { print n + 0 }' "$T/parts-$how.csv")" \
        "${expect%%:*}" "$how: rows of the catalog's partitions"
done
echo "ok: compact kill (3 kills, $left_tmp with a temporary file left; a full run takes $((full_us / 1000)) ms; $((SECONDS - started)) s)"
