"""`schoolgate telegram-link`: the link SLT contacts open once to receive alerts."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.fakes.telegram_api import TOKEN, FakeTelegramApi

from .builders import SLT


@pytest.fixture
def fake_in_thread() -> Iterator[FakeTelegramApi]:
    """The fake on its own event loop: the command runs its own with asyncio.run."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = FakeTelegramApi()
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def write_config(path: Path, telegram: str) -> Path:
    path.write_text(
        f"""{telegram}
schools:
  - id: riverside
    name: Riverside Primary School
    slt:
      - {{name: Ms Okafor, telegram: {SLT}}}
      - {{name: Mr Dean, slack: U0DEAN}}
""",
        encoding="utf-8",
    )
    return path


def test_prints_the_deep_link_with_the_bots_username(
    fake_in_thread: FakeTelegramApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    telegram = f'telegram:\n  token: "{TOKEN}"\n  base_url: {fake_in_thread.base_url}\n'
    config = write_config(tmp_path / "school.yaml", telegram)

    assert main(["telegram-link", "--config", str(config)]) == 0

    out = capsys.readouterr().out
    assert "Riverside Primary School: https://t.me/schoolgate_test_bot?start=slt-riverside" in out
    assert "send to: Ms Okafor" in out
    assert "Mr Dean" not in out  # no Telegram id
    assert [c.method for c in fake_in_thread.calls] == ["getMe"]


def test_a_rejected_token_is_one_clear_line(
    fake_in_thread: FakeTelegramApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    telegram = f'telegram:\n  token: "999:WRONG"\n  base_url: {fake_in_thread.base_url}\n'
    config = write_config(tmp_path / "school.yaml", telegram)

    assert main(["telegram-link", "--config", str(config)]) == 2

    err = capsys.readouterr().err
    assert err == (
        "schoolgate: Telegram rejected the bot token in telegram.token: "
        "copy it again from @BotFather\n"
    )


def test_without_a_telegram_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "school.yaml", "")

    assert main(["telegram-link", "--config", str(config)]) == 2
    assert "no 'telegram:' section" in capsys.readouterr().err
