"""`schoolgate scan`: run the rules core over a JSONL file of messages, offline."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.config import Config, School
from bot.moderator import build_profile
from bot.whatsapp.archive import is_zip
from bot.whatsapp.parser import clean, header
from learned import Evaluator
from rules.model import Verdict


class InputError(Exception):
    """A broken input line; the message names the source and the line."""


@dataclass(frozen=True, slots=True)
class Item:
    id: Any
    text: str


def read_items(lines: Iterable[str], source: str) -> tuple[list[Item], list[str]]:
    """Each non-blank line is a JSON object with `id` and `text` (other keys are ignored).

    A broken line does not stop the rest: it is left out and described in the problems
    returned ("source:line: why"), so one bad line costs one message, not the file."""
    items: list[Item] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            item = _item(line)
            if isinstance(item, Item):
                items.append(item)
            else:
                problems.append(f"{source}:{number}: {item}")
    return items, problems


def _item(line: str) -> Item | str:
    """The line's message, or why it cannot be read."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not valid JSON: {exc.msg}"
    if not isinstance(data, dict):
        return "expected a JSON object with 'id' and 'text'"
    for key in ("id", "text"):
        if key not in data:
            return f"missing key '{key}'"
    if not isinstance(data["text"], str):
        return "'text' must be a string"
    return Item(data["id"], data["text"])


def detect_format(head: bytes, source: str) -> Literal["jsonl", "whatsapp"]:
    """What the input is, from its first bytes: a zip, or a first line that starts with a date
    and a time, is a WhatsApp export; a first line that starts like JSON is JSON lines."""
    if is_zip(head):
        return "whatsapp"
    for number, line in enumerate(head.decode("utf-8", errors="replace").split("\n"), start=1):
        if not clean(line).strip():
            continue
        if header(line) is not None:
            return "whatsapp"
        if clean(line).lstrip().startswith(("{", "[")):
            return "jsonl"
        shown = clean(line).strip()
        raise InputError(
            f"{source}:{number}: neither JSON lines nor a WhatsApp chat export: {shown[:60]!r}"
        )
    return "jsonl"


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


def verdict_fields(verdict: Verdict) -> dict[str, Any]:
    """What `scan` says of a message, after the keys that say which message it is."""
    return {
        "flagged": verdict.flagged,
        "categories": [c.value for c in verdict.categories],
        "severity": verdict.severity.value if verdict.severity else None,
        "staff": list(verdict.staff),
        "pupils": list(verdict.pupils),
        "reasons": list(verdict.reasons),
        "clauses": [c.value for c in verdict.clauses],
    }


def scan(
    items: Iterable[Item], school: School, detector: Evaluator
) -> Iterator[tuple[Item, Verdict]]:
    profile = build_profile(school)
    for item in items:
        yield item, detector.evaluate(item.text, profile)


_JSON = json.JSONEncoder(ensure_ascii=False)  # one encoder for every line, not one per line


def write_rows(rows: Iterable[dict[str, Any]], out: TextIO) -> None:
    """One JSON object per line."""
    for row in rows:
        out.write(_JSON.encode(row) + "\n")


def write_jsonl(results: Iterable[tuple[Item, Verdict]], out: TextIO) -> None:
    write_rows(({"id": item.id, **verdict_fields(verdict)} for item, verdict in results), out)


def excerpt(text: str, limit: int = 200) -> str:
    """A message on one line for a table cell: line breaks shown as ⏎, cut at `limit`."""
    flat = " ⏎ ".join(" ".join(line.split()) for line in text.strip().splitlines())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def write_table(results: Iterable[tuple[Item, Verdict]], console: Console) -> None:
    """All messages, as wide as the terminal; the message column takes what is left over."""
    table = Table(expand=True, show_lines=False)
    table.add_column("id", no_wrap=True)
    table.add_column("flagged", no_wrap=True)
    table.add_column("categories", overflow="fold")
    table.add_column("severity", no_wrap=True)
    table.add_column("staff / pupils", overflow="fold")
    table.add_column("message", overflow="fold", ratio=3)
    table.add_column("reasons", overflow="fold", ratio=2)
    flagged = total = 0
    for item, verdict in results:
        total += 1
        flagged += verdict.flagged
        row = verdict_fields(verdict)
        table.add_row(
            str(item.id),
            "[bold red]yes[/]" if verdict.flagged else "no",
            ", ".join(row["categories"]),
            row["severity"] or "",
            ", ".join(row["staff"] + row["pupils"]),
            Text(excerpt(item.text)),
            "; ".join(row["reasons"]),
        )
    console.print(table)
    console.print(f"{flagged} of {total} message(s) flagged")
