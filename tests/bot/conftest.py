"""The bot core end to end: real rules core, real SQLite file under tmp_path, the local platform
and a manual clock. Nothing of the project's own is replaced."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from adapters.local import LocalPlatform
from bot.app import App
from bot.clock import ManualClock
from bot.config import Config, parse_config
from bot.migrations import MIGRATIONS
from bot.model import UserRef
from learned import Detector
from rules import RulesEngine

SCHOOL = """
schools:
  - id: riverside
    name: Riverside Primary School
    staff:
      - {id: carter, title: Mr, first: James, last: Carter, roles: [headteacher, head]}
      - {id: shah, title: Mrs, first: Linda, last: Shah, roles: [deputy head]}
      - {id: turner, title: Miss, first: Sophie, last: Turner, roles: [year 3 teacher]}
    pupils: [Noah, Isla]
    slt:
      - {name: Mrs Shah, local: slt-shah}
    dsl:
      - {name: Mrs Dee (safeguarding lead), local: dsl-dee}
    admins:
      - {name: Pat (class rep), local: rep-pat}
    chats:
      - {platform: local, id: year3, name: Year 3 Parents}
  - id: hillside
    name: Hillside Academy
    slt:
      - {name: Mr Obi, local: slt-obi}
    chats:
      - {platform: local, id: hill6, name: Year 6 Parents}
local: {}
"""

# Messages the rules core flags, and ones it leaves alone.
ABUSIVE = "Sarah you are a stupid cow and everyone knows it"
THREAT = "She'd better watch her back at pickup tomorrow"
STAFF = "Mr Carter is useless and should be sacked"
CLEAN = "Does anyone know if PE is on Tuesday this week?"
CLEAN_2 = "Found a red water bottle by the gate, will hand it to the office"

PARENT = LocalPlatform.user("p-amy", "Amy")
OTHER_PARENT = LocalPlatform.user("p-ben", "Ben")
SLT = LocalPlatform.user("slt-shah", "Mrs Shah")
ADMIN = LocalPlatform.user("rep-pat", "Pat")
DSL = LocalPlatform.user("dsl-dee", "Mrs Dee")
OTHER_SLT = LocalPlatform.user("slt-obi", "Mr Obi")
ANONYMOUS = LocalPlatform.user("1087968824", "Group", anonymous=True)
CHAT = "year3"


def make_config(tmp_path: Path, extra: str = "", db: str = "bot.sqlite3") -> Config:
    return parse_config(SCHOOL + f"storage:\n  path: {tmp_path / db}\n" + extra, "test.yaml")


@pytest.fixture(scope="session")
def detector() -> Detector:
    """The rules core alone: these tests are about the bot, and say exactly what they flag
    (the learned stage's place in the bot is tested in tests/learned)."""
    return Detector(RulesEngine(), None)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


StartApp = Callable[..., AbstractAsyncContextManager[tuple[App, LocalPlatform]]]


@pytest.fixture
def running(detector: Detector, clock: ManualClock) -> StartApp:
    """`async with running(config) as (app, local):` a started App on a local platform."""

    @asynccontextmanager
    async def start(
        config: Config, local: LocalPlatform | None = None
    ) -> AsyncIterator[tuple[App, LocalPlatform]]:
        platform = local or LocalPlatform(clock=clock)
        async with App(config, [platform], clock=clock, detector=detector) as app:
            yield app, platform

    return start


def private(local: LocalPlatform, user: UserRef, kind: str) -> list[str]:
    """Texts of a kind that reached one person privately."""
    return [s.text for s in local.seen_by(user.user_id) if s.kind == kind]


def database_at_version(path: Path, version: int) -> sqlite3.Connection:
    """A database file as an older schoolgate left it: the first `version` migrations applied.
    Returned open, to add the rows the test needs; use it as a context manager."""
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:version]:
        db.executescript(script)
    db.execute(f"PRAGMA user_version = {version}")
    return db
