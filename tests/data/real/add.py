#!/usr/bin/env python3
"""Adds collected lines (LABEL, lang, kind, source URL, text; tab-separated, on stdin) to the
real-text corpus. Each line goes to real-tuning.tsv or real-heldout.tsv by its site: a site is
held out when the first byte of SHA-256 of its host (lower case, without "www."; on github.com
the host and the account, "github.com/owner") is below 77 (about 30% of sites), so no site is ever on both sides and the split owes nothing to the
lines' content. Every URL is first checked with ../shared/tools/excluded-source; a line from an
excluded page or site is refused. Lines already present are skipped.
"""
import hashlib
import os
import subprocess
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.environ.get("EXCLUDED_SOURCE", "/work/shared/tools/excluded-source")


def site(url):
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.lower().split("@")[-1].split(":")[0]
    host = host[4:] if host.startswith("www.") else host
    # On a code host every account is its own author: github.com/<owner> is the site.
    if host == "github.com":
        owner = parts.path.strip("/").split("/")[0].lower()
        if owner:
            return f"{host}/{owner}"
    return host


def held_out(url):
    return hashlib.sha256(site(url).encode()).digest()[0] < 77


def main():
    lines = [l.rstrip("\n") for l in sys.stdin if l.strip() and not l.startswith("#")]
    rows = [l.split("\t") for l in lines]
    for r in rows:
        if len(r) != 5 or r[0] not in ("BEG", "OTHER") or r[1] not in ("en", "es", "fr", "de", "nl"):
            sys.exit(f"malformed line: {r}")
    urls = sorted({r[3] for r in rows})
    check = subprocess.run([TOOL, *urls], capture_output=True, text=True)
    excluded = {l.split(" ", 1)[1] for l in check.stdout.splitlines() if l.startswith("excluded")}
    if excluded:
        sys.exit("excluded sources, nothing added:\n" + "\n".join(sorted(excluded)))
    added = {"tuning": 0, "heldout": 0}
    for split in added:
        path = os.path.join(HERE, f"real-{split}.tsv")
        existing = set(open(path, encoding="utf-8").read().splitlines()) if os.path.exists(path) else set()
        with open(path, "a", encoding="utf-8") as f:
            for line, r in zip(lines, rows):
                if (split == "heldout") == held_out(r[3]) and line not in existing:
                    f.write(line + "\n")
                    existing.add(line)
                    added[split] += 1
    print(f"added {added['tuning']} tuning, {added['heldout']} held-out lines")


if __name__ == "__main__":
    main()
