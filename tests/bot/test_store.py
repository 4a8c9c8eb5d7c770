"""The database file: WAL, versioned migrations, and upgrades that keep what is stored."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.migrations import MIGRATIONS
from bot.model import ChatRef, Notice, UserRef
from bot.store import NewerDatabaseError, Store, _statements, encode_action, lane_of
from tests.bot.conftest import database_at_version

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


async def test_the_database_and_its_wal_files_are_readable_by_the_owner_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "private.sqlite3"
    async with Store(path) as store:
        async with store.transaction() as s:  # a write, so the -wal file has content
            await s.db.execute(
                "INSERT INTO counters (school_id, platform, chat_id, day) "
                "VALUES ('a', 'local', 'c', '2026-03-02')"
            )
        files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: oct(f.stat().st_mode & 0o777) for f in files} == {
            f.name: "0o600" for f in files
        }


async def test_a_missing_folder_is_not_made_into_a_fresh_database(tmp_path: Path) -> None:
    path = tmp_path / "absent" / "schoolgate.sqlite3"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        await Store(path).open()
    assert not path.parent.exists()


async def test_a_database_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite3"
    async with Store(path):
        pass
    newer = len(MIGRATIONS) + 1
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {newer}")
    before = path.read_bytes()

    with pytest.raises(NewerDatabaseError, match=f"schema version {newer}; this one knows up to"):
        await Store(path).open()

    assert path.read_bytes() == before
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == newer


async def test_incidents_stored_before_lengths_were_kept_get_their_texts_length(
    tmp_path: Path,
) -> None:
    """Migration 5: earlier rows kept the whole message, so its length is their text's."""
    path = tmp_path / "old.sqlite3"
    with database_at_version(path, 4) as db:
        db.execute(
            "INSERT INTO incidents (key, school_id, platform, chat_id, message_id, user_id, text, "
            "sent_at, created_at, categories, severity, findings, offence_number) VALUES "
            "('k1', 'riverside', 'local', 'year3', 'm1', 'p-amy', 'you stupid cow', 0, 0, "
            "'[\"abuse\"]', 'low', '[]', 1)"
        )
    async with Store(path) as store:
        [incident] = await store.incidents()
    assert (incident.text, incident.length) == ("you stupid cow", len("you stupid cow"))


async def test_incidents_stored_before_observe_mode_count_as_enforced(tmp_path: Path) -> None:
    """Migration 6: earlier incidents were all acted on, so they still count against their
    sender; only those recorded in observe mode are left out in enforce mode."""
    path = tmp_path / "old.sqlite3"
    with database_at_version(path, 5) as db:
        db.execute(
            "INSERT INTO incidents (key, school_id, platform, chat_id, message_id, user_id, text, "
            "sent_at, created_at, categories, severity, findings, offence_number, length) VALUES "
            "('k1', 'riverside', 'local', 'year3', 'm1', 'p-amy', 'you stupid cow', 0, 0, "
            "'[\"abuse\"]', 'low', '[]', 1, 14)"
        )
    amy = UserRef("local", "p-amy")
    since = datetime(1970, 1, 1, tzinfo=UTC)
    async with Store(path) as store, store.read() as s:
        [incident] = await s.incidents()
        enforced = await s.count_offences("riverside", amy, since)
        observing = await s.count_offences("riverside", amy, since, with_observed=True)
    assert incident.observed is None
    assert (enforced, observing) == (1, 1)
