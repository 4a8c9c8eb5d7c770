"""Fixtures for the rules core tests: one engine and the profiles of two schools."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.common import recording_engine_failures
from rules import RulesEngine, SchoolProfile
from tests.rules.corpus import oakfield

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


@pytest.fixture(scope="session")
def engine() -> RulesEngine:
    return RulesEngine()


@pytest.fixture(scope="session")
def school() -> SchoolProfile:
    """Oakfield: a roster whose surnames are everyday words (Brown, Wood, King...)."""
    return oakfield()


@pytest.fixture(scope="session")
def empty_school() -> SchoolProfile:
    return SchoolProfile.build("none", [])


@pytest.fixture(scope="session")
def shared_eval() -> Path:
    path = SHARED / "eval"
    if not (path / "parent_chat_dev.jsonl").exists():
        pytest.skip("../shared/eval is not available in this checkout")
    return path


@pytest.fixture(autouse=True)
def engine_never_failed() -> Iterator[None]:
    """`evaluate` catches its own failures and answers "not flagged", so a bug in a rule would
    show only as a missed case: fail the test that met it instead."""
    with recording_engine_failures() as failures:
        yield
    assert [r.getMessage() for r in failures.records] == []
