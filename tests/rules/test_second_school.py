"""Hand-written messages for a second school (St Mary's), with a roster of its own: names with
apostrophes, everyday-word surnames (Price, Fox, Field, Rose, Baker) and pupils called Grace and
Lily. Cases are in stmarys_cases.jsonl: text, whether it should be flagged, categories and staff
ids that must be reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rules import RulesEngine, SchoolProfile, StaffMember

STAFF = (
    StaffMember("oconnor", "Mrs", "Siobhan", "O'Connor", ("headteacher", "head"), ("Mrs OC",)),
    StaffMember("singh", "Mr", "Harjit", "Singh", ("deputy head",)),
    StaffMember("price", "Miss", "Emma", "Price", ("year 2 teacher",)),
    StaffMember("hughes", "Mr", "Dafydd", "Hughes", ("year 6 teacher",)),
    StaffMember("wright", "Mrs", "Karen", "Wright", ("SENCo", "inclusion lead")),
    StaffMember("fox", "Mr", "Lee", "Fox", ("PE teacher", "sports coach")),
    StaffMember("field", "Mrs", "Julie", "Field", ("office manager",)),
    StaffMember("rose", "Ms", "Amy", "Rose", ("teaching assistant",)),
    StaffMember("baker", "Mr", "Paul", "Baker", ("caretaker",)),
    StaffMember("nowak", "Mrs", "Anna", "Nowak", ("year 4 teacher",)),
)
PUPILS = ("Alfie", "Poppy", "Leo", "Ava", "Freddie", "Lily", "Max", "Grace")
CASES: list[dict[str, Any]] = [
    json.loads(line)
    for line in (Path(__file__).with_name("stmarys_cases.jsonl")).read_text("utf-8").splitlines()
    if line.strip()
]


@pytest.fixture(scope="module")
def stmarys() -> SchoolProfile:
    return SchoolProfile.build("stmarys", STAFF, PUPILS, names=["St Mary's C of E Primary School"])


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:50] for c in CASES])
def test_second_school(engine: RulesEngine, stmarys: SchoolProfile, case: dict[str, Any]) -> None:
    verdict = engine.evaluate(case["text"], stmarys)
    assert verdict.flagged == case["flag"], verdict.findings
    assert set(case["categories"]) <= set(verdict.categories), verdict.findings
    assert set(case["staff"]) <= set(verdict.staff), verdict.findings
