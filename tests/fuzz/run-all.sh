#!/bin/sh
# run-all.sh: build the fuzz targets (build.sh) and run each for a bounded time with
# AddressSanitizer and UndefinedBehaviorSanitizer, from the seeds committed here plus the
# model files and data-driven cases of the test suite. Run it from a configured build
# directory (the source tree or a VPATH build):
#
#   $srcdir/tests/fuzz/run-all.sh [SECONDS]       (default 60 per target)
#
# Environment: FUZZ_TARGETS (default: every target built), FUZZ_JOBS (targets run at
# once; default: the number of processors, at most the number of targets), FUZZ_OUT (work
# directory, default ./fuzz-out). Prints one line per target: executions, coverage,
# corpus size. Exit status 1 if any target found a crash, leak, timeout or broken
# invariant: its input is kept under FUZZ_OUT/artifacts and printed in base64; add it to
# tests/fuzz/regressions/TARGET/ (and, for a model, a case in tests/data/model/invalid/).
set -u

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-${FUZZ_SECONDS:-60}}
out=${FUZZ_OUT:-$(pwd)/fuzz-out}

"$srcdir/tests/fuzz/build.sh" "$out/bin" || exit 2
targets=${FUZZ_TARGETS:-$(cd "$out/bin" && ls fuzz_* | sed 's/^fuzz_//')}
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
jobs=${FUZZ_JOBS:-$ncpu}
rm -rf "$out/artifacts" "$out/logs"
mkdir -p "$out/artifacts" "$out/logs"

# The starting corpus of a target: its committed seeds and regressions, and for the
# loader every model file the project has.
seed() {
    t=$1 work=$out/corpus/$1
    rm -rf "$work"
    mkdir -p "$work"
    for d in "$srcdir/tests/fuzz/corpus/$t" "$srcdir/tests/fuzz/regressions/$t"; do
        [ -d "$d" ] && find "$d" -type f ! -name README -exec cp {} "$work/" \;
    done
    case $t in
    model)
        for f in "$srcdir"/models/*.model "$srcdir"/tests/data/model/*/*/input.model; do
            [ -f "$f" ] && cp "$f" "$work/$(echo "$f" | tr '/' '_')"
        done ;;
    csv)
        for f in "$srcdir"/models/*/*.csv "$srcdir"/tests/data/*/*.csv; do
            [ -f "$f" ] && [ "$(wc -c <"$f")" -le 65536 ] &&
                cp "$f" "$work/$(echo "$f" | tr '/' '_')"
        done ;;
    esac
    :
}

run() {
    t=$1
    case $t in model | csv) maxlen=16384 ;; acc) maxlen=65536 ;; *) maxlen=4096 ;; esac
    dict=
    [ -f "$srcdir/tests/fuzz/$t.dict" ] && dict="-dict=$srcdir/tests/fuzz/$t.dict"
    # shellcheck disable=SC2086
    ENGRATE_FUZZ_SRCDIR=$srcdir timeout $((secs + 120)) "$out/bin/fuzz_$t" \
        -max_total_time="$secs" -timeout=20 -rss_limit_mb=3072 -max_len=$maxlen $dict \
        -artifact_prefix="$out/artifacts/$t-" -print_final_stats=1 \
        "$out/corpus/$t" >"$out/logs/$t.log" 2>&1
    echo $? >"$out/logs/$t.status"
}

running=0
for t in $targets; do
    seed "$t"
    run "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait

failed=0
for t in $targets; do
    log=$out/logs/$t.log
    status=$(cat "$out/logs/$t.status" 2>/dev/null || echo 99)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | sed 's/cov: //')
    corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -1 | sed 's/corp: //')
    if [ "$status" -eq 0 ]; then
        result=ok
    else
        result="FAILED (status $status)"
        failed=1
    fi
    printf 'fuzz_%-9s %ss  %s execs (%s/s)  cov %s  corpus %s  peak %s MB  %s\n' "$t" \
        "$secs" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${corp:-?}" "${rss:-?}" "$result"
    if [ "$status" -ne 0 ]; then
        grep -v '^#[0-9]' "$log" | tail -40
        for a in "$out/artifacts/$t"-*; do
            [ -f "$a" ] || continue
            echo "input: $a ($(wc -c <"$a") bytes), base64:"
            base64 "$a" | head -c 4000
            echo
        done
    fi
done
exit $failed
