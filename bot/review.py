"""SLT's view of incidents where they already are: `/incidents [days]` lists every open incident
of their school, `/incident ID` shows one with its history.

The list is sent as pages by direct message through the outbox, like alerts: each page holds
up to `digest.MAX_ITEMS` incidents, numbered, each with its own buttons (labelled with its
number), within the strictest platform's limits. The pages are stored with no incident, so
the term report does not count them as alerts (bot/store.py `handling`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from bot import texts
from bot.config import School
from bot.digest import MAX_CHARS, MAX_ITEMS
from bot.model import Alert, Button, ChatRef, UserRef
from bot.platform import Capability
from bot.policy import alert_buttons
from bot.store import ActionRow, AuditRow, IncidentRow

DEFAULT_DAYS = 7
MOST_DAYS = 366
QUOTE = 160  # characters of a flagged message shown in a list
STATES = {
    "open": "awaiting a decision",
    "dismissed": "not a breach",
    "deleted": "deleted",
    "closed": "chat closed",
}


def days_asked(args: str) -> int | None:
    """`/incidents 14` -> 14; nothing -> the default; anything else -> None."""
    word = args.strip()
    if not word:
        return DEFAULT_DAYS
    if not word.isdigit() or not 1 <= int(word) <= MOST_DAYS:
        return None
    return int(word)


def incident_asked(args: str) -> int | None:
    """`/incident 42` or `/incident #42` -> 42; anything else -> None."""
    word = args.strip().removeprefix("#")
    return int(word) if word.isdigit() and len(word) < 12 else None


def item(incident: IncidentRow, school: School, zone: ZoneInfo) -> str:
    """One incident in a list: which, when, where, who, what."""
    quote = " ".join(incident.text.split())
    if len(quote) > QUOTE:
        quote = quote[: QUOTE - 1] + "\u2026"
    return (
        f"#{incident.id} \u00b7 {texts.when(incident.sent_at, zone)} \u00b7 "
        f"{school.chat_name(incident.chat)} ({incident.chat.platform})\n"
        f"{incident.user.label}: {', '.join(incident.categories)} ({incident.severity})"
        f"{', urgent' if incident.urgent else ''}, offence {incident.offence_number}\n"
        f"\u201c{quote}\u201d"
    )


def pages(
    incidents: Sequence[IncidentRow],
    school: School,
    zone: ZoneInfo,
    *,
    to: UserRef,
    days: int,
    key: str,
    capabilities: Callable[[ChatRef], frozenset[Capability]],
) -> list[Alert]:
    """The open incidents as numbered pages, each item with its buttons."""
    chunks: list[list[IncidentRow]] = []
    size = 0
    for incident in incidents:
        length = len(item(incident, school, zone)) + 8
        if not chunks or len(chunks[-1]) >= MAX_ITEMS or size + length > MAX_CHARS - 200:
            chunks.append([])
            size = 0
        chunks[-1].append(incident)
        size += length
    out = []
    number = 0
    for page, chunk in enumerate(chunks, start=1):
        lines = [
            f"Open incidents at {school.name} in the last {days} day{'s' * (days != 1)}: "
            f"{len(incidents)}. Page {page} of {len(chunks)}."
        ]
        buttons: list[Button] = []
        for incident in chunk:
            number += 1
            lines.append(f"({number}) {item(incident, school, zone)}")
            buttons += [
                Button(b.action, b.key, f"{b.label} ({number})")
                for b in alert_buttons(incident.key, capabilities(incident.chat))
            ]
        out.append(
            Alert(
                key=f"{key}-{page}",
                chat=chunk[0].chat,
                recipient=to,
                incident_key=chunk[0].key,
                text="\n\n".join(lines),
                buttons=tuple(buttons),
            )
        )
    return out


def history(
    incident: IncidentRow,
    school: School,
    zone: ZoneInfo,
    actions: Sequence[ActionRow],
    audit: Sequence[AuditRow],
    *,
    earlier: int,
    window_days: int,
    limit: int,
) -> str:
    """One incident and everything done about it, oldest first, within `limit` characters."""
    lines = [
        item(incident, school, zone),
        f"Status: {STATES.get(incident.status, incident.status)}"
        + (
            f" ({incident.resolved_by_name or incident.resolved_by}, "
            f"{texts.when(incident.resolved_at, zone)})"
            if incident.resolved_at
            else ""
        ),
        f"The sender's incidents in the last {window_days} days, this one included: {earlier}.",
        "Why: " + " ".join(dict.fromkeys(str(f.get("reason", "")) for f in incident.findings)),
        "",
        "History:",
        f"\u2022 {texts.when(incident.created_at, zone)}: flagged",
    ]
    events = [(row.created_at, _action_line(row)) for row in actions]
    events += [(entry.at, _audit_line(entry)) for entry in audit]
    for moment, line in sorted(events, key=lambda event: event[0]):
        lines.append(f"\u2022 {texts.when(moment, zone)}: {line}")
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    return text[: limit - 2].rsplit("\n", 1)[0] + "\n\u2026"


_KINDS = {
    "remind": "reminder to the sender",
    "alert": "alert to {who}",
    "delete": "deleting the message",
    "settle_alert": "alert to {who} marked decided",
    "notice": "notice in the chat",
    "close": "closing the chat",
    "reopen": "reopening the chat",
}
_STATUS = {"done": "delivered", "pending": "waiting", "failed": "failed"}


def _action_line(row: ActionRow) -> str:
    who = getattr(row.action, "recipient", None)
    what = _KINDS.get(row.kind, row.kind).format(who=who.label if who else "")
    how = f" by {row.path}" if row.status == "done" and row.path else ""
    note = f" ({row.note})" if row.status == "failed" and row.note else ""
    return f"{what}: {_STATUS.get(row.status, row.status)}{how}{note}"


def _audit_line(entry: AuditRow) -> str:
    who = entry.actor_name or entry.actor_id
    what = entry.action.removeprefix("button:")
    if entry.outcome == "refused":
        return f"{who} tried to {what}: refused ({entry.detail})"
    return f"{who}: {what}" + (f" ({entry.detail})" if entry.detail else "")
