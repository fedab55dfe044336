# lib.sh - shared library for the integration test scripts tests/integration/tNNNN-*.sh.
#
# A script starts with:
#
#     #!/usr/bin/env bash
#     . "$(dirname "$0")/lib.sh"
#
# and fails by calling `fail`, by a failing assertion, or by any command failing (set -e; the failing
# command and line are reported). tests/run-all.sh runs each script once against librdkafka's mock
# cluster (`ticklake broker`, KAFKA_KIND=embedded) and once against a real Kafka (KAFKA_KIND=real).
# To run one by hand:  BROKERS=127.0.0.1:9092 KAFKA_KIND=real bash tests/integration/t0001-x.sh
#
# Provided:
#   ROOT, TICKLAKE      the repo root and the ./ticklake binary in it (absolute paths)
#   BROKERS             bootstrap address list, from the runner (required)
#   KAFKA_KIND          embedded | real, from the runner (default: embedded)
#   T                   a fresh temp dir for this script, removed at exit unless TEST_KEEP=1
#   fail MSG            print "not ok: MSG" on stderr and exit 1; then the last 40 lines of each
#                       file named in FAIL_SHOW (space-separated paths), for the failure's context
#   skip MSG            print "skip: MSG" and exit 77 (the runner counts it as skipped, not failed)
#   assert_eq A B MSG   fail unless the strings A and B are equal
#   assert_ge A B MSG   fail unless the integer A >= the integer B
#   wait_for SECS CMD...  run CMD every 0.2 s until it succeeds (returns 0) or SECS pass (returns 1);
#                       CMD's output is discarded. CMD's arguments are expanded once, by the caller:
#                       for a condition that must be re-read each time use a shell function, e.g.
#                         got_all() { [ "$(wc -l <"$T/c.out")" -ge 20 ]; }; wait_for 30 got_all
#   unique_name PREFIX  print a topic/group name unique to this run, e.g. ticks-t0003-1732580000-4242-1
#   bg_start NAME CMD...  run CMD (a program, not a shell function: put a long command line in an
#                       array) in the background, stdout to $T/NAME.out, stderr to $T/NAME.err; its
#                       pid is $(bg_pid NAME). Everything started so is killed at exit.
#   bg_stop NAME [SIG]  send SIG (default TERM) to NAME, wait up to BG_STOP_TIMEOUT (10) seconds, then
#                       KILL; sets BG_STATUS to its exit status (128+N when killed by signal N)
#   bg_alive NAME       true while NAME runs
#   bg_wait NAME SECS   wait up to SECS for NAME to exit by itself (fail if it does not); sets
#                       BG_STATUS to its exit status
#   s3_start            start versitygw for this script (skips without it); sets S3, endpoint, bucket
#   kafka_end_sum TOPIC print the sum of the end offsets of TOPIC's partitions (with kcat): the
#                       records it holds, for a topic never truncated nor written in transactions
#   topic_configs TOPIC ARGS...  Kafka's own kafka-configs tool on TOPIC of a real broker
#                       (ConfigCommand from the jars in .cache/kafka-3.9.1/libs)
#   need_topic_configs  skip unless a real broker and those jars are there (call it at the top
#                       level: a skip inside $(...) or a pipeline only leaves that subshell)
#   controlled_broker ARGS...  start an embedded cluster of this script's own (`ticklake broker
#                       ARGS... --control`, background name broker) whose control commands ("down 2",
#                       "up 2", "fail-commits N") go to file descriptor 3; sets CONTROLLED_BROKERS

# shellcheck disable=SC2034 # variables set here (BG_STATUS, ...) are read by the test scripts
set -euo pipefail
set -E # the ERR trap below also fires inside functions

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TICKLAKE=${TICKLAKE_BIN:-$ROOT/ticklake}
KAFKA_KIND=${KAFKA_KIND:-embedded}
TEST_NAME=$(basename "$0" .sh)
export ROOT TICKLAKE KAFKA_KIND

fail() {
    echo "not ok: $*" >&2
    local f
    for f in ${FAIL_SHOW:-}; do
        [ -s "$f" ] || continue
        echo "--- the last lines of $f:" >&2
        tail -n 40 "$f" | cut -c1-400 >&2
    done
    exit 1
}

skip() {
    echo "skip: $*"
    exit 77
}

assert_eq() {
    [ "$1" != "$2" ] || return 0
    local a=$1 b=$2
    # Make invisible differences (a trailing \r, a tab) visible.
    if [[ $a$b == *[![:print:]]* ]]; then
        a=$(printf '%q' "$1")
        b=$(printf '%q' "$2")
    fi
    fail "${3:-assert_eq}: '$a' != '$b'"
}

assert_ge() {
    [[ $1 =~ ^-?[0-9]+$ && $2 =~ ^-?[0-9]+$ ]] || fail "${3:-assert_ge}: '$1' or '$2' is not an integer"
    [ "$1" -ge "$2" ] || fail "${3:-assert_ge}: $1 < $2"
}

wait_for() {
    local secs=$1 whole frac deadline
    shift
    # SECS may have a fraction ("0.5"); the deadline is in microseconds of bash's clock, so slow
    # commands do not stretch the timeout.
    whole=${secs%%.*}
    frac=0
    [[ $secs != *.* ]] || frac=${secs#*.}000000
    deadline=$((${EPOCHREALTIME/./} + 10#${whole:-0} * 1000000 + 10#${frac:0:6}))
    while true; do
        "$@" >/dev/null 2>&1 && return 0
        [ "${EPOCHREALTIME/./}" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

# The sequence number lives in a file so that names taken in $(...) subshells are unique too.
unique_name() {
    local n=0
    [ ! -f "$T/.unique_name" ] || n=$(<"$T/.unique_name")
    n=$((n + 1))
    echo "$n" >"$T/.unique_name"
    echo "$1-${TEST_NAME%%-*}-$EPOCHSECONDS-$$-$n"
}

# Background processes: NAME -> pid. Each is started with SIGINT/SIGQUIT at their default action
# (a non-interactive bash makes background jobs ignore them), so tests can stop them with INT too.
declare -A TL_BG_PIDS=()
TL_DEFAULT_SIGNALS=(env "--default-signal=INT,QUIT")
env --default-signal=INT true 2>/dev/null || TL_DEFAULT_SIGNALS=() # coreutils < 8.31
BG_STATUS=
BG_STOP_TIMEOUT=${BG_STOP_TIMEOUT:-10}

bg_start() {
    local name=$1
    shift
    [ -z "${TL_BG_PIDS[$name]:-}" ] || fail "bg_start: '$name' is already running"
    ! declare -F "$1" >/dev/null ||
        fail "bg_start: '$1' is a shell function; pass a program (an array can hold a long command line)"
    : >"$T/$name.out" # the files exist as soon as bg_start returns
    : >"$T/$name.err"
    "${TL_DEFAULT_SIGNALS[@]}" "$@" </dev/null >>"$T/$name.out" 2>>"$T/$name.err" &
    TL_BG_PIDS[$name]=$!
    tl_wait_exec "$!"
}

controlled_broker() {
    # The commands go on a FIFO (bg_start reads /dev/null).
    mkfifo "$T/ctl"
    "${TL_DEFAULT_SIGNALS[@]}" "$TICKLAKE" broker "$@" --control <"$T/ctl" \
        >"$T/broker.out" 2>"$T/broker.err" &
    TL_BG_PIDS[broker]=$!
    exec 3>"$T/ctl" # the broker's open of the FIFO returns once this end is open
    tl_wait_exec "$(bg_pid broker)"
    tl_broker_addr() { [ -s "$T/broker.out" ]; }
    wait_for 30 tl_broker_addr || fail "the embedded cluster did not start: $(cat "$T/broker.err")"
    CONTROLLED_BROKERS=$(head -1 "$T/broker.out")
}

# tl_wait_exec PID: wait (up to 2 s) until the forked child PID has exec'd its program. Until then it
# is a copy of this shell, and a signal sent to it (an early bg_stop, or the exit trap) would run this
# script's traps in the child instead of reaching the program.
tl_wait_exec() {
    local i exe
    for ((i = 0; i < 200; i++)); do
        exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 0 # gone already
        [ "$exe" = "$TL_SHELL_EXE" ] || return 0
        sleep 0.01
    done
}

bg_pid() {
    [ -n "${TL_BG_PIDS[$1]:-}" ] || fail "bg_pid: no background process named $1"
    echo "${TL_BG_PIDS[$1]}"
}

bg_alive() {
    local pid=${TL_BG_PIDS[$1]:-}
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

bg_stop() {
    local name=$1 sig=${2:-TERM} pid waited=0
    [ -n "${TL_BG_PIDS[$name]:-}" ] || fail "bg_stop: no background process named $name"
    pid=${TL_BG_PIDS[$name]}
    kill -s "$sig" "$pid" 2>/dev/null || true
    # Polled every 0.1 s (wait_for's 0.2 s would add up over a test's many stops).
    while ! tl_gone "$pid" && [ "$waited" -lt $((BG_STOP_TIMEOUT * 10)) ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    if ! tl_gone "$pid"; then
        echo "bg_stop: '$name' (pid $pid) did not exit on SIG$sig in ${BG_STOP_TIMEOUT}s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    tl_reap "$name"
}

# bash reaps its finished children as it goes, so kill -0 fails as soon as the process is gone.
tl_gone() { ! kill -0 "$1" 2>/dev/null; }

bg_wait() {
    local pid
    pid=$(bg_pid "$1")
    wait_for "$2" tl_gone "$pid" || fail "bg_wait: '$1' still runs after ${2}s"
    tl_reap "$1"
}

# tl_reap NAME: NAME has exited; BG_STATUS is its exit status, and it is forgotten.
tl_reap() {
    BG_STATUS=0
    wait "${TL_BG_PIDS[$1]}" 2>/dev/null || BG_STATUS=$?
    unset "TL_BG_PIDS[$1]"
}

# At exit: kill what is still running in the background, then remove $T (or say where it was kept).
tl_cleanup() {
    local rc=$? name pid
    # A background child signalled before it has exec'd its program still runs the script's traps:
    # only the script's own shell cleans up.
    [ "$BASHPID" = "$TL_MAIN_PID" ] || exit "$rc"
    trap - ERR
    for name in "${!TL_BG_PIDS[@]}"; do
        pid=${TL_BG_PIDS[$name]}
        kill -TERM "$pid" 2>/dev/null || true
    done
    for name in "${!TL_BG_PIDS[@]}"; do
        pid=${TL_BG_PIDS[$name]}
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "${TEST_KEEP:-0}" = 1 ]; then
        echo "kept: $T" >&2
    else
        rm -rf "$T"
    fi
    exit "$rc"
}

TL_MAIN_PID=$BASHPID
TL_SHELL_EXE=$(readlink "/proc/$$/exe") # $$: the shell itself, not this $(...)
T=$(mktemp -d "${TMPDIR:-/tmp}/ticklake-$TEST_NAME.XXXXXX")
export T
trap tl_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# set -e stops the script at a failing command; say which one.
tl_on_err() {
    echo "not ok: $(basename "${BASH_SOURCE[1]}"):$2: \`$3\` exited with $1" >&2
}
trap 'tl_on_err "$?" "$LINENO" "$BASH_COMMAND"' ERR

# s3_start: skip unless versitygw (or go to build it) is there; start versitygw with auth on in
# $T/s3 (tests/s3/s3server.sh), stopped at exit; load its credentials (the server's profile
# file; AWS_* keys, region and endpoint from the environment are cleared); set S3 (the server script),
# endpoint and bucket; and point TMPDIR (the sink's staging folder) into $T.
s3_start() {
    compgen -G "$ROOT/.cache/versitygw-*/bin/versitygw" >/dev/null || command -v go >/dev/null ||
        [ -x /usr/local/go/bin/go ] || skip "no versitygw and no go to build it (tests/s3/s3server.sh fetch)"
    S3=$ROOT/tests/s3/s3server.sh
    "$S3" start "$T/s3" >/dev/null || fail "could not start the S3 server (versitygw)"
    trap s3_cleanup EXIT
    # shellcheck disable=SC1091
    . "$T/s3/env"
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION \
        AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 TICKLAKE_CACHE_DIR
    endpoint=$(cat "$T/s3/endpoint")
    bucket=$(cat "$T/s3/bucket")
    export TMPDIR=$T/tmp
    mkdir -p "$TMPDIR"
}
KAFKA_LIBS=$ROOT/.cache/kafka-3.9.1/libs
need_topic_configs() {
    [ "$KAFKA_KIND" = real ] || skip "topic configs are a real broker's (the embedded one has none)"
    [ -d "$KAFKA_LIBS" ] || skip "Kafka's jars are not in $KAFKA_LIBS"
}
topic_configs() {
    local topic=$1
    shift
    java -cp "$KAFKA_LIBS/*" kafka.admin.ConfigCommand --bootstrap-server "$BROKERS" \
        --entity-type topics --entity-name "$topic" "$@" 2>&1
}
kafka_end_sum() {
    local parts q=() p
    parts=$(kcat -L -b "$BROKERS" -t "$1" 2>/dev/null | sed -n 's/^ *partition \([0-9]*\),.*/\1/p')
    [ -n "$parts" ] || fail "kafka_end_sum: no partitions of '$1'"
    for p in $parts; do q+=(-t "$1:$p:-1"); done
    kcat -Q -b "$BROKERS" "${q[@]}" | awk '$(NF - 1) == "offset" { s += $NF; n++ }
        END { if (n != '"$(wc -w <<<"$parts")"') exit 1; print s }' ||
        fail "kafka_end_sum: no end offset for every partition of '$1'"
}

# At exit stop the S3 server too (only the script's own shell does, as tl_cleanup).
s3_cleanup() {
    local rc=$?
    [ "$BASHPID" != "$TL_MAIN_PID" ] || "$S3" stop "$T/s3" >/dev/null 2>&1 || true
    # tl_cleanup reads the status from $?; under set -e a failing (exit) would end the script here,
    # before the background processes are killed.
    trap - ERR
    set +e
    (exit "$rc")
    tl_cleanup
}

[ -n "${BROKERS:-}" ] || fail "BROKERS is not set (run tests/run-all.sh, or set BROKERS=host:port)"
case $KAFKA_KIND in
embedded | real) ;;
*) fail "KAFKA_KIND must be embedded or real, not '$KAFKA_KIND'" ;;
esac
export BROKERS
[ -x "$TICKLAKE" ] || fail "$TICKLAKE is not built (run make)"
