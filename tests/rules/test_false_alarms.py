"""Everyday parent chat that must not earn a reminder: party invitations with the host's
address, a small child waited for at the gate, a parent's own number or their own child's
allergy or diagnosis, a tradesperson's number, praise of staff by name, parts in the nativity,
moans about traffic, weather and one's own kids, sport said in violent words. Beside them, the
breaches they resemble, which must still be found: a member of staff's address, someone waited
for with menace, a diagnosis passed on from someone else.

One JSON object a line in false_alarm_cases.jsonl, shaped like the other schools' case tables,
checked against the development school's roster (Riverside: Mr Carter, Mrs Shah, Miss Turner...
pupils Noah, Isla, Harry and Mia) unless `school` names one of the evaluation schools in
bench/data (Hillcrest, Millbrook), whose staff are called King, Hope, Hill or Fox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.common import REPO, load_profile
from rules import RulesEngine, SchoolProfile

CASES = Path(__file__).with_name("false_alarm_cases.jsonl")


@pytest.fixture(scope="module")
def rosters(shared_eval: Path) -> dict[str, SchoolProfile]:
    return {
        "riverside": load_profile(shared_eval / "riverside.yaml"),
        "hillcrest": load_profile(REPO / "bench" / "data" / "hillcrest.yaml"),
        "millbrook": load_profile(REPO / "bench" / "data" / "millbrook.yaml"),
    }


def _cases() -> list[Any]:
    lines = CASES.read_text("utf-8").splitlines()
    return [
        pytest.param(case, id=f"{case.get('school', 'riverside')}: {case['text'][:45]}")
        for case in (json.loads(line) for line in lines if line.strip())
    ]


@pytest.mark.parametrize("case", _cases())
def test_false_alarm_cases(
    engine: RulesEngine, rosters: dict[str, SchoolProfile], case: dict[str, Any]
) -> None:
    verdict = engine.evaluate(case["text"], rosters[case.get("school", "riverside")])
    assert verdict.flagged == case["flag"], verdict.findings
    assert set(case["categories"]) <= set(verdict.categories), verdict.findings
    assert set(case["staff"]) <= set(verdict.staff), verdict.findings
    assert set(case.get("pupils", ())) <= set(verdict.pupils), verdict.findings
