"""Quiet hours: low-severity alerts raised at night are gathered into a morning digest per SLT
contact, instead of one message each.

A digest is one message of at most `MAX_ITEMS` alerts and `MAX_CHARS` characters (Discord, the
strictest platform, allows 25 buttons and 2,000 characters a message); more held alerts continue
in a second message. An alert held after its digest was sent (the clock stepped back, or the hour
repeated when the clocks go back) starts another digest rather than being lost."""

from __future__ import annotations

import hashlib
from datetime import datetime
from itertools import count
from zoneinfo import ZoneInfo

from bot.model import Alert, Button
from bot.store import Session

MAX_ITEMS = 8  # up to three buttons each: within Discord's 25 a message
MAX_CHARS = 1_900  # within Discord's 2,000 characters, with room for the numbering


def digest_key(alert: Alert, until: datetime, part: int = 1) -> str:
    seed = f"{alert.recipient.platform}|{alert.recipient.user_id}|{until.timestamp()}"
    key = "dg-" + hashlib.blake2b(seed.encode(), digest_size=9).hexdigest()
    return key if part == 1 else f"{key}-{part}"


def items(digest: Alert) -> int:
    """How many alerts a digest holds: each brings its incident's buttons, "Not a breach" always."""
    return len({b.key for b in digest.buttons})


def has_room(digest: Alert, alert: Alert) -> bool:
    return items(digest) < MAX_ITEMS and len(digest.text) + len(alert.text) + 8 <= MAX_CHARS


def merged(
    digest: Alert | None, alert: Alert, until: datetime, zone: ZoneInfo, part: int = 1
) -> Alert:
    """The digest with one more held alert in it, numbered; its buttons say which item."""
    number = items(digest) + 1 if digest else 1
    buttons = tuple(Button(b.action, b.key, f"{b.label} ({number})") for b in alert.buttons)
    if digest is None:
        header = (
            f"Quiet-hours digest, sent at {until.astimezone(zone):%H:%M}: low-severity "
            "breaches held overnight. Urgent ones are never held."
            + ("" if part == 1 else f" (continued, part {part})")
        )
        return Alert(
            key=digest_key(alert, until, part),
            chat=alert.chat,
            recipient=alert.recipient,
            incident_key=alert.incident_key,
            text=f"{header}\n\n({number}) {alert.text}",
            buttons=buttons,
        )
    return Alert(
        key=digest.key,
        chat=digest.chat,
        recipient=digest.recipient,
        incident_key=digest.incident_key,
        text=f"{digest.text}\n\n({number}) {alert.text}",
        buttons=digest.buttons + buttons,
    )


async def hold(
    session: Session,
    alert: Alert,
    until: datetime,
    zone: ZoneInfo,
    *,
    now: datetime,
    school_id: str,
    incident_id: int,
) -> None:
    """Add a held alert to the first of its recipient's digests for `until` that is still
    waiting and has room, starting the next part if none has."""
    for part in count(1):
        row = await session.action(digest_key(alert, until, part))
        if row is None:
            await session.add_actions(
                [merged(None, alert, until, zone, part)],
                now,
                school_id=school_id,
                incident_id=incident_id,
                not_before=until,
            )
            return
        digest = row.action
        if row.status == "pending" and isinstance(digest, Alert) and has_room(digest, alert):
            await session.replace_action(row.id, merged(digest, alert, until, zone), now)
            return
