#!/usr/bin/env bash
# s3server.sh - a real S3-compatible server for the S3 tests: the Versity S3 Gateway (versitygw, a Go
# program run in production as an S3 front end to POSIX file systems), built from the Go module proxy
# and run on loopback with authentication on (a root access key and a random secret), storing objects
# in a directory of the caller's choosing.
#
#   s3server.sh fetch                    build versitygw into .cache/versitygw-VERSION/bin (once)
#   s3server.sh start DIR                start a server in DIR (fetching first if needed), create the
#                                        test bucket, wait until it answers; prints the endpoint URL
#   s3server.sh stop DIR [--keep] [--kill]
#                                        stop it (SIGTERM, or SIGKILL with --kill, as a crash); its data
#                                        is deleted unless --keep. `start DIR` after `stop DIR --keep`
#                                        restarts it on the same port with the same keys and data.
#
# start leaves in DIR: data/ (the buckets), server.log, pid, port, endpoint ("http://127.0.0.1:PORT"),
# bucket (the test bucket's name), credentials and config (AWS files, mode 0600, profile ticklake-test)
# and env (shell lines exporting AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, AWS_PROFILE,
# S3_TEST_ENDPOINT, S3_TEST_BUCKET). The secret is only ever in the credentials file and in the server's
# environment: never on a command line, never printed.
#
# Needs go (1.25+, for fetch), curl and python3. The first fetch takes about 2-3 minutes on 2 cores
# (downloading and compiling versitygw); later starts take about a second.
set -euo pipefail

VGW_MODULE=github.com/versity/versitygw
VGW_VERSION=v1.8.0
BUCKET=ticklake-test
PROFILE=ticklake-test
REGION=us-east-1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=$ROOT/.cache/versitygw-$VGW_VERSION
BIN=$CACHE/bin/versitygw
START_TIMEOUT=${S3_START_TIMEOUT:-60}
STOP_TIMEOUT=15

die() { echo "s3server.sh: $*" >&2; exit 1; }
usage() { echo "usage: $0 fetch | start DIR | stop DIR [--keep] [--kill]" >&2; exit 2; }

# fetch: `go install` the pinned version through the Go module proxy (checksums verified against the Go
# checksum database, as go does by default) into a scratch GOBIN, moved into place only when complete.
cmd_fetch() {
    [ -x "$BIN" ] && return 0
    local go
    go=$(command -v go || true)
    [ -n "$go" ] || [ ! -x /usr/local/go/bin/go ] || go=/usr/local/go/bin/go
    [ -n "$go" ] || die "go is needed to build versitygw (Go 1.25 or later)"
    echo "s3server.sh: building versitygw $VGW_VERSION from the Go module proxy (a few minutes)" >&2
    mkdir -p "$CACHE"
    rm -rf "$CACHE/bin.tmp"
    local start=$SECONDS
    if ! env GOBIN="$CACHE/bin.tmp" GOPATH="$CACHE/gopath" GOMODCACHE="$CACHE/gomod" \
        GOCACHE="$CACHE/gocache" GOFLAGS="-modcacherw -buildvcs=false" GOTOOLCHAIN=local \
        CGO_ENABLED=0 "$go" install "$VGW_MODULE/cmd/versitygw@$VGW_VERSION" \
        </dev/null >"$CACHE/build.log" 2>&1; then
        tail -n 40 "$CACHE/build.log" >&2
        die "go install $VGW_MODULE/cmd/versitygw@$VGW_VERSION failed (log: $CACHE/build.log)"
    fi
    [ -x "$CACHE/bin.tmp/versitygw" ] || die "go install produced no versitygw binary"
    mkdir -p "$CACHE/bin"
    mv "$CACHE/bin.tmp/versitygw" "$BIN"
    rm -rf "$CACHE/bin.tmp" "$CACHE/gocache" "$CACHE/gomod" "$CACHE/gopath"
    echo "s3server.sh: built $BIN in $((SECONDS - start))s" >&2
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# alive PID: true while PID runs (a zombie counts as gone).
alive() {
    local state
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

# ours PID: true when PID is the versitygw serving $DIR/data (a stale pid file never makes us signal
# another process that reused the pid).
ours() {
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF "$BIN" &&
        tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF "posix $DIR/data"
}

# ini_get FILE KEY: the value of KEY in FILE (our own simple files only).
ini_get() { sed -n "s/^$2 *= *//p" "$1" | head -n 1; }

# s3curl METHOD PATH: a SigV4-signed request with curl, keys passed on stdin (never in argv).
s3curl() {
    local ak sk
    ak=$(ini_get "$DIR/credentials" aws_access_key_id)
    sk=$(ini_get "$DIR/credentials" aws_secret_access_key)
    printf 'user = "%s:%s"\n' "$ak" "$sk" |
        curl -sS -o "$DIR/curl.out" -w '%{http_code}' -K - --aws-sigv4 "aws:amz:$REGION:s3" \
            -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
            -X "$1" "$(cat "$DIR/endpoint")$2"
}

cmd_start() {
    local port pid deadline ak sk code
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd)
    if [ -f "$DIR/pid" ] && alive "$(cat "$DIR/pid")" && ours "$(cat "$DIR/pid")"; then
        die "a server is already running in $DIR (pid $(cat "$DIR/pid"))"
    fi
    command -v curl >/dev/null 2>&1 || die "curl is needed"
    cmd_fetch
    # A restart after `stop --keep` reuses the port, the keys and the data.
    if [ -d "$DIR/data" ] && [ -f "$DIR/port" ] && [ -f "$DIR/credentials" ]; then
        port=$(cat "$DIR/port")
    else
        rm -rf "$DIR/data"
        mkdir -p "$DIR/data"
        port=$(free_port)
        echo "$port" >"$DIR/port"
        ak=tl$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
        sk=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
        (
            umask 077
            printf '[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$PROFILE" "$ak" "$sk" \
                >"$DIR/credentials"
            printf '[profile %s]\nregion = %s\ns3 =\n    addressing_style = path\n' "$PROFILE" "$REGION" \
                >"$DIR/config"
        )
    fi
    echo "http://127.0.0.1:$port" >"$DIR/endpoint"
    echo "$BUCKET" >"$DIR/bucket"
    cat >"$DIR/env" <<EOF
export AWS_SHARED_CREDENTIALS_FILE='$DIR/credentials'
export AWS_CONFIG_FILE='$DIR/config'
export AWS_PROFILE='$PROFILE'
export S3_TEST_ENDPOINT='http://127.0.0.1:$port'
export S3_TEST_BUCKET='$BUCKET'
EOF

    # The server outlives this script: output to server.log (never to our stdout, which callers read
    # with $(...)), stdin closed, keys in its environment. A plain command so that $! is its pid.
    # --virtual-domain localhost also serves http://BUCKET.localhost:PORT (virtual-host addressing).
    # It keeps connections open between requests, as S3 does (versitygw closes each one after its
    # answer unless told otherwise); VGW_KEEP_ALIVE=false in the caller's environment closes them.
    VGW_KEEP_ALIVE=${VGW_KEEP_ALIVE:-true} \
        ROOT_ACCESS_KEY_ID=$(ini_get "$DIR/credentials" aws_access_key_id) \
        ROOT_SECRET_ACCESS_KEY=$(ini_get "$DIR/credentials" aws_secret_access_key) \
        "$BIN" --port "127.0.0.1:$port" --region "$REGION" --health /health \
        --virtual-domain localhost --quiet posix "$DIR/data" </dev/null >>"$DIR/server.log" 2>&1 &
    pid=$!
    echo "$pid" >"$DIR/pid"

    deadline=$((SECONDS + START_TIMEOUT))
    until curl -sf -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null; do
        if ! alive "$pid"; then
            tail -n 40 "$DIR/server.log" >&2
            die "versitygw exited during start-up (log: $DIR/server.log)"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 40 "$DIR/server.log" >&2
            cmd_stop
            die "versitygw was not ready after ${START_TIMEOUT}s (log: $DIR/server.log)"
        fi
        sleep 0.1
    done

    # The test bucket (an authenticated request: this also proves the keys work).
    code=$(s3curl PUT "/$BUCKET") || die "creating bucket $BUCKET failed: $(cat "$DIR/curl.out" 2>/dev/null)"
    case $code in
    200 | 409) ;;
    *) die "creating bucket $BUCKET: HTTP $code: $(cat "$DIR/curl.out")" ;;
    esac
    code=$(s3curl GET "/$BUCKET?list-type=2&max-keys=1") || die "listing bucket $BUCKET failed"
    [ "$code" = 200 ] || die "listing bucket $BUCKET: HTTP $code: $(cat "$DIR/curl.out")"
    rm -f "$DIR/curl.out"
    cat "$DIR/endpoint"
}

cmd_stop() {
    local pid waited=0 sig=TERM
    [ -d "$DIR" ] || return 0
    DIR=$(cd "$DIR" && pwd)
    [ "$KILL" -eq 0 ] || sig=KILL
    if [ -f "$DIR/pid" ]; then
        pid=$(cat "$DIR/pid")
        if alive "$pid" && ours "$pid"; then
            kill "-$sig" "$pid" 2>/dev/null || true
            while alive "$pid" && [ "$waited" -lt $((STOP_TIMEOUT * 10)) ]; do
                sleep 0.1
                waited=$((waited + 1))
            done
            if alive "$pid"; then
                echo "s3server.sh: versitygw $pid did not stop in ${STOP_TIMEOUT}s, killing it" >&2
                kill -KILL "$pid" 2>/dev/null || true
                waited=0
                while alive "$pid" && [ "$waited" -lt 50 ]; do
                    sleep 0.1
                    waited=$((waited + 1))
                done
            fi
        fi
        rm -f "$DIR/pid"
    fi
    if [ "$KEEP" -eq 0 ]; then
        rm -rf "$DIR/data" "$DIR/port" "$DIR/credentials" "$DIR/config" "$DIR/env" "$DIR/endpoint" \
            "$DIR/bucket"
    fi
}

KEEP=0
KILL=0
[ $# -ge 1 ] || usage
case $1 in
fetch)
    [ $# -eq 1 ] || usage
    cmd_fetch
    ;;
start)
    [ $# -eq 2 ] || usage
    DIR=$2
    cmd_start
    ;;
stop)
    [ $# -ge 2 ] || usage
    DIR=$2
    shift 2
    for arg in "$@"; do
        case $arg in
        --keep) KEEP=1 ;;
        --kill) KILL=1 ;;
        *) usage ;;
        esac
    done
    cmd_stop
    ;;
*) usage ;;
esac
