# feeds.sh - helpers for the live-feed integration scripts (tNNNN-feeds-*.sh), sourced after lib.sh.
#
#   feed_server NAME PROVIDER ARGS...   start tests/feeds/replay_server.py as background NAME; sets PORT
#   feed_session NAME PROVIDER SYMBOLS SERVER_ARGS... -- INGEST_ARGS...
#                           a whole session: the server, `ticklake ingest --source PROVIDER` against
#                           it into topic ${pre}NAME.trades ($pre set by the script), wait until the server has sent everything and
#                           Kafka holds that many trades, SIGTERM, exit status 0, and the records
#                           equal the trades sent (tests/feeds/check_records.py). Sets SUMMARY (the
#                           server's) and LINE (ingest's last report line).
# The stock providers' keys are "testkey", which the server accepts.
py=$("$ROOT/tests/tools/venv.sh") || fail "unable to set up the Python venv (tests/tools/venv.sh)"
export FINNHUB_TOKEN=testkey APCA_API_KEY_ID=testkey APCA_API_SECRET_KEY=secret POLYGON_API_KEY=testkey

feed_server() {
    local name=$1 provider=$2
    shift 2
    bg_start "$name" "$py" "$ROOT/tests/feeds/replay_server.py" --provider "$provider" \
        --truth "$T/$name.truth" --summary "$T/$name.summary" "$@"
    port_known() { [ -s "$T/$name.out" ]; }
    wait_for 20 port_known || fail "$name: the replay server did not start: $(cat "$T/$name.err")"
    PORT=$(head -1 "$T/$name.out")
}

feed_session() {
    local name=$1 provider=$2 symbols=$3
    shift 3
    local sargs=() iargs=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        sargs+=("$1")
        shift
    done
    [ $# -eq 0 ] || shift
    iargs=("$@")
    feed_server "$name-server" "$provider" "${sargs[@]}"
    local topic="$pre$name.trades"
    local cmd=("$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre$name." --source "$provider"
        --symbols "$symbols" --feed-url "ws://127.0.0.1:$PORT/" --feed-backoff-max 1s "${iargs[@]}")
    bg_start "$name" "${cmd[@]}"
    summary_done() { [ -s "$T/$name-server.summary" ]; }
    wait_for 120 summary_done || fail "$name: the server did not finish its session: $(tail -5 "$T/$name.err")"
    SUMMARY=$(cat "$T/$name-server.summary")
    local want
    want=$(wc -l <"$T/$name-server.truth")
    all_in() {
        kcat -L -b "$BROKERS" -t "$topic" 2>/dev/null | grep -q ' partition ' || return 1
        [ "$(kafka_end_sum "$topic")" -ge "$want" ]
    }
    wait_for 30 all_in || fail "$name: Kafka holds $(kafka_end_sum "$topic") records, want $want"
    bg_stop "$name" TERM
    assert_eq "$BG_STATUS" 0 "$name: ingest exit status after SIGTERM"
    LINE=$(grep '^ticklake ingest: ' "$T/$name.err" | tail -1)
    # The latency from a message's arrival to the acknowledgement of its trades: measured, and
    # p99 at or above p50.
    [[ $LINE =~ acknowledgement\ p50\ ([0-9.]+)\ ms,\ p99\ ([0-9.]+)\ ms ]] ||
        fail "$name: no arrival-to-acknowledgement latency in: $LINE"
    awk -v a="${BASH_REMATCH[1]}" -v b="${BASH_REMATCH[2]}" 'BEGIN { exit !(a > 0 && b >= a) }' ||
        fail "$name: implausible latency p50 ${BASH_REMATCH[1]} ms, p99 ${BASH_REMATCH[2]} ms"
    kcat -C -b "$BROKERS" -t "$topic" -e -q -f '%s\n' >"$T/$name.records"
    QUOTES_TOPIC="$pre$name.quotes"
    "$py" "$ROOT/tests/feeds/check_records.py" "$provider" "$T/$name-server.truth" "$T/$name.records" ||
        fail "$name: the records in Kafka differ from the trades sent"
    bg_stop "$name-server" TERM
}

# The number after WORD in the summary line ("..., 3 gaps, ...").
count_of() { [[ $LINE =~ ([0-9]+)\ $1[,\;] ]] && echo "${BASH_REMATCH[1]}"; }
# A field of the server's summary JSON.
summary_of() { "$py" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$SUMMARY" "$1"; }
