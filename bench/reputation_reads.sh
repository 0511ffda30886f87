#!/usr/bin/env bash
# Reputation reads under load: explain, the leaderboard and a user's reputation, with wrk, on the
# database bench/reputation.sh generated and recomputed ($OUT/plusk.db), for this build and
# optionally an older one side by side in the same run.
#
#   USERS=100000 EDGES=1000000 TOPICS=10 NX=0 bench/reputation.sh   # first: a 1M-endorsement database
#   bench/reputation_reads.sh
#   BASELINE_BIN=/path/to/older/plusk bench/reputation_reads.sh
#   DELAY_MS=15 bench/reputation_reads.sh    # paced: each connection waits 15 ms between requests
#
# Each build serves a copy of the database (the worker's first pass is held back an hour, so
# nothing recomputes during the runs). Per build: explain of the largest topic's top user
# (one request, its time and size), then 16 connections for DURATION seconds each on: explain
# of the top user, explain of random scored users of that topic, a leaderboard page of 50, and
# a random user's reputation. Prints requests/s, p50/p99 and the server's CPU time per request
# per run. With DELAY_MS, each
# connection waits that long after each answer, so 16 connections and 15 ms offer a little under
# 1,000 requests a second (wrk, not wrk2: the wait follows the answer, so a slow answer delays
# the next request rather than counting against it; the p99 shown is of the answers).
# Needs wrk and sqlite3 (installed from Debian's packages if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT="${OUT:-target/bench-reputation}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-16}"
DELAY_MS="${DELAY_MS:-0}"
PORT="${PLUSK_BENCH_PORT:-18790}"
BASE="http://127.0.0.1:$PORT"
OUT="$(cd "$OUT" && pwd)"
[ -f "$OUT/plusk.db" ] || { echo "no $OUT/plusk.db: run bench/reputation.sh first" >&2; exit 1; }
for tool in wrk sqlite3; do
    command -v "$tool" >/dev/null || apt-get install -y "$tool" >/dev/null
done
cargo build --release --locked --quiet
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
# A process's CPU time so far, in clock ticks (utime + stime from /proc).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# The largest topic, its top user, and 1,000 of its scored users for the random runs.
TOPIC="$(sqlite3 "$OUT/plusk.db" "SELECT t.slug FROM reputation_runs r JOIN topics t ON t.id = r.topic_id
    WHERE r.is_current ORDER BY r.endorsements DESC LIMIT 1")"
TOP="$(sqlite3 "$OUT/plusk.db" "SELECT handle FROM current_scores WHERE topic = '$TOPIC' ORDER BY rank LIMIT 1")"
sqlite3 "$OUT/plusk.db" "SELECT handle FROM current_scores WHERE topic = '$TOPIC'
    ORDER BY random() LIMIT 1000" >"$WORK/users"

cat >"$WORK/reads.lua" <<'EOF'
-- One of the read paths, chosen by PLUSK_READ: explain-top, explain-random, leaderboard, user.
local users = {}
function init(args)
   for line in io.lines(os.getenv("PLUSK_USERS")) do users[#users + 1] = line end
   wrk.headers["Authorization"] = "Bearer " .. os.getenv("PLUSK_KEY")
   kind, topic, top = os.getenv("PLUSK_READ"), os.getenv("PLUSK_TOPIC"), os.getenv("PLUSK_TOP")
   delay_ms = tonumber(os.getenv("PLUSK_DELAY_MS") or "0")
end
function delay()
   return delay_ms
end
function request()
   local who = users[math.random(#users)]
   if kind == "explain-top" then
      return wrk.format("GET", "/v1/users/" .. top .. "/reputation/" .. topic .. "/explain")
   elseif kind == "explain-random" then
      return wrk.format("GET", "/v1/users/" .. who .. "/reputation/" .. topic .. "/explain")
   elseif kind == "leaderboard" then
      return wrk.format("GET", "/v1/topics/" .. topic .. "/leaderboard?limit=50")
   end
   return wrk.format("GET", "/v1/users/" .. who .. "/reputation")
end
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("RESULT %.0f %.2f %.2f %d\n", summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      e.connect + e.read + e.write + e.status + e.timeout))
end
EOF

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $(date -u '+%F %H:%M UTC')"
echo "database: $OUT/plusk.db ($(sqlite3 "$OUT/plusk.db" 'SELECT count(*) FROM endorsements') endorsements); topic $TOPIC, top user $TOP"
echo "load: wrk -t1 -c$CONNECTIONS -d${DURATION}s per row, ${DELAY_MS} ms between requests per connection"
echo
echo "| build | read | requests/s | p50 ms | p99 ms | errors | server CPU ms per request |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
BUILDS=("this:$PWD/target/release/plusk")
[ -n "${BASELINE_BIN:-}" ] && BUILDS+=("baseline:$BASELINE_BIN")
for build in "${BUILDS[@]}"; do
    name="${build%%:*}" bin="${build#*:}"
    # The baseline serves the database bench/reputation.sh made with its own schema
    # (BASELINE_BIN given there too), if there is one: the two builds' schemas may differ.
    db="$OUT/plusk.db"
    [ "$name" = baseline ] && [ -f "$OUT/baseline.db" ] && db="$OUT/baseline.db"
    cp "$db" "$WORK/reads.db"
    KEY="$(DATABASE_URL="sqlite://$WORK/reads.db" "$bin" keys create --name "reads-$name" --role analyst | tail -n1)"
    DATABASE_URL="sqlite://$WORK/reads.db" RUST_LOG=warn PLUSK_REPUTATION_DEBOUNCE_SECS=3600 \
        PLUSK_RATE_READ_PER_SEC=0 "$bin" --no-migrate serve --bind "127.0.0.1:$PORT" >/dev/null 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 600); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.1; done
    one="$(curl -s -o "$WORK/explain.json" -w '%{time_total} %{size_download}' -H "Authorization: Bearer $KEY" \
        "$BASE/v1/users/$TOP/reputation/$TOPIC/explain")"
    echo "| $name | one explain of the top user (s, bytes) | ${one// / | } | | |"
    for read in explain-top explain-random leaderboard user; do
        before="$(cpu_ticks "$SERVER_PID")"
        r="$(PLUSK_USERS="$WORK/users" PLUSK_KEY="$KEY" PLUSK_READ="$read" PLUSK_DELAY_MS="$DELAY_MS" PLUSK_TOPIC="$TOPIC" PLUSK_TOP="$TOP" \
            wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/reads.lua" "$BASE" | awk '/^RESULT/ { print $2, $3, $4, $5 }')"
        ticks=$(($(cpu_ticks "$SERVER_PID") - before))
        # The server's CPU time over the run (user + system), per request answered.
        cpu="$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v rps="${r%% *}" -v d="$DURATION" \
            'BEGIN { printf "%.3f", (rps > 0 ? 1000 * t / hz / (rps * d) : 0) }')"
        echo "| $name | $read | ${r// / | } | $cpu |"
    done
    kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
done
