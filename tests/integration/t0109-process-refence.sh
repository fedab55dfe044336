#!/usr/bin/env bash
# A processor whose consumer is fenced by another member with its group.instance.id, while its
# transactional producer is still the current one (real Kafka with transactions only). This is
# how a zombie comes back when its session expired before its replacement joined: the zombie's
# consumer rejoins and fences the replacement's, while the replacement had fenced the zombie's
# producer when it started. The replacement must start over and take the membership back, not
# stop: otherwise both stop and the last windows never close. Here a kcat consumer plays the
# zombie's consumer. The processor carries on, and the committed bars are exactly every window
# of the trades (barcheck.py, independent of ticklake).
. "$(dirname "$0")/lib.sh"
[ "$KAFKA_KIND" = real ] || skip "transactions are not honoured by the embedded broker"
command -v kcat >/dev/null || skip "kcat is not installed"
started=$SECONDS

pre=$(unique_name r).
group=$(unique_name g)
bg_start ingest "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --speed 2 \
    --rate 2500 --count 50000 --symbols 40 --seed 109 --start 2026-02-03 -q
bg_start proc "$TICKLAKE" process --brokers "$BROKERS" --topic-prefix "$pre" --group "$group" \
    --instance-id x --intervals 1s,10s --lateness 200ms --idle-timeout 2s \
    -X session.timeout.ms=6000
read_topic() { kcat -C -b "$BROKERS" -t "$1" -e -q -X isolation.level=read_committed -f '%s\n' 2>/dev/null; }
committed_bars() { for iv in 1s 10s; do read_topic "${pre}bars.$iv"; done | wc -l; }
some_committed() { [ "$(committed_bars)" -gt 0 ]; }
wait_for 60 some_committed || fail "the processor committed nothing: $(tail -3 "$T/proc.err")"

# The impostor: the processor's group.instance.id (process.c: prefix, group, '-', instance id),
# committing nothing, as a zombie processor's consumer commits nothing outside its transactions.
# kcat sets `enable.auto.commit` on its topic configuration, where it is the legacy alias that
# leaves the consumer's auto-commit on: the impostor committed the offsets of every trade it read
# (the bars of those trades were then never published; seen when the processor took more than
# the 5 s auto-commit interval to take the membership back). With no offset stored, the
# auto-commit has nothing to commit.
bg_start impostor kcat -b "$BROKERS" -G "$group" -q \
    -X group.instance.id="$pre$group-x" -X enable.auto.offset.store=false \
    -X session.timeout.ms=6000 "${pre}trades"
zombie_seen() { grep -q "still holds its transactional id: the other is a zombie" "$T/proc.err"; }
wait_for 60 zombie_seen ||
    fail "the processor did not find its consumer fenced by the impostor: $(grep -v CONFWARN "$T/proc.err" | tail -5)"
restarted() { grep -q "starting over from the committed offsets" "$T/proc.err"; }
wait_for 30 restarted || fail "the processor did not start over: $(grep -v CONFWARN "$T/proc.err" | tail -5)"
bg_stop impostor KILL

bg_wait ingest 90
assert_eq "$BG_STATUS" 0 "ingest exit status"
kcat -C -b "$BROKERS" -t "${pre}trades" -e -q -f '%p %s\n' >"$T/trades"
all_closed() {
    for iv in 1s 10s; do read_topic "${pre}bars.$iv"; done >"$T/bars" &&
        python3 "$ROOT/tests/integration/barcheck.py" "$T/trades" "$T/bars" --lateness-ns 200000000 \
            --intervals 1s,10s --all >"$T/barcheck" 2>&1
}
wait_for 120 all_closed || {
    cat "$T/barcheck" >&2
    fail "the committed bars are not every window exactly once: $(grep -v CONFWARN "$T/proc.err" | tail -8)"
}
bg_alive proc || fail "the processor exited: $(grep -v CONFWARN "$T/proc.err" | tail -5)"
bg_stop proc TERM
assert_eq "$BG_STATUS" 0 "processor exit status after SIGTERM"
echo "ok: process re-fenced (a consumer with its instance id fenced it; it started over and took the membership back; $(wc -l <"$T/bars") bars, every window once; $((SECONDS - started)) s)"
