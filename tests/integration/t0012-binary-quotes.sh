#!/usr/bin/env bash
# Binary encoding and quotes: the same seed gives the same trades and quotes
# byte for byte in the binary encoding; binary trades flow through process
# and sink to the same bars and lake rows as the same ticks in JSON; quotes
# land in the quotes table with the documented schema; a binary record of an
# unknown version goes to dlq with the reason and the stream goes on.
. "$(dirname "$0")/lib.sh"

# ---- the same seed, the same binary ticks (trades and quotes) ----------------
gen() { # prefix seed encoding
    "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$1" --rate max --count 20000 \
        --symbols 25 --seed "$2" --encoding "$3" --quotes 1 --start 2026-01-02 2>"$T/gen.err"
}
raw() { # prefix topic partition: the values in offset order, byte for byte
    kcat -C -b "$BROKERS" -t "$1$2" -p "$3" -e -q -f '%k|%s|' 2>/dev/null
}
a=$(unique_name a). b=$(unique_name b). c=$(unique_name c).
gen "$a" 7 binary
gen "$b" 7 binary
gen "$c" 8 binary
n_trades=$(kcat -C -b "$BROKERS" -t "${a}trades" -e -q -f '.\n' | wc -l)
n_quotes=$(kcat -C -b "$BROKERS" -t "${a}quotes" -e -q -f '.\n' | wc -l)
assert_eq "$((n_trades + n_quotes))" 20000 "ticks in Kafka (trades + quotes)"
assert_ge "$n_quotes" 8000 "quotes (about one per trade)"
assert_ge "$n_trades" 8000 "trades"
# Every binary record starts with the magic byte 0xB7 and version 1.
magic=$(kcat -C -b "$BROKERS" -t "${a}quotes" -e -q -c 1 -f '%s' | head -c 2 | od -An -tx1 | tr -d ' ')
assert_eq "$magic" b701 "first bytes of a binary quote"
same=0 differs=0
for topic in trades quotes; do
    for p in 0 1 2 3; do
        raw "$a" $topic $p >"$T/a.$topic.$p"
        raw "$b" $topic $p >"$T/b.$topic.$p"
        raw "$c" $topic $p >"$T/c.$topic.$p"
        cmp -s "$T/a.$topic.$p" "$T/b.$topic.$p" && same=$((same + 1))
        cmp -s "$T/a.$topic.$p" "$T/c.$topic.$p" || differs=$((differs + 1))
    done
done
assert_eq "$same" 8 "partitions of trades and quotes equal byte for byte for the same seed"
assert_ge "$differs" 1 "partitions that differ for another seed"

# CSV replay writes binary trades too.
printf 'symbol,timestamp,price,size\nCSV1,2026-01-05T10:00:00Z,10.5,100\n' >"$T/t.csv"
r=$(unique_name r).
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$r" --source csv --encoding binary \
    "$T/t.csv" 2>/dev/null
csv_bytes=$(kcat -C -b "$BROKERS" -t "${r}trades" -e -q -c 1 -f '%s' | od -An -tx1 | tr -d ' \n')
assert_eq "${csv_bytes:0:6}" b70154 "a replayed trade in the binary encoding"

# ---- JSON and binary: the same bars, the same lake -------------------------
j=$(unique_name j). k=$(unique_name k).
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$j" --rate max --count 30000 \
    --symbols 20 --seed 5 --quotes 0.5 --start 2026-01-02 -q 2>/dev/null
"$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$k" --rate max --count 30000 \
    --symbols 20 --seed 5 --quotes 0.5 --encoding binary --start 2026-01-02 -q 2>/dev/null
trades=$(kcat -C -b "$BROKERS" -t "${j}trades" -e -q -f '.\n' | wc -l)
quotes=$(kcat -C -b "$BROKERS" -t "${j}quotes" -e -q -f '.\n' | wc -l)
assert_eq "$((trades + quotes))" 30000 "JSON ticks"
# A binary record of a version this build does not know: dlq, not a crash.
printf 'AAPL\t\xb7\x02T\x04\x00\x00\x00\x00\n' | kcat -P -b "$BROKERS" -t "${k}trades" -K $'\t'

for pre in "$j" "$k"; do
    name=${pre%.}
    bg_start "proc-$name" "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$pre" \
        --group "$(unique_name g)" --intervals 1s --lateness 200ms --idle-timeout 1s
    bg_start "sink-$name" "$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$pre" \
        --group "$(unique_name g)" --intervals 1s --lake "$T/lake-$name" --roll-interval 1s
done
kcat -C -b "$BROKERS" -t "${j}trades" -e -q -f '%p %s\n' >"$T/trades"
bars() { kcat -C -b "$BROKERS" -t "${1}bars.1s" -e -q -f '%s\n' 2>/dev/null | sort; }
json_bars_done() { bars "$j" >"$T/bars.j" && python3 "$ROOT/tests/integration/barcheck.py" \
    "$T/trades" "$T/bars.j" --lateness-ns 200000000 --intervals 1s --all; }
wait_for 90 json_bars_done || fail "JSON bars incomplete or wrong"
same_bars() { bars "$k" >"$T/bars.k" && cmp -s "$T/bars.j" "$T/bars.k"; }
wait_for 60 same_bars || fail "binary bars differ from JSON bars: $(diff "$T/bars.j" "$T/bars.k" | head -5)"
assert_ge "$(wc -l <"$T/bars.k")" 20 "bars from binary trades"
dlq_reason() { kcat -C -b "$BROKERS" -t "${k}dlq" -e -q 2>/dev/null |
    grep -q '"reason":"binary record: version 2 is not supported.*"value_base64":"twJUBAAAAAA="'; }
wait_for 30 dlq_reason || fail "unknown version not in dlq: $(kcat -C -b "$BROKERS" -t "${k}dlq" -e -q 2>/dev/null | head -2)"

q() { "$TICKLAKE" query --lake "$1" --format csv "$2" | tail -1; }
landed() { # lake: every trade and quote is there
    "$TICKLAKE" crawl --lake "$1" >/dev/null 2>&1 &&
        [ "$(q "$1" "SELECT count(*) FROM trades")" = "$trades" ] &&
        [ "$(q "$1" "SELECT count(*) FROM quotes")" = "$quotes" ]
}
for name in "${j%.}" "${k%.}"; do
    wait_for 60 landed "$T/lake-$name" || fail "lake $name: $(q "$T/lake-$name" "SELECT count(*) FROM trades" 2>&1) trades, expected $trades"
    bg_stop "sink-$name" TERM
    assert_eq "$BG_STATUS" 0 "sink exit status ($name)"
    bg_stop "proc-$name" TERM
    assert_eq "$BG_STATUS" 0 "process exit status ($name)"
done
summary="SELECT (SELECT count(*) || ' ' || bit_xor(hash(symbol, ts, price, size, id, venue, source)) FROM trades) || ' ' || (SELECT count(*) || ' ' || bit_xor(hash(symbol, ts, bid, bid_size, ask, ask_size, id, venue, source)) FROM quotes)"
sj=$(q "$T/lake-${j%.}" "$summary")
sk=$(q "$T/lake-${k%.}" "$summary")
assert_eq "$sk" "$sj" "lake contents from binary vs JSON"
schema=$(q "$T/lake-${k%.}" "SELECT string_agg(column_name || ' ' || data_type, '; ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'quotes'")
assert_eq "$schema" "symbol VARCHAR; ts TIMESTAMP_NS; bid DOUBLE; bid_size BIGINT; ask DOUBLE; ask_size BIGINT; id BIGINT; venue VARCHAR; source VARCHAR; date DATE" "quotes schema"
assert_eq "$(q "$T/lake-${k%.}" "SELECT count(*) FROM quotes WHERE NOT (bid > 0 AND ask > bid AND bid_size > 0 AND ask_size > 0)")" 0 "quotes with a bad spread or size"
grep -q "bad record" "$T/sink-${k%.}.err" || fail "the sink did not report the unknown-version record"
echo "ok: binary and quotes ($trades trades, $quotes quotes, $(wc -l <"$T/bars.k") bars)"
