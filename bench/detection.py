#!/usr/bin/env python3
"""Crowds and rings: generates realistic endorsement traffic with labelled organic crowds and
injected attacks, imports it through `plusk import` (every rule and detector on, the default
daily budget of 5), and reports how the detectors treated each kind.

    bench/detection.py                      # the tuning seeds
    bench/detection.py --held-out           # the evaluation seeds (do not tune on these)
    bench/detection.py --fresh              # a second evaluation set, seeds 201-205
    bench/detection.py --seeds 7 --keep DIR # one seed; keep the NDJSON, labels and database

Per seed: an organic background (a power-law graph with a daily rhythm: ~2,000 users, each
with one or two topics of their own, over forty days), then crowds and attacks at random
times after the first week, each at several sizes and speeds:

- crowds (organic, should pass): a talk (a quiet expert endorsed by 100-200 attendees in the
  day after), a popular expert's steady stream (1-5 an hour for two days), a panel (60
  attendees each endorsing 3-4 of 4 speakers within the hour), a team's onboarding (3 new
  hires endorsing 3 of the topic's better-known people, their mentors, in one meeting), a launch (120 endorsements of a maker in six
  hours), a seasonal peak (a topic's traffic tripled for three days).
- attacks (should be flagged, every endorsement of the group): rings of 3 to 6, fast (hours)
  and slow (spread over 31 days); a ring whose members each gave 50 ordinary endorsements in
  the topic first (padding); lockstep groups (3-5 accounts x 3-5 endorsees) within 30 minutes
  and spread over 61-90 minutes; 2 endorsers x 5 endorsees; a ramp of 4, 8, 12, 16, 20
  endorsements an hour onto one user, one day each, from new accounts; reciprocal trades
  across two topics and across `rust` and `rust-lang`; a friend's ask on someone's behalf
  (reported, naming them as @handle), followed by 15-30 endorsements of them within hours.

Tuning seeds are 1-5; held-out seeds are 101-105, with shapes the tuning seeds never draw
(sizes and speeds outside their ranges), kept for evaluation only.
"""
import argparse
import collections
import datetime
import json
import math
import os
import random
import sqlite3
import subprocess
import sys
import tempfile

TUNING_SEEDS = [1, 2, 3, 4, 5]
HELD_OUT_SEEDS = [101, 102, 103, 104, 105]
# A second evaluation set with the held-out shapes, first run on 2026-12-06 after the graded ring
# score had been chosen looking at a miss on seeds 101-105 (docs/DETECTION.md).
FRESH_SEEDS = [201, 202, 203, 204, 205]
START = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
DAYS = 40
HOUR = 3600.0
DAY = 86400.0
TOPICS = ["rust", "rust-lang", "python", "social-media", "fashion", "cooking", "photography",
          "climbing", "databases", "design", "music", "gardening"]
BUDGET = 5
# Crowds and attacks start after this: every account is new in the first days of a history.
WARM_UP_DAYS = 7


class Traffic:
    """Endorsements with labels, kept to the rules plusk enforces (budget, no duplicates)."""

    def __init__(self, rng):
        self.rng = rng
        self.edges = []  # (t, endorser, endorsee, topic, label)
        self.triples = set()
        self.given = collections.defaultdict(list)  # endorser -> times
        self.next_user = 0
        self.asks = []  # (t, requester, text, topic): reported begging asks

    def new_user(self, prefix="u"):
        self.next_user += 1
        return f"{prefix}{self.next_user}"

    def can_give(self, who, t):
        recent = [x for x in self.given[who] if t - DAY < x <= t + DAY]
        return len(recent) < BUDGET - 1

    def add(self, t, endorser, endorsee, topic, label, force=False):
        """Adds an endorsement unless it would break a rule (then returns False)."""
        key = (endorser, endorsee, topic)
        if endorser == endorsee or key in self.triples:
            return False
        if not force and not self.can_give(endorser, t):
            return False
        self.triples.add(key)
        self.given[endorser].append(t)
        self.edges.append((t, endorser, endorsee, topic, label))
        return True


def rhythm(rng):
    """A time of day, seconds, drawn from a daily rhythm (busy afternoons, quiet nights)."""
    while True:
        s = rng.random() * DAY
        if rng.random() < 0.25 + 0.75 * math.sin(math.pi * s / DAY) ** 2:
            return s


def background(tr, users, per_day):
    rng = tr.rng
    n = len(users)
    expertise = {u: rng.sample(TOPICS, rng.choice([1, 1, 2])) for u in users}
    # Popularity by rank: a few receive much of it.
    weights = [1.0 / (i + 1) ** 0.9 for i in range(n)]
    for day in range(DAYS):
        for _ in range(int(per_day * rng.uniform(0.8, 1.2))):
            t = day * DAY + rhythm(rng)
            endorsee = rng.choices(users, weights)[0]
            endorser = rng.choice(users)
            topic = rng.choice(expertise[endorsee])
            tr.add(t, endorser, endorsee, topic, "background")
    return expertise


def at_random_time(rng, first_day=WARM_UP_DAYS + 1):
    return rng.uniform(first_day, DAYS - 3) * DAY


def pick(rng, users, k, tr, t):
    """k distinct existing users with budget left at time t."""
    out = []
    for u in rng.sample(users, min(len(users), k * 3)):
        if tr.can_give(u, t):
            out.append(u)
        if len(out) == k:
            break
    return out


# --- crowds -------------------------------------------------------------------------------

def talk(tr, users, expertise, held_out):
    rng = tr.rng
    size = rng.randint(220, 300) if held_out else rng.randint(100, 200)
    quiet = [u for u in users[len(users) // 2:]]
    expert = rng.choice(quiet)
    topic = expertise[expert][0]
    t0 = at_random_time(rng)
    for u in pick(rng, users, size, tr, t0):
        # Most come in the first hours after the talk.
        tr.add(t0 + min(rng.expovariate(1 / (2 * HOUR)), DAY), u, expert, topic, "crowd:talk")


def steady(tr, users, expertise, held_out):
    rng = tr.rng
    expert = rng.choice(users[:20])
    topic = expertise[expert][0]
    t0 = at_random_time(rng)
    hours = 60 if held_out else 48
    for h in range(hours):
        for u in pick(rng, users, rng.randint(1, 5), tr, t0 + h * HOUR):
            tr.add(t0 + (h + rng.random()) * HOUR, u, expert, topic, "crowd:steady")


def panel(tr, users, expertise, held_out):
    rng = tr.rng
    speakers = rng.sample(users[:300], 5 if held_out else 4)
    topic = rng.choice(TOPICS)
    t0 = at_random_time(rng)
    for u in pick(rng, users, 80 if held_out else 60, tr, t0):
        for s in rng.sample(speakers, rng.randint(len(speakers) - 1, len(speakers))):
            tr.add(t0 + rng.random() * HOUR, u, s, topic, "crowd:panel")


def onboarding(tr, users, expertise, held_out):
    rng = tr.rng
    hires = [tr.new_user("hire") for _ in range(4 if held_out else 3)]
    # A team's mentors are people known in the team's field: three of the topic's better-known
    # people (until 2026-12-03 they were any three of the 500 best known, the topic the first
    # one's, so two mentors usually had no standing in it).
    topic = rng.choice(TOPICS)
    known = [u for u in users[:500] if topic in expertise[u]]
    mentors = rng.sample(known, 3)
    t0 = at_random_time(rng)
    for h in hires:
        for m in mentors:
            tr.add(t0 + rng.random() * 1200, h, m, topic, "crowd:onboarding")


def launch(tr, users, expertise, held_out):
    rng = tr.rng
    maker = rng.choice(users[100:])
    topic = expertise[maker][0]
    t0 = at_random_time(rng)
    hours = 4 if held_out else 6
    for u in pick(rng, users, 160 if held_out else 120, tr, t0):
        tr.add(t0 + rng.random() * hours * HOUR, u, maker, topic, "crowd:launch")


def seasonal(tr, users, expertise, held_out):
    rng = tr.rng
    topic = rng.choice(TOPICS)
    experts = [u for u in users if topic in expertise[u]]
    if not experts:
        return
    t0 = at_random_time(rng)
    for _ in range(600 if held_out else 400):
        t = t0 + rng.random() * 3 * DAY
        tr.add(t, rng.choice(users), rng.choice(experts), topic, "crowd:seasonal")


# --- attacks ------------------------------------------------------------------------------

def ring(tr, users, expertise, held_out, size, spread, label):
    rng = tr.rng
    members = rng.sample(users[200:], size)
    topic = rng.choice(TOPICS)
    # A slow ring starts early enough to end inside the history.
    t0 = rng.uniform(DAY, (DAYS - 1) * DAY - spread) if spread > 7 * DAY else at_random_time(rng)
    for i, m in enumerate(members):
        t = t0 + rng.random() * spread
        tr.add(t, m, members[(i + 1) % size], topic, label, force=True)


def padded_ring(tr, users, expertise, held_out):
    """Each member first gives 50 ordinary endorsements in the topic, 3 a day, then the ring
    closes."""
    rng = tr.rng
    size = 4 if held_out else 3
    members = [tr.new_user("pad") for _ in range(size)]
    topic = rng.choice(TOPICS)
    t_ring = (DAYS - 2) * DAY
    for m in members:
        for k, other in enumerate(rng.sample(users, 50)):
            tr.add(t_ring - (50 - k) * 8 * HOUR, m, other, topic, "padding")
    for i, m in enumerate(members):
        tr.add(t_ring + i * 600, m, members[(i + 1) % size], topic, "attack:ring-padded",
               force=True)


def lockstep(tr, users, expertise, held_out, minutes, label):
    rng = tr.rng
    a = rng.randint(3, 5) if not held_out else rng.randint(4, 6)
    b = rng.randint(3, 5) if not held_out else rng.randint(4, 6)
    bots = [tr.new_user("acct") for _ in range(a)]
    targets = rng.sample(users[50:], b)
    topic = rng.choice(TOPICS)
    t0 = at_random_time(rng)
    for bot in bots:
        for target in targets:
            tr.add(t0 + rng.random() * minutes * 60, bot, target, topic, label, force=True)


def two_by_five(tr, users, expertise, held_out):
    """Two new accounts each endorsing the same five (six) users, within their budget."""
    rng = tr.rng
    bots = [tr.new_user("acct") for _ in range(2)]
    targets = rng.sample(users[50:], 6 if held_out else 5)
    topic = rng.choice(TOPICS)
    t0 = at_random_time(rng)
    hours = 26 if held_out else 3
    for bot in bots:
        for target in targets:
            tr.add(t0 + rng.random() * hours * HOUR, bot, target, topic, "attack:two-by-five",
                   force=True)


def ramp(tr, users, expertise, held_out):
    rng = tr.rng
    target = rng.choice(users[500:])
    topic = expertise[target][0]
    t0 = math.floor(at_random_time(rng, first_day=8) / DAY) * DAY
    steps = [5, 10, 15, 20, 25] if held_out else [4, 8, 12, 16, 20]
    for day, per_hour in enumerate(steps):
        for h in range(24):
            for _ in range(per_hour):
                t = t0 + day * DAY + (h + rng.random()) * HOUR
                tr.add(t, tr.new_user("acct"), target, topic, "attack:ramp", force=True)


def trade(tr, users, expertise, held_out, topics, label):
    rng = tr.rng
    a, b = rng.sample(users[100:], 2)
    t0 = at_random_time(rng)
    tr.add(t0, a, b, topics[0], label, force=True)
    tr.add(t0 + rng.uniform(0.2, 6 if held_out else 4) * HOUR, b, a, topics[1], label,
           force=True)


# Asks made by a friend on someone's behalf, naming them: the tuning seeds draw from the first
# list, the held-out seeds from the second (phrasings the tuning never saw).
FRIEND_ASKS = [
    "Please everyone, give @{x} a +K for {topic}, she really deserves it!",
    "Could you all +K @{x} on {topic}? One click, it would mean a lot to him",
    "Do me a favour and vouch for @{x} in {topic} today, please!",
    "Hey friends, please go endorse @{x} for {topic}, help her get to the top!",
]
FRIEND_ASKS_HELD_OUT = [
    "My buddy @{x} needs your +K in {topic}, please show some love!",
    "Can I ask you all a favour? Please +K @{x}, {topic} is her thing",
    "Please please please vouch for @{x} ({topic}), it takes a second",
]


def friend_ask(tr, users, expertise, held_out):
    """A friend asks everyone to +K someone in a topic; 15-30 people do within hours."""
    rng = tr.rng
    friend, target = rng.sample(users[100:], 2)
    topic = expertise[target][0]
    t0 = at_random_time(rng)
    text = rng.choice(FRIEND_ASKS_HELD_OUT if held_out else FRIEND_ASKS)
    tr.asks.append((t0, friend, text.format(x=target, topic=topic), topic))
    for u in pick(rng, users, rng.randint(15, 30), tr, t0):
        if u != friend:
            tr.add(t0 + rng.expovariate(1 / (3 * HOUR)), u, target, topic, "attack:friend-ask")


def generate(seed):
    held_out = seed in HELD_OUT_SEEDS or seed in FRESH_SEEDS
    rng = random.Random(seed)
    tr = Traffic(rng)
    users = [tr.new_user() for _ in range(2000)]
    expertise = background(tr, users, per_day=1500)
    for crowd in (talk, steady, panel, onboarding, launch, seasonal):
        for _ in range(2):
            crowd(tr, users, expertise, held_out)
    ring_sizes = [3, 4, 5, 6]
    for size in ring_sizes:
        ring(tr, users, expertise, held_out, size, rng.uniform(1, 5) * HOUR, f"attack:ring{size}")
        ring(tr, users, expertise, held_out, size, (33 if held_out else 31) * DAY,
             f"attack:ring{size}-slow")
    padded_ring(tr, users, expertise, held_out)
    for _ in range(2):
        lockstep(tr, users, expertise, held_out, 30, "attack:lockstep")
        lockstep(tr, users, expertise, held_out, 75 if held_out else 61, "attack:lockstep-slow")
        two_by_five(tr, users, expertise, held_out)
        trade(tr, users, expertise, held_out, rng.sample(TOPICS, 2), "attack:trade-topics")
        trade(tr, users, expertise, held_out, ["rust", "rust-lang"], "attack:trade-alias")
    ramp(tr, users, expertise, held_out)
    # Drawn last, so the scenarios above stay as they were before it existed.
    for _ in range(2):
        friend_ask(tr, users, expertise, held_out)
    tr.edges.sort(key=lambda e: e[0])
    return tr.edges, sorted(tr.asks)


def stamp(t):
    return (START + datetime.timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write(edges, asks, folder):
    """The history as `plusk import` reads it, asks as reported at the time among the
    endorsements, and the labels."""
    hist, labels = os.path.join(folder, "history.ndjson"), os.path.join(folder, "labels.tsv")
    lines = [(t, {"endorser": a, "endorsee": b, "topic": topic, "created_at": stamp(t)})
             for t, a, b, topic, _ in edges]
    lines += [(t, {"solicitation": {"requester": who, "text": text, "topic": topic,
                                    "observed_at": stamp(t)}}) for t, who, text, topic in asks]
    lines.sort(key=lambda x: x[0])
    with open(hist, "w") as h:
        for _, line in lines:
            h.write(json.dumps(line, separators=(",", ":")) + "\n")
    with open(labels, "w") as lab:
        for t, a, b, topic, label in edges:
            lab.write(f"{a}\t{b}\t{topic}\t{label}\n")
    return hist, labels


def outcomes(db):
    """(endorser, endorsee, topic) -> (status, set of flag reasons)."""
    con = sqlite3.connect(db)
    rows = con.execute("""
        SELECT a.handle, b.handle, t.slug, e.status, group_concat(f.reason)
        FROM endorsements e
        JOIN users a ON a.id = e.endorser_id JOIN users b ON b.id = e.endorsee_id
        JOIN topics t ON t.id = e.topic_id
        LEFT JOIN flags f ON f.endorsement_id = e.id
        GROUP BY e.id""").fetchall()
    return {(a, b, t): (s, set(r.split(",")) if r else set()) for a, b, t, s, r in rows}


def run_seed(plusk, seed, keep, bulk=True, sweep=True):
    folder = keep or tempfile.mkdtemp(prefix=f"plusk-detection-{seed}-")
    os.makedirs(folder, exist_ok=True)
    edges, asks = generate(seed)
    hist, _ = write(edges, asks, folder)
    db = os.path.join(folder, "plusk.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    mode = ["--bulk"] if bulk else ["--batch-size", "5000"]
    # Only `migrate` and `serve` create a database.
    subprocess.run([plusk, "migrate", "--database-url", db], check=True, capture_output=True,
                   env={**os.environ, "RUST_LOG": "warn"})
    out = subprocess.run([plusk, "import", "--database-url", db, *mode, hist],
                         capture_output=True, text=True, env={**os.environ, "RUST_LOG": "warn"})
    refused = [line for line in out.stderr.splitlines() if line.startswith("line ")]
    if out.returncode not in (0, 1):
        sys.exit(f"plusk import failed: {out.stderr}")
    if sweep:
        # What a server's periodic sweep would do once the history is in.
        out = subprocess.run([plusk, "sweep", "--database-url", db], capture_output=True,
                             text=True, env={**os.environ, "RUST_LOG": "warn"}, check=True)
        print(f"seed {seed}: {out.stdout.strip()}", file=sys.stderr)
    seen = outcomes(db)
    result = collections.defaultdict(lambda: collections.Counter())
    for t, a, b, topic, label in edges:
        if label == "background" and t < WARM_UP_DAYS * DAY:
            label = "background (first week)"
        status, reasons = seen.get((a, b, topic), ("refused", set()))
        c = result[label]
        c["n"] += 1
        c["held"] += status == "flagged"
        c["flagged"] += bool(reasons)
        c["refused"] += status == "refused"
        for r in reasons:
            c["reason:" + r] += 1
    if not keep:
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)
    return result, len(refused)


def pct(a, b):
    return f"{100.0 * a / b:.1f}%" if b else "-"


def report(total, seeds, refused):
    print(f"seeds {seeds}; lines refused by the rules: {refused}")
    print()
    print("| kind | endorsements | refused by a rule | held | flagged at all | reasons |")
    print("| --- | --- | --- | --- | --- | --- |")
    crowd = collections.Counter()
    for label in sorted(total):
        c = total[label]
        reasons = ", ".join(f"{k[7:]} {v}" for k, v in sorted(c.items()) if k.startswith("reason:"))
        print(f"| {label} | {c['n']} | {c['refused']} | {pct(c['held'], c['n'])} "
              f"| {pct(c['flagged'], c['n'])} | {reasons or '-'} |")
        if label.startswith("crowd:"):
            crowd.update(c)
    attack = collections.Counter()
    for label, c in total.items():
        if label.startswith("attack:"):
            attack.update(c)
    flagged_all = sum(c["flagged"] for c in total.values())
    warm = total["background (first week)"]["flagged"]
    print()
    print(f"crowds: {crowd['n']} endorsements, {pct(crowd['held'], crowd['n'])} held, "
          f"{pct(crowd['flagged'], crowd['n'])} flagged (goal: <= 2% held, <= 5% flagged)")
    stopped = attack["flagged"] + attack["refused"]
    print(f"attacks: {attack['n']} endorsements, {pct(stopped, attack['n'])} flagged or refused by a "
          f"rule (goal: every one); {pct(attack['flagged'], flagged_all)} of all flagged "
          f"endorsements are attacks ({pct(attack['flagged'], flagged_all - warm)} leaving out "
          f"the first week's background)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--held-out", action="store_true", help="the evaluation seeds")
    ap.add_argument("--fresh", action="store_true",
                    help="the second evaluation seeds (held-out shapes, seeds 201-205)")
    ap.add_argument("--seeds", type=int, nargs="*", help="these seeds instead")
    ap.add_argument("--plusk", default="target/release/plusk", help="the plusk binary")
    ap.add_argument("--keep", help="keep files and database here (one seed)")
    ap.add_argument("--no-sweep", action="store_true",
                    help="skip `plusk sweep` after the import (write-time checks only; builds "
                         "before the sweep existed)")
    ap.add_argument("--batches", action="store_true",
                    help="import in batches, not --bulk (for builds before --bulk existed)")
    args = ap.parse_args()
    seeds = args.seeds or (FRESH_SEEDS if args.fresh else
                           HELD_OUT_SEEDS if args.held_out else TUNING_SEEDS)
    total = collections.defaultdict(lambda: collections.Counter())
    refused = 0
    for seed in seeds:
        result, r = run_seed(args.plusk, seed, args.keep, bulk=not args.batches,
                             sweep=not args.no_sweep)
        refused += r
        for label, c in result.items():
            total[label].update(c)
    report(total, seeds, refused)


if __name__ == "__main__":
    main()
