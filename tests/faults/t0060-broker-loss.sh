#!/usr/bin/env bash
# A broker lost and back, seen in the status line, the log and /metrics, on the 3-broker cluster:
# tests/integration/t0107-broker-loss.sh with node 2 killed (SIGKILL) and restarted on its data.
[ -n "${KAFKA_CLUSTER:-}" ] || { echo "not ok: KAFKA_CLUSTER is not set (a tests/kafka/kafka.sh cluster-start DIR)" >&2; exit 1; }
BROKERS=$(cat "$KAFKA_CLUSTER/bootstrap") KAFKA_KIND=real \
    exec bash "$(dirname "$0")/../integration/t0107-broker-loss.sh"
