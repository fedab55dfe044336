#!/usr/bin/env bash
# SIGSTOP the broker leading trades partition 1 for 20 s (a hang: its connections stay open and
# nothing answers), then SIGCONT, while ingest, process and sink run at RATE trades/s: ingest exits 0
# with every trade in Kafka once, the committed output equals an uninterrupted run's, the lake holds
# every trade once, and no stage exits. Prints how long the trades partitions took no writes.
. "$(dirname "$0")/lib.sh"

reference
fault_start
wait_trades $((RATE * 6))
victim=$(kc leader "${pre}trades" 1)
echo "fault: SIGSTOP node $victim for 20 s (leads $(kc leaders "${pre}trades" | awk -v v="$victim" '$2 == v { printf "%s ", $1 }')of ${pre}trades)"
mark_fault
kc sigstop "$victim"
wait_recovered 60
sleep_until 20
kc sigcont "$victim"
echo "node $victim resumed 20 s after SIGSTOP"
fault_check
echo "ok: broker SIGSTOP 20 s (recovered in $RECOVERED s; $((SECONDS - FAULT_STARTED)) s)"
