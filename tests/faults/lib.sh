# lib.sh - shared helpers for the fault tests tests/faults/tNNNN-*.sh: ingest, process and sink run
# against the 3-node cluster of `tests/kafka/kafka.sh cluster-start DIR` while a test breaks a node,
# and the result is compared with an uninterrupted run on the same input. On top of
# tests/integration/lib.sh (T, bg_start, wait_for, assert_eq, ...). `FAULTS=1 tests/run-all.sh` starts
# the cluster and runs them; by hand:
#   tests/kafka/kafka.sh cluster-start /tmp/c && KAFKA_CLUSTER=/tmp/c bash tests/faults/t0010-x.sh
#
# Provided (besides tests/integration/lib.sh's):
#   KAFKA_CLUSTER     the cluster's directory (required); BROKERS defaults to its bootstrap list
#   kc CMD ARG...     tests/kafka/kafka.sh CMD "$KAFKA_CLUSTER" ARG... (kill9, restart, leader, ...)
#   RATE, N           trades per second (FAULT_RATE, default 50000) and trades per run
#                     (FAULT_SECONDS of them, default 30)
#   reference         one uninterrupted run (ingest as fast as it can, then process) of the same
#                     input: $T/ref.all holds its committed bars, indicators and alerts
#   fault_start       start the run under test: paced ingest (RATE/s), process and sink (prefix $pre)
#   wait_trades NUM   wait until the run's trades topic holds NUM trades
#   mark_fault        note the time and every trades partition's end offset: the fault happens now
#   since_fault       seconds since mark_fault (one decimal)
#   sleep_until SECS  sleep until SECS seconds after mark_fault
#   wait_recovered SECS  wait until every trades partition has taken writes since mark_fault; sets
#                     RECOVERED (seconds, one decimal) and prints it
#   fault_check       after the fault: ingest exits 0 having delivered N; the trades topic holds
#                     every trade once (read_committed: count and distinct ids); the committed
#                     output equals the reference's; the lake holds every trade once; process and
#                     sink never exited (they stop with 0 on SIGTERM)
# shellcheck disable=SC2034 # variables set here are read by the test scripts

[ -n "${KAFKA_CLUSTER:-}" ] || { echo "not ok: KAFKA_CLUSTER is not set (a tests/kafka/kafka.sh cluster-start DIR)" >&2; exit 1; }
KAFKA_CLUSTER=$(cd "$KAFKA_CLUSTER" && pwd)
BROKERS=${BROKERS:-$(cat "$KAFKA_CLUSTER/bootstrap")}
KAFKA_KIND=real
# shellcheck source=../integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
command -v kcat >/dev/null || skip "kcat is not installed"

kc() { bash "$ROOT/tests/kafka/kafka.sh" "$1" "$KAFKA_CLUSTER" "${@:2}"; }

RATE=${FAULT_RATE:-50000}
N=$((RATE * ${FAULT_SECONDS:-30}))
# The same seed, rate and count give the same trades in the same partition order, whatever the pace.
SIM=(--rate "$RATE" --count "$N" --symbols 100 --seed 18 --start 2026-02-03 --scenario flash-crash@10 -q)
PROC=(--intervals 1s,10s --lateness 200ms --idle-timeout 2s -X session.timeout.ms=6000)

read_topic() { kcat -C -b "$BROKERS" -t "$1" -e -q -X isolation.level=read_committed -f '%s\n' 2>/dev/null; }
committed_all() { # prefix -> sorted committed bars, indicators and alerts, each tagged
    local t
    for t in bars.1s bars.10s indicators.1s indicators.10s alerts; do
        read_topic "$1$t" | sed "s/^/$t /"
    done | sort
}
count() { grep -c "^$1" "$T/$2" || true; }

reference() {
    local ref started=$SECONDS
    ref=$(unique_name ref).
    "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$ref" --speed max "${SIM[@]}"
    bg_start ref "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$ref" \
        --group "$(unique_name g)" "${PROC[@]}"
    kcat -C -b "$BROKERS" -t "${ref}trades" -e -q -f '%p %s\n' >"$T/ref.trades"
    all_closed() {
        for iv in 1s 10s; do read_topic "${ref}bars.$iv"; done | sort >"$T/ref.bars" &&
            python3 "$ROOT/tests/integration/barcheck.py" "$T/ref.trades" "$T/ref.bars" \
                --lateness-ns 200000000 --intervals 1s,10s --all >"$T/ref.barcheck"
    }
    wait_for 300 all_closed || { cat "$T/ref.barcheck" >&2; fail "the uninterrupted run did not produce every bar"; }
    bg_stop ref TERM
    assert_eq "$BG_STATUS" 0 "reference process exit status"
    committed_all "$ref" >"$T/ref.all"
    rm -f "$T/ref.trades"
    echo "reference: $N trades, $(count bars ref.all) bars, $(count indicators ref.all) indicators," \
        "$(count alerts ref.all) alerts ($((SECONDS - started)) s)"
    [ "$(count alerts ref.all)" -ge 1 ] || fail "the reference run raised no alert: nothing to compare"
}

fault_start() {
    pre=$(unique_name f).
    lake=$T/lake
    FAULT_STARTED=$SECONDS
    bg_start ingest "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --speed 1 "${SIM[@]}"
    # The processor and the sink create their topics (and wait for trades) meanwhile.
    bg_start process "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$pre" \
        --group "$(unique_name g)" --instance-id 0 "${PROC[@]}"
    bg_start sink "$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$pre" --group "$(unique_name s)" \
        --lake "$lake" --roll-interval 2s --instance-id 0 -X session.timeout.ms=6000
}

# end_offsets TOPIC: "partition offset" lines, each asked of its leader (up to 3 s).
end_offsets() {
    local q=() p
    for p in $(seq 0 3); do q+=(-t "$1:$p:-1"); done
    timeout 3 kcat -Q -b "$BROKERS" "${q[@]}" 2>/dev/null |
        awk '$(NF - 1) == "offset" && $NF >= 0 { print $(NF - 2), $NF }' | tr -d ']['
}

wait_trades() {
    have_trades() { local s; s=$(end_offsets "${pre}trades" | awk '{ s += $2 } END { print s + 0 }'); [ "$s" -ge "$1" ]; }
    wait_for 120 have_trades "$1" || fail "the run's trades topic did not reach $1 trades"
}

mark_fault() {
    FAULT_AT=$(date +%s.%N)
    end_offsets "${pre}trades" >"$T/at-fault"
    [ "$(wc -l <"$T/at-fault")" -eq 4 ] || fail "no end offset for every trades partition before the fault"
}

since_fault() { awk -v a="$FAULT_AT" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
sleep_until() {
    local left
    left=$(awk -v a="$FAULT_AT" -v b="$(date +%s.%N)" -v s="$1" 'BEGIN { l = a + s - b; printf "%.2f", (l > 0 ? l : 0) }')
    sleep "$left"
}

wait_recovered() {
    grown() {
        end_offsets "${pre}trades" >"$T/now" &&
            [ "$(wc -l <"$T/now")" -eq 4 ] &&
            join "$T/at-fault" "$T/now" | awk '$3 <= $2 { bad = 1 } END { exit bad }'
    }
    if bg_alive ingest; then
        wait_for "$1" grown || fail "trades partitions took no writes $1 s after the fault: $(cat "$T/now" 2>/dev/null | tr '\n' ' ')"
    fi
    RECOVERED=$(since_fault)
    echo "recovered: every trades partition took writes ${RECOVERED} s after the fault"
}

fault_check() {
    bg_wait ingest 300
    assert_eq "$BG_STATUS" 0 "ingest exit status"
    local took=$((SECONDS - FAULT_STARTED)) delivered
    delivered=$(sed -n 's/.* \([0-9]*\) delivered.*/\1/p' "$T/ingest.err" | tail -1)
    assert_eq "$delivered" "$N" "trades delivered by ingest"
    echo "ingest: $N trades in $took s ($(tail -1 "$T/ingest.err"))"
    # Every trade once in Kafka: count and distinct ids, as a read_committed consumer sees them.
    read_topic "${pre}trades" | python3 -c '
import json, sys
n, ids = 0, set()
for line in sys.stdin:
    if line.strip():
        n += 1
        ids.add(json.loads(line)["id"])
print(n, len(ids), min(ids), max(ids))' >"$T/kafka.ids"
    assert_eq "$(cat "$T/kafka.ids")" "$N $N 1 $N" "trades in Kafka (records distinct-ids min-id max-id)"
    same_as_ref() { committed_all "$pre" >"$T/got.all" && cmp -s "$T/ref.all" "$T/got.all"; }
    if ! wait_for 180 same_as_ref; then
        for k in bars indicators alerts; do
            echo "$k: reference $(count $k ref.all), got $(count $k got.all)" >&2
        done
        diff "$T/ref.all" "$T/got.all" | head -10 >&2 || true
        echo "process log (warnings and errors, the last 40):" >&2
        grep -E "(warn|error): " "$T/process.err" | tail -40 >&2 || true
        tail -3 "$T/process.err" >&2 || true
        fail "the committed output differs from the uninterrupted run's"
    fi
    echo "process: committed output equals the uninterrupted run's ($(count bars got.all) bars, $(count alerts got.all) alerts)"
    lake_rows() {
        [ -d "$lake/trades" ] && "$TICKLAKE" crawl --lake "$lake" >/dev/null 2>&1 &&
            "$TICKLAKE" query --lake "$lake" --format csv \
                "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM trades" | tail -1
    }
    all_landed() { [ "$(lake_rows)" = "$N,$N,1,$N" ]; }
    wait_for 180 all_landed || fail "the lake holds (rows,distinct ids,min,max) $(lake_rows), expected $N,$N,1,$N"
    echo "sink: the lake holds every trade once"
    local s
    for s in process sink; do
        bg_alive "$s" || { tail -5 "$T/$s.err" >&2; fail "$s exited during the run"; }
        bg_stop "$s" TERM
        assert_eq "$BG_STATUS" 0 "$s exit status after SIGTERM"
    done
}
