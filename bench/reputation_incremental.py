#!/usr/bin/env python3
"""How long a large topic takes to be current again after a batch of new endorsements.

Issue 14's incremental goal: after 1,000 new endorsements in a topic of 1.5M, that topic is
current again in <= 1 s (the worker's debounce not counted). bench/reputation_incremental.sh
prepares the database; this script, for each `--plusk` binary in turn, on its own copy:

  1. starts `plusk serve` (no scheduled recompute, debounce of an hour: only forced ones);
  2. forces a recompute of the topic (`POST /v1/reputation/recompute {"topics": [...]}`): read
     whole, as every recompute did before the worker kept large topics in memory;
  3. `--rounds` times: writes `--batch` new endorsements in the topic (8 clients, random pairs
     of the topic's users), then forces the topic's recompute and records its report (seconds;
     current_seconds, when the topic switched to its new run, before the old run is deleted;
     load / compute / store; iterations; from_memory) and the server's resident memory.

With `--restart`, the server is stopped after step 2 and started again with a scheduled pass
2 s after start (and the default hourly period), as a server restarted within half an hour of
the topic's last recompute: that pass leaves the topic out as fresh. After 15 s, the rounds
follow as above (each batch's recompute forced at once, ahead of the debounced one); the first
of them shows whether the restarted server had the topic in memory.

Prints one JSON line per round and a summary per binary (median of the rounds after the first).

    python3 bench/reputation_incremental.py --db base.db --topic topic-1 --users 1000000 \\
        --plusk target/release/plusk [--plusk /tmp/plusk-old]
"""

import argparse
import json
import os
import random
import shutil
import statistics
import tempfile
import threading
import time

from topics_lockout import remove_db, request, run, serve


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024)
    return None


def write_batch(port, key, topic, users, n, rng):
    """`n` endorsements that are new (a pair already endorsed is drawn again), 8 at a time."""
    lock = threading.Lock()
    left = [n]
    failures = {}

    def client(seed):
        r = random.Random(seed)
        while True:
            with lock:
                if left[0] == 0:
                    return
            a, b = r.randint(1, users), r.randint(1, users)
            if a == b:
                continue
            body = {"endorser": f"user-{a}", "endorsee": f"user-{b}", "topic": topic}
            status, _ = request(port, "POST", "/v1/endorsements", key, body)
            with lock:
                if status == 201 and left[0] > 0:
                    left[0] -= 1
                elif status != 201:
                    failures[status] = failures.get(status, 0) + 1

    threads = [threading.Thread(target=client, args=(rng.random(),)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures


def recompute(port, key, topic):
    status, raw = request(port, "POST", "/v1/reputation/recompute", key, {"topics": [topic]}, 3600)
    if status != 200:
        raise SystemExit(f"recompute: {status} {raw[:500]}")
    return json.loads(raw)


def one(binary, args, workdir):
    # A file of its own per binary: a WAL left beside a reused name would be replayed into the
    # next copy.
    db = os.path.join(workdir, f"plusk-{time.time_ns()}.db")
    shutil.copyfile(args.db, db)
    env = dict(os.environ, DATABASE_URL=f"sqlite://{db}", PLUSK_DAILY_BUDGET="0",
               PLUSK_RATE_WRITE_PER_SEC="0", PLUSK_RATE_READ_PER_SEC="0",
               PLUSK_REPUTATION_EVERY_MINS="10080", PLUSK_REPUTATION_DEBOUNCE_SECS="3600",
               RUST_LOG="warn,plusk::cli::serve=info")
    admin = run(binary, env, "keys", "create", "--name", "bench-admin", "--role", "admin")
    admin = admin.strip().splitlines()[-1]
    app = run(binary, env, "keys", "create", "--name", "bench-app", "--role", "app")
    app = app.strip().splitlines()[-1]
    proc, port = serve(binary, env)
    rng = random.Random(7)
    rounds = []
    try:
        for i in range(args.rounds + 1):
            if i == 1 and args.restart:
                proc.terminate()
                proc.wait()
                proc, port = serve(binary, dict(env, PLUSK_REPUTATION_EVERY_MINS="60",
                                                PLUSK_REPUTATION_DEBOUNCE_SECS="2"))
                time.sleep(15)
            failures = write_batch(port, app, args.topic, args.users, args.batch, rng) if i else {}
            r = recompute(port, admin, args.topic)
            row = {"binary": binary, "round": i, "new": args.batch if i else 0,
                   "failures": failures, "rss_mb": rss_mb(proc.pid)}
            row.update({k: r.get(k) for k in ("seconds", "current_seconds", "load_seconds", "compute_seconds",
                                                "store_seconds", "max_iterations", "topics", "held_elsewhere", "scores",
                                                "endorsements", "from_memory")})
            print(json.dumps(row), flush=True)
            rounds.append(row)
    finally:
        proc.terminate()
        proc.wait()
        remove_db(db)
    later = rounds[1:]

    def med(k):
        # An older build's report may not have the field.
        values = [r[k] for r in later if r.get(k) is not None]
        return round(statistics.median(values), 3) if values else None

    return {"binary": binary, "first_seconds": rounds[0]["seconds"],
            "median_seconds": med("seconds"), "median_current": med("current_seconds"),
            "max_current": max((r["current_seconds"] or 0 for r in later), default=None),
            "median_load": med("load_seconds"),
            "median_compute": med("compute_seconds"), "median_store": med("store_seconds"),
            "median_iterations": med("max_iterations"), "max_seconds": max(r["seconds"] for r in later),
            "rss_mb": rounds[-1]["rss_mb"]}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--db", required=True, help="SQLite database with the topic (copied per binary)")
    p.add_argument("--topic", default="topic-1")
    p.add_argument("--users", type=int, required=True, help="handles are user-1 .. user-N")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--plusk", action="append", help="binary to measure (repeatable)")
    p.add_argument("--restart", action="store_true",
                   help="restart the server after the first recompute (see above)")
    args = p.parse_args()
    summaries = []
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(args.db))) as workdir:
        for b in args.plusk or ["target/release/plusk"]:
            summaries.append(one(b, args, workdir))
    for s in summaries:
        print(json.dumps({"summary": s}), flush=True)


if __name__ == "__main__":
    main()
