#!/bin/sh
# bench-serve.sh: `make bench-serve`, engrate-serve under load from wrk (1 thread, 32
# connections) sending POST /api/v1/estimate (examples/serve/bench-serve.lua):
#   1. RUNS runs of SECONDS each: estimates a second, p50 and p99 latency, errors; medians;
#      then RUNS runs of POST /api/v1/whatif with the same profile and "top": 5 (every
#      single change ranked, five returned): what-ifs a second, the same figures;
#   2. RUNS runs with 20 reloads each (SIGHUP, the file switching between model A, the
#      default model, and model B, the same with another intercept): every answer is read
#      and must be 200 and carry A's estimate or B's, as engrate-estimate gives them;
#   3. memory: the server's RSS after the runs above and after about MEMORY_REQUESTS more
#      requests (wrk runs for a time: the time MEMORY_REQUESTS take at the median rate).
# The server runs as shipped: --threads 2, an access log (to a file here). wrk runs on
# the same machine, so on a 2-core machine the two share the cores.
# Environment: top_builddir, srcdir (make sets them), BENCH_RUNS (3), BENCH_SECONDS (10),
# BENCH_MEMORY_REQUESTS (1000000), BENCH_THREADS (2).
set -eu
top=${top_builddir:-.}
src=${srcdir:-.}
runs=${BENCH_RUNS:-3}
secs=${BENCH_SECONDS:-10}
memreq=${BENCH_MEMORY_REQUESTS:-1000000}
threads=${BENCH_THREADS:-2}
server="$top/examples/serve/engrate-serve"
estimator="$top/examples/engrate-estimate"
lua="$src/examples/serve/bench-serve.lua"
command -v wrk >/dev/null || { echo "bench-serve: wrk is not installed (apt-get install wrk)"; exit 1; }

tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

# Model B: model A's text with 0.1 added to the intercept (every estimate x e^0.1).
cp "$top/models/jp-freelance.model" "$tmp/a.model"
awk '/^intercept = / { printf "intercept = %.17g\n", $3 + 0.1; next } { print }' \
    "$tmp/a.model" >"$tmp/b.model"
profile="--role pmo --skill java,aws,python --cert pmp --years 8"
# shellcheck disable=SC2086
est_a=$("$estimator" -m "$tmp/a.model" $profile --json | sed 's/.*"estimate": \([^,]*\),.*/\1/')
# shellcheck disable=SC2086
est_b=$("$estimator" -m "$tmp/b.model" $profile --json | sed 's/.*"estimate": \([^,]*\),.*/\1/')
cp "$tmp/a.model" "$tmp/served.model"

"$server" --listen 127.0.0.1:0 --model "$tmp/served.model" --threads "$threads" \
    --www "$src/examples/serve/www" --access-log "$tmp/access.log" 2>"$tmp/server.err" &
pid=$!
port=
for _ in $(seq 1 500); do
    port=$(sed -n 's/.*at http:\/\/127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$tmp/server.err")
    [ -n "$port" ] && break
    sleep 0.02
done
[ -n "$port" ] || { cat "$tmp/server.err"; exit 1; }
url="http://127.0.0.1:$port/api/v1/estimate"
whatif_url="http://127.0.0.1:$port/api/v1/whatif"

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "engrate-serve benchmark: wrk -t1 -c32 -d${secs}s -s bench-serve.lua against"
echo "  POST $url (and POST $whatif_url with \"top\": 5)"
echo "  server: engrate-serve --threads $threads, model jp-freelance, access log to a file"
echo "  profile: $profile (estimate A $est_a, B $est_b)"
wrk -t1 -c32 -d3s -s "$lua" "$url" -- - - >/dev/null # warm-up

# CPU seconds: the server's (from /proc), and this shell's children's (wrk's), as `times`
# prints them ("1m2.5s" or "1m2.500000s").
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($14 + $15) / hz }' "/proc/$pid/stat"; }
# `times` must run in this shell, not in a $(...) subshell, to see wrk.
child_cpu() { awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] } printf "%.3f\n", t }' "$1"; }

# RUNS runs of wrk against $1 into the file $2, a table with medians; $3 names what a
# request does ("estimate", "what-if"); $4 is 1 for the what-if body (bench-serve.lua).
runs_of() {
    echo
    printf 'run  %11s  p50 ms  p99 ms  errors  %22s  wrk CPU us/request\n' "$3s/s" \
        "server CPU us/$3"
    : >"$2"
    for r in $(seq 1 "$runs"); do
        s0=$(server_cpu); times >"$tmp/times0"
        BENCH_WHATIF=$4 wrk -t1 -c32 -d"${secs}s" -s "$lua" "$1" -- - - >"$tmp/wrk.out"
        s1=$(server_cpu); times >"$tmp/times1"
        line=$(grep '^RESULT' "$tmp/wrk.out")
        c0=$(child_cpu "$tmp/times0"); c1=$(child_cpu "$tmp/times1")
        n=$(echo "$line" | field requests)
        su=$(awk -v a="$s0" -v b="$s1" -v n="$n" 'BEGIN { printf "%.1f", (b - a) * 1e6 / n }')
        wu=$(awk -v a="$c0" -v b="$c1" -v n="$n" 'BEGIN { printf "%.1f", (b - a) * 1e6 / n }')
        echo "$line server_us=$su wrk_us=$wu" >>"$2"
        printf '%-4s %11s  %6s  %6s  %6s  %22s  %18s\n' "$r" "$(echo "$line" | field per_second)" \
            "$(echo "$line" | field p50_ms)" "$(echo "$line" | field p99_ms)" \
            "$(echo "$line" | field errors)" "$su" "$wu"
    done
    su=$(field server_us <"$2" | median)
    wu=$(field wrk_us <"$2" | median)
    printf 'median %9s  %6s  %6s  %6s  %22s  %18s\n' "$(field per_second <"$2" | median)" \
        "$(field p50_ms <"$2" | median)" "$(field p99_ms <"$2" | median)" \
        "$(field errors <"$2" | median)" "$su" "$wu"
    # What the CPU times allow when nothing else runs: both cores busy with the server and
    # wrk only. An upper bound, not a measurement; the load average says how busy it was.
    awk -v s="$su" -v w="$wu" -v what="$3" 'BEGIN { if (s + w > 0) printf "CPU bound: two idle cores would do at most %.0f %ss/s at these costs\n", 2e6 / (s + w), what }'
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    # A run with errors fails the benchmark: the figures would not be of answers.
    if awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "errors" && kv[2] != 0) bad = 1 } } END { exit !bad }' "$2"; then
        echo "FAILED: errors in the $3 runs"
        exit 1
    fi
}
runs_of "$url" "$tmp/plain" estimate 0
BENCH_WHATIF=1 wrk -t1 -c32 -d2s -s "$lua" "$whatif_url" -- - - >/dev/null # warm-up
runs_of "$whatif_url" "$tmp/whatif" what-if 1

echo
echo "with 20 reloads a run (SIGHUP; the file alternates B, A, B, ...); every answer read"
echo "run  estimates/s  p50 ms  p99 ms  errors  reloads  answers  from A  from B  other"
: >"$tmp/reload"
: >"$tmp/reloads"
for r in $(seq 1 "$runs"); do
    before=$(curl -s "http://127.0.0.1:$port/healthz" | sed 's/.*"ok":\([0-9]*\).*/\1/')
    BENCH_CHECK=1 wrk -t1 -c32 -d"${secs}s" -s "$lua" "$url" -- "$est_a" "$est_b" >"$tmp/wrk.out" &
    wrk_pid=$!
    for k in $(seq 1 20); do
        sleep "$(awk -v s="$secs" 'BEGIN { print s / 22 }')"
        if [ $((k % 2)) -eq 1 ]; then src_model=b; else src_model=a; fi
        cp "$tmp/$src_model.model" "$tmp/next.model" && mv "$tmp/next.model" "$tmp/served.model"
        kill -HUP "$pid"
    done
    wait "$wrk_pid"
    line=$(grep '^RESULT' "$tmp/wrk.out")
    echo "$line" >>"$tmp/reload"
    after=$(curl -s "http://127.0.0.1:$port/healthz" | sed 's/.*"ok":\([0-9]*\).*/\1/')
    echo $((after - before)) >>"$tmp/reloads"
    printf '%-4s %11s  %6s  %6s  %6s  %7s  %7s  %6s  %6s  %5s\n' "$r" \
        "$(echo "$line" | field per_second)" "$(echo "$line" | field p50_ms)" \
        "$(echo "$line" | field p99_ms)" "$(echo "$line" | field errors)" \
        "$((after - before))" "$(echo "$line" | field checked)" \
        "$(echo "$line" | field from_a)" "$(echo "$line" | field from_b)" \
        "$(echo "$line" | field other)"
done
printf 'median %9s  %6s  %6s  %6s\n' "$(field per_second <"$tmp/reload" | median)" \
    "$(field p50_ms <"$tmp/reload" | median)" "$(field p99_ms <"$tmp/reload" | median)" \
    "$(field errors <"$tmp/reload" | median)"
# Every answer read, each A's or B's, no error, 20 reloads a run: or the benchmark fails.
bad=$(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            if (v["checked"] != v["requests"] || v["other"] != 0 || v["errors"] != 0) n++ }
          END { print n + 0 }' "$tmp/reload")
if [ "$bad" -ne 0 ] || [ "$(grep -c . "$tmp/reloads")" -ne "$runs" ] ||
    grep -qv '^20$' "$tmp/reloads"; then
    echo "FAILED: $bad runs with answers unread, not A's or B's, or errors; reloads: $(tr '\n' ' ' <"$tmp/reloads")"
    exit 1
fi
echo "every answer of every run was A's or B's, and each run had 20 reloads"

echo
# wrk runs for a time, not a count: long enough for MEMORY_REQUESTS at the median rate
# measured above, plus a tenth.
rate=$(field per_second <"$tmp/plain" | median)
memsecs=$(awk -v n="$memreq" -v r="$rate" 'BEGIN { s = int(n / (r > 0 ? r : 1) * 1.1) + 1; print (s > 900 ? 900 : s) }')
warm=$(rss)
line=$(wrk -t1 -c32 -d"${memsecs}s" -s "$lua" "$url" -- - - | grep '^RESULT')
sleep 1
after=$(rss)
echo "memory: RSS $warm kB after the runs above, $after kB after $(echo "$line" | field requests)" \
    "more requests in ${memsecs} s ($((after - warm)) kB change; errors $(echo "$line" | field errors))"
grep -c '' "$tmp/access.log" | awk '{ printf "access log: %d lines\n", $1 }'
