"""Quiet hours: low-severity alerts raised at night are gathered into one morning digest per
SLT contact, instead of one message each."""

from __future__ import annotations

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.model import Alert, Button
from bot.store import Session

MAX_ITEMS_WITH_BUTTONS = 10  # a longer digest still lists everything; /status shows the rest


def digest_key(alert: Alert, until: datetime) -> str:
    seed = f"{alert.recipient.platform}|{alert.recipient.user_id}|{until.timestamp()}"
    return "dg-" + hashlib.blake2b(seed.encode(), digest_size=9).hexdigest()


def merged(digest: Alert | None, alert: Alert, until: datetime, zone: ZoneInfo) -> Alert:
    """The digest with one more held alert in it, numbered; its buttons say which item."""
    number = len({b.key for b in digest.buttons}) + 1 if digest else 1
    buttons = tuple(Button(b.action, b.key, f"{b.label} ({number})") for b in alert.buttons)
    if digest is None:
        header = (
            f"Quiet-hours digest, sent at {until.astimezone(zone):%H:%M}: low-severity "
            "breaches held overnight. Urgent ones are never held."
        )
        return Alert(
            key=digest_key(alert, until),
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
        buttons=digest.buttons + (buttons if number <= MAX_ITEMS_WITH_BUTTONS else ()),
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
    """Add a held alert to its recipient's digest for `until`, creating the digest if needed."""
    key = digest_key(alert, until)
    row = await session.action(key)
    if row is None or row.status != "pending" or not isinstance(row.action, Alert):
        await session.add_actions(
            [merged(None, alert, until, zone)],
            now,
            school_id=school_id,
            incident_id=incident_id,
            not_before=until,
        )
    else:
        await session.replace_action(row.id, merged(row.action, alert, until, zone), now)
