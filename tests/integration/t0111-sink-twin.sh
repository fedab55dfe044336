#!/usr/bin/env bash
# Two sinks started with one --instance-id (a second deployment of the same instance, or a zombie
# and its replacement): the newer one takes the group membership and the fence token (fence.h), the
# older one, fenced, finds its token gone and stops with exit 1 and a message saying why, instead of
# the two taking the membership from each other in turn for good; every trade lands exactly once.
. "$(dirname "$0")/lib.sh"

# Static membership and the token's transactions need a real broker (the embedded one ignores
# group.instance.id and does not honour transactions).
[ "$KAFKA_KIND" = real ] || skip "static membership and transactions need a real broker"

pre=$(unique_name tw).
group=$(unique_name g)
lake=$T/lake
N=30000
sink=("$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$pre" --group "$group" --lake "$lake"
    --intervals 1s --roll-rows 4000 --roll-interval 1s --instance-id 7 -v)
lake_rows() {
    [ -d "$lake/trades" ] && "$TICKLAKE" crawl --lake "$lake" >/dev/null &&
        "$TICKLAKE" query --lake "$lake" --format csv "SELECT count(*) || ' ' || count(DISTINCT id) FROM trades" | tail -1
}

# Trades keep coming while the twins meet.
bg_start ingest "$TICKLAKE" ingest --brokers "$BROKERS" --topic-prefix "$pre" --rate 2500 --count $N \
    --symbols 20 --seed 111 --start 2026-03-04 -q
bg_start older "${sink[@]}"
wrote() { grep -q "debug: sink: wrote" "$T/older.err"; }
wait_for 60 wrote || fail "the first sink wrote nothing: $(tail -5 "$T/older.err")"
grep -q "fence: holding transactional id '${pre}${group}-7.fence'" "$T/older.err" ||
    fail "the first sink took no fence token: $(grep -m3 -E 'fence|sink:' "$T/older.err")"

bg_start newer "${sink[@]}"
older_gone() { ! bg_alive older; }
wait_for 60 older_gone || fail "the older sink still runs 60 s after its twin started (the two fence each other in turn?): $(grep -E 'warn|error' "$T/older.err" | tail -5)"
bg_wait older 5
assert_eq "$BG_STATUS" 1 "exit status of the older sink"
grep -q "another sink started with --instance-id 7 took this one's group membership and fence token: this instance is the older one and stops" \
    "$T/older.err" || fail "the older sink's reason: $(tail -3 "$T/older.err")"
bg_alive newer || fail "the newer sink stopped too: $(tail -5 "$T/newer.err")"
# The newer one was never stopped by its twin: at most the one start of its own.
! grep -q "starting over" "$T/newer.err" || fail "the newer sink had to start over: $(grep 'starting over' "$T/newer.err")"

bg_wait ingest 60
[ "$BG_STATUS" = 0 ] || fail "ingest failed: $(tail -3 "$T/ingest.err")"
all_landed() { [ "$(lake_rows)" = "$N $N" ]; }
wait_for 60 all_landed || fail "lake holds $(lake_rows) (rows, distinct ids), expected $N $N"
bg_stop newer TERM
assert_eq "$BG_STATUS" 0 "exit status of the newer sink after SIGTERM"
echo "ok: the older twin stopped, the newer one kept the membership; $N trades exactly once"
