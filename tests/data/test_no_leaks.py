"""No evaluation message may have a near-copy in the training corpus.

Training and evaluation data are written by different people, but a near-duplicate (the same
sentence with a name or a word changed) would still let a model be scored on what it learned.
Every evaluation set (the blind schools, the other evaluation schools, the everyday messages and,
where present, the development set in ../shared) is compared with every training message.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rapidfuzz import fuzz, process

REPO = Path(__file__).resolve().parents[2]
TRAINING = REPO / "train" / "corpus"
EVALUATION = [
    *sorted((REPO / "bench" / "data").glob("**/*_cases.jsonl")),
    *sorted((REPO / "bench" / "data" / "everyday").glob("*.jsonl")),
]
DEV_SET = REPO / ".." / "shared" / "eval" / "parent_chat_dev.jsonl"
# fuzz.ratio of the normalised texts: 90 catches a sentence with a name or a word swapped.
NEAR = 90
SHORTEST = 25  # characters: "thanks x" said by two people is no leak


def texts(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def normalised(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def near_copies(evaluation: list[str], training: list[str]) -> list[tuple[str, str, float]]:
    train = [normalised(t) for t in training]
    found = []
    for text in evaluation:
        probe = normalised(text)
        if len(probe) < SHORTEST:
            continue
        match = process.extractOne(probe, train, scorer=fuzz.ratio, score_cutoff=NEAR)
        if match is not None:
            found.append((text, training[match[2]], match[1]))
    return found


@pytest.fixture(scope="module")
def training() -> list[str]:
    files = sorted(TRAINING.glob("**/*.jsonl"))
    assert files, f"no training corpus under {TRAINING}"
    return [text for path in files for text in texts(path)]


def test_the_check_finds_a_near_copy() -> None:
    copied = "honestly mrs marsh is useless she never answers a single email"
    assert near_copies(
        ["Honestly Mrs Marsh is useless, she never answers a single e-mail!"], [copied]
    )
    assert not near_copies(
        ["Is it PE on Tuesday or Wednesday this week, does anyone know?"], [copied]
    )


@pytest.mark.parametrize("path", EVALUATION, ids=lambda p: str(p.relative_to(REPO)))
def test_no_evaluation_message_is_copied_in_training(path: Path, training: list[str]) -> None:
    assert near_copies(texts(path), training) == []


def test_no_development_message_is_copied_in_training(training: list[str]) -> None:
    if not DEV_SET.exists():
        pytest.skip(f"the development set is not here ({DEV_SET}): it lives in ../shared")
    assert near_copies(texts(DEV_SET), training) == []
