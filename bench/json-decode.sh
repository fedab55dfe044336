#!/usr/bin/env bash
# bench/json-decode.sh - records/s decoding ticklake's JSON trades, quotes and bars with the hand-written
# reader json.c had (taken from git at HANDWRITTEN, default 6e5ab58), yyjson, cJSON and jansson, and with
# ticklake's own decoders (bench/json_decode.c says what each measures).
#
#   bench/json-decode.sh [RUNS]      (default 7 runs; prints the median of each)
#
# Needs Debian's libcjson-dev and libjansson-dev (for this benchmark only; ticklake uses neither):
#   apt-get install libcjson-dev libjansson-dev
# docs/PERFORMANCE.md ("JSON decode") records the results.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-7}
HANDWRITTEN=${HANDWRITTEN:-6e5ab58}
OUT=build/release/bench/json_decode
for h in cjson/cJSON.h jansson.h; do
    [ -f "/usr/include/$h" ] || { echo "json-decode: /usr/include/$h missing: apt-get install libcjson-dev libjansson-dev" >&2; exit 1; }
done
make -s -j2 build/release/libticklake.a
mkdir -p "$OUT.d"
# The old reader, its public names renamed so that it links beside the current json.c.
git show "$HANDWRITTEN:src/core/json.c" >"$OUT.d/json_handwritten.c"
rename=()
for s in json_parse json_root json_doc_free json_get json_get_int json_get_num json_get_str; do
    rename+=("-D$s=hw_$s")
done
CF=(-O2 -g -std=c17 -D_GNU_SOURCE -Isrc/base -Isrc/core -Ithird_party/yyjson -Ibench)
gcc "${CF[@]}" "${rename[@]}" -c -o "$OUT.d/json_handwritten.o" "$OUT.d/json_handwritten.c"
gcc "${CF[@]}" -Wall -Wextra -Werror -Wno-unused-parameter -o "$OUT" bench/json_decode.c \
    bench/json_decode_jansson.c "$OUT.d/json_handwritten.o" build/release/libticklake.a -lcjson -ljansson -lm
echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load $(cut -d' ' -f1-3 /proc/loadavg)"
"$OUT" "$RUNS"
