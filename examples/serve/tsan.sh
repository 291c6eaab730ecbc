#!/bin/sh
# tsan.sh: engrate-serve built with ThreadSanitizer, under its API and reload tests: worker
# threads sharing a model while reloads swap it, the per-thread query cache, the metrics'
# counters. The library's sources and the server's are compiled here directly, as
# tests/tsan.sh does for the check suites; a report makes the server exit 66, which fails
# the test that stops it. Run it from a configured build directory after `make`:
#
#   $srcdir/examples/serve/tsan.sh [OUTDIR]          (default OUTDIR: ./tsan-serve)
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=$(pwd)
out=${1:-$builddir/tsan-serve}
cc=${TSAN_CC:-$(command -v clang || echo gcc)}
[ -f "$builddir/config.h" ] || { echo "tsan.sh: run it from a configured build directory" >&2; exit 2; }
[ -x "$builddir/examples/engrate-estimate" ] || { echo "tsan.sh: run make first" >&2; exit 2; }

lib_sources=$(cd "$srcdir" && cat Makefile.am ./*/*.mk | grep -o 'lib/[A-Za-z0-9_]*\.c' | sort -u)
mkdir -p "$out/examples/serve" "$out/models"
# shellcheck disable=SC2046,SC2086
$cc -std=gnu11 -g -O1 -fsanitize=thread -fno-omit-frame-pointer -pthread -w \
    -I"$builddir" -I"$builddir/include" -I"$srcdir/include" -I"$srcdir/lib" \
    -DENGRATE_BUILDING -D_DEFAULT_SOURCE -DENGRATE_SERVE_WWW='"/nonexistent"' \
    $(for f in $lib_sources; do echo "$srcdir/$f"; done) "$srcdir"/examples/serve/*.c \
    -o "$out/examples/serve/engrate-serve" \
    $(pkg-config --cflags --libs gsl libutf8proc libmicrohttpd jansson) -lm
# The tests find the estimator and the default model under top_builddir.
ln -sf "$builddir/examples/engrate-estimate" "$out/examples/engrate-estimate"
ln -sf "$builddir/lib" "$out/lib"
ln -sf "$builddir/models/jp-freelance.model" "$out/models/jp-freelance.model"

failed=0
for t in reload api; do
    if top_builddir=$out srcdir=$srcdir ENGRATE_TEST_LIGHT=1 \
        TSAN_OPTIONS="halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}" \
        "${PYTHON3:-python3}" "$srcdir/examples/serve/test_$t.py" >"$out/test_$t.log" 2>&1; then
        echo "tsan: engrate-serve test_$t ok"
    else
        echo "tsan: engrate-serve test_$t FAILED"
        tail -60 "$out/test_$t.log"
        failed=1
    fi
done
exit $failed
