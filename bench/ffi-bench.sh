#!/bin/sh
# ffi-bench.sh: what estimating costs from Python (ctypes) and Ruby (ffi) next to C, so
# that the price of crossing into C shows as a ratio: per profile, one call per profile
# (single) and one engrate_estimate_batch call for all of them (batch), for C
# (bench/ffi-bench.c), the Python package (bench/ffi-bench.py) and the Ruby binding
# (bench/ffi-bench.rb), on the same profiles. Not run by make check.
#
#   bench/ffi-bench.sh [-m MODEL] [-n PROFILES] [-r RUNS] [-t MS]    (or: make bench-ffi)
#
# Run it from the top build directory of a shared build. Every figure is the median of
# RUNS runs (default 7) of at least MS milliseconds (default 300) over PROFILES profiles
# (default 1000) drawn from models/example.model's names, with some unknown names, missing
# roles and missing years. CC, PYTHON3 and RUBY choose the tools (PYTHON3 defaults to
# /usr/bin/python3, Debian's, when there is one). The target: the batch call from Python
# within 2x of C's time per profile.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "${srcdir:-$here/..}" && pwd)
top_builddir=$(cd "${top_builddir:-.}" && pwd)
CC=${CC:-cc}
if [ -z "${PYTHON3:-}" ]; then
    if [ -x /usr/bin/python3 ]; then PYTHON3=/usr/bin/python3; else PYTHON3=python3; fi
fi
RUBY=${RUBY:-ruby}
model=$srcdir/models/example.model n=1000 runs=7 ms=300
while getopts m:n:r:t: opt; do
    case $opt in
    m) model=$OPTARG ;;
    n) n=$OPTARG ;;
    r) runs=$OPTARG ;;
    t) ms=$OPTARG ;;
    *) sed -n '8p' "$0" >&2; exit 2 ;;
    esac
done
lib=$top_builddir/lib/.libs
[ -e "$lib/libengrate.so" ] || { echo "ffi-bench: no $lib/libengrate.so: build (shared) first" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/engrate-ffi-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The profiles, the same for every language: a Park-Miller generator, so that every awk
# draws the same ones.
awk -v n="$n" 'BEGIN {
    x = 20260101
    nr = split("pm pmo se pg PM プロマネ Prgrammer", roles, " ")
    ns = split("java python ruby c++ c# Java cpp go", skills, " ")
    nc = split("pmp ipa_pm", certs, " ")
    for (i = 0; i < n; i++) {
        x = (x * 16807) % 2147483647; role = x % 8 < nr ? roles[x % 8 + 1] : ""
        x = (x * 16807) % 2147483647; k = x % 4; s = ""
        for (j = 0; j < k; j++) {
            x = (x * 16807) % 2147483647; s = s (j ? ";" : "") skills[x % ns + 1]
        }
        x = (x * 16807) % 2147483647; c = x % 3 == 0 ? certs[x % nc + 1] : ""
        x = (x * 16807) % 2147483647; y = x % 5 == 0 ? "" : x % 25
        printf "%s\t%s\t%s\t%s\n", role, s, c, y
    }
}' >"$tmp/profiles.tsv"

"$CC" -O2 -I"$srcdir/include" -I"$top_builddir/include" "$srcdir/bench/ffi-bench.c" \
    -o "$tmp/ffi-bench" -L"$lib" -Wl,-rpath,"$lib" -lengrate -lm
export srcdir top_builddir
"$tmp/ffi-bench" "$model" "$tmp/profiles.tsv" "$runs" "$ms" | sed 's/^/C /' >"$tmp/out"
"$PYTHON3" "$srcdir/bench/ffi-bench.py" "$model" "$tmp/profiles.tsv" "$runs" "$ms" |
    sed 's/^/Python /' >>"$tmp/out"
"$RUBY" "$srcdir/bench/ffi-bench.rb" "$model" "$tmp/profiles.tsv" "$runs" "$ms" |
    sed 's/^/Ruby /' >>"$tmp/out"

awk -v n="$n" -v runs="$runs" -v ms="$ms" -v model="$(basename "$model")" '
    $2 == "python" || $2 == "ruby" { version[$1] = $0; sub(/^[A-Za-z]+ /, "", version[$1]); next }
    { k++; lang[k] = $1; name[k] = $2; ns[k] = $3; if ($1 == "C" && $2 == "single") c = $3 }
    END {
        desc["single"] = "one call per profile, the whole result"
        desc["single_raw"] = "one call per profile, arguments ready"
        desc["batch"] = "estimate_many on dicts / hashes"
        desc["batch_columns"] = "estimate_columns: lists in, arrays out"
        desc["batch_raw"] = "engrate_estimate_batch, arrays ready"
        printf "engrate FFI cost: %d profiles of %s, median of %d runs of >= %d ms\n", n, model, runs, ms
        printf "(%s; %s)\n\n", version["Python"], version["Ruby"]
        printf "%-7s %-14s %12s %11s\n", "", "", "ns/profile", "x C single"
        for (i = 1; i <= k; i++) {
            d = (lang[i] == "C" && name[i] == "batch") ? "engrate_estimate_batch" : \
                (lang[i] == "C") ? "engrate_estimate_profile" : desc[name[i]]
            printf "%-7s %-14s %12.1f %11.2f   %s\n", lang[i], name[i], ns[i], ns[i] / c, d
            if (lang[i] == "Python" && name[i] == "batch_raw") pb = ns[i]
            if (lang[i] == "Python" && name[i] == "batch_columns") pc = ns[i]
        }
        printf "\nPython batch call: %.2fx C per profile (target: within 2x); with the conversion from lists: %.2fx\n", pb / c, pc / c
    }' "$tmp/out"
