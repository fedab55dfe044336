#!/usr/bin/env bash
# sink into S3: the incomplete multipart uploads a killed sink left for its own objects are aborted
# when the partition is assigned again (ListMultipartUploads + AbortMultipartUpload on a real
# versitygw); uploads of other writers' objects are left alone.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "curl is not installed"
s3_start

ini_get() { sed -n "s/^$2 *= *//p" "$1" | head -n 1; }
# s3req METHOD PATH-AND-QUERY (already URI-encoded as SigV4 wants it): prints the body.
s3req() {
    printf 'user = "%s:%s"\n' "$(ini_get "$T/s3/credentials" aws_access_key_id)" \
        "$(ini_get "$T/s3/credentials" aws_secret_access_key)" |
        curl -sS -X "$1" -K - --aws-sigv4 "aws:amz:us-east-1:s3" \
            -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$endpoint$2"
}
pre=$(unique_name u).
group=$(unique_name g)
dir="/$bucket/lake/trades/date%3D2026-03-04"
# On the embedded broker the sink's file names carry the cluster's incarnation (its offsets start
# at 0 on each start): a first sink says which, so the uploads below are this cluster's own.
inc=
if [ "$KAFKA_KIND" != real ]; then
    "$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$pre" --group "$group-probe" \
        --lake "$T/probe" --duration 1s 2>"$T/probe.err" || fail "probe sink failed: $(tail -2 "$T/probe.err")"
    inc=$(sed -nE 's/.*named <topic>(~[A-Za-z0-9._]+)\+<partition>.*/\1/p' "$T/probe.err" | head -1)
    [ -n "$inc" ] || fail "the sink named no incarnation on the embedded broker: $(cat "$T/probe.err")"
fi
# What a sink killed in the middle of multipart uploads leaves: two of ours, one of another writer.
for name in "${pre}trades$inc%2B0%2B00000000000000000000" "${pre}trades$inc%2B1%2B00000000000000000007" \
    "other.trades%2B0%2B00000000000000000000"; do
    s3req POST "$dir/$name.parquet?uploads=" | grep -q "<UploadId>" || fail "could not start an upload"
done
uploads() { s3req GET "/$bucket?uploads=" | grep -o "<Key>[^<]*</Key>" | sed 's/<[^>]*>//g' | sort; }
assert_eq "$(uploads | wc -l)" 3 "incomplete uploads before the sink runs"

"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate max --count 5000 \
    --symbols 20 --seed 73 --start 2026-03-04 -q
"$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$pre" --group "$group" \
    --lake "s3://$bucket/lake" --s3-endpoint "$endpoint" --s3-addressing path \
    --roll-bytes 2000 --roll-interval 1s --duration 8s 2>"$T/sink.err" || { cat "$T/sink.err" >&2; fail "sink failed"; }
grep -q "aborted .* incomplete multipart uploads" "$T/sink.err" || fail "the sink logged no abort: $(cat "$T/sink.err")"
assert_eq "$(uploads)" "lake/trades/date=2026-03-04/other.trades+0+00000000000000000000.parquet" \
    "incomplete uploads after the sink ran"
grep -q "5000 rows" "$T/sink.err" || fail "the trades did not land: $(tail -1 "$T/sink.err")"

# What a compaction killed (SIGKILL) while uploading a merged object leaves: the object's
# incomplete multipart upload, and in the staging folder the copies of its inputs and its merged
# temporary file, named with its (now dead) process id. The next compaction removes them; a live
# writer's staging file and another writer's upload stay.
staging=$T/tmp/ticklake-staging
mkdir -p "$staging"
sleep 0 &
dead=$!
wait $dead
for f in ".tmp-${pre}trades$inc+0+00000000000000000000.parquet.$dead.1.partial" \
    ".tmp-~${pre}trades$inc+0+00000000000000000000-00000000000000000099.parquet.$dead.2.partial" \
    ".tmp-${pre}trades$inc+1+00000000000000000000.parquet.$$.1.partial"; do
    echo x >"$staging/$f"
done
s3req POST "$dir/~${pre}trades$inc%2B0%2B00000000000000000000-00000000000000000099.parquet?uploads=" |
    grep -q "<UploadId>" || fail "could not start an upload"
assert_eq "$(uploads | wc -l)" 2 "incomplete uploads before compaction"

# Compaction on S3: merged objects appear, their inputs are deleted, no row is lost or doubled.
TMPDIR=$T/tmp "$TICKLAKE" compact trades --lake "s3://$bucket/lake" --s3-endpoint "$endpoint" \
    --s3-addressing path --target-bytes 1000000 --grace 0 >"$T/compact.out" 2>"$T/compact.err" ||
    fail "compact on S3 failed: $(cat "$T/compact.err")"
grep -q "aborted 1 incomplete multipart uploads of 'trades'" "$T/compact.err" ||
    fail "compaction logged no abort: $(cat "$T/compact.err")"
assert_eq "$(uploads)" "lake/trades/date=2026-03-04/other.trades+0+00000000000000000000.parquet" \
    "incomplete uploads after compaction"
assert_eq "$(ls -A "$staging")" ".tmp-${pre}trades$inc+1+00000000000000000000.parquet.$$.1.partial" \
    "staging files after compaction (a live writer's stays)"
grep -q " -> [1-9][0-9]* files" "$T/compact.out" || fail "compaction on S3 merged nothing: $(cat "$T/compact.out")"
s3req GET "/$bucket?list-type=2&prefix=lake%2Ftrades%2F" | grep -o "<Key>[^<]*</Key>" | sed 's/<[^>]*>//g' >"$T/keys"
python3 - "$T/keys" <<'PY' || fail "objects after compaction on S3: $(cat "$T/keys")"
import re, sys
names = [k.rsplit("/", 1)[1] for k in open(sys.argv[1]).read().split()]
merged = [re.match(r"~.*\+(\d+)\+(\d{20})-(\d{20})\.parquet$", n) for n in names if n.startswith("~")]
assert merged, "no merged object"
for n in names:
    m = re.match(r"[^~].*\+(\d+)\+(\d{20})\.parquet$", n)
    if m:
        for c in merged:
            assert not (c.group(1) == m.group(1) and int(c.group(2)) <= int(m.group(2)) <= int(c.group(3))), n + " is covered but still there"
PY
# The rows, read from the server's own folder (versitygw's posix backend stores objects as files).
rows=$("$ROOT/.cache/venv/bin/python3" -c "import duckdb, sys; print(*duckdb.sql(\"SELECT count(*), count(DISTINCT id) FROM read_parquet('\" + sys.argv[1] + \"/lake/trades/*/*.parquet')\").fetchone())" "$T/s3/data/$bucket")
assert_eq "$rows" "5000 5000" "rows and distinct ids on S3 after compaction"
# The compaction is recorded in the lake's catalog (crawled through the cache, uploaded to S3), and
# ticklake query over the S3 lake reads each row once.
grep -q "catalog version [1-9]" "$T/compact.out" || fail "no catalog version after compaction: $(cat "$T/compact.out")"
s3req GET "/$bucket?list-type=2&prefix=lake%2F_catalog%2F" | grep -q "<Key>lake/_catalog/" ||
    fail "no catalog in S3 after compaction"
q=$(TICKLAKE_CACHE_DIR=$T/cache "$TICKLAKE" query --lake "s3://$bucket/lake" --s3-endpoint "$endpoint" \
    --s3-addressing path --no-save --format csv "SELECT count(*), count(DISTINCT id) FROM trades" | tail -1)
assert_eq "$q" "5000,5000" "ticklake query over the compacted S3 lake"
echo "ok: sink aborts its own incomplete multipart uploads on S3; compaction on S3"
