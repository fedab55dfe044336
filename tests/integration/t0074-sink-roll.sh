#!/usr/bin/env bash
# sink: files roll by size. With --roll-bytes N and a freshness bound that
# never fires, every file but the newest of each input partition and date is
# within [N/2, 3N/2] (the bytes-per-row estimate learns from the first files).
. "$(dirname "$0")/lib.sh"

pre=$(unique_name r).
group=$(unique_name g)
lake=$T/lake
target=300000
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate max --count 300000 \
    --symbols 40 --seed 5 --start 2026-03-04 -q

# The freshness bound never fires: the run ends by --duration, which writes
# the rest (the newest file of each partition).
"$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$pre" --group "$group" --lake "$lake" \
    --roll-bytes $target --roll-interval 5m --duration 15s -q 2>"$T/sink.err" ||
    { cat "$T/sink.err" >&2; fail "sink failed"; }
"$TICKLAKE" crawl --lake "$lake" >/dev/null
assert_eq "$("$TICKLAKE" query --lake "$lake" --format csv "SELECT count(DISTINCT id) FROM trades" | tail -1)" 300000 "trades landed"

# Per topic partition: all files but the newest (highest offset) are near the target.
bad=0 n=0
for p in $(ls "$lake/trades/date=2026-03-04" | sed -E 's/.*\+([0-9]+)\+[0-9]{20}\.parquet$/\1/' | sort -u); do
    files=$(ls "$lake/trades/date=2026-03-04" | grep -E "\+$p\+[0-9]{20}\.parquet$" | sort | head -n -1)
    for f in $files; do
        size=$(stat -c %s "$lake/trades/date=2026-03-04/$f")
        n=$((n + 1))
        if [ "$size" -lt $((target / 2)) ] || [ "$size" -gt $((target * 3 / 2)) ]; then
            echo "file $f: $size bytes, target $target" >&2
            bad=$((bad + 1))
        fi
    done
done
assert_ge "$n" 3 "files rolled by size"
assert_eq "$bad" 0 "files rolled by size outside [target/2, 3*target/2]"
echo "ok: sink rolls by size ($n files near $target bytes)"
