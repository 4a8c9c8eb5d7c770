"""Hand-written messages for more schools with rosters of their own, so that the rules are
checked away from the development set: St Mary's (names with apostrophes, everyday-word
surnames such as Price, Fox, Field and Rose, pupils called Grace and Lily), Hillside (Green,
Black, Page, Walker, Lee; pupils called Jack and Ruby) and Brookfield, a secondary school (a
head known as "Dr O", "Mr K", distinctive surnames parents misspell such as Okonkwo and
Kowalczyk, everyday-word surnames Wood, King, Hall and Hope, pupils called Grace, Faith, Hunter,
Will, Jack and Rose), and Millside (everyday-word surnames Hill, Bird, Lake and Lamb beside
words such as "downhill"; pupils called Hope, Summer, Ivy and Will; Northern dialect), and
Ashgrove (staff_recall_cases.jsonl: staff named every way parents name them, by title and
surname, first name, role, nickname, alias or misspelling, before or after the remark, with
threats, calls to act and discriminatory remarks, beside praise and logistics that name the
same people; everyday-word surnames Lane, Brooks, Gold, Sweet, Little and Frost). Each
case file holds one JSON object a line: text, whether it should be flagged, and the
categories, staff ids and pupils that must be reported, and for a kind of message the rules
are known to miss, `known_miss` saying which kind."""

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
    "staff_recall": SchoolProfile.build(
        "ashgrove",
        [
            StaffMember("lane", "Mrs", "Deborah", "Lane", ("headteacher", "head"), ("Mrs L",)),
            StaffMember("fisher", "Mr", "Craig", "Fisher", ("deputy head",), ("Mr F", "Fishy")),
            StaffMember("brooks", "Miss", "Hannah", "Brooks", ("year 2 teacher",)),
            StaffMember("chambers", "Mr", "Owen", "Chambers", ("year 6 teacher",)),
            StaffMember("webb", "Mrs", "Gail", "Webb", ("SENCo",)),
            StaffMember("gold", "Ms", "Kirsty", "Gold", ("teaching assistant", "TA")),
            StaffMember("parks", "Mrs", "Linda", "Parks", ("office manager",)),
            StaffMember("nash", "Mrs", "Pat", "Nash", ("midday supervisor",)),
            StaffMember("frost", "Mr", "Kevin", "Frost", ("caretaker",)),
            StaffMember("adebayo", "Mr", "Femi", "Adebayo", ("PE teacher",), ("Mr A",)),
            StaffMember("zielinski", "Mr", "Tomasz", "Zielinski", ("year 4 teacher",)),
            StaffMember("sweet", "Mrs", "Rachel", "Sweet", ("year 1 teacher",)),
            StaffMember("little", "Miss", "Joy", "Little", ("reception teacher",)),
            StaffMember("gill", "Mr", "Mark", "Gill", ("year 5 teacher",)),
            StaffMember("oduya", "Mrs", "Ann", "Oduya", ("family support worker",)),
            StaffMember("tarr", "Mrs", "Gwen", "Tarr", ("crossing patrol",)),
            StaffMember("vance", "Mr", "Ed", "Vance", ("head of pastoral",)),
        ],
        ["Oliver", "Amelia", "Theo", "Poppy", "Kai", "Elsie", "Reggie", "Zara", "Jude"],
        names=["Ashgrove Primary School"],
    ),
}  # fmt: skip


def _cases() -> list[Any]:
    out = []
    for school in SCHOOLS:
        path = Path(__file__).with_name(f"{school}_cases.jsonl")
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                # A kind of message the rules are known to miss: it must keep failing until
                # it is found, so that the table is then updated.
                known = case.get("known_miss")
                marks = [pytest.mark.xfail(reason=known, strict=True)] if known else []
                out.append(
                    pytest.param(school, case, id=f"{school}: {case['text'][:45]}", marks=marks)
                )
    return out


@pytest.mark.parametrize(("school", "case"), _cases())
def test_other_schools(engine: RulesEngine, school: str, case: dict[str, Any]) -> None:
    verdict = engine.evaluate(case["text"], SCHOOLS[school])
    assert verdict.flagged == case["flag"], verdict.findings
    assert set(case["categories"]) <= set(verdict.categories), verdict.findings
    assert set(case["staff"]) <= set(verdict.staff), verdict.findings
    assert set(case.get("pupils", ())) <= set(verdict.pupils), verdict.findings
