#!/bin/sh
# valgrind.sh (make check-valgrind-python): the Python suites that try to crash the
# binding (test_lifetime: copies, close while in use, garbage-collection order, fork,
# threads; test_pickle: pickles, multiprocessing with fork and spawn) and the one that
# drives the batch's arrays hardest (test_pandas: buffers of names that C reads through
# pointers made in Python) under memcheck, so that a read of freed or unowned memory is
# an error even when it happens not to crash.
# PYTHONMALLOC=malloc makes every Python allocation one valgrind sees; leaks are not
# checked (the interpreter keeps memory until exit), errors are: any one fails the run.
# ENGRATE_TEST_LIGHT=1 asks the stress tests for fewer rounds. Children the suites start
# with subprocess or spawn run natively; forked children stay under valgrind.
set -u
: "${srcdir:=.}" "${top_builddir:=.}" "${VALGRIND:=valgrind}"
if [ -z "${PYTHON3:-}" ]; then
    echo "SKIP: no python3"; exit 0
fi
if [ ! -e "$top_builddir/lib/.libs/libengrate.so" ]; then
    echo "SKIP: no shared library in $top_builddir/lib/.libs"; exit 0
fi
export srcdir top_builddir
log="$top_builddir/examples/python/valgrind.log"
mkdir -p "$top_builddir/examples/python"
PYTHONMALLOC=malloc ENGRATE_TEST_LIGHT=1 PYTHONDONTWRITEBYTECODE=1 \
PYTHONPATH="$srcdir/examples/python" \
    $VALGRIND --quiet --error-exitcode=1 --leak-check=no --track-origins=yes \
    --num-callers=40 --child-silent-after-fork=yes \
    "$PYTHON3" -m unittest ${PYTHON_SUITES:-test_lifetime test_pickle test_pandas} >"$log" 2>&1
status=$?
if [ $status -ne 0 ]; then
    echo "FAIL: the Python suites under valgrind (status $status); $log:"
    tail -80 "$log"
    exit 1
fi
tail -3 "$log"
