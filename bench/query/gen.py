"""gen.py - benchmark data in the lake layout, generated with DuckDB SQL straight into Parquet.

    gen.py trades LAKE [--rows N] [--days D] [--symbols S] [--partitions P]
    gen.py bars LAKE
    gen.py partitions LAKE [--count N]

trades: N trades (default 100,000,000) over D trading days (default 21, from 2026-01-05, weekdays
only) and S symbols (default 500), written as the sink writes them:
LAKE/trades/date=YYYY-MM-DD/trades+<p>+<first offset, 20 digits>.parquet, one file per Kafka
partition p (symbol hash mod P, default 4) and day, rows sorted by symbol then time, ZSTD. Each
symbol's price is a random walk; trades are spread over 09:30-16:00 UTC; sizes 1-1000; ids unique.

bars: LAKE/bars_1m from LAKE/trades, as the pipeline's process and sink stages would have written
them (one file per day): symbol, window_start, open, high, low, close, volume, vwap, trades, turnover.

partitions: N partitions (default 10,000) of a small table LAKE/ticks/date=.../part.parquet (50
rows each, consecutive dates from 2000-01-01), for crawl timings.

Not part of the test suite: run by bench/query/run.sh.
"""
import argparse
import datetime
import os
import time

import duckdb

# As the sink writes Parquet: ENGINE_PARQUET_OPTIONS in src/engine/engine.h.
PARQUET = "FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION V2"


def trades(args):
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET preserve_insertion_order = false")
    days = []
    d = datetime.date(2026, 1, 5)
    while len(days) < args.days:
        if d.weekday() < 5:
            days.append(d)
        d += datetime.timedelta(days=1)
    per_day = args.rows // args.days
    offset = [0] * args.partitions
    t0 = time.time()
    for i, day in enumerate(days):
        n = per_day if i < len(days) - 1 else args.rows - per_day * (len(days) - 1)
        # One day: symbol k gets a share of the trades; prices walk from the previous close.
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE day AS
            WITH t AS (
                SELECT i, 'SYM' || lpad(CAST(i % {args.symbols} AS VARCHAR), 3, '0') AS symbol,
                       (hash(i, {i}) % 23400000000000)::BIGINT AS off_ns,
                       (hash(i, {i}, 1) % 1000)::BIGINT + 1 AS size,
                       ((hash(i, {i}, 2) % 2001)::DOUBLE - 1000) / 1000 AS step
                FROM range({n}) r(i))
            SELECT symbol, make_timestamp_ns(epoch_ns(DATE '{day}') + 34200000000000 + off_ns) AS ts,
                   round((20 + (hash(symbol) % 480)) * exp(0.0004 * sum(step) OVER (
                       PARTITION BY symbol ORDER BY off_ns, i ROWS UNBOUNDED PRECEDING) / 20), 2) AS price,
                   size, i AS id, 'XSIM' AS venue, 'bench' AS source,
                   hash(symbol) % {args.partitions} AS p
            FROM t""")
        for p in range(args.partitions):
            cnt = con.execute(f"SELECT count(*) FROM day WHERE p = {p}").fetchone()[0]
            if cnt == 0:
                continue
            folder = os.path.join(args.lake, "trades", f"date={day}")
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, f"trades+{p}+{offset[p]:020d}.parquet")
            con.execute(f"""COPY (SELECT symbol, ts, price, size, id + {i * per_day} AS id, venue, source
                              FROM day WHERE p = {p} ORDER BY symbol, ts, id)
                            TO '{path}' ({PARQUET})""")
            offset[p] += cnt
        print(f"{day}: {n} trades ({time.time() - t0:.0f} s)", flush=True)


def bars(args):
    con = duckdb.connect()
    con.execute("SET threads = 2")
    src = os.path.join(args.lake, "trades")
    for day in sorted(os.listdir(src)):
        if not day.startswith("date="):
            continue
        folder = os.path.join(args.lake, "bars_1m", day)
        os.makedirs(folder, exist_ok=True)
        con.execute(f"""COPY (SELECT symbol, make_timestamp_ns(epoch_ns(ts) // 60000000000 * 60000000000) AS window_start,
                                    arg_min(price, (ts, id)) AS open, max(price) AS high, min(price) AS low,
                                    arg_max(price, (ts, id)) AS close, sum(size) AS volume,
                                    sum(price * size) / sum(size) AS vwap, count(*) AS trades,
                                    sum(price * size) AS turnover
                             FROM read_parquet('{src}/{day}/*.parquet') GROUP BY ALL ORDER BY symbol, window_start)
                        TO '{folder}/bars.1m+0+00000000000000000000.parquet' ({PARQUET})""")
        print(f"bars_1m {day}", flush=True)


def partitions(args):
    con = duckdb.connect()
    folder = os.path.join(args.lake, "ticks")
    os.makedirs(folder, exist_ok=True)
    con.execute(f"""COPY (SELECT DATE '2000-01-01' + (i // 50)::INTEGER AS date, 'S' || (i % 7) AS symbol,
                           make_timestamp_ns(epoch_ns(DATE '2000-01-01' + (i // 50)::INTEGER) + i) AS ts,
                           i * 0.5 AS price FROM range({args.count * 50}) t(i))
                    TO '{folder}' (FORMAT parquet, PARTITION_BY (date), FILENAME_PATTERN 'part{{i}}')""")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["trades", "bars", "partitions"])
    ap.add_argument("lake")
    ap.add_argument("--rows", type=int, default=100_000_000)
    ap.add_argument("--days", type=int, default=21)
    ap.add_argument("--symbols", type=int, default=500)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--count", type=int, default=10_000)
    args = ap.parse_args()
    {"trades": trades, "bars": bars, "partitions": partitions}[args.what](args)


if __name__ == "__main__":
    main()
