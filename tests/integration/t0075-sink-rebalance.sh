#!/usr/bin/env bash
# sink: members of one group come and go while trades arrive, so every partition is revoked and
# assigned again several times while records are read in batches and files roll (every 5,000
# rows) on the writer thread: every trade lands exactly once (row count = distinct ids = trades
# sent), and no temporary file is left behind. Binary trades (the embedded broker keeps ~5 MiB
# per partition).
. "$(dirname "$0")/lib.sh"

pre=$(unique_name rb).
group=$(unique_name g)
lake=$T/lake
n=100000
sink() { # name duration|--drain
    local when=(--duration "$2")
    [ "$2" = --drain ] && when=(--drain)
    "$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$pre" --group "$group" --lake "$lake" \
        --intervals 1s --roll-rows 5000 "${when[@]}" -q 2>"$T/sink-$1.err" ||
        { cat "$T/sink-$1.err" >&2; fail "sink $1 failed"; }
}

"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate 20000 --count $n \
    --symbols 50 --seed 7 --start 2026-03-04 --encoding binary -q 2>"$T/ingest.err" &
ingest=$!
# Joins at 0, 1 and 2 s, leaves at 4 and 7 s: five rebalances while trades flow.
sink a 7s &
a=$!
sleep 1
sink b 3s &
b=$!
sleep 1
sink c 5s &
c=$!
wait "$ingest" || { cat "$T/ingest.err" >&2; fail "ingest failed"; }
wait "$a" || fail "sink a failed"
wait "$b" || fail "sink b failed"
wait "$c" || fail "sink c failed"
# Whatever the last ones left unread.
sink d --drain

"$TICKLAKE" crawl --lake "$lake" >/dev/null
got=$("$TICKLAKE" query --lake "$lake" --format csv \
    "SELECT count(*) || ' ' || count(DISTINCT id) FROM trades" | tail -1)
assert_eq "$got" "$n $n" "rows and distinct ids"
assert_eq "$(find "$lake" -name '.tmp-*' | wc -l)" 0 "temporary files left"
files=$(find "$lake/trades" -name '*.parquet' | wc -l)
assert_ge "$files" 20 "files written"
echo "ok: sink rebalance ($KAFKA_KIND: $files files, $n trades exactly once)"
