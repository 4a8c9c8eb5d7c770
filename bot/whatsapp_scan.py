"""`schoolgate scan` of a WhatsApp export: every entry judged by both detection stages (or the
rules core alone), written as JSON lines or a table, and the flagged ones recorded as incidents
of a `whatsapp` chat."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, TextIO

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from bot.clock import Clock
from bot.config import School
from bot.model import ChatMessage, ChatRef, UserRef
from bot.moderator import build_profile, finding_data, new_key
from bot.scan import excerpt, verdict_fields, write_rows
from bot.store import NewIncident, Store
from bot.whatsapp.parser import Chat, Entry
from learned import Evaluator
from rules import SchoolProfile
from rules.model import Verdict

PLATFORM = "whatsapp"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Above this many messages a terminal shows a progress bar, and the work is shared among
# processes: below it, starting them costs more than it saves.
LARGE_EXPORT = 10_000
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Judged:
    entry: Entry
    verdict: Verdict  # empty (not flagged) for what is not judged: system lines, deletions

    @property
    def flagged(self) -> bool:
        return self.verdict.flagged


def judge(
    chat: Chat,
    school: School,
    detector: Evaluator,
    *,
    processes: int | None = None,
    progress: Console | None = None,
) -> list[Judged]:
    """Every entry with the verdict on what its author wrote. A large export is
    shared among `processes` (default: one per core); `progress` shows a bar on that console
    when the export is large and the console is a terminal."""
    profile = build_profile(school)
    texts = [entry.judged_text for entry in chat.entries]
    todo = [i for i, text in enumerate(texts) if text.strip()]
    verdicts = [Verdict()] * len(texts)
    large = len(todo) > LARGE_EXPORT
    workers = (processes or os.cpu_count() or 1) if large else 1
    bar = progress is not None and progress.is_terminal and large
    with (
        _evaluator(detector, profile, workers) as evaluate,
        Progress(console=progress, transient=True, disable=not bar) as shown,
    ):
        task = shown.add_task("Checking messages", total=len(todo))
        for index, verdict in evaluate([(i, texts[i]) for i in todo]):
            verdicts[index] = verdict
            shown.advance(task)
    return [Judged(entry, verdict) for entry, verdict in zip(chat.entries, verdicts, strict=True)]


Evaluate = Callable[[list[tuple[int, str]]], Iterator[tuple[int, Verdict]]]
# The detector and profile a forked worker inherits: built once in the parent, not pickled.
_WORKER: tuple[Evaluator, SchoolProfile] | None = None


@contextmanager
def _evaluator(detector: Evaluator, profile: SchoolProfile, workers: int) -> Iterator[Evaluate]:
    """Judges (index, text) pairs in order, in this process or shared among `workers`."""
    global _WORKER
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield lambda work: ((index, detector.evaluate(text, profile)) for index, text in work)
        return
    _WORKER = (detector, profile)
    try:
        # The workers fork here, before the progress bar starts a thread.
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield lambda work: (
                pair for done in pool.imap(_evaluate_chunk, _chunks(work)) for pair in done
            )
    finally:
        _WORKER = None


def _chunks(work: list[tuple[int, str]]) -> Iterator[list[tuple[int, str]]]:
    for start in range(0, len(work), _CHUNK):
        yield work[start : start + _CHUNK]


def _evaluate_chunk(chunk: list[tuple[int, str]]) -> list[tuple[int, Verdict]]:
    assert _WORKER is not None
    detector, profile = _WORKER
    return [(index, detector.evaluate(text, profile)) for index, text in chunk]


# ---- output ----


def row(judged: Judged) -> dict[str, Any]:
    """One JSON line: which entry, what it is, and the verdict."""
    entry = judged.entry
    return {
        "id": str(entry.line),
        "author": entry.author,
        "time": entry.time.isoformat(timespec="seconds"),
        "kind": entry.kind,
        "edited": entry.edited,
        "text": entry.text,
        **verdict_fields(judged.verdict),
    }


def write_jsonl(judged: Sequence[Judged], out: TextIO) -> None:
    write_rows(map(row, judged), out)


def write_table(judged: Sequence[Judged], chat: Chat, console: Console) -> None:
    """The flagged messages with author and time, as wide as the terminal (the reasons too,
    where it is wide enough for them)."""
    reasons = console.width >= 120
    table = Table(expand=True, title=chat.name or None)
    table.add_column("line", no_wrap=True, justify="right")
    table.add_column("time", no_wrap=True)
    table.add_column("author", overflow="fold", ratio=1, min_width=10)
    table.add_column("breach", overflow="fold", min_width=8)
    table.add_column("message", overflow="fold", ratio=3, min_width=16)
    if reasons:
        table.add_column("reasons", overflow="fold", ratio=2)
    flagged = [j for j in judged if j.flagged]
    for item in flagged:
        fields = verdict_fields(item.verdict)
        cells: list[str | Text] = [
            str(item.entry.line),
            item.entry.time.strftime("%d/%m/%y %H:%M"),
            item.entry.author or "",
            f"{', '.join(fields['categories'])} ({fields['severity']})",
            Text(excerpt(item.entry.judged_text)),
        ]
        table.add_row(*cells, *(["; ".join(fields["reasons"])] if reasons else []))
    console.print(table)
    messages = sum(1 for j in judged if j.entry.kind != "system")
    console.print(f"{len(flagged)} of {messages} message(s) flagged")
    for note in notes(chat):
        console.print(f"note: {note}")


def notes(chat: Chat) -> list[str]:
    """What was assumed and what could not be read, for whoever reads the result."""
    said = []
    if chat.order_assumed:
        said.append(
            "no date in the export settles whether the day or the month comes first; "
            "dates were read day first (14/09 is 14 September)"
        )
    said.extend(chat.problems)
    return said


# ---- recording ----


def message_keys(entries: Sequence[Entry]) -> list[str]:
    """A key per entry that is the same each time the chat is exported: from its time, author
    and text (and how many identical entries came before), not from where it sits in the file."""
    seen: Counter[tuple[str, str, str]] = Counter()
    keys = []
    for entry in entries:
        what = (entry.time.isoformat(), entry.author or "", entry.text)
        seen[what] += 1
        digest = hashlib.sha256("\x1f".join([*what, str(seen[what])]).encode()).hexdigest()
        keys.append(f"wa-{digest[:24]}")
    return keys


async def record(
    judged: Sequence[Judged],
    store: Store,
    school: School,
    chat_name: str,
    *,
    zone: tzinfo,
    clock: Clock,
) -> tuple[int, int]:
    """Store the flagged messages as incidents of the chat (no actions: nothing is sent).
    Returns (stored now, stored before): recording the same export again adds nothing."""
    chat = ChatRef(PLATFORM, chat_name, chat_name)
    keys = message_keys([j.entry for j in judged])
    added = before = 0
    now = clock.now()
    async with store.transaction() as s:
        for item, key in zip(judged, keys, strict=True):
            if not item.flagged:
                continue
            if await s.has_incident(chat, key):
                before += 1
                continue
            entry = item.entry
            author = entry.author or ""
            message = ChatMessage(
                chat=chat,
                author=UserRef(PLATFORM, author, author),
                message_id=key,
                text=entry.judged_text,
                sent_at=entry.time.replace(tzinfo=zone),
                edited=entry.edited,
            )
            offences = await s.count_offences(school.id, message.author, _EPOCH) + 1
            await s.add_incident(
                NewIncident(
                    key=new_key(),
                    school_id=school.id,
                    message=message,
                    categories=tuple(item.verdict.categories),
                    severity=item.verdict.severity or "low",
                    findings=tuple(finding_data(f) for f in item.verdict.findings),
                    offence_number=offences,
                    urgent=False,
                ),
                now,
            )
            added += 1
        await s.audit(
            at=now,
            school_id=school.id,
            actor=UserRef(PLATFORM, "scan", "schoolgate scan"),
            action="record_export",
            target=chat_name,
            detail=f"{added} incident(s) stored, {before} already stored",
        )
    return added, before
