#!/usr/bin/env bash
# SASL/SCRAM over TLS with -F on the 3-broker cluster: tests/integration/t0110-kafka-sasl-ssl.sh
# against the SASL_SSL listeners of every node (tests/kafka/kafka.sh cluster-start makes them).
[ -n "${KAFKA_CLUSTER:-}" ] || { echo "not ok: KAFKA_CLUSTER is not set (a tests/kafka/kafka.sh cluster-start DIR)" >&2; exit 1; }
KAFKA_SECURE=$KAFKA_CLUSTER BROKERS=$(cat "$KAFKA_CLUSTER/bootstrap") KAFKA_KIND=real \
    exec bash "$(dirname "$0")/../integration/t0110-kafka-sasl-ssl.sh"
