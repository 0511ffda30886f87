#!/usr/bin/env bash
# Write-path benchmark: POST /v1/endorsements on SQLite and on PostgreSQL, each on a fresh
# database: two workloads at full speed (a new endorsee for nearly every request, and endorsees
# cycling over 997 handles in one topic), the first again at half its rate (latency), and the
# same with the detectors off (PLUSK_DETECTION=off) for the A/B; then PostgreSQL's own pgbench
# (tpcb-like, scale 10) on the same server and client count. Daily budget lifted, key unlimited.
#
#   bench/write_path.sh                               # 32 connections, 15 s per run
#   CONNECTIONS=32 DURATION=30 BACKENDS=sqlite bench/write_path.sh
#   BASELINE_BIN=/path/to/older/plusk bench/write_path.sh   # an older build beside this one
#   ROUNDS=3 BACKENDS=sqlite bench/write_path.sh       # the whole sequence three times over,
#                                                     # a ratio per round (runs of one build
#                                                     # vary by about ±10% on a shared machine)
#
# Needs: cargo, a local PostgreSQL (PLUSK_BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432),
# wrk (installed from Debian's packages if missing) and pgbench (ships with PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/machine.sh
warn_if_nice_is_ignored

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

# start_server DATABASE_URL [DETECTION]: starts plusk (daily budget lifted) and sets ADMIN_KEY.
start_server() {
    PLUSK_DETECTION="${2:-on}" PLUSK_DAILY_BUDGET=0 RUST_LOG=warn DATABASE_URL="$1" "$BIN" serve --bind "127.0.0.1:$PORT" \
        >"$WORK/stdout" 2>"$WORK/stderr" &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        curl -sf "$BASE/healthz" >/dev/null && [ -s "$WORK/stdout" ] && break
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

# load NAME DURATION ENDORSEES [DELAY_MS]: one wrk run; prints "rps p50_ms p99_ms errors".
load() {
    local out
    out="$(PLUSK_BENCH_KEY="$BENCH_KEY" PLUSK_BENCH_RUN="$1" PLUSK_BENCH_ENDORSEES="$3" PLUSK_BENCH_DELAY_MS="${4:-0}" \
        wrk -t1 -c"$CONNECTIONS" -d"${2}s" --latency -s bench/write_path.lua "$BASE" | grep '^RESULT')"
    awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
           printf "%.0f %.2f %.2f %d\n", v["requests"] / (v["duration_us"] / 1e6), v["p50_us"] / 1000, v["p99_us"] / 1000, v["errors"] }' <<<"$out"
}

# fresh_db BACKEND: a new empty database URL.
fresh_db() {
    if [ "$1" = sqlite ]; then
        rm -f "$WORK"/bench.db*
        echo "sqlite://$WORK/bench.db"
    else
        psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS plusk_bench WITH (FORCE)" -c "CREATE DATABASE plusk_bench" >/dev/null 2>&1
        echo "$PG_BASE/plusk_bench"
    fi
}

# bench BACKEND LABEL DETECTION: on a fresh database, both workloads at full speed, then the
# first again at half of its rate; prints one markdown row per measurement and sets LAST_MAX.
bench() {
    local backend="$1" label="$2" detection="$3"
    start_server "$(fresh_db "$backend")" "$detection"
    BENCH_KEY="$(api POST /v1/keys '{"name":"bench","role":"app"}' | sed 's/.*"key":"\([^"]*\)".*/\1/')"
    api PATCH /v1/keys/bench '{"rate_per_sec":0}' >/dev/null
    load "$backend-$label-warmup" 3 1000000 >/dev/null
    local distinct crowd half delay_ms
    distinct="$(load "$backend-$label-distinct" "$DURATION" 1000000)"
    crowd="$(load "$backend-$label-crowd" "$DURATION" 997)"
    delay_ms="$(awk -v c="$CONNECTIONS" -v m="${distinct%% *}" 'BEGIN { d = int(c * 1000 / (m / 2)); print (d < 1 ? 1 : d) }')"
    half="$(load "$backend-$label-half" "$DURATION" 1000000 "$delay_ms")"
    echo "| $backend | $label | detection $detection | distinct endorsees | ${distinct// / | } |"
    echo "| $backend | $label | detection $detection | 997 endorsees | ${crowd// / | } |"
    echo "| $backend | $label | detection $detection | half load (${delay_ms} ms between requests per connection) | ${half// / | } |"
    echo "RATE $backend $label $detection distinct=${distinct%% *} crowd=${crowd%% *} round=$ROUND" >>"$WORK/ratios"
    LAST_MAX="${distinct%% *}"
    stop_server
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2 }'); $(date -u +%F)"
echo "load: wrk -t1 -c$CONNECTIONS -d${DURATION}s, each request a new endorsement (a new endorser each time)"
echo
echo "| backend | build | detectors | workload | endorsements/s | p50 ms | p99 ms | errors |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"

# BASELINE_BIN=path runs an earlier build beside this one, in the same run.
BUILDS=("this:$PWD/target/release/plusk")
[ -n "${BASELINE_BIN:-}" ] && BUILDS+=("baseline:$BASELINE_BIN")
BACKENDS="${BACKENDS:-sqlite postgres}"
for ROUND in $(seq 1 "${ROUNDS:-1}"); do
    for backend in $BACKENDS; do
        for build in "${BUILDS[@]}"; do
            BIN="${build#*:}"
            bench "$backend" "${build%%:*}" on
            [ "$backend" = postgres ] && [ "${build%%:*}" = this ] && PG_MAX="$LAST_MAX"
            [ "${build%%:*}" = this ] && bench "$backend" "${build%%:*}" off
        done
    done
done
if [[ " $BACKENDS " == *" postgres "* ]]; then
    psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS plusk_bench WITH (FORCE)" >/dev/null
    PGB=plusk_pgbench
    psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS $PGB WITH (FORCE)" -c "CREATE DATABASE $PGB" >/dev/null 2>&1
    pgbench -q -i -s 10 "$PG_BASE/$PGB" >/dev/null 2>&1
    PGBENCH_TPS="$(pgbench -n -b tpcb-like -c "$CONNECTIONS" -j 2 -T "$DURATION" "$PG_BASE/$PGB" 2>/dev/null \
        | awk '/^tps/ { print int($3); exit }')"
    psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS $PGB WITH (FORCE)" >/dev/null
    echo "| postgres | pgbench -b tpcb-like -c $CONNECTIONS -j 2 (scale 10) | | | $PGBENCH_TPS tps | | | |"
fi
echo
cat "$WORK/ratios"
# One ratio per round: the runs of a round are minutes apart, the rounds further.
awk '$1 == "RATE" { split($5, d, "="); split($6, c, "="); split($7, n, "=");
                    key = $2" "$3" "$4" "n[2]; r[key] = d[2]; k[key] = c[2] }
     END { for (b in r) { split(b, p, " "); off = p[1]" "p[2]" off "p[4]; base = p[1]" baseline "p[3]" "p[4];
             if (p[3] == "on" && off in r)
               printf "RATIO round %s %s %s detection_kept distinct=%.2f crowd=%.2f (target >= 0.85)\n", p[4], p[1], p[2], r[b] / r[off], k[b] / k[off];
             if (p[2] == "this" && base in r)
               printf "RATIO round %s %s detection_%s this/baseline distinct=%.2f crowd=%.2f\n", p[4], p[1], p[3], r[b] / r[base], k[b] / k[base] } }' "$WORK/ratios" | sort
[ -n "${PGBENCH_TPS:-}" ] && echo "RATIO postgres_vs_pgbench=$(awk -v a="$PG_MAX" -v b="$PGBENCH_TPS" 'BEGIN { printf "%.2f", a / b }') (target >= 1.0)"
true
