#!/usr/bin/env bash
# Indicators and alerts: a simulated flash crash raises a price-move alert on
# its symbol, carrying the bar that triggered it; every closed bar gets its
# indicators; ordinary trading around it raises (almost) nothing; the live
# feed (alerts.live, outside the transactions) carries the same alerts.
. "$(dirname "$0")/lib.sh"

pre=$(unique_name a).
# 60 s of event time at 2,000 trades/s; the crash 40 s in.
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate 2000 --speed max --count 120000 \
    --symbols 20 --seed 99 --start 2026-01-01 --scenario flash-crash@40 -q 2>/dev/null
bg_start proc "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$pre" \
    --group "$(unique_name g)" --intervals 1s --lateness 0 --idle-timeout 1s
alerts() { kcat -C -b "$BROKERS" -t "${pre}alerts" -e -q 2>/dev/null; }
crash_seen() { alerts | grep -q '"symbol":"AAPL","kind":"price_move"'; }
wait_for 60 crash_seen || { cat "$T/proc.err" >&2; fail "no price_move alert for the flash crash: $(alerts | head -3)"; }
a=$(alerts | grep '"symbol":"AAPL","kind":"price_move"' | sed -n 1p)
# The crash is 40 s after 2026-01-01T00:00:00Z: the triggering bar starts then.
[[ $a == *'"bar":{"symbol":"AAPL","interval":"1s","window_start":176722564'* ]] ||
    fail "alert carries the wrong bar: $a"
[[ $a =~ \"value\":-[0-9] ]] || fail "a crash has a negative z-score: $a"
# Counted once the processor has stopped: while it runs, the idle timeout keeps closing windows, so
# a bar counted now could get its indicator record after the indicators were counted.
bg_stop proc TERM
assert_eq "$BG_STATUS" 0 "process exit status on SIGTERM"
bars=$(kcat -C -b "$BROKERS" -t "${pre}bars.1s" -e -q | wc -l)
ind=$(kcat -C -b "$BROKERS" -t "${pre}indicators.1s" -e -q | wc -l)
assert_eq "$ind" "$bars" "indicator records vs bars"
total=$(alerts | wc -l)
echo "bars: $bars, alerts: $total"
[ "$total" -le $((bars / 100 + 3)) ] || fail "alerts flood: $total alerts for $bars bars"
# Without a crash or a rebalance, the live feed holds exactly the committed alerts, once each.
live=$(kcat -C -b "$BROKERS" -t "${pre}alerts.live" -e -q 2>/dev/null | sort)
assert_eq "$live" "$(alerts | sort)" "alerts.live vs alerts"
echo "ok: alerts"
