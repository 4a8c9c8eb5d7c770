"""Table-driven test over ../shared/eval/parent_chat_dev.jsonl: the issue's quality targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.common import load_cases, load_profile
from bench.eval_rules import Scores, score
from rules import RulesEngine


@pytest.fixture(scope="module")
def scores(engine: RulesEngine, shared_eval: Path) -> Scores:
    cases = load_cases(shared_eval / "parent_chat_dev.jsonl")
    return score(cases, load_profile(shared_eval / "riverside.yaml"), engine)


def test_precision_is_at_least_95_percent(scores: Scores) -> None:
    assert scores.precision >= 0.95, scores.errors


def test_recall_is_at_least_90_percent(scores: Scores) -> None:
    assert scores.recall >= 0.90, scores.errors


def test_staff_are_attributed_in_at_least_95_percent_of_staff_cases(scores: Scores) -> None:
    assert scores.staff_attribution >= 0.95, scores.errors


def test_at_most_one_hard_negative_is_flagged(scores: Scores) -> None:
    assert scores.hard_negatives > 0
    assert scores.hard_negatives_flagged <= 1, scores.errors


def test_every_category_is_found(scores: Scores) -> None:
    for category in scores.category_total:
        assert scores.category_recall(category) >= 0.75, (category, scores.errors)
