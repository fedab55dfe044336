#!/usr/bin/env bash
# fetch-charts.sh - put the pinned TradingView lightweight-charts 5.3.0 (Apache-2.0) into web/vendor/,
# where the web console (web/index.html) loads it; nothing is fetched from a CDN at run time.
#
# The npm registry's tarball and the extracted script are both checked against pinned sha256s. `npm pack`
# only downloads the tarball: it installs nothing and runs no package scripts. Does nothing when
# web/vendor/ already holds the pinned file.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DEST=web/vendor
PKG=lightweight-charts@5.3.0
TGZ=lightweight-charts-5.3.0.tgz
TGZ_SHA=7d9e9ab2b1a91db18a916fd5d5e17d7dd19a7dc7da022fd0d23f06bdd92ecc2a
MEMBER=package/dist/lightweight-charts.standalone.production.js
JS=lightweight-charts.standalone.production.js
JS_SHA=338a625ece52c5b85fb026e222dad5d0f365f745060afbfae96bda91636142e9

FETCH_NAME=fetch-charts
# die, sha_ok, check
. "$(dirname "${BASH_SOURCE[0]}")/lib/pinned.sh"

sha_ok "$DEST/$JS" "$JS_SHA" && exit 0
command -v npm >/dev/null 2>&1 || die "npm is needed to download lightweight-charts (run scripts/deps.sh)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch-charts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$PKG" >/dev/null) || die "npm pack $PKG failed"
sha_ok "$tmp/$TGZ" "$TGZ_SHA" || die "sha256 mismatch for $TGZ"
tar -xzf "$tmp/$TGZ" -C "$tmp" "$MEMBER" package/LICENSE
sha_ok "$tmp/$MEMBER" "$JS_SHA" || die "sha256 mismatch for $MEMBER"
mkdir -p "$DEST"
cp "$tmp/package/LICENSE" "$DEST/lightweight-charts.LICENSE"
cp "$tmp/$MEMBER" "$DEST/$JS.tmp" && mv "$DEST/$JS.tmp" "$DEST/$JS"
echo "fetch-charts: $PKG in $DEST/" >&2
