"""Config sections of the platforms: `telegram:`, `discord:` and `slack:`.

Each platform is enabled by its own section being present. Secrets are `SecretStr` so that they
never appear in a repr or a log line; the YAML gives them as `${ENV_VAR}`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TelegramWebhook(_Section):
    listen: str = "0.0.0.0"  # a webhook receiver listens on all interfaces
    port: int = 8443
    path: str = "/telegram"
    url: str  # the public HTTPS URL Telegram posts to
    secret_token: SecretStr  # sent back by Telegram in X-Telegram-Bot-Api-Secret-Token

    @field_validator("url")
    @classmethod
    def _https(cls, url: str) -> str:
        if not url.startswith("https://"):
            raise ValueError("Telegram posts only to https:// addresses")
        return url

    @field_validator("secret_token")
    @classmethod
    def _token_characters(cls, token: SecretStr) -> SecretStr:
        # Telegram's rule; checked here so that a bad one fails at start, not at setWebhook.
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", token.get_secret_value()):
            raise ValueError("use 1-256 characters from A-Z, a-z, 0-9, _ and -")
        return token


class TelegramSettings(_Section):
    token: SecretStr
    base_url: str | None = None  # a self-hosted Bot API server, or a test server
    mode: Literal["polling", "webhook"] = "polling"
    webhook: TelegramWebhook | None = None
    join_gate: bool = False  # approve join requests only after the code is accepted

    @model_validator(mode="after")
    def _webhook_needs_settings(self) -> TelegramSettings:
        if self.mode == "webhook" and self.webhook is None:
            raise ValueError("mode 'webhook' needs a 'webhook:' section with url and secret_token")
        return self


class DiscordSettings(_Section):
    token: SecretStr
    api_url: str | None = None  # e.g. http://127.0.0.1:PORT/api/v10 in tests
    gateway_url: str | None = None
    admin_roles: list[str] = []  # role ids whose holders count as admins
    welcome_channel: str | None = None  # where welcomes go when a new member blocks DMs


class SlackSettings(_Section):
    bot_token: SecretStr
    mode: Literal["socket", "http"] = "socket"
    app_token: SecretStr | None = None  # xapp-..., for socket mode
    signing_secret: SecretStr | None = None  # for http mode
    listen: str = "0.0.0.0"
    port: int = 3000
    path: str = "/slack/events"
    user_token: SecretStr | None = None  # a workspace admin's: delete members' messages, unarchive
    api_url: str | None = None  # e.g. http://127.0.0.1:PORT/api/ in tests

    @model_validator(mode="after")
    def _mode_needs_secret(self) -> SlackSettings:
        if self.mode == "socket" and self.app_token is None:
            raise ValueError("mode 'socket' needs app_token (an xapp- token)")
        if self.mode == "http" and self.signing_secret is None:
            raise ValueError("mode 'http' needs signing_secret")
        return self
