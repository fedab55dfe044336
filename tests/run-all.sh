#!/usr/bin/env bash
# run-all.sh - the whole ticklake test suite, as CI runs it (through ./dev test and .ci/run).
#
#   tests/run-all.sh [--quick]
#
# Steps, each under a "== ..." header:
#   build        make (release build of ./ticklake)
#   unit         make unit: every tests/unit/test_*.c binary
#   asan         make asan: the unit tests again under AddressSanitizer + UBSan
#   embedded     tests/integration/t*.sh against `ticklake broker` (librdkafka's mock cluster)
#   real         the same scripts against a real Apache Kafka 3.9.1 (tests/kafka/kafka.sh), with
#                KAFKA_SECURE naming its directory (its SASL_SSL listener, for t0110)
#   s3           the S3 backend against a real S3-compatible server (tests/s3/run.sh)
#   fuzz         make fuzz, then each build/fuzz/fuzz_* for FUZZ_SECONDS on a copy of its corpus, JOBS
#                targets at a time
# --quick skips asan, the real broker, S3 and fuzz. PEERS=1 also runs tests/peers/t*.sh on the real
# broker (Trino over the lake: fetches about 450 MB once and takes minutes, so CI leaves it off).
# FAULTS=1 (with or without --quick) also starts a 3-broker Kafka cluster (tests/kafka/kafka.sh
# cluster-start) and runs tests/faults/t*.sh on it: brokers killed, hung and restarted under ingest,
# process and sink at 50,000 trades/s (a few minutes per script, so CI leaves it off).
#
# Counting: each unit test counts once per build (unit and asan); each integration script counts once
# per broker (exit 0 passes, exit 77 is skipped, anything else fails); each fuzz target counts once.
# A step that fails without counting anything (e.g. a compile error) counts as one failure. The last
# line is the total, "N passed, N failed" (", N skipped" added when some were), and the exit status is
# non-zero when anything failed.
#
# Environment: JOBS (make -j, default: CPU count), FUZZ_SECONDS (default 30), TEST_TIMEOUT (seconds per
# integration script, default 300; FAULT_TIMEOUT for a fault script, default 900), TEST_KEEP=1 (keep the temp dirs and logs; printed at the end).
set -uo pipefail # not -e: a failing step is counted and the suite goes on

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

usage() { echo "usage: $0 [--quick]" >&2; }
QUICK=0
for arg in "$@"; do
    case $arg in
    --quick) QUICK=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage; exit 2 ;;
    esac
done

JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
KAFKA_VERSION=3.9.1

PASSED=0
FAILED=0
SKIPPED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ticklake-tests.XXXXXX")
mkdir -p "$WORK/logs"
[ "${TEST_KEEP:-0}" != 1 ] || echo "TEST_KEEP=1: logs and temp files are kept in $WORK"

# Background processes get SIGINT/SIGQUIT back at their default action (a non-interactive bash makes
# background jobs ignore them), so `ticklake broker` and the scripts behave as when run by hand.
DEFAULT_SIGNALS=(env "--default-signal=INT,QUIT")
env --default-signal=INT true 2>/dev/null || DEFAULT_SIGNALS=() # coreutils < 8.31

# What the exit trap must stop: the embedded broker, the real broker's directory, the running script.
BROKER_PID=
KAFKA_DIR=
CLUSTER_DIR=
CHILD=

# stop_pid PID SECS: TERM, wait up to SECS, then KILL; sets STOP_STATUS to PID's exit status.
stop_pid() {
    local pid=$1 n=0
    kill -TERM "$pid" 2>/dev/null
    while kill -0 "$pid" 2>/dev/null && [ "$n" -lt $(($2 * 5)) ]; do
        sleep 0.2
        n=$((n + 1))
    done
    kill -KILL "$pid" 2>/dev/null && echo "killed pid $pid after ${2}s"
    STOP_STATUS=0
    wait "$pid" 2>/dev/null || STOP_STATUS=$?
}

MAIN_PID=$BASHPID
cleanup() {
    # A child signalled between fork and exec runs this script's traps: only the script cleans up.
    [ "$BASHPID" = "$MAIN_PID" ] || return 0
    trap '' INT TERM
    [ -z "$CHILD" ] || stop_pid "$CHILD" 15
    [ -z "$BROKER_PID" ] || stop_pid "$BROKER_PID" 15
    [ -z "$KAFKA_DIR" ] || tests/kafka/kafka.sh stop "$KAFKA_DIR"
    [ -z "$CLUSTER_DIR" ] || tests/kafka/kafka.sh cluster-stop "$CLUSTER_DIR"
    [ "${TEST_KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

STEP_START=0
header() {
    STEP_START=$SECONDS
    printf '\n== %s\n' "$*"
}
footer() { # footer NAME PASSED FAILED [SKIPPED]
    local extra=
    [ "${4:-0}" -eq 0 ] || extra=", $4 skipped"
    echo "-- $1: $2 passed, $3 failed$extra ($((SECONDS - STEP_START))s)"
}

# indent FILE: show a log, indented, after a failure.
indent() { sed 's/^/    | /' "$1"; }

# make_counted NAME TARGET: run `make TARGET`, whose last "unit: N passed, N failed" line gives the
# counts; a failure without counts (compile error) is one failure.
make_counted() {
    local name=$1 target=$2 log=$WORK/logs/$1.log rc line p=0 f=0
    make -j"$JOBS" "$target" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    line=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        p=${BASH_REMATCH[1]}
        f=${BASH_REMATCH[2]}
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
    footer "$name" "$p" "$f"
}

shopt -s nullglob
SCRIPTS=(tests/integration/t[0-9][0-9][0-9][0-9]-*.sh)
shopt -u nullglob

# run_scripts KIND BROKERS: every integration script, each in the background (so a signal to this
# script is handled at once) under timeout, which gives it its own process group and kills the whole
# group on expiry.
run_scripts() {
    local kind=$1 brokers=$2 t name log rc start p=0 f=0 s=0
    for t in "${SCRIPTS[@]}"; do
        name=$(basename "$t" .sh)
        log=$WORK/logs/$kind-$name.log
        start=$SECONDS
        BROKERS=$brokers KAFKA_KIND=$kind "${DEFAULT_SIGNALS[@]}" \
            timeout -k 10 "$TEST_TIMEOUT" bash "$t" </dev/null >"$log" 2>&1 &
        CHILD=$!
        wait "$CHILD"
        rc=$?
        CHILD=
        case $rc in
        0)
            p=$((p + 1))
            echo "ok   $name ($((SECONDS - start))s)"
            ;;
        77)
            s=$((s + 1))
            echo "skip $name: $(grep -m1 '^skip:' "$log" | cut -c7-)"
            ;;
        *)
            f=$((f + 1))
            [ "$rc" -ne 124 ] || echo "timeout after ${TEST_TIMEOUT}s" >>"$log"
            echo "FAIL $name (exit $rc, $((SECONDS - start))s), output:"
            # The verdict first: a long log shown before it can be cut from a CI summary.
            grep -m1 '^not ok' "$log" | cut -c1-400 | sed 's/^/  /' || true
            indent "$log"
            ;;
        esac
    done
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
    SKIPPED=$((SKIPPED + s))
    footer "integration ($kind)" "$p" "$f" "$s"
}

# integration_ready: false (after saying why) when there is nothing to run or nothing to run it on.
integration_ready() {
    if [ "${#SCRIPTS[@]}" -eq 0 ]; then
        echo "no integration scripts (tests/integration/tNNNN-*.sh)"
        footer integration 0 0
        return 1
    fi
    if [ ! -x ./ticklake ]; then
        echo "skipped: ./ticklake was not built (the build failure is counted above)"
        return 1
    fi
}

# (a) The release build; the integration steps use ./ticklake.
header "build: make"
if make -j"$JOBS"; then
    footer build 0 0
else
    FAILED=$((FAILED + 1))
    footer build 0 1
fi

# (b) Unit tests.
header "unit: make unit"
make_counted unit unit

# (c) Unit tests under ASan + UBSan.
if [ "$QUICK" -eq 0 ]; then
    header "asan: make asan"
    make_counted asan asan
fi

# (d) Integration scripts on the embedded broker (`ticklake broker`: librdkafka's mock cluster).
# It prints its bootstrap address as the first line of stdout and runs until SIGINT/SIGTERM.
header "integration: embedded broker (ticklake broker)"
if integration_ready; then
    "${DEFAULT_SIGNALS[@]}" ./ticklake broker </dev/null >"$WORK/broker.out" 2>"$WORK/broker.log" &
    BROKER_PID=$!
    addr=
    for _ in $(seq 150); do # up to 30 s for a complete first line
        IFS= read -r addr <"$WORK/broker.out" && break
        addr=
        kill -0 "$BROKER_PID" 2>/dev/null || break
        sleep 0.2
    done
    if [ -z "$addr" ]; then
        echo "FAIL: ticklake broker printed no bootstrap address; its stderr:"
        indent "$WORK/broker.log"
        stop_pid "$BROKER_PID" 5
        BROKER_PID=
        FAILED=$((FAILED + 1))
        footer "integration (embedded)" 0 1
    else
        echo "integration (embedded broker at $addr):"
        run_scripts embedded "$addr"
        if ! kill -0 "$BROKER_PID" 2>/dev/null; then
            wait "$BROKER_PID"
            echo "FAIL: ticklake broker exited during the tests (status $?); its stderr:"
            indent "$WORK/broker.log"
            FAILED=$((FAILED + 1))
        else
            stop_pid "$BROKER_PID" 15
            [ "$STOP_STATUS" -eq 0 ] || echo "note: ticklake broker exited with status $STOP_STATUS on SIGTERM"
        fi
        BROKER_PID=
    fi
fi

# (e) The same scripts on a real Kafka broker (KRaft, from Maven Central jars), stopped by the exit
# trap whatever happens.
if [ "$QUICK" -eq 0 ]; then
    header "integration: real Kafka $KAFKA_VERSION"
    if integration_ready; then
        KAFKA_DIR=$WORK/kafka
        if addr=$(tests/kafka/kafka.sh start "$KAFKA_DIR"); then
            echo "integration (real Kafka $KAFKA_VERSION at $addr):"
            KAFKA_SECURE=$KAFKA_DIR run_scripts real "$addr"
            if [ "${PEERS:-0}" = 1 ]; then
                echo "peers (PEERS=1: tests/peers/, other engines over the lake; slow, not in CI):"
                SCRIPTS=(tests/peers/t[0-9][0-9][0-9][0-9]-*.sh)
                run_scripts real "$addr"
            fi
            tests/kafka/kafka.sh stop "$KAFKA_DIR"
        else
            echo "FAIL: could not start Kafka $KAFKA_VERSION"
            FAILED=$((FAILED + 1))
            footer "integration (real)" 0 1
        fi
        KAFKA_DIR=
    fi
fi

# (e3) FAULTS=1: the fault tests on a 3-broker cluster, stopped by the exit trap whatever happens.
if [ "${FAULTS:-0}" = 1 ]; then
    header "faults: tests/faults/ on a 3-broker Kafka $KAFKA_VERSION cluster"
    CLUSTER_DIR=$WORK/cluster
    if addr=$(tests/kafka/kafka.sh cluster-start "$CLUSTER_DIR"); then
        echo "faults (3-broker cluster at $addr):"
        saved=("${SCRIPTS[@]}")
        shopt -s nullglob
        SCRIPTS=(tests/faults/t[0-9][0-9][0-9][0-9]-*.sh)
        shopt -u nullglob
        KAFKA_CLUSTER=$CLUSTER_DIR KAFKA_SECURE=$CLUSTER_DIR TEST_TIMEOUT=${FAULT_TIMEOUT:-900} \
            run_scripts faults "$addr"
        SCRIPTS=("${saved[@]}")
        tests/kafka/kafka.sh cluster-stop "$CLUSTER_DIR"
    else
        echo "FAIL: could not start a 3-broker Kafka $KAFKA_VERSION cluster"
        FAILED=$((FAILED + 1))
        footer faults 0 1
    fi
    CLUSTER_DIR=
fi

# (e2) The S3 backend against a real S3-compatible server (versitygw) on loopback, with
# authentication on; tests/s3/run.sh starts it and always stops it.
if [ "$QUICK" -eq 0 ]; then
    header "s3: make s3-live (real S3 server on loopback)"
    log=$WORK/logs/s3.log
    p=0
    f=0
    make -j"$JOBS" s3-live 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        p=${BASH_REMATCH[1]}
        f=${BASH_REMATCH[2]}
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
    footer s3 "$p" "$f"
fi

# (f) Fuzz targets, each for a bounded time. The corpus is copied so that the new inputs libFuzzer
# finds are not written into the repo; a crash, leak, UB report or timeout fails the target.
if [ "$QUICK" -eq 0 ]; then
    header "fuzz: make fuzz, ${FUZZ_SECONDS}s per target"
    shopt -s nullglob
    fuzz_srcs=(tests/fuzz/fuzz_*.c)
    shopt -u nullglob
    p=0
    f=0
    if [ "${#fuzz_srcs[@]}" -eq 0 ]; then
        echo "no fuzz targets (tests/fuzz/fuzz_*.c)"
    elif ! make -j"$JOBS" fuzz; then
        f=1
    else
        # JOBS targets at a time (each libFuzzer run is one process on one core); the results are
        # reported in name order once a batch is done.
        names=()
        for src in "${fuzz_srcs[@]}"; do names+=("$(basename "$src" .c)"); done
        for ((i = 0; i < ${#names[@]}; i += JOBS)); do
            batch=("${names[@]:i:JOBS}")
            for name in "${batch[@]}"; do
                dir=$WORK/fuzz/$name
                mkdir -p "$dir/corpus" "$dir/artifacts"
                [ ! -d "tests/fuzz/corpus/$name" ] || cp -R "tests/fuzz/corpus/$name/." "$dir/corpus/"
                (
                    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                        timeout -k 10 $((FUZZ_SECONDS + 300)) "build/fuzz/$name" \
                        -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
                        -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus" \
                        </dev/null >"$dir/log" 2>&1
                    echo $? >"$dir/rc"
                ) &
            done
            wait
            for name in "${batch[@]}"; do
                dir=$WORK/fuzz/$name
                rc=$(cat "$dir/rc" 2>/dev/null || echo 1)
                runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
                if [ "$rc" -eq 0 ]; then
                    p=$((p + 1))
                    echo "ok   $name (${runs:-?} runs)"
                else
                    f=$((f + 1))
                    echo "FAIL $name (exit $rc), last lines of its log:"
                    tail -n 60 "$dir/log" | sed 's/^/    | /'
                    for a in "$dir"/artifacts/*; do
                        [ -f "$a" ] || continue
                        echo "    crashing input $(basename "$a") (base64, first 4 KiB):"
                        head -c 4096 "$a" | base64 | sed 's/^/    /'
                    done
                fi
            done
        done
    fi
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
    footer fuzz "$p" "$f"
fi

# The total, as the very last line.
echo
if [ "$SKIPPED" -gt 0 ]; then
    echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
else
    echo "$PASSED passed, $FAILED failed"
fi
[ "$FAILED" -eq 0 ]
