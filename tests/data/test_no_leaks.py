"""No evaluation message may have a near-copy in the training corpus.

Training and evaluation data are written by different people, but a near-duplicate (the same
sentence with a name or a word changed) would still let a model be scored on what it learned.
Every evaluation set (the blind schools, the other evaluation schools, the everyday messages and,
where present, the development set in ../shared) is compared with every training message, letter
by letter here and by meaning in test_no_paraphrases.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
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
# What a failure says: ids and ratios only, since the evaluation texts must not reach a log.
COPIED = "evaluation messages copied in training messages:\n"


@dataclass(frozen=True, slots=True)
class Message:
    # "bench/data/blind/saltwell_cases.jsonl:id=saltwell-0042": all that a failure may print.
    where: str
    text: str = field(repr=False)


def messages(path: Path) -> list[Message]:
    name = path.relative_to(REPO)
    with path.open(encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    return [Message(f"{name}:id={record['id']}", record["text"]) for record in records]


def normalised(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def long_enough(text: str) -> bool:
    return len(normalised(text)) >= SHORTEST


def near_copies(evaluation: list[Message], training: list[Message]) -> list[str]:
    """Where each near-copy is, as "evaluation ~ training ratio N"."""
    train = [normalised(message.text) for message in training]
    found = []
    for message in evaluation:
        if not long_enough(message.text):
            continue
        probe = normalised(message.text)
        match = process.extractOne(probe, train, scorer=fuzz.ratio, score_cutoff=NEAR)
        if match is not None:
            found.append(f"{message.where} ~ {training[match[2]].where} ratio {match[1]:.0f}")
    return found


@pytest.fixture(scope="module")
def training() -> list[Message]:
    files = sorted(TRAINING.glob("**/*.jsonl"))
    assert files, f"no training corpus under {TRAINING}"
    return [message for path in files for message in messages(path)]


def test_the_check_finds_a_near_copy() -> None:
    copied = [
        Message("train:id=1", "honestly mrs marsh is useless she never answers a single email")
    ]
    found = near_copies(
        [Message("eval:id=2", "Honestly Mrs Marsh is useless, she never answers a single e-mail!")],
        copied,
    )
    assert found == ["eval:id=2 ~ train:id=1 ratio 99"]
    assert not near_copies(
        [Message("eval:id=3", "Is it PE on Tuesday or Wednesday this week, does anyone know?")],
        copied,
    )


@pytest.mark.parametrize("path", EVALUATION, ids=lambda p: str(p.relative_to(REPO)))
def test_no_evaluation_message_is_copied_in_training(path: Path, training: list[Message]) -> None:
    found = near_copies(messages(path), training)
    assert not found, COPIED + "\n".join(found)


def test_no_development_message_is_copied_in_training(training: list[Message]) -> None:
    if not DEV_SET.exists():
        pytest.skip(f"the development set is not here ({DEV_SET}): it lives in ../shared")
    found = near_copies(messages(DEV_SET), training)
    assert not found, COPIED + "\n".join(found)
