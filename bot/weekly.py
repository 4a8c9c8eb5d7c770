"""SLT's weekly digest: at the time the school sets (`weekly_digest:` in its policy; Monday 08:00
in the school's time zone unless set, `off` for none), each SLT contact who has not opted out
(`digest: false`) gets a short direct message with last week's counts and how they changed, and
the report of the last 13 weeks attached where the platform takes a file. It goes through the
outbox like any action, with its retries; its key names the school, the week and the person, so
it is sent once.

A bot that was not running at the time sends it when it starts, up to `CATCH_UP` later."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config import Config, School
from bot.model import Digest, UserRef
from bot.reports.term import TermReport, gather, readable_minutes, report_html
from bot.store import Store

CATCH_UP = timedelta(hours=6)
RETRY = timedelta(minutes=10)  # after a failure to prepare one (within CATCH_UP)
REPORT_WEEKS = 13


def digest_key(school: School, due: datetime, recipient: UserRef) -> str:
    seed = f"{school.id}|{due.isoformat()}|{recipient.platform}|{recipient.user_id}"
    return "wd-" + hashlib.blake2b(seed.encode(), digest_size=12).hexdigest()


def recipients(school: School, running: Sequence[str]) -> list[UserRef]:
    """Each SLT contact who takes the digest, on the first running platform they have an id on."""
    found = []
    for contact in school.slt:
        if not contact.digest:
            continue
        for platform in running:
            user_id = contact.id_on(platform)
            if user_id:
                found.append(UserRef(platform, user_id, contact.name))
                break
    return found


def next_due(config: Config, now: datetime) -> datetime | None:
    """The next time any school's digest falls due after `now`."""
    times = []
    for school in config.schools:
        settings = config.settings_for(school)
        if settings.weekly_digest is not None:
            last = settings.weekly_digest.last_before(now, settings.zone)
            times.append(last + timedelta(days=7))
    return min(times, default=None)


async def queue_due(config: Config, store: Store, clock: Clock, running: Sequence[str]) -> int:
    """Store the digests due now (or up to `CATCH_UP` ago) that are not stored yet; returns
    how many were stored."""
    now = clock.now()
    stored = 0
    for school in config.schools:
        settings = config.settings_for(school)
        if settings.weekly_digest is None:
            continue
        due = settings.weekly_digest.last_before(now, settings.zone)
        if now - due > CATCH_UP:
            continue
        people = recipients(school, running)
        async with store.read() as s:
            missing = [p for p in people if await s.action(digest_key(school, due, p)) is None]
        if not missing:
            continue
        digests = await _digests(config, store, school, due, missing, now)
        async with store.transaction() as s:
            stored += await s.add_actions(digests, now, school_id=school.id)
    return stored


async def _digests(
    config: Config,
    store: Store,
    school: School,
    due: datetime,
    people: Sequence[UserRef],
    now: datetime,
) -> list[Digest]:
    zone = config.settings_for(school).zone
    yesterday = due.astimezone(zone).date() - timedelta(days=1)
    first = yesterday - timedelta(weeks=REPORT_WEEKS) + timedelta(days=1)
    term = await gather(store, config, [school], first, yesterday, generated_at=now)
    week = await gather(
        store, config, [school], yesterday - timedelta(days=6), yesterday, generated_at=now
    )
    page = await asyncio.to_thread(report_html, term)  # matplotlib: off the event loop
    text = summary(school, week, term)
    name = f"schoolgate-{school.id}-{first}-to-{yesterday}.html"
    return [
        Digest(key=digest_key(school, due, p), recipient=p, text=text, file_name=name, file=page)
        for p in people
    ]


def summary(school: School, week: TermReport, term: TermReport) -> str:
    """Last week in a few lines, against the week before."""
    weeks = term.tables["by_week"].rows
    before = int(weeks[-2][1] or 0) if len(weeks) > 1 else 0
    count = int(week.summary["incidents"] or 0)
    change = count - before
    categories = ", ".join(f"{r[0]} {r[1]}" for r in week.tables["by_category"].rows) or "none"
    lines = [
        f"Weekly digest for {school.name}: the week beginning "
        f"{week.first:%a} {week.first.day} {week.first:%b %Y}.",
        f"Incidents: {count} (the week before: {before}, "
        f"{'no change' if not change else f'{change:+d}'}).",
        f"By category: {categories}.",
        f"Dismissed as not a breach: {week.summary['dismissed']}. Awaiting a decision now: "
        f"{term.summary['awaiting_decision']} (/incidents lists them).",
    ]
    median, p90 = (
        week.summary["median_minutes_to_first_action"],
        week.summary["p90_minutes_to_first_action"],
    )
    if isinstance(median, float) and isinstance(p90, float):
        lines.append(
            f"From alert to first action: median {readable_minutes(median)}, "
            f"9 in 10 within {readable_minutes(p90)}."
        )
    lines.append(
        f"Attached: the report of the last {REPORT_WEEKS} weeks (open it in a browser; it "
        "prints on A4)."
    )
    return "\n".join(lines)
