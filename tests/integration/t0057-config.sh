#!/usr/bin/env bash
# Config files and alert thresholds end to end: the same simulated trades
# raise (almost) no alerts with the default thresholds, and many with lower
# ones set in a config file (--config), each alert carrying the threshold it
# crossed; the command line wins over the file; a typo in the file, or a
# threshold the processor refuses, fails with FILE:LINE and status 2. Then the processor restarts with other EMA periods:
# the state it restores was made with the old ones, so each series starts
# afresh (logged) and the new periods are published; a sink given them lands
# them as columns of their own.
. "$(dirname "$0")/lib.sh"

# The same 60 s of event time (30,000 trades, 5 symbols) under two prefixes.
def=$(unique_name d).
low=$(unique_name l).
for pre in "$def" "$low"; do
    "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate 500 --speed max \
        --count 30000 --symbols 5 --seed 7 --start 2026-01-01 -q 2>/dev/null
done

cat >"$T/ticklake.conf" <<'EOF'
# thresholds for the test
[process run]
alert-z = 2
alert-volume = 1.5
alert-trades = 1.2
alert-gap = 0.0001
X = linger.ms=0

[sink]
no-such-option = skipped, not this command's section
EOF

proc=("$TICKLAKE" process --brokers "$BROKERS" --intervals 1s --lateness 0 --idle-timeout 1s --drain)
group=$(unique_name g)
bg_start def "${proc[@]}" --topic-prefix "$def" --group "$(unique_name g)"
# --alert-gap on the command line wins over the file's (which would raise a
# gap alert on almost every bar).
bg_start low "${proc[@]}" --topic-prefix "$low" --group "$group" --config "$T/ticklake.conf" \
    --alert-gap 50
finished() { ! bg_alive def && ! bg_alive low; }
wait_for 60 finished || fail "process --drain did not finish in 60 s"
bg_stop def
assert_eq "$BG_STATUS" 0 "process exit status (defaults)"
bg_stop low
assert_eq "$BG_STATUS" 0 "process exit status (config file)"

alerts() { kcat -C -b "$BROKERS" -t "${1}alerts" -e -q 2>/dev/null; }
n_def=$(alerts "$def" | wc -l)
n_low=$(alerts "$low" | wc -l)
bars=$(kcat -C -b "$BROKERS" -t "${low}bars.1s" -e -q | wc -l)
echo "bars: $bars; alerts with the defaults: $n_def, with the config file: $n_low"
assert_ge "$bars" 250 "bars"
assert_ge "$n_low" $((n_def + 5)) "alerts with lower thresholds"
assert_ge 2 "$n_def" "alerts with the default thresholds"
alerts "$low" | grep -q '"kind":"price_move"' || fail "no price_move alert: $(alerts "$low" | head -3)"
# Each alert names the threshold it crossed: the file's.
bad=$(alerts "$low" | grep -v -e '"kind":"price_move".*"threshold":2,' \
    -e '"kind":"volume_spike".*"threshold":1.5,' || true)
[ -z "$bad" ] || fail "an alert with another kind or threshold: $(head -2 <<<"$bad")"

# A typo in the file: FILE:LINE, status 2, nothing run.
printf '[process]\n# line 2\nalert-zz = 2\n' >"$T/typo.conf"
rc=0
"$TICKLAKE" process --brokers "$BROKERS" --config "$T/typo.conf" 2>"$T/typo.err" || rc=$?
assert_eq "$rc" 2 "exit status with a typo in the config file"
grep -q "^ticklake process: $T/typo.conf:3: 'alert-zz' is not an option of ticklake process" \
    "$T/typo.err" || fail "no FILE:LINE error: $(head -1 "$T/typo.err")"
# A value the processor refuses is reported at the line that set it.
printf '[process run]\nalert-z = -1\n' >"$T/negative.conf"
rc=0
"$TICKLAKE" process --brokers "$BROKERS" --config "$T/negative.conf" 2>"$T/neg.err" || rc=$?
assert_eq "$rc" 2 "exit status with a negative threshold in the config file"
grep -q "^ticklake process: $T/negative.conf:2: --alert-z must be a number above 0, not -1" \
    "$T/neg.err" || fail "negative threshold: $(head -1 "$T/neg.err")"
# The same file through TICKLAKE_CONFIG.
rc=0
TICKLAKE_CONFIG=$T/typo.conf "$TICKLAKE" process --brokers "$BROKERS" 2>"$T/typo2.err" || rc=$?
assert_eq "$rc" 2 "exit status with a typo in \$TICKLAKE_CONFIG's file"
grep -q "typo.conf:3: 'alert-zz'" "$T/typo2.err" || fail "TICKLAKE_CONFIG: $(head -1 "$T/typo2.err")"

# Restart the config-file processor's group with other EMA periods, on 10 s
# more trades: its changelog state was made with EMA 12,26.
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$low" --rate 500 --speed max \
    --count 5000 --symbols 5 --seed 8 --start 1767225660000000000 -q 2>/dev/null
"$TICKLAKE" process --brokers "$BROKERS" --intervals 1s --lateness 0 --idle-timeout 1s --drain \
    --topic-prefix "$low" --group "$group" --config "$T/ticklake.conf" --ema 5,9 2>"$T/restart.err" ||
    { cat "$T/restart.err" >&2; fail "process restarted with --ema 5,9"; }
grep -q "written with other RSI or EMA periods.*the series starts afresh" "$T/restart.err" ||
    fail "the restart did not report state of other periods: $(grep -m2 changelog "$T/restart.err")"
grep -q "give \`ticklake sink\` the same --sma and --ema" "$T/restart.err" ||
    fail "no note that the sink needs the same periods"
last=$(kcat -C -b "$BROKERS" -t "${low}indicators.1s" -e -q | tail -1)
[[ $last == *'"ema_5":'*'"ema_9":'* && $last != *ema_12* ]] || fail "indicators after the restart: $last"
# The sink given the same periods lands them: columns ema_5 and ema_9 (null in
# the records from before the restart), no ema_12.
"$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$low" --intervals 1s --ema 5,9 --drain \
    --lake "$T/lake" -q
"$TICKLAKE" crawl --lake "$T/lake" -q >/dev/null
got=$("$TICKLAKE" query --lake "$T/lake" --format csv \
    "SELECT count(*) > count(ema_5), count(ema_5) > 0, count(ema_9) > 0 FROM indicators_1s" |
    tail -1)
assert_eq "$got" "true,true,true" "ema_5 and ema_9 in the lake (nulls before the restart, values after)"
cols=$("$TICKLAKE" query --lake "$T/lake" --format csv "SELECT * FROM indicators_1s LIMIT 0" | head -1)
assert_eq "$cols" "symbol,window_start,close,sma_20,sma_50,ema_5,ema_9,rsi,volatility,bb_mid,bb_upper,bb_lower,date" \
    "indicators_1s columns"
echo "ok: config"
