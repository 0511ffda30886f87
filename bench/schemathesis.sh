#!/usr/bin/env bash
# Spec-driven fuzzing: schemathesis against plusk's own /openapi.json, once per backend and role.
#
#   bench/schemathesis.sh                      # the long run: MAX_TIME=150 s per backend × role
#   QUICK=1 bench/schemathesis.sh              # the bounded pass for CI: about 2 minutes in all
#   BACKENDS=sqlite PROFILE=debug QUICK=1 bench/schemathesis.sh
#
# Knobs (environment):
#   QUICK=1          MAX_TIME=12 unless MAX_TIME is set
#   MAX_TIME=S       schemathesis's time budget for each backend × role run (--max-time); the
#                    fuzzing and stateful phases repeat until it is spent (default 150)
#   MAX_EXAMPLES=N   test cases per operation and phase pass (--max-examples; schemathesis's
#                    default when unset)
#   BACKENDS         "sqlite postgres" (default), or one of them
#   ROLES            "app moderator analyst admin" (default), or some of them
#   PROFILE          release (default) or debug: which cargo profile to build and run; debug
#                    reuses what `cargo test` already built
#   WORKERS          schemathesis workers (default 1: on 2 cores one worker runs more test
#                    cases than two, and with several, hypothesis's concurrent ast.parse trips
#                    CPython 3.11's "AST constructor recursion depth mismatch")
#   SEED             schemathesis's --seed, to replay a run
#   PLUSK_LOG        the server's RUST_LOG (default warn; info logs every request)
#   PLUSK_SCHEMATHESIS_POSTGRES  server to create the throw-away database on
#                    (default postgres://postgres@127.0.0.1:5432)
#   SCHEMATHESIS_VENV  where the Python venv lives (default target/schemathesis-venv)
#
# What it does: makes (or reuses) a venv with the pinned schemathesis from PyPI, builds plusk,
# then for each backend starts `plusk serve` on a fresh database (a temporary SQLite file, or a
# new PostgreSQL database dropped at exit) and a free port, with the daily budget and the rate
# limits lifted, creates one key per role with `plusk keys create`, and runs schemathesis
# against http://127.0.0.1:PORT/openapi.json with each key as `Authorization: Bearer`: every
# phase (examples, coverage, fuzzing, stateful, the last on the links schemathesis infers from
# the spec and from Location headers), positive and negative data, and exactly the checks
# not_a_server_error, status_code_conformance, content_type_conformance and
# response_schema_conformance. Requests that would revoke or throttle those keys are turned aside
# (bench/schemathesis_hooks.py). One summary line per backend × role and a closing
# "schemathesis: N passed, M failed" over the runs; schemathesis's output, JUnit reports and the
# server logs are kept in target/schemathesis/. The exit status is non-zero if any run failed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

SCHEMATHESIS_VERSION=4.32.5
QUICK="${QUICK:-0}"
if [ "$QUICK" = 1 ]; then
    MAX_TIME="${MAX_TIME:-12}"
else
    MAX_TIME="${MAX_TIME:-150}"
fi
MAX_EXAMPLES="${MAX_EXAMPLES:-}"
BACKENDS="${BACKENDS:-sqlite postgres}"
ROLES="${ROLES:-app moderator analyst admin}"
PROFILE="${PROFILE:-release}"
WORKERS="${WORKERS:-1}"
SEED="${SEED:-}"
PG_BASE="${PLUSK_SCHEMATHESIS_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
VENV="${SCHEMATHESIS_VENV:-$ROOT/target/schemathesis-venv}"
OUT="$ROOT/target/schemathesis"
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance

# The venv, with exactly the pinned version.
if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
    echo "installing schemathesis $SCHEMATHESIS_VERSION into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

if [ "$PROFILE" = release ]; then
    cargo build --release --locked --quiet
else
    cargo build --locked --quiet
fi
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE/plusk"

rm -rf "$OUT"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
SERVER_PID=""
PG_DB=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ -n "$PG_DB" ]; then
        psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server BACKEND DATABASE_URL: one key per role (KEY_<role>), then plusk on a free port.
start_server() {
    local backend="$1" url="$2" role
    PROTECTED_KEYS=""
    # Only `migrate` and `serve` create a database; `keys create` refuses a missing file.
    DATABASE_URL="$url" "$BIN" migrate >/dev/null
    for role in $ROLES; do
        PROTECTED_KEYS+="st-$role,"
        declare -g "KEY_$role=$(DATABASE_URL="$url" "$BIN" keys create --name "st-$role" --role "$role" | tail -n1)"
        local made="KEY_$role"
        # Without a key every request is a 401, and the run would pass while testing nothing.
        if [[ "${!made}" != plusk_* ]]; then
            echo "could not create the $role key on $backend" >&2
            return 1
        fi
    done
    PORT="$(free_port)"
    DATABASE_URL="$url" PLUSK_DAILY_BUDGET=0 PLUSK_RATE_WRITE_PER_SEC=0 PLUSK_RATE_READ_PER_SEC=0 \
        RUST_LOG="${PLUSK_LOG:-warn}" "$BIN" serve --bind "127.0.0.1:$PORT" >"$OUT/server-$backend.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return 0
        sleep 0.1
    done
    echo "plusk did not start on $backend; see $OUT/server-$backend.log" >&2
    return 1
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

SUMMARY=()
FAILED=0
RUNS_PASSED=0
RUNS_FAILED=0

# fuzz BACKEND ROLE: one schemathesis run; appends a summary line.
fuzz() {
    local backend="$1" role="$2" key_var="KEY_$2" log="$OUT/$1-$2.log" rc=0
    local args=(
        run "http://127.0.0.1:$PORT/openapi.json"
        --header "Authorization: Bearer ${!key_var}"
        --checks "$CHECKS"
        --phases examples,coverage,fuzzing,stateful
        --max-time "$MAX_TIME"
        --workers "$WORKERS"
        --no-color
        --suppress-health-check all
        --report junit --report-junit-path "$OUT/$backend-$role.junit.xml"
    )
    [ -n "$MAX_EXAMPLES" ] && args+=(--max-examples "$MAX_EXAMPLES")
    [ -n "$SEED" ] && args+=(--seed "$SEED")
    echo "== schemathesis: $backend, $role key" >&2
    # Run from $OUT: schemathesis keeps its cache of failures in ./.schemathesis.
    (cd "$OUT" && SCHEMATHESIS_HOOKS="$ROOT/bench/schemathesis_hooks.py" PLUSK_PROTECTED_KEYS="$PROTECTED_KEYS" \
        "$VENV/bin/schemathesis" "${args[@]}") >"$log" 2>&1 || rc=$?
    # The summary at the end of schemathesis's output: "API Operations: … Tested: 29",
    # "Test cases:" then "2154 generated, 2154 passed", the stateful phase's "Scenarios: 176",
    # and a closing "=== 2 failures, 1 error, 2 warnings in 12.02s ===".
    local operations cases scenarios outcome
    operations="$(grep -E '^ +Tested: +[0-9]+' "$log" | grep -oE '[0-9]+' | tail -n1 || true)"
    cases="$(grep -A1 -E '^Test cases:' "$log" | tail -n1 | sed -E 's/^ +//' || true)"
    scenarios="$(grep -E '^ +Scenarios: +[0-9]+' "$log" | grep -oE '[0-9]+' | tail -n1 || true)"
    outcome="$(tail -n1 "$log" | sed -E 's/^=+ //; s/ =+$//')"
    local verdict=ok
    if [ "$rc" != 0 ]; then
        verdict="FAILED (exit $rc; see $log)"
        FAILED=1
        RUNS_FAILED=$((RUNS_FAILED + 1))
    else
        RUNS_PASSED=$((RUNS_PASSED + 1))
        awk '/^=+ (ERRORS|FAILURES) =+$/ { p = 1 } p' "$log" | head -n 200 >&2
    fi
    SUMMARY+=("schemathesis $backend $role: ${operations:-?} operations; test cases: ${cases:-?}; stateful scenarios: ${scenarios:-0}; $outcome; $verdict")
    echo "${SUMMARY[-1]}" >&2
}

for backend in $BACKENDS; do
    case "$backend" in
        sqlite) url="sqlite://$WORK/plusk.db" ;;
        postgres)
            PG_DB="plusk_schemathesis_$$"
            psql "$PG_BASE/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB" >/dev/null
            url="$PG_BASE/$PG_DB"
            ;;
        *)
            echo "unknown backend $backend" >&2
            exit 2
            ;;
    esac
    start_server "$backend" "$url"
    for role in $ROLES; do
        fuzz "$backend" "$role"
    done
    stop_server
    # A 5xx is logged at warn; schemathesis's not_a_server_error already fails the run on it.
    if grep -qE 'panicked|status=5[0-9][0-9]' "$OUT/server-$backend.log"; then
        echo "the $backend server answered 5xx or panicked; see $OUT/server-$backend.log" >&2
    fi
done

echo
printf '%s\n' "${SUMMARY[@]}"
# One closing line over the backend × role runs, in the form CI reads.
echo "schemathesis: $RUNS_PASSED passed, $RUNS_FAILED failed"
exit "$FAILED"
