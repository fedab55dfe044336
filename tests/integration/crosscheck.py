"""crosscheck.py - checks ticklake's answer to a query against an independent DuckDB.

    crosscheck.py LAKE RESULT.parquet SQL

RESULT.parquet is what `ticklake query --format parquet` wrote for SQL. This script reads the lake's
Parquet files directly with the DuckDB Python package (no ticklake code, no catalog: one view per
table folder over <lake>/<table>/**/*.parquet with hive partitioning), runs the same SQL, and compares
the two results row by row (SQL should end with ORDER BY so the order is defined): same columns, same
number of rows, equal values (floating-point values within a relative 1e-9, since parallel sums may
round differently). Prints "ok: N rows" or the first differences, and exits 0 or 1.
"""
import math
import sys

import lakeviews


def main():
    lake, result, sql = sys.argv[1], sys.argv[2], sys.argv[3]
    con = lakeviews.connect(lake)
    want = con.execute(sql)
    want_cols = [d[0] for d in want.description]
    want_rows = want.fetchall()
    got = con.execute(f"SELECT * FROM read_parquet('{result}')")
    got_cols = [d[0] for d in got.description]
    got_rows = got.fetchall()
    problems = []
    if want_cols != got_cols:
        problems.append(f"columns differ: ticklake {got_cols}, duckdb {want_cols}")
    if len(want_rows) != len(got_rows):
        problems.append(f"row counts differ: ticklake {len(got_rows)}, duckdb {len(want_rows)}")
    for i, (w, g) in enumerate(zip(want_rows, got_rows)):
        same = len(w) == len(g) and all(
            (isinstance(a, float) and isinstance(b, float) and math.isclose(a, b, rel_tol=1e-9))
            or a == b
            for a, b in zip(w, g)
        )
        if not same:
            problems.append(f"row {i}: ticklake {g}, duckdb {w}")
        if len(problems) > 5:
            break
    if problems:
        print("MISMATCH for: " + sql)
        for p in problems:
            print("  " + p)
        sys.exit(1)
    print(f"ok: {len(got_rows)} rows")


if __name__ == "__main__":
    main()
