"""Fixtures for the Slack adapter tests: the loopback fake Slack, a config pointing at it,
and Slack payloads filled in from tests/payloads/slack/."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from string import Template
from typing import Any

import pytest

from bot.config import Config, parse_config
from tests.fakes.slack_api import FakeSlack

PAYLOADS = Path(__file__).resolve().parents[2] / "payloads" / "slack"

CHANNEL = "C0YEAR4"
OTHER_CHANNEL = "C0OTHER"
PARENT = "U0PARENT"
SLT = "U0SLT"
ADMIN = "U0ADMIN"

ABUSIVE = "go f*ck yourself Debbie"
CLEAN = "Is it swimming on Tuesday?"


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(users={PARENT: "Debbie's neighbour", SLT: "Ms Okafor", ADMIN: "Mr Hughes"})
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


def slack_yaml(fake: FakeSlack, *, extra: str = "", mode: str = "socket") -> str:
    connection = (
        "  app_token: xapp-1-test\n"
        if mode == "socket"
        else "  mode: http\n  signing_secret: test-signing-secret\n  listen: 127.0.0.1\n  port: 0\n"
    )
    return f"slack:\n  bot_token: xoxb-test\n  api_url: {fake.api_url}\n{connection}{extra}"


@pytest.fixture
def make_config(tmp_path: Path, fake_slack: FakeSlack) -> Callable[..., Config]:
    """A config for one school with one Slack channel (and any `more_channels`);
    `slack_extra` adds keys to `slack:`."""

    def make(
        *, slack_extra: str = "", mode: str = "socket", more_channels: Sequence[str] = ()
    ) -> Config:
        chats = "".join(
            f"      - {{platform: slack, id: {channel}, name: {channel.lower()}}}\n"
            for channel in more_channels
        )
        text = f"""
storage:
  path: {tmp_path / "schoolgate.sqlite3"}
policy:
  escalation: {{alert_after: 1}}  # every flagged message alerts SLT, whatever its severity
{slack_yaml(fake_slack, extra=slack_extra, mode=mode)}
schools:
  - id: riverside
    name: Riverside Primary School
    staff:
      - {{id: s1, title: Mrs, first: Priya, last: Patel, roles: [head]}}
    slt:
      - {{name: Ms Okafor, slack: {SLT}}}
    admins:
      - {{name: Mr Hughes, slack: {ADMIN}}}
    chats:
      - {{platform: slack, id: {CHANNEL}, name: year-4-parents}}
{chats}"""
        return parse_config(text, "test")

    return make


def payload(name: str, **values: str) -> dict[str, Any]:
    """A payload from tests/payloads/slack/ with its $placeholders filled in."""
    text = (PAYLOADS / f"{name}.json").read_text(encoding="utf-8")
    escaped = {key: json.dumps(value)[1:-1] for key, value in values.items()}
    loaded = json.loads(Template(text).substitute(escaped))
    assert isinstance(loaded, dict)
    return loaded


def message_body(
    text: str, *, ts: str, event_id: str, user: str = PARENT, channel: str = CHANNEL
) -> dict[str, Any]:
    return payload("message", text=text, ts=ts, event_id=event_id, user=user, channel=channel)


def edit_body(
    text: str, previous: str, *, ts: str, edit_ts: str, event_id: str, user: str = PARENT
) -> dict[str, Any]:
    return payload(
        "message_changed",
        text=text,
        previous_text=previous,
        ts=ts,
        edit_ts=edit_ts,
        event_id=event_id,
        user=user,
        channel=CHANNEL,
    )


def command_body(
    fake: FakeSlack, text: str, *, user: str, channel: str = CHANNEL
) -> dict[str, Any]:
    return payload(
        "slash_command",
        text=text,
        user=user,
        user_name=user.lower(),
        channel=channel,
        response_url=fake.response_url(f"command-{user}"),
    )


def button_body(fake: FakeSlack, data: str, *, user: str, label: str = "") -> dict[str, Any]:
    return payload(
        "block_actions",
        data=data,
        label=label or data,
        user=user,
        user_name=user.lower(),
        channel="D" + user,
        response_url=fake.response_url(f"button-{user}"),
    )
