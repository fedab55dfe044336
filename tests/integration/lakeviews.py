"""lakeviews.py - an independent DuckDB over a lake's files, shared by crosscheck.py and
check_arrow.py: no ticklake code and no catalog, one view per table folder over
<lake>/<table>/**/*.parquet with hive partitioning, in UTC."""
import os

import duckdb


def connect(lake):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name in sorted(os.listdir(lake)):
        path = os.path.join(lake, name)
        if name.startswith(("_", ".")) or not os.path.isdir(path):
            continue
        glob = os.path.join(path, "**", "*.parquet")
        con.execute(
            f"CREATE VIEW \"{name}\" AS SELECT * FROM read_parquet('{glob}', "
            "hive_partitioning = true, union_by_name = true)"
        )
    return con
