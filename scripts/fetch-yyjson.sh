#!/usr/bin/env bash
# fetch-yyjson.sh - put the pinned yyjson C source (yyjson.c, yyjson.h, its licence) into third_party/yyjson/.
#
# yyjson (MIT, https://github.com/ibireme/yyjson) is the JSON reader of src/core/json.c
# (docs/decisions/0038-json-through-yyjson.md). Its two C files ship inside the PyPI source
# distribution of the Python binding `yyjson` (4.0.6 carries yyjson 0.10.0, the newest yyjson in a
# registry package; the crates.io crate yyjson-sys 0.1.0 carries the same 0.10.0). `pip download
# --no-binary :all: --no-deps` only downloads the sdist: it builds and installs nothing. The tarball and
# the three extracted files are checked against pinned sha256s.
#
# Does nothing when third_party/yyjson already holds the pinned files.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DEST=third_party/yyjson

PYPI_PKG=yyjson==4.0.6
SDIST=yyjson-4.0.6.tar.gz
SDIST_SHA=fcd4dc15c1e39a30bf9fa85d56903029111506860fc3080ab0d81c6c6dacaa8c
C_MEMBER=yyjson-4.0.6/yyjson/yyjson.c
C_SHA=26e50ca6a9a08d88b15ed7a47c144e29766216d134cad3a016de6163c5bb224d
H_MEMBER=yyjson-4.0.6/yyjson/yyjson.h
H_SHA=1d63b4e449f5b24116afab40b8f1b79f2703d5905aa8ab4ca46c97b7e513ba04
LICENSE_MEMBER=yyjson-4.0.6/LICENSE
LICENSE_SHA=18427e190d5c608b07f62f1989f0a609a0d756078e182bef248f081011db010d

FETCH_NAME=fetch-yyjson
# die, sha_ok, check
. "$ROOT/scripts/lib/pinned.sh"

# Already fetched and intact.
if sha_ok "$DEST/yyjson.c" "$C_SHA" && sha_ok "$DEST/yyjson.h" "$H_SHA" &&
    sha_ok "$DEST/LICENSE" "$LICENSE_SHA"; then
    exit 0
fi

python3 -m pip --version >/dev/null 2>&1 || die "pip is needed to download yyjson (run scripts/deps.sh)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch-yyjson.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "fetch-yyjson: downloading the sdist of $PYPI_PKG from PyPI" >&2
python3 -m pip download --quiet --disable-pip-version-check --no-binary :all: --no-deps \
    --dest "$tmp" "$PYPI_PKG" >&2 || die "pip download failed"

check "$tmp/$SDIST" "$SDIST_SHA" "$PYPI_PKG sdist"
mkdir "$tmp/x"
tar -xzf "$tmp/$SDIST" -C "$tmp/x" "$C_MEMBER" "$H_MEMBER" "$LICENSE_MEMBER" ||
    die "yyjson.c, yyjson.h or LICENSE not in $SDIST"
check "$tmp/x/$C_MEMBER" "$C_SHA" "yyjson.c"
check "$tmp/x/$H_MEMBER" "$H_SHA" "yyjson.h"
check "$tmp/x/$LICENSE_MEMBER" "$LICENSE_SHA" "LICENSE"

# Copy next to the destination first, then rename, so an interrupted run never leaves a half file.
mkdir -p "$DEST"
for f in "$C_MEMBER" "$H_MEMBER" "$LICENSE_MEMBER"; do
    install -m 0644 "$tmp/x/$f" "$DEST/.$(basename "$f").tmp"
done
for f in yyjson.c yyjson.h LICENSE; do
    mv -f "$DEST/.$f.tmp" "$DEST/$f"
done
echo "fetch-yyjson: installed yyjson 0.10.0 into $DEST" >&2
