#!/bin/sh
# install-check.sh (make check): install into a temporary directory with DESTDIR, build
# examples/c/estimate.c against that installation exactly as a user would, with
#   cc estimate.c $(pkg-config --cflags --libs engrate)
# and run it there. It checks that the header, the library, engrate.pc and the default
# model are installed and usable together, that the program uses the installed library,
# and that the Python and Ruby bindings installed with them work. make passes MAKE, CC,
# CFLAGS, LDFLAGS, PKG_CONFIG, PYTHON3, RUBY and the installation directories
# (examples/bindings.mk, tests/local.mk).
set -u
: "${MAKE:?run me through make check}" "${CC:?}" "${PKG_CONFIG:?}" "${srcdir:?}"
: "${libdir:?}" "${pkgdatadir:?}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/engrate-install.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
passed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; echo "$passed passed, 1 failed"; exit 1; }

# A DESTDIR installation under $tmp ($tmp$prefix/...): libtool installs from the build tree
# without relinking, and the real prefix is left alone.
$MAKE install DESTDIR="$tmp" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "make install"; }
ok "make install DESTDIR=$tmp"

# pkg-config finds engrate.pc there; the sysroot maps its -I and -L into $tmp.
pc="$tmp$libdir/pkgconfig"
[ -f "$pc/engrate.pc" ] || fail "no $pc/engrate.pc"
static=
[ -e "$tmp$libdir/libengrate.so" ] || static=--static # a --disable-shared build
flags=$(PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$tmp" PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 \
        PKG_CONFIG_ALLOW_SYSTEM_LIBS=1 $PKG_CONFIG $static --cflags --libs engrate) ||
    fail "pkg-config --cflags --libs engrate"
case "$flags" in *"-I$tmp"*"-L$tmp"*) ;; *) fail "pkg-config flags outside $tmp: $flags" ;; esac
ok "pkg-config: $flags"

# libengrate's .pc file requires nothing: it works where GSL's .pc file cannot be found
# (PKG_CONFIG_LIBDIR hides the system's). The trainer's pulls GSL in (Requires.private:
# gsl, so its cflags and, for static linking, its libraries).
PKG_CONFIG_LIBDIR="$pc" PKG_CONFIG_SYSROOT_DIR="$tmp" $PKG_CONFIG --cflags --libs engrate \
    >/dev/null 2>"$tmp/pc.err" || fail "pkg-config engrate without gsl.pc: $(cat "$tmp/pc.err")"
ok "pkg-config --cflags --libs engrate with no gsl.pc in sight"
if PKG_CONFIG_LIBDIR="$pc" $PKG_CONFIG --static --libs engrate-train >/dev/null 2>&1; then
    fail "pkg-config --static engrate-train works without gsl.pc: it should require GSL"
fi
tflags=$(PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$tmp" $PKG_CONFIG --static --libs \
         engrate-train) || fail "pkg-config --static --libs engrate-train"
case "$tflags" in *-lengrate-train*-lengrate*-lgsl*) ;; *) fail "engrate-train: $tflags" ;; esac
ok "pkg-config --static --libs engrate-train: $tflags"
if [ -z "$static" ] && command -v ldd >/dev/null; then
    if ldd "$tmp$libdir/libengrate.so" | grep -q gsl; then
        fail "the installed libengrate links GSL: $(ldd "$tmp$libdir/libengrate.so")"
    fi
    ok "the installed libengrate.so does not link GSL"
fi

# shellcheck disable=SC2086 # the flags are words
$CC ${CFLAGS:-} "$srcdir/examples/c/estimate.c" -o "$tmp/estimate" $flags ${LDFLAGS:-} ||
    fail "cc estimate.c \$(pkg-config --cflags --libs engrate)"
ok "cc estimate.c \$(pkg-config --cflags --libs engrate)"

run() { # MODEL COMMAND...: run with the installed library and model
    model=$1; shift
    ENGRATE_MODEL="$tmp$pkgdatadir/$model" \
        LD_LIBRARY_PATH="$tmp$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"
}
if [ -z "$static" ] && command -v ldd >/dev/null; then
    run default.model ldd "$tmp/estimate" | grep -q "libengrate.* => $tmp$libdir/" ||
        fail "estimate does not use the installed library: $(run default.model ldd "$tmp/estimate")"
    ok "it runs with $tmp$libdir/libengrate.so"
fi
out=$(run default.model "$tmp/estimate") || fail "estimate failed with the default model"
echo "$out"
ok "the installed default model"
# The installed example model: pmo, Java, PMP and 8 years give
# exp(13.4 + 0.25 + 0.02 + 0 + 0.06*8 - 0.04*5) = exp(13.95) = 1143952.6, with the interval
# exp(13.75) = 936589.2 to exp(14.15) = 1397226.8.
out=$(run example.model "$tmp/estimate") || fail "estimate failed with example.model"
first=$(echo "$out" | head -n 1)
[ "$first" = "example: 1143953 JPY per month (80%: 936589 - 1397227)" ] ||
    fail "unexpected estimate: $first"
ok "the estimate with the installed example model: $first"
out=$(run example.model "$tmp/estimate" pm 12 java cobol) || fail "estimate pm 12 java cobol"
echo "$out" | grep -q "^  unknown: cobol$" || fail "the unknown name is not reported: $out"
ok "unknown names reported"

# The bindings as installed (configure chose where: pythondir, rubydir), loading the
# installed library, give the same estimate. They need a shared library.
if [ -z "$static" ] && [ -n "${PYTHON3:-}" ] && [ -n "${pythondir:-}" ]; then
    [ -f "$tmp$pythondir/engrate/__init__.py" ] || fail "no Python package in $tmp$pythondir"
    for f in "$srcdir"/examples/python/engrate/*.py; do
        [ -f "$tmp$pythondir/engrate/${f##*/}" ] || fail "engrate/${f##*/} is not installed"
    done
    out=$(cd "$tmp" && PYTHONPATH="$tmp$pythondir" ENGRATE_LIB="$tmp$libdir/libengrate.so" \
          PYTHONDONTWRITEBYTECODE=1 "$PYTHON3" -c '
import sys, engrate
assert engrate.__file__.startswith(sys.argv[1]), engrate.__file__
r = engrate.Model.load(sys.argv[2]).estimate(role="pmo", skills=["java"], certs=["PMP"], years=8)
print("%.0f %.0f %.0f" % (r.estimate, r.low, r.high))' "$tmp$pythondir" \
          "$tmp$pkgdatadir/example.model") || fail "the installed Python package"
    [ "$out" = "1143953 936589 1397227" ] || fail "the installed Python package gives $out"
    ok "the installed Python package ($pythondir): $out"
    # engrate-report runs engrate/report.py where it is installed: run it from $tmp with
    # that path moved there too (the script is tiny; the path is what can go wrong).
    if [ -n "${bindir:-}" ]; then
        script="$tmp$bindir/engrate-report"
        [ -x "$script" ] || fail "no engrate-report in $tmp$bindir"
        grep -q "\"$pythondir/engrate\"" "$script" ||
            fail "engrate-report does not look in $pythondir/engrate"
        sed "s|\"$pythondir/|\"$tmp$pythondir/|" "$script" > "$tmp/engrate-report"
        PYTHONDONTWRITEBYTECODE=1 "$PYTHON3" "$tmp/engrate-report" --help >/dev/null ||
            fail "the installed engrate-report does not run"
        ok "engrate-report installed in $bindir, running $pythondir/engrate/report.py"
    fi
fi
if [ -z "$static" ] && [ -n "${RUBY:-}" ] && [ -n "${rubydir:-}" ]; then
    [ -f "$tmp$rubydir/engrate.rb" ] || fail "no Ruby library in $tmp$rubydir"
    out=$(cd "$tmp" && ENGRATE_LIB="$tmp$libdir/libengrate.so" \
          "$RUBY" -I"$tmp$rubydir" -e '
require "engrate"
abort $LOADED_FEATURES.grep(/engrate\.rb/).inspect unless
  $LOADED_FEATURES.any? { |f| f.start_with?(ARGV[0]) && f.end_with?("engrate.rb") }
r = Engrate::Model.load(ARGV[1]).estimate(role: "pmo", skills: ["java"], certs: ["PMP"],
                                           years: 8)
puts format("%.0f %.0f %.0f", r.estimate, r.low, r.high)' "$tmp$rubydir" \
          "$tmp$pkgdatadir/example.model") || fail "the installed Ruby library"
    [ "$out" = "1143953 936589 1397227" ] || fail "the installed Ruby library gives $out"
    ok "the installed Ruby library ($rubydir): $out"
fi
# The installed package finds its library without LD_LIBRARY_PATH or ENGRATE_LIB: make
# install wrote configure's libdir into engrate/_paths.py. In a DESTDIR the library is not
# at that path yet, so the check is in two parts: _paths.py names $libdir exactly, and a
# copy of the installed package whose _paths.py names $tmp$libdir instead, run from $tmp
# with neither variable set, loads the library there (not another one on the system) and
# trains with the training library found beside it.
if [ -z "$static" ] && [ -n "${PYTHON3:-}" ] && [ -n "${pythondir:-}" ]; then
    paths="$tmp$pythondir/engrate/_paths.py"
    grep -qx "LIBDIR = \"$libdir\"" "$paths" || fail "$paths does not name $libdir: $(cat "$paths")"
    mkdir -p "$tmp/pkg" && cp -R "$tmp$pythondir/engrate" "$tmp/pkg/" || fail "copy the package"
    echo "LIBDIR = \"$tmp$libdir\"" >"$tmp/pkg/engrate/_paths.py"
    out=$(cd "$tmp" && env -u LD_LIBRARY_PATH -u ENGRATE_LIB -u ENGRATE_TRAIN_LIB \
          -u top_builddir PYTHONPATH="$tmp/pkg" PYTHONDONTWRITEBYTECODE=1 "$PYTHON3" -c '
import os, sys, engrate
from engrate import _raw
lib = os.path.realpath(engrate.library_path())
assert lib.startswith(sys.argv[1] + "/"), lib
r = engrate.Model(sys.argv[2]).estimate(role="pmo", skills="java", certs=["PMP"], years=8)
rows = "".join("%s,java,%d,%d\n" % (("pm", "se")[i % 2], i % 9, 500000 + 9000 * i)
               for i in range(40))
model, report = engrate.train("role,skills,years,rate\n" + rows, folds=0, min_count=1,
                              categorical="role", set="skills", numeric="years")
assert os.path.realpath(_raw.train_path).startswith(sys.argv[1] + "/"), _raw.train_path
print("%.0f %.0f %.0f %d" % (r.estimate, r.low, r.high, report.value("n")))' \
          "$tmp$libdir" "$tmp$pkgdatadir/example.model") ||
        fail "the installed Python package with no LD_LIBRARY_PATH"
    [ "$out" = "1143953 936589 1397227 40" ] || fail "the installed Python package gives $out"
    ok "the installed Python package finds its libdir through engrate/_paths.py: $out"
fi
echo "$passed passed, 0 failed"
