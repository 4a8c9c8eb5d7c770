"""Fixtures for the bad-input tests: the real rules core and a school's profile, and a record
of everything the rules core logs (it logs only when it failed on a message)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.common import EngineFailures, recording_engine_failures
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


@pytest.fixture(scope="module")
def rules_failures() -> Iterator[EngineFailures]:
    """Every record logged under `rules` while the module's tests run."""
    with recording_engine_failures() as failures:
        yield failures
