#!/usr/bin/env bash
# A rolling restart of the three brokers (each stopped cleanly and started again, the next one once
# the restarted node is back in the cluster) while ingest, process and sink run at RATE trades/s:
# ingest exits 0 with every trade in Kafka once, the committed output equals an uninterrupted run's,
# the lake holds every trade once, and no stage exits. Prints, per node, how long the trades
# partitions took no writes and how long the node took to come back.
. "$(dirname "$0")/lib.sh"

reference
fault_start
wait_trades $((RATE * 4))
worst=0
for node in 1 2 3; do
    bg_alive ingest || echo "# note: ingest finished before node $node was restarted" >&2
    mark_fault
    kc stop-node "$node"
    stopped=$(since_fault)
    kc restart "$node"
    echo "fault: node $node stopped in $stopped s, back in the cluster $(since_fault) s after the stop"
    wait_recovered 60
    worst=$(awk -v a="$worst" -v b="$RECOVERED" 'BEGIN { print (b > a ? b : a) }')
done
RECOVERED=$worst
fault_check
echo "ok: rolling restart (recovered in at most $RECOVERED s per node; $((SECONDS - FAULT_STARTED)) s)"
