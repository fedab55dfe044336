#!/usr/bin/env python3
"""Compares two bar streams (JSON lines, docs/DATA.md "bar") bar by bar.

usage: barcompare.py TICKLAKE.jsonl PEER.jsonl TRADES.jsonl LATENESS_NS

Bars are matched by (symbol, interval, window_start); every field is compared exactly (numbers as
parsed doubles / integers). A bar only one side has is explained when its window is still open for
that side at the end of the input: the last trade time of its input partition minus the lateness has
not reached window_end. The trades file (one JSON trade per line, with "partition") gives each
partition's last event time. Prints one summary line; exit status 1 when any bar differs or any
one-sided bar is unexplained.
"""
import json
import sys

FIELDS = ("window_end", "open", "high", "low", "close", "volume", "turnover", "vwap", "trades")


def load(path):
    out = {}
    with open(path) as f:
        for line in f:
            if line.strip():
                b = json.loads(line)
                k = (b["symbol"], b["interval"], b["window_start"])
                if k in out:
                    raise SystemExit(f"{path}: bar {k} twice")
                out[k] = b
    return out


def main():
    tl, peer = load(sys.argv[1]), load(sys.argv[2])
    lateness = int(sys.argv[4])
    part_of, part_max = {}, {}
    with open(sys.argv[3]) as f:
        for line in f:
            p, rec = line.split("\t", 1)
            t = json.loads(rec)
            part_of[t["symbol"]] = int(p)
            part_max[int(p)] = max(part_max.get(int(p), 0), t["ts"])
    diff = explained = unexplained = 0
    for k in sorted(set(tl) & set(peer)):
        a, b = tl[k], peer[k]
        bad = [f for f in FIELDS if a[f] != b[f]]
        if bad:
            diff += 1
            if diff <= 5:
                print(f"differs {k}: " + ", ".join(f"{f} {a[f]!r} vs {b[f]!r}" for f in bad))
    for side, only in (("ticklake", set(tl) - set(peer)), ("peer", set(peer) - set(tl))):
        for k in sorted(only):
            b = (tl if side == "ticklake" else peer)[k]
            if part_max[part_of[k[0]]] - lateness < b["window_end"]:
                explained += 1
            else:
                unexplained += 1
                if unexplained <= 5:
                    print(f"only {side}: {k} (partition {part_of[k[0]]} last trade "
                          f"{part_max[part_of[k[0]]]}, window_end {b['window_end']})")
    same = len(set(tl) & set(peer)) - diff
    print(f"bars: ticklake {len(tl)}, peer {len(peer)}, identical {same}, different {diff}, "
          f"one-sided and still open {explained}, one-sided unexplained {unexplained}")
    sys.exit(1 if diff or unexplained else 0)


main()
