#!/usr/bin/env python3
"""check_quotes.py - the quotes a crypto feed run put in Kafka are the quotes the
replay server sent: the same distinct (symbol, bid, bid size, ask, ask size),
sizes in lots of 1e-8 with size_scale 8, prices equal as numbers.

    check_quotes.py PROVIDER TRUTH.quotes RECORDS   (RECORDS: one JSON quote a line)

Prints "ok: N distinct quotes" or what differs, and exits 1 on a difference."""
import json
import sys
from decimal import Decimal

provider, truth_path, records_path = sys.argv[1:4]
want = set()
with open(truth_path) as f:
    for line in f:
        if line.strip():
            sym, bid, bsz, ask, asz = json.loads(line)
            want.add((sym, Decimal(bid), bsz, Decimal(ask), asz))
got, errors = set(), []
with open(records_path) as f:
    for line in f:
        if not line.strip():
            continue
        r = json.loads(line, parse_float=Decimal)
        if r.get("source") != provider:
            continue
        if r.get("size_scale") != 8:
            errors.append(f"size_scale {r.get('size_scale')} in {line.strip()}")
        got.add((r["symbol"], Decimal(r["bid"]), r["bid_size"], Decimal(r["ask"]), r["ask_size"]))
for q in sorted(want - got):
    errors.append(f"sent, not in Kafka: {q}")
for q in sorted(got - want):
    errors.append(f"in Kafka, never sent: {q}")
if errors:
    print("\n".join(errors[:20]))
    sys.exit(1)
print(f"ok: {len(got)} distinct quotes")
