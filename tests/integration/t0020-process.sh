#!/usr/bin/env bash
# process: the bars it streams equal bars recomputed independently (Python)
# from the trades in Kafka, for every window that closed; a restart of the
# group adds no duplicate bars.
. "$(dirname "$0")/lib.sh"

pre=$(unique_name p).
group=$(unique_name g)
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate max --count 60000 \
    --symbols 30 --seed 3 --start 2026-01-02 -q
kcat -C -b "$BROKERS" -t "${pre}trades" -e -q -f '%p %s\n' >"$T/trades"
assert_eq "$(wc -l <"$T/trades")" 60000 "trades in Kafka"

bars() { kcat -C -b "$BROKERS" -t "${pre}bars.$1" -e -q -f '%s\n' 2>/dev/null; }
dump_bars() { { bars 1s; bars 1m; } >"$T/bars"; }
check() { dump_bars && python3 "$ROOT/tests/integration/barcheck.py" "$T/trades" "$T/bars" \
    --lateness-ns 200000000 --intervals 1s,1m; }

bg_start proc "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$pre" --group "$group" \
    --intervals 1s,1m --lateness 200ms
wait_for 60 check || { check || true; cat "$T/proc.err" >&2; fail "streamed bars differ from the recomputed ones"; }
bg_stop proc TERM
assert_eq "$BG_STATUS" 0 "process exit status after SIGTERM"
grep -q "60000 trades" "$T/proc.err" || fail "process did not report 60000 trades: $(tail -3 "$T/proc.err")"

# A restart resumes from the committed offsets and must not publish bars again.
before=$(wc -l <"$T/bars")
bg_start proc2 "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$pre" --group "$group" \
    --intervals 1s,1m --lateness 200ms
sleep 8
bg_stop proc2 TERM
assert_eq "$BG_STATUS" 0 "restarted process exit status"
check || fail "bars after a restart differ"
assert_eq "$(wc -l <"$T/bars")" "$before" "bars after a restart"
echo "ok: process"
