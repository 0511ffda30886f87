#!/usr/bin/env python3
"""Do endorsement writes wait while a full recompute writes the scores of many small topics?

Issue 18, item 3: 50,001 topics made a full recompute of 48 s on SQLite, during which writes
waited up to 10 s and one got `503 database is locked`. This script makes N topics of one
endorsement each with `plusk import --bulk` (SQLite, a temporary directory), starts
`plusk serve`, and forces a full recompute (`POST /v1/reputation/recompute`) while one client
writes endorsements one after another. It prints the recompute's report (its write
transactions and the longest of them), and the writes' count, failures, p50, p99 and max.

    python3 bench/topics_lockout.py [--topics 50001] [--plusk target/release/plusk ...]

Several `--plusk` binaries are run one after another on the same file, side by side.
"""

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time


def request(port, method, path, key, body=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Authorization": f"Bearer {key}"}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        res = conn.getresponse()
        return res.status, res.read()
    finally:
        conn.close()


def run(binary, env, *args):
    out = subprocess.run([binary, *args], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{binary} {' '.join(args)}: {out.stderr[-2000:]}")
    return out.stdout


def serve(binary, env):
    proc = subprocess.Popen([binary, "serve", "--bind", "127.0.0.1:0"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        line = proc.stderr.readline()
        if not line:
            sys.exit(f"serve exited: {proc.wait()}")
        m = re.search(r"port=(\d+)", line)
        if m:
            threading.Thread(target=proc.stderr.read, daemon=True).start()
            return proc, int(m.group(1))
    sys.exit("serve did not report its port")


def remove_db(path):
    """Deletes a SQLite file with its WAL and shared-memory files: a WAL left beside a reused
    name would be replayed into the next database of that name."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def pct(sorted_ms, p):
    if not sorted_ms:
        return float("nan")
    return sorted_ms[min(len(sorted_ms) - 1, int(p / 100 * len(sorted_ms)))]


def one(binary, history, workdir):
    db = os.path.join(workdir, f"{os.path.basename(binary)}-{time.time_ns()}.db")
    env = dict(os.environ, DATABASE_URL=f"sqlite://{db}", PLUSK_DAILY_BUDGET="0",
               PLUSK_RATE_WRITE_PER_SEC="0", PLUSK_RATE_READ_PER_SEC="0",
               # No scheduled recompute but the one at start, which the forced one queues behind.
               PLUSK_REPUTATION_EVERY_MINS="10080", RUST_LOG="warn,plusk::cli::serve=info")
    run(binary, env, "migrate")
    run(binary, env, "import", "--no-budget", "--detection", "off", "--bulk", history)
    admin = run(binary, env, "keys", "create", "--name", "bench-admin", "--role", "admin")
    admin = admin.strip().splitlines()[-1]
    app = run(binary, env, "keys", "create", "--name", "bench-app", "--role", "app")
    app = app.strip().splitlines()[-1]
    proc, port = serve(binary, env)
    try:
        done = threading.Event()
        report = {}

        def recompute():
            started = time.time()
            status, raw = request(port, "POST", "/v1/reputation/recompute", admin, {}, 3600)
            report.update(json.loads(raw) if status == 200 else {"status": status})
            report["wall_seconds"] = round(time.time() - started, 2)
            done.set()

        t = threading.Thread(target=recompute)
        t.start()
        latencies, failures, i = [], {}, 0
        while not done.is_set():
            body = {"endorser": f"w{i}", "endorsee": f"star{i % 97}", "topic": "live"}
            i += 1
            started = time.time()
            status, raw = request(port, "POST", "/v1/endorsements", app, body)
            latencies.append((time.time() - started) * 1e3)
            if status != 201:
                failures[status] = failures.get(status, 0) + 1
        t.join()
    finally:
        proc.terminate()
        proc.wait()
    ms = sorted(latencies)
    return {
        "binary": binary,
        "recompute": {k: report.get(k) for k in
                      ("topics", "write_transactions", "longest_write_ms", "load_seconds", "compute_seconds", "store_seconds",
                       "seconds", "wall_seconds", "status")},
        "writes": len(ms),
        "failures": failures,
        "p50_ms": round(pct(ms, 50), 1),
        "p99_ms": round(pct(ms, 99), 1),
        "max_ms": round(ms[-1], 1) if ms else None,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--topics", type=int, default=50_001)
    p.add_argument("--plusk", action="append", help="binary to measure (repeatable)")
    args = p.parse_args()
    binaries = args.plusk or ["target/release/plusk"]
    with tempfile.TemporaryDirectory() as workdir:
        history = os.path.join(workdir, "topics.ndjson")
        with open(history, "w") as f:
            for t in range(args.topics):
                f.write(json.dumps({"endorser": f"u{t}", "endorsee": f"v{t}",
                                    "topic": f"t{t}", "created_at": "2026-11-01T00:00:00Z"}))
                f.write("\n")
        for b in binaries:
            print(json.dumps(one(b, history, workdir)), flush=True)


if __name__ == "__main__":
    main()
