#!/usr/bin/env bash
# One explain of a topic's top user, this build against an older one, one request at a time and
# interleaved (A, B, A, B, …) so both see the same machine: the latency of a single explain, which
# wrk at 16 connections blurs on 2 cores.
#
#   USERS=100000 EDGES=1000000 TOPICS=10 NX=0 bench/reputation.sh   # first: a 1M-endorsement database
#   BASELINE_BIN=/path/to/older/plusk bench/explain_ab.sh
#
# Knobs: REQUESTS per build (default 60), OUT (default target/bench-reputation). Each build
# serves its own copy of $OUT/plusk.db (no recompute during the run). Prints min, median and p90
# in ms per build, and the medians' ratio. Needs curl and sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-target/bench-reputation}"
REQUESTS="${REQUESTS:-60}"
: "${BASELINE_BIN:?set BASELINE_BIN to the older plusk binary}"
[ -f "$OUT/plusk.db" ] || { echo "no $OUT/plusk.db: run bench/reputation.sh first" >&2; exit 1; }
command -v sqlite3 >/dev/null || apt-get install -y sqlite3 >/dev/null
cargo build --release --locked --quiet
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT

TOPIC="$(sqlite3 "$OUT/plusk.db" "SELECT t.slug FROM reputation_runs r JOIN topics t ON t.id = r.topic_id
    WHERE r.is_current ORDER BY r.endorsements DESC LIMIT 1")"
TOP="$(sqlite3 "$OUT/plusk.db" "SELECT handle FROM current_scores WHERE topic = '$TOPIC' ORDER BY rank LIMIT 1")"
PATH_="/v1/users/$TOP/reputation/$TOPIC/explain"

# start NAME BIN PORT: serves a copy of the database; sets KEY_<NAME>.
start() {
    # The baseline serves the database bench/reputation.sh made with its own schema, if any.
    local db="$OUT/plusk.db"
    [ "$1" != this ] && [ -f "$OUT/baseline.db" ] && db="$OUT/baseline.db"
    cp "$db" "$WORK/$1.db"
    local key
    key="$(DATABASE_URL="sqlite://$WORK/$1.db" "$2" keys create --name "explain-ab-$1" --role analyst | tail -n1)"
    printf -v "KEY_$1" '%s' "$key"
    DATABASE_URL="sqlite://$WORK/$1.db" RUST_LOG=warn PLUSK_REPUTATION_DEBOUNCE_SECS=3600 \
        PLUSK_RATE_READ_PER_SEC=0 "$2" --no-migrate serve --bind "127.0.0.1:$3" >/dev/null 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 600); do curl -sf "127.0.0.1:$3/readyz" >/dev/null && return; sleep 0.1; done
    echo "$1 did not start" >&2
    exit 1
}
start this "$PWD/target/release/plusk" 18801
start base "$BASELINE_BIN" 18802

one() { # KEY PORT: seconds for one explain
    curl -sf -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $1" "127.0.0.1:$2$PATH_"
}
for _ in $(seq 1 "$REQUESTS"); do
    one "$KEY_this" 18801 >>"$WORK/this"
    one "$KEY_base" 18802 >>"$WORK/base"
done

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $(date -u '+%F %H:%M UTC')"
echo "explain of $TOP in $TOPIC, $REQUESTS requests per build, interleaved"
stats() { sort -n "$WORK/$1" | awk -v n="$1" '{ a[NR] = $1 * 1000 }
    END { printf "%s: min %.1f ms, median %.1f ms, p90 %.1f ms\n", n, a[1], a[int((NR + 1) / 2)], a[int(NR * 0.9)] }'; }
stats this
stats base
median() { sort -n "$WORK/$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
awk -v a="$(median this)" -v b="$(median base)" 'BEGIN { printf "median this / base: %.2f\n", a / b }'
