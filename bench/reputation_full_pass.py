#!/usr/bin/env python3
"""A server's forced full recompute, several in a row, side by side for several binaries.

From the second pass on, a server keeps the largest topics (by their current run) from what
the pass reads (docs/REPUTATION.md): this measures what that costs in time and peak memory.
Each binary serves its own copy of the database; each pass is
`POST /v1/reputation/recompute {}`; the report's seconds and load, `from_memory`, and the
server's peak RSS (VmHWM) after it are printed.

    python3 bench/reputation_full_pass.py --db target/bench-incremental/base-1000000-1500000.db \\
        --plusk target/release/plusk --plusk /tmp/plusk-old

The database is the one bench/reputation_incremental.sh prepares.
"""

import argparse
import json
import os
import shutil
import time

from topics_lockout import remove_db, request, run, serve


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return None


def one(binary, source, passes):
    db = f"{source}.fullpass-{time.time_ns()}.db"
    shutil.copyfile(source, db)
    env = dict(os.environ, DATABASE_URL=f"sqlite://{db}", PLUSK_REPUTATION_DEBOUNCE_SECS="3600",
               PLUSK_REPUTATION_EVERY_MINS="10080", RUST_LOG="warn,plusk::cli::serve=info")
    admin = run(binary, env, "keys", "create", "--name", "bench-admin", "--role", "admin")
    admin = admin.strip().splitlines()[-1]
    proc, port = serve(binary, env)
    try:
        for i in range(passes):
            status, raw = request(port, "POST", "/v1/reputation/recompute", admin, {}, 3600)
            if status != 200:
                raise SystemExit(f"recompute: {status} {raw[:500]}")
            r = json.loads(raw)
            print(json.dumps({"binary": binary, "pass": i + 1, "seconds": round(r["seconds"], 2),
                              "load_seconds": round(r["load_seconds"], 2),
                              "from_memory": r.get("from_memory"),
                              "peak_rss_mb": peak_rss_mb(proc.pid)}), flush=True)
            # A topic just computed stays claimed for 2 s: the next pass would leave it.
            time.sleep(2.2)
    finally:
        proc.terminate()
        proc.wait()
        remove_db(db)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--db", required=True)
    p.add_argument("--passes", type=int, default=3)
    p.add_argument("--plusk", action="append", help="binary to measure (repeatable)")
    args = p.parse_args()
    for b in args.plusk or ["target/release/plusk"]:
        one(b, args.db, args.passes)


if __name__ == "__main__":
    main()
