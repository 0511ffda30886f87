#!/usr/bin/env bash
# Reputation recompute on PostgreSQL: the graph bench/reputation.sh generated and loaded into
# $OUT/plusk.db, copied into a fresh PostgreSQL database, then `plusk reputation recompute`
# twice under /usr/bin/time -v, as bench/reputation.sh does on SQLite.
#
#   USERS=1000000 EDGES=10000000 TOPICS=100 NX=0 bench/reputation.sh   # first: the graph
#   bench/reputation_pg.sh
#   PG_URL=postgres://postgres@127.0.0.1:5432 PG_DB=plusk_bench_reputation bench/reputation_pg.sh
#   BASELINE_BIN=/path/to/older/plusk bench/reputation_pg.sh   # then an older build, the same way
#
# The copy keeps the SQLite database's ids and has no ledger (each endorsement's ledger_seq is
# its own id), so it is loaded with foreign-key triggers off (`session_replication_role =
# replica`, which needs a superuser, as the local `postgres` user is). It is for timing recompute
# only. Times are converted from SQLite's microseconds to PostgreSQL timestamps in the database.
# Prints each run's wall time, peak RSS and plusk's own load / compute / store times.
# Needs psql, sqlite3 and GNU time (installed from Debian's packages if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-target/bench-reputation}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_DB="${PG_DB:-plusk_bench_reputation}"
SRC="$OUT/plusk.db"
[ -f "$SRC" ] || { echo "no $SRC: run bench/reputation.sh first" >&2; exit 1; }
for tool in sqlite3 psql; do
    command -v "$tool" >/dev/null || apt-get install -y "$tool" >/dev/null
done
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
cargo build --release --locked --quiet
BIN="$PWD/target/release/plusk"
URL="$PG_URL/$PG_DB"

# load BIN: a fresh database $PG_DB, migrated by BIN (builds' schemas differ), with the graph
# copied in.
load() {
    psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB"
    DATABASE_URL="$URL" "$1" migrate >/dev/null
    local start
    start=$(date +%s)
    sqlite3 -csv "$SRC" "SELECT id, handle, created_at FROM users" |
        psql -q "$URL" -c "\\copy users (id, handle, created_at) FROM STDIN CSV"
    sqlite3 -csv "$SRC" "SELECT id, slug, created_at FROM topics" |
        psql -q "$URL" -c "\\copy topics (id, slug, created_at) FROM STDIN CSV"
    # Builds before migration 18 keep each endorsement's ledger_seq (its id again).
    local seq=""
    if [ "$(psql -qtA "$URL" -c "SELECT count(*) FROM information_schema.columns
            WHERE table_name = 'endorsements' AND column_name = 'ledger_seq'")" = 1 ]; then
        seq=", ledger_seq"
    fi
    sqlite3 -csv "$SRC" "SELECT id, endorser_id, endorsee_id, topic_id, status, created_at
        FROM endorsements" |
        psql -q "$URL" \
            -c "CREATE UNLOGGED TABLE stage (id BIGINT, endorser_id INT, endorsee_id INT,
                topic_id INT, status TEXT, micros BIGINT)" \
            -c "\\copy stage FROM STDIN CSV" \
            -c "SET session_replication_role = replica" \
            -c "INSERT INTO endorsements (id, endorser_id, endorsee_id, topic_id, status, created_at
                $seq) SELECT id, endorser_id, endorsee_id, topic_id, status,
                timestamp 'epoch' + micros * interval '1 microsecond' ${seq:+, id} FROM stage" \
            -c "DROP TABLE stage" \
            -c "ANALYZE"
    echo "copied in $(($(date +%s) - start)) s:" \
        "$(psql -qtA "$URL" -c "SELECT count(*) FROM endorsements") endorsements"
}

# recompute_twice NAME BIN: two recomputes by BIN, timed.
recompute_twice() {
    local name="$1" bin="$2" run out wall rss
    for run in 1 2; do
        # A topic just computed stays claimed for 2 s; run 2 waits that out.
        [ "$run" = 2 ] && sleep 3
        out="$(DATABASE_URL="$URL" RUST_LOG=warn /usr/bin/time -v -o "$OUT/pg-$name$run.time" \
            "$bin" --no-migrate reputation recompute --half-life-days 0)"
        wall="$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0
                for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$OUT/pg-$name$run.time")"
        rss="$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$OUT/pg-$name$run.time")"
        echo "$name, postgres run $run: wall ${wall}s, peak RSS ${rss} MB: $out"
    done
}

echo "== this build: $SRC copied into $PG_DB, then recompute twice"
load "$BIN"
recompute_twice this "$BIN"
if [ -n "${BASELINE_BIN:-}" ]; then
    echo "== baseline $BASELINE_BIN: a fresh copy, then recompute twice"
    load "$BASELINE_BIN"
    recompute_twice baseline "$BASELINE_BIN"
fi
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo);" \
    "$(date -u '+%Y-%m-%d %H:%M UTC')"
