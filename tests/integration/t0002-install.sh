#!/usr/bin/env bash
# `make install` and `--version`: an installed tree (DESTDIR, PREFIX), moved elsewhere, still runs and
# loads its own libduckdb.so (found relative to the binary, not at the build folder's absolute path);
# `ticklake --version` names the librdkafka and DuckDB versions actually loaded.
. "$(dirname "$0")/lib.sh"

[ "$KAFKA_KIND" = embedded ] || skip "installing does not depend on the broker (run with the embedded one)"

# --version and `version`: ticklake's, librdkafka's (>= 2.13.2), DuckDB's and malloc's, each on its own line.
"$TICKLAKE" --version >"$T/v.out"
"$TICKLAKE" version >"$T/v2.out"
cmp -s "$T/v.out" "$T/v2.out" || fail "'--version' and 'version' differ"
grep -Eq '^ticklake [0-9]+\.[0-9]+\.[0-9]+$' "$T/v.out" || fail "no ticklake version: $(cat "$T/v.out")"
rdk=$(sed -n 's/^librdkafka \([0-9.]*\) .*/\1/p' "$T/v.out")
[ -n "$rdk" ] || fail "no librdkafka version: $(cat "$T/v.out")"
[ "$(printf '%s\n' 2.13.2 "$rdk" | sort -V | head -n 1)" = 2.13.2 ] || fail "librdkafka $rdk < 2.13.2"
grep -Eq '^DuckDB v[0-9]+\.[0-9]+\.[0-9]+ \(/.*libduckdb\.so\)$' "$T/v.out" ||
    fail "no DuckDB version: $(cat "$T/v.out")"
# The malloc the process runs with: jemalloc, linked in by default (decision 0043).
grep -Eq '^malloc: jemalloc [0-9]+\.[0-9]+\.[0-9]+' "$T/v.out" || fail "not on jemalloc: $(cat "$T/v.out")"

# Install into a DESTDIR under a PREFIX, then move the whole tree: the binary must not depend on
# either path, nor on the build folder's libduckdb.so (hidden from it by making that path useless:
# the installed copy must be the one that loads).
make -s -C "$ROOT" install DESTDIR="$T/stage" PREFIX=/opt/tl >"$T/install.log" 2>&1 ||
    fail "make install failed: $(tail -n 20 "$T/install.log")"
[ -x "$T/stage/opt/tl/bin/ticklake" ] || fail "no bin/ticklake installed"
[ -f "$T/stage/opt/tl/lib/ticklake/libduckdb.so" ] || fail "no lib/ticklake/libduckdb.so installed"
[ -f "$T/stage/opt/tl/lib/ticklake/httpfs.duckdb_extension" ] || fail "no httpfs extension beside libduckdb.so"
for f in index.html app.js complete.js style.css vendor/lightweight-charts.standalone.production.js; do
    [ -f "$T/stage/opt/tl/share/ticklake/web/$f" ] || fail "the web console's $f is not installed"
done
mv "$T/stage/opt/tl" "$T/moved"
bin=$T/moved/bin/ticklake
"$bin" --version >"$T/iv.out" 2>"$T/iv.err" || fail "installed --version failed: $(cat "$T/iv.err")"
grep -qF "($T/moved/bin/../lib/ticklake/libduckdb.so)" "$T/iv.out" ||
    fail "the moved tree did not load its own libduckdb.so: $(cat "$T/iv.out")"
readelf -d "$bin" | grep -q 'R.*PATH.*\$ORIGIN/\.\./lib/ticklake' || fail "no relative run path in the binary"
if readelf -d "$bin" | grep -E 'R.*PATH' | grep -q "$ROOT"; then fail "the run path names the build folder"; fi

# A small query from the moved tree, on a lake it makes itself: a table written as Parquet, read back.
mkdir -p "$T/lake"
"$bin" crawl --lake "$T/lake" >/dev/null 2>"$T/c.err" || fail "crawl from the moved tree: $(cat "$T/c.err")"
"$bin" query --lake "$T/lake" "CREATE TABLE t AS SELECT 40 + range AS answer FROM range(3)" \
    >/dev/null 2>"$T/q.err" || fail "CREATE TABLE from the moved tree failed: $(cat "$T/q.err")"
"$bin" query --lake "$T/lake" --format csv "SELECT sum(answer) FROM t" >"$T/q.out" 2>"$T/q.err" ||
    fail "query from the moved tree failed: $(cat "$T/q.err")"
assert_eq "$(tail -n 1 "$T/q.out")" "123" "query result from the moved tree"

# uninstall removes what install put there.
make -s -C "$ROOT" install DESTDIR="$T/stage2" PREFIX=/usr >/dev/null 2>&1
make -s -C "$ROOT" uninstall DESTDIR="$T/stage2" PREFIX=/usr >/dev/null 2>&1
[ ! -e "$T/stage2/usr/bin/ticklake" ] && [ ! -e "$T/stage2/usr/lib/ticklake" ] &&
    [ ! -e "$T/stage2/usr/share/ticklake" ] || fail "uninstall left files"
echo "ok: version and a moved install"
