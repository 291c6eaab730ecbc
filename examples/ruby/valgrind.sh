#!/bin/sh
# valgrind.sh (make check-valgrind-ruby): the Ruby binding's lifetime suite
# (test_lifetime.rb: copies, close while in use, collection order, fork, threads) under
# valgrind's memcheck, against this build's shared library. It fails when memcheck finds
# an invalid read, write or free anywhere outside Ruby's own known noise (valgrind.supp),
# in the parent or in a forked child, or when a block that libengrate allocated is lost.
# Ruby does not free its own heap at exit, so leaks are judged by their allocation stack:
# only those that pass through libengrate count. Skipped (77) without valgrind, ruby and
# the ffi gem, or a shared library.
set -u
: "${srcdir:=.}" "${top_builddir:=.}" "${RUBY:=ruby}" "${VALGRIND:=valgrind}"
command -v "$VALGRIND" >/dev/null 2>&1 || { echo "SKIP: no valgrind"; exit 77; }
"$RUBY" -e 'require "ffi"; require "minitest"' 2>/dev/null ||
    { echo "SKIP: $RUBY lacks the ffi gem or minitest"; exit 77; }
[ -e "$top_builddir/lib/.libs/libengrate.so" ] || { echo "SKIP: no shared library"; exit 77; }
logs=$(mktemp -d "${TMPDIR:-/tmp}/engrate-rbvg.XXXXXX") || exit 99
trap 'rm -rf "$logs"' EXIT
found=42 # memcheck's exit status when it reports an error, told apart from a test failure
export srcdir top_builddir
ENGRATE_TEST_LIGHT=1 "$VALGRIND" --error-exitcode=$found \
    --suppressions="$srcdir/examples/ruby/valgrind.supp" --num-callers=40 \
    --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=none \
    --max-stackframe=16777216 --log-file="$logs/vg.%p" \
    "$RUBY" "$srcdir/examples/ruby/test_lifetime.rb" --verbose
status=$?
# Loss records whose allocation stack runs through libengrate (one record per paragraph).
lost=$(awk '/are (definitely|indirectly) lost/ { rec = $0; inrec = 1; next }
            inrec && /^==[0-9]+== *$/ { if (rec ~ /libengrate|engrate_/) print rec; inrec = 0 }
            inrec { rec = rec "\n" $0 }' "$logs"/vg.*)
errors=$(grep -h "ERROR SUMMARY" "$logs"/vg.* | grep -v " 0 errors")
if [ $status -eq $found ] || [ -n "$errors" ] || [ -n "$lost" ]; then
    echo "FAIL: memcheck found errors in the Ruby binding's lifetime suite:"
    for f in "$logs"/vg.*; do
        grep -q "ERROR SUMMARY: [1-9]" "$f" && sed -n '/Invalid\|uninitialised\|Mismatched/,/^==[0-9]*== *$/p' "$f" | head -80
    done
    [ -n "$lost" ] && printf '%s\n' "$lost" | head -80
    exit 1
fi
[ $status -eq 0 ] || { echo "FAIL: the suite failed under valgrind (status $status)"; exit 1; }
echo "PASS: no memcheck error, no lost block of libengrate's ($(ls "$logs" | wc -l) processes)"
