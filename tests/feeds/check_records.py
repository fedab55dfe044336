#!/usr/bin/env python3
"""check_records.py - the trades a feed run put in Kafka equal the trades the
replay server sent: same count, nothing doubled, and for each trade the same
symbol, provider id, price (the exact decimal text), size (in lots) and time.

    check_records.py PROVIDER TRUTH RECORDS   (RECORDS: one JSON record a line, e.g. from kcat)

Prints "ok: N trades" or what differs, and exits 1 on a difference. Numbers are
read as their literal text, so a lost digit or trailing zero is a difference."""
import json
import sys

provider, truth_path, records_path = sys.argv[1:4]


def load(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line, parse_float=str, parse_int=str))
    return out


truth = load(truth_path)
recs = [r for r in load(records_path) if r.get("source") == provider]
errors = []


def key(r):
    # Finnhub sends no trade id: a trade is its symbol, time, price and size.
    if provider == "finnhub":
        return (r["symbol"], str(r["ts"]), str(r["price"]), str(r["size"]))
    return (r["symbol"], str(r["id"]))


want = {key(t): t for t in truth}
got = {}
for r in recs:
    if provider != "finnhub":
        tid = r.get("trade_id")
        r = dict(r, id=tid)  # the provider's id as sent
    k = key(r)
    if k in got:
        errors.append(f"doubled: {k}")
    got[k] = r
if len(recs) != len(truth):
    errors.append(f"{len(recs)} records in Kafka, {len(truth)} trades sent")
for k, t in want.items():
    r = got.get(k)
    if r is None:
        errors.append(f"missing: {k}")
        continue
    for f in ("price", "size", "ts"):
        if str(r[f]) != str(t[f]):
            errors.append(f"{k}: {f} {r[f]} != {t[f]}")
for k in got:
    if k not in want:
        errors.append(f"not sent: {k}")
if errors:
    print("\n".join(errors[:20]))
    sys.exit(1)
print(f"ok: {len(truth)} trades")
