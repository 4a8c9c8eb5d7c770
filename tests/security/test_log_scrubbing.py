"""The log record factory that keeps secrets and members' words out of every log line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from adapters.local import LocalPlatform
from bot.app import App
from bot.config import parse_config
from bot.logs import SECRET, WITHHELD, Scrubber, protect_logs, secrets_in

from .leaks import SECRETS

FLAGGED = "Sarah you are a useless idiot and everyone knows it"


@pytest.fixture
def scrubber() -> Scrubber:
    scrubber = Scrubber()
    scrubber.add_secrets(["123456:tok/en+value", "short"])
    return scrubber


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("GET https://api/bot123456:tok/en+value/getMe", f"GET https://api/bot{SECRET}/getMe"),
        ("token=123456%3Atok%2Fen%2Bvalue", f"token={SECRET}"),
        # A short secret is scrubbed where it stands alone, never inside a longer word.
        ("setWebhook {'secret_token': 'short'}", f"setWebhook {{'secret_token': '{SECRET}'}}"),
        ("a shortcut, shortly", "a shortcut, shortly"),
        (
            "Calling `sendMessage` with `{'chat_id': 1, 'text': 'hi there'}`",
            "Calling `sendMessage` with `{'chat_id': 1, 'text':",
        ),
        ('frame {"type": "message", "text": "hi there"}', 'frame {"type": "message", "text":'),
        (
            "Update(message=Message(chat=Chat(id=1), text='hi there'))",
            "Update(message=Message(chat=Chat(id=1), text=",
        ),
        ("{'content': \"it's mine\", 'id': 5}", "{'content':"),
        ("body: user_id=U1&text=hi+there", "body: user_id=U1&text="),
        ("payload=%7B%22caption%22%3A%22hi%22%7D", "payload=%7B%22caption%22"),
        ("context=3 texture=soft", "context=3 texture=soft"),
    ],
)
def test_lines_are_scrubbed(scrubber: Scrubber, line: str, kept: str) -> None:
    scrubbed = scrubber.scrub(line)
    assert scrubbed in (kept, kept + WITHHELD)
    assert "hi there" not in scrubbed
    assert "tok/en" not in scrubbed


def test_every_secret_of_a_config_is_found() -> None:
    config = parse_config(
        f"""
telegram:
  token: "{SECRETS["SG_TELEGRAM_TOKEN"]}"
  webhook: {{url: "https://x.example/t", secret_token: {SECRETS["SG_TELEGRAM_WEBHOOK_SECRET"]}}}
discord: {{token: "{SECRETS["SG_DISCORD_TOKEN"]}"}}
slack:
  bot_token: {SECRETS["SG_SLACK_BOT_TOKEN"]}
  app_token: {SECRETS["SG_SLACK_APP_TOKEN"]}
  signing_secret: {SECRETS["SG_SLACK_SIGNING_SECRET"]}
  user_token: {SECRETS["SG_SLACK_USER_TOKEN"]}
schools:
  - {{id: riverside, name: Riverside Primary School}}
""",
        "test",
    )
    assert sorted(secrets_in(config)) == sorted(SECRETS.values())


def test_records_of_any_logger_are_scrubbed_once_protected(
    caplog: pytest.LogCaptureFixture,
) -> None:
    protect_logs(["sekrit-value-1"])
    protect_logs(["sekrit-value-2"])  # adds to the first, installs nothing twice
    caplog.set_level(logging.DEBUG)
    some_sdk = logging.getLogger("some.sdk")

    some_sdk.debug("url /bot%s/x, update %r", "sekrit-value-1", {"text": "hi there"})
    try:
        raise ValueError("bad token sekrit-value-2")
    except ValueError:
        some_sdk.exception("failed")

    assert "sekrit" not in caplog.text
    assert "hi there" not in caplog.text
    assert f"/bot{SECRET}/x" in caplog.text
    assert f"ValueError: bad token {SECRET}" in caplog.text
    factory = logging.getLogRecordFactory()
    assert not isinstance(getattr(factory, "inner", None), type(factory))


async def test_the_database_driver_logs_no_statement_parameters(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """aiosqlite logs each statement with its parameters at DEBUG: a flagged message's words
    and its sender's id would reach the log."""
    config = parse_config(
        "schools: [{id: s, name: S, chats: [{platform: local, id: c}]}]\n"
        f"storage: {{path: {tmp_path / 'db.sqlite3'}}}\nlocal: {{}}\n",
        "test.yaml",
    )
    caplog.set_level(logging.DEBUG)
    local = LocalPlatform()
    async with App(config, [local]) as app:
        await local.send("c", LocalPlatform.user("sender-4711", "Amy"), FLAGGED)
        await app.drain()
        assert len(await app.store.incidents()) == 1
    assert "sender-4711" not in caplog.text
    assert "useless idiot" not in caplog.text
