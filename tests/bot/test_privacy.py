"""Data minimisation, retention, and a person's export and erasure."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.clock import ManualClock
from bot.config import Config
from bot.excerpt import AROUND, GAP, KEEP, kept_text
from bot.model import ChatRef
from tests.bot.conftest import (
    ABUSIVE,
    CHAT,
    OTHER_PARENT,
    PARENT,
    STAFF,
    THREAT,
    StartApp,
)

CLEAN_MESSAGES = [
    f"Quokka marmalade {n}: does anyone have a spare reading folder for Thursday?"
    for n in range(40)
]


def database_bytes(db: Path) -> bytes:
    """The database file and its WAL and shared-memory files, as raw bytes."""
    files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    return b"".join(f.read_bytes() for f in files if f.exists())


async def test_no_unflagged_text_is_ever_written(
    tmp_path: Path, config: Config, running: StartApp
) -> None:
    db = Path(config.storage.path)
    async with running(config) as (app, local):
        for n, text in enumerate(CLEAN_MESSAGES):
            await local.send(CHAT, OTHER_PARENT if n % 2 else PARENT, text)
            if n % 10 == 0:
                await local.send(CHAT, PARENT, STAFF)
        message = await local.send(CHAT, PARENT, CLEAN_MESSAGES[0])
        assert message is not None
        await local.edit(message, CLEAN_MESSAGES[1] + " (edited)")
        await app.drain()
        while_running = database_bytes(db)
    after_stop = database_bytes(db)

    for raw in (while_running, after_stop):
        assert b"Quokka" not in raw
        assert b"marmalade" not in raw
        assert STAFF.encode() in raw  # the flagged text is kept, for SLT: the check can see text
    async with running(config) as (app, _), app.store.read() as s:
        counts = await s.counters()
    # 40 clean, 4 flagged, one more clean one and its edit.
    assert sum(row[4] for row in counts) == len(CLEAN_MESSAGES) + 4 + 2
    assert sum(row[5] for row in counts) == 4


async def test_retention_purges_expired_records(
    config: Config, clock: ManualClock, running: StartApp
) -> None:
    async with running(config) as (app, local):
        await local.send(CHAT, PARENT, STAFF)
        await local.command(CHAT, PARENT, "/close")  # a refusal, in the audit log
        await app.drain()
        clock.advance(days=60)
        await local.send(CHAT, OTHER_PARENT, THREAT)
        await app.drain()
        assert await app.purge() == 0

        clock.advance(days=31)  # the first incident is now 91 days old; retention is 90
        removed = await app.purge()
        assert removed > 0
        assert [i.text for i in await app.store.incidents()] == [THREAT]
        assert all(a.incident_id is not None for a in await app.store.actions())
        assert await app.store.audit_log() == []

        clock.advance(days=90)
        await app.purge()
        assert await app.store.incidents() == []
        assert await app.store.actions() == []


async def test_a_start_purges_expired_records(
    config: Config, clock: ManualClock, running: StartApp
) -> None:
    async with running(config) as (app, local):
        await local.send(CHAT, PARENT, STAFF)
        await app.drain()
        assert len(await app.store.incidents()) == 1
    clock.advance(days=91)
    async with running(config) as (app, _):
        assert await app.store.incidents() == []


async def test_export_and_erase_a_person(config: Config, running: StartApp) -> None:
    async with running(config) as (app, local):
        await local.send(CHAT, PARENT, ABUSIVE)
        await local.send(CHAT, OTHER_PARENT, STAFF)
        await local.join(CHAT, PARENT)
        await local.command(CHAT, PARENT, "/reopen")
        await app.drain()
        async with app.store.read() as s:
            exported = await s.export_user("local", PARENT.user_id)
        assert [i["text"] for i in exported["incidents"]] == [ABUSIVE]
        assert {m["kind"] for m in exported["messages_sent_to_them"]} == {"remind", "welcome"}
        assert [a["action"] for a in exported["audit"]] == ["reopen"]

        async with app.store.transaction() as s:
            erased = await s.erase_user("local", PARENT.user_id)
        assert erased["incidents"] == 1
        assert [i.user.user_id for i in await app.store.incidents()] == [OTHER_PARENT.user_id]
        audit = await app.store.audit_log()
        assert [a.actor_id for a in audit] == ["erased"]
        async with app.store.read() as s:
            again = await s.export_user("local", PARENT.user_id)
        assert again["incidents"] == []
        assert again["messages_sent_to_them"] == []
        # The other parent's incident, and the SLT alert about it, are untouched.
        assert any(a.kind == "alert" for a in await app.store.actions())
        assert (await app.store.chat_state(ChatRef("local", CHAT))).status == "open"


async def test_of_a_huge_message_only_the_parts_around_what_was_flagged_are_kept(
    config: Config, running: StartApp
) -> None:
    """A 10 MB message: SLT need the words that broke the code and their context, and its
    length; the database holds at most `KEEP` characters of it."""
    filler = "Lovely to see everyone at the fair, thanks for the cakes! "
    huge = filler * 300 + ABUSIVE + ". " + filler * (10_000_000 // len(filler))
    db = Path(config.storage.path)
    async with running(config) as (app, local):
        await local.send(CHAT, PARENT, huge)
        await app.drain()
        [incident] = await app.store.incidents()
        async with app.store.read() as s:
            exported = await s.export_user(PARENT.platform, PARENT.user_id)
    assert incident.length == len(huge)
    assert ABUSIVE in incident.text
    assert len(incident.text) <= KEEP + 2 * len(" […]")
    assert incident.text.startswith("[…] ")
    assert incident.text.endswith(" […]")
    assert exported["incidents"][0]["length"] == len(huge)
    assert len(await asyncio.to_thread(database_bytes, db)) < 1_000_000


def test_a_message_short_enough_is_kept_whole_and_stretches_are_joined() -> None:
    assert kept_text("Sarah you are a stupid cow", [(0, 5)]) == "Sarah you are a stupid cow"
    text = "a" * 5_000 + "BAD" + "b" * 5_000 + "WORSE" + "c" * 5_000
    kept = kept_text(text, [(5_000, 5_003), (10_003, 10_008)])
    assert kept == f"[…] {'a' * AROUND}BAD{'b' * AROUND}{GAP}{'b' * AROUND}WORSE{'c' * AROUND} […]"
