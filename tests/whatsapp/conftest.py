"""Reading the fixtures: exports written for these tests, by invented people."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_text(name: str) -> str:
    """The file as written, CRLF and BOM included."""
    return (FIXTURES / name).read_bytes().decode("utf-8")
