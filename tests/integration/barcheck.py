#!/usr/bin/env python3
"""barcheck.py - an independent check of the bars ticklake streamed.

Recomputes, in plain Python, the OHLCV bars of every window that must have
closed, from the trades as they sit in Kafka, and compares them with the bars
ticklake published. Windows follow docs/DATA.md: [start, start + interval)
in event time; a partition's watermark is its highest trade time minus the
allowed lateness; a window is closed once the watermark reaches its end.

usage: barcheck.py TRADES BARS --lateness-ns N --intervals 1s,1m
  TRADES  lines "<partition> <trade json>" (kcat -f '%p %s\\n')
  BARS    lines "<bar json>"
Exits 0 when the bars are exactly the closed windows, with open, high, low,
close, volume and trades equal, vwap within 1e-9 relative of turnover / volume
clamped to [low, high] (docs/DATA.md) and never outside [low, high]; prints
what differs otherwise.
"""
import argparse
import json
import sys

UNITS = {"ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def parse_interval(s):
    for suffix in ("ms", "s", "m", "h"):
        if s.endswith(suffix) and s[: -len(suffix)].isdigit():
            return int(s[: -len(suffix)]) * UNITS[suffix]
    raise ValueError(f"bad interval {s!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trades")
    ap.add_argument("bars")
    ap.add_argument("--lateness-ns", type=int, default=10**9)
    ap.add_argument("--intervals", default="1s,1m")
    ap.add_argument("--allow-extra", action="store_true",
                    help="bars beyond the surely-closed windows are fine if correct")
    ap.add_argument("--all", action="store_true",
                    help="every window must have closed (the partitions went idle)")
    a = ap.parse_args()
    intervals = {s: parse_interval(s) for s in a.intervals.split(",")}

    wm = {}
    windows = {}  # (interval name, symbol, start) -> list of trades
    ntrades = 0
    with open(a.trades) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            part, _, js = line.partition(" ")
            t = json.loads(js)
            ntrades += 1
            p = int(part)
            wm[p] = max(wm.get(p, t["ts"]), t["ts"])
            for name, iv in intervals.items():
                start = t["ts"] // iv * iv
                windows.setdefault((name, t["symbol"], start, p), []).append(t)

    expected = {}
    maybe = {}
    for (name, sym, start, p), ts in windows.items():
        ts.sort(key=lambda t: (t["ts"], t["id"]))
        vol = sum(t["size"] for t in ts)
        high, low = max(t["price"] for t in ts), min(t["price"] for t in ts)
        vwap = sum(t["price"] * t["size"] for t in ts) / vol
        b = {
            "open": ts[0]["price"], "close": ts[-1]["price"], "high": high, "low": low,
            "volume": vol, "trades": len(ts), "vwap": min(max(vwap, low), high),
        }
        key = (name, sym, start)
        if a.all or start + intervals[name] <= wm[p] - a.lateness_ns:
            expected[key] = b
        else:
            maybe[key] = b

    got = {}
    dups = 0
    with open(a.bars) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            b = json.loads(line)
            key = (b["interval"], b["symbol"], b["window_start"])
            if key in got:
                dups += 1
            got[key] = b

    errors = []
    for key, e in expected.items():
        g = got.get(key)
        if g is None:
            errors.append(f"missing bar {key}")
            continue
        for field in ("open", "high", "low", "close", "volume", "trades"):
            if g[field] != e[field]:
                errors.append(f"{key}: {field} {g[field]} != {e[field]}")
        if abs(g["vwap"] - e["vwap"]) > 1e-9 * abs(e["vwap"]):
            errors.append(f"{key}: vwap {g['vwap']} != {e['vwap']}")
    for key, g in got.items():
        if not g["low"] <= g["vwap"] <= g["high"]:
            errors.append(f"{key}: vwap {g['vwap']!r} outside [{g['low']!r}, {g['high']!r}]")
    for key, g in got.items():
        if key in expected:
            continue
        if key not in maybe:
            errors.append(f"unexpected bar {key}")
        elif not a.allow_extra:
            errors.append(f"bar for a window that was not closed yet {key}")
    if dups:
        errors.append(f"{dups} duplicate bars")
    print(f"barcheck: {ntrades} trades, {len(expected)} closed windows, {len(got)} bars, "
          f"{len(errors)} problems")
    for e in errors[:20]:
        print("  " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
