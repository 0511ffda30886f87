-- wrk script for bench/write_path.sh: every request is a new endorsement (a fresh endorser
-- each time), so the benchmark measures recording, not duplicate rejections. Endorsees cycle
-- over PLUSK_BENCH_ENDORSEES handles: a million by default (no user receives a burst, so the
-- detectors run on every request without flagging it), 997 for the crowded workload (every
-- endorsee busy, so the burst detector flags and holds, as it would a real pile-on).
local threads = {}
local counter = 0

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

function init(args)
   run = os.getenv("PLUSK_BENCH_RUN") or "run"
   delay_ms = tonumber(os.getenv("PLUSK_BENCH_DELAY_MS") or "0")
   endorsees = tonumber(os.getenv("PLUSK_BENCH_ENDORSEES") or "1000000")
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Authorization"] = "Bearer " .. os.getenv("PLUSK_BENCH_KEY")
end

function request()
   counter = counter + 1
   local body = string.format(
      '{"endorser":"%s-%d-%d","endorsee":"member-%d","topic":"bench"}',
      run, tid, counter, counter % endorsees)
   return wrk.format(nil, "/v1/endorsements", nil, body)
end

function delay()
   return delay_ms
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "RESULT requests=%d duration_us=%d errors=%d p50_us=%d p99_us=%d\n",
      summary.requests, summary.duration,
      e.connect + e.read + e.write + e.status + e.timeout,
      latency:percentile(50), latency:percentile(99)))
end
