-- bench-serve.lua: wrk's script for `make bench-serve` (examples/serve/bench-serve.sh).
-- Every request is POST /api/v1/estimate with one profile, or with BENCH_WHATIF=1 in the
-- environment POST /api/v1/whatif with the same profile and "top": 5 (the URL given to wrk
-- says which route). Arguments (after --):
--   A B    the estimates the two model files give for that profile: with BENCH_CHECK=1
--          in the environment every answer is read and must be 200 and carry one of them
-- done() prints one line of key=value pairs that bench-serve.sh reads.
wrk.method = "POST"
wrk.body = '{"role":"pmo","skills":["java","aws","python"],"certs":["pmp"],"years":8' ..
   (os.getenv("BENCH_WHATIF") == "1" and ',"top":5}' or '}')
wrk.headers["Content-Type"] = "application/json"

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   want_a = tonumber(args[1] or "-")
   want_b = tonumber(args[2] or "-")
   answers, from_a, from_b, other, non200 = 0, 0, 0, 0, 0
end

-- wrk reads answers only when the script defines response(), and it decides that once,
-- for every run, so the function exists only when the answers are to be checked
-- (BENCH_CHECK=1): reading them costs wrk CPU that the fastest runs leave to the server.
if os.getenv("BENCH_CHECK") == "1" then
   function response(status, headers, body)
      answers = answers + 1
      if status ~= 200 then
         non200 = non200 + 1
      elseif want_a then
         local e = tonumber(string.match(body, '"estimate":([-+%d.eE]+)'))
         if e == want_a then
            from_a = from_a + 1
         elseif e == want_b then
            from_b = from_b + 1
         else
            other = other + 1
         end
      end
   end
end

function done(summary, latency, requests)
   local checked, a, b, o, n2 = 0, 0, 0, 0, 0
   for _, t in ipairs(threads) do
      checked = checked + (t:get("answers") or 0)
      a = a + (t:get("from_a") or 0)
      b = b + (t:get("from_b") or 0)
      o = o + (t:get("other") or 0)
      n2 = n2 + (t:get("non200") or 0)
   end
   local e = summary.errors
   local errors = e.connect + e.read + e.write + e.timeout + e.status
   io.write(string.format(
      "RESULT requests=%d seconds=%.3f per_second=%.0f p50_ms=%.3f p99_ms=%.3f " ..
      "errors=%d checked=%d from_a=%d from_b=%d other=%d non200=%d\n",
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors, checked, a, b, o,
      n2))
end
