#!/usr/bin/env bash
# run.sh - the live S3 tests: start a versitygw (tests/s3/s3server.sh) in a temporary directory, run
# the test binary against it, and stop the server whatever happens.
#
#   tests/s3/run.sh BIN      e.g. tests/s3/run.sh build/release/tests/s3/test_s3_live
#
# The last line is the binary's "N passed, N failed" (or "0 passed, 1 failed" when the server could
# not be started); the exit status is non-zero when anything failed. TEST_KEEP=1 keeps the server's
# directory (its log is server.log) and prints where it is.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 TEST-BINARY" >&2; exit 2; }
BIN=$1
[ -x "$BIN" ] || { echo "run.sh: $BIN is not built" >&2; echo "0 passed, 1 failed"; exit 1; }

DIR=$(mktemp -d "${TMPDIR:-/tmp}/ticklake-s3.XXXXXX")
cleanup() {
    "$HERE/s3server.sh" stop "$DIR" >/dev/null 2>&1
    if [ "${TEST_KEEP:-0}" = 1 ]; then
        echo "TEST_KEEP=1: the S3 server's directory is $DIR" >&2
    else
        rm -rf "$DIR"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! endpoint=$("$HERE/s3server.sh" start "$DIR"); then
    echo "run.sh: could not start the S3 server" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
echo "S3 server (versitygw) at $endpoint" >&2
# shellcheck disable=SC1091
. "$DIR/env"
# Credentials come only from the server's AWS files.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION \
    AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
S3_TEST_DIR=$DIR S3_SERVER_SCRIPT=$HERE/s3server.sh "$BIN"
