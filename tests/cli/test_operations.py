"""What an IT admin runs to look after an install: `backup`, `--version`, and `--help` that
explains every option."""

from __future__ import annotations

import argparse
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.migrations import MIGRATIONS
from bot.store import Store


def _audit_rows(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT count(*) FROM audit").fetchone()[0])


async def test_backup_while_the_database_is_being_written_is_consistent_and_private(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "schoolgate.sqlite3"
    async with Store(database):  # the schema, as the bot makes it
        pass
    stop = threading.Event()
    written = threading.Event()

    def keep_writing() -> None:
        """The bot's writes, each its own transaction, until the backup is done."""
        with sqlite3.connect(database, isolation_level=None) as db:
            db.execute("PRAGMA journal_mode = WAL")
            n = 0
            while not stop.is_set():
                db.execute("BEGIN IMMEDIATE")
                db.execute(
                    "INSERT INTO audit (at, platform, actor_id, action, outcome) "
                    "VALUES (?, 'local', ?, 'close', 'ok')",
                    (n, f"u{n}"),
                )
                db.execute(
                    "INSERT INTO audit (at, platform, actor_id, action, outcome) "
                    "VALUES (?, 'local', ?, 'reopen', 'ok')",
                    (n, f"u{n}"),
                )
                db.execute("COMMIT")
                n += 1
                if n == 50:
                    written.set()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        assert written.wait(30)
        with sqlite3.connect(database) as db:
            before = _audit_rows(db)
        copy = tmp_path / "backups" / "monday.sqlite3"
        copy.parent.mkdir()
        code = main(["backup", "--db", str(database), "--to", str(copy)])
        with sqlite3.connect(database) as db:
            after = _audit_rows(db)
    finally:
        stop.set()
        writer.join()

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(f"backed up {database} to {copy}: schema version {len(MIGRATIONS)}")
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in copy.parent.iterdir()) == ["monday.sqlite3"]
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        copied = _audit_rows(db)
        # Whole transactions only: every 'close' has its 'reopen'.
        closes, reopens = (
            db.execute("SELECT count(*) FROM audit WHERE action = ?", (a,)).fetchone()[0]
            for a in ("close", "reopen")
        )
    assert before <= copied <= after
    assert closes == reopens
    async with Store(copy) as store:  # the bot can start from it
        assert await store.audit_log() != []


def test_backup_never_overwrites_and_names_a_missing_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "old-backup.sqlite3"
    existing.write_bytes(b"keep me")
    absent = tmp_path / "absent.sqlite3"
    assert main(["backup", "--db", str(absent), "--to", str(tmp_path / "b.sqlite3")]) == 2
    assert capsys.readouterr().err == f"schoolgate: {absent}: no database here\n"

    source = tmp_path / "db.sqlite3"
    sqlite3.connect(source).close()
    assert main(["backup", "--db", str(source), "--to", str(existing)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert existing.read_bytes() == b"keep me"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("schoolgate ")
    assert out.split()[1][0].isdigit()


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def test_every_command_has_a_description() -> None:
    parser = build_parser()
    commands = {
        c.dest: c.help
        for a in parser._actions
        if isinstance(a, argparse._SubParsersAction)
        for c in a._choices_actions
    }
    assert set(commands) == set(_subcommands())
    assert all(commands.values()), commands


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_option_of_every_command_is_explained_in_its_help(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = _subcommands()[command]
    unexplained = [
        "/".join(a.option_strings) or a.dest
        for a in parser._actions
        if not isinstance(a, argparse._HelpAction) and not (a.help or "").strip()
    ]
    assert unexplained == []
    assert main([command, "--help"]) == 0
    shown = capsys.readouterr().out
    for action in parser._actions:
        assert action.help is not None
        assert action.help.split("(")[0].split()[0] in shown
