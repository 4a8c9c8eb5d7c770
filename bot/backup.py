"""`schoolgate backup`: a consistent copy of the database while the bot keeps running.

SQLite's online backup API copies the pages under one read transaction, so the copy is the
database as it was at one moment, whatever the bot writes meanwhile (WAL lets it go on
writing). The copy holds parents' messages: it is made readable by its owner only, under a
temporary name, and renamed into place once complete and checked, so a copy interrupted half
way never looks like a good one.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.store import Store, create_private


class BackupError(Exception):
    """The copy could not be made; the message says why in one line."""


@dataclass(frozen=True)
class BackupSummary:
    schema_version: int
    incidents: int
    pending_actions: int


def backup(source: Path, target: Path) -> BackupSummary:
    if not source.is_file():
        raise BackupError(f"{source}: no database here")
    with _private_copy(target, source) as copy, contextlib.closing(sqlite3.connect(source)) as db:
        db.backup(copy)
        return _summarise(copy)


async def save_open_database(store: Store, target: Path) -> BackupSummary:
    """`backup` of what the store's open connection holds: once its file was deleted or
    replaced while the bot ran, the only copy of it left."""
    with _private_copy(target, store.path) as copy:
        await store.copy_into(copy)
        return _summarise(copy)


@contextlib.contextmanager
def _private_copy(target: Path, source: Path) -> Iterator[sqlite3.Connection]:
    """A new database at `target` to copy into, written under a temporary name readable by its
    owner only and renamed into place once complete."""
    if target.exists():
        raise BackupError(f"{target} already exists: give a new name, so no backup is overwritten")
    partial = target.with_name(target.name + ".partial")
    try:
        create_private(partial)
    except (FileNotFoundError, FileExistsError) as exc:
        raise BackupError(f"cannot write {target}: {exc}") from None
    try:
        # Usable from another thread: the store copies from its connection's own thread.
        with contextlib.closing(sqlite3.connect(partial, check_same_thread=False)) as copy:
            yield copy
            # One self-contained file, easy to move: no -wal beside it.
            copy.execute("PRAGMA journal_mode = DELETE")
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy {source}: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)


def _summarise(copy: sqlite3.Connection) -> BackupSummary:
    (check,) = copy.execute("PRAGMA quick_check").fetchone()
    if check != "ok":
        raise BackupError(f"the copy failed SQLite's check: {check}")
    (version,) = copy.execute("PRAGMA user_version").fetchone()
    (incidents,) = copy.execute("SELECT count(*) FROM incidents").fetchone()
    (pending,) = copy.execute("SELECT count(*) FROM actions WHERE status = 'pending'").fetchone()
    return BackupSummary(int(version), int(incidents), int(pending))
