#!/usr/bin/env bash
# A sink whose multipart upload vanishes (NoSuchUpload: another writer aborted it, as a sink that
# took the partition over does with the uploads it finds) must not start that upload again: a
# zombie's new upload could land over the new owner's file of the same name, holding another offset
# range. The fault proxy (tests/tools/s3_fault_proxy.py, kind "aborted") answers every part request
# NoSuchUpload: the sink stops with that reason, commits nothing, and starts no second upload of a
# key. A second sink, straight to S3, then aborts the uploads left incomplete and lands every trade
# once. The S3 side does not depend on the broker: the script runs on the embedded broker only.
. "$(dirname "$0")/lib.sh"

[ "$KAFKA_KIND" = embedded ] || skip "S3 behaviour only; it runs on the embedded broker"
command -v python3 >/dev/null || skip "python3 is not installed"
s3_start
N=60000
pre=$(unique_name ab).
group=$(unique_name g)
lake="s3://$bucket/lake"

bg_start proxy python3 "$ROOT/tests/tools/s3_fault_proxy.py" --upstream-port "$(cat "$T/s3/port")" \
    --rate aborted=1 --ops part --log "$T/proxy.log"
port_known() { [ -s "$T/proxy.out" ]; }
wait_for 10 port_known || fail "the fault proxy did not start: $(cat "$T/proxy.err")"
proxy=http://127.0.0.1:$(head -1 "$T/proxy.out")

"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate max --count "$N" \
    --symbols 10 --seed 114 --start 2026-03-05 -q
# Files above 128 KiB go up as multipart uploads; one roll of all the trades is above that.
sink=("$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$pre" --group "$group" --lake "$lake"
    --s3-addressing path --roll-rows 1000000 --roll-interval 60s --s3-multipart-threshold 131072
    --drain -v)
bg_start sink1 "${sink[@]}" --s3-endpoint "$proxy"
bg_wait sink1 120
assert_eq "$BG_STATUS" 1 "exit status of the sink whose upload was aborted"
grep -q "was aborted by another writer.*not started again" "$T/sink1.err" ||
    fail "no reason given: $(grep -v ' debug: ' "$T/sink1.err" | tail -5)"
aborted=$(grep -c "^fault aborted part " "$T/proxy.log" || true)
assert_ge "$aborted" 1 "part requests answered NoSuchUpload"
# Each key's upload was started once: none was started again after it vanished.
again=$(sed -nE 's/^pass create POST ([^?]*)\?.*/\1/p' "$T/proxy.log" | sort | uniq -d)
[ -z "$again" ] || fail "uploads started again: $again"

# The next sink takes over: it aborts what was left and lands each trade once.
bg_start sink2 "${sink[@]}" --s3-endpoint "$endpoint"
bg_wait sink2 120
assert_eq "$BG_STATUS" 0 "exit status of the second sink"
grep -q "aborted [0-9]* incomplete multipart uploads of '${pre}trades'" "$T/sink2.err" ||
    fail "the second sink aborted no upload left incomplete: $(grep -v ' debug: ' "$T/sink2.err" | tail -5)"
s3opts=(--s3-endpoint "$endpoint" --s3-addressing path)
"$TICKLAKE" crawl --lake "$lake" "${s3opts[@]}" >/dev/null 2>"$T/crawl.err" || fail "crawl: $(cat "$T/crawl.err")"
got=$("$TICKLAKE" query --lake "$lake" "${s3opts[@]}" --format csv \
    "SELECT count(*) || ' ' || count(DISTINCT id) FROM trades" | tail -1)
assert_eq "$got" "$N $N" "rows and distinct ids of trades in the lake"
echo "ok: $aborted aborted uploads not started again; the next sink landed $N trades once"
