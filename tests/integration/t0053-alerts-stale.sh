#!/usr/bin/env bash
# Stale alerts across restarts and replays (docs/DATA.md: "once per silence"): trading in AAPL halts
# for 90 s of event time (--scenario halt@10), longer than --alert-stale 45s. The simulated trades
# reach the processor's topic in four parts cut by event time (0-40 s, 40-70 s: the threshold passes
# at 55 s, 70-90 s: still halted, 90-130 s: trading resumes), each read by a new run of one group
# that restores its state and replays its open windows; the run of the second part is also
# stopped the moment the alert shows on alerts.live (SIGKILL with transactions on a real broker,
# SIGTERM on the embedded one, where a kill may repeat outputs). The group commits exactly one stale
# alert for AAPL, for its last bar before the halt, at the watermark 45 s after it, none for any
# other symbol, and the same alerts as a new group reading the whole input in one run.
. "$(dirname "$0")/lib.sh"

command -v kcat >/dev/null || skip "kcat is not installed"
started=$SECONDS
src=$(unique_name src).
pre=$(unique_name s).
start_s=$(date -ud 2026-03-02 +%s)
stop_sig=TERM
[ "$KAFKA_KIND" = real ] && stop_sig=KILL
# 130 s of event time for 40 symbols (10 trades/s each, so every symbol but AAPL has a bar every
# second and each partition's watermark moves on during the halt).
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$src" --rate 400 --speed max --count 52000 \
    --symbols 40 --seed 53 --start 2026-03-02 --scenario halt@10 -q 2>/dev/null
kcat -C -b "$BROKERS" -t "${src}trades" -e -q -f '%p\t%k\t%s\n' >"$T/dump"
assert_eq "$(wc -l <"$T/dump")" 52000 "simulated trades"
# part-<k>-<partition>: "key<TAB>value" lines in offset order, by event time (seconds from the start).
python3 - "$T/dump" "$T" "$start_s" <<'PY'
import json, sys
dump, out, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
cuts = [40, 70, 90]
files = {}
with open(dump) as f:
    for line in f:
        p, key, value = line.rstrip("\n").split("\t", 2)
        sec = json.loads(value)["ts"] / 1e9 - start
        k = sum(sec >= c for c in cuts) + 1
        if (k, p) not in files:
            files[(k, p)] = open(f"{out}/part-{k}-{p}", "w")
        files[(k, p)].write(f"{key}\t{value}\n")
PY
deliver() { # K: append part K to the processor's input, each record to its original partition
    local f
    for f in "$T"/part-"$1"-*; do
        kcat -P -b "$BROKERS" -t "${pre}trades" -p "${f##*-}" -K $'\t' -l "$f" ||
            fail "could not produce $f"
    done
}
# No idle timeout: watermarks move with the input alone, so every run sees the same ones. A new run
# takes over the partitions of the group's static member once the last run's session ended: short
# sessions on the embedded broker (a real one takes them over at once, with at least 6 s).
session=(-X session.timeout.ms=6000)
[ "$KAFKA_KIND" = real ] || session=(-X session.timeout.ms=3000 -X heartbeat.interval.ms=1000)
proc() { # NAME GROUP [options]
    bg_start "$1" "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$pre" --group "$2" \
        --intervals 1s --idle-timeout 0 --alert-stale 45s "${session[@]}" "${@:3}"
}
run_drain() { # NAME GROUP: read the input to its end, then stop
    proc "$1" "$2" --drain
    bg_wait "$1" 90
    assert_eq "$BG_STATUS" 0 "$1 exit status"
}
read_topic() { kcat -C -b "$BROKERS" -t "$pre$1" -e -q -X isolation.level=read_committed -f '%s\n'; }
stale_aapl() { grep -c '^{"symbol":"AAPL","kind":"stale"' || true; }
restored() { grep -q "restored [1-9][0-9]* series" "$T/$1.err" || fail "$1 restored no state: $(grep restored "$T/$1.err")"; }

group=$(unique_name g)
run_drain p0 "$group" # creates the topics (4 partitions), reads nothing
deliver 1
run_drain p1 "$group"
assert_eq "$(read_topic alerts | stale_aapl)" 0 "stale alerts 30 s into the halt"
deliver 2
proc p2 "$group"
live_alert() { [ "$(kcat -C -b "$BROKERS" -t "${pre}alerts.live" -e -q 2>/dev/null | stale_aapl)" -ge 1 ]; }
wait_for 60 live_alert || fail "no stale alert for AAPL on alerts.live: $(tail -3 "$T/p2.err")"
bg_stop p2 "$stop_sig"
restored p2
run_drain p2b "$group"
restored p2b
assert_eq "$(read_topic alerts | stale_aapl)" 1 "stale alerts 60 s into the halt"
deliver 3
run_drain p3 "$group"
restored p3
deliver 4
run_drain p4 "$group"
restored p4
read_topic alerts | sort >"$T/restarted"

# The whole input replayed by a new group in one run.
run_drain ref "$(unique_name g)"
# Only the new group's alerts (the first group's are in the topic too): comm's difference of the
# sorted lines counts repeats.
read_topic alerts | sort >"$T/all"
comm -23 "$T/all" "$T/restarted" >"$T/ref"
assert_eq "$(wc -l <"$T/all")" "$(($(wc -l <"$T/ref") + $(wc -l <"$T/restarted")))" "alerts of both groups"
diff "$T/ref" "$T/restarted" >"$T/diff" ||
    fail "alerts after restarts (>) differ from one run's (<): $(head -c 1500 "$T/diff")"

# Exactly one stale alert for AAPL, right for the halt, and none for anyone else.
assert_eq "$(stale_aapl <"$T/restarted")" 1 "stale alerts for AAPL"
assert_eq "$(grep -c '"kind":"stale"' "$T/restarted" || true)" 1 "stale alerts of any symbol"
a=$(grep '^{"symbol":"AAPL","kind":"stale"' "$T/restarted")
# Its bar is AAPL's last before the halt, [9 s, 10 s); it fires when the watermark passes 10 s + 45 s.
[[ $a == *"\"window_start\":$((start_s + 9))000000000,"* ]] || fail "the stale alert carries the wrong bar: $a"
[[ $a =~ \"ts\":$((start_s + 55))[0-9]{9}, ]] || fail "the stale alert is not at the watermark 55 s in: $a"
[[ $a =~ \"value\":45\.[0-9]+,\"threshold\":45, ]] || fail "the stale alert's value or threshold: $a"
# When trading resumes the silence is over: AAPL's reopening gap is there.
grep -q '^{"symbol":"AAPL","kind":"gap"' "$T/restarted" || fail "no gap alert when AAPL reopened"
echo "ok: stale alerts ($KAFKA_KIND, SIG$stop_sig: 1 stale alert of $(wc -l <"$T/restarted") after 5 restarts, as in one run; $((SECONDS - started)) s)"
