#!/usr/bin/env bash
# fetch-librdkafka.sh - build the pinned librdkafka 2.15.1 once into .cache/librdkafka-2.15.1/.
#
# ticklake needs librdkafka 2.13.2 or newer (2.2.0 added fetch.queue.backoff.ms, 2.13.2 fixed the
# batch-consume position regression of 2.2-2.13.1); Debian 12 ships 2.0.2. librdkafka's source tree, with
# its configure, ships on the npm registry inside @confluentinc/kafka-javascript (1.10.1 carries 2.15.1
# under deps/librdkafka/). `npm pack` only downloads that tarball: it installs nothing and runs no package
# scripts. The tarball is checked against a pinned sha256, the version in rdkafka.h against the pin.
#
# The build is the C library only (no C++ binding, no examples, no tests), as a static archive: the
# binary then carries its librdkafka and cannot pick up the system's librdkafka.so.1 (same soname, 2.0.2)
# by accident, and an installed or copied binary needs no library beside it for Kafka. Features as
# Debian's package: zlib, zstd, lz4 (built in), OpenSSL, SASL (Cyrus libsasl2 for GSSAPI); without libcurl
# (only OIDC token fetching uses it). The Debian -dev packages configure needs come from scripts/deps.sh;
# configure's --install-deps is never used.
#
# Two patches to the mock cluster, which is ticklake's embedded broker, are applied:
# - scripts/patches/librdkafka-mock-msgset-find.patch: it walked every message set it keeps (up to
#   100,000 per partition) from the oldest for each fetch; it searches from the newest now. Measured
#   on `ticklake run` at 10,000 trades/s: that walk was 54% of the process's CPU
#   (docs/decisions/0041-embedded-broker-fetch.md).
# - scripts/patches/librdkafka-mock-idempotent-dedup.patch: it checked the sequence numbers of
#   transactional producers only, so an idempotent producer's batch sent again after its answer was
#   lost (a broker going down) was appended twice; such a batch is now acknowledged with the offset
#   it got the first time, as Kafka does (test_a_batch_sent_again_is_appended_once in test_kafka.c;
#   t0107 doubled 5 trades in the lake without it). The state is per producer id and epoch, and a
#   new producer id is drawn again while another producer has it.
# A system or RDKAFKA_HOME librdkafka is used as it is, so its embedded broker keeps both defects.
#
# Result: .cache/librdkafka-2.15.1/{include/librdkafka/*.h, lib/librdkafka.a, lib/pkgconfig/rdkafka.pc}.
# Does nothing when that tree is complete, or when the system librdkafka is new enough
# (pkg-config rdkafka >= 2.13.2) and RDKAFKA_HOME is unset, or when RDKAFKA_HOME names another install
# (the Makefile then builds against that). FORCE=1 builds the pinned one even so.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

VERSION=2.15.1
MIN_VERSION=2.13.2
PKG=@confluentinc/kafka-javascript@1.10.1
TGZ=confluentinc-kafka-javascript-1.10.1.tgz
TGZ_SHA=ada7d703bb1d3237e2292bfabf438d663b6160c9f1ac2a2406b5dc4257c81b66
MEMBER=package/deps/librdkafka
HEADER_VERSION=0x020f01ff # RD_KAFKA_VERSION of 2.15.1 in rdkafka.h
DEST=.cache/librdkafka-$VERSION
PATCHES=(scripts/patches/librdkafka-mock-msgset-find.patch scripts/patches/librdkafka-mock-idempotent-dedup.patch)
CONFIGURE_ARGS=(--no-download --disable-curl --enable-zlib --enable-zstd --enable-ssl --enable-gssapi)

die() { echo "fetch-librdkafka: $*" >&2; exit 1; }

# What a complete tree was built from: the tarball, the options and the patches.
build_id() { echo "$TGZ_SHA ${CONFIGURE_ARGS[*]} $(cat "${PATCHES[@]}" | sha256sum | cut -d' ' -f1)"; }
complete() {
    [ -f "$DEST/lib/librdkafka.a" ] && [ -f "$DEST/include/librdkafka/rdkafka.h" ] &&
        [ -f "$DEST/lib/pkgconfig/rdkafka.pc" ] && [ -f "$DEST/.complete" ] &&
        [ "$(cat "$DEST/.complete")" = "$(build_id)" ]
}

if [ "${FORCE:-0}" != 1 ]; then
    if [ -n "${RDKAFKA_HOME:-}" ] && [ "$RDKAFKA_HOME" != "$DEST" ] && [ "$RDKAFKA_HOME" != "$ROOT/$DEST" ]; then
        echo "fetch-librdkafka: using RDKAFKA_HOME=$RDKAFKA_HOME" >&2
        exit 0
    fi
    if [ -z "${RDKAFKA_HOME:-}" ] && pkg-config --atleast-version="$MIN_VERSION" rdkafka 2>/dev/null; then
        echo "fetch-librdkafka: using the system librdkafka $(pkg-config --modversion rdkafka)" >&2
        exit 0
    fi
fi
complete && exit 0

command -v npm >/dev/null 2>&1 || die "npm is needed to download librdkafka (run scripts/deps.sh)"
command -v cc >/dev/null 2>&1 || die "a C compiler is needed (run scripts/deps.sh)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch-librdkafka.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "fetch-librdkafka: downloading $PKG (librdkafka $VERSION source) from the npm registry" >&2
(cd "$tmp" && npm_config_update_notifier=false npm pack --silent --ignore-scripts "$PKG" >/dev/null) ||
    die "npm pack failed"
got=$(sha256sum "$tmp/$TGZ" | cut -d' ' -f1)
[ "$got" = "$TGZ_SHA" ] || die "sha256 mismatch for $TGZ: expected $TGZ_SHA, got $got"

tar -xzf "$tmp/$TGZ" -C "$tmp" "$MEMBER" || die "'$MEMBER' not in $TGZ"
src="$tmp/$MEMBER"
grep -q "^#define RD_KAFKA_VERSION $HEADER_VERSION\$" "$src/src/rdkafka.h" ||
    die "$TGZ does not hold librdkafka $VERSION"
for p in "${PATCHES[@]}"; do
    (cd "$src" && git apply -p1 "$ROOT/$p") || die "$p does not apply to librdkafka $VERSION"
done
# The tarball carries a config.log of its publisher's build: start from a clean configure.
rm -f "$src/config.log" "$src/config.cache" "$src/Makefile.config" "$src/config.h"

jobs=$(nproc 2>/dev/null || echo 2)
echo "fetch-librdkafka: building librdkafka $VERSION (C library, static; about a minute on 2 cores)" >&2
start=$(date +%s)
(
    cd "$src"
    ./configure --prefix="$ROOT/$DEST" "${CONFIGURE_ARGS[@]}" >"$tmp/configure.log" 2>&1 ||
        { tail -n 30 "$tmp/configure.log" >&2; exit 1; }
    make -C src -j"$jobs" librdkafka.a rdkafka.pc >"$tmp/make.log" 2>&1 ||
        { tail -n 30 "$tmp/make.log" >&2; exit 1; }
) || die "building librdkafka failed"

# Assemble beside the destination, then swap it in, so an interrupted run never leaves half a tree.
stage="$DEST.tmp.$$"
rm -rf "$stage"
mkdir -p "$stage/include/librdkafka" "$stage/lib/pkgconfig"
install -m 0644 "$src/src/rdkafka.h" "$src/src/rdkafka_mock.h" "$stage/include/librdkafka/"
install -m 0644 "$src/src/librdkafka.a" "$stage/lib/"
# Relocatable: the paths are taken from where the .pc file lies.
sed -e 's|^prefix=.*|prefix=${pcfiledir}/../..|' -e 's|^libdir=.*|libdir=${prefix}/lib|' \
    -e 's|^includedir=.*|includedir=${prefix}/include|' "$src/src/rdkafka.pc" >"$stage/lib/pkgconfig/rdkafka.pc"
install -m 0644 "$src/LICENSE" "$src/LICENSES.txt" "$stage/"
build_id >"$stage/.complete"
rm -rf "$DEST"
mv "$stage" "$DEST"
echo "fetch-librdkafka: built librdkafka $VERSION into $DEST in $(($(date +%s) - start)) s" >&2
