"""The policy: who hears of a breach, how urgently, and how repeats escalate and fade."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.local import LocalPlatform, Seen
from bot.app import App
from bot.clock import ManualClock
from bot.config import Mode, PolicySettings, QuietHours
from bot.policy import decide
from rules.model import Category, Clause, Finding, Severity, Span, Verdict
from tests.bot.conftest import (
    CHAT,
    OTHER_PARENT,
    PARENT,
    SLT,
    StartApp,
    make_config,
    private,
)

MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def verdict(category: Category, severity: Severity) -> Verdict:
    span = Span(0, 4, "text")
    return Verdict((Finding(category, severity, "test.rule", Clause.RESPECT, span, "reason"),))


@pytest.mark.parametrize(
    ("category", "severity", "offence", "remind", "alert", "urgent"),
    [
        (Category.ABUSE, Severity.LOW, 1, True, False, False),  # first mild breach: reminder
        (Category.ABUSE, Severity.LOW, 2, True, True, False),  # repeated: SLT hear of it
        (Category.COMPLAINT, Severity.LOW, 1, True, False, False),
        (Category.STAFF, Severity.MEDIUM, 1, True, True, False),  # medium: always alerted
        (Category.PRIVATE, Severity.HIGH, 1, True, True, False),
        (Category.THREAT, Severity.HIGH, 1, True, True, True),  # threats: urgent at once
        (Category.DISCRIMINATION, Severity.HIGH, 1, True, True, True),
        (Category.ABUSE, Severity.LOW, 4, True, True, True),  # many repeats: urgent
    ],
)
def test_decide(
    category: Category, severity: Severity, offence: int, remind: bool, alert: bool, urgent: bool
) -> None:
    decision = decide(
        PolicySettings(), verdict(category, severity), offence, can_delete=True, now=MONDAY_NOON
    )
    assert (decision.remind, decision.alert, decision.urgent) == (remind, alert, urgent)
    assert decision.delete is False  # only where the school enables it
    assert decision.hold_until is None


def test_delete_needs_both_the_school_and_the_platform() -> None:
    settings = PolicySettings(delete=(Category.ABUSE,))
    abuse = verdict(Category.ABUSE, Severity.LOW)
    assert decide(settings, abuse, 1, can_delete=True, now=MONDAY_NOON).delete
    assert not decide(settings, abuse, 1, can_delete=False, now=MONDAY_NOON).delete
    staff = verdict(Category.STAFF, Severity.MEDIUM)
    assert not decide(settings, staff, 1, can_delete=True, now=MONDAY_NOON).delete


def test_categories_can_be_left_out_of_reminders_and_alerts() -> None:
    settings = PolicySettings(remind=(Category.ABUSE,), alert=())
    decision = decide(settings, verdict(Category.STAFF, Severity.MEDIUM), 1, can_delete=False,
                      now=MONDAY_NOON)  # fmt: skip
    assert (decision.remind, decision.alert) == (False, False)


def test_quiet_hours_hold_low_alerts_but_never_urgent_ones() -> None:
    settings = PolicySettings(
        quiet_hours=QuietHours.model_validate({"start": "21:00", "end": "7:00"})
    )
    late = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # 22:30 in London (GMT in March)
    low = decide(settings, verdict(Category.ABUSE, Severity.LOW), 2, can_delete=False, now=late)
    assert low.alert
    assert low.hold_until == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
    threat = decide(settings, verdict(Category.THREAT, Severity.HIGH), 1, can_delete=False,
                    now=late)  # fmt: skip
    assert threat.hold_until is None
    noon = decide(settings, verdict(Category.ABUSE, Severity.LOW), 2, can_delete=False,
                  now=MONDAY_NOON)  # fmt: skip
    assert noon.hold_until is None


@pytest.mark.parametrize(
    ("category", "severity", "offence"),
    [
        (Category.ABUSE, Severity.LOW, 1),  # enforce: a reminder only
        (Category.STAFF, Severity.MEDIUM, 1),  # enforce: reminder and alert
        (Category.THREAT, Severity.HIGH, 1),  # enforce: urgent, and deleted
    ],
)
def test_observe_mode_alerts_slt_only_and_keeps_what_enforce_would_do(
    category: Category, severity: Severity, offence: int
) -> None:
    settings = PolicySettings(delete=(Category.THREAT,))
    flag = verdict(category, severity)
    enforced = decide(settings, flag, offence, can_delete=True, now=MONDAY_NOON)
    observed = decide(settings, flag, offence, can_delete=True, now=MONDAY_NOON, mode=Mode.OBSERVE)
    assert (observed.remind, observed.alert, observed.delete) == (False, True, False)
    assert observed.urgent == enforced.urgent
    assert observed.observed == enforced
    assert enforced.observed is None


def test_observe_mode_holds_low_alerts_in_quiet_hours() -> None:
    settings = PolicySettings(
        quiet_hours=QuietHours.model_validate({"start": "21:00", "end": "7:00"})
    )
    late = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
    low = verdict(Category.ABUSE, Severity.LOW)
    assert decide(settings, low, 1, can_delete=False, now=late).hold_until is None  # no alert
    observed = decide(settings, low, 1, can_delete=False, now=late, mode=Mode.OBSERVE)
    assert observed.hold_until == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)


MILD = "Honestly Sarah you are so stupid sometimes"


async def test_repeats_escalate_and_later_fade(
    tmp_path: Path, clock: ManualClock, running: StartApp
) -> None:
    config = make_config(tmp_path, "policy:\n  escalation: {window_days: 30}\n")
    async with running(config) as (app, local):

        async def offend() -> tuple[int, int]:
            await local.send(CHAT, PARENT, MILD)
            await app.drain()
            clock.advance(hours=1)
            return len(private(local, PARENT, "reminder")), len(private(local, SLT, "alert"))

        assert await offend() == (1, 0)  # first mild breach: a private reminder only
        assert await offend() == (2, 1)  # a repeat: SLT alerted, with the history
        second_alert = private(local, SLT, "alert")[-1]
        assert "2nd offence in 30 days" in second_alert
        assert not second_alert.startswith("URGENT")
        assert await offend() == (3, 2)
        assert await offend() == (4, 3)
        assert private(local, SLT, "alert")[-1].startswith("URGENT")  # the 4th is urgent

        clock.advance(days=31)  # the earlier offences no longer count
        assert await offend() == (5, 3)
        numbers = [i.offence_number for i in await app.store.incidents()]
        assert numbers == [1, 2, 3, 4, 1]


async def test_low_alerts_in_quiet_hours_wait_for_a_morning_digest(
    tmp_path: Path, clock: ManualClock, running: StartApp
) -> None:
    config = make_config(tmp_path, "policy:\n  quiet_hours: {start: '21:00', end: '07:00'}\n")
    clock.set(datetime(2026, 3, 2, 22, 0, tzinfo=UTC))
    async with running(config) as (app, local):
        for parent in (PARENT, PARENT, OTHER_PARENT, OTHER_PARENT):
            await local.send(CHAT, parent, MILD)  # each parent's second one alerts
            clock.advance(minutes=30)
        await app.drain()
        assert len(private(local, PARENT, "reminder")) == 2  # reminders are never held
        assert private(local, SLT, "alert") == []

        clock.set(datetime(2026, 3, 3, 7, 0, tzinfo=UTC))
        await app.drain()
        [digest] = [s for s in local.seen_by(SLT.user_id) if s.kind == "alert"]
        assert digest.text.startswith("Quiet-hours digest, sent at 07:00")
        assert "(1) Possible breach" in digest.text
        assert "(2) Possible breach" in digest.text
        assert "From: Amy" in digest.text
        assert "From: Ben" in digest.text
        incidents = {i.key for i in await app.store.incidents() if i.offence_number == 2}
        assert {b.key for b in digest.buttons} == incidents
        assert "Not a breach (2)" in [b.label for b in digest.buttons]


def held_alerts(local: LocalPlatform) -> list[Seen]:
    return [s for s in local.seen_by(SLT.user_id) if s.kind == "alert"]


async def alerted_keys(app: App) -> set[str]:
    return {i.key for i in await app.store.incidents() if i.offence_number == 2}


async def test_an_alert_held_after_its_digest_went_out_is_not_lost(
    tmp_path: Path, clock: ManualClock, running: StartApp
) -> None:
    """The clock stepped back two minutes after the 07:00 digest: a breach then is held until
    07:00 again, and gets a digest of its own instead of joining the one already sent."""
    config = make_config(tmp_path, "policy:\n  quiet_hours: {start: '21:00', end: '07:00'}\n")
    clock.set(datetime(2026, 3, 2, 22, 0, tzinfo=UTC))
    async with running(config) as (app, local):
        for _ in range(2):
            await local.send(CHAT, PARENT, MILD)
        clock.set(datetime(2026, 3, 3, 7, 0, tzinfo=UTC))
        await app.drain()
        assert len(held_alerts(local)) == 1

        clock.set(datetime(2026, 3, 3, 6, 58, tzinfo=UTC))  # stepped back
        for _ in range(2):
            await local.send(CHAT, OTHER_PARENT, MILD)
        await app.drain()
        assert len(held_alerts(local)) == 1  # still quiet hours
        clock.set(datetime(2026, 3, 3, 7, 0, tzinfo=UTC))
        await app.drain()
        digests = held_alerts(local)
        assert len(digests) == 2
        assert {b.key for d in digests for b in d.buttons} == await alerted_keys(app)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # The clocks go back at 02:00 BST on 25 October 2026: 01:00-02:00 happens twice, and
        # quiet hours ending at 01:30 end twice. A breach in the repeated hour is held until
        # the second 01:30, after the first digest has gone.
        (datetime(2026, 10, 25, 0, 10, tzinfo=UTC), datetime(2026, 10, 25, 1, 10, tzinfo=UTC)),
        # The clocks go forward at 01:00 GMT on 29 March 2026: 01:30 never happens that night.
        (datetime(2026, 3, 29, 0, 10, tzinfo=UTC), datetime(2026, 3, 29, 0, 50, tzinfo=UTC)),
        # The clock stepped forward past the end of quiet hours.
        (datetime(2026, 3, 2, 23, 0, tzinfo=UTC), datetime(2026, 3, 3, 9, 0, tzinfo=UTC)),
    ],
    ids=["clocks-go-back", "clocks-go-forward", "clock-stepped-forward"],
)
async def test_every_held_alert_reaches_a_digest_across_clock_changes(
    tmp_path: Path, clock: ManualClock, running: StartApp, first: datetime, second: datetime
) -> None:
    config = make_config(tmp_path, "policy:\n  quiet_hours: {start: '21:00', end: '01:30'}\n")
    async with running(config) as (app, local):
        clock.set(first)
        for _ in range(2):
            await local.send(CHAT, PARENT, MILD)
        await app.drain()
        clock.set(second)
        await app.drain()
        for _ in range(2):
            await local.send(CHAT, OTHER_PARENT, MILD)
        clock.advance(hours=12)
        await app.drain()
        digests = held_alerts(local)
        assert {b.key for d in digests for b in d.buttons} == await alerted_keys(app)
        assert len(await alerted_keys(app)) == 2


async def test_a_long_digest_continues_in_messages_each_platform_accepts(
    tmp_path: Path, clock: ManualClock, running: StartApp
) -> None:
    """Nine held alerts of three buttons each would be 27 buttons; Discord allows 25."""
    config = make_config(
        tmp_path,
        "policy:\n  quiet_hours: {start: '21:00', end: '07:00'}\n"
        "  escalation: {alert_after: 2, urgent_after: 50}\n",
    )
    clock.set(datetime(2026, 3, 2, 22, 0, tzinfo=UTC))
    parents = [LocalPlatform.user(f"p-{n}", f"Parent {n}") for n in range(12)]
    async with running(config) as (app, local):
        for parent in parents:
            for _ in range(2):
                await local.send(CHAT, parent, MILD)
        clock.set(datetime(2026, 3, 3, 7, 0, tzinfo=UTC))
        await app.drain()
        digests = held_alerts(local)
        assert len(digests) >= 2
        assert all(len(d.buttons) <= 25 and len(d.text) <= 2000 for d in digests)
        assert [f"part {n}" in d.text for n, d in enumerate(digests, 1)] == [
            n > 1 for n in range(1, len(digests) + 1)
        ]
        assert {b.key for d in digests for b in d.buttons} == await alerted_keys(app)
        assert len(await alerted_keys(app)) == len(parents)
