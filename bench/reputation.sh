#!/usr/bin/env bash
# Reputation benchmark: `plusk reputation recompute` on a synthetic power-law endorsement graph,
# against per-topic PageRank with python-igraph and networkx on the same graph, plus a check that
# plusk's stored scores match igraph's.
#
#   bench/reputation.sh                                          # 1M users, 10M endorsements, 100 topics
#   USERS=10000 EDGES=100000 TOPICS=10 bench/reputation.sh       # a quick run
#   NX_TOPICS=5 bench/reputation.sh                              # networkx on the 5 largest topics only
#
# Environment knobs:
#   USERS      users in the graph                       (default 1000000)
#   EDGES      endorsements to generate                 (default 10000000; duplicates are dropped)
#   TOPICS     topics                                   (default 100)
#   SEED       seed of the graph generator              (default 42)
#   OUT        output folder, relative to the repo root (default target/bench-reputation)
#   NX         0 skips networkx                         (default 1)
#   NX_TOPICS  run networkx on the first (largest) K topics only and extrapolate its times
#              linearly by edges to the whole graph     (default: every topic)
#   BASELINE_BIN  another plusk binary (an older build) to run the same two recomputes on the
#              same graph in a database it migrated itself, after this build's, for a side-by-side
#              ratio in one run (default: none)
#
# What it does:
#   1. cargo build --release;
#   2. a Python venv in $OUT/venv with numpy, scipy, networkx and python-igraph (reused);
#   3. bench/reputation_graph.py generates the graph (deterministic from SEED), writes
#      $OUT/graph.npz and loads it into $OUT/plusk.db after `plusk migrate`. That database has no
#      ledger (ledger_seq = id, ledger table empty): it is for timing recompute only;
#   4. `plusk --no-migrate reputation recompute --half-life-days 0`, twice, under /usr/bin/time -v:
#      run 1 stores into an empty scores table, run 2 replaces the current runs;
#   5. bench/reputation_reference.py: igraph on every topic, networkx per NX/NX_TOPICS, each in its
#      own process under /usr/bin/time -v (peak RSS);
#   6. plusk's stored raw scores of the 3 largest topics against igraph's (max abs difference);
#   7. a table of times, peak RSS and ratios, with the machine and date; all of it is also saved
#      to $OUT/results.txt.
# The graph and the database are regenerated on every run. Needs cargo, python3 (with venv) and
# GNU time (installed from Debian's packages if missing). The full default size takes a few GB
# of disk in $OUT and several GB of memory.
set -euo pipefail
cd "$(dirname "$0")/.."

USERS="${USERS:-1000000}"
EDGES="${EDGES:-10000000}"
TOPICS="${TOPICS:-100}"
SEED="${SEED:-42}"
OUT="${OUT:-target/bench-reputation}"
NX="${NX:-1}"
NX_TOPICS="${NX_TOPICS:-}"

mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
BIN="$PWD/target/release/plusk"
PY="$OUT/venv/bin/python"
DB="$OUT/plusk.db"
NPZ="$OUT/graph.npz"

say() { echo "== $*"; }

# json FILE KEY: one field of the JSON line in FILE.
json() { "$PY" -c 'import json, sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])[sys.argv[2]])' "$1" "$2"; }

# timed NAME COMMAND...: runs COMMAND under GNU time, its stdout to $OUT/NAME.out; sets WALL
# (seconds) and RSS_MB (peak resident set size).
timed() {
    local name="$1"
    shift
    /usr/bin/time -v -o "$OUT/$name.time" "$@" >"$OUT/$name.out"
    WALL="$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0
                for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$OUT/$name.time")"
    RSS_MB="$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$OUT/$name.time")"
}

# recompute_twice BIN DB NAME VAR: two recomputes of DB by BIN, timed as NAME1/NAME2; sets
# VAR1_WALL, VAR1_RSS, VAR2_WALL, VAR2_RSS.
recompute_twice() {
    local bin="$1" db="$2" name="$3" var="$4" run
    for run in 1 2; do
        # A topic just computed stays claimed for 2 s (recompute claims: a second recompute
        # started at once leaves it, as held elsewhere), so run 2 waits that out.
        [ "$run" = 2 ] && sleep 3
        DATABASE_URL="sqlite://$db" RUST_LOG=warn timed "$name$run" \
            "$bin" --no-migrate reputation recompute --half-life-days 0
        declare -g "${var}${run}_WALL=$WALL" "${var}${run}_RSS=$RSS_MB"
        echo "$name run $run: wall ${WALL}s, peak RSS ${RSS_MB} MB: $(cat "$OUT/$name$run.out")"
    done
}

main() {
    say "reputation benchmark: USERS=$USERS EDGES=$EDGES TOPICS=$TOPICS SEED=$SEED NX=$NX NX_TOPICS=${NX_TOPICS:-all}"

    say "1. cargo build --release"
    cargo build --release --locked --quiet

    say "2. python venv ($OUT/venv)"
    if ! { [ -x "$PY" ] && "$PY" -c 'import numpy, scipy, networkx, igraph' 2>/dev/null; }; then
        python3 -m venv "$OUT/venv"
        "$PY" -m pip install --quiet --disable-pip-version-check numpy scipy networkx python-igraph
    fi
    "$PY" -c 'import sys, numpy, scipy, networkx, igraph
print("python", sys.version.split()[0], "numpy", numpy.__version__, "scipy", scipy.__version__,
      "networkx", networkx.__version__, "igraph", igraph.__version__)'

    if [ ! -x /usr/bin/time ]; then
        say "installing GNU time"
        apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
    fi

    say "3. graph: generate and load into $DB"
    rm -f "$DB" "$DB-wal" "$DB-shm" "$NPZ"
    DATABASE_URL="sqlite://$DB" "$BIN" migrate >/dev/null
    "$PY" bench/reputation_graph.py --users "$USERS" --edges "$EDGES" --topics "$TOPICS" \
        --seed "$SEED" --npz "$NPZ" --db "$DB" | tee "$OUT/graph.out"
    echo "database: $(du -h "$DB" | cut -f1)"

    # The baseline gets the same graph in a database of its own schema (migrated by the baseline
    # binary: a build may add or drop tables and indexes, which is often what is being compared).
    if [ -n "${BASELINE_BIN:-}" ]; then
        rm -f "$OUT/baseline.db"*
        DATABASE_URL="sqlite://$OUT/baseline.db" "$BASELINE_BIN" migrate >/dev/null
        "$PY" bench/reputation_graph.py --users "$USERS" --edges "$EDGES" --topics "$TOPICS" \
            --seed "$SEED" --npz "$OUT/baseline.npz" --db "$OUT/baseline.db" >/dev/null
        rm -f "$OUT/baseline.npz"
    fi

    say "4. plusk reputation recompute (twice)"
    recompute_twice "$BIN" "$DB" plusk PLUSK
    if [ -n "${BASELINE_BIN:-}" ]; then
        say "4b. baseline $BASELINE_BIN: the same two recomputes on its own copy"
        recompute_twice "$BASELINE_BIN" "$OUT/baseline.db" base BASE
    fi

    say "5. references"
    timed igraph "$PY" bench/reputation_reference.py igraph --npz "$NPZ"
    IG_WALL="$WALL" IG_RSS="$RSS_MB"
    echo "igraph: wall ${WALL}s, peak RSS ${RSS_MB} MB: $(cat "$OUT/igraph.out")"
    if [ "$NX" != 0 ]; then
        timed networkx "$PY" bench/reputation_reference.py networkx --npz "$NPZ" \
            ${NX_TOPICS:+--topics "$NX_TOPICS"}
        NX_WALL="$WALL" NX_RSS="$RSS_MB"
        echo "networkx: wall ${WALL}s, peak RSS ${RSS_MB} MB: $(cat "$OUT/networkx.out")"
    else
        echo "networkx: skipped (NX=0)"
    fi

    say "6. correctness: plusk's stored raw scores vs igraph, 3 largest topics"
    local check=0
    "$PY" bench/reputation_reference.py check --npz "$NPZ" --db "$DB" --top 3 || check=$?

    say "7. results"
    summary
    return "$check"
}

# The final table. Ratios are tool / plusk run 2 (a recompute replacing current scores).
summary() {
    local p1="$OUT/plusk1.out" p2="$OUT/plusk2.out" ig="$OUT/igraph.out" nxo="$OUT/networkx.out"
    local ref_c ref_w
    ref_c="$(json "$p2" compute_seconds)"
    ref_w="$PLUSK2_WALL"
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'),"\
         "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM; $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "graph: $(json "$OUT/graph.out" users) users, $(json "$OUT/graph.out" edges) endorsements" \
         "($(json "$OUT/graph.out" duplicates_dropped) duplicates dropped), $TOPICS topics," \
         "largest topic $(json "$OUT/graph.out" largest_topic_edges) edges"
    local r f who
    for f in "$OUT"/plusk[12].out ${BASELINE_BIN:+"$OUT"/base[12].out}; do
        who="$(basename "$f" .out)" r="${who: -1}" who="${who%?}"
        printf '%s run %s: load %.2fs, compute %.2fs, store %.2fs (plusk'"'"'s own timers); %s scores, max %s iterations, %s unconverged\n' \
            "$who" "$r" "$(json "$f" load_seconds)" "$(json "$f" compute_seconds)" "$(json "$f" store_seconds)" \
            "$(json "$f" scores)" "$(json "$f" max_iterations)" "$(json "$f" unconverged)"
    done
    {
        echo "plusk_run1_(empty_store) $PLUSK1_WALL $(json "$p1" compute_seconds) - $PLUSK1_RSS"
        echo "plusk_run2_(replace) $PLUSK2_WALL $(json "$p2" compute_seconds) - $PLUSK2_RSS"
        if [ -n "${BASELINE_BIN:-}" ]; then
            echo "baseline_run1_(empty_store) $BASE1_WALL $(json "$OUT/base1.out" compute_seconds) - $BASE1_RSS"
            echo "baseline_run2_(replace) $BASE2_WALL $(json "$OUT/base2.out" compute_seconds) - $BASE2_RSS"
        fi
        echo "igraph_(prpack) $IG_WALL $(json "$ig" build_compute_seconds) $(json "$ig" compute_seconds) $IG_RSS"
        if [ "$NX" != 0 ]; then
            local edges all bc c
            edges="$(json "$nxo" edges)" all="$(json "$nxo" all_edges)"
            bc="$(json "$nxo" build_compute_seconds)" c="$(json "$nxo" compute_seconds)"
            if [ "$edges" = "$all" ]; then
                echo "networkx $NX_WALL $bc $c $NX_RSS"
            else
                # Extrapolated: the per-topic work scales by edges, the start-up does not.
                awk -v w="$NX_WALL" -v bc="$bc" -v c="$c" -v all="$all" -v edges="$edges" \
                    -v rss="$NX_RSS" -v k="$(json "$nxo" topics)" 'BEGIN { x = all / edges
                    printf "networkx_(EXTRAPOLATED_from_%d_largest_topics,_x%.2f) %.3f %.3f %.3f %s\n",
                           k, x, w - bc + bc * x, bc * x, c * x, rss }'
            fi
        fi
    } | awk -v rw="$ref_w" -v rc="$ref_c" -v rr="$PLUSK2_RSS" '
        BEGIN {
            printf "%-52s %9s %9s %9s %8s | %7s %7s %7s\n", "tool", "wall s", "bld+cmp", "compute",
                   "RSS MB", "wall x", "bc x", "RSS x"
        }
        { gsub("_", " ", $1)
          printf "%-52s %9.2f %9.2f %9s %8d | %7.2f %7.2f %7.2f\n", $1, $2, $3,
                 ($4 == "-" ? "-" : sprintf("%.2f", $4)), $5, $2 / rw, $3 / rc, $5 / rr }'
    echo "wall: the whole process (plusk reads the graph from SQLite and writes every score;"
    echo "  the references read the .npz and write nothing). bld+cmp: plusk's compute_seconds (CSR"
    echo "  build, PageRank, ranks, on all cores); for the references, graph objects + PageRank,"
    echo "  single-threaded. compute: the PageRank call alone. x columns: tool / plusk run 2."
    if [ "$NX" != 0 ] && [ "$(json "$nxo" edges)" != "$(json "$nxo" all_edges)" ]; then
        echo "networkx ran on $(json "$nxo" topics) of $TOPICS topics ($(json "$nxo" edges) of $(json "$nxo" all_edges) edges);"
        echo "  its times above are EXTRAPOLATED linearly by edges; its peak RSS is measured (the"
        echo "  largest topic is among those run, and topics are run one at a time)."
    fi
    echo "networkx tol = 1e-10 / N per topic: networkx stops when the L1 change < N * tol, so this"
    echo "  is plusk's criterion exactly. igraph's prpack solves to its own fixed tolerance."
}

main "$@" 2>&1 | tee "$OUT/results.txt"
