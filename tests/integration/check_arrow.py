"""check_arrow.py - checks an Arrow IPC stream from ticklake against an independent DuckDB.

    check_arrow.py LAKE RESULT.arrows SQL [MAX_ROWS]

RESULT.arrows is what `ticklake query --format arrow` (or POST /api/query with "format":"arrow")
wrote for SQL. pyarrow reads the stream (and validates every array in full); the DuckDB Python
package reads the lake's Parquet files directly (one view per table folder, hive partitioning, as
crosscheck.py does), runs the same SQL and converts the answer to Arrow itself. The two tables must
be equal: the same schema (names, types, nullability, nested children) and the same values, NULLs
included. With MAX_ROWS, DuckDB's answer is cut to its first MAX_ROWS rows. SQL should end with
ORDER BY. Prints the schema and "ok: N rows in B batches", or the differences, and exits 0 or 1.
"""
import sys

import lakeviews
import pyarrow as pa


def main():
    lake, stream, sql = sys.argv[1], sys.argv[2], sys.argv[3]
    limit = int(sys.argv[4]) if len(sys.argv) > 4 else None
    con = lakeviews.connect(lake)
    want = con.execute(sql).to_arrow_table()
    if limit is not None:
        want = want.slice(0, limit)
    with pa.OSFile(stream, "rb") as f:
        got = pa.ipc.open_stream(f).read_all()
    got.validate(full=True)
    print(got.schema)
    problems = []
    if not got.schema.equals(want.schema):
        problems.append(f"schemas differ:\n{got.schema}\n-- duckdb --\n{want.schema}")
    if got.num_rows != want.num_rows:
        problems.append(f"row counts differ: ticklake {got.num_rows}, duckdb {want.num_rows}")
    elif not problems:
        for name, g, w in zip(got.schema.names, got.columns, want.columns):
            if not g.equals(w):
                g, w = g.combine_chunks(), w.combine_chunks()
                row = next(i for i in range(len(g)) if g[i] != w[i] or g[i].is_valid != w[i].is_valid)
                problems.append(f"column {name}, row {row}: ticklake {g[row]}, duckdb {w[row]}")
    if problems:
        print("MISMATCH for: " + sql)
        for p in problems:
            print("  " + p)
        sys.exit(1)
    print(f"ok: {got.num_rows} rows in {len(got.to_batches())} batches")


if __name__ == "__main__":
    main()
