#!/usr/bin/env bash
# sink into a local lake on a file system that fills up (a small tmpfs, mounted here: needs root and
# a kernel that lets this container mount; skipped otherwise). With the disk full the sink logs a
# clear error naming the file and "No space left on device", counts it, commits nothing it could not
# write and keeps running, retrying with backoff; once space returns (the test deletes a filler
# file) it resumes by itself and the lake holds every trade exactly once. Then the disk fills again
# and that sink is killed (SIGKILL) while it waits: a new sink of the same group, once there is room,
# lands the rest exactly once, so the waiting sink had committed nothing it had not stored. Last,
# where versitygw is built: a sink into S3 whose staging folder ($TMPDIR) is on the full disk waits
# the same way, and SIGTERM ends its wait at once (exit 1, nothing committed); a sink of the same
# group lands everything in S3 exactly once when space returns.
. "$(dirname "$0")/lib.sh"

command -v mount >/dev/null || skip "no mount command"
command -v fallocate >/dev/null || skip "no fallocate command"
disk=$T/disk
mkdir -p "$disk"
mount -t tmpfs -o size=6m tmpfs "$disk" 2>"$T/mount.err" ||
    skip "cannot mount a small tmpfs here (needs root, and a container allowed to mount): $(cat "$T/mount.err")"
# Unmount at exit (lazily: a killed sink may still hold a file open), before $T is removed.
disk_cleanup() {
    local rc=$?
    if [ "$BASHPID" = "$TL_MAIN_PID" ]; then
        [ -z "${S3:-}" ] || "$S3" stop "$T/s3" >/dev/null 2>&1 || true
        umount -l "$disk" 2>/dev/null || true
    fi
    trap - ERR
    set +e
    (exit "$rc")
    tl_cleanup
}
trap disk_cleanup EXIT

started=$SECONDS
lake=$disk/lake
pre=$(unique_name d).
group=$(unique_name g)
N1=200000
N2=100000
ingest() {
    "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate max --symbols 20 -q "$@"
}
sink=("$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$pre" --group "$group" --lake "$lake"
    --roll-rows 20000 --roll-interval 500ms -X session.timeout.ms=6000 -v)
# lake_rows: rows:distinct (id, ts) of the files published in the lake. They are counted in a copy
# off the small disk: a crawl's catalog and a query's saved result would need room on it (and fail
# while it is full), and would take room the sink is meant to fill. Temporary files (.tmp-*) are
# left out; published files are not changed once renamed into place.
lake_rows() {
    local view=$T/view
    rm -rf "$view"
    mkdir -p "$view"
    (cd "$lake" && find trades -name '*.parquet' ! -name '.*' -print0 |
        xargs -0 -r cp --parents -t "$view") || return 1
    [ -d "$view/trades" ] || {
        echo 0:0
        return 0
    }
    "$TICKLAKE" crawl --lake "$view" >/dev/null 2>&1 || return 1
    "$TICKLAKE" query --lake "$view" --no-save --format csv \
        "SELECT count(*) || ':' || count(DISTINCT (id, ts)) FROM trades" | tail -1
}
# fill: leave about $1 KiB free on the disk (a filler file takes the rest).
fill() {
    local free
    rm -f "$disk/filler"
    free=$(df -k --output=avail "$disk" | tail -1)
    [ "$free" -gt "$1" ] || fail "only $free KiB free on the test disk"
    fallocate -l "$(((free - $1) * 1024))" "$disk/filler"
}
full_errors() { grep -c "No space left on device" "$T/sink.err" || true; }

# 1. The disk has room for a few files only; the sink fills it and waits.
mkdir -p "$lake"
fill 400
ingest --count $N1 --seed 1 --start 2026-03-02
bg_start sink "${sink[@]}"
disk_full() { [ "$(full_errors)" -ge 2 ]; }
wait_for 60 disk_full || fail "no disk-full error logged: $(tail -5 "$T/sink.err")"
bg_alive sink || fail "the sink exited on a full disk: $(tail -3 "$T/sink.err")"
err=$(grep "No space left on device" "$T/sink.err" | head -1)
[[ $err == *"$lake/trades/date=2026-03-02/"* ]] || fail "the error does not name the file: $err"
[[ $err == *"; retry "[0-9]*" in "* ]] || fail "the error does not say it will retry: $err"
stuck=$(lake_rows)
[ "${stuck%%:*}" -lt $N1 ] || fail "all $N1 trades landed on a full disk ($stuck)"
sleep 2
bg_alive sink || fail "the sink exited on a full disk: $(tail -3 "$T/sink.err")"

# 2. Space returns: the same sink resumes and lands every trade once.
rm -f "$disk/filler"
freed_at=$SECONDS
all1() { [ "$(lake_rows)" = "$N1:$N1" ]; }
wait_for 60 all1 || fail "after space returned the lake holds $(lake_rows) of $N1 trades: $(tail -3 "$T/sink.err")"
resumed=$((SECONDS - freed_at))
bg_alive sink || fail "the sink exited: $(tail -3 "$T/sink.err")"
retries=$(full_errors)

# 3. Full again, more trades; the waiting sink is killed; a new one lands the rest once.
wrote() { grep -c "debug: sink: wrote" "$T/sink.err" || true; }
quiet() {
    local before
    before=$(wrote)
    sleep 1.5
    [ "$(wrote)" = "$before" ]
}
wait_for 30 quiet || fail "the sink kept writing"
cp "$T/sink.err" "$T/sink-run1.err"
: >"$T/sink.err"
fill 200
ingest --count $N2 --seed 2 --start 2026-03-03
wait_for 60 disk_full || fail "no disk-full error logged the second time: $(tail -5 "$T/sink.err")"
bg_stop sink KILL
assert_eq "$BG_STATUS" 137 "sink killed while it waited for space"
rm -f "$disk/filler"
rc=0
"${sink[@]}" --drain 2>"$T/sink2.err" || rc=$?
assert_eq "$rc" 0 "second sink exit status: $(tail -3 "$T/sink2.err")"
assert_eq "$(lake_rows)" "$((N1 + N2)):$((N1 + N2))" "rows:distinct (id, ts) in the lake"
assert_eq "$(find "$lake" -name '.tmp-*' | wc -l)" 0 "temporary files left in the lake"
total=$((N1 + N2))

# 4. S3 with the staging folder on the full disk; SIGTERM during the wait.
s3_note="no versitygw: the S3 staging case was not run"
if compgen -G "$ROOT/.cache/versitygw-*/bin/versitygw" >/dev/null; then
    S3=$ROOT/tests/s3/s3server.sh
    "$S3" start "$T/s3" >/dev/null || fail "could not start the S3 server (versitygw)"
    # shellcheck disable=SC1091
    . "$T/s3/env"
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION \
        AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 TICKLAKE_CACHE_DIR
    s3=(--s3-endpoint "$(cat "$T/s3/endpoint")" --s3-addressing path)
    s3lake=s3://$(cat "$T/s3/bucket")/lake
    s3sink=(env TMPDIR="$disk/tmp" "$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$pre"
        --group "$group-s3" --lake "$s3lake" "${s3[@]}" --roll-rows 20000 --roll-interval 500ms -v)
    mkdir -p "$disk/tmp"
    fill 100
    : >"$T/sink.err"
    bg_start sink "${s3sink[@]}"
    wait_for 60 disk_full || fail "no disk-full error logged for the staging folder: $(tail -5 "$T/sink.err")"
    err=$(grep "No space left on device" "$T/sink.err" | head -1)
    [[ $err == *"$disk/tmp/ticklake-staging/"* ]] || fail "the error does not name the staging file: $err"
    stop_at=$EPOCHREALTIME
    bg_stop sink TERM
    took=$(awk -v a="$stop_at" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    assert_eq "$BG_STATUS" 1 "exit status of a sink stopped while it waited for space"
    awk -v t="$took" 'BEGIN { exit !(t < 5) }' || fail "the sink took ${took}s to stop while waiting"
    grep -q "^ticklake sink: .*No space left on device (stopped after [0-9]* attempt" "$T/sink.err" ||
        fail "no clear error at exit: $(tail -3 "$T/sink.err")"
    rm -f "$disk/filler"
    rc=0
    "${s3sink[@]}" --drain 2>"$T/sink3.err" || rc=$?
    assert_eq "$rc" 0 "S3 sink exit status once space returned: $(tail -3 "$T/sink3.err")"
    "$TICKLAKE" crawl --lake "$s3lake" "${s3[@]}" >/dev/null
    got=$("$TICKLAKE" query --lake "$s3lake" "${s3[@]}" --format csv \
        "SELECT count(*) || ':' || count(DISTINCT (id, ts)) FROM trades" | tail -1)
    assert_eq "$got" "$total:$total" "rows:distinct (id, ts) in the S3 lake"
    s3_note="S3 staging: stopped ${took}s after SIGTERM, then landed once"
fi
echo "ok: sink disk full ($retries disk-full retries, resumed ${resumed}s after space returned; killed while waiting, the next sink landed the rest once; $total trades; $s3_note; $((SECONDS - started)) s)"
