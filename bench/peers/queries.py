#!/usr/bin/env python3
"""Runs the same SQL on ticklake and its peers over one lake and compares the answers.

usage: queries.py LAKE ENGINES [--repeat N] [--json OUT]
  ENGINES: comma-separated of ticklake, duckdb (the DuckDB CLI), spark (pyspark), trino (a running
  server: TRINO_DIR names the folder of bench/peers/trino.sh start)

The queries are the catalog tests' (tests/integration/t0060-query.sh, t0061-crosscheck.sh) and the
three questions of the original design (daily VWAP per symbol, 1-minute OHLC for one symbol, top
movers), written once in SQL every engine runs (GROUP BY ALL, a DuckDB extension, is spelled out).
Values are compared exactly, after normalising representation only: timestamps to ns since the
epoch (Spark 4.0 needs its row-based Parquet reader for the lake's BYTE_STREAM_SPLIT doubles, and reads the lake's TIMESTAMP_NS as a long: spark.sql.legacy.parquet.nanosAsLong), dates
to YYYY-MM-DD. Sums of doubles may differ in the last bits because engines add in different
orders: those are compared to 1e-12 relative, and the summary counts them. Prints one line per
query and engine; exit status 1 if any answer differs from ticklake's.
"""
import csv
import datetime
import io
import json
import math
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TICKLAKE = os.environ.get("TICKLAKE", os.path.join(ROOT, "ticklake"))
DUCKDB = os.environ.get("DUCKDB_CLI", "duckdb")

QUERIES = [
    ("count", "SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(size) AS volume, min(ts) AS first_ts, "
              "max(ts) AS last_ts FROM trades"),
    ("per_symbol", "SELECT symbol, count(*) AS n, sum(size) AS v FROM trades GROUP BY symbol ORDER BY symbol"),
    ("symbol_date_vwap", "SELECT symbol, date, sum(price * size) / sum(size) AS vwap, sum(size) AS volume "
                         "FROM trades GROUP BY symbol, date ORDER BY symbol, date"),
    ("one_symbol_rows", "SELECT symbol, ts, price, size, id, venue, source, date FROM trades "
                        "WHERE symbol = (SELECT min(symbol) FROM trades) ORDER BY ts, id"),
    ("bars_1s", "SELECT symbol, window_start, open, high, low, close, volume, trades FROM bars_1s "
                "ORDER BY symbol, window_start"),
    ("q1_daily_vwap", "SELECT symbol, date, sum(price * size) / sum(size) AS vwap FROM trades "
                      "GROUP BY symbol, date ORDER BY symbol, date"),
    ("q2_ohlc_1m", "SELECT window_start, open, high, low, close, volume FROM bars_1m "
                   "WHERE symbol = (SELECT min(symbol) FROM trades) ORDER BY window_start"),
    ("q3_top_movers", "WITH d AS (SELECT symbol, min_by(price, ts * 1) AS first_price, max_by(price, ts * 1) AS last_price "
                      "FROM trades GROUP BY symbol) SELECT symbol, (last_price - first_price) / first_price AS move "
                      "FROM d ORDER BY abs((last_price - first_price) / first_price) DESC, symbol LIMIT 5"),
]
# ts * 1 keeps min_by/max_by on a value every engine orders the same way (Spark's ts is a long).
QUERIES[-1] = (QUERIES[-1][0], QUERIES[-1][1].replace("ts * 1", "ts"))

TS_RE = re.compile(r"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z?$")
EPOCH = datetime.datetime(1970, 1, 1)


def norm(v):
    if isinstance(v, str):
        m = TS_RE.match(v)
        if m:
            d = datetime.datetime.fromisoformat(m[1] + " " + m[2]) - EPOCH
            return (d.days * 86400 + d.seconds) * 10**9 + int((m[3] or "").ljust(9, "0"))
        try:
            if re.fullmatch(r"-?\d+", v):
                return int(v)
            if re.fullmatch(r"-?[\d.]+(e[-+]?\d+)?|-?inf|nan", v, re.I):
                return float(v)
        except ValueError:
            pass
        return v
    if isinstance(v, datetime.datetime):
        d = v - EPOCH
        return (d.days * 86400 + d.seconds) * 10**9 + d.microseconds * 1000
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return v
    return v


def from_csv(text):
    rows = list(csv.reader(io.StringIO(text)))
    return [tuple(norm(c) if c != "" else None for c in r) for r in rows[1:]]


def run_ticklake(lake, sql):
    p = subprocess.run([TICKLAKE, "query", "--lake", lake, "--no-save", "--format", "csv", sql],
                       capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(p.stderr.strip())
    return from_csv(p.stdout)


def duckdb_views(lake):
    out = []
    for t in sorted(os.listdir(lake)):
        if not t.startswith("_") and os.path.isdir(os.path.join(lake, t)):
            out.append(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{lake}/{t}/*/*.parquet', "
                       f"hive_partitioning = true);")
    return "\n".join(out)


def run_duckdb(lake, sql):
    p = subprocess.run([DUCKDB, "-csv", "-c", duckdb_views(lake) + "\n" + sql + ";"],
                       capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(p.stderr.strip())
    return from_csv(p.stdout)


_spark = None


def run_spark(lake, sql):
    global _spark
    if _spark is None:
        from pyspark.sql import SparkSession
        _spark = (SparkSession.builder.master("local[2]").appName("peers")
                  .config("spark.sql.legacy.parquet.nanosAsLong", "true")
                  .config("spark.sql.session.timeZone", "UTC")
                  # Spark 4.0's vectorized reader rejects BYTE_STREAM_SPLIT pages (the lake's doubles,
                  # docs/decisions/0023): the row reader (parquet-mr) reads them
                  .config("spark.sql.parquet.enableVectorizedReader", "false")
                  .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                  .config("spark.driver.memory", "1g").getOrCreate())
        _spark.sparkContext.setLogLevel("ERROR")
        for t in sorted(os.listdir(lake)):
            if not t.startswith("_") and os.path.isdir(os.path.join(lake, t)):
                _spark.read.option("basePath", f"{lake}/{t}").parquet(f"{lake}/{t}").createOrReplaceTempView(t)
    return [tuple(norm(v) for v in r) for r in _spark.sql(sql).collect()]


def run_trino(lake, sql):
    url = open(os.path.join(os.environ["TRINO_DIR"], "url")).read().strip()
    sys.path.insert(0, HERE)
    import trino_sql
    _, rows = trino_sql.query(url, sql)
    return [tuple(norm(v) for v in r) for r in rows]


ENGINES = {"ticklake": run_ticklake, "duckdb": run_duckdb, "spark": run_spark, "trino": run_trino}


def same(a, b):
    """0 equal, 1 equal within 1e-12 relative on some double, 2 different."""
    if len(a) != len(b):
        return 2
    worst = 0
    for ra, rb in zip(a, b):
        if len(ra) != len(rb):
            return 2
        for x, y in zip(ra, rb):
            if x == y:
                continue
            if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool):
                if math.isclose(x, y, rel_tol=1e-12, abs_tol=0):
                    worst = 1
                    continue
            return 2
    return worst


def main():
    lake = os.path.abspath(sys.argv[1])
    engines = sys.argv[2].split(",")
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 1
    out = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    results, bad = [], 0
    for name, sql in QUERIES:
        ref = None
        for e in engines:
            times, rows, err = [], None, None
            for _ in range(repeat):
                t0 = time.monotonic()
                try:
                    rows = ENGINES[e](lake, sql)
                except Exception as ex:  # noqa: BLE001 - reported and counted
                    err = str(ex)[:300]
                    break
                times.append(time.monotonic() - t0)
            verdict = "ERROR " + err if err else "reference"
            if e == engines[0]:
                ref = rows
            elif not err:
                s = same(ref, rows)
                verdict = ["equal", "equal (double sums within 1e-12)", "DIFFERENT"][s]
            if err or verdict == "DIFFERENT":
                bad += 1
                if rows is not None and ref is not None:
                    for i, (x, y) in enumerate(zip(ref, rows)):
                        if same([x], [y]) == 2:
                            print(f"  first difference, row {i + 1}: {engines[0]} {x} vs {e} {y}")
                            break
                    else:
                        print(f"  rows: {engines[0]} {len(ref)} vs {e} {len(rows)}")
            med = sorted(times)[len(times) // 2] if times else None
            results.append({"query": name, "engine": e, "rows": len(rows) if rows is not None else None,
                            "median_s": med, "runs": times, "verdict": verdict})
            print(f"{name:18} {e:9} {len(rows) if rows is not None else '-':>7} rows "
                  f"{med if med is not None else float('nan'):8.3f} s  {verdict}", flush=True)
    if out:
        with open(out, "w") as f:
            json.dump(results, f, indent=1)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
