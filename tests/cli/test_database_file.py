"""`schoolgate init`, `run --init`, and `run` on a database that is missing or goes missing: it
never makes an empty one where one is expected, and stops, saying why, when its file is deleted
under it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.migrations import MIGRATIONS
from tests.cli.test_cli import local_school, one_error, run, start_run

# Upper bound so that a broken test fails instead of hanging; never a measure of speed.
STOPS_WITHIN = 30


def test_run_without_a_database_says_to_create_one_and_makes_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = local_school(tmp_path)
    database = tmp_path / "db.sqlite3"
    code, _, err = run(["run", "--config", str(config)], capsys)
    assert code == 2
    assert one_error(code, err) == (
        f"schoolgate: {database}: no database here (storage.path in {config}): create it once "
        f"with `schoolgate init --config {config}`, or restore the backup if it was lost"
    )
    assert not database.exists()


def test_init_creates_a_private_database_once_and_run_then_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = local_school(tmp_path)
    database = tmp_path / "db.sqlite3"
    code, out, _ = run(["init", "--config", str(config)], capsys)
    assert code == 0
    assert out == (
        f"{database}: created, readable by its owner only; database schema version "
        f"{len(MIGRATIONS)}\n"
    )
    assert database.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)

    code, out, _ = run(["init", "--config", str(config)], capsys)
    assert code == 0
    assert out == f"{database}: already exists; database schema version {len(MIGRATIONS)}\n"

    bot = start_run(config)
    bot.terminate()
    assert bot.wait(timeout=STOPS_WITHIN) == 0


def test_init_names_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = local_school(tmp_path)
    config.write_text(
        config.read_text("utf-8").replace(str(tmp_path / "db.sqlite3"), str(tmp_path / "no/db")),
        "utf-8",
    )
    code, _, err = run(["init", "--config", str(config)], capsys)
    assert f"the folder {tmp_path / 'no'} does not exist" in one_error(code, err)


def test_run_stops_with_one_line_when_its_database_is_deleted(tmp_path: Path) -> None:
    bot = start_run(local_school(tmp_path), "--init")
    database = tmp_path / "db.sqlite3"
    database.unlink()
    try:
        code = bot.wait(timeout=STOPS_WITHIN)
    finally:
        bot.kill()
    assert bot.stderr is not None
    rest = bot.stderr.read()
    assert code == 2  # the unit does not restart it: an admin must restore the database
    assert "Traceback" not in rest
    last = rest.strip().splitlines()[-1]
    assert last.startswith(f"schoolgate: {database} was deleted while the bot had it open. ")
    [saved] = tmp_path.glob("db.sqlite3.saved-*")
    assert f"(0 incidents, 0 actions pending) is saved in {saved}" in last
    assert not database.exists()
