"""Fixtures for the security tests: a running two-school bot per platform, shared by a test
module's cases (each case sets up the state it starts from), and the adapters' own fixtures
for tests that need a fresh fake platform."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.adapters.discord.conftest import fake  # noqa: F401 (fixture)
from tests.adapters.slack.conftest import fake_slack  # noqa: F401 (fixture)
from tests.adapters.telegram import builders as tg
from tests.adapters.telegram.conftest import fake_telegram  # noqa: F401 (fixture)
from tests.fakes.telegram_api import FakeTelegramApi

from .leaks import SECRETS
from .worlds import OPEN_WORLD, World


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot_on(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    """Parametrised indirectly with a platform name."""
    platform = str(request.param)
    async with OPEN_WORLD[platform](tmp_path_factory.mktemp(platform)) as running:
        yield running


@pytest.fixture
async def telegram_with_sentinel_token() -> AsyncIterator[FakeTelegramApi]:
    """The fake Bot API, answering only to the sentinel token of `leaks.SECRETS`."""
    api = FakeTelegramApi(SECRETS["SG_TELEGRAM_TOKEN"])
    api.add_chat(tg.CHAT, "Year 4 parents", bot_admin=True)
    await api.start()
    try:
        yield api
    finally:
        await api.close()
