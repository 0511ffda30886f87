#!/usr/bin/env python3
"""Writes a synthetic endorsement history as `plusk import` NDJSON, oldest first.

    bench/history.py LINES [USERS] [TOPICS] [SEED] [DAYS] > history.ndjson

Endorsers are drawn uniformly from USERS handles (u0, u1, ...), endorsees from a power law (a
few popular users receive much of it), topics skewed the same way over TOPICS slugs; DAYS (default 365) of times,
evenly spread with jitter, in order. A triple repeats only by chance, and such a line is
refused as a duplicate, as it would be in real traffic. Fixed seed: the same file every run.
"""
import datetime
import json
import random
import sys


def main() -> None:
    lines = int(sys.argv[1])
    users = int(sys.argv[2]) if len(sys.argv) > 2 else max(1000, lines // 10)
    topics = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 42)
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    days = float(sys.argv[5]) if len(sys.argv) > 5 else 365.0
    step = days * 86400 / lines
    out = sys.stdout
    for i in range(lines):
        endorser = rng.randrange(users)
        # Skewed ranks: the top 1% of users receive a fifth of all endorsements.
        endorsee = int(users * rng.random() ** 3)
        if endorsee == endorser:
            endorsee = (endorsee + 1) % users
        topic = int(topics * rng.random() ** 2)
        at = start + datetime.timedelta(seconds=i * step + rng.random() * step)
        line = {
            "endorser": f"u{endorser}",
            "endorsee": f"u{endorsee}",
            "topic": f"topic-{topic}",
            "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        out.write(json.dumps(line, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
