#!/usr/bin/env bash
# venv.sh - a Python virtual environment for the tests' independent checks, in .cache/venv.
#
#   tests/tools/venv.sh          create it (once) and install what is missing; prints its python path
#
# It holds the DuckDB Python package pinned to the same release as libduckdb (1.5.5), used only as an
# independent reader of the lake in tests and to generate benchmark data, and the `websockets` package
# for the live-feed replay server (tests/feeds/replay_server.py), and pyarrow to read the Arrow
# streams of query results; ticklake itself never uses them.
# Idempotent and quiet when everything is present. Needs python3 with the venv module and PyPI access.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=$ROOT/.cache/venv
DUCKDB_PY_VERSION=1.5.5

if [ ! -x "$VENV/bin/python" ]; then
    mkdir -p "$ROOT/.cache"
    python3 -m venv "$VENV" >&2 || {
        echo "venv: unable to create $VENV (Debian: apt-get install python3-venv)" >&2
        exit 1
    }
fi
# want MODULE VERSION: installs MODULE==VERSION unless that version is there.
want() {
    local have
    have=$("$VENV/bin/python" -c "import $1; print($1.__version__)" 2>/dev/null || true)
    if [ "$have" != "$2" ]; then
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$1==$2" >&2
    fi
}
want duckdb "$DUCKDB_PY_VERSION"
want websockets 15.0.1
# pyarrow: the reference reader of the Arrow IPC streams ticklake writes (check_arrow.py).
want pyarrow 22.0.0
echo "$VENV/bin/python"
