#!/usr/bin/env bash
# fetch-duckdb.sh - put the pinned DuckDB 1.4.4 shared library and header into third_party/duckdb/.
#
# DuckDB's official libduckdb.so is published on the npm registry inside @duckdb/node-bindings-linux-x64
# (1.4.4-r.4 holds DuckDB 1.4.4, with parquet, json and icu built in); the matching duckdb.h is in the
# npm package duckdb@1.4.4. Both tarballs and both extracted files are checked against pinned sha256s.
# `npm pack` only downloads a tarball: it installs nothing and runs no package scripts.
#
# Does nothing when third_party/duckdb already holds the pinned files, or when DUCKDB_HOME is set in the
# environment and holds libduckdb.so and duckdb.h (the Makefile then builds against that instead).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DEST=third_party/duckdb

BINDINGS_PKG=@duckdb/node-bindings-linux-x64@1.4.4-r.4
BINDINGS_TGZ=duckdb-node-bindings-linux-x64-1.4.4-r.4.tgz
BINDINGS_TGZ_SHA=732fac4dc6b8f198870b9c4bb6ddf13544466daca00ad28ba2f1d80de5d7aa4b
HEADER_PKG=duckdb@1.4.4
HEADER_TGZ=duckdb-1.4.4.tgz
HEADER_TGZ_SHA=5bb967dcbcd517670ba5f169f238fb9d6787e53752c60ebe24386169d76941ed
LIB_MEMBER=package/libduckdb.so
LIB_SHA=1ef33048e12235115ac0d277a0aaccbb560e33248144f488b5ac005cd9ba81b5
HEADER_MEMBER=package/src/duckdb/src/include/duckdb.h
HEADER_SHA=cbe6a827284375c5a646b8f27dbd3a00808ce8738b5bbb49c190cb1e08540281

die() { echo "fetch-duckdb: $*" >&2; exit 1; }

# sha_ok FILE SHA256: true when FILE exists and has that sha256.
sha_ok() {
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

# check FILE SHA256 WHAT: fail loudly unless FILE has that sha256.
check() {
    local got
    [ -f "$1" ] || die "$3: '$1' is missing"
    got=$(sha256sum "$1" | cut -d' ' -f1)
    [ "$got" = "$2" ] || die "$3: sha256 mismatch for '$1': expected $2, got $got"
}

# A DuckDB chosen by the user (relative paths are taken from the repo root, as the Makefile does).
if [ -n "${DUCKDB_HOME:-}" ] && [ -f "$DUCKDB_HOME/libduckdb.so" ] && [ -f "$DUCKDB_HOME/duckdb.h" ]; then
    echo "fetch-duckdb: using DUCKDB_HOME=$DUCKDB_HOME" >&2
    exit 0
elif [ -n "${DUCKDB_HOME:-}" ]; then
    echo "fetch-duckdb: warning: DUCKDB_HOME=$DUCKDB_HOME lacks libduckdb.so or duckdb.h;" \
        "fetching into $DEST (which make uses only when DUCKDB_HOME is unset)" >&2
fi

# Already fetched and intact.
if sha_ok "$DEST/libduckdb.so" "$LIB_SHA" && sha_ok "$DEST/duckdb.h" "$HEADER_SHA"; then
    exit 0
fi

command -v npm >/dev/null 2>&1 || die "npm is needed to download DuckDB (run scripts/deps.sh)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch-duckdb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "fetch-duckdb: downloading $BINDINGS_PKG and $HEADER_PKG from the npm registry" >&2
(cd "$tmp" && npm_config_update_notifier=false npm pack --silent --ignore-scripts \
    "$BINDINGS_PKG" "$HEADER_PKG" >/dev/null) || die "npm pack failed"

check "$tmp/$BINDINGS_TGZ" "$BINDINGS_TGZ_SHA" "$BINDINGS_PKG tarball"
check "$tmp/$HEADER_TGZ" "$HEADER_TGZ_SHA" "$HEADER_PKG tarball"

mkdir "$tmp/lib" "$tmp/hdr"
tar -xzf "$tmp/$BINDINGS_TGZ" -C "$tmp/lib" "$LIB_MEMBER" || die "'$LIB_MEMBER' not in $BINDINGS_TGZ"
tar -xzf "$tmp/$HEADER_TGZ" -C "$tmp/hdr" "$HEADER_MEMBER" || die "'$HEADER_MEMBER' not in $HEADER_TGZ"
check "$tmp/lib/$LIB_MEMBER" "$LIB_SHA" "libduckdb.so"
check "$tmp/hdr/$HEADER_MEMBER" "$HEADER_SHA" "duckdb.h"

# Copy next to the destination first, then rename, so an interrupted run never leaves a half file.
mkdir -p "$DEST"
install -m 0755 "$tmp/lib/$LIB_MEMBER" "$DEST/.libduckdb.so.tmp"
install -m 0644 "$tmp/hdr/$HEADER_MEMBER" "$DEST/.duckdb.h.tmp"
mv -f "$DEST/.libduckdb.so.tmp" "$DEST/libduckdb.so"
mv -f "$DEST/.duckdb.h.tmp" "$DEST/duckdb.h"
echo "fetch-duckdb: installed DuckDB 1.4.4 into $DEST" >&2
