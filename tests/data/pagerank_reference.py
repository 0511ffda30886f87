#!/usr/bin/env python3
"""Generate PageRank reference fixtures (tests/data/pagerank-reference.json).

Semantics of every fixture (what the Rust implementation must reproduce):

  * The graph is directed and unweighted: an edge u -> v means "u endorses v".
    Each node's rank is split evenly over its out-edges (row-normalised).
  * The personalisation distribution p is uniform over the case's "seeds", or
    uniform over all nodes that appear in the edges when "seeds" is null.
  * Dangling nodes (no out-edges) pass their whole mass to p.
  * Teleport: each step, (1 - damping) of the total mass is redistributed by p.

  i.e.  x'[v] = damping * (sum_{u->v} x[u] / outdeg(u) + dangling_mass * p[v])
                + (1 - damping) * p[v]

"expected" is networkx.pagerank(G, alpha=damping, personalization=p,
tol=1e-13, max_iter=100000, weight=None) on an nx.DiGraph holding exactly the
nodes that appear in the edges.  The script cross-checks every case against
the small power iteration below (max abs difference < 1e-9).

Regenerate (deterministic, fixed seed):  python3 tests/data/pagerank_reference.py
"""

import json
import os
import random
import re

import networkx as nx

RNG_SEED = 20240611
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pagerank-reference.json")


def h(i):
    """Handle for node i (1-based): u01, u02, ..., u40."""
    return "u%02d" % i


# --- hand-made graphs --------------------------------------------------------

def cycle(n):
    return [(h(i), h(i % n + 1)) for i in range(1, n + 1)]


def chain(n):
    return [(h(i), h(i + 1)) for i in range(1, n)]


def star_in(leaves):
    # u01 is the centre, every leaf endorses it (the centre is dangling)
    return [(h(i), h(1)) for i in range(2, leaves + 2)]


def star_out(leaves):
    # the centre endorses every leaf (all leaves are dangling)
    return [(h(1), h(i)) for i in range(2, leaves + 2)]


def two_components():
    # a 3-cycle u01..u03 plus a separate component u04 -> u05 -> u06 -> u04, u06 -> u07
    return cycle(3) + [(h(4), h(5)), (h(5), h(6)), (h(6), h(4)), (h(6), h(7))]


# --- random graphs -----------------------------------------------------------

def random_digraph(rng, n, prob, n_dangling, lo=30, hi=110):
    """Random digraph on u01..uNN; n_dangling nodes have no out-edges.

    Retries until every node appears in some edge and the edge count is in
    [lo, hi].  Returns (edges, dangling_handles).
    """
    while True:
        dangling = set(rng.sample(range(1, n + 1), n_dangling))
        edges = [(h(u), h(v))
                 for u in range(1, n + 1) if u not in dangling
                 for v in range(1, n + 1) if v != u and rng.random() < prob]
        seen = {x for e in edges for x in e}
        if len(seen) == n and lo <= len(edges) <= hi:
            return edges, sorted(h(d) for d in dangling)


def drop_in_edges(edges, node):
    return [(u, v) for (u, v) in edges if v != node]


# --- reference computations -------------------------------------------------

def personalisation(nodes, seeds):
    chosen = seeds if seeds is not None else nodes
    return {v: (1.0 / len(chosen) if v in chosen else 0.0) for v in nodes}


def networkx_pagerank(edges, damping, seeds):
    g = nx.DiGraph()
    g.add_nodes_from(sorted({x for e in edges for x in e}))
    g.add_edges_from(edges)
    p = None if seeds is None else {s: 1.0 for s in seeds}
    return nx.pagerank(g, alpha=damping, personalization=p,
                       tol=1e-13, max_iter=100000, weight=None)


def power_iteration(edges, damping, seeds, tol=1e-15, max_iter=1000000):
    """Independent pure-Python PageRank with the semantics described above."""
    nodes = sorted({x for e in edges for x in e})
    out = {v: [] for v in nodes}
    for u, v in edges:
        out[u].append(v)
    p = personalisation(nodes, seeds)
    x = dict(p)
    for _ in range(max_iter):
        dangling_mass = sum(x[v] for v in nodes if not out[v])
        nxt = {v: (damping * dangling_mass + (1.0 - damping)) * p[v] for v in nodes}
        for u in nodes:
            for v in out[u]:
                nxt[v] += damping * x[u] / len(out[u])
        diff = sum(abs(nxt[v] - x[v]) for v in nodes)
        x = nxt
        if diff < tol:
            return x
    raise RuntimeError("power iteration did not converge")


# --- cases -------------------------------------------------------------------

def build_cases():
    rng = random.Random(RNG_SEED)
    cases = [
        ("cycle-3", 0.85, cycle(3), None),
        ("chain-5-dangling-tail", 0.85, chain(5), None),
        ("star-6-leaves-to-centre", 0.85, star_in(6), None),
        ("star-centre-to-6-leaves", 0.85, star_out(6), None),
        ("two-disjoint-components", 0.85, two_components(), None),
    ]

    for name, n, prob, k in [("random-10", 10, 0.45, 2),
                             ("random-20", 20, 0.18, 3),
                             ("random-40", 40, 0.06, 4)]:
        edges, _ = random_digraph(rng, n, prob, k)
        cases.append((name, 0.85, edges, None))

    # one seed
    edges, dangling = random_digraph(rng, 20, 0.18, 3)
    seed = rng.choice([h(i) for i in range(1, 21) if h(i) not in dangling])
    cases.append(("random-20-one-seed", 0.85, edges, [seed]))

    # two seeds, one of them dangling
    edges, dangling = random_digraph(rng, 20, 0.18, 3)
    other = rng.choice([h(i) for i in range(1, 21) if h(i) not in dangling])
    cases.append(("random-20-two-seeds-one-dangling", 0.85, edges,
                  sorted([dangling[0], other])))

    # three seeds, one of them has no in-edges (but keeps its out-edges)
    edges, dangling = random_digraph(rng, 40, 0.06, 4)
    sources = sorted({u for u, _ in edges})  # nodes that keep out-edges
    picks = rng.sample(sources, 3)
    edges = drop_in_edges(edges, picks[0])
    cases.append(("random-40-three-seeds-one-without-in-edges", 0.85, edges,
                  sorted(picks)))

    # damping variants
    edges, _ = random_digraph(rng, 20, 0.18, 3)
    cases.append(("random-20-damping-0.5", 0.5, edges, None))
    edges, dangling = random_digraph(rng, 20, 0.18, 3)
    seeds = sorted(rng.sample([h(i) for i in range(1, 21)], 2))
    cases.append(("random-20-two-seeds-damping-0.95", 0.95, edges, seeds))
    return cases


def check_edges(edges):
    assert all(u != v for u, v in edges), "self-loop"
    assert len(set(edges)) == len(edges), "duplicate edge"
    assert len(edges) < 120, "too many edges"


def main():
    out_cases = []
    for name, damping, edges, seeds in build_cases():
        check_edges(edges)
        nodes = {x for e in edges for x in e}
        if seeds is not None:
            assert set(seeds) <= nodes
        expected = networkx_pagerank(edges, damping, seeds)
        assert set(expected) == nodes
        assert abs(sum(expected.values()) - 1.0) < 1e-9, name
        mine = power_iteration(edges, damping, seeds)
        worst = max(abs(mine[v] - expected[v]) for v in nodes)
        assert worst < 1e-9, (name, worst)
        out_cases.append({
            "name": name,
            "damping": damping,
            "edges": [list(e) for e in edges],
            "seeds": seeds,
            "expected": {v: expected[v] for v in sorted(expected)},
        })

    doc = {
        "generator": "tests/data/pagerank_reference.py (networkx %s)" % nx.__version__,
        "cases": out_cases,
    }
    text = json.dumps(doc, indent=2)  # floats are written with repr precision
    # keep each edge pair on one line: ["u01", "u02"]
    text = re.sub(r'\[\s+("[^"]*"),\s+("[^"]*")\s+\]', r'[\1, \2]', text)
    with open(OUT, "w") as f:
        f.write(text + "\n")
    print("wrote %d cases to %s" % (len(out_cases), OUT))


if __name__ == "__main__":
    main()
