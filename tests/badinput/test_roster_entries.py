"""A roster entry made of punctuation or pattern syntax is refused, not read as the letters
left in it: "(a+)+$" as an alias would otherwise be the word "a", and name a member of staff in
every message with an "a" in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rules import RulesEngine, SchoolProfile, StaffMember
from rules.roster import RosterError
from tests.badinput.test_config import (  # the config's environment variables, set for each test
    dotted,
    edited,
    environment,  # noqa: F401
    line_of,
    one_problem,
    write,
)

CARTER = StaffMember("carter", "Mr", "James", "Carter", ("headteacher",), ("Mr C",))
ODD = ["(a+)+$", "***", ".*", "[a-z]+", "?", "-", "a|b", "\U0001f600"]


@pytest.mark.parametrize("odd", ODD)
@pytest.mark.parametrize("field", ["title", "first", "last", "roles", "aliases"])
def test_a_staff_entry_that_is_not_a_name_is_refused(field: str, odd: str) -> None:
    value: Any = (odd,) if field in ("roles", "aliases") else odd
    fields = {"id": "cox", "title": "Mrs", "first": "Helen", "last": "Cox", field: value}
    with pytest.raises(RosterError) as raised:
        SchoolProfile.build("riverside", [CARTER, StaffMember(**fields)])
    assert "staff 'cox'" in str(raised.value)
    assert f"{odd!r} is not a name" in str(raised.value)


@pytest.mark.parametrize("odd", ODD)
def test_a_pupil_that_is_not_a_name_is_refused(odd: str) -> None:
    with pytest.raises(RosterError, match=r"pupil .* is not a name"):
        SchoolProfile.build("riverside", [CARTER], ["Noah", odd])


@pytest.mark.parametrize(
    "name", ["O'Neill", "Smith-Jones", "Mr.", "D&T teacher", "SENCo/DSL", "Zoë", "Year 3", "Siân"]
)
def test_names_with_the_marks_names_are_written_with_are_kept(
    engine: RulesEngine, name: str
) -> None:
    named = SchoolProfile.build(
        "riverside", [CARTER, StaffMember("cox", "Mrs", "Helen", "Cox", (name,), (name,))]
    )
    assert engine.evaluate("Mr Carter said the trip is on", named).mentioned_staff == ("carter",)
    assert engine.evaluate("Mrs Cox said so", named).mentioned_staff == ("cox",)


@pytest.mark.parametrize(
    "loc",
    [
        ("schools", 0, "staff", 0, "aliases", 0),
        ("schools", 0, "staff", 0, "roles", 0),
        ("schools", 0, "staff", 0, "last"),
        ("schools", 0, "pupils", 1),
    ],
)
def test_check_config_names_the_entry_that_is_not_a_name(
    loc: tuple[str | int, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def replace(parent: Any, last: Any) -> None:
        parent[last] = "(a+)+$"

    path = write(tmp_path, edited(loc, replace))
    assert one_problem(path, capsys) == (
        f"{path}:{line_of(path, loc)}: {dotted(loc)}: '(a+)+$' is not a name: it contains"
        " $ ( ) + (write it with letters, digits, spaces and ' . - & / only)"
    )
