#!/usr/bin/env python3
"""Synthetic endorsement graph for bench/reputation.sh.

Generates, deterministically from --seed, a power-law endorsement graph and writes it twice:

  * an .npz edge list (topic, endorser, endorsee as int32, grouped by topic, with the offset of
    each topic's first edge) that bench/reputation_reference.py reads;
  * plusk's own SQLite database (already migrated by `plusk migrate`): users, topics and one
    'active' endorsement per edge, loaded with plain INSERTs.

The shape:
  * topic sizes follow a Zipf law (share of topic k ~ 1/k), the largest capped at 15% of the
    edges (the excess is spread over the others in proportion), so topic 1 is the largest;
  * an endorsee is drawn by popularity rank r with P(r) ~ r^-a_in, which gives in-degrees a power
    law P(k) ~ k^-(1 + 1/a_in); a_in is set for an in-degree exponent of 2.1. Endorsers are drawn
    the same way with a milder law (out-degree exponent 2.5). Each topic has its own experts: its
    ranks are mapped to users through one global shuffle, rotated by a per-topic offset;
  * no self-endorsements (the endorser is drawn again), no duplicate (endorser, endorsee, topic)
    triples (dropped, and the shortfall drawn again, a few rounds at most; the final count is
    printed);
  * created_at uniform over the 3 years before today (UTC midnight); ids follow time, as ledger
    sequence numbers would.
"""

import argparse
import datetime as dt
import json
import sqlite3
import time

import numpy as np

IN_DEGREE_EXPONENT = 2.1
OUT_DEGREE_EXPONENT = 2.5
LARGEST_TOPIC_SHARE = 0.15
TOPIC_ZIPF = 1.0
YEARS = 3
TOP_UP_ROUNDS = 8
ROWS_PER_BATCH = 250_000


def topic_sizes(edges: int, topics: int) -> np.ndarray:
    """Edges per topic, largest first: Zipf shares, capped, summing to `edges`."""
    share = 1.0 / np.arange(1, topics + 1) ** TOPIC_ZIPF
    share /= share.sum()
    cap = max(LARGEST_TOPIC_SHARE, 1.0 / topics)
    # Water-filling: clip the topics above the cap, hand their excess to the others in
    # proportion to their share; repeat while that pushes another topic over.
    while (share > cap * (1 + 1e-12)).any():
        over = share >= cap
        excess = (share[over] - cap).sum()
        share[over] = cap
        free = ~over
        share[free] += excess * share[free] / share[free].sum()
    exact = share * edges
    sizes = np.floor(exact).astype(np.int64)
    # Largest remainders get the edges lost to rounding.
    short = edges - sizes.sum()
    sizes[np.argsort(-(exact - sizes), kind="stable")[:short]] += 1
    return sizes


def power_law_ranks(rng: np.random.Generator, n: int, a: float, size: int) -> np.ndarray:
    """Ranks 0..n-1 with P(r) ~ (r + 1)^-a, by inverting the continuous CDF on [1, n + 1)."""
    b = 1.0 - a  # a < 1 here, so b > 0
    x = (1.0 + rng.random(size) * ((n + 1.0) ** b - 1.0)) ** (1.0 / b)
    return np.minimum(x.astype(np.int64) - 1, n - 1)


def draw_topic(rng, users, size, endorsee_users, endorser_users):
    """`size` distinct (endorser, endorsee) pairs of one topic, 0-based user indices."""
    a_in = 1.0 / (IN_DEGREE_EXPONENT - 1.0)
    a_out = 1.0 / (OUT_DEGREE_EXPONENT - 1.0)
    keys = np.empty(0, dtype=np.int64)  # endorser * users + endorsee, distinct
    drawn = 0
    for _ in range(TOP_UP_ROUNDS):
        want = size - keys.size
        if want <= 0:
            break
        drawn += want
        ee = endorsee_users[power_law_ranks(rng, users, a_in, want)]
        er = endorser_users[power_law_ranks(rng, users, a_out, want)]
        loops = er == ee
        while loops.any():  # self-endorsement: draw that endorser again
            er[loops] = endorser_users[power_law_ranks(rng, users, a_out, int(loops.sum()))]
            loops = er == ee
        # np.unique sorts, so the pairs lose their draw order; created_at is drawn afterwards.
        keys = np.unique(np.concatenate([keys, er.astype(np.int64) * users + ee]))
    keys = keys[:size]
    # Shuffle so a truncated last round does not favour low endorser ids.
    keys = keys[rng.permutation(keys.size)]
    return (keys // users).astype(np.int32), (keys % users).astype(np.int32), drawn


def generate(users: int, edges: int, topics: int, seed: int):
    rng = np.random.default_rng(seed)
    sizes = topic_sizes(edges, topics)
    # One shuffle of the users for popularity and one for activity; each topic rotates them.
    endorsee_order = rng.permutation(users).astype(np.int32)
    endorser_order = rng.permutation(users).astype(np.int32)
    parts_topic, parts_er, parts_ee = [], [], []
    drawn_total = 0
    for t, size in enumerate(sizes):
        shift_in, shift_out = rng.integers(users, size=2)
        er, ee, drawn = draw_topic(
            rng,
            users,
            int(size),
            np.roll(endorsee_order, -int(shift_in)),
            np.roll(endorser_order, -int(shift_out)),
        )
        drawn_total += drawn
        parts_topic.append(np.full(er.size, t + 1, dtype=np.int32))
        parts_er.append(er + 1)  # database ids start at 1
        parts_ee.append(ee + 1)
    topic = np.concatenate(parts_topic)
    endorser = np.concatenate(parts_er)
    endorsee = np.concatenate(parts_ee)
    # created_at: microseconds before today's UTC midnight, uniform over YEARS years.
    span_us = YEARS * 365 * 86_400 * 1_000_000
    age_us = rng.integers(0, span_us, size=topic.size)
    return topic, endorser, endorsee, age_us, drawn_total


def db_times(anchor: np.datetime64, age_us: np.ndarray) -> list:
    """diesel's SQLite form of NaiveDateTime ('YYYY-MM-DD HH:MM:SS.ffffff'), as Python strings.

    diesel writes the shortest fraction (%.f); it reads this fixed six-digit form the same."""
    iso = np.datetime_as_string(anchor - age_us.astype("timedelta64[us]"), unit="us")
    return np.strings.replace(iso, "T", " ").tolist()


def epoch_micros(anchor: np.datetime64, age_us: np.ndarray) -> list:
    """plusk's `Instant` form on SQLite (endorsement times): microseconds since the Unix epoch."""
    return (anchor.astype("datetime64[us]").astype(np.int64) - age_us).tolist()


def load_sqlite(path, users, topics, topic, endorser, endorsee, age_us):
    """Fills the migrated database. Nothing is created here: only rows in migrate's tables."""
    anchor = np.datetime64(dt.datetime.now(dt.timezone.utc).date(), "us")
    conn = sqlite3.connect(path, isolation_level=None)
    # Bulk-load settings for this connection only: plusk opens its own with synchronous=FULL.
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1048576")  # 1 GiB of page cache for the index inserts
    # Python's sqlite3 leaves foreign keys off (SQLite's default). The benchmark database has no
    # ledger: no endorsement holds its created entry (and, in schemas before migration 18, each
    # one's ledger_seq is its own id while the ledger table stays empty), so `plusk ledger
    # verify` would fail on it. It is for timing `reputation recompute` only.
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 0

    def insert(sql, rows):
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")

    # Users and topics exist from before the endorsement window.
    before = anchor - np.timedelta64(YEARS * 365, "D")
    rng = np.random.default_rng(0)
    for lo in range(0, users, ROWS_PER_BATCH):
        ids = np.arange(lo + 1, min(users, lo + ROWS_PER_BATCH) + 1)
        ages = rng.integers(0, 365 * 86_400 * 1_000_000, size=ids.size)
        insert(
            "INSERT INTO users (id, handle, created_at) VALUES (?, ?, ?)",
            zip(ids.tolist(), (f"user-{i}" for i in ids.tolist()), db_times(before, ages)),
        )
    insert(
        "INSERT INTO topics (id, slug, created_at) VALUES (?, ?, ?)",
        zip(
            range(1, topics + 1),
            (f"topic-{t}" for t in range(1, topics + 1)),
            db_times(before, np.zeros(topics, dtype=np.int64)),
        ),
    )
    # Endorsements in id order, which is time order (oldest first). Builds before migration 18
    # have a ledger_seq column (the id again); later ones do not.
    columns = [c[1] for c in conn.execute("PRAGMA table_info(endorsements)")]
    seq_col, seq_val = (", ledger_seq", ", ?") if "ledger_seq" in columns else ("", "")
    order = np.argsort(-age_us, kind="stable")
    for lo in range(0, order.size, ROWS_PER_BATCH):
        sel = order[lo : lo + ROWS_PER_BATCH]
        ids = np.arange(lo + 1, lo + sel.size + 1).tolist()
        insert(
            "INSERT INTO endorsements (id, endorser_id, endorsee_id, topic_id, note, status,"
            f" created_at, revoked_at, created_by{seq_col})"
            f" VALUES (?, ?, ?, ?, NULL, 'active', ?, NULL, NULL{seq_val})",
            zip(
                ids,
                endorser[sel].tolist(),
                endorsee[sel].tolist(),
                topic[sel].tolist(),
                epoch_micros(anchor, age_us[sel]),
                *([ids] if seq_col else []),
            ),
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def write_ndjson(path, topic, endorser, endorsee, age_us):
    """The graph as a history `plusk import` reads: one endorsement a line, oldest first, with
    the handles and topic slugs the database form uses."""
    anchor = np.datetime64(dt.datetime.now(dt.timezone.utc).date(), "us")
    order = np.argsort(-age_us, kind="stable")
    with open(path, "w") as f:
        for lo in range(0, order.size, ROWS_PER_BATCH):
            sel = order[lo : lo + ROWS_PER_BATCH]
            at = np.datetime_as_string(anchor - age_us[sel].astype("timedelta64[us]"), unit="us")
            for t, a, b, when in zip(
                topic[sel].tolist(), endorser[sel].tolist(), endorsee[sel].tolist(), at.tolist()
            ):
                f.write(
                    f'{{"endorser":"user-{a}","endorsee":"user-{b}","topic":"topic-{t}",'
                    f'"created_at":"{when}Z"}}\n'
                )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, required=True)
    ap.add_argument("--edges", type=int, required=True)
    ap.add_argument("--topics", type=int, required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--npz", help="edge list for the references")
    ap.add_argument("--db", help="SQLite file, already migrated by plusk")
    ap.add_argument("--ndjson", help="instead: a history for `plusk import`, oldest first")
    args = ap.parse_args()
    if args.users < 2 or args.topics < 1 or args.edges < args.topics:
        ap.error("need USERS >= 2, TOPICS >= 1 and EDGES >= TOPICS")
    if args.ndjson:
        topic, endorser, endorsee, age_us, _ = generate(
            args.users, args.edges, args.topics, args.seed
        )
        write_ndjson(args.ndjson, topic, endorser, endorsee, age_us)
        print(json.dumps({"users": args.users, "edges": int(topic.size)}))
        return
    if not (args.npz and args.db):
        ap.error("need --npz and --db, or --ndjson")

    started = time.perf_counter()
    topic, endorser, endorsee, age_us, drawn = generate(
        args.users, args.edges, args.topics, args.seed
    )
    # Grouped by topic (already so), with each topic's first edge: the references slice by it.
    topic_start = np.searchsorted(topic, np.arange(1, args.topics + 2)).astype(np.int64)
    np.savez(
        args.npz,
        topic=topic,
        endorser=endorser,
        endorsee=endorsee,
        topic_start=topic_start,
        users=np.int64(args.users),
    )
    generate_s = time.perf_counter() - started

    started = time.perf_counter()
    load_sqlite(args.db, args.users, args.topics, topic, endorser, endorsee, age_us)
    load_s = time.perf_counter() - started

    sizes = np.diff(topic_start)
    in_deg = np.bincount(endorsee, minlength=args.users + 1)
    summary = {
        "users": args.users,
        "topics": args.topics,
        "edges_requested": args.edges,
        "edges": int(topic.size),
        "duplicates_dropped": int(drawn - topic.size),
        "largest_topic_edges": int(sizes.max()),
        "largest_topic_share": round(float(sizes.max() / topic.size), 4),
        "smallest_topic_edges": int(sizes.min()),
        "max_in_degree": int(in_deg.max()),
        "users_never_endorsed": int((in_deg[1:] == 0).sum()),
        "generate_seconds": round(generate_s, 2),
        "load_seconds": round(load_s, 2),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
