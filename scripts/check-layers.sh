#!/usr/bin/env bash
# check-layers.sh - the dependency rule of src/ (docs/ARCHITECTURE.md, "The map"), checked on every
# build: each folder includes only the folders below it, and each library's header only from its home.
#
#   scripts/check-layers.sh [SRC]     (default src); prints each violation, exits 1 if there is any
#
#   base      util, log: nothing of ours
#   core      pure logic: base
#   kafka, engine, s3   the homes of librdkafka, DuckDB, libcurl+OpenSSL+expat: base, core
#   lake      storage, cache, compaction, catalog, queries: base, core, engine, s3
#   pipeline  ingest, process, sink, live feeds: base, core, kafka, engine, s3, ws, lake
#   ws        the home of libwebsockets (WebSocket client): base, core
#   http      the home of civetweb: base, core
#   serve     the web console, API, push stream and metrics: all above but cli and cmd
#   cli       options, config, the shell's line editor (libedit's home): all but cmd
#   cmd       one file per command: everything
#
# Vendored libraries (third_party/) have one home file: yyjson.h is included by src/core/json.c only.
set -uo pipefail
SRC=${1:-src}

allowed() { # allowed FROM TO: true when folder FROM may include a header of folder TO
    [ "$1" = "$2" ] && return 0
    case $1 in
    base) return 1 ;;
    core) [[ $2 == base ]] ;;
    kafka | engine | s3 | ws | http) [[ $2 == base || $2 == core ]] ;;
    lake) [[ $2 =~ ^(base|core|engine|s3)$ ]] ;;
    pipeline) [[ $2 =~ ^(base|core|kafka|engine|s3|ws|lake)$ ]] ;;
    serve) [[ $2 =~ ^(base|core|kafka|engine|s3|ws|lake|pipeline|http)$ ]] ;;
    cli) [[ $2 != cmd ]] ;;
    cmd | .) return 0 ;;
    *) return 1 ;;
    esac
}

# The one folder each library's headers may be included from (a system include "<prefix...").
home_of() {
    case $1 in
    librdkafka/*) echo kafka ;;
    duckdb.h) echo engine ;;
    curl/* | openssl/* | expat.h | expat_external.h) echo s3 ;;
    histedit.h | editline/* | readline.h | readline/*) echo cli ;;
    civetweb.h) echo http ;;
    libwebsockets.h | libwebsockets/*) echo ws ;;
    *) echo "" ;;
    esac
}

# The one file a vendored library's header may be included from (either include form).
file_home_of() {
    case $1 in
    yyjson.h) echo core/json.c ;;
    *) echo "" ;;
    esac
}

declare -A where=()
for f in "$SRC"/*/*.h "$SRC"/*.h; do
    [ -e "$f" ] || continue
    d=$(basename "$(dirname "$f")")
    [ "$(dirname "$f")" = "$SRC" ] && d=.
    where[$(basename "$f")]=$d
done

bad=0
for f in "$SRC"/*.c "$SRC"/*/*.[ch]; do
    [ -e "$f" ] || continue
    from=$(basename "$(dirname "$f")")
    [ "$(dirname "$f")" = "$SRC" ] && from=.
    while IFS= read -r line; do
        if [[ $line =~ ^#include\ [\"\<]([^\"\>]+)[\"\>] ]] && fh=$(file_home_of "${BASH_REMATCH[1]}") &&
            [ -n "$fh" ]; then
            if [ "$from/$(basename "$f")" != "$fh" ]; then
                echo "$f: ${BASH_REMATCH[1]} belongs to $SRC/$fh only" >&2
                bad=1
            fi
        elif [[ $line =~ ^#include\ \"([^\"]+)\" ]]; then
            h=${BASH_REMATCH[1]}
            to=${where[$h]:-}
            if [ -z "$to" ]; then
                echo "$f: includes \"$h\", which is not a header of $SRC" >&2
                bad=1
            elif ! allowed "$from" "$to"; then
                echo "$f: $from/ may not include $to/$h (the dependency rule in scripts/check-layers.sh)" >&2
                bad=1
            fi
        elif [[ $line =~ ^#include\ \<([^\>]+)\> ]]; then
            home=$(home_of "${BASH_REMATCH[1]}")
            if [ -n "$home" ] && [ "$home" != "$from" ]; then
                echo "$f: <${BASH_REMATCH[1]}> belongs to $SRC/$home/ only" >&2
                bad=1
            fi
        fi
    done < <(grep -E '^#include ' "$f")
done
exit $bad
