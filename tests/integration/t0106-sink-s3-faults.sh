#!/usr/bin/env bash
# sink into S3 through a misbehaving S3 (tests/tools/s3_fault_proxy.py in front of versitygw): answers
# held for seconds, 503 SlowDown, 500 InternalError, connections reset before the request reached S3,
# after S3 did the work (the PUT, part or CompleteMultipartUpload happened but the answer is lost) and
# in the middle of the answer; each kind on single PUTs, multipart parts and CompleteMultipartUpload,
# plus random ones on every request. The sink keeps running, retries each failed request with backoff
# (logged), and the lake holds every trade exactly once (rows = distinct (id, ts) = trades ingested).
# The proxy's log says what it injected, so the faults are shown to have happened; the sink logged one
# retry for each failed request. Then a throttling storm (every request answered SlowDown for 8 s while
# more trades arrive): the sink backs off (waits growing to seconds, a bounded number of requests),
# does not give up, and lands those trades once the storm passes. T0106_SEED=N changes the proxy's
# random draws.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 is not installed"
seed=${T0106_SEED:-106}
echo "seed $seed (T0106_SEED=$seed replays the proxy's draws)"
started=$SECONDS
s3_start
N=240000
DELAY=3
pre=$(unique_name f).
group=$(unique_name g)
lake="s3://$bucket/lake"

# 1. The proxy: every kind ensured on put, part and complete; random faults on any request after.
bg_start proxy python3 "$ROOT/tests/tools/s3_fault_proxy.py" --upstream-port "$(cat "$T/s3/port")" \
    --seed "$seed" --delay "$DELAY" --ensure put,part,complete --log "$T/proxy.log" --storm "$T/storm" \
    --rate delay=0.03 --rate slowdown=0.06 --rate internal=0.05 --rate reset-before=0.03 \
    --rate reset-after=0.05 --rate reset-mid=0.03
port_known() { [ -s "$T/proxy.out" ]; }
wait_for 10 port_known || fail "the fault proxy did not start: $(cat "$T/proxy.err")"
proxy=http://127.0.0.1:$(head -1 "$T/proxy.out")

# 2. A fixed set of trades, spanning a UTC midnight (two dates, so files of several sizes).
start_ns=$(($(date -u -d '2026-03-05 23:59:50' +%s) * 1000000000))
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate max --count "$N" \
    --symbols 20 --seed 106 --start "$start_ns" -q

# 3. The sink through the proxy. Files above 128 KiB go up as multipart uploads (one 8 MiB part
# here); smaller ones with one PUT.
lake_rows() {
    "$TICKLAKE" crawl --lake "$lake" --s3-endpoint "$endpoint" --s3-addressing path >/dev/null 2>&1 &&
        "$TICKLAKE" query --lake "$lake" --s3-endpoint "$endpoint" --s3-addressing path --format csv \
            "SELECT count(*) || ':' || count(DISTINCT (id, ts)) FROM trades" | tail -1
}
sink=("$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$pre" --group "$group" --lake "$lake"
    --s3-endpoint "$proxy" --s3-addressing path --roll-rows 25000 --roll-interval 1s
    --s3-multipart-threshold 131072 -v)
bg_start sink "${sink[@]}"
all_landed() { [ "$(lake_rows)" = "$N:$N" ]; }
wait_for 240 all_landed ||
    fail "the lake does not hold the $N trades once each: $(lake_rows) (rows:distinct); $(grep -v ' debug: ' "$T/sink.err" | tail -5)"
wrote() { grep -c "debug: sink: wrote" "$T/sink.err" || true; }
quiet() {
    local before
    before=$(wrote)
    sleep 2
    [ "$(wrote)" = "$before" ]
}
wait_for 60 quiet || fail "the sink kept writing"
bg_alive sink || fail "the sink exited: $(tail -5 "$T/sink.err")"

# 4. A throttling storm: for 8 s every request is answered 503 SlowDown while more trades arrive.
M=20000
touch "$T/storm"
storm_from=$(wc -l <"$T/sink.err")
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate max --count "$M" \
    --symbols 20 --seed 107 --start 2026-03-07 -q
sleep 8
assert_eq "$(lake_rows)" "$N:$N" "rows:distinct (id, ts) in the lake during the storm"
bg_alive sink || fail "the sink gave up during the storm: $(tail -5 "$T/sink.err")"
rm -f "$T/storm"
N=$((N + M))
wait_for 60 all_landed ||
    fail "after the storm the lake holds $(lake_rows) of $N trades: $(grep -v ' debug: ' "$T/sink.err" | tail -5)"
stormed=$(grep -c " storm$" "$T/proxy.log" || true)
assert_ge "$stormed" 3 "requests answered SlowDown in the storm"
# Backing off: waits grew to seconds (0.1 s doubling, capped at 5 s, half of it random), so in
# 8 s each of the two writing threads sent about 10 requests, not the ~80 a fixed 0.1 s would.
longest=$(tail -n +"$storm_from" "$T/sink.err" | sed -n 's/.*503 SlowDown.*; retry [0-9]* in \([0-9.]*\) s$/\1/p' |
    sort -n | tail -1)
[ -n "$longest" ] && awk -v w="$longest" 'BEGIN { exit !(w >= 1.5) }' ||
    fail "the sink did not back off to seconds in the storm (longest wait '${longest}' s)"
[ "$stormed" -le 40 ] || fail "$stormed requests in an 8 s SlowDown storm: the sink did not back off"
wait_for 60 quiet || fail "the sink kept writing"
bg_stop sink TERM
assert_eq "$BG_STATUS" 0 "sink exit status after SIGTERM"
assert_eq "$(lake_rows)" "$N:$N" "rows:distinct (id, ts) in the lake"

# 5. The faults happened, on each kind of write.
faults() { grep -c "^fault $1 $2 " "$T/proxy.log" || true; }
for op in put part complete; do
    for kind in delay slowdown internal reset-before reset-after reset-mid; do
        assert_ge "$(faults "$kind" "$op")" 1 "$kind faults on $op requests"
    done
done
grep -q "upstream-error" "$T/proxy.log" && fail "the proxy could not reach versitygw: $(grep upstream-error "$T/proxy.log" | head -3)"
injected=$(grep -c "^fault " "$T/proxy.log" || true)
delays=$(grep -c "^fault delay " "$T/proxy.log" || true)
failed=$((injected - delays))

# 6. The sink retried each failed request with backoff, and waited out the slow answers.
# Each failed request is retried: by the sink (logged), or by libcurl itself when a reused
# connection died before any answer (it resends once on a new connection; the sink then logged one
# attempt for two requests the proxy saw).
retries=$(grep -c "; retry [0-9]* in [0-9.]* s$" "$T/sink.err" || true)
attempts=$(grep -c "debug: s3: [A-Z]* /" "$T/sink.err" || true)
requests=$(grep -c "^pass \|^fault " "$T/proxy.log" || true)
assert_eq "$((retries + requests - attempts))" "$failed" \
    "retries logged ($retries) + resent by libcurl ($((requests - attempts))) vs requests the proxy failed"
assert_ge "$retries" 1 "retries logged by the sink"
grep -q ": 503 SlowDown: .*; retry" "$T/sink.err" || fail "no SlowDown retry logged"
grep -q ": 500 InternalError: .*; retry" "$T/sink.err" || fail "no InternalError retry logged"
slow=$(grep -cE "debug: s3: .* -> 2[0-9][0-9] \(([3-9][0-9]{3}|[0-9]{5,}) ms\)" "$T/sink.err" || true)
assert_ge "$slow" "$delays" "requests answered after ${DELAY} s or more"
# No multipart upload left incomplete (each completed, or aborted after a failure).
puts=$(grep -c "^pass put PUT " "$T/proxy.log" || true)
completes=$(grep -c "^pass complete POST " "$T/proxy.log" || true)
echo "ok: sink s3 faults ($injected faults: $delays delays, a SlowDown storm of $stormed requests (longest wait $longest s), $(faults slowdown '[a-z-]*') SlowDown, $(faults internal '[a-z-]*') 500s, $(($(faults reset-before '[a-z-]*') + $(faults reset-after '[a-z-]*') + $(faults reset-mid '[a-z-]*'))) resets; $retries retries; $puts PUTs and $completes multipart uploads answered; $N trades once each; $((SECONDS - started)) s)"
