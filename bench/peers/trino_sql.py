#!/usr/bin/env python3
"""Runs one statement on Trino through its REST API (POST /v1/statement, then follow nextUri).
As a script, prints each row as a JSON array on its own line. usage: trino_sql.py URL SQL"""
import json
import sys
import time
import urllib.request


def _call(req):
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.load(r)


def query(url, sql):
    """(columns, rows) of sql, in catalog lake, schema default; raises RuntimeError on a query error."""
    req = urllib.request.Request(url + "/v1/statement", data=sql.encode(), method="POST",
                                 headers={"X-Trino-User": "peers", "X-Trino-Catalog": "lake",
                                          "X-Trino-Schema": "default",
                                          # without it Trino rounds timestamps to ms for old clients
                                          "X-Trino-Client-Capabilities": "PARAMETRIC_DATETIME"})
    r, cols, rows = _call(req), [], []
    while True:
        if "error" in r:
            e = r["error"]
            raise RuntimeError(f"trino: {e.get('errorName')}: {e.get('message')}")
        cols = r.get("columns") or cols
        rows.extend(r.get("data") or [])
        nxt = r.get("nextUri")
        if not nxt:
            return cols, rows
        if not r.get("data"):
            time.sleep(0.01)
        r = _call(urllib.request.Request(nxt, headers={"X-Trino-User": "peers"}))


if __name__ == "__main__":
    try:
        _, rows = query(sys.argv[1], sys.argv[2])
    except RuntimeError as e:
        sys.exit(str(e))
    for row in rows:
        print(json.dumps(row))
