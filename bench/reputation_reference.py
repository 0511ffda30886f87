#!/usr/bin/env python3
"""Reference PageRank runs and the correctness check for bench/reputation.sh.

  reputation_reference.py igraph   --npz G.npz               # every topic, python-igraph (prpack)
  reputation_reference.py networkx --npz G.npz [--topics K]  # the first (largest) K topics
  reputation_reference.py check    --npz G.npz --db D [--top 3]

igraph and networkx each run in a process of their own, so the caller can measure its peak RSS
with /usr/bin/time. Each prints one JSON line:
  load_seconds     reading the .npz
  build_seconds    making the graph objects (per topic; included in the sum below)
  build_compute_seconds   graph objects + PageRank, summed over topics
  compute_seconds  the PageRank calls alone

Both compute what plusk computes with --half-life-days 0 and no seeds: per topic, PageRank on
the directed graph of that topic's endorsements, damping 0.85, teleport uniform over the users
that appear in the topic, dangling users' score spread like the teleport.
"""

import argparse
import json
import sqlite3
import sys
import time

import numpy as np

DAMPING = 0.85
TOLERANCE = 1e-10  # plusk's: stop when the L1 change is below this
MAX_ITERATIONS = 200


def load(path):
    g = np.load(path)
    return g["endorser"], g["endorsee"], g["topic_start"]


def topic_slices(topic_start, limit=None):
    """(topic id, start, end) of each topic, largest first (topic 1 is the largest)."""
    count = len(topic_start) - 1 if limit is None else min(limit, len(topic_start) - 1)
    return [(t + 1, int(topic_start[t]), int(topic_start[t + 1])) for t in range(count)]


def igraph_pagerank(src, dst):
    """PageRank of one topic with igraph; returns (global user ids, scores, build s, compute s)."""
    import igraph as ig

    started = time.perf_counter()
    # Compact ids 0..n-1 over the users of this topic, as igraph counts every vertex.
    users, compact = np.unique(np.concatenate([src, dst]), return_inverse=True)
    m = src.size
    edges = list(zip(compact[:m].tolist(), compact[m:].tolist()))
    g = ig.Graph(n=users.size, edges=edges, directed=True)
    built = time.perf_counter()
    scores = g.pagerank(directed=True, damping=DAMPING, implementation="prpack")
    done = time.perf_counter()
    return users, np.asarray(scores), built - started, done - built


def run_igraph(args):
    started = time.perf_counter()
    endorser, endorsee, topic_start = load(args.npz)
    load_s = time.perf_counter() - started
    build_s = compute_s = 0.0
    edges = 0
    slices = topic_slices(topic_start)
    for _, a, b in slices:
        _, _, build, compute = igraph_pagerank(endorser[a:b], endorsee[a:b])
        build_s += build
        compute_s += compute
        edges += b - a
    report("igraph", len(slices), edges, int(topic_start[-1]), load_s, build_s, compute_s)


def run_networkx(args):
    import networkx as nx

    started = time.perf_counter()
    endorser, endorsee, topic_start = load(args.npz)
    load_s = time.perf_counter() - started
    build_s = compute_s = 0.0
    edges = 0
    slices = topic_slices(topic_start, args.topics)
    for _, a, b in slices:
        t0 = time.perf_counter()
        g = nx.DiGraph()
        g.add_edges_from(zip(endorser[a:b].tolist(), endorsee[a:b].tolist()))
        t1 = time.perf_counter()
        # networkx stops when the L1 change is below N * tol: tol = 1e-10 / N is plusk's test.
        nx.pagerank(g, alpha=DAMPING, tol=TOLERANCE / len(g), max_iter=MAX_ITERATIONS)
        t2 = time.perf_counter()
        build_s += t1 - t0
        compute_s += t2 - t1
        edges += b - a
        del g
    report("networkx", len(slices), edges, int(topic_start[-1]), load_s, build_s, compute_s)


def report(tool, topics, edges, all_edges, load_s, build_s, compute_s):
    print(
        json.dumps(
            {
                "tool": tool,
                "topics": topics,
                "edges": edges,
                "all_edges": all_edges,
                "load_seconds": round(load_s, 3),
                "build_seconds": round(build_s, 3),
                "build_compute_seconds": round(build_s + compute_s, 3),
                "compute_seconds": round(compute_s, 3),
            }
        )
    )


def current_raw(conn, topic):
    """(user, raw) of a topic's current run, by user: from the JSON parts plusk stores scores in,
    or from the one-row-per-user table of builds before them."""
    parts = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE name = 'reputation_parts'"
    ).fetchone()[0]
    if not parts:
        return conn.execute(
            "SELECT s.user_id, s.raw FROM reputation_scores s"
            " JOIN reputation_runs r ON r.id = s.run_id"
            " WHERE r.is_current = 1 AND r.topic_id = ? ORDER BY s.user_id",
            (topic,),
        ).fetchall()
    rows = []
    for (entries,) in conn.execute(
        "SELECT p.entries FROM reputation_parts p JOIN reputation_runs r ON r.id = p.run_id"
        " WHERE r.is_current = 1 AND r.topic_id = ? AND p.by_rank = 1",
        (topic,),
    ):
        rows.extend((e[0], e[1]) for e in json.loads(entries))
    return sorted(rows)


def run_check(args):
    """plusk's stored raw scores against igraph's, for the largest topics."""
    endorser, endorsee, topic_start = load(args.npz)
    conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    worst = 0.0
    for topic, a, b in topic_slices(topic_start, args.top):
        users, expected, _, _ = igraph_pagerank(endorser[a:b], endorsee[a:b])
        rows = current_raw(conn, topic)
        got_users = np.array([r[0] for r in rows], dtype=np.int64)
        got = np.array([r[1] for r in rows])
        if not np.array_equal(got_users, users):
            print(
                f"check topic-{topic}: plusk scored {got_users.size} users, igraph "
                f"{users.size}: the user sets differ"
            )
            worst = float("inf")
            continue
        diff = np.abs(got - expected)
        i = int(diff.argmax())
        worst = max(worst, float(diff[i]))
        print(
            f"check topic-{topic}: {b - a} edges, {users.size} users, max |plusk - igraph| = "
            f"{diff[i]:.3e} (user {users[i]}: {got[i]:.6e} vs {expected[i]:.6e}), "
            f"sum plusk = {got.sum():.12f}"
        )
    ok = worst < args.max_diff
    print(f"check: max abs difference {worst:.3e} ({'OK' if ok else 'FAIL'}: limit {args.max_diff:g})")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("igraph")
    p.add_argument("--npz", required=True)
    p = sub.add_parser("networkx")
    p.add_argument("--npz", required=True)
    p.add_argument("--topics", type=int, default=None, help="only the first (largest) K topics")
    p = sub.add_parser("check")
    p.add_argument("--npz", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--top", type=int, default=3)
    p.add_argument("--max-diff", type=float, default=1e-6)
    args = ap.parse_args()
    if args.command == "igraph":
        run_igraph(args)
    elif args.command == "networkx":
        run_networkx(args)
    else:
        sys.exit(run_check(args))


if __name__ == "__main__":
    main()
