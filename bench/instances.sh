#!/usr/bin/env bash
# Several instances on one PostgreSQL: 1, 2 and 3 `plusk serve` processes on one fresh
# database, the same total load spread evenly over them (one wrk per instance, the connections
# split between them), for writes (every request a new endorsement, bench/write_path.lua) and
# for reads (a page of endorsements). Prints one markdown row per run: total requests/s, the
# worst instance's p99, errors, and each instance's resident memory after the runs.
#
#   bench/instances.sh                      # 30 connections in all, 15 s per run
#   CONNECTIONS=30 DURATION=30 INSTANCES="1 2 3" bench/instances.sh
#
# Needs: cargo, a local PostgreSQL (PLUSK_BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432)
# and wrk (installed from Debian's packages if missing). Rate limits are lifted for the bench
# key and the daily budget is off, so the figures are the write path's, not the limits'.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-15}"
CONNECTIONS="${CONNECTIONS:-30}"
INSTANCES="${INSTANCES:-1 2 3}"
PG_BASE="${PLUSK_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
# sslmode=disable for the instance counts; one instance is run again over TLS
# (sslmode=require) at the end, for what TLS to the database costs.
DB_URL="$PG_BASE/plusk_instances?sslmode=disable"
FIRST_PORT="${PLUSK_BENCH_PORT:-18800}"

if ! command -v wrk >/dev/null; then
    echo "installing wrk" >&2
    apt-get install -y wrk >/dev/null
fi
cargo build --release --locked --quiet
BIN="$PWD/target/release/plusk"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# start N: N instances on the same database, ports FIRST_PORT.., each with its own name.
start() {
    PIDS=()
    for i in $(seq 1 "$1"); do
        PLUSK_DAILY_BUDGET=0 RUST_LOG=warn DATABASE_URL="$DB_URL" \
            "$BIN" serve --bind "127.0.0.1:$((FIRST_PORT + i - 1))" >"$WORK/stdout-$i" 2>"$WORK/stderr-$i" &
        PIDS+=($!)
    done
    for i in $(seq 1 "$1"); do
        for _ in $(seq 1 200); do
            curl -sf "http://127.0.0.1:$((FIRST_PORT + i - 1))/readyz" >/dev/null && break
            sleep 0.1
        done
    done
}

stop() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
}

rss_mb() { awk '/^VmRSS/ { printf "%.0f\n", $2 / 1024 }' "/proc/$1/status"; }

# run N NAME SCRIPT: one wrk per instance at once; prints "rps p99_ms_worst errors".
run() {
    local n="$1" name="$2" script="$3" per=$((CONNECTIONS / $1)) loads=()
    for i in $(seq 1 "$n"); do
        PLUSK_BENCH_KEY="$BENCH_KEY" PLUSK_BENCH_RUN="$name-$n-$i" PLUSK_BENCH_ENDORSEES=1000000 \
            wrk -t1 -c"$per" -d"${DURATION}s" --latency -s "$script" \
            "http://127.0.0.1:$((FIRST_PORT + i - 1))" >"$WORK/wrk-$i" 2>&1 &
        loads+=($!)
    done
    # Meanwhile, how many of plusk's sessions wait for the ledger's write lock (PostgreSQL's
    # advisory lock) and how many are busy, sampled every quarter second.
    : >"$WORK/waits"
    while kill -0 "${loads[0]}" 2>/dev/null; do
        psql "$PG_BASE/postgres" -Atc "SELECT count(*) FILTER (WHERE wait_event = 'advisory'),
            count(*) FILTER (WHERE state = 'active') FROM pg_stat_activity
            WHERE datname = 'plusk_instances' AND backend_type = 'client backend'" >>"$WORK/waits"
        sleep 0.25
    done
    wait "${loads[@]}"
    awk -F'|' '{ w += $1; a += $2; n++ } END { printf "%.1f of %.1f", w / n, a / n }' "$WORK/waits" >"$WORK/waits-$name"
    for i in $(seq 1 "$n"); do grep '^RESULT' "$WORK/wrk-$i"; done | awk '
        { for (f = 2; f <= NF; f++) { split($f, kv, "="); v[kv[1]] = kv[2] }
          rps += v["requests"] / (v["duration_us"] / 1e6); err += v["errors"];
          if (v["p99_us"] > p99) p99 = v["p99_us"] }
        END { printf "%.0f %.1f %d\n", rps, p99 / 1000, err }'
}

cat >"$WORK/read.lua" <<'EOF'
-- GET a page of endorsements: a read every client makes, served by the pool, not the writer.
function init(args)
   wrk.headers["Authorization"] = "Bearer " .. os.getenv("PLUSK_BENCH_KEY")
end
function request()
   return wrk.format("GET", "/v1/endorsements?limit=20")
end
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("RESULT requests=%d duration_us=%d errors=%d p50_us=%d p99_us=%d\n",
      summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
      latency:percentile(50), latency:percentile(99)))
end
EOF

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2 }'); $(date -u +%F)"
echo "load: $CONNECTIONS connections in all, split evenly over the instances (one wrk -t1 each), ${DURATION}s per run; PostgreSQL $(psql "$PG_BASE/postgres" -Atc 'SHOW server_version')"
echo
echo "| instances | workload | requests/s (all instances) | worst p99 ms | errors | sessions waiting for the write lock, of those active (mean) | RSS MB per instance after |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for n in $INSTANCES tls; do
    label="$n"
    if [ "$n" = tls ]; then
        n=1
        label="1, TLS (sslmode=require)"
        DB_URL="$PG_BASE/plusk_instances?sslmode=require"
    fi
    psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS plusk_instances WITH (FORCE)" \
        -c "CREATE DATABASE plusk_instances" >/dev/null 2>&1
    DATABASE_URL="$DB_URL" "$BIN" migrate >/dev/null
    BENCH_KEY="$(DATABASE_URL="$DB_URL" "$BIN" keys create --name bench --role app | tail -n1)"
    start "$n"
    curl -sf -X PATCH "http://127.0.0.1:$FIRST_PORT/v1/keys/bench" -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $(DATABASE_URL="$DB_URL" "$BIN" keys create --name admin-$n --role admin | tail -n1)" \
        -d '{"rate_per_sec": 0}' >/dev/null
    sleep 1.2 # every instance's key cache forgets the old quota
    DURATION_SAVED="$DURATION"; DURATION=3; run "$n" warmup bench/write_path.lua >/dev/null; DURATION="$DURATION_SAVED"
    writes="$(run "$n" writes bench/write_path.lua)"
    write_waits="$(cat "$WORK/waits-writes")"
    reads="$(run "$n" reads "$WORK/read.lua")"
    read_waits="$(cat "$WORK/waits-reads")"
    rss="$(for pid in "${PIDS[@]}"; do rss_mb "$pid"; done | paste -sd/)"
    echo "| $label | writes (new endorsement each) | ${writes// / | } | $write_waits | $rss |"
    echo "| $label | reads (GET /v1/endorsements?limit=20) | ${reads// / | } | $read_waits | $rss |"
    stop
done
psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS plusk_instances WITH (FORCE)" >/dev/null
