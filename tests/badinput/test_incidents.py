"""Hostile messages through the real bot core, the local platform and a real SQLite file: a
flagged message is kept whole however long or odd it is, and nothing of an unflagged one is."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from adapters.local import LocalPlatform
from bot.app import App
from bot.clock import ManualClock
from bot.config import Config, parse_config
from bot.excerpt import kept_text
from bot.store import Store
from bot.texts import MAX_QUOTE
from rules.normalise import MAX_CHARS
from tests.badinput.text import EMOJI, HIDDEN_CONTROLS, INVISIBLE, RTL

CONFIG = """
schools:
  - id: riverside
    name: Riverside Primary School
    staff:
      - {id: carter, title: Mr, first: James, last: Carter, roles: [head]}
    slt:
      - {name: Mrs Shah, local: slt-shah}
    chats:
      - {platform: local, id: year3, name: Year 3 Parents}
local: {}
policy:
  escalation: {alert_after: 1}
  weekly_digest: off
"""
CHAT = "year3"
PARENT = LocalPlatform.user("p-amy", "Amy")
SLT = "slt-shah"
MEGABYTE = 1_000_000
# Clean words that appear nowhere else, to look for in the database files.
MARKER = "Zebracorn"

Running = Callable[[], AbstractAsyncContextManager[tuple[App, LocalPlatform]]]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "schoolgate.sqlite3"


@pytest.fixture
def config(database: Path) -> Config:
    return parse_config(CONFIG + f"storage: {{path: '{database}'}}\n", "badinput.yaml")


@pytest.fixture
def running(config: Config) -> Running:
    @asynccontextmanager
    async def start() -> AsyncIterator[tuple[App, LocalPlatform]]:
        clock = ManualClock()
        local = LocalPlatform(clock=clock)
        async with App(config, [local], clock=clock) as app:
            yield app, local

    return start


async def test_a_megabyte_flagged_message_is_kept_around_what_was_flagged(
    running: Running, database: Path
) -> None:
    text = "you stupid cow. " + "and another thing " * (MEGABYTE // 18)
    assert len(text) > 25 * MAX_CHARS  # far beyond the analysed length
    async with running() as (app, local):
        await local.send(CHAT, PARENT, text)
        await app.drain()
        [alert] = [s.text for s in local.seen_by(SLT) if s.kind == "alert"]
        [reminder] = [s.text for s in local.seen_by(PARENT.user_id) if s.kind == "reminder"]

    async with Store(database) as store:  # read back from the file itself
        [incident] = await store.incidents()
    assert incident.text == kept_text(text, [(0, len("you stupid cow"))])
    assert incident.text.startswith("you stupid cow. ")
    assert incident.length == len(text)
    # SLT are shown the start of it; the reminder never quotes it.
    assert text[:MAX_QUOTE] + "\u2026" in alert
    assert text[: MAX_QUOTE + 1] not in alert
    assert "another thing" not in reminder


async def test_a_lone_surrogate_does_not_lose_a_flagged_message(
    running: Running, database: Path
) -> None:
    """JSON can carry half of a surrogate pair; SQLite refuses such text."""
    author = LocalPlatform.user("p-amy", "Amy \ud83d")
    async with running() as (app, local):
        await local.send(CHAT, author, "you stupid cow \udc00 \ud83d\ude00")
        await app.drain()
        alerts = [s.text for s in local.seen_by(SLT) if s.kind == "alert"]

    async with Store(database) as store:
        [incident] = await store.incidents()
    assert incident.text == "you stupid cow \ufffd \U0001f600"
    assert incident.user.display_name == "Amy \ufffd"
    assert len(alerts) == 1
    assert "you stupid cow \ufffd" in alerts[0]


@pytest.mark.parametrize(
    "text",
    [
        "",
        " \n\t ",
        "".join(EMOJI),
        " ".join(RTL),
        HIDDEN_CONTROLS + INVISIBLE,
        f"{MARKER} \ud800 {MARKER}",
        (f"{MARKER} bake sale on Friday " * (MEGABYTE // 30)),
    ],
    ids=["empty", "blank", "emoji", "right to left", "invisible", "surrogate", "megabyte"],
)
async def test_an_unflagged_message_leaves_no_text_behind(
    running: Running, database: Path, text: str
) -> None:
    async with running() as (app, local):
        await local.send(CHAT, PARENT, text)
        await app.drain()
        assert await app.store.incidents() == []
        assert await app.store.actions() == []
        assert [s.kind for s in local.seen] == ["message"]

    files = list(database.parent.glob(database.name + "*"))
    assert database in files
    for file in files:
        assert MARKER.encode() not in file.read_bytes()
