#!/usr/bin/env bash
# The console that `ticklake run` serves follows the pipeline live: a push-stream client sees
# trades, forming bars and alerts while the run runs, each alert once. On the embedded broker
# the processor hands its alerts to the console in process (serve_alert), and the copies that
# arrive again through alerts.live are not shown twice (ticklake_stream_alerts_repeated_total).
# It once showed nothing at all: the console's consumer subscribed before the processor's first
# alert created alerts.live on the embedded broker, and that consumer then read no record.
. "$(dirname "$0")/lib.sh"

args=(--duration 40 --lake "$T/lake" --rate 5000 --symbols 20 --seed 94 --listen 127.0.0.1:0
    --alert-z 1.5 --alert-gap 0.05 --compact-interval 0)
[ "$KAFKA_KIND" != real ] || args+=(--brokers "$BROKERS" --topic-prefix "$(unique_name rc).")
bg_start run "$TICKLAKE" run "${args[@]}"
wait_for 20 grep -q '^http://' "$T/run.out" || { cat "$T/run.err" >&2; fail "run printed no URL"; }
U=$(grep -m1 '^http://' "$T/run.out")
# Ten seconds of the stream, from a moment after start (the first windows close after 2 s).
sleep 3
curl -sN --max-time 10 "${U}api/stream?kinds=trade,forming,alert" >"$T/stream" || true
trades=$(grep -c '^event: trade$' "$T/stream" || true)
forming=$(grep -c '^event: forming$' "$T/stream" || true)
alerts=$(grep -c '^event: alert$' "$T/stream" || true)
echo "# stream: $trades trades, $forming forming bars, $alerts alerts in 10 s ($KAFKA_KIND)" >&2
assert_ge "$trades" 10000 "trades on the push stream in 10 s at 5,000/s"
assert_ge "$forming" 50 "forming bars on the push stream"
assert_ge "$alerts" 5 "alerts on the push stream"
# Each alert once: its JSON names the symbol, kind and bar end.
dups=$(grep -A1 '^event: alert$' "$T/stream" | grep '^data:' | sort | uniq -d | wc -l)
assert_eq "$dups" 0 "alerts shown twice"
metric() { curl -s "${U}metrics" | sed -nE "s/^$1 ([0-9.e+]+)$/\1/p"; }
if [ "$KAFKA_KIND" != real ]; then
    inproc=$(metric ticklake_stream_alerts_in_process_total)
    assert_ge "${inproc%.*}" "$alerts" "alerts handed to the console in process"
fi
bg_stop run INT
assert_eq "$BG_STATUS" 0 "run exit status"
echo "ok: run's console"
