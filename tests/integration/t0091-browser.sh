#!/usr/bin/env bash
# The web console in a real browser (tests/browser/console.test.js): Debian's Chromium, driven by
# playwright-core 1.64.1 from npm, opens the console of `ticklake run --scenario flash-crash`, sees
# candles drawn and moving, the crash's alert in the feed and as a chart marker, a SQL query filling
# the grid, and saves a screenshot of each page (build/browser/<broker kind>/, and kept with the
# test's output). Skipped (77) where Chromium or Node is missing (scripts/deps.sh --test installs them).
. "$(dirname "$0")/lib.sh"
[ "$KAFKA_KIND" = embedded ] || skip "the browser test checks the console (run --brokers on real Kafka: t0090, t0094); it runs once, on the embedded broker"

CHROME=${CHROMIUM:-/usr/lib/chromium/chromium}
[ -x "$CHROME" ] || { echo "skip: no Chromium at $CHROME (scripts/deps.sh --test)"; exit 77; }
command -v node >/dev/null || { echo "skip: no node"; exit 77; }
[ -f "$ROOT/web/vendor/lightweight-charts.standalone.production.js" ] || bash "$ROOT/scripts/fetch-charts.sh"
pw=$(bash "$ROOT/tests/browser/fetch-playwright.sh") || fail "cannot fetch playwright-core"

args=(--duration 120 --lake "$T/lake" --rate 2000 --symbols 20 --seed 91 --scenario flash-crash@30
    --listen 127.0.0.1:0)
bg_start run "$TICKLAKE" run "${args[@]}"
wait_for 20 grep -q '^http://' "$T/run.out" || { cat "$T/run.err" >&2; fail "run printed no URL"; }
U=$(grep -m1 '^http://' "$T/run.out")
# The console opens on data: wait for the first files to be crawled.
has_trades() { curl -sf "${U}api/tables" | grep -q '"name":"trades"'; }
wait_for 40 has_trades || fail "no trades table in the catalog"
shots=$ROOT/build/browser/$KAFKA_KIND
rm -rf "$shots"
timeout 240 node "$ROOT/tests/browser/console.test.js" "$pw" "$U" "$shots" "$CHROME" ||
    { tail -5 "$T/run.err" >&2; fail "the browser test failed (screenshots so far in $shots)"; }
cp -r "$shots" "$T/screenshots"
bg_stop run INT
assert_eq "$BG_STATUS" 0 "run exit status"
