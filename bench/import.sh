#!/usr/bin/env bash
# Import and bytes-on-disk benchmark: `plusk import` of a generated history (bench/history.py,
# fixed seed) into a fresh SQLite file and a fresh PostgreSQL database, with every rule and
# detector on; prints lines per second, then bytes per endorsement by table and index
# (SQLite's dbstat, PostgreSQL's pg_relation_size), and runs `plusk ledger verify`.
#
#   bench/import.sh                                  # 200,000 lines, both backends
#   LINES=1000000 BACKENDS=sqlite bench/import.sh
#   BASELINE_BIN=/path/to/older/plusk bench/import.sh   # an older build beside this one
#   MODES="batches bulk" bench/import.sh             # batches of BATCH lines, and --bulk
#
# Needs: cargo, python3, the sqlite3 shell (installed from Debian's packages if missing) and a
# local PostgreSQL (PLUSK_BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432) with psql.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/machine.sh
warn_if_nice_is_ignored

LINES="${LINES:-200000}"
BATCH="${BATCH:-5000}"
BACKENDS="${BACKENDS:-sqlite postgres}"
# batches: one transaction per BATCH lines; bulk: `--bulk` (one transaction, indexes built at
# the end). The baseline build only runs batches unless it knows --bulk.
MODES="${MODES:-batches bulk}"
PG_BASE="${PLUSK_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"

if ! command -v sqlite3 >/dev/null; then
    echo "installing sqlite3" >&2
    apt-get install -y sqlite3 >/dev/null
fi
cargo build --release --locked --quiet
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
python3 bench/history.py "$LINES" >"$WORK/history.ndjson"

BINS=("this=$PWD/target/release/plusk")
[ -n "${BASELINE_BIN:-}" ] && BINS+=("baseline=$BASELINE_BIN")

# sizes_sqlite FILE: "name bytes" per table and index.
sizes_sqlite() {
    sqlite3 "$1" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    sqlite3 "$1" "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC;" | tr '|' ' '
}

# sizes_pg URL: "name bytes" per table (heap and TOAST) and index.
sizes_pg() {
    psql -qAtF' ' "$1" -c "VACUUM ANALYZE" -c "
        SELECT c.relname, pg_relation_size(c.oid) + COALESCE(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') AND c.relname NOT LIKE '__diesel%'
        ORDER BY 2 DESC"
}

for entry in "${BINS[@]}"; do
    for mode in $MODES; do
        name="${entry%%=*}"
        bin="${entry#*=}"
        flags=()
        if [ "$mode" = bulk ]; then
            "$bin" import --help | grep -q -- --bulk || continue
            flags=(--bulk)
            name="$name-bulk"
        fi
        for backend in $BACKENDS; do
            if [ "$backend" = sqlite ]; then
                url="$WORK/$name.db"
            else
                db="plusk_bench_import_$$"
                psql -qAt "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
                url="$PG_BASE/$db"
            fi
            # Only `migrate` and `serve` create a database (an older build's import also does).
            RUST_LOG=warn "$bin" migrate --database-url "$url" >/dev/null
            start=$(date +%s.%N)
            # Exit 1 means some lines were refused (the generator makes a few duplicates).
            RUST_LOG=warn "$bin" import --database-url "$url" --no-budget --batch-size "$BATCH" "${flags[@]}" \
                "$WORK/history.ndjson" >"$WORK/import.out" 2>"$WORK/import.err" || true
            secs=$(echo "$(date +%s.%N) - $start" | bc)
            tail -n1 "$WORK/import.out"
            if [ "$backend" = sqlite ]; then
                sizes_sqlite "$url" >"$WORK/sizes"
                n=$(sqlite3 "$url" "SELECT COUNT(*) FROM endorsements")
            else
                sizes_pg "$url" >"$WORK/sizes"
                n=$(psql -qAt "$url" -c "SELECT COUNT(*) FROM endorsements")
            fi
            verify=$("$bin" ledger verify --database-url "$url" | head -c 200 || true)
            printf '%s %s: %d lines in %.1f s = %.0f lines/s; %d endorsements; verify %s\n' \
                "$name" "$backend" "$LINES" "$secs" "$(echo "$LINES / $secs" | bc -l)" "$n" "$verify"
            awk -v n="$n" -v who="$name $backend" '
                { total += $2; printf "  %-32s %8.1f bytes/endorsement\n", $1, $2 / n }
                END { printf "BYTES %s: %.0f bytes/endorsement in all\n", who, total / n }' "$WORK/sizes"
            if [ "$backend" = postgres ]; then
                psql -qAt "$PG_BASE/postgres" -c "DROP DATABASE $db"
            fi
        done
    done
done
