#!/usr/bin/env bash
# A rolling restart of the three brokers (each stopped cleanly and started again, the next one once
# the restarted node is back in the cluster) while ingest, process and sink run at RATE trades/s:
# ingest exits 0 with every trade in Kafka once, the committed output equals an uninterrupted run's,
# the lake holds every trade once, and no stage exits. Prints, per node, how long the trades
# partitions took no writes after the stop and how long the node took to come back. 60 s of trades
# by default: three restarts take about that long on 2 cores.
FAULT_SECONDS=${FAULT_SECONDS:-60}
. "$(dirname "$0")/lib.sh"

reference
fault_start
wait_trades $((RATE * 2))
worst=0
for node in 1 2 3; do
    bg_alive ingest || echo "# note: ingest finished before node $node was restarted" >&2
    mark_fault
    # The writes are watched while the node shuts down (seconds: it hands its leaderships over).
    kc stop-node "$node" &
    stopper=$!
    wait_recovered 60
    wait "$stopper" || fail "node $node did not stop"
    echo "fault: node $node stopped $(since_fault) s after SIGTERM"
    kc restart "$node"
    echo "node $node back in the cluster $(since_fault) s after the stop began"
    worst=$(awk -v a="$worst" -v b="$RECOVERED" 'BEGIN { print (b > a ? b : a) }')
done
RECOVERED=$worst
fault_check
echo "ok: rolling restart (recovered in at most $RECOVERED s per node; $((SECONDS - FAULT_STARTED)) s)"
