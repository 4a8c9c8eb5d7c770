"""Everyday parent chat that must not earn a reminder, checked against the development school's
roster (Riverside: Mr Carter, Mrs Shah, Miss Turner... pupils Noah, Isla, Harry and Mia): party
invitations with the host's address, a small child waited for at the gate, a parent's own
number or their own child's allergy or diagnosis, praise of staff by name, moans about traffic
and weather, sport said in violent words. Beside them, the breaches they resemble, which must
still be found: a member of staff's address, someone waited for with menace, a diagnosis passed
on from someone else. One JSON object a line in false_alarm_cases.jsonl, shaped like the other
schools' case tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.common import load_profile
from rules import RulesEngine, SchoolProfile

CASES = Path(__file__).with_name("false_alarm_cases.jsonl")


@pytest.fixture(scope="module")
def riverside(shared_eval: Path) -> SchoolProfile:
    return load_profile(shared_eval / "riverside.yaml")


def _cases() -> list[Any]:
    lines = CASES.read_text("utf-8").splitlines()
    return [
        pytest.param(case, id=case["text"][:50])
        for case in (json.loads(line) for line in lines if line.strip())
    ]


@pytest.mark.parametrize("case", _cases())
def test_false_alarm_cases(
    engine: RulesEngine, riverside: SchoolProfile, case: dict[str, Any]
) -> None:
    verdict = engine.evaluate(case["text"], riverside)
    assert verdict.flagged == case["flag"], verdict.findings
    assert set(case["categories"]) <= set(verdict.categories), verdict.findings
    assert set(case["staff"]) <= set(verdict.staff), verdict.findings
    assert set(case.get("pupils", ())) <= set(verdict.pupils), verdict.findings
