"""Hand-written messages for more schools with rosters of their own, so that the rules are
checked away from the development set: St Mary's (names with apostrophes, everyday-word
surnames such as Price, Fox, Field and Rose, pupils called Grace and Lily), Hillside (Green,
Black, Page, Walker, Lee; pupils called Jack and Ruby) and Brookfield, a secondary school (a
head known as "Dr O", "Mr K", distinctive surnames parents misspell such as Okonkwo and
Kowalczyk, everyday-word surnames Wood, King, Hall and Hope, pupils called Grace, Faith, Hunter,
Will, Jack and Rose), and Millside (everyday-word surnames Hill, Bird, Lake and Lamb beside
words such as "downhill"; pupils called Hope, Summer, Ivy and Will; Northern dialect). Each
case file holds one JSON object a line: text, whether it should be flagged, and the
categories, staff ids and pupils that must be reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rules import RulesEngine, SchoolProfile, StaffMember

SCHOOLS = {
    "stmarys": SchoolProfile.build(
        "stmarys",
        [
            StaffMember("oconnor", "Mrs", "Siobhan", "O'Connor", ("head",), ("Mrs OC",)),
            StaffMember("singh", "Mr", "Harjit", "Singh", ("deputy head",)),
            StaffMember("price", "Miss", "Emma", "Price", ("year 2 teacher",)),
            StaffMember("hughes", "Mr", "Dafydd", "Hughes", ("year 6 teacher",)),
            StaffMember("wright", "Mrs", "Karen", "Wright", ("SENCo", "inclusion lead")),
            StaffMember("fox", "Mr", "Lee", "Fox", ("PE teacher", "sports coach")),
            StaffMember("field", "Mrs", "Julie", "Field", ("office manager",)),
            StaffMember("rose", "Ms", "Amy", "Rose", ("teaching assistant",)),
            StaffMember("baker", "Mr", "Paul", "Baker", ("caretaker",)),
            StaffMember("nowak", "Mrs", "Anna", "Nowak", ("year 4 teacher",)),
        ],
        ["Alfie", "Poppy", "Leo", "Ava", "Freddie", "Lily", "Max", "Grace"],
        names=["St Mary's C of E Primary School"],
    ),
    "hillside": SchoolProfile.build(
        "hillside",
        [
            StaffMember("green", "Mr", "David", "Green", ("headteacher",)),
            StaffMember("khan", "Mrs", "Nadia", "Khan", ("deputy head", "DSL")),
            StaffMember("lee", "Miss", "Rachel", "Lee", ("reception teacher",)),
            StaffMember("field", "Mr", "Tom", "Field", ("year 1 teacher",)),
            StaffMember("walker", "Mrs", "Sue", "Walker", ("SENCo",)),
            StaffMember("black", "Mr", "Andy", "Black", ("PE lead",)),
            StaffMember("hart", "Ms", "Jo", "Hart", ("TA",)),
            StaffMember("page", "Mrs", "Liz", "Page", ("office manager", "receptionist")),
        ],
        ["Jack", "Ruby", "Oscar", "Evie", "Archie", "Isabella"],
        names=["Hillside Academy"],
    ),
    "brookfield": SchoolProfile.build(
        "brookfield",
        [
            StaffMember("okonkwo", "Dr", "Chidi", "Okonkwo", ("headteacher",), ("Dr O",)),
            StaffMember("kaur", "Mrs", "Jaspreet", "Kaur", ("head of year 10",)),
            StaffMember("kowalczyk", "Mr", "Marek", "Kowalczyk", ("maths teacher",), ("Mr K",)),
            StaffMember("wood", "Mr", "Daniel", "Wood", ("DT teacher",)),
            StaffMember("king", "Mrs", "Helen", "King", ("deputy head",)),
            StaffMember("hall", "Mr", "Stephen", "Hall", ("PE teacher",)),
            StaffMember("hope", "Miss", "Laura", "Hope", ("English teacher",)),
            StaffMember("fitzgerald", "Mrs", "Claire", "Fitzgerald", ("attendance officer",)),
            StaffMember("adeyemi", "Mr", "Tunde", "Adeyemi", ("head of year 8",)),
            StaffMember("price", "Ms", "Amy", "Price", ("SENCo",)),
        ],
        ["Grace", "Faith", "Hunter", "Will", "Jack", "Rose", "Tyler", "Maisie"],
        names=["Brookfield Academy"],
    ),
    "millside": SchoolProfile.build(
        "millside",
        [
            StaffMember("hill", "Mrs", "Janet", "Hill", ("headteacher",)),
            StaffMember("bird", "Mr", "Gary", "Bird", ("deputy head",)),
            StaffMember("walsh", "Miss", "Chloe", "Walsh", ("year 3 teacher",)),
            StaffMember("booth", "Mrs", "Dawn", "Booth", ("teaching assistant",)),
            StaffMember("ahmed", "Mr", "Imran", "Ahmed", ("year 5 teacher",)),
            StaffMember("lake", "Ms", "Kerry", "Lake", ("SENCo",)),
            StaffMember("lamb", "Mrs", "Tracy", "Lamb", ("office manager",)),
            StaffMember("kowalski", "Mr", "Piotr", "Kowalski", ("PE teacher",)),
        ],
        ["Hope", "Leo", "Summer", "Ivy", "Will", "Jay", "Bobby", "Mason"],
        names=["Millside Primary School"],
    ),
}  # fmt: skip


def _cases() -> list[Any]:
    out = []
    for school in SCHOOLS:
        path = Path(__file__).with_name(f"{school}_cases.jsonl")
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                out.append(pytest.param(school, case, id=f"{school}: {case['text'][:45]}"))
    return out


@pytest.mark.parametrize(("school", "case"), _cases())
def test_other_schools(engine: RulesEngine, school: str, case: dict[str, Any]) -> None:
    verdict = engine.evaluate(case["text"], SCHOOLS[school])
    assert verdict.flagged == case["flag"], verdict.findings
    assert set(case["categories"]) <= set(verdict.categories), verdict.findings
    assert set(case["staff"]) <= set(verdict.staff), verdict.findings
    assert set(case.get("pupils", ())) <= set(verdict.pupils), verdict.findings
