"""/incidents and /incident on the local platform: every open incident, paged, each with its
buttons that work; one incident with its history; only for SLT, and only their school's."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from adapters.local import LocalPlatform
from bot import texts
from bot.clock import ManualClock
from bot.config import Config
from bot.digest import MAX_ITEMS
from bot.model import ButtonAction
from tests.bot.conftest import ABUSIVE, CHAT, OTHER_SLT, PARENT, SLT, StartApp, make_config

DM = "dm-with-the-bot"  # a chat the config does not name: a private chat with the bot
ELEVEN = MAX_ITEMS + 3


def pages(local: LocalPlatform) -> list[tuple[str, list[str]]]:
    """The /incidents pages that reached SLT: text and button labels."""
    return [
        (s.text, [b.label for b in s.buttons])
        for s in local.seen_by(SLT.user_id)
        if s.kind == "alert" and (s.key or "").startswith("ls-")
    ]


async def flag(local: LocalPlatform, count: int) -> None:
    for n in range(count):
        sender = LocalPlatform.user(f"p-{n}", f"Parent {n}")
        assert await local.send(CHAT, sender, ABUSIVE) is not None


async def test_every_open_incident_is_listed_in_pages_each_with_working_buttons(
    config: Config, running: StartApp
) -> None:
    async with running(config) as (app, local):
        await flag(local, ELEVEN)
        await app.drain()
        reply = await local.command(CHAT, SLT, "/incidents")
        await app.drain()
        assert reply.text == texts.incidents_sent(ELEVEN, 2, 7)
        [(first, first_buttons), (second, second_buttons)] = pages(local)
        assert "Page 1 of 2" in first
        assert "Page 2 of 2" in second
        assert first.count("\u201c") == MAX_ITEMS
        assert second.count("\u201c") == 3
        assert "Not a breach (1)" in first_buttons
        assert "Not a breach (9)" in second_buttons
        assert len(first_buttons) == 3 * MAX_ITEMS  # not a breach, delete, close each

        ninth = next(s for s in local.seen_by(SLT.user_id) if "Page 2 of 2" in s.text).buttons
        dismiss = next(b for b in ninth if b.label == "Not a breach (9)")
        assert dismiss.action is ButtonAction.DISMISS
        await local.press(dismiss, SLT)
        incidents = await app.store.incidents()
        assert [i.status for i in incidents].count("dismissed") == 1
        assert next(i for i in incidents if i.key == dismiss.key).status == "dismissed"

        # Decided ones are no longer listed; days narrow the list.
        reply = await local.command(CHAT, SLT, "/incidents")
        assert reply.text.startswith(f"{ELEVEN - 1} open incidents in the last 7 days")
        clock = app.clock
        assert isinstance(clock, ManualClock)
        clock.advance(days=3)
        await flag(local, 1)
        await app.drain()
        assert (await local.command(CHAT, SLT, "/incidents 1")).text.startswith(
            "1 open incident in the last 1 day:"
        )
        assert (await local.command(CHAT, SLT, "/incidents 0")).text == texts.INCIDENTS_USAGE
        assert (await local.command(CHAT, SLT, "/incidents many")).text == texts.INCIDENTS_USAGE


async def test_the_pages_are_not_counted_as_alerts_in_the_report(
    config: Config, running: StartApp
) -> None:
    async with running(config) as (app, local):
        await flag(local, 2)
        await app.drain()
        now = app.clock.now()
        span = (now - timedelta(days=1), now + timedelta(days=1))
        async with app.store.read() as s:
            before = await s.handling(["riverside"], *span)
        await local.command(CHAT, SLT, "/incidents")
        await app.drain()
        async with app.store.read() as s:
            assert await s.handling(["riverside"], *span) == before


async def test_one_incident_with_its_history(tmp_path: Path, running: StartApp) -> None:
    config = make_config(tmp_path, "policy:\n  escalation: {alert_after: 1}\n")
    async with running(config) as (app, local):
        await flag(local, 1)
        await app.drain()
        [incident] = await app.store.incidents()
        reply = await local.command(DM, SLT, f"/incident {incident.id}")
        await app.drain()
        assert reply.text.startswith(f"#{incident.id} ")
        assert "Parent 0: abuse" in reply.text
        assert "awaiting a decision" in reply.text
        assert "reminder to the sender: delivered" in reply.text
        assert "alert to Mrs Shah: delivered" in reply.text
        assert "Its buttons are on their way" in reply.text
        [(_, buttons)] = pages(local)
        assert buttons[0] == "Not a breach (1)"

        alert = next(s for s in local.seen_by(SLT.user_id) if s.kind == "alert")
        await local.press(next(b for b in alert.buttons if b.action is ButtonAction.DELETE), SLT)
        await app.drain()
        after = await local.command(DM, SLT, f"/incident #{incident.id}")
        assert "Status: deleted (Mrs Shah" in after.text
        assert "deleting the message: delivered" in after.text
        assert "Mrs Shah: delete" in after.text
        assert "Its buttons" not in after.text

        assert (await local.command(DM, SLT, "/incident 999")).text == texts.no_incident(999)
        assert (await local.command(DM, SLT, "/incident")).text == texts.INCIDENT_USAGE


async def test_only_slt_and_only_their_own_schools_incidents(
    config: Config, running: StartApp
) -> None:
    async with running(config) as (app, local):
        await flag(local, 1)
        await app.drain()
        [incident] = await app.store.incidents()
        # Another school's SLT, in a private chat: their school has no such incident.
        other = await local.command(DM, OTHER_SLT, f"/incident {incident.id}")
        assert other.text == texts.no_incident(incident.id)
        assert (await local.command(DM, OTHER_SLT, "/incidents")).text == texts.incidents_sent(
            0, 0, 7
        )
        # A parent, in private or in the chat: refused, and the refusal audited.
        assert (await local.command(DM, PARENT, "/incidents")).text == texts.NOT_ALLOWED
        assert (await local.command(CHAT, PARENT, f"/incident {incident.id}")).text == (
            texts.NOT_ALLOWED
        )
        refused = [
            (e.school_id, e.action, e.target)
            for e in await app.store.audit_log()
            if e.outcome == "refused"
        ]
        assert refused == [(None, "incidents", DM), ("riverside", "incident", CHAT)]
        assert pages(local) == []


async def test_help_lists_the_review_commands_for_slt_only(
    config: Config, running: StartApp
) -> None:
    async with running(config) as (_, local):
        slt = (await local.command(CHAT, SLT, "/help")).text
        parent = (await local.command(CHAT, PARENT, "/help")).text
        assert "/incidents [days]" in slt
        assert "/incident ID" in slt
        assert "/incident" not in parent
