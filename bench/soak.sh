#!/usr/bin/env bash
# Soak: plusk on PostgreSQL under mixed traffic (bench/soak.lua: endorsements, reads, classify,
# solicitations, the moderation queue, leaderboards, reputations) at half its measured maximum
# throughput, minute by minute, watching what must stay flat.
#
#   bench/soak.sh                 # 10 minutes
#   MINUTES=2 bench/soak.sh       # a short run
#
# Knobs: MINUTES (10), CONNECTIONS (32), PLUSK_BENCH_POSTGRES (postgres://postgres@127.0.0.1:5432;
# a database plusk_soak is dropped and created), PLUSK_SOAK_PORT (18778).
#
# What it does: builds the release binary; starts plusk with the daily budget and request rate
# limits off; creates an app, a moderator and an analyst key; measures the maximum throughput of
# the mix for 20 s; then runs MINUTES one-minute wrk runs, each connection pausing so that
# together they offer half that maximum. After each minute it samples plusk's resident memory,
# open files and PostgreSQL connections. It fails (exit 1) if the p99 latency of any minute is
# more than twice the first minute's, resident memory grows more than 25% over the first
# minute's, open files or database connections grow past the first minute's plus a small slack,
# or any request fails (a connection error or a 5xx).
set -euo pipefail
cd "$(dirname "$0")/.."

MINUTES="${MINUTES:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
PG_BASE="${PLUSK_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
PORT="${PLUSK_SOAK_PORT:-18778}"
BASE="http://127.0.0.1:$PORT"
DB=plusk_soak

command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
cargo build --release --locked --quiet
BIN="$PWD/target/release/plusk"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
export DATABASE_URL="$PG_BASE/$DB"
PLUSK_DAILY_BUDGET=0 PLUSK_REPORTS_PER_KEY_PER_DAY=0 PLUSK_RATE_WRITE_PER_SEC=0 PLUSK_RATE_READ_PER_SEC=0 RUST_LOG=warn \
    "$BIN" serve --bind "127.0.0.1:$PORT" >"$WORK/stdout" 2>"$WORK/stderr" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -sf "$BASE/healthz" >/dev/null && break
    sleep 0.1
done
ADMIN_KEY="$(head -n1 "$WORK/stdout")"
key() { # ROLE
    curl -sf -X POST "$BASE/v1/keys" -H "Authorization: Bearer $ADMIN_KEY" \
        -H 'Content-Type: application/json' -d "{\"name\":\"soak-$1\",\"role\":\"$1\"}" |
        sed 's/.*"key":"\([^"]*\)".*/\1/'
}
export PLUSK_SOAK_APP_KEY PLUSK_SOAK_MODERATOR_KEY PLUSK_SOAK_ANALYST_KEY
PLUSK_SOAK_APP_KEY="$(key app)"
PLUSK_SOAK_MODERATOR_KEY="$(key moderator)"
PLUSK_SOAK_ANALYST_KEY="$(key analyst)"

load() { # RUN SECONDS DELAY_MS -> "rate p50_ms p99_ms errors non2xx"
    PLUSK_SOAK_RUN="$1" PLUSK_SOAK_DELAY_MS="$3" \
        wrk -t1 -c"$CONNECTIONS" -d"${2}s" --latency -s bench/soak.lua "$BASE" | grep '^RESULT' |
        awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
               printf "%.0f %.2f %.2f %d %d\n", v["requests"] / (v["duration_us"] / 1e6),
                      v["p50_us"] / 1000, v["p99_us"] / 1000, v["errors"], v["non2xx"] }'
}
sample() { # -> "rss_mb fds pg_connections"
    local rss fds conns
    rss="$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status")"
    fds="$(ls "/proc/$SERVER_PID/fd" | wc -l)"
    conns="$(psql "$PG_BASE/postgres" -Atc "SELECT count(*) FROM pg_stat_activity WHERE datname = '$DB'")"
    echo "$rss $fds $conns"
}

echo "== soak: $MINUTES min on PostgreSQL, $CONNECTIONS connections; $(nproc) cores," \
     "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(date -u '+%Y-%m-%d %H:%M UTC')"
load warmup 5 0 >/dev/null
read -r MAX P50 _ _ _ <<<"$(load max 20 0)"
# Pacing: each connection waits DELAY_MS between requests. Start from the period that would
# give half the maximum if requests took no time, then correct it twice from 10 s runs.
TARGET=$((MAX / 2))
DELAY_MS="$(awk -v t="$TARGET" -v c="$CONNECTIONS" 'BEGIN { printf "%d", 1000 * c / t }')"
for _ in 1 2; do
    read -r RATE _ _ _ _ <<<"$(load calibrate 10 "$DELAY_MS")"
    DELAY_MS="$(awk -v d="$DELAY_MS" -v t="$TARGET" -v r="$RATE" -v c="$CONNECTIONS" \
        'BEGIN { d += 1000 * c / t - 1000 * c / r; printf "%d", (d < 1 ? 1 : d) }')"
done
echo "maximum: $MAX requests/s (p50 $P50 ms); soak target $TARGET/s: each connection waits ${DELAY_MS} ms between requests"
printf '%6s %9s %8s %8s %7s %7s %7s %6s %6s\n' minute "req/s" "p50 ms" "p99 ms" errors 5xx "RSS MB" files "pg conns"
fail=0
for m in $(seq 1 "$MINUTES"); do
    read -r rate p50 p99 errors non2xx <<<"$(load "m$m" 60 "$DELAY_MS")"
    read -r rss fds conns <<<"$(sample)"
    printf '%6d %9s %8s %8s %7s %7s %7s %6s %6s\n' "$m" "$rate" "$p50" "$p99" "$errors" "$non2xx" "$rss" "$fds" "$conns"
    if [ "$m" = 1 ]; then
        P99_1="$p99" RSS_1="$rss" FDS_1="$fds" CONNS_1="$conns"
    fi
    awk -v a="$p99" -v b="$P99_1" 'BEGIN { exit !(a > 2 * b) }' && { echo "  p99 more than twice the first minute's"; fail=1; }
    awk -v a="$rss" -v b="$RSS_1" 'BEGIN { exit !(a > 1.25 * b) }' && { echo "  resident memory grew more than 25%"; fail=1; }
    [ "$fds" -gt $((FDS_1 + 8)) ] && { echo "  open files grew"; fail=1; }
    [ "$conns" -gt $((CONNS_1 + 2)) ] && { echo "  database connections grew"; fail=1; }
    [ "$errors" -gt 0 ] || [ "$non2xx" -gt 0 ] && { echo "  requests failed"; fail=1; }
done
curl -sf "$BASE/v1/ledger/verify" -H "Authorization: Bearer $ADMIN_KEY" | grep -q '"ok":true' ||
    { echo "ledger verify failed"; fail=1; }
grep -E ' (ERROR|WARN) ' "$WORK/stderr" | head -5 || true
if [ "$fail" = 0 ]; then echo "soak: ok"; else echo "soak: FAILED"; fi
exit "$fail"
