#!/usr/bin/env bash
# fetch-duckdb.sh - put the pinned DuckDB 1.5.5 shared library, its header and its signed httpfs
# extension into third_party/duckdb/.
#
# Where each comes from (all official DuckDB builds, through package registries):
# - libduckdb.so: npm package @duckdb/node-bindings-linux-x64@1.5.5-r.5 (DuckDB 1.5.5 with parquet,
#   json and icu built in). `npm pack` only downloads a tarball: it installs nothing, runs no scripts.
# - duckdb.h: the crates.io crate libduckdb-sys 1.10505.0 (DuckDB 1.5.5's Rust bindings), whose
#   duckdb.tar.gz holds the amalgamated sources; downloaded from crates.io's static file host.
# - httpfs.duckdb_extension: PyPI wheel duckdb-extension-httpfs==1.5.5, a third party's repackaging
#   of DuckDB's signed build of the extension for linux_amd64 (`pip download` only downloads). The
#   engine loads it from this path with signature checking on, so only a DuckDB-signed file loads
#   (src/engine/engine.c): the signature, not the packager, vouches for it.
# Every downloaded archive and every extracted file is checked against a pinned sha256.
#
# Does nothing when third_party/duckdb already holds the pinned files, or when DUCKDB_HOME is set in the
# environment and holds libduckdb.so and duckdb.h (the Makefile then builds against that instead, and
# the httpfs extension is looked for in $DUCKDB_HOME/httpfs.duckdb_extension).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DEST=third_party/duckdb
VERSION=1.5.5

BINDINGS_PKG=@duckdb/node-bindings-linux-x64@1.5.5-r.5
BINDINGS_TGZ=duckdb-node-bindings-linux-x64-1.5.5-r.5.tgz
BINDINGS_TGZ_SHA=86d2bda909785550e8a14a57a8a4584827aff0e268d8f1a58c3fd48559f7020e
LIB_MEMBER=package/libduckdb.so
LIB_SHA=fc23f12e376c47be520f75221288281906e7942e8fd6f6ce4849198ba60d0405

CRATE=libduckdb-sys-1.10505.0
CRATE_URLS="https://static.crates.io/crates/libduckdb-sys/$CRATE.crate
https://crates.io/api/v1/crates/libduckdb-sys/1.10505.0/download"
CRATE_SHA=6cb514dab5e271e849235c1cb98bd65a2ae107fbd619a6740219319c54a71d95
SOURCES_MEMBER=$CRATE/duckdb.tar.gz
SOURCES_SHA=e11f1209cdbb2a99b2ea2d348de21bdfb01dc494b55d1271df94b09c52bf229c
HEADER_MEMBER=duckdb/src/include/duckdb.h
HEADER_SHA=48e716b9ce96ca8fead9cb35693fdc0343ac0fc1f6e7db5561fa0f44b674153d

HTTPFS_REQ=duckdb-extension-httpfs==1.5.5
HTTPFS_WHL=duckdb_extension_httpfs-1.5.5-py3-none-manylinux2014_x86_64.whl
HTTPFS_WHL_SHA=84913dbe172ccb54368de2c4a020c38ca8b0e76f99df548f7fac37934cc7826f
HTTPFS_MEMBER=duckdb_extension_httpfs/extensions/v1.5.5/httpfs.duckdb_extension
HTTPFS_SHA=887c392b1e49128d11667c81e3698d8b00dfdeb456771acf66d05a0f74f7b7d8

FETCH_NAME=fetch-duckdb
# die, sha_ok, check
. "$ROOT/scripts/lib/pinned.sh"

# A DuckDB chosen by the user (relative paths are taken from the repo root, as the Makefile does).
if [ -n "${DUCKDB_HOME:-}" ] && [ -f "$DUCKDB_HOME/libduckdb.so" ] && [ -f "$DUCKDB_HOME/duckdb.h" ]; then
    echo "fetch-duckdb: using DUCKDB_HOME=$DUCKDB_HOME" >&2
    exit 0
elif [ -n "${DUCKDB_HOME:-}" ]; then
    echo "fetch-duckdb: warning: DUCKDB_HOME=$DUCKDB_HOME lacks libduckdb.so or duckdb.h;" \
        "fetching into $DEST (which make uses only when DUCKDB_HOME is unset)" >&2
fi

# Already fetched and intact.
if sha_ok "$DEST/libduckdb.so" "$LIB_SHA" && sha_ok "$DEST/duckdb.h" "$HEADER_SHA" &&
    sha_ok "$DEST/httpfs.duckdb_extension" "$HTTPFS_SHA"; then
    exit 0
fi

command -v npm >/dev/null 2>&1 || die "npm is needed to download DuckDB (run scripts/deps.sh)"
command -v curl >/dev/null 2>&1 || die "curl is needed to download DuckDB's header (run scripts/deps.sh)"
python3 -m pip --version >/dev/null 2>&1 ||
    die "python3 with pip is needed to download DuckDB's httpfs extension (run scripts/deps.sh)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch-duckdb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/lib" "$tmp/hdr" "$tmp/ext"

echo "fetch-duckdb: downloading $BINDINGS_PKG from the npm registry" >&2
(cd "$tmp" && npm_config_update_notifier=false npm pack --silent --ignore-scripts \
    "$BINDINGS_PKG" >/dev/null) || die "npm pack failed"
check "$tmp/$BINDINGS_TGZ" "$BINDINGS_TGZ_SHA" "$BINDINGS_PKG tarball"
tar -xzf "$tmp/$BINDINGS_TGZ" -C "$tmp/lib" "$LIB_MEMBER" || die "'$LIB_MEMBER' not in $BINDINGS_TGZ"
check "$tmp/lib/$LIB_MEMBER" "$LIB_SHA" "libduckdb.so"

echo "fetch-duckdb: downloading the crate $CRATE from crates.io" >&2
got_crate=0
while read -r url; do
    if curl -fsSL --retry 3 -A "ticklake-fetch-duckdb (scripts/fetch-duckdb.sh)" \
        -o "$tmp/$CRATE.crate" "$url"; then
        got_crate=1
        break
    fi
done <<<"$CRATE_URLS"
[ "$got_crate" -eq 1 ] || die "unable to download $CRATE.crate from crates.io"
check "$tmp/$CRATE.crate" "$CRATE_SHA" "$CRATE crate"
tar -xzf "$tmp/$CRATE.crate" -C "$tmp/hdr" "$SOURCES_MEMBER" || die "'$SOURCES_MEMBER' not in $CRATE.crate"
check "$tmp/hdr/$SOURCES_MEMBER" "$SOURCES_SHA" "$SOURCES_MEMBER"
tar -xzf "$tmp/hdr/$SOURCES_MEMBER" -C "$tmp/hdr" "$HEADER_MEMBER" || die "'$HEADER_MEMBER' not in $SOURCES_MEMBER"
check "$tmp/hdr/$HEADER_MEMBER" "$HEADER_SHA" "duckdb.h"

echo "fetch-duckdb: downloading $HTTPFS_REQ from PyPI" >&2
python3 -m pip download -q --disable-pip-version-check --no-deps --no-cache-dir --only-binary=:all: \
    --platform manylinux2014_x86_64 --dest "$tmp" "$HTTPFS_REQ" >&2 ||
    die "pip download $HTTPFS_REQ failed"
check "$tmp/$HTTPFS_WHL" "$HTTPFS_WHL_SHA" "$HTTPFS_REQ wheel"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])' \
    "$tmp/$HTTPFS_WHL" "$HTTPFS_MEMBER" "$tmp/ext" || die "'$HTTPFS_MEMBER' not in $HTTPFS_WHL"
check "$tmp/ext/$HTTPFS_MEMBER" "$HTTPFS_SHA" "httpfs.duckdb_extension"

# Copy next to the destination first, then rename, so an interrupted run never leaves a half file.
mkdir -p "$DEST"
install -m 0755 "$tmp/lib/$LIB_MEMBER" "$DEST/.libduckdb.so.tmp"
install -m 0644 "$tmp/hdr/$HEADER_MEMBER" "$DEST/.duckdb.h.tmp"
install -m 0644 "$tmp/ext/$HTTPFS_MEMBER" "$DEST/.httpfs.duckdb_extension.tmp"
mv -f "$DEST/.libduckdb.so.tmp" "$DEST/libduckdb.so"
mv -f "$DEST/.duckdb.h.tmp" "$DEST/duckdb.h"
mv -f "$DEST/.httpfs.duckdb_extension.tmp" "$DEST/httpfs.duckdb_extension"
echo "fetch-duckdb: installed DuckDB $VERSION (libduckdb.so, duckdb.h, httpfs.duckdb_extension) into $DEST" >&2
