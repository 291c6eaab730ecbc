#!/bin/sh
# tsan.sh: the check suites that run threads, built with ThreadSanitizer and run without
# forking, so that a data race between threads sharing one model (or in the trainer's
# threads) fails the run. The library's sources (every lib/*.c a Makefile fragment names)
# and each suite are compiled here directly, in a directory of their own; run it from a
# configured build directory (the source tree or a VPATH build), which has config.h:
#
#   $srcdir/tests/tsan.sh [OUTDIR]           (default OUTDIR: ./tsan-out)
#
# Environment: TSAN_CC (default clang if present, else gcc), TSAN_SUITES (default: the
# suites below that exist). Exit status 1 on any ThreadSanitizer report or failed test.
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=$(pwd)
out=${1:-$builddir/tsan-out}
if [ -z "${TSAN_CC:-}" ]; then
    if command -v clang >/dev/null; then TSAN_CC=clang; else TSAN_CC=gcc; fi
fi
if [ ! -f "$builddir/config.h" ]; then
    echo "tsan.sh: run it from a configured build directory" >&2
    exit 2
fi

# check_estimate: many threads estimating with one model; check_batch: batches from many
# threads; check_whatif: what-ifs from many threads; check_train: the trainer's reading and
# fitting threads.
suites=${TSAN_SUITES:-}
if [ -z "$suites" ]; then
    for s in check_estimate check_batch check_whatif check_train; do
        [ -f "$srcdir/tests/$s.c" ] && grep -q "tests/$s\\b" "$srcdir"/*/*.mk && suites="$suites $s"
    done
fi
lib_sources=$(cd "$srcdir" && cat Makefile.am ./*/*.mk ./*/*/*.mk | grep -o 'lib/[A-Za-z0-9_/]*\.c' | sort -u)
# The libraries the libraries use: GSL (the trainer) and utf8proc (name folding).
deps="$(pkg-config --cflags --libs gsl 2>/dev/null || echo "-lgsl -lgslcblas") $(pkg-config --cflags --libs libutf8proc 2>/dev/null || echo -lutf8proc)"
check=$(pkg-config --cflags --libs check)
cflags="-std=gnu11 -g -O1 -fsanitize=thread -fno-omit-frame-pointer -pthread"
cppflags="-I$builddir -I$builddir/include -I$srcdir/include -I$srcdir/lib -I$srcdir/lib/train -DENGRATE_BUILDING"

mkdir -p "$out/obj"
objs=
for src in $lib_sources; do
    obj="$out/obj/$(basename "$src" .c).o"
    # shellcheck disable=SC2086
    $TSAN_CC $cflags -w $cppflags $(pkg-config --cflags gsl libutf8proc 2>/dev/null) -c "$srcdir/$src" -o "$obj"
    objs="$objs $obj"
done

failed=0
for s in $suites; do
    # shellcheck disable=SC2086
    $TSAN_CC $cflags $cppflags -o "$out/$s" "$srcdir/tests/$s.c" $objs $check $deps -lm
    start=$(date +%s)
    if srcdir=$srcdir CK_FORK=no ENGRATE_TEST_LIGHT=1 \
        TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
        "$out/$s" >"$out/$s.log" 2>&1; then
        echo "tsan: $s ok ($(($(date +%s) - start)) s)"
    else
        echo "tsan: $s FAILED"
        tail -80 "$out/$s.log"
        failed=1
    fi
done
exit $failed
