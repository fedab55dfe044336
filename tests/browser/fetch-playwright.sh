#!/usr/bin/env bash
# fetch-playwright.sh - put playwright-core 1.64.1 (Apache-2.0; it drives Chromium 156, which is
# Debian's `chromium`) into .cache/playwright-core-1.64.1/node_modules/, for the browser test. The npm
# tarball is checked against a pinned sha256; `npm pack` runs no package scripts, and no browser is
# downloaded: the test launches Debian's /usr/bin/chromium. Prints the module's folder.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEST=$ROOT/.cache/playwright-core-1.64.1/node_modules/playwright-core
TGZ=playwright-core-1.64.1.tgz
TGZ_SHA=3af03703c967c95037454f2283f709d53ce804a4776d4219d319f5bbcc2a0185
if [ -f "$DEST/.sha256" ] && [ "$(cat "$DEST/.sha256")" = "$TGZ_SHA" ]; then
    echo "$DEST"
    exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "fetch-playwright: npm is needed" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch-playwright.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent playwright-core@1.64.1 >/dev/null)
got=$(sha256sum "$tmp/$TGZ" | cut -d' ' -f1)
[ "$got" = "$TGZ_SHA" ] || { echo "fetch-playwright: sha256 mismatch: $got" >&2; exit 1; }
rm -rf "$DEST" && mkdir -p "$DEST"
tar -xzf "$tmp/$TGZ" -C "$DEST" --strip-components=1
echo "$TGZ_SHA" >"$DEST/.sha256"
echo "$DEST"
