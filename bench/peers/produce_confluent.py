#!/usr/bin/env python3
"""confluent-kafka-python producing the records of a file with the producer settings of `ticklake
ingest` and bench/ingest.sh's kcat; prints records/s. The file is kcat's framing of run.sh: each
record is KEY \\x1f\\x1e VALUE \\x1d\\x1c\\x1b\\x1a (binary values may hold any byte).
usage: produce_confluent.py BROKERS TOPIC FILE"""
import sys
import time

from confluent_kafka import Producer

brokers, topic, path = sys.argv[1:4]
recs = [r.split(b"\x1f\x1e", 1) for r in open(path, "rb").read().split(b"\x1d\x1c\x1b\x1a")[:-1]]
p = Producer({"bootstrap.servers": brokers, "enable.idempotence": True, "acks": "all",
              "compression.type": "lz4", "linger.ms": 5, "batch.num.messages": 10000,
              "batch.size": 1000000, "queue.buffering.max.messages": 500000,
              "partitioner": "murmur2_random"})
failed = 0


def report(err, _msg):
    global failed
    if err is not None:
        failed += 1


t0 = time.monotonic()
for k, v in recs:
    while True:
        try:
            p.produce(topic, v, k, on_delivery=report)
            break
        except BufferError:
            p.poll(0.01)
    p.poll(0)
p.flush()
secs = time.monotonic() - t0
if failed:
    sys.exit(f"{failed} records failed")
print(f"{len(recs) / secs:.0f}")
