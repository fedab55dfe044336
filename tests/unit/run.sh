#!/usr/bin/env bash
# Runs each unit-test binary given and sums their "N passed, N failed" lines.
set -u
total_pass=0
total_fail=0
for bin in "$@"; do
    out=$("$bin" 2>&1)
    rc=$?
    line=$(printf '%s\n' "$out" | tail -n 1)
    if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        p=${BASH_REMATCH[1]}
        f=${BASH_REMATCH[2]}
    else
        p=0
        f=1
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    if [ "$f" -ne 0 ]; then
        printf '%s\n' "$out"
        echo "FAIL $(basename "$bin") (exit $rc)"
    else
        echo "ok   $(basename "$bin"): $p tests"
    fi
done
echo "unit: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
