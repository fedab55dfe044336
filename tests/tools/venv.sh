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
have=$("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)' 2>/dev/null || true)
if [ "$have" != "$DUCKDB_PY_VERSION" ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "duckdb==$DUCKDB_PY_VERSION" >&2
fi
WEBSOCKETS_VERSION=15.0.1
have=$("$VENV/bin/python" -c 'import websockets; print(websockets.__version__)' 2>/dev/null || true)
if [ "$have" != "$WEBSOCKETS_VERSION" ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "websockets==$WEBSOCKETS_VERSION" >&2
fi
# pyarrow: the reference reader of the Arrow IPC streams ticklake writes (check_arrow.py).
PYARROW_VERSION=22.0.0
have=$("$VENV/bin/python" -c 'import pyarrow; print(pyarrow.__version__)' 2>/dev/null || true)
if [ "$have" != "$PYARROW_VERSION" ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "pyarrow==$PYARROW_VERSION" >&2
fi
echo "$VENV/bin/python"
