-- wrk script for bench/write_path.sh: every request is a new endorsement (a fresh endorser
-- each time), so the benchmark measures recording, not duplicate rejections. Endorsees repeat
-- only every million requests, so no user receives a burst: the begging detectors run on
-- every request, as they would on ordinary traffic, without flagging it.
local threads = {}
local counter = 0

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

function init(args)
   run = os.getenv("PLUSK_BENCH_RUN") or "run"
   delay_ms = tonumber(os.getenv("PLUSK_BENCH_DELAY_MS") or "0")
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Authorization"] = "Bearer " .. os.getenv("PLUSK_BENCH_KEY")
end

function request()
   counter = counter + 1
   local body = string.format(
      '{"endorser":"%s-%d-%d","endorsee":"member-%d","topic":"bench"}',
      run, tid, counter, counter % 1000000)
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
