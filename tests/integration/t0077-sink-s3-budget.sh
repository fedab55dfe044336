#!/usr/bin/env bash
# sink into S3 when the S3 server stays down longer than the write budget (--s3-write-timeout,
# shortened to 3 s here): the sink retries, gives up with a clear error and exits 1, committing
# nothing; the records stay in Kafka, and a sink of the same group started once S3 is back lands
# each of them exactly once (so the failed sink's offsets did not move).
. "$(dirname "$0")/lib.sh"

command -v kcat >/dev/null || skip "kcat is not installed"
started=$SECONDS
s3_start
pre=$(unique_name b).
group=$(unique_name g)
lake="s3://$bucket/lake"
N1=20000
N2=30000
ingest() {
    "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate max --symbols 20 -q "$@"
}
sink=("$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$pre" --group "$group" --lake "$lake"
    --s3-endpoint "$endpoint" --s3-addressing path --roll-interval 500ms --s3-write-timeout 3s)
lake_rows() {
    "$TICKLAKE" crawl --lake "$lake" --s3-endpoint "$endpoint" --s3-addressing path >/dev/null 2>&1 &&
        "$TICKLAKE" query --lake "$lake" --s3-endpoint "$endpoint" --s3-addressing path --format csv \
            "SELECT count(*) || ':' || count(DISTINCT (id, ts)) FROM trades" | tail -1
}

# 1. The first trades land and are committed.
ingest --count $N1 --seed 1 --start 2026-03-02
bg_start sink "${sink[@]}" -v
first_landed() { [ "$(lake_rows)" = "$N1:$N1" ]; }
wait_for 60 first_landed || fail "the first $N1 trades did not land: $(lake_rows) $(tail -3 "$T/sink.err")"
# Every file of them is written and committed (files roll every 500 ms): quiet for 2 s.
wrote() { grep -c "debug: sink: wrote" "$T/sink.err" || true; }
quiet() {
    local before
    before=$(wrote)
    sleep 2
    [ "$(wrote)" = "$before" ]
}
wait_for 30 quiet || fail "the sink kept writing"

# 2. S3 goes away; more trades arrive. The sink retries each put for 3 s, then exits 1.
"$S3" stop "$T/s3" --keep
down_at=$SECONDS
ingest --count $N2 --seed 2 --start 2026-03-03
bg_wait sink 60
took=$((SECONDS - down_at))
assert_eq "$BG_STATUS" 1 "sink exit status when S3 stays down past the write budget"
grep -q "; retry [0-9]" "$T/sink.err" || fail "the sink never retried: $(tail -5 "$T/sink.err")"
err=$(grep '^ticklake sink: s3: ' "$T/sink.err" | tail -1)
[[ $err == *"gave up after "*" attempts in "[34]" s; endpoint $endpoint)" ]] ||
    fail "no clear error naming the budget spent and the endpoint: $(tail -3 "$T/sink.err")"
[[ $err == *"lake/trades/date=2026-03-03/"* ]] || fail "the error does not name the object: $err"
# The budget bounds how long it waited (the default is 5 minutes).
[ "$took" -le 40 ] || fail "the sink took ${took}s to give up with a 3 s budget"

# 3. The records are still in Kafka.
kcat -C -b "$BROKERS" -t "${pre}trades" -e -q -f '%o\n' >"$T/offsets"
assert_eq "$(wc -l <"$T/offsets")" $((N1 + N2)) "trades in Kafka"

# 4. S3 is back: a sink of the same group resumes from the committed offsets and lands the second
# batch, all of it and nothing twice.
"$S3" start "$T/s3" >/dev/null || fail "could not restart the S3 server"
rc=0
"${sink[@]}" --drain 2>"$T/sink2.err" || rc=$?
assert_eq "$rc" 0 "second sink exit status: $(tail -3 "$T/sink2.err")"
grep -q "^ticklake sink: $N2 rows in " "$T/sink2.err" ||
    fail "the second sink did not start at the failed sink's committed offsets: $(grep '^ticklake sink' "$T/sink2.err")"
assert_eq "$(lake_rows)" "$((N1 + N2)):$((N1 + N2))" "rows:distinct (id, ts) in the lake"
echo "ok: sink s3 budget (gave up ${took}s after S3 went down; $N2 trades landed once after it came back; $((SECONDS - started)) s)"
