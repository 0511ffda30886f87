#!/usr/bin/env bash
# Incremental recompute benchmark (issue 14): a topic of 1.5M endorsements, made current again
# after each batch of 1,000 new ones, through the server's forced recompute of that topic.
#
#   bench/reputation_incremental.sh
#   BASELINE_BIN=/tmp/plusk-old bench/reputation_incremental.sh    # side by side, same run
#
# Environment knobs:
#   USERS    users the topic draws from            (default 1000000)
#   EDGES    endorsements in the topic             (default 1500000: topic 1 of the 10M graph
#            of bench/reputation.sh is 15% of it, drawn the same way from as many users)
#   ROUNDS   batches after the first recompute     (default 5)
#   BATCH    new endorsements per batch            (default 1000)
#   OUT      output folder                         (default target/bench-incremental)
#   BASELINE_BIN  an older build, measured after this one on its own copy of the database
#   RESTART  if set, the server restarts after the first recompute: the rounds then show what a
#            server started within half an hour of the topic's last recompute does
#
# What it does: builds, makes a Python venv with numpy, generates the topic with
# bench/reputation_graph.py as an NDJSON history, imports it with `plusk import --bulk` (once;
# reused while USERS, EDGES and the seed stay), then runs bench/reputation_incremental.py.
set -euo pipefail
cd "$(dirname "$0")/.."

USERS="${USERS:-1000000}"
EDGES="${EDGES:-1500000}"
ROUNDS="${ROUNDS:-5}"
BATCH="${BATCH:-1000}"
OUT="${OUT:-target/bench-incremental}"

mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
BIN="$PWD/target/release/plusk"
PY="$OUT/venv/bin/python"
DB="$OUT/base-$USERS-$EDGES.db"

say() { echo "== $*"; }

say "incremental recompute: USERS=$USERS EDGES=$EDGES ROUNDS=$ROUNDS BATCH=$BATCH"
say "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
cargo build --release --locked --quiet

if ! { [ -x "$PY" ] && "$PY" -c 'import numpy' 2>/dev/null; }; then
    python3 -m venv "$OUT/venv"
    "$PY" -m pip install --quiet --disable-pip-version-check numpy
fi

if [ ! -f "$DB" ]; then
    say "generating and importing the topic into $DB"
    "$PY" bench/reputation_graph.py --users "$USERS" --edges "$EDGES" --topics 1 \
        --ndjson "$OUT/history.ndjson"
    rm -f "$DB.tmp"*
    DATABASE_URL="sqlite://$DB.tmp" "$BIN" migrate >/dev/null
    DATABASE_URL="sqlite://$DB.tmp" "$BIN" import --no-budget --detection off --bulk \
        "$OUT/history.ndjson" | tail -1
    # One file to copy: the WAL folded in.
    python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA wal_checkpoint(TRUNCATE)")' "$DB.tmp"
    rm -f "$OUT/history.ndjson" "$DB.tmp-wal" "$DB.tmp-shm"
    mv "$DB.tmp" "$DB"
fi

python3 bench/reputation_incremental.py --db "$DB" --topic topic-1 --users "$USERS" \
    --rounds "$ROUNDS" --batch "$BATCH" --plusk "$BIN" ${BASELINE_BIN:+--plusk "$BASELINE_BIN"} \
    ${RESTART:+--restart} \
    | tee "$OUT/results.txt"
