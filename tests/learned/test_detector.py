"""Both stages as one: the rules core first, the learned second opinion for what it lets through,
with findings that carry their stage, confidence, category, clause and the people concerned."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pytest

from bench.common import load_profile
from learned import Detector, LearnedStage, LinearModel
from rules import Category, RulesEngine, SchoolProfile, Stage

ROSTER = Path(__file__).resolve().parents[2] / "bench" / "data" / "hillcrest.yaml"
THREAT = "be a shame if her car got a few scratches"  # no rule's words: the model's alone
CLEAN = "anyone know if it's PE tomorrow?"


@pytest.fixture(scope="module")
def model() -> LinearModel:
    return LinearModel.load()


@pytest.fixture(scope="module")
def profile() -> SchoolProfile:
    return load_profile(ROSTER)


def with_thresholds(model: LinearModel, review: float, remind: float) -> LearnedStage:
    return LearnedStage(
        dataclasses.replace(
            model, info={**model.info, "thresholds": {"review": review, "remind": remind}}
        )
    )


def test_the_rules_core_decides_first(model: LinearModel, profile: SchoolProfile) -> None:
    text = "Mr King is a useless idiot and should be sacked"
    both = Detector(RulesEngine(), LearnedStage(model)).evaluate(text, profile)
    assert both == RulesEngine().evaluate(text, profile)
    assert {f.stage for f in both.findings} == {Stage.RULES}


def test_a_message_the_rules_miss_is_flagged_with_stage_and_confidence(
    model: LinearModel, profile: SchoolProfile
) -> None:
    assert not RulesEngine().evaluate(THREAT, profile).flagged
    stage = LearnedStage(model)
    verdict = Detector(RulesEngine(), stage).evaluate(THREAT, profile)
    assert verdict.flagged
    assert Category.THREAT in verdict.categories
    [threat] = [f for f in verdict.findings if f.category is Category.THREAT]
    assert threat.stage is Stage.LEARNED
    assert threat.rule_id == "learned.threat"
    assert threat.confidence is not None
    assert threat.confidence >= stage.review_at
    assert threat.clause.value == "threats"
    assert "learned model" in threat.reason
    assert f"{threat.confidence:.0%}" in threat.reason
    assert verdict.review is (threat.confidence < stage.remind_at)


def test_below_the_review_threshold_nothing_is_flagged(
    model: LinearModel, profile: SchoolProfile
) -> None:
    stage = LearnedStage(model)
    assert stage.opinion(CLEAN).probability < stage.review_at
    assert not Detector(RulesEngine(), stage).evaluate(CLEAN, profile).flagged


def test_between_review_and_remind_the_verdict_asks_for_review(
    model: LinearModel, profile: SchoolProfile
) -> None:
    verdict = Detector(RulesEngine(), with_thresholds(model, 0.0, 1.01)).evaluate(CLEAN, profile)
    assert verdict.flagged
    assert verdict.review
    confident = Detector(RulesEngine(), with_thresholds(model, 0.0, 0.0)).evaluate(CLEAN, profile)
    assert confident.flagged
    assert not confident.review


def test_staff_findings_name_the_staff_the_message_names(
    model: LinearModel, profile: SchoolProfile
) -> None:
    stage = with_thresholds(model, 0.0, 1.01)  # whatever the model thinks, it flags
    text = "Mr King on the gate again this morning"
    verdict = Detector(RulesEngine(), stage).evaluate(text, profile)
    staff = [f for f in verdict.findings if f.category is Category.STAFF]
    if staff:  # the model may call it something else; when it says staff, it says who
        assert {f.staff_id for f in staff} == {"king"}
        assert all("Mr King, a member of staff" in f.reason for f in staff)


def test_rules_only_and_turned_off_never_ask_the_model(
    model: LinearModel, profile: SchoolProfile
) -> None:
    assert not Detector(RulesEngine(), None).evaluate(THREAT, profile).flagged
    detector = Detector(RulesEngine(), LearnedStage(model))
    assert not detector.evaluate(THREAT, profile, learned=False).flagged


def test_a_failing_model_leaves_the_rules_verdict_and_logs_no_text(
    model: LinearModel, profile: SchoolProfile, caplog: pytest.LogCaptureFixture
) -> None:
    broken = dataclasses.replace(model, weights=np.zeros((1, 1), dtype=np.float32))
    detector = Detector(RulesEngine(), LearnedStage(broken))
    with caplog.at_level(logging.ERROR):
        verdict = detector.evaluate(THREAT, profile)
    assert not verdict.flagged
    assert "learned stage failed" in caplog.text
    assert "scratches" not in caplog.text


def test_a_long_message_is_judged_whole_and_cited_by_its_piece(
    model: LinearModel, profile: SchoolProfile
) -> None:
    text = "lovely day at the park with the kids! " * 60 + THREAT
    stage = LearnedStage(model)
    verdict = Detector(RulesEngine(), stage).evaluate(text, profile)
    assert verdict.flagged
    span = verdict.findings[0].span
    assert span.text.endswith(THREAT)
    assert span.end == len(text)
    assert span.start > 0
