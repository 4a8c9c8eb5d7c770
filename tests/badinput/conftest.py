"""Fixtures for the bad-input tests: the real rules core and a school's profile, and a record
of everything the rules core logs (it logs only when it failed on a message)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from rules import RulesEngine, SchoolProfile, StaffMember

STAFF = (
    StaffMember("carter", "Mr", "James", "Carter", ("headteacher", "head"), ("Mr C",)),
    StaffMember("shah", "Mrs", "Linda", "Shah", ("deputy head",)),
    StaffMember("turner", "Miss", "Sophie", "Turner", ("year 3 teacher", "SENCo")),
)
PUPILS = ("Noah", "Isla")


@pytest.fixture(scope="session")
def engine() -> RulesEngine:
    return RulesEngine()


@pytest.fixture(scope="session")
def school() -> SchoolProfile:
    return SchoolProfile.build("riverside", STAFF, PUPILS, names=("Riverside Primary School",))


class Failures(logging.Handler):
    """Collects the records the rules core logs: it logs only when `evaluate` caught a failure."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def rules_failures() -> Iterator[Failures]:
    """Every record logged under `rules` while the module's tests run."""
    handler = Failures()
    logger = logging.getLogger("rules")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
