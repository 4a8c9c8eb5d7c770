"""Shared helpers for the bench scripts: where the reference data is, and loading it."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from rules import SchoolProfile, StaffMember

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared"
DEV_CASES = SHARED / "eval" / "parent_chat_dev.jsonl"
DEV_ROSTER = SHARED / "eval" / "riverside.yaml"
DAVIDSON = SHARED / "data" / "davidson" / "labeled_data.csv"


class EngineFailures(logging.Handler):
    """What the rules core logs, which it does only when `evaluate` caught a failure and
    answered "not flagged": counted, so that a failure cannot pass for a miss."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def exit_status(self, console: Console) -> int:
        """0, or 1 after saying how many messages the rules core failed on."""
        if not self.records:
            return 0
        console.print(f"[red]the rules core failed on {len(self.records)} message(s)[/red]")
        return 1


@contextmanager
def recording_engine_failures() -> Iterator[EngineFailures]:
    handler = EngineFailures()
    logger = logging.getLogger("rules")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled message of an evaluation set."""

    id: str
    text: str
    flag: bool
    categories: tuple[str, ...]
    staff: tuple[str, ...]
    hard: bool


def load_cases(path: Path) -> list[Case]:
    cases = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d: dict[str, Any] = json.loads(line)
                cases.append(
                    Case(
                        id=str(d["id"]),
                        text=str(d["text"]),
                        flag=bool(d.get("flag", d.get("flagged", False))),
                        categories=tuple(d.get("categories", ())),
                        staff=tuple(d.get("staff", ())),
                        hard=bool(d.get("hard", False)),
                    )
                )
    return cases


def load_profile(path: Path) -> SchoolProfile:
    """A profile from a roster file shaped like eval/riverside.yaml (or a config's school)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    school = data["schools"][0] if "schools" in data else data
    staff = [StaffMember.from_mapping(s) for s in school.get("staff", [])]
    pupils = [str(p) for p in school.get("pupils", []) or []]
    names = [str(school["name"])] if school.get("name") else []
    return SchoolProfile.build(str(school.get("id", "school")), staff, pupils, names=names)


class BinaryScores:
    """Precision, recall, F1 and false-positive rate of a flagged-or-not decision."""

    __slots__ = ()
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def false_positive_rate(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, slots=True)
class Message:
    """One message of the reference data, with the roster it is read against. `blind` marks
    the blind evaluation schools: their text is never printed, only counted or compared."""

    source: str
    id: str
    text: str
    profile: SchoolProfile
    blind: bool = False


def reference_messages() -> Iterator[Message]:
    """Every message the project keeps, each with its school's roster: the rules tests' tables,
    the evaluation and blind schools, the everyday messages, the training corpus and the
    development set (where ../shared is there)."""
    from tests.rules import corpus  # the tables' rosters are written in the tests
    from tests.rules.test_other_schools import SCHOOLS

    oakfield = corpus.oakfield()
    tables = [
        corpus.ABUSE,
        corpus.THREAT,
        corpus.DISCRIMINATION,
        corpus.STAFF_CASES,
        corpus.PUPIL,
        corpus.PRIVATE,
        corpus.COMPLAINT,
    ]
    texts = [case[0] for table in tables for case in table] + [t for (t,) in corpus.NEGATIVES]
    for n, text in enumerate(texts, 1):
        yield Message("tests/corpus", str(n), text, oakfield)
    tests = REPO / "tests" / "rules"
    for school, profile in SCHOOLS.items():
        yield from _messages(f"tests/{school}", tests / f"{school}_cases.jsonl", profile)
    data = REPO / "bench" / "data"
    rosters = {name: load_profile(data / f"{name}.yaml") for name in ("hillcrest", "millbrook")}
    if DEV_ROSTER.exists():
        rosters["riverside"] = load_profile(DEV_ROSTER)
        yield from _messages("dev", DEV_CASES, rosters["riverside"])
    # Each case names its school, Riverside (the development set's) unless it says otherwise.
    yield from _messages("tests/false_alarm", tests / "false_alarm_cases.jsonl", rosters)
    for name in ("hillcrest", "millbrook"):
        yield from _messages(f"bench/{name}", data / f"{name}_cases.jsonl", rosters[name])
    for path in sorted((data / "everyday").glob("*.jsonl")):
        yield from _messages(f"everyday/{path.stem}", path, rosters["hillcrest"])
    for roster in sorted((REPO / "train" / "corpus").glob("*/*.yaml")):
        profile = load_profile(roster)
        yield from _messages(f"train/{roster.stem}", roster.with_suffix(".jsonl"), profile)
    for roster in sorted((data / "blind").glob("*.yaml")):
        cases = roster.with_name(f"{roster.stem}_cases.jsonl")
        yield from _messages(f"blind/{roster.stem}", cases, load_profile(roster), blind=True)


def _messages(
    source: str,
    path: Path,
    roster: SchoolProfile | dict[str, SchoolProfile],
    *,
    blind: bool = False,
) -> Iterator[Message]:
    """A case table's messages; with several rosters, each case's `school` picks one (cases of
    a school whose roster is not there are left out)."""
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            case: dict[str, Any] = json.loads(line)
            school = str(case.get("school", "riverside"))
            profile = roster.get(school) if isinstance(roster, dict) else roster
            if profile is not None:
                yield Message(source, str(case.get("id", n)), str(case["text"]), profile, blind)
