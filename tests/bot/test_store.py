"""The database file: WAL, versioned migrations, and upgrades that keep what is stored."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.migrations import MIGRATIONS
from bot.model import ChatRef, Notice
from bot.store import Store, _statements, encode_action, lane_of

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_a_new_database_gets_every_migration_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    async with Store(path) as store:
        async with store.read() as s:
            version = await s._one("PRAGMA user_version")
            mode = await s._one("PRAGMA journal_mode")
        assert version[0] == len(MIGRATIONS) == store.schema_version
        assert mode[0] == "wal"
    async with Store(path):  # opening again applies nothing twice
        pass


async def test_an_older_database_is_upgraded_and_keeps_its_actions(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    notice = Notice(key="n1", chat=ChatRef("local", "year3"), text="hello")
    with sqlite3.connect(path) as db:  # a file written by the first release, one action pending
        for statement in _statements(MIGRATIONS[0]):
            db.execute(statement)
        db.execute("PRAGMA user_version = 1")
        db.execute(
            "INSERT INTO actions (key, kind, platform, lane, payload, next_attempt_at, "
            "created_at, updated_at) VALUES (?, 'notice', 'local', ?, ?, ?, ?, ?)",
            ("n1", lane_of(notice), encode_action(notice), *[NOW.timestamp()] * 3),
        )
    async with Store(path) as store:
        async with store.read() as s:
            version = await s._one("PRAGMA user_version")
            due = await s.due_actions(NOW, ())
        assert version[0] == len(MIGRATIONS)
        assert [row.action for row in due] == [notice]
