#!/usr/bin/env bash
# kill -9 the broker leading trades partition 0 while ingest, process and sink run at RATE trades/s,
# and start it again 10 s later (same id, data and ports): ingest exits 0 with every trade in Kafka
# once, the committed output equals an uninterrupted run's, the lake holds every trade once, and no
# stage exits. Prints how long the trades partitions took no writes.
. "$(dirname "$0")/lib.sh"

reference
fault_start
wait_trades $((RATE * 6))
victim=$(kc leader "${pre}trades" 0)
echo "fault: kill -9 node $victim (leads $(kc leaders "${pre}trades" | awk -v v="$victim" '$2 == v { printf "%s ", $1 }')of ${pre}trades)"
mark_fault
kc kill9 "$victim"
wait_recovered 60
sleep_until 10
kc restart "$victim"
echo "node $victim restarted 10 s after the kill, back in the cluster $(since_fault) s after it"
fault_check
echo "ok: leader kill -9 (recovered in $RECOVERED s; $((SECONDS - FAULT_STARTED)) s)"
