"""The SLT report on a WhatsApp export: what was flagged, in context, by whom and when."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.config import School
from bot.reports.charts import COLOURS, weekly_bars
from bot.reports.render import render
from bot.whatsapp.parser import Chat
from bot.whatsapp_scan import Judged, notes

CONTEXT = 2  # messages shown before and after a flagged one


@dataclass(frozen=True, slots=True)
class AuthorSummary:
    author: str
    unsaved: bool
    messages: int
    flagged: int
    categories: str  # "staff 2, abuse 1"


def report_html(
    chat: Chat,
    judged: Sequence[Judged],
    school: School,
    *,
    chat_name: str,
    source: str,
    generated_at: datetime,
    unread: Sequence[str] = (),
) -> str:
    """The report as one HTML page; `unread` says what of the file could not be read, besides
    what the parser noted."""
    said = [j for j in judged if j.entry.kind != "system"]
    position = {id(j): i for i, j in enumerate(said)}
    flagged = [j for j in said if j.flagged]
    times = [j.entry.time for j in judged]
    return render(
        "whatsapp.html",
        title=f"WhatsApp chat check: {chat_name}",
        school=school,
        chat_name=chat_name,
        source=source,
        layout="iPhone" if chat.layout == "iphone" else "Android",
        first=min(times),
        last=max(times),
        message_count=len(said),
        members=len(chat.members),
        flagged=[_flagged(j, said, position[id(j)], school) for j in flagged],
        by_category=Counter(c for j in flagged for c in j.verdict.categories).most_common(),
        authors=_authors(said),
        chart=_chart(flagged, min(times).date(), max(times).date()),
        colours=COLOURS,
        notes=[*unread, *notes(chat)],
        generated_at=generated_at,
    )


def _flagged(item: Judged, said: Sequence[Judged], at: int, school: School) -> dict[str, Any]:
    verdict = item.verdict
    return {
        "entry": item.entry,
        "severity": verdict.severity.value if verdict.severity else "",
        "categories": [c.value for c in verdict.categories],
        "reasons": list(verdict.reasons),
        "clauses": [(c.value, school.policy.clauses.get(c, "")) for c in verdict.clauses],
        "evidence": sorted({f.span.text for f in verdict.findings if f.span.text}),
        "before": [j.entry for j in said[max(0, at - CONTEXT) : at]],
        "after": [j.entry for j in said[at + 1 : at + 1 + CONTEXT]],
    }


def _authors(said: Sequence[Judged]) -> list[AuthorSummary]:
    messages: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    categories: defaultdict[str, Counter[str]] = defaultdict(Counter)
    unsaved: set[str] = set()
    for item in said:
        author = item.entry.author or ""
        messages[author] += 1
        if item.entry.unsaved:
            unsaved.add(author)
        if item.flagged:
            flagged[author] += 1
            categories[author].update(c.value for c in item.verdict.categories)
    rows = [
        AuthorSummary(
            author,
            author in unsaved,
            count,
            flagged[author],
            ", ".join(f"{c} {n}" for c, n in categories[author].most_common()),
        )
        for author, count in messages.items()
    ]
    return sorted(rows, key=lambda r: (-r.flagged, -r.messages, r.author.casefold()))


def _chart(flagged: Sequence[Judged], first: date, last: date) -> str:
    start = first - timedelta(days=first.weekday())
    weeks = [start + timedelta(weeks=n) for n in range((last - start).days // 7 + 1)]
    counts: dict[str, list[int]] = {}
    for item in flagged:
        week = (item.entry.time.date() - start).days // 7
        category = item.verdict.categories[0].value  # the first, which the rules core ranks
        counts.setdefault(category, [0] * len(weeks))[week] += 1
    ordered = {c: counts[c] for c in COLOURS if c in counts}
    return weekly_bars(weeks, ordered)
