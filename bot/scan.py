"""`schoolgate scan`: run the rules core over a JSONL file of messages, offline."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from bot.config import Config, School
from bot.moderator import build_profile
from rules import RulesEngine
from rules.model import Verdict


class InputError(Exception):
    """A broken input line; the message names the source and the line."""


@dataclass(frozen=True, slots=True)
class Item:
    id: Any
    text: str


def read_items(lines: Iterable[str], source: str) -> list[Item]:
    """Each non-blank line is a JSON object with `id` and `text` (other keys are ignored)."""
    items: list[Item] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}:{number}: not valid JSON: {exc.msg}") from None
        if not isinstance(data, dict):
            raise InputError(f"{source}:{number}: expected a JSON object with 'id' and 'text'")
        for key in ("id", "text"):
            if key not in data:
                raise InputError(f"{source}:{number}: missing key '{key}'")
        if not isinstance(data["text"], str):
            raise InputError(f"{source}:{number}: 'text' must be a string")
        items.append(Item(data["id"], data["text"]))
    return items


def choose_school(config: Config, school_id: str | None, source: str) -> School:
    if school_id is None:
        if len(config.schools) == 1:
            return config.schools[0]
        ids = ", ".join(s.id for s in config.schools)
        raise InputError(f"{source}: the config has several schools ({ids}); choose with --school")
    school = config.school(school_id)
    if school is None:
        ids = ", ".join(s.id for s in config.schools)
        raise InputError(f"{source}: no school with id {school_id!r} (the config has: {ids})")
    return school


def result(item: Item, verdict: Verdict) -> dict[str, Any]:
    return {
        "id": item.id,
        "flagged": verdict.flagged,
        "categories": [c.value for c in verdict.categories],
        "severity": verdict.severity.value if verdict.severity else None,
        "staff": list(verdict.staff),
        "pupils": list(verdict.pupils),
        "reasons": list(verdict.reasons),
        "clauses": [c.value for c in verdict.clauses],
    }


def scan(items: Iterable[Item], school: School, engine: RulesEngine) -> Iterator[dict[str, Any]]:
    profile = build_profile(school)
    for item in items:
        yield result(item, engine.evaluate(item.text, profile))


def write_jsonl(results: Iterable[dict[str, Any]], out: TextIO) -> None:
    for row in results:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_table(results: Iterable[dict[str, Any]], console: Console) -> None:
    table = Table(show_lines=False)
    for column in ("id", "flagged", "categories", "severity", "staff / pupils", "reasons"):
        table.add_column(column, overflow="fold")
    flagged = total = 0
    for row in results:
        total += 1
        flagged += row["flagged"]
        table.add_row(
            str(row["id"]),
            "[bold red]yes[/]" if row["flagged"] else "no",
            ", ".join(row["categories"]),
            row["severity"] or "",
            ", ".join(row["staff"] + row["pupils"]),
            "; ".join(row["reasons"]),
        )
    console.print(table)
    console.print(f"{flagged} of {total} message(s) flagged")
