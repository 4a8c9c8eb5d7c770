"""SLT's weekly digest on the local platform: at the school's time, once per person and week,
with last week's counts and the report attached; not for a contact who opted out, nor where
the school has not asked for it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.local import LocalPlatform, Seen
from bot.app import App
from bot.clock import ManualClock
from bot.config import WeeklyDigest
from bot.model import Digest
from tests.bot.conftest import ABUSIVE, CHAT, OTHER_SLT, PARENT, SLT, StartApp, make_config

WEEKLY = "policy:\n  weekly_digest: {}\n"  # Mondays at 08:00, London time


async def digests_to(app: App, local: LocalPlatform, user_id: str, count: int) -> list[Seen]:
    """The digests that reached a person, once `count` have (the digest is prepared in the
    background)."""
    for _ in range(500):
        await app.drain()
        seen = [s for s in local.seen_by(user_id) if s.kind == "digest"]
        if len(seen) >= count:
            return seen
        await asyncio.sleep(0.01)
    raise AssertionError(f"{user_id} got {len(seen)} digest(s), not {count}")


async def test_each_slt_contact_gets_it_once_a_week_with_the_report(
    tmp_path: Path, running: StartApp, clock: ManualClock
) -> None:
    config = make_config(tmp_path, WEEKLY)
    # The clock starts on Monday 2 March at 09:00: an hour after this week's was due.
    async with running(config) as (app, local):
        [first] = await digests_to(app, local, SLT.user_id, 1)
        await digests_to(app, local, OTHER_SLT.user_id, 1)  # the other school's SLT too
        assert first.text.startswith("Weekly digest for Riverside Primary School")
        assert "Incidents: 0 (the week before: 0, no change)." in first.text
        assert first.attachment == "schoolgate-riverside-2025-12-01-to-2026-03-01.html"

        for _ in range(3):
            await local.send(CHAT, PARENT, ABUSIVE)
            clock.advance(hours=1)
        await app.drain()
        clock.advance(days=7)  # Monday 9 March, 11:00
        second = (await digests_to(app, local, SLT.user_id, 2))[-1]
        assert "Incidents: 3 (the week before: 0, +3)." in second.text
        assert "By category: abuse 3." in second.text
        [sent] = [a for a, _ in local.delivered if isinstance(a, Digest) and a.key == second.key]
        assert sent.file.startswith("<!DOCTYPE html>")
        assert "<svg" in sent.file
        assert "Amy" not in sent.file  # senders pseudonymised
        await digests_to(app, local, OTHER_SLT.user_id, 2)
    # A restart the same morning sends nothing twice.
    async with running(config) as (app, local):
        await app.drain()
        await asyncio.sleep(0.2)
        await app.drain()
        assert [s for s in local.seen_by(SLT.user_id) if s.kind == "digest"] == []
        assert len(await app.store.actions(kind="digest")) == 4


async def test_not_for_a_contact_who_opted_out_nor_a_school_that_did_not_ask(
    tmp_path: Path, running: StartApp, clock: ManualClock
) -> None:
    opted_out = make_config(tmp_path, WEEKLY).model_copy(deep=True)
    school = opted_out.schools[0]
    contact = school.slt[0].model_copy(update={"digest": False})
    opted_out = opted_out.model_copy(
        update={"schools": (school.model_copy(update={"slt": (contact,)}), *opted_out.schools[1:])}
    )
    async with running(opted_out) as (app, local):
        await digests_to(app, local, OTHER_SLT.user_id, 1)
        assert [s for s in local.seen_by(SLT.user_id) if s.kind == "digest"] == []

    async with running(make_config(tmp_path, db="plain.sqlite3")) as (app, local):
        clock.advance(days=8)
        await app.drain()
        await asyncio.sleep(0.1)
        assert await app.store.actions(kind="digest") == []


def test_the_digest_falls_due_at_the_schools_local_time_across_the_clock_change() -> None:
    london = ZoneInfo("Europe/London")
    monday_8 = WeeklyDigest()
    # Sunday 29 March 2026 the clocks go forward: Monday 30 March 08:00 is 07:00 UTC.
    assert monday_8.last_before(datetime(2026, 3, 30, 7, 0, tzinfo=UTC), london) == datetime(
        2026, 3, 30, 8, 0, tzinfo=london
    )
    assert monday_8.last_before(datetime(2026, 3, 30, 6, 59, tzinfo=UTC), london) == datetime(
        2026, 3, 23, 8, 0, tzinfo=london
    )
    friday = WeeklyDigest.model_validate({"day": "friday", "at": "7:30"})
    assert friday.last_before(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), london) == datetime(
        2026, 2, 27, 7, 30, tzinfo=london
    )


def test_the_weekly_digest_is_on_by_default_and_can_be_turned_off(tmp_path: Path) -> None:
    from bot.config import WeeklyDigest, parse_config

    base = "schools:\n  - id: s\n    name: S School\nlocal: {}\n"
    assert parse_config(base, "on.yaml").policy.weekly_digest == WeeklyDigest()
    for off in ("off", "false", '"off"'):
        config = parse_config(base + f"policy:\n  weekly_digest: {off}\n", "off.yaml")
        assert config.policy.weekly_digest is None
