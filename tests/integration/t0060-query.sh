#!/usr/bin/env bash
# Querying a lake the pipeline wrote: the catalog commands (tables, describe, partitions, ddl),
# query output formats, query ids with saved results and history, CREATE TABLE AS, limits, and
# that bad SQL, an unknown table and every attempt to write lake data through a query give a
# clear error, exit 1, and change nothing in the lake.
. "$(dirname "$0")/lib.sh"

lake=$T/lake
args=(--duration 8 --lake "$lake" --rate 3000 --symbols 12 --status-interval 5s)
if [ "$KAFKA_KIND" = real ]; then
    "$TICKLAKE" run "${args[@]}" --brokers "$BROKERS" --topic-prefix "$(unique_name q)." 2>"$T/run.err" ||
        { cat "$T/run.err" >&2; fail "run failed"; }
else
    "$TICKLAKE" run "${args[@]}" 2>"$T/run.err" || { cat "$T/run.err" >&2; fail "run failed"; }
fi
"$TICKLAKE" crawl --lake "$lake" >"$T/crawl.out"
q() { "$TICKLAKE" query --lake "$lake" "$@"; }

expect_exit() { # expected-status command...
    local want=$1 got=0
    shift
    "$@" >"$T/out" 2>"$T/err" || got=$?
    [ "$got" = "$want" ] || fail "'$*' exited $got, expected $want; stderr: $(head -c 400 "$T/err")"
}

# The catalog commands.
for cmd in tables describe partitions ddl history; do
    expect_exit 0 "$TICKLAKE" "$cmd" --help
    grep -q "usage: ticklake $cmd" "$T/out" || fail "$cmd --help printed no usage"
    expect_exit 2 "$TICKLAKE" "$cmd" --no-such-flag
done
"$TICKLAKE" tables --lake "$lake" --format csv >"$T/tables.csv"
grep -Eq '^trades,parquet,[0-9]+,date,1,' "$T/tables.csv" || fail "tables: $(cat "$T/tables.csv")"
grep -Eq '^bars_1s,parquet,[0-9]+,date,' "$T/tables.csv" || fail "tables: no bars_1s"
"$TICKLAKE" describe --lake "$lake" --format csv trades >"$T/desc.csv"
assert_eq "$(sed -n 3p "$T/desc.csv")" "ts,TIMESTAMP_NS,false,TIMESTAMP_NS" "describe ts"
assert_eq "$(tail -1 "$T/desc.csv")" "date,DATE,true,DATE" "describe date"
"$TICKLAKE" partitions --lake "$lake" --format json trades >"$T/parts.json"
rows=$(q --format csv "SELECT count(*) FROM trades" | tail -1)
python3 -c 'import json,sys; t=sum(json.loads(l)["rows"] for l in open(sys.argv[1])); sys.exit(t != int(sys.argv[2]))' \
    "$T/parts.json" "$rows" || fail "partition rows do not add up to $rows"
"$TICKLAKE" ddl --lake "$lake" --location s3://bucket/lake trades >"$T/ddl.sql" 2>/dev/null
grep -q "^CREATE EXTERNAL TABLE IF NOT EXISTS \`trades\` ($" "$T/ddl.sql" || fail "ddl: $(cat "$T/ddl.sql")"
grep -q "^PARTITIONED BY ($" "$T/ddl.sql" || fail "ddl: no PARTITIONED BY"
grep -q "^STORED AS PARQUET$" "$T/ddl.sql" || fail "ddl: no STORED AS PARQUET"
grep -q "^LOCATION 's3://bucket/lake/trades/'$" "$T/ddl.sql" || fail "ddl: no LOCATION"
expect_exit 1 "$TICKLAKE" describe --lake "$lake" nosuch
grep -q "no table 'nosuch' in the catalog" "$T/err" || fail "describe of an unknown table: $(cat "$T/err")"
expect_exit 1 "$TICKLAKE" ddl --lake "$lake" nosuch

# Output formats; the JSON and Parquet outputs hold the same rows as CSV.
sql="SELECT symbol, count(*) AS n, sum(size) AS v FROM trades GROUP BY 1 ORDER BY 1"
q --format csv "$sql" >"$T/a.csv"
assert_eq "$(wc -l <"$T/a.csv")" 13 "csv lines (header + 12 symbols)"
q --format json "$sql" >"$T/a.json"
assert_eq "$(wc -l <"$T/a.json")" 12 "json lines"
q --format parquet -o "$T/a.parquet" "$sql"
q --format csv "SELECT * FROM trades LIMIT 0" >/dev/null
head -c 4 "$T/a.parquet" | grep -q PAR1 || fail "not a Parquet file"
q --format parquet "$sql" >"$T/b.parquet"
cmp -s <(head -c 4 "$T/b.parquet") <(printf PAR1) || fail "Parquet on stdout"
q -o "$T/c.txt" "$sql"
grep -q "(12 rows)" "$T/c.txt" || fail "table output to -o"
# A query that fails part-way (after 300,000 rows streamed) leaves no cut-off file at -o: it is
# written beside and renamed when the command succeeds, so a file already there is kept. Parquet
# (DuckDB's COPY) leaves none either. A device is written in place.
boom="SELECT i, CASE WHEN i = 300000 THEN error('boom') ELSE i END AS x FROM range(1000000) t(i)"
echo keep >"$T/kept.out"
for f in csv json table arrow; do
    expect_exit 1 "$TICKLAKE" query --lake "$lake" --no-save --format $f -o "$T/kept.out" "$boom"
    grep -q "'$T/kept.out' not written: the query failed" "$T/err" || fail "failed $f query: $(cat "$T/err")"
    assert_eq "$(cat "$T/kept.out")" keep "the file at -o after a failed $f query"
done
expect_exit 1 "$TICKLAKE" query --lake "$lake" --no-save --format parquet -o "$T/boom.parquet" "$boom"
[ ! -e "$T/boom.parquet" ] || fail "a failed Parquet query left a file"
! ls "$T" | grep -q partial || fail "a partial file was left: $(ls "$T")"
q --format csv -o /dev/stdout "SELECT 42 AS answer" >"$T/dev.out"
grep -qx 42 "$T/dev.out" || fail "-o /dev/stdout: $(cat "$T/dev.out")"
# Row by row: every trade, in each format, with every column type of the lake, a NULL, and text
# that CSV must quote. CSV and JSON are parsed in Python, the Parquet files read by the venv's
# DuckDB; each cell is compared as a value (a timestamp as ns since the epoch, a double exactly).
py=$("$ROOT/tests/tools/venv.sh") || fail "unable to set up the Python venv (tests/tools/venv.sh)"
all="SELECT *, price * size / 7 AS x, NULL::BIGINT AS nothing, 'say \"hi\", ' || symbol AS quoted
     FROM trades ORDER BY symbol, ts, id"
q --format csv "$all" >"$T/all.csv"
q --format json "$all" >"$T/all.json"
q --format parquet -o "$T/all.parquet" "$all"
q --format parquet "$all" >"$T/all-stdout.parquet"
"$py" - "$T/all.csv" "$T/all.json" "$T/all.parquet" "$T/all-stdout.parquet" "$rows" <<'PY' ||
import csv, datetime, json, re, sys
import duckdb

COLS = [("symbol", "VARCHAR"), ("ts", "TIMESTAMP_NS"), ("price", "DOUBLE"), ("size", "BIGINT"),
        ("id", "BIGINT"), ("venue", "VARCHAR"), ("source", "VARCHAR"), ("date", "DATE"),
        ("x", "DOUBLE"), ("nothing", "BIGINT"), ("quoted", "VARCHAR")]
EPOCH = datetime.datetime(1970, 1, 1)


def ts_ns(s):  # "2026-12-04 13:41:07.125857722" (CSV) or "2026-12-04T13:41:07.125857722Z" (JSON)
    m = re.fullmatch(r"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z?", s)
    if not m:
        raise ValueError(f"not a timestamp: {s!r}")
    whole = datetime.datetime.fromisoformat(m[1] + " " + m[2]) - EPOCH
    return (whole.days * 86400 + whole.seconds) * 10**9 + int((m[3] or "").ljust(9, "0"))


def typed(kind, v, how):
    if v is None or (how == "csv" and v == ""):
        return None
    if kind == "TIMESTAMP_NS":
        return v if how == "parquet" else ts_ns(v)
    if kind == "BIGINT":
        assert isinstance(v, int) or how == "csv", (how, v)
        return int(v)
    if kind == "DOUBLE":
        assert isinstance(v, (int, float)) or how == "csv", (how, v)
        return float(v)
    if kind == "DATE":
        return v.isoformat() if how == "parquet" else v
    assert isinstance(v, str), (how, v)
    return v


names = [c for c, _ in COLS]
with open(sys.argv[1], newline="") as f:
    r = csv.reader(f)
    header = next(r)
    assert header == names, f"csv header {header}"
    want = [tuple(typed(k, v, "csv") for (_, k), v in zip(COLS, row)) for row in r]
assert len(want) == int(sys.argv[5]), f"csv: {len(want)} rows, the lake has {sys.argv[5]} trades"
assert all(r[9] is None and r[10].startswith('say "hi", ') for r in want), "csv NULL or quoting"
outputs = {}
with open(sys.argv[2]) as f:
    rows = [json.loads(line) for line in f]
assert all(list(o) == names for o in rows), f"json members {list(rows[0])}"
outputs["json"] = [tuple(typed(k, o[c], "json") for c, k in COLS) for o in rows]
for how, path in (("parquet -o", sys.argv[3]), ("parquet on stdout", sys.argv[4])):
    con = duckdb.connect()
    types = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{path}')").fetchall()
    assert types == COLS, f"{path}: columns {types}"
    sel = ", ".join(f'epoch_ns("{c}")' if k == "TIMESTAMP_NS" else f'"{c}"' for c, k in COLS)
    outputs[how] = [tuple(typed(k, v, "parquet") for (_, k), v in zip(COLS, row))
                     for row in con.execute(f"SELECT {sel} FROM '{path}'").fetchall()]
bad = 0
for how, got in outputs.items():
    if len(got) != len(want):
        print(f"{how}: {len(got)} rows, csv {len(want)}")
        bad += 1
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            print(f"{how} row {i + 1}: {g}\n  csv row {i + 1}: {w}")
            bad += 1
            break
print(f"formats: {len(want)} rows, csv = " + " = ".join(outputs) if not bad else "formats differ")
sys.exit(1 if bad else 0)
PY
    fail "the JSON or Parquet output differs from the CSV output"

# Arrow IPC streams: pyarrow reads them, and they equal the Arrow table an independent DuckDB
# makes of the same SQL over the files (types, nesting, NULLs and values); -o and stdout give the
# same bytes; --max-rows cuts inside a chunk; what Arrow output cannot carry is a clear error.
arrow_sql="SELECT *, NULL::BIGINT AS nothing, size % 2 = 0 AS even, CAST(price AS DECIMAL(18,4)) AS px,
    CAST(price AS DECIMAL(38,10)) AS px_wide, size::HUGEINT AS huge, CAST(size % 100 AS TINYINT) AS i8,
    CAST(size AS USMALLINT) AS u16, CAST(size AS UBIGINT) AS u64, CAST(price AS FLOAT) AS f32,
    ts::TIMESTAMP AS ts_us, ts::TIMESTAMP::TIMESTAMP_MS AS ts_ms, ts::TIMESTAMP::TIMESTAMP_S AS ts_s,
    ts::TIMESTAMPTZ AS ts_tz, ts::TIME AS tod, to_seconds(size % 30) AS iv,
    CASE WHEN size % 3 = 0 THEN NULL ELSE symbol END AS maybe, '' AS empty, encode(symbol) AS blob,
    [size, size + 1] AS lst, CASE WHEN size % 5 = 0 THEN NULL ELSE [symbol, NULL] END AS lst_null,
    {'p': price, 's': CASE WHEN size % 2 = 0 THEN symbol END} AS st, MAP {'k': size} AS mp,
    [price, price * 2]::DOUBLE[2] AS pair
    FROM trades ORDER BY symbol, ts, id"
q --no-save --format arrow -o "$T/all.arrows" "$arrow_sql"
"$py" "$ROOT/tests/integration/check_arrow.py" "$lake" "$T/all.arrows" "$arrow_sql" >"$T/arrow.out" ||
    fail "the Arrow stream differs from DuckDB's own Arrow: $(tail -5 "$T/arrow.out")"
grep -Eq "^ok: $rows rows in [0-9]+ batches" "$T/arrow.out" || fail "Arrow rows: $(tail -1 "$T/arrow.out")"
echo "arrow: $(tail -1 "$T/arrow.out"), $(grep -c '^[a-z_0-9]*: ' "$T/arrow.out") columns equal to DuckDB's"
q --no-save --format arrow "$arrow_sql" >"$T/all-stdout.arrows"
# The same table, not the same bytes: the batches follow DuckDB's result chunks, whose sizes after a
# parallel sort depend on its threads' timing (CI, under load, once cut them differently).
"$py" -c 'import pyarrow as pa, sys
a, b = (pa.ipc.open_stream(open(f, "rb")).read_all() for f in sys.argv[1:3])
sys.exit(0 if a.schema.equals(b.schema, check_metadata=True) and a.equals(b) else 1)' \
    "$T/all.arrows" "$T/all-stdout.arrows" || fail "Arrow on stdout differs from -o"
q --no-save --format arrow --max-rows 3000 -o "$T/cut.arrows" "$arrow_sql" 2>"$T/cut.err"
"$py" "$ROOT/tests/integration/check_arrow.py" "$lake" "$T/cut.arrows" "$arrow_sql" 3000 >"$T/arrow.out" ||
    fail "the Arrow stream cut at 3000 rows: $(tail -5 "$T/arrow.out")"
grep -q "stopped at --max-rows 3000" "$T/cut.err" || fail "Arrow truncation not reported"
q --no-save --format arrow -o "$T/none.arrows" "SELECT * FROM trades WHERE false"
"$py" -c 'import pyarrow as pa, sys; t = pa.ipc.open_stream(open(sys.argv[1], "rb")).read_all()
assert t.num_rows == 0 and t.schema.names[0] == "symbol", t' "$T/none.arrows" || fail "an empty Arrow result"
# DuckDB's extension type names are kept in the field's metadata: its BIGNUM (VARINT) is an
# arrow.opaque extension to pyarrow, not bare bytes.
q --no-save --format arrow -o "$T/ext.arrows" "SELECT 12345678901234567890123::VARINT AS big"
"$py" -c 'import pyarrow as pa, sys; f = pa.ipc.open_stream(open(sys.argv[1], "rb")).schema.field("big")
assert isinstance(f.type, pa.BaseExtensionType) and f.type.extension_name == "arrow.opaque", f.type' \
    "$T/ext.arrows" || fail "an extension type in Arrow output lost its name"
expect_exit 1 "$TICKLAKE" query --lake "$lake" --no-save --format arrow -o "$T/e.arrows" \
    "SELECT 'a'::ENUM('a', 'b') AS level"
grep -q "column 'level' is dictionary-encoded (an ENUM): cast it to VARCHAR" "$T/err" ||
    fail "ENUM in Arrow: $(cat "$T/err")"
expect_exit 2 "$TICKLAKE" query --lake "$lake" --format arrow -o "$T/e.arrows" "SELECT 1; SELECT 2"
grep -q "format arrow writes one result" "$T/err" || fail "two statements for Arrow: $(cat "$T/err")"
expect_exit 1 "$TICKLAKE" query --lake "$lake" --format arrow -o "$T/e.arrows" "CREATE TABLE t2 AS SELECT 1 AS a"
grep -q "Arrow output is for queries that return rows" "$T/err" || fail "CTAS for Arrow: $(cat "$T/err")"

# Every query got an id; its CSV result and metadata are in _results, and history lists it.
id=$(q -v --format csv "$sql" 2>&1 >/dev/null | sed -nE 's/^query ([0-9a-f-]{36}): SUCCEEDED.*/\1/p')
[ -n "$id" ] || fail "no query id reported with -v"
cmp -s "$lake/_results/$id.csv" "$T/a.csv" || fail "saved result differs from the output"
python3 - "$lake/_results/$id.json" <<'PY' || fail "metadata"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["status"] == "SUCCEEDED" and m["rows"] == 12 and m["kind"] == "SELECT", m
assert m["bytes_scanned"] > 0 and m["elapsed_ns"] > 0 and m["result"].endswith(".csv"), m
PY
# Bytes scanned: what the statement read from the lake's files; 0 when it read nothing.
scanned() { { "$TICKLAKE" query -v --lake "$lake" "$@" 2>&1 >/dev/null || true; } |
    sed -nE 's/^query [0-9a-f-]{36}: [A-Z]+, .*, ([0-9]+) bytes scanned, .*/\1/p'; }
assert_eq "$(scanned "SELECT 1")" 0 "bytes scanned by SELECT 1"
assert_eq "$(scanned "SELEC 1")" 0 "bytes scanned by a statement that did not parse"
assert_eq "$(scanned "DELETE FROM trades")" 0 "bytes scanned by a refused statement"
files=$(find "$lake/trades" -name '*.parquet' -printf '%s\n' | awk '{ s += $1 } END { print s }')
for f in csv parquet; do
    b=$(scanned --format $f -o "$T/scan.$f" "SELECT * FROM trades")
    assert_ge "$b" $((files / 2)) "bytes scanned by a full scan ($f)"
    assert_ge $((files * 3 / 2)) "$b" "bytes scanned by a full scan ($f), files of $files bytes"
done
"$TICKLAKE" history --lake "$lake" --format csv -n 0 >"$T/hist.csv"
grep -q "^$id," "$T/hist.csv" || fail "history does not list $id"
"$TICKLAKE" history --lake "$lake" "$id" | grep -q "\"id\": \"$id\"" || fail "history ID"

# Limits.
q --format csv --max-rows 3 "SELECT * FROM trades" >"$T/lim.csv" 2>"$T/lim.err"
assert_eq "$(wc -l <"$T/lim.csv")" 4 "--max-rows 3 (header + 3)"
grep -q "stopped at --max-rows 3" "$T/lim.err" || fail "truncation not reported"
expect_exit 1 "$TICKLAKE" query --lake "$lake" --timeout 300ms "SELECT count(*) FROM range(100000000000)"
grep -q "query timed out after 0.3 s" "$T/err" || fail "timeout: $(cat "$T/err")"

# Bad SQL, an unknown table, and writes: a clear error, exit 1, the lake unchanged.
snapshot() { (cd "$lake" && find . -path ./_results -prune -o -type f -print0 | sort -z | xargs -0 sha256sum); }
snapshot >"$T/before"
expect_exit 1 "$TICKLAKE" query --lake "$lake" "SELEC 1"
grep -q "Parser Error: syntax error" "$T/err" || fail "bad SQL: $(cat "$T/err")"
expect_exit 1 "$TICKLAKE" query --lake "$lake" "SELECT * FROM nosuch"
grep -q "Table with name nosuch does not exist" "$T/err" || fail "unknown table: $(cat "$T/err")"
f=$(cd "$lake" && ls trades/date=*/*.parquet | sed -n 1p)
for stmt in \
    "COPY (SELECT 1) TO '$lake/$f'" \
    "COPY trades TO '$lake/trades/x.csv'" \
    "SELECT 1; COPY (SELECT 1 AS a) TO '$lake/$f' (FORMAT parquet)" \
    "INSERT INTO trades SELECT * FROM trades" \
    "DELETE FROM trades" \
    "UPDATE trades SET price = 0" \
    "ATTACH '$lake/x.duckdb' AS x" \
    "EXPORT DATABASE '$lake/export'" \
    "CREATE OR REPLACE TABLE trades AS SELECT 1 AS a" \
    "CREATE TABLE trades AS SELECT 1 AS a" \
    "CREATE TABLE x AS SELECT 1; COPY (SELECT 1) TO '$lake/y.csv'" \
    "SET enable_external_access = true" \
    "INSTALL httpfs"; do
    expect_exit 1 "$TICKLAKE" query --lake "$lake" "$stmt"
    [ -s "$T/err" ] || fail "no error for: $stmt"
done
expect_exit 1 "$TICKLAKE" query --lake "$lake" "COPY trades TO '$lake/trades/x.csv'"
grep -q "COPY is not allowed: queries do not write files" "$T/err" || fail "COPY: $(cat "$T/err")"
expect_exit 1 "$TICKLAKE" query --lake "$lake" "DELETE FROM trades"
grep -q "DELETE is not allowed: lake tables are read-only" "$T/err" || fail "DELETE: $(cat "$T/err")"
expect_exit 2 "$TICKLAKE" query --lake "$lake" -o "$lake/trades/out.csv" "SELECT 1"
grep -q "is inside the lake" "$T/err" || fail "-o into the lake: $(cat "$T/err")"
snapshot >"$T/after"
cmp -s "$T/before" "$T/after" || fail "the lake changed: $(diff "$T/before" "$T/after" | head -5)"
# Failed queries are in the history too.
# (Into a file first: grep -q would close the pipe early and SIGPIPE the command.)
"$TICKLAKE" history --lake "$lake" --status FAILED --format csv -n 0 >"$T/failed.csv"
grep -q "DELETE FROM trades" "$T/failed.csv" || fail "failed queries are not in the history"

# CREATE TABLE AS writes a Parquet table into the lake and registers it.
q "CREATE TABLE daily_vwap AS SELECT * FROM vwap() ORDER BY ALL" >"$T/ctas.out"
grep -q "table 'daily_vwap' created: 12 rows" "$T/ctas.out" || fail "ctas: $(cat "$T/ctas.out")"
ls "$lake"/daily_vwap/*.parquet >/dev/null || fail "no Parquet file for daily_vwap"
"$TICKLAKE" tables --lake "$lake" --format csv | grep -q '^daily_vwap,parquet,5,' || fail "daily_vwap not registered"
assert_eq "$(q --format csv "SELECT count(*) FROM daily_vwap" | tail -1)" 12 "daily_vwap rows"

# A table of daily rows (as index_daily): its DATE column "date" gives the time range that
# tables and partitions show.
q "CREATE TABLE index_daily AS SELECT 'HSI' AS \"index\", DATE '1986-12-31' + i::INTEGER AS date, 2568.3 + i AS close FROM range(10) t(i)" >/dev/null
"$TICKLAKE" tables --lake "$lake" --format csv >"$T/tables2.csv"
range="1986-12-31 00:00:00.000000000,1987-01-09 00:00:00.000000000"
grep -q "^index_daily,parquet,3,\"\",1,1,10,[0-9]*,$range,active," "$T/tables2.csv" ||
    fail "tables: no time range for index_daily: $(grep index_daily "$T/tables2.csv")"
"$TICKLAKE" partitions --lake "$lake" --format csv index_daily >"$T/parts2.csv"
grep -q "^index_daily,1,10,[0-9]*,$range,active$" "$T/parts2.csv" ||
    fail "partitions: no time range for index_daily: $(cat "$T/parts2.csv")"
echo "ok: query"
