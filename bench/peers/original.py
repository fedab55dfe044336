#!/usr/bin/env python3
"""The original Python design ticklake grew from, one leg per command:

  original.py produce BROKERS TOPIC FILE         kafka-python, one send() per record as JSON, then flush
  original.py consume BROKERS TOPIC N BUCKET      kafka-python consumer, one JSON object per message into
                                                 S3 with boto3 (endpoint and keys from the AWS_* env)
  original.py query DIR SQL                       DuckDB read_json over the objects (DIR: the S3 server's
                                                 folder of that bucket's objects), prints CSV

produce and consume print records/s. FILE holds KEY<TAB>VALUE lines (the trades ticklake produced,
dumped by kcat); produce parses each value and sends it as a dict through a json.dumps serializer,
as the original did.
"""
import csv
import json
import os
import sys
import time


def produce(brokers, topic, path):
    from kafka import KafkaAdminClient, KafkaProducer
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError
    admin = KafkaAdminClient(bootstrap_servers=brokers)
    try:  # as many partitions as ticklake's topics (its default, 4)
        admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])
    except TopicAlreadyExistsError:
        pass
    admin.close()
    recs = []
    with open(path) as f:
        for line in f:
            k, v = line.rstrip("\n").split("\t", 1)
            recs.append((k, json.loads(v)))
    p = KafkaProducer(bootstrap_servers=brokers, key_serializer=str.encode,
                      value_serializer=lambda d: json.dumps(d).encode())
    t0 = time.monotonic()
    for k, v in recs:
        p.send(topic, key=k, value=v)
    p.flush()
    secs = time.monotonic() - t0
    p.close()
    print(f"{len(recs) / secs:.0f}")


def consume(brokers, topic, n, bucket):
    import boto3
    from kafka import KafkaConsumer
    s3 = boto3.client("s3", endpoint_url=os.environ["S3_TEST_ENDPOINT"])
    c = KafkaConsumer(topic, bootstrap_servers=brokers, group_id="original-" + topic,
                      auto_offset_reset="earliest", enable_auto_commit=True)
    got, t0 = 0, time.monotonic()
    while got < n:
        for tp, msgs in c.poll(timeout_ms=1000).items():
            for m in msgs:
                s3.put_object(Bucket=bucket, Key=f"raw/{m.topic}/{m.partition}/{m.offset:020d}.json",
                              Body=m.value)
                got += 1
    c.commit()
    secs = time.monotonic() - t0
    c.close()
    print(f"{got / secs:.0f}")


def query(folder, sql):
    import duckdb
    con = duckdb.connect()
    con.execute(f"CREATE VIEW trades AS SELECT * FROM read_json('{folder}/**/*.json', "
                "columns = {symbol: 'VARCHAR', ts: 'BIGINT', price: 'DOUBLE', size: 'BIGINT', id: 'BIGINT', "
                "venue: 'VARCHAR', source: 'VARCHAR'})")
    cur = con.execute(sql)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow([d[0] for d in cur.description])
    w.writerows(cur.fetchall())


cmd = sys.argv[1]
if cmd == "produce":
    produce(*sys.argv[2:5])
elif cmd == "consume":
    consume(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
elif cmd == "query":
    query(sys.argv[2], sys.argv[3])
else:
    sys.exit(__doc__)
