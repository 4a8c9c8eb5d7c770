"""The database file deleted or replaced while the bot runs: found at the next read or write, or
within seconds when idle; nothing more is written into the lost file, what the open connection
holds is saved beside the path, and the app says it must stop. At start, a missing database is
made only when asked."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest

from bot.app import FILE_CHECK_EVERY, App
from bot.clock import ManualClock
from bot.config import Config
from bot.platform import NotStored
from bot.store import DatabaseGone, DatabaseMissing
from learned import Detector
from tests.bot.conftest import ABUSIVE, CHAT, OTHER_PARENT, PARENT, STAFF, StartApp

# A safety net so that a broken test fails instead of hanging; never a measure of speed.
WITHIN = 10.0


def saved_copies(config: Config) -> list[Path]:
    path = Path(config.storage.path)
    return sorted(path.parent.glob(f"{path.name}.saved-*"))


def is_file(path: Path) -> bool:
    return path.is_file()


def incidents_in(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT text FROM incidents ORDER BY id")]


async def test_a_database_deleted_while_running_is_saved_and_stops_the_bot(
    config: Config, running: StartApp
) -> None:
    database = Path(config.storage.path)
    async with running(config) as (app, local):
        await local.send(CHAT, PARENT, STAFF)
        await app.drain()
        for file in database.parent.glob(database.name + "*"):
            file.unlink()  # as `rm schoolgate.sqlite3*` would

        with pytest.raises(NotStored):  # not acknowledged: the platform sends it again
            await local.send(CHAT, OTHER_PARENT, ABUSIVE)
        reason = await asyncio.wait_for(app.fatal(), WITHIN)

    assert isinstance(reason, DatabaseGone)
    assert f"{database} was deleted while the bot had it open" in str(reason)
    [saved] = saved_copies(config)
    assert f"is saved in {saved}" in str(reason)
    assert incidents_in(saved) == [STAFF]  # the later message went nowhere
    assert saved.stat().st_mode & 0o777 == 0o600
    assert not is_file(database)  # no empty database made in its place


async def test_a_database_replaced_while_idle_is_found_within_seconds(
    config: Config, running: StartApp, clock: ManualClock, tmp_path: Path
) -> None:
    database = Path(config.storage.path)
    async with running(config) as (app, local):
        await local.send(CHAT, PARENT, STAFF)
        await app.drain()
        other = tmp_path / "other.sqlite3"
        sqlite3.connect(other).close()
        os.replace(other, database)  # a restore over the running bot's file
        clock.advance(FILE_CHECK_EVERY)
        reason = await asyncio.wait_for(app.fatal(), WITHIN)

    assert f"{database} was replaced by another file" in str(reason)
    [saved] = saved_copies(config)
    assert incidents_in(saved) == [STAFF]
    with sqlite3.connect(database) as db:  # nothing written into the file put in its place
        assert db.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


async def test_an_app_told_not_to_create_a_database_does_not(
    config: Config, detector: Detector
) -> None:
    app = App(config, [], detector=detector, create_database=False)
    with pytest.raises(DatabaseMissing, match="no database here"):
        await app.start()
    assert not is_file(Path(config.storage.path))
