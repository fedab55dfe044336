#!/usr/bin/env bash
# kill -9 the active controller (the raft leader of the metadata quorum; every node here is also a
# broker) while ingest, process and sink run at RATE trades/s, and start it again 10 s later: a new
# controller is elected, ingest exits 0 with every trade in Kafka once, the committed output equals
# an uninterrupted run's, the lake holds every trade once, and no stage exits. Prints how long the
# trades partitions took no writes and when another controller took over.
. "$(dirname "$0")/lib.sh"

reference
fault_start
wait_trades $((RATE * 6))
victim=$(kc controller)
echo "fault: kill -9 node $victim, the active controller (leads $(kc leaders "${pre}trades" | awk -v v="$victim" '$2 == v { printf "%s ", $1 }')of ${pre}trades)"
mark_fault
kc kill9 "$victim"
new_controller() { c=$(kc controller 2>/dev/null) && [ "$c" != "$victim" ]; }
wait_for 30 new_controller || fail "no other node became the active controller in 30 s"
echo "node $(kc controller) became the active controller $(since_fault) s after the kill"
wait_recovered 60
sleep_until 10
kc restart "$victim"
echo "node $victim restarted 10 s after the kill, back in the cluster $(since_fault) s after it"
fault_check
echo "ok: controller kill -9 (recovered in $RECOVERED s; $((SECONDS - FAULT_STARTED)) s)"
