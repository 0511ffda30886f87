#!/usr/bin/env bash
# Write-path benchmark: POST /v1/endorsements at full speed and at half speed, on SQLite and
# on PostgreSQL, with PostgreSQL's own pgbench (tpcb-like) on the same server and client count.
#
#   bench/write_path.sh                 # defaults: 32 connections, 15 s per run
#   CONNECTIONS=32 DURATION=30 bench/write_path.sh
#
# Needs: cargo, a local PostgreSQL (PLUSK_BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432),
# wrk (installed from Debian's packages if missing) and pgbench (ships with PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-15}"
CONNECTIONS="${CONNECTIONS:-32}"
PG_BASE="${PLUSK_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
PORT="${PLUSK_BENCH_PORT:-18777}"
BASE="http://127.0.0.1:$PORT"

if ! command -v wrk >/dev/null; then
    echo "installing wrk" >&2
    apt-get install -y wrk >/dev/null
fi
cargo build --release --locked --quiet
BIN="$PWD/target/release/plusk"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

# start_server DATABASE_URL: starts plusk (daily budget lifted) and sets ADMIN_KEY.
start_server() {
    PLUSK_DAILY_BUDGET=0 RUST_LOG=warn DATABASE_URL="$1" "$BIN" serve --bind "127.0.0.1:$PORT" \
        >"$WORK/stdout" 2>"$WORK/stderr" &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        curl -sf "$BASE/healthz" >/dev/null && break
        sleep 0.1
    done
    ADMIN_KEY="$(head -n1 "$WORK/stdout")"
}

stop_server() {
    kill "$SERVER_PID" && wait "$SERVER_PID" || true
    SERVER_PID=""
}

api() { # METHOD PATH BODY
    curl -sf -X "$1" "$BASE$2" -H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json' -d "$3"
}

# load NAME DURATION [DELAY_MS]: one wrk run; prints "rps p50_ms p99_ms errors".
load() {
    local out
    out="$(PLUSK_BENCH_KEY="$BENCH_KEY" PLUSK_BENCH_RUN="$1" PLUSK_BENCH_DELAY_MS="${3:-0}" \
        wrk -t1 -c"$CONNECTIONS" -d"${2}s" --latency -s bench/write_path.lua "$BASE" | grep '^RESULT')"
    awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
           printf "%.0f %.2f %.2f %d\n", v["requests"] / (v["duration_us"] / 1e6), v["p50_us"] / 1000, v["p99_us"] / 1000, v["errors"] }' <<<"$out"
}

# bench BACKEND DATABASE_URL: prints one markdown row per measurement.
bench() {
    local backend="$1" url="$2"
    start_server "$url"
    BENCH_KEY="$(api POST /v1/keys '{"name":"bench","role":"app"}' | sed 's/.*"key":"\([^"]*\)".*/\1/')"
    load "$backend-warmup" 3 >/dev/null
    # Limits off (the key is unlimited) and on (a quota so high it never denies, so every
    # request pays for the limiter check), in the order off, on, on, off: the database grows
    # with every run and gets slower, and this order puts that drift on both sides equally.
    # Right after the first run, the half-load run, on a database of about the same size.
    local off=() on=() half="" delay_ms=""
    local order=(off on on off)
    for i in "${!order[@]}"; do
        if [ "${order[$i]}" = off ]; then
            api PATCH /v1/keys/bench '{"rate_per_sec":0}' >/dev/null
            off+=("$(load "$backend-off$i" "$DURATION")")
        else
            api PATCH /v1/keys/bench '{"rate_per_sec":1000000,"burst":1000000}' >/dev/null
            on+=("$(load "$backend-on$i" "$DURATION")")
        fi
        if [ -z "$half" ]; then
            # Half the first run's rate: each connection waits so that together they offer max/2.
            delay_ms="$(awk -v c="$CONNECTIONS" -v m="${off[0]%% *}" 'BEGIN { d = int(c * 1000 / (m / 2)); print (d < 1 ? 1 : d) }')"
            api PATCH /v1/keys/bench '{"rate_per_sec":0}' >/dev/null
            half="$(load "$backend-half" "$DURATION" "$delay_ms")"
        fi
    done
    local max_rps
    max_rps="$(printf '%s\n' "${off[@]}" "${on[@]}" | awk '{ if ($1 > m) m = $1 } END { print m }')"
    for r in "${off[@]}"; do echo "| $backend | limits off | $CONNECTIONS | ${r// / | } |"; done
    for r in "${on[@]}"; do echo "| $backend | limits on | $CONNECTIONS | ${r// / | } |"; done
    echo "| $backend | half load (${delay_ms} ms between requests per connection) | $CONNECTIONS | ${half// / | } |"
    local mean_off mean_on
    mean_off="$(printf '%s\n' "${off[@]}" | awk '{ s += $1 } END { print s / NR }')"
    mean_on="$(printf '%s\n' "${on[@]}" | awk '{ s += $1 } END { print s / NR }')"
    echo "RATIO $backend limiter_cost=$(awk -v a="$mean_off" -v b="$mean_on" 'BEGIN { printf "%.1f%%", (a - b) / a * 100 }') max_rps=$max_rps" >>"$WORK/ratios"
    LAST_MAX="$max_rps"
    stop_server
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2 }'); $(date -u +%F)"
echo "load: wrk -t1 -c$CONNECTIONS -d${DURATION}s, each request a new endorsement"
echo
echo "| backend | run | connections | endorsements/s | p50 ms | p99 ms | errors |"
echo "| --- | --- | --- | --- | --- | --- | --- |"

BACKENDS="${BACKENDS:-sqlite postgres}"
SQLITE_MAX=0 PG_MAX=0
if [[ " $BACKENDS " == *" sqlite "* ]]; then
    bench sqlite "sqlite://$WORK/bench.db"
    SQLITE_MAX="$LAST_MAX"
fi
if [[ " $BACKENDS " == *" postgres "* ]]; then

DB=plusk_bench
psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null 2>&1
bench postgres "$PG_BASE/$DB"
PG_MAX="$LAST_MAX"
psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null

PGB=plusk_pgbench
psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS $PGB WITH (FORCE)" -c "CREATE DATABASE $PGB" >/dev/null 2>&1
pgbench -q -i -s 10 "$PG_BASE/$PGB" >/dev/null 2>&1
PGBENCH_TPS="$(pgbench -n -b tpcb-like -c "$CONNECTIONS" -j 2 -T "$DURATION" "$PG_BASE/$PGB" 2>/dev/null \
    | awk '/^tps/ { print int($3); exit }')"
psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS $PGB WITH (FORCE)" >/dev/null
echo "| postgres | pgbench -b tpcb-like -c $CONNECTIONS -j 2 (scale 10) | $CONNECTIONS | $PGBENCH_TPS tps | | | |"
fi
echo
cat "$WORK/ratios"
echo "RATIO sqlite max_rps=$SQLITE_MAX target=5000"
[ "$PG_MAX" != 0 ] && echo "RATIO postgres_vs_pgbench=$(awk -v a="$PG_MAX" -v b="$PGBENCH_TPS" 'BEGIN { printf "%.2f", a / b }') (target >= 0.70)"
