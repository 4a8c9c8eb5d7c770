"""The shipped Slack app manifest asks for exactly what the adapter uses."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from adapters.slack.inbound import COMMAND

REPO = Path(__file__).resolve().parents[3]


def manifest() -> dict[str, Any]:
    text = resources.files("adapters").joinpath("slack_manifest.yaml").read_text("utf-8")
    loaded = yaml.safe_load(text)
    assert isinstance(loaded, dict)
    return loaded


def test_manifest_has_socket_mode_interactivity_and_the_one_command() -> None:
    settings = manifest()["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    [command] = manifest()["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert command["should_escape"] is True  # a #channel argument arrives as <#C...|name>


def test_manifest_subscribes_to_the_events_the_adapter_handles() -> None:
    events = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert events == {"message.channels", "message.groups", "member_joined_channel"}


def test_manifest_scopes_are_exactly_those_the_adapter_needs() -> None:
    scopes = manifest()["oauth_config"]["scopes"]
    assert set(scopes["bot"]) == {
        "channels:history",  # message.channels, conversations.history and .replies
        "groups:history",  # message.groups, conversations.history and .replies
        "channels:read",  # conversations.info, member_joined_channel
        "groups:read",
        "chat:write",  # chat.postMessage, chat.postEphemeral
        "im:write",  # conversations.open
        "im:history",  # conversations.history of a DM, after an unanswered attempt
        "users:read",  # users.info
        "commands",
        "channels:manage",  # conversations.archive
        "groups:write",
        "files:write",  # files.getUploadURLExternal, files.completeUploadExternal
    }
    assert set(scopes["user"]) == {"chat:write", "channels:write", "groups:write"}
    assert manifest()["features"]["app_home"]["messages_tab_enabled"] is True  # DMs are read


def test_the_reopen_command_can_be_typed_in_the_apps_messages_tab_as_the_guide_says() -> None:
    """docs/slack.md tells SLT to type `/schoolgate reopen #channel` in a direct message with
    schoolgate, since an archived channel takes no commands: a read-only Messages tab would
    offer nowhere to type it."""
    guide = (REPO / "docs" / "slack.md").read_text("utf-8")
    assert "`/schoolgate reopen #channel` in a direct message with schoolgate" in guide
    app_home = manifest()["features"]["app_home"]
    assert app_home["messages_tab_enabled"] is True
    assert app_home["messages_tab_read_only_enabled"] is False
    # Typing there is for the command only: nothing written to the bot is read.
    assert "message.im" not in manifest()["settings"]["event_subscriptions"]["bot_events"]
