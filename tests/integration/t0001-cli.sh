#!/usr/bin/env bash
# The command line: usage errors exit 2, an unreachable broker fails after its connect timeout and
# names the address, SQL errors print DuckDB's message and exit 1.
. "$(dirname "$0")/lib.sh"

expect_exit() { # expected-status command...
    local want=$1 got=0
    shift
    "$@" >"$T/out" 2>"$T/err" || got=$?
    [ "$got" = "$want" ] || fail "'$*' exited $got, expected $want; stderr: $(head -c 400 "$T/err")"
}

expect_exit 2 "$TICKLAKE"
grep -q "usage: ticklake <command>" "$T/err" || fail "no usage without a command"
expect_exit 2 "$TICKLAKE" frobnicate
grep -q "'frobnicate' is not a ticklake command" "$T/err" || fail "unknown command not named"
expect_exit 0 "$TICKLAKE" --help
for cmd in run broker ingest process sink crawl compact query; do
    expect_exit 0 "$TICKLAKE" "$cmd" --help
    grep -q "usage: ticklake $cmd" "$T/out" || fail "$cmd --help printed no usage"
    expect_exit 2 "$TICKLAKE" "$cmd" --no-such-flag
    grep -q "unknown option '--no-such-flag'" "$T/err" || fail "$cmd: unknown flag not reported"
    grep -q "usage: ticklake $cmd" "$T/err" || fail "$cmd: no usage on a bad flag"
done
# The command list: a name, two spaces or more, and the summary, summaries in one column; each
# name is a command whose own help 'ticklake help NAME' prints.
expect_exit 0 "$TICKLAKE" help
sed -n '/^commands:$/,/^$/p' "$T/out" | sed '1d;/^$/d' >"$T/list"
assert_ge "$(wc -l <"$T/list")" 13 "commands listed"
if grep -Ev '^  [a-z]+  +[^ ]' "$T/list" >"$T/bad"; then fail "command list misformatted: $(cat "$T/bad")"; fi
assert_eq "$(awk '{ match($0, /^  [a-z]+ +/); print RLENGTH }' "$T/list" | sort -u | wc -l)" 1 \
    "summaries in one column"
for cmd in $(awk '{ print $1 }' "$T/list"); do
    expect_exit 0 "$TICKLAKE" help "$cmd"
    grep -q "usage: ticklake $cmd" "$T/out" || fail "'help $cmd' did not print the command's help"
    if grep -q "usage: ticklake <command>" "$T/out"; then fail "'help $cmd' printed the general help"; fi
done
expect_exit 2 "$TICKLAKE" help nosuch
grep -q "'nosuch' is not a ticklake command" "$T/err" || fail "help of an unknown command"
expect_exit 2 "$TICKLAKE" help query tables
expect_exit 2 "$TICKLAKE" run --duration soon
expect_exit 2 "$TICKLAKE" run --rate -5
expect_exit 2 "$TICKLAKE" run --intervals 7s
expect_exit 2 "$TICKLAKE" ingest --count 1   # no --brokers
# The simulator's options are refused with --source csv, which would ignore them.
printf 'symbol,timestamp,price,size\nA,2025-11-26T14:30:00Z,1,1\n' >"$T/one.csv"
for opt in "--count 10" "--rate max" "--seed 7" "--symbols 3" "--quotes 1" \
    "--scenario halt" "--session 1h" "--start 2020-01-01"; do
    # shellcheck disable=SC2086 # the option and its value are two words
    expect_exit 2 "$TICKLAKE" ingest --source csv $opt --brokers 127.0.0.1:1 "$T/one.csv"
    grep -q "^ticklake ingest: ${opt% *} applies to the simulator only" "$T/err" ||
        fail "--source csv $opt: $(head -2 "$T/err")"
done
# A live source needs its instruments named (not the simulator's default count).
expect_exit 2 "$TICKLAKE" ingest --source coinbase --brokers 127.0.0.1:1
grep -q "^ticklake ingest: --source coinbase needs --symbols LIST, e.g. BTC-USD,ETH-USD" "$T/err" ||
    fail "coinbase without --symbols: $(head -2 "$T/err")"
# Live sources too (their --symbols is a list).
expect_exit 2 "$TICKLAKE" ingest --source coinbase --symbols BTC-USD --rate max --brokers 127.0.0.1:1
grep -q "^ticklake ingest: --rate applies to the simulator only" "$T/err" || fail "coinbase --rate: $(head -2 "$T/err")"
# ... but not when a config file's section shared with the simulator sets them: the replay goes
# on (here to the next check, the reversed range).
printf '[ingest, run]\nsymbols = 200\ncount = 10\n' >"$T/sim.conf"
expect_exit 2 "$TICKLAKE" ingest --config "$T/sim.conf" --source csv --from 2021-01-01 --to 2020-01-01 \
    --brokers 127.0.0.1:1 "$T/one.csv"
grep -q "^ticklake ingest: --from .* is after --to" "$T/err" || fail "config file's sim options: $(head -2 "$T/err")"
# A year-last --from/--to that reads two ways is refused under --date-format auto, taken with an order.
expect_exit 2 "$TICKLAKE" ingest --source csv --from 01/03/2020 --to 01/13/2020 --brokers 127.0.0.1:1 "$T/one.csv"
grep -q "^ticklake ingest: --from '01/03/2020' reads day first or month first: give --date-format" "$T/err" ||
    fail "ambiguous --from: $(head -2 "$T/err")"
expect_exit 2 "$TICKLAKE" ingest --source csv --date-format mdy --from 01/13/2020 --to 01/03/2020 \
    --brokers 127.0.0.1:1 "$T/one.csv"
grep -q "is after --to" "$T/err" || fail "--date-format mdy bounds: $(head -2 "$T/err")"
# A start whose ticks the processor and the sink would count as bad.
for start in 1750-01-01 2250-06-01 7258118400000000001; do
    expect_exit 2 "$TICKLAKE" ingest --start "$start" --count 1 --brokers 127.0.0.1:1
    grep -q "^ticklake ingest: --start must be from 1800-01-01 to 2200-01-01 .*not '$start'" "$T/err" ||
        fail "--start $start: $(head -2 "$T/err")"
done
expect_exit 2 "$TICKLAKE" query </dev/null   # no SQL
expect_exit 2 "$TICKLAKE" compact            # no table
expect_exit 2 "$TICKLAKE" compact trades --retain-only --lake "$T/l"
expect_exit 2 "$TICKLAKE" sink --roll-bytes 0 --brokers 127.0.0.1:1
mkdir -p "$T/l/trades/date=2026-01-02" "$T/l/_catalog"
expect_exit 1 "$TICKLAKE" compact trades --date 2026-01-01 --lake "$T/l"
grep -q "no partition '2026-01-01'" "$T/err" || fail "compact: a missing partition not named"
# An unknown table is an error that lists the lake's tables, and leaves nothing behind.
expect_exit 1 "$TICKLAKE" compact nosuch --lake "$T/l"
grep -q "no table 'nosuch' in '$T/l' (tables: trades)" "$T/err" || fail "compact of an unknown table: $(cat "$T/err")"
[ ! -e "$T/l/nosuch" ] || fail "compact of an unknown table created its folder"

# An unreachable broker: each command gives up after its connect timeout (it says so) with exit 1
# and an error naming the address, instead of retrying for ever. What is measured is that error, not
# the wall clock: the four run side by side, and 60 s only bounds a hang (a loaded machine may need
# well over the 8 s timeout to start a command and report).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
unreachable=("ingest --count 1" "process" "sink --lake $T/l-sink" "run --duration 5 --lake $T/l-run")
for i in "${!unreachable[@]}"; do
    # shellcheck disable=SC2086 # the command is a word list on purpose
    bg_start "unreachable$i" "$TICKLAKE" ${unreachable[$i]} --brokers "127.0.0.1:$port"
done
for i in "${!unreachable[@]}"; do
    cmd=${unreachable[$i]%% *}
    bg_wait "unreachable$i" 60
    err=$T/unreachable$i.err
    assert_eq "$BG_STATUS" 1 "$cmd: exit status with an unreachable broker ($(tail -1 "$err"))"
    grep -q "unable to reach Kafka at '127.0.0.1:$port' within [0-9]* ms" "$err" ||
        fail "$cmd: the error does not name the broker and the time waited: $(tail -3 "$err")"
done

# -X passes librdkafka properties through; a bad one is an error naming it.
expect_exit 1 "$TICKLAKE" ingest --brokers "$BROKERS" -X no.such.property=1 --count 1
grep -q "no.such.property" "$T/err" || fail "bad -X property not named"
expect_exit 1 "$TICKLAKE" ingest --brokers "$BROKERS" -X missing-equals --count 1

# Query errors: no catalog, bad SQL, unknown table.
expect_exit 1 "$TICKLAKE" query --lake "$T/nolake" "SELECT 1"
grep -q "run 'ticklake crawl' first" "$T/err" || fail "missing catalog not explained"
mkdir -p "$T/lake"
expect_exit 0 "$TICKLAKE" crawl --lake "$T/lake"
expect_exit 0 "$TICKLAKE" query --lake "$T/lake" "SELECT 42 AS answer"
grep -q 42 "$T/out" || fail "SELECT 42 did not print 42"
expect_exit 1 "$TICKLAKE" query --lake "$T/lake" "SELEC 1"
grep -qi "parser error" "$T/err" || fail "bad SQL did not print DuckDB's parser error: $(cat "$T/err")"
expect_exit 1 "$TICKLAKE" query --lake "$T/lake" "SELECT * FROM no_such_table"
grep -qi "no_such_table" "$T/err" || fail "unknown table not named"
expect_exit 2 "$TICKLAKE" query --lake "$T/lake" --format xml "SELECT 1"

# SQL on standard input (not a terminal) runs as with -f -; every statement's result is printed,
# each statement is its own query in the history, and the first failing one stops the rest.
printf 'SELECT 42 AS answer;\n' >"$T/one.sql"
expect_exit 0 "$TICKLAKE" query --lake "$T/lake" --format csv <"$T/one.sql"
assert_eq "$(cat "$T/out")" "$(printf 'answer\n42')" "SQL from standard input"
printf -- '-- three statements\nSELECT 1 AS a, 2 AS b;\nSELECT 3 AS c\n  UNION ALL SELECT 4;\n\nSELECT 5 AS d;\n' >"$T/three.sql"
hist() { "$TICKLAKE" history --lake "$T/lake" --format csv -n 0 | tail -n +2 | wc -l; }
before=$(hist)
for how in stdin file; do
    if [ $how = stdin ]; then
        expect_exit 0 "$TICKLAKE" query --lake "$T/lake" --format csv -f - <"$T/three.sql"
    else
        expect_exit 0 "$TICKLAKE" query --lake "$T/lake" --format csv -f "$T/three.sql"
    fi
    assert_eq "$(cat "$T/out")" "$(printf 'a,b\n1,2\n\nc\n3\n4\n\nd\n5')" "csv results of three statements ($how)"
done
assert_eq "$(hist)" $((before + 6)) "history entries of two runs of three statements"
expect_exit 0 "$TICKLAKE" query --lake "$T/lake" --format json <"$T/three.sql"
assert_eq "$(cat "$T/out")" "$(printf '{"a":1,"b":2}\n{"c":3}\n{"c":4}\n{"d":5}')" "json results of three statements"
expect_exit 0 "$TICKLAKE" query --lake "$T/lake" "SELECT 1 AS a; SELECT 2 AS b"
grep -q "^b" "$T/out" && grep -q "^a" "$T/out" || fail "table results of two statements: $(cat "$T/out")"
printf 'SELECT 1 AS a;\nSELEC 2;\nSELECT 3 AS c;\n' >"$T/bad.sql"
expect_exit 1 "$TICKLAKE" query --lake "$T/lake" --format csv <"$T/bad.sql"
assert_eq "$(cat "$T/out")" "$(printf 'a\n1')" "results before the failing statement"
grep -q "statement 2 of 3 (line 2): Parser Error" "$T/err" || fail "failing statement not named: $(cat "$T/err")"
printf 'SELECT 1 AS a;\nCOPY (SELECT 1) TO '"'"'%s/x.csv'"'"';\n' "$T/lake" >"$T/refused.sql"
expect_exit 1 "$TICKLAKE" query --lake "$T/lake" --format csv <"$T/refused.sql"
[ ! -s "$T/out" ] || fail "a script with a refused statement ran: $(cat "$T/out")"
grep -q "statement 2 of 2 (line 2): COPY is not allowed" "$T/err" || fail "refused statement: $(cat "$T/err")"
expect_exit 2 "$TICKLAKE" query --lake "$T/lake" --format parquet -o "$T/x.parquet" <"$T/three.sql"
grep -q "format parquet writes one result" "$T/err" || fail "parquet of three statements: $(cat "$T/err")"
expect_exit 2 "$TICKLAKE" query --lake "$T/lake" "SELECT 1" -f "$T/one.sql"
expect_exit 2 "$TICKLAKE" query --lake "$T/lake" -f - </dev/null
echo "ok: cli"
