"""No evaluation message may be a paraphrase of a training message.

test_no_leaks compares letters, so a sentence reworded ("Tbh" for "Honestly", "replies" for
"answers") or with its people swapped gets past it. Here every message becomes an
all-MiniLM-L6-v2 sentence vector, with people's names masked first, and every evaluation set is
compared with every training message by cosine. A failure names ids and scores, never texts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
import yaml
from numpy.typing import NDArray

from rules.roster import StaffMember
from tests.data.sentence_encoder import EncoderMissing, SentenceEncoder
from tests.data.test_no_leaks import (
    DEV_SET,
    EVALUATION,
    REPO,
    TRAINING,
    Message,
    long_enough,
    messages,
    near_copies,
)

ROSTERS = [
    *sorted(TRAINING.glob("*/*.yaml")),
    *sorted((REPO / "bench" / "data").glob("**/*.yaml")),
    *sorted(DEV_SET.parent.glob("*.yaml")),
]
# The model weighs names heavily: "Honestly Mrs Marsh is useless, she never answers a single
# email" and the same of "Mr Okafor ... he" score 0.55 as written, 0.94 with both masked. So every
# roster's names, and a titled name wherever it is, become one common name before encoding.
# Matched as written (capitalised): many names are also words ("Hope", "Best", "Day") that lower
# case would wipe out of ordinary sentences.
STAND_IN = "Sam"
TITLE = r"\b(?:Mrs?|Ms|Mx|Dr|Miss|Sir)\.?\s+"
ALWAYS_TITLES = r"\b(?:[Mm]rs?|[Mm]s|[Mm]x)\.?\s+[\w'’-]+"  # "mrs k": a name follows these
# Cosine at or above which two messages are one, judged on the nearest pairs across the training
# corpus's three writers, names masked. From 0.90 up every pair is one message reworded ("Sana's
# family are illegal immigrants, came over on a boat. Everyone knows" / "Ayan's family are here
# illegally, they came over on a boat, everyone knows" at 0.94); from 0.85 to 0.90 the same topic
# said differently creeps in ("is the school closed fur the teacher strike on Thursday? heard
# both" / "is the school closed monday for the strike?" at 0.86). The first test holds both sides.
SAME = 0.90
# Under 8 words a message is mostly its topic: "PE is tomorrow, don't forget the kits" and "PE is
# Thursday, don't forget the kits" are two messages at 0.92. Those are left to the fuzzy ratio.
FEWEST_WORDS = 8
WORD = re.compile(r"\w+(?:['’]\w+)*")  # "don't" is one word
CHUNK = 1024  # evaluation rows per matrix product: 1024 x 10,000 floats is 40 MB
# What a failure says: ids and cosines only, since the evaluation texts must not reach a log.
REWORDED = "evaluation messages reworded from training messages:\n"


class NameMask:
    """Writes people's names as STAND_IN. A plain object, so that a failing test's arguments show
    no one's name: the blind schools' rosters are in it."""

    def __init__(self, rosters: Iterable[Path]) -> None:
        names: set[str] = set()
        for path in rosters:
            school = yaml.safe_load(path.read_text(encoding="utf-8"))
            for entry in school.get("staff") or []:
                member = StaffMember.from_mapping(entry)
                one_word_aliases = (a for a in member.aliases if " " not in a and a[:1].isupper())
                names.update((member.first, member.last, *one_word_aliases))
            names.update(school.get("pupils") or [])
        longest_first = sorted(filter(None, names), key=len, reverse=True)
        alternatives = "|".join(map(re.escape, longest_first))
        self._pattern = re.compile(
            rf"(?:{TITLE})?\b(?:{alternatives})\b|{ALWAYS_TITLES}|{TITLE}[A-Z][\w'’-]*"
        )

    def __call__(self, text: str) -> str:
        return self._pattern.sub(STAND_IN, text)


def worth_comparing(text: str) -> bool:
    return long_enough(text) and len(WORD.findall(text)) >= FEWEST_WORDS


class Training:
    """The training messages worth comparing and their vectors, encoded once."""

    def __init__(self, training: list[Message], encoder: SentenceEncoder, mask: NameMask) -> None:
        self.messages = [m for m in training if worth_comparing(m.text)]
        self.vectors = encoder.encode([mask(m.text) for m in self.messages])


def paraphrases(
    evaluation: list[Message],
    training: Training,
    encoder: SentenceEncoder,
    mask: NameMask,
) -> list[str]:
    """Where each paraphrase is, as "evaluation ~ training cosine C"."""
    probes = [m for m in evaluation if worth_comparing(m.text)]
    vectors = encoder.encode([mask(m.text) for m in probes])
    found = []
    for start in range(0, len(probes), CHUNK):
        cosines: NDArray[np.float32] = vectors[start : start + CHUNK] @ training.vectors.T
        nearest = cosines.argmax(axis=1)
        for row, column in enumerate(nearest):
            cosine = float(cosines[row, column])
            if cosine >= SAME:
                found.append(
                    f"{probes[start + row].where} ~ {training.messages[column].where}"
                    f" cosine {cosine:.2f}"
                )
    return found


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    try:
        return SentenceEncoder()
    except EncoderMissing as missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the leak check's encoder is missing under CI: {missing}")
        pytest.skip(f"the leak check's encoder is missing: {missing}")


@pytest.fixture(scope="module")
def mask() -> NameMask:
    return NameMask(ROSTERS)


@pytest.fixture(scope="module")
def training(encoder: SentenceEncoder, mask: NameMask) -> Training:
    files = sorted(TRAINING.glob("**/*.jsonl"))
    assert files, f"no training corpus under {TRAINING}"
    return Training([m for path in files for m in messages(path)], encoder, mask)


def test_the_check_finds_a_reworded_copy(encoder: SentenceEncoder, mask: NameMask) -> None:
    written = [
        Message("train:id=1", "Honestly Mrs Hope is useless, she never answers a single email"),
        Message(
            "train:id=2", "Has anyone found a navy school jumper with Alfie written in the label?"
        ),
        Message(
            "train:id=3",
            "Sorry to ask again but is it non uniform this Friday or next Friday? "
            "Maisie says this one",
        ),
        Message("train:id=4", "PE is tomorrow, don't forget the kits"),
    ]
    # Reworded, with the people swapped: 0.94 to 0.96, and a fuzzy ratio of 75 to 83, which
    # test_no_leaks lets through.
    reworded = [
        Message("eval:id=5", "Tbh Mrs Okafor is useless, she never replies to a single email"),
        Message(
            "eval:id=6", "Has anybody found a navy jumper with Ruby's name written in the label?"
        ),
        Message(
            "eval:id=7",
            "sorry to ask again, is non uniform this friday or next? Tyler reckons it's this one",
        ),
    ]
    # The same topic, another message: 0.47 to 0.69. The last is 0.92 but has 7 words, too few to
    # be told from a message about the same thing.
    same_topic = [
        Message(
            "eval:id=8", "Mrs Hope was lovely at parents evening, really helpful about his reading"
        ),
        Message(
            "eval:id=9", "Has anyone got a spare school jumper age 7-8? Alfie has grown out of his"
        ),
        Message(
            "eval:id=10", "Non uniform day is next Friday not this one, the newsletter had it wrong"
        ),
        Message("eval:id=11", "PE is Thursday, don't forget the kits"),
    ]
    assert near_copies(reworded, written) == []
    found = paraphrases(reworded + same_topic, Training(written, encoder, mask), encoder, mask)
    assert [line.split(" cosine ")[0] for line in found] == [
        "eval:id=5 ~ train:id=1",
        "eval:id=6 ~ train:id=2",
        "eval:id=7 ~ train:id=3",
    ]


@pytest.mark.parametrize("path", EVALUATION, ids=lambda p: str(p.relative_to(REPO)))
def test_no_evaluation_message_is_reworded_from_training(
    path: Path, training: Training, encoder: SentenceEncoder, mask: NameMask
) -> None:
    found = paraphrases(messages(path), training, encoder, mask)
    assert not found, REWORDED + "\n".join(found)


def test_no_development_message_is_reworded_from_training(
    training: Training, encoder: SentenceEncoder, mask: NameMask
) -> None:
    if not DEV_SET.exists():
        pytest.skip(f"the development set is not here ({DEV_SET}): it lives in ../shared")
    found = paraphrases(messages(DEV_SET), training, encoder, mask)
    assert not found, REWORDED + "\n".join(found)
