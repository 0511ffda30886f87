#!/usr/bin/env python3
"""Crash safety: SIGKILL plusk in the middle of work, restart it, and check that nothing it
acknowledged was lost and that the ledger still verifies.

    bench/crash.py [--backend sqlite|postgres|both] [--rounds N] [--bin PATH] [--seed S]
                   [--import-lines N] [--batch N]

Per backend, on one fresh database kept across the rounds:

  serve   N rounds: start `plusk serve`, 16 threads POST endorsements (each a new triple),
          SIGKILL the server after a random 0.3-1.5 s, restart it, then check that every
          endorsement answered 201 before the kill is there with the same endorser, endorsee
          and topic, that every endorsement row has its ledger entry, and that
          `plusk ledger verify` is ok.
  import  SIGKILL `plusk import` of a 30,000-line file (--import-lines) part way: the batches committed before
          the kill are whole (the count is a multiple of the batch size), the ledger verifies,
          and a second import of the same file completes the rest.
  recompute  SIGKILL `plusk reputation recompute` part way, then recompute again: the ledger
          verifies, each topic has at most one current run, and every leaderboard answers.

Needs python3 (standard library only), psql for PostgreSQL, and the plusk binary (default
target/release/plusk; build it first). PostgreSQL: PLUSK_CRASH_POSTGRES (default
postgres://postgres@127.0.0.1:5432), a database plusk_crash is dropped and created.
Exit status 0 when every check passed. CI runs `--rounds 3 --import-lines 4000 --batch 100`
on both backends with the debug binary.
"""

import argparse
import http.client
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

WRITERS = 16


def log(msg):
    print(msg, flush=True)


class Backend:
    def __init__(self, kind, workdir):
        self.kind = kind
        if kind == "sqlite":
            self.path = os.path.join(workdir, "crash.db")
            self.url = f"sqlite://{self.path}"
        else:
            base = os.environ.get("PLUSK_CRASH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
            psql(base + "/postgres", "DROP DATABASE IF EXISTS plusk_crash")
            psql(base + "/postgres", "CREATE DATABASE plusk_crash")
            self.url = base + "/plusk_crash"

    def query(self, sql):
        """Rows of a read-only query, as lists of strings."""
        if self.kind == "sqlite":
            con = sqlite3.connect(self.path, timeout=30)
            try:
                return [[str(v) for v in row] for row in con.execute(sql).fetchall()]
            finally:
                con.close()
        out = subprocess.run(
            ["psql", self.url, "-At", "-F", "\t", "-c", sql],
            check=True, capture_output=True, text=True,
        ).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def scalar(self, sql):
        return int(self.query(sql)[0][0])


def psql(url, sql):
    subprocess.run(["psql", url, "-qc", sql], check=True, capture_output=True)


class Plusk:
    def __init__(self, binary, backend):
        self.bin = binary
        self.backend = backend

    def env(self):
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": self.backend.url,
            "PLUSK_DAILY_BUDGET": "0",
            "PLUSK_RATE_WRITE_PER_SEC": "0",
            "PLUSK_RATE_READ_PER_SEC": "0",
            "RUST_LOG": "warn,plusk::cli::serve=info",
        })
        return env

    def run(self, *args, check=True):
        return subprocess.run([self.bin, *args], env=self.env(), check=check,
                              capture_output=True, text=True)

    def spawn(self, *args):
        return subprocess.Popen([self.bin, *args], env=self.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def serve(self):
        """Starts `plusk serve` on a free port; returns (process, port)."""
        proc = self.spawn("serve", "--bind", "127.0.0.1:0")
        deadline = time.time() + 60
        while time.time() < deadline:
            line = proc.stderr.readline()
            if not line:
                raise SystemExit(f"serve exited: {proc.wait()}")
            m = re.search(r"port=(\d+)", line)
            if m:
                threading.Thread(target=proc.stderr.read, daemon=True).start()
                return proc, int(m.group(1))
        raise SystemExit("serve did not report its port")

    def verify(self):
        out = self.run("ledger", "verify", check=False)
        verdict = json.loads(out.stdout.strip().splitlines()[-1])
        if out.returncode != 0 or not verdict.get("ok"):
            raise AssertionError(f"ledger verify: {out.stdout} {out.stderr}")
        return verdict


def request(port, method, path, key, body=None, timeout=10):
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


def writer(port, key, round_no, thread_no, acked, stop):
    """Endorses until the server dies; records every 201."""
    i = 0
    while not stop.is_set():
        triple = (f"r{round_no}w{thread_no}n{i}", f"star{i % 50}", f"topic{i % 7}")
        i += 1
        body = {"endorser": triple[0], "endorsee": triple[1], "topic": triple[2]}
        try:
            status, raw = request(port, "POST", "/v1/endorsements", key, body, timeout=5)
        except OSError:
            return  # the server is gone: this request's outcome is unknown, and not counted
        if status == 201:
            acked.append((json.loads(raw)["id"], triple))
        elif status >= 500:
            # A 503 while the server dies is allowed; it acknowledges nothing.
            continue
        else:
            raise AssertionError(f"unexpected {status}: {raw[:200]!r}")


def check_no_orphans(backend):
    orphans = backend.scalar(
        "SELECT count(*) FROM endorsements e WHERE e.entry_hash IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.seq = e.id)")
    assert orphans == 0, f"{orphans} endorsements without a ledger entry"


def serve_rounds(plusk, backend, key, rounds):
    total = 0
    for r in range(rounds):
        proc, port = plusk.serve()
        acked, stop = [], threading.Event()
        threads = [threading.Thread(target=writer, args=(port, key, r, t, acked, stop))
                   for t in range(WRITERS)]
        for t in threads:
            t.start()
        time.sleep(random.uniform(0.3, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stop.set()
        for t in threads:
            t.join()
        killed_after = len(acked)

        rows = {int(r[0]): tuple(r[1:]) for r in backend.query(
            "SELECT e.id, u.handle, v.handle, t.slug FROM endorsements e "
            "JOIN users u ON u.id = e.endorser_id JOIN users v ON v.id = e.endorsee_id "
            "JOIN topics t ON t.id = e.topic_id "
            f"WHERE u.handle LIKE 'r{r}w%'")}
        lost = [(i, t) for i, t in acked if rows.get(i) != t]
        assert not lost, f"round {r}: {len(lost)} acknowledged endorsements lost, e.g. {lost[:3]}"
        check_no_orphans(backend)
        plusk.verify()
        total += killed_after
        log(f"  serve round {r + 1}/{rounds}: {killed_after} acknowledged before SIGKILL, "
            f"{len(rows)} stored (unacknowledged ones may or may not be), none lost, ledger ok")
    return total


def import_round(plusk, backend, workdir, lines, batch):
    path = os.path.join(workdir, "import.ndjson")
    with open(path, "w") as f:
        for i in range(lines):
            f.write(json.dumps({"endorser": f"imp{i}", "endorsee": f"celeb{i % 100}",
                                "topic": f"imported{i % 5}",
                                "created_at": "2024-01-01T00:00:00Z"}) + "\n")
    before = backend.scalar("SELECT count(*) FROM endorsements")
    proc = plusk.spawn("import", path, "--no-budget", "--batch-size", str(batch))
    # Kill once a few batches are in, well before the end.
    deadline = time.time() + 120
    while time.time() < deadline:
        done = backend.scalar("SELECT count(*) FROM endorsements") - before
        if done >= 3 * batch or proc.poll() is not None:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "import finished before it could be killed; make the file larger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    imported = backend.scalar("SELECT count(*) FROM endorsements") - before
    assert imported % batch == 0, f"a batch was half committed: {imported} rows"
    assert imported < lines, "nothing to resume"
    check_no_orphans(backend)
    plusk.verify()
    second = plusk.run("import", path, "--no-budget", "--batch-size", str(batch), check=False)
    total = backend.scalar("SELECT count(*) FROM endorsements") - before
    assert total == lines, f"after the second import: {total} of {lines}"
    plusk.verify()
    log(f"  import: SIGKILL after {imported} of {lines} lines (whole batches of {batch}); "
        f"the rerun added the rest ({second.stdout.strip()}); ledger ok")


def recompute_round(plusk, backend):
    # Kill while a new run is being written (a run neither current nor kept as a snapshot),
    # the moment that matters; a random moment if that is never seen.
    writing = ("SELECT count(*) FROM reputation_runs WHERE NOT is_current AND NOT is_snapshot"
               if backend.kind == "postgres" else
               "SELECT count(*) FROM reputation_runs WHERE is_current = 0 AND is_snapshot = 0")
    proc = plusk.spawn("reputation", "recompute")
    deadline = time.time() + 5
    caught = False
    while proc.poll() is None and not caught:
        caught = backend.scalar(writing) > 0
        if not caught and time.time() > deadline and proc.poll() is None:
            break
    finished = proc.poll() is not None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # The process may still finish the run between the look and the kill, so a half-written
    # run is counted, not required.
    leftover = backend.scalar(writing)
    out = plusk.run("reputation", "recompute")
    report = json.loads(out.stdout.strip().splitlines()[-1])
    doubles = backend.query(
        "SELECT topic_id, count(*) FROM reputation_runs WHERE is_current "
        "GROUP BY topic_id HAVING count(*) > 1" if backend.kind == "postgres" else
        "SELECT topic_id, count(*) FROM reputation_runs WHERE is_current = 1 "
        "GROUP BY topic_id HAVING count(*) > 1")
    assert not doubles, f"topics with two current runs: {doubles}"
    plusk.verify()
    proc, port = plusk.serve()
    try:
        key = plusk.run("keys", "create", "--name", f"analyst{random.randrange(10**9)}",
                        "--role", "analyst").stdout.strip().splitlines()[-1]
        slugs = [r[0] for r in backend.query("SELECT slug FROM topics")]
        for slug in slugs:
            status, raw = request(port, "GET", f"/v1/topics/{slug}/leaderboard?limit=5", key)
            assert status == 200, f"leaderboard {slug}: {status} {raw[:200]!r}"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    state = ("while a run was being written" if caught else
             "after it had finished" if finished else "part way")
    log(f"  recompute: SIGKILL {state}, then a full recompute ({report['topics']} topics, "
        f"{report['scores']} scores; {leftover} half-written run(s) left aside); one current "
        f"run per topic, {len(slugs)} leaderboards "
        f"answer, ledger ok")


def run_backend(kind, binary, args):
    log(f"== {kind}")
    with tempfile.TemporaryDirectory() as workdir:
        backend = Backend(kind, workdir)
        plusk = Plusk(binary, backend)
        plusk.run("migrate")
        key = plusk.run("keys", "create", "--name", "crash", "--role", "app").stdout.strip().splitlines()[-1]
        acked = serve_rounds(plusk, backend, key, args.rounds)
        import_round(plusk, backend, workdir, args.import_lines, args.batch)
        recompute_round(plusk, backend)
        log(f"{kind}: ok ({args.rounds} SIGKILL rounds, {acked} acknowledged writes all kept; "
            f"import and recompute killed and recovered)")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--bin", default="target/release/plusk")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--import-lines", type=int, default=30_000)
    p.add_argument("--batch", type=int, default=500, help="import batch size")
    args = p.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    random.seed(seed)
    log(f"crash safety: seed {seed}, {args.rounds} rounds, {args.bin}")
    kinds = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for kind in kinds:
        run_backend(kind, os.path.abspath(args.bin), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
