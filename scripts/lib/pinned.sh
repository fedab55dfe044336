# pinned.sh - what the fetch scripts share: checking downloads against pinned sha256s.
# Source it after setting FETCH_NAME (the script's name, for messages):
#   FETCH_NAME=fetch-x; . "$(dirname "${BASH_SOURCE[0]}")/lib/pinned.sh"

# die MESSAGE: the script's error, and exit 1.
die() { echo "${FETCH_NAME:-fetch}: $*" >&2; exit 1; }

# sha_ok FILE SHA256: true when FILE exists and has that sha256.
sha_ok() {
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

# check FILE SHA256 WHAT: fail loudly unless FILE has that sha256.
check() {
    local got
    [ -f "$1" ] || die "$3: '$1' is missing"
    got=$(sha256sum "$1" | cut -d' ' -f1)
    [ "$got" = "$2" ] || die "$3: sha256 mismatch for '$1': expected $2, got $got"
}
