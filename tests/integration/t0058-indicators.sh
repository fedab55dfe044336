#!/usr/bin/env bash
# Indicator values: every indicator record the processor publishes, and every row the sink lands in
# indicators_1s, holds the values an independent computation (indcheck.py: plain Python from the
# definitions in docs/DATA.md) gets from the bars the pipeline produced: SMA, EMA and its seed, RSI
# with Wilder's smoothing, the sample volatility of log returns, Bollinger bands; null exactly
# during each warm-up. With the default periods and with others set by options, and across a
# restart that continues each series from the state it restored from the changelog.
. "$(dirname "$0")/lib.sh"

def=$(unique_name d).
oth=$(unique_name o).
custom=(--sma 5,30 --ema 3,9,40 --rsi 6 --volatility-window 8 --bollinger 10,1.5)
gdef=$(unique_name g)
goth=$(unique_name g)

# ingest N START SEED: N trades (500 per second of event time, 5 symbols) into both prefixes.
ingest() {
    local pre
    for pre in "$def" "$oth"; do
        "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate 500 --speed max \
            --count "$1" --symbols 5 --seed "$3" --start "$2" --scenario flash-crash@40 -q 2>/dev/null
    done
}
# process ROUND: both processors read what is there (--drain), each in its own group, side by side.
process() {
    local p=("$TICKLAKE" process --brokers "$BROKERS" --intervals 1s --lateness 0 --idle-timeout 1s
        --drain) name
    bg_start "def$1" "${p[@]}" --topic-prefix "$def" --group "$gdef"
    bg_start "oth$1" "${p[@]}" --topic-prefix "$oth" --group "$goth" "${custom[@]}"
    for name in "def$1" "oth$1"; do
        bg_wait "$name" 120
        [ "$BG_STATUS" = 0 ] || { cat "$T/$name.err" >&2; fail "process $name exited $BG_STATUS"; }
    done
}

# 60 s of event time (a flash crash 40 s in: large moves for RSI and the volatility), then a restart
# on 30 s more: the second round continues the series from the changelog.
start=1767225600000000000 # 2026-01-01T00:00:00Z
ingest 30000 "$start" 11
process 1
ingest 15000 $((start + 60000000000)) 12
process 2
for f in def2 oth2; do
    grep -q "process: restored [1-9][0-9]* series" "$T/$f.err" ||
        fail "$f: the restart restored no indicator state: $(grep -m3 -i -e changelog -e restor "$T/$f.err")"
done

topic() { kcat -C -b "$BROKERS" -t "$1" -e -q; }
topic "${def}bars.1s" >"$T/def.bars"
topic "${def}indicators.1s" >"$T/def.ind"
topic "${oth}bars.1s" >"$T/oth.bars"
topic "${oth}indicators.1s" >"$T/oth.ind"
assert_ge "$(wc -l <"$T/def.bars")" 400 "bars (5 symbols, 90 s)"
check=(python3 "$ROOT/tests/integration/indcheck.py")
# At least 30 values of each indicator (of 5 series of ~90 bars, sma_50 has ~200).
"${check[@]}" --min-values 30 "$T/def.bars" "$T/def.ind" || fail "indicators (default periods) differ"
"${check[@]}" --min-values 30 "${custom[@]}" "$T/oth.bars" "$T/oth.ind" ||
    fail "indicators (${custom[*]}) differ"

# The lake: the sink lands the same values, nulls as NULL.
lake=$T/lake
"$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$def" --intervals 1s --drain --lake "$lake" -q \
    2>"$T/sink.err" || { cat "$T/sink.err" >&2; fail "sink"; }
"$TICKLAKE" crawl --lake "$lake" -q >/dev/null
rows() { # TABLE: its rows as JSON lines, window_start in ns as on the topics
    "$TICKLAKE" query --lake "$lake" --no-save --format json \
        "SELECT * EXCLUDE (window_start, date) REPLACE ('1s' AS interval), epoch_ns(window_start) AS window_start FROM (SELECT *, '' AS interval FROM $1)"
}
rows bars_1s >"$T/lake.bars"
rows indicators_1s >"$T/lake.ind"
assert_eq "$(wc -l <"$T/lake.ind")" "$(wc -l <"$T/def.ind")" "indicator rows in the lake vs records"
"${check[@]}" --min-values 30 "$T/lake.bars" "$T/lake.ind" || fail "indicators in the lake differ"
echo "ok: indicators"
