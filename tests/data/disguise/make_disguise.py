#!/usr/bin/env python3
"""Writes disguise-tuning.tsv and disguise-heldout.tsv from base-asks.tsv and the hand-written
slang and look-alike lines in slang-and-lookalikes.tsv. Every line is text written for plusk.

Disguises (one line each per base ask): one leet letter per word, full leet, one Cyrillic letter
per word, Latin swapped for Cyrillic wherever a look-alike exists, small caps, spaced letters (words apart, and all in one run),
zero-width spaces inside words, accents on vowels, mathematical bold, and a disclaimer appended.
Deterministic: run it again and the files come out the same.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = "written-for-plusk"
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
CYR = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "y": "у", "x": "х", "i": "і",
       "j": "ј", "s": "ѕ", "h": "һ", "A": "А", "E": "Е", "O": "О", "P": "Р", "C": "С",
       "K": "К", "M": "М", "T": "Т", "B": "В", "H": "Н", "X": "Х"}
SMALL = dict(zip("abcdefghijklmnopqrstuvwyz", "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡʏᴢ"))
ACCENT = {"a": "á", "e": "ë", "o": "ö", "i": "í", "u": "ü"}
DISCLAIMER = {"en": "(not begging, just asking)", "es": "(no es por mendigar, solo pregunto)",
              "fr": "(je ne mendie pas, je demande juste)", "de": "(ich bettle nicht, nur eine Frage)",
              "nl": "(ik bedel niet, gewoon een vraag)"}


def per_word(text, fn):
    return " ".join(fn(w, i) for i, w in enumerate(text.split(" ")))


def one_leet(w, i):
    for j, c in enumerate(w):
        if c.lower() in LEET and len(w) > 2:
            return w[:j] + LEET[c.lower()] + w[j + 1:]
    return w


def one_cyr(w, i):
    for j, c in enumerate(w):
        if c in CYR and len(w) > 1:
            return w[:j] + CYR[c] + w[j + 1:]
    return w


def zero_width(w, i):
    return w[0] + "\u200b" + w[1:] if len(w) > 3 else w


def bold(c):
    if "a" <= c <= "z":
        return chr(0x1D41A + ord(c) - ord("a"))
    if "A" <= c <= "Z":
        return chr(0x1D400 + ord(c) - ord("A"))
    return c


def disguises(lang, text):
    yield "leet-one", per_word(text, one_leet)
    yield "leet-full", "".join(LEET.get(c.lower(), c) for c in text)
    yield "cyrillic-one", per_word(text, one_cyr)
    yield "cyrillic-full", "".join(CYR.get(c, c) for c in text)
    yield "small-caps", "".join(SMALL.get(c.lower(), c) for c in text)
    yield "spaced", "  ".join(" ".join(w) for w in text.split(" "))
    yield "spaced-tight", " ".join(c for c in text if c != " ")
    yield "zero-width", per_word(text, zero_width)
    yield "accents", "".join(ACCENT.get(c, c) for c in text)
    yield "math-bold", "".join(bold(c) for c in text)
    yield "disclaimer", f"{text} {DISCLAIMER[lang]}"


def main():
    out = {"tuning": [], "heldout": []}
    with open(os.path.join(HERE, "base-asks.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            split, lang, text = line.rstrip("\n").split("\t")
            out[split].append(f"BEG\t{lang}\tplain\t{SOURCE}\t{text}")
            for kind, t in disguises(lang, text):
                out[split].append(f"BEG\t{lang}\t{kind}\t{SOURCE}\t{t}")
    with open(os.path.join(HERE, "slang-and-lookalikes.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            split, label, lang, kind, text = line.rstrip("\n").split("\t")
            out[split].append(f"{label}\t{lang}\t{kind}\t{SOURCE}\t{text}")
    for split, lines in out.items():
        with open(os.path.join(HERE, f"disguise-{split}.tsv"), "w", encoding="utf-8") as f:
            f.write(f"# Written for plusk by make_disguise.py; do not edit by hand ({split}).\n")
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
