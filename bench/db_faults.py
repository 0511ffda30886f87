#!/usr/bin/env python3
"""Database faults: what plusk answers while its database is gone, full or read-only, and that
it recovers by itself and loses nothing.

    bench/db_faults.py [--only postgres|disk-full|read-only] [--bin PATH]

postgres   `plusk serve` on PostgreSQL under 8 writers and 8 readers; the PostgreSQL cluster
           is stopped for 4 s and started again (`pg_ctlcluster`). While it is down every
           answer must be a 503 problem+json with code `database_unavailable` and nothing
           about the database in it, and come within the pool timeout (2 s here) plus a
           margin; no 500s at any time. Once PostgreSQL is back, writes must succeed again
           within 15 s without restarting plusk. Every 201 is then in the database and
           `ledger verify` is ok. THIS RESTARTS THE MACHINE'S POSTGRESQL.
disk-full  SQLite on a 4 MB tmpfs: writes with long notes until the disk is full. The answer
           must be a clear 507 problem (`storage_full`), reads keep working, and after the
           tmpfs grows, writes work again without a restart; the ledger verifies.
read-only  SQLite on a tmpfs remounted read-only (a volume cannot be remounted under an open
           writer, so plusk is restarted on it): `plusk serve` refuses to start with a clear
           error naming the read-only file system, nothing changes, and after the remount
           read-write it starts, writes work and the ledger verifies.

Needs root (mount, pg_ctlcluster), python3 and psql. Exit status 0 when every check passed.
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crash import Backend, Plusk, request  # noqa: E402  (same folder, shared helpers)

POOL_TIMEOUT = 2
MARGIN = 1.5


def log(msg):
    print(msg, flush=True)


def problem(raw):
    try:
        return json.loads(raw)
    except ValueError:
        return {}


class Traffic:
    """Writers and readers hammering a server; every answer is recorded with its latency."""

    def __init__(self, port, key, prefix, writers=8, readers=8, note=None):
        self.port, self.key, self.prefix, self.note = port, key, prefix, note
        self.stop = threading.Event()
        self.answers = []  # (time, kind, status, seconds, body)
        self.acked = []
        self.threads = [threading.Thread(target=self.write, args=(i,)) for i in range(writers)]
        self.threads += [threading.Thread(target=self.read) for _ in range(readers)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join()

    def record(self, kind, fn):
        started = time.time()
        try:
            status, raw = fn()
        except OSError as e:
            status, raw = 0, str(e).encode()
        self.answers.append((started, kind, status, time.time() - started, raw))
        return status, raw

    def write(self, w):
        i = 0
        while not self.stop.is_set():
            body = {"endorser": f"{self.prefix}w{w}n{i}", "endorsee": f"star{i % 20}", "topic": "faults"}
            if self.note:
                body["note"] = self.note
            i += 1
            status, raw = self.record("write", lambda: request(self.port, "POST", "/v1/endorsements",
                                                               self.key, body, timeout=30))
            if status == 201:
                self.acked.append(json.loads(raw)["id"])
            time.sleep(0.01)

    def read(self):
        while not self.stop.is_set():
            self.record("read", lambda: request(self.port, "GET", "/v1/endorsements?limit=5",
                                                self.key, timeout=30))
            time.sleep(0.01)

    def between(self, t0, t1):
        return [a for a in self.answers if t0 <= a[0] <= t1]


def check_answers(answers, allowed_codes, what):
    """No 5xx but the allowed problems, no internals in bodies, every answer quick."""
    bad = []
    for _, kind, status, secs, raw in answers:
        body = problem(raw)
        if status in (200, 201):
            continue
        if status == 0:
            bad.append(f"{kind}: connection error {raw[:100]!r}")
        elif body.get("code") not in allowed_codes:
            bad.append(f"{kind}: {status} {raw[:200]!r}")
        elif re.search(rb"diesel|postgres|sqlite|connection|/tmp|\.db", raw, re.I):
            bad.append(f"{kind}: internals in the body {raw[:200]!r}")
        if secs > POOL_TIMEOUT + MARGIN and status != 201:
            bad.append(f"{kind}: {status} took {secs:.1f}s")
    assert not bad, f"{what}: {len(bad)} bad answers, e.g.\n  " + "\n  ".join(bad[:5])


def pg_cluster():
    version = sorted(os.listdir("/etc/postgresql"))[0]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]


def postgres_restart(binary):
    log("== PostgreSQL stopped for 4 s under load")
    with tempfile.TemporaryDirectory() as workdir:
        backend = Backend("postgres", workdir)
        plusk = Plusk(binary, backend)
        plusk.run("migrate")
        key = plusk.run("keys", "create", "--name", "faults", "--role", "app").stdout.split()[-1]
        os.environ["PLUSK_POOL_TIMEOUT_SECS"] = str(POOL_TIMEOUT)
        proc, port = plusk.serve()
        try:
            traffic = Traffic(port, key, "pg").start()
            time.sleep(2)
            down = time.time()
            subprocess.run(pg_cluster() + ["stop", "-m", "fast"], check=True)
            time.sleep(4)
            subprocess.run(pg_cluster() + ["start"], check=True)
            up = time.time()
            # Recovery: the first 201 after PostgreSQL is back.
            deadline = up + 15
            recovered = None
            while time.time() < deadline and recovered is None:
                time.sleep(0.2)
                ok = [a for a in traffic.between(up, time.time()) if a[2] == 201]
                recovered = ok[0][0] if ok else None
            time.sleep(1)
            traffic.finish()
        finally:
            proc.kill()
            proc.wait()
        during = traffic.between(down, up)
        outage = [a for a in during if a[2] not in (200, 201)]
        check_answers(traffic.answers, {"database_unavailable"}, "PostgreSQL restart")
        assert outage, "no request noticed the outage"
        assert recovered is not None, "plusk did not recover within 15 s of PostgreSQL coming back"
        ids = {int(r[0]) for r in backend.query("SELECT id FROM endorsements")}
        lost = [i for i in traffic.acked if i not in ids]
        assert not lost, f"{len(lost)} acknowledged endorsements lost"
        plusk.verify()
        worst = max(a[3] for a in outage)
        log(f"  {len(traffic.answers)} requests; during the outage {len(outage)} answered 503 "
            f"database_unavailable, slowest {worst:.2f}s; first 201 {recovered - up:.1f}s after "
            f"PostgreSQL was back; {len(traffic.acked)} acknowledged writes all kept; ledger ok")


def tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path], check=True)


def remount(path, opts):
    subprocess.run(["mount", "-o", f"remount,{opts}", path], check=True)


def sqlite_on_tmpfs(binary, size, name):
    mnt = tempfile.mkdtemp(prefix=f"plusk-{name}-")
    tmpfs(mnt, size)
    backend = Backend("sqlite", mnt)
    plusk = Plusk(binary, backend)
    plusk.run("migrate")
    key = plusk.run("keys", "create", "--name", "faults", "--role", "app").stdout.split()[-1]
    return mnt, backend, plusk, key


def wait_for(traffic, since, status, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if any(a[2] == status for a in traffic.between(since, time.time())):
            return True
        time.sleep(0.2)
    return False


def disk_full(binary):
    log("== SQLite on a full disk")
    mnt, backend, plusk, key = sqlite_on_tmpfs(binary, "4m", "full")
    proc, port = plusk.serve()
    try:
        traffic = Traffic(port, key, "full", writers=4, readers=2, note="x" * 480).start()
        assert wait_for(traffic, 0, 507, 120), "the disk never filled"
        full_at = time.time()
        time.sleep(2)
        reads_ok = [a for a in traffic.between(full_at, time.time()) if a[1] == "read" and a[2] == 200]
        remount(mnt, "size=64m")
        grown = time.time()
        recovered = wait_for(traffic, grown, 201, 15)
        traffic.finish()
    finally:
        proc.kill()
        proc.wait()
    try:
        check_answers(traffic.answers, {"storage_full", "database_unavailable"}, "disk full")
        assert reads_ok, "reads stopped while the disk was full"
        assert recovered, "writes did not resume after the disk grew"
        ids = {int(r[0]) for r in backend.query("SELECT id FROM endorsements")}
        assert all(i in ids for i in traffic.acked), "an acknowledged endorsement was lost"
        plusk.verify()
        full = sum(1 for a in traffic.answers if a[2] == 507)
        log(f"  {len(traffic.acked)} writes acknowledged, {full} answered 507 storage_full, "
            f"{len(reads_ok)} reads served while full; writes resumed after the disk grew; ledger ok")
    finally:
        subprocess.run(["umount", mnt], check=False)


def read_only(binary):
    log("== SQLite on a read-only file system")
    mnt, backend, plusk, key = sqlite_on_tmpfs(binary, "64m", "ro")
    try:
        proc, port = plusk.serve()
        traffic = Traffic(port, key, "ro", writers=2, readers=1).start()
        time.sleep(1)
        traffic.finish()
        proc.kill()
        proc.wait()
        before = backend.scalar("SELECT count(*) FROM endorsements")
        # A file system cannot be remounted read-only under an open writer, so the fault is
        # a server (re)started on a read-only volume, as after a botched deploy.
        remount(mnt, "ro")
        started = plusk.spawn("serve", "--bind", "127.0.0.1:0")
        try:
            code = started.wait(timeout=30)
        except subprocess.TimeoutExpired:
            started.kill()
            raise AssertionError("plusk served a database it cannot write")
        err = started.stderr.read()
        assert code == 2 and "plusk: error:" in err and "read-only" in err, f"{code}: {err}"
        remount(mnt, "rw")
        assert backend.scalar("SELECT count(*) FROM endorsements") == before
        plusk.verify()
        proc, port = plusk.serve()
        status, raw = request(port, "POST", "/v1/endorsements", key,
                              {"endorser": "after", "endorsee": "ro", "topic": "faults"})
        proc.kill()
        proc.wait()
        assert status == 201, f"{status} {raw[:200]!r}"
        plusk.verify()
        log(f"  start on a read-only volume: exit {code}, `{err.strip().splitlines()[-1]}`; "
            f"after remount read-write: {before} endorsements intact, writes work, ledger ok")
    finally:
        subprocess.run(["umount", mnt], check=False)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", choices=["postgres", "disk-full", "read-only"])
    p.add_argument("--bin", default="target/release/plusk")
    args = p.parse_args()
    binary = os.path.abspath(args.bin)
    steps = {"postgres": postgres_restart, "disk-full": disk_full, "read-only": read_only}
    for name, step in steps.items():
        if args.only in (None, name):
            step(binary)
    log("database faults: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
