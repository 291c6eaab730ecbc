#!/bin/sh
# build.sh: build the libFuzzer targets (fuzz_*.c here) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, compiling the library's sources (the list in lib/local.mk)
# directly. Run it from a configured build directory (the source tree itself, or a VPATH
# build directory: it needs that directory's config.h and include/engrate_version.h).
#
#   $srcdir/tests/fuzz/build.sh [OUTDIR]        (default OUTDIR: fuzz-out/bin)
#
# Environment: CLANG (default clang), FUZZ_CFLAGS (default -g -O1), FUZZ_SANITIZE
# (default address,undefined). Needs clang and libFuzzer (Debian: clang libclang-rt-14-dev).
# The CSV target is built when the trainer has a CSV reader (lib/train/csv.c) and the
# training API (engrate_train_csv_buffer) is in include/engrate_train.h.
set -eu

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=$(pwd)
out=${1:-$builddir/fuzz-out/bin}
CLANG=${CLANG:-clang}
FUZZ_CFLAGS=${FUZZ_CFLAGS:--g -O1}
FUZZ_SANITIZE=${FUZZ_SANITIZE:-address,undefined}

if [ ! -f "$builddir/config.h" ] || [ ! -f "$builddir/include/engrate_version.h" ]; then
    echo "build.sh: no config.h here: run it from a configured build directory" >&2
    exit 2
fi
command -v "$CLANG" >/dev/null || { echo "build.sh: $CLANG not found" >&2; exit 2; }

# The libraries' C sources: every .c under lib/ that a Makefile fragment names
# (lib/local.mk, lib/train/local.mk), so that new files are picked up without editing
# this script.
lib_sources=$(cd "$srcdir" && cat Makefile.am ./*/*.mk ./*/*/*.mk | grep -o 'lib/[A-Za-z0-9_/]*\.c' | sort -u)
[ -n "$lib_sources" ] || { echo "build.sh: no sources in lib/local.mk" >&2; exit 2; }

# The libraries the library uses: GSL (the trainer) and utf8proc (name folding).
dep_cflags="$(pkg-config --cflags gsl 2>/dev/null || true) $(pkg-config --cflags libutf8proc 2>/dev/null || true)"
dep_libs="$(pkg-config --libs gsl 2>/dev/null || echo "-lgsl -lgslcblas") $(pkg-config --libs libutf8proc 2>/dev/null || echo -lutf8proc)"
san="-fsanitize=$FUZZ_SANITIZE -fno-sanitize-recover=all -fno-omit-frame-pointer"
cppflags="-I$builddir -I$builddir/include -I$srcdir/include -I$srcdir/lib -I$srcdir/lib/train -DENGRATE_BUILDING"
cflags="-std=gnu11 $FUZZ_CFLAGS $san"

mkdir -p "$out/obj"
objs=
for src in $lib_sources; do
    obj="$out/obj/$(basename "$src" .c).o"
    # shellcheck disable=SC2086
    # -w: warnings are the normal build's business (-Werror in CI), not this one's
    $CLANG $cflags -w -fsanitize=fuzzer-no-link $cppflags $dep_cflags -c "$srcdir/$src" -o "$obj"
    objs="$objs $obj"
done

targets="model estimate"
if [ -f "$srcdir/lib/train/csv.c" ] && grep -q engrate_train_csv_buffer "$srcdir/include/engrate_train.h" &&
    echo "$lib_sources" | grep -q 'csv\.c'; then
    targets="$targets csv"
fi
if [ -f "$srcdir/lib/train/accload.c" ] && echo "$lib_sources" | grep -q 'accload\.c'; then
    targets="$targets acc"
fi
for t in $targets; do
    # shellcheck disable=SC2086
    $CLANG $cflags -fsanitize=fuzzer $cppflags $dep_cflags \
        -DFUZZ_SRCDIR="\"$srcdir\"" "$srcdir/tests/fuzz/fuzz_$t.c" $objs \
        -o "$out/fuzz_$t" $dep_libs -lm -pthread
    echo "built $out/fuzz_$t"
done
