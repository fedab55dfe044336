#!/usr/bin/env bash
# deps.sh - install the Debian/Ubuntu packages ticklake needs, and only the missing ones.
#
#   scripts/deps.sh           what building and running need
#   scripts/deps.sh --test    also what the test suite needs (Java 17+, Maven, kcat, clang + libFuzzer,
#                             clang-format, python3)
#
# Idempotent: when everything is present it makes no apt call at all and returns at once. apt-get update
# runs only when something must be installed. Uses sudo when not root.
set -euo pipefail

usage() { echo "usage: $0 [--test]" >&2; }

want_test=0
for arg in "$@"; do
    case $arg in
    --test) want_test=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage; exit 2 ;;
    esac
done

have() { command -v "$1" >/dev/null 2>&1; }

# installed PKG: true when dpkg knows PKG as fully installed.
installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# java_major: the major version of `java` on PATH, 0 when there is none ("1.8.0_x" is 8, "17.0.2" is 17).
java_major() {
    local v
    have java || { echo 0; return; }
    v=$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)
    case $v in
    1.*) v=${v#1.} ;;
    esac
    v=${v%%[!0-9]*}
    echo "${v:-0}"
}

# fuzzer_runtime_ok: true when clang's libFuzzer runtime (libclang_rt.fuzzer) is installed.
fuzzer_runtime_ok() {
    local dir
    dir=$(clang --print-runtime-dir 2>/dev/null) || return 1
    compgen -G "$dir/libclang_rt.fuzzer*.a" >/dev/null
}

missing=()
# need PKG...: queue each PKG that dpkg does not have installed.
need() {
    local p
    for p in "$@"; do
        installed "$p" || missing+=("$p")
    done
}

# install_missing: one apt-get update + install for everything queued, nothing if the queue is empty.
install_missing() {
    [ "${#missing[@]}" -gt 0 ] || return 0
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        have sudo || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
        sudo=(sudo)
    fi
    echo "deps: installing ${missing[*]}" >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    missing=()
}

# Build and run: the C toolchain, libcurl, libwebsockets (live feeds, src/ws/), TLS roots, expat (the S3 client's XML), jemalloc (the binary's malloc; decision 0043), libedit (the SQL
# shell's line editor), civetweb (the HTTP server of `ticklake serve`, src/http/; decision 0036), and
# what librdkafka's configure needs (scripts/fetch-librdkafka.sh builds it: zlib, OpenSSL, Cyrus
# SASL, zstd, and a C++ compiler its configure checks for). npm, curl and pip only download DuckDB,
# librdkafka's source and yyjson (npm, crates.io, PyPI), so any working npm (e.g. NodeSource's) is kept.
need gcc g++ make pkg-config libcurl4-openssl-dev libssl-dev ca-certificates curl \
    libexpat1-dev libedit-dev libcivetweb-dev libwebsockets-dev libjemalloc-dev git
need zlib1g-dev libsasl2-dev libzstd-dev
have npm || need nodejs npm
# pip downloads DuckDB's httpfs extension and the yyjson source; it installs nothing with them.
python3 -m pip --version >/dev/null 2>&1 || need python3 python3-pip

if [ "$want_test" -eq 1 ]; then
    # The real Kafka fixture (tests/kafka) runs from Maven Central jars on Java 17+.
    [ "$(java_major)" -ge 17 ] || need openjdk-17-jre-headless
    have mvn || need maven
    # kcat probes brokers and produces/consumes in integration tests; clang builds the fuzz targets;
    # python3 picks free ports for the Kafka fixture.
    need kcat clang clang-format
    # The web console's browser test drives Debian's Chromium with playwright-core from npm.
    need chromium
    have python3 || need python3
    # tests/tools/venv.sh makes a virtual environment for the independent DuckDB reader.
    python3 -c 'import venv, ensurepip' 2>/dev/null || need python3-venv
    # Go builds the S3-compatible test server (tests/s3/s3server.sh; it needs Go 1.25 or later,
    # which this project's machines carry; Debian's golang-go is older and only a last resort).
    have go || [ -x /usr/local/go/bin/go ] || need golang-go
fi
install_missing

if [ "$want_test" -eq 1 ] && ! fuzzer_runtime_ok; then
    # -fsanitize=fuzzer links libclang_rt.fuzzer, which Debian 12 ships apart from clang in
    # libclang-rt-N-dev (N = clang's major version; older releases have it in libclang-common-N-dev,
    # which clang already pulls in).
    need "libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
    install_missing
    fuzzer_runtime_ok || { echo "deps: clang's libFuzzer runtime is still missing" >&2; exit 1; }
fi
