"""The training corpus (train/corpus): every labelled message, read as the learned stage reads
messages. Standard library and the project's own packages only, so tests can check the corpus
and the shipped model agree without the training packages."""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from bench.common import REPO, load_profile
from learned.features import prepare
from rules import RulesEngine

CORPUS = REPO / "train" / "corpus"


_PUNCTUATION = re.compile(r"[.,!?;:'\"()]")
_TEXTSPEAK = ((r"\byou\b", "u"), (r"\bare\b", "r"), (r"\bbecause\b", "cos"), (r"\bthe\b", "da"))


@dataclass(frozen=True)
class Example:
    school: str
    prepared: str
    flag: bool
    categories: tuple[str, ...]
    rules_flagged: bool
    hard: bool
    variant: str  # a varied copy, prepared: learnt from as well, never scored


def vary(text: str, rng: random.Random) -> str:
    """A copy as someone else might have typed it: lower case without punctuation, a typo in
    one word, or text-speak. Added to what the model learns from, never instead of it."""
    kind = rng.randrange(3)
    if kind == 0:
        return _PUNCTUATION.sub("", text.lower())
    if kind == 1:
        words = text.split(" ")
        long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        if long:
            i = rng.choice(long)
            j = rng.randrange(len(words[i]) - 1)
            w = words[i]
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        return " ".join(words)
    for pattern, short in _TEXTSPEAK:
        text = re.sub(pattern, short, text, flags=re.IGNORECASE)
    return text


def load_corpus(root: Path = CORPUS) -> list[Example]:
    """Every labelled message, names replaced as the bot replaces them (with the rules core's
    roster matching, school by school)."""
    engine = RulesEngine()
    out = []
    for roster in sorted(root.glob("*/*.yaml")):
        profile = load_profile(roster)
        for line in roster.with_suffix(".jsonl").read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            case = json.loads(line)
            verdict = engine.evaluate(case["text"], profile)
            varied = vary(case["text"], random.Random(f"{roster.stem}:{case['id']}"))
            out.append(
                Example(
                    roster.stem,
                    prepare(case["text"], verdict.named),
                    bool(case["flag"]),
                    tuple(case["categories"]),
                    verdict.flagged,
                    bool(case["hard"]),
                    prepare(varied, engine.evaluate(varied, profile).named),
                )
            )
    return out


def corpus_digest(root: Path = CORPUS) -> str:
    h = hashlib.sha256()
    for path in sorted(root.glob("*/*")):
        if path.suffix in (".yaml", ".jsonl"):
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()
