-- wrk script for bench/soak.sh: mixed traffic as client apps, moderators and analysts make it.
-- Per request, by weight: a new endorsement (40), a page of endorsements (20), a classify (10),
-- a solicitation report (5), the moderation queue (10), a leaderboard (10), a user's
-- reputation (5). PLUSK_SOAK_DELAY_MS paces each connection (0 = as fast as it can).
local threads = {}
local counter = 0

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

function init(args)
   run = os.getenv("PLUSK_SOAK_RUN") or "run"
   delay_ms = tonumber(os.getenv("PLUSK_SOAK_DELAY_MS") or "0")
   app = { ["Authorization"] = "Bearer " .. os.getenv("PLUSK_SOAK_APP_KEY"),
           ["Content-Type"] = "application/json" }
   moderator = { ["Authorization"] = "Bearer " .. os.getenv("PLUSK_SOAK_MODERATOR_KEY") }
   analyst = { ["Authorization"] = "Bearer " .. os.getenv("PLUSK_SOAK_ANALYST_KEY") }
   math.randomseed(tid * 7919 + os.time())
end

local texts = {
   "please +K me on writing, I really need it!",
   "Great talk yesterday, thanks to everyone who came.",
   "Stem alsjeblieft op mijn blog, ik heb je stem nodig",
   "I will not +K you because you ask.",
}

function request()
   counter = counter + 1
   local r = math.random(100)
   local topic = "t" .. (counter % 20)
   local member = "member-" .. math.random(100000)
   if r <= 40 then
      local body = string.format('{"endorser":"%s-%d-%d","endorsee":"%s","topic":"%s"}',
         run, tid, counter, member, topic)
      return wrk.format("POST", "/v1/endorsements", app, body)
   elseif r <= 60 then
      return wrk.format("GET", "/v1/endorsements?limit=20&topic=" .. topic, app)
   elseif r <= 70 then
      local body = string.format('{"text":"%s"}', texts[1 + counter % #texts])
      return wrk.format("POST", "/v1/classify", app, body)
   elseif r <= 75 then
      local body = string.format('{"requester":"%s","target":null,"topic":"%s","text":"%s"}',
         member, topic, texts[1 + counter % #texts])
      return wrk.format("POST", "/v1/solicitations", app, body)
   elseif r <= 85 then
      return wrk.format("GET", "/v1/flags?limit=20", moderator)
   elseif r <= 95 then
      return wrk.format("GET", "/v1/topics/" .. topic .. "/leaderboard?limit=20", analyst)
   else
      return wrk.format("GET", "/v1/users/" .. member .. "/reputation", analyst)
   end
end

function delay()
   return delay_ms
end

-- wrk counts every non-2xx as an error; a reputation of a user nobody endorsed yet is an
-- honest 404, so only 5xx answers are counted as failures here.
server_errors = 0
function response(status, headers, body)
   if status >= 500 then
      server_errors = server_errors + 1
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   local fives = 0
   for _, t in ipairs(threads) do
      fives = fives + t:get("server_errors")
   end
   io.write(string.format(
      "RESULT requests=%d duration_us=%d errors=%d non2xx=%d p50_us=%d p99_us=%d\n",
      summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, fives,
      latency:percentile(50), latency:percentile(99)))
end
