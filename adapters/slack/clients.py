"""The Web API clients of the adapter, and the checks that the tokens work.

Two kinds of client on purpose: reads (auth.test, conversations.history / info, users.info)
wait out a 429 themselves with slack-sdk's rate-limit retry handler, while the clients that
deliver actions retry nothing, because the outbox owns those retries (it honours Retry-After
and never sends an action twice).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.platform import PlatformSetupError
from bot.platform_settings import SlackSettings

READ_RETRIES = 2


def error_code(error: SlackApiError) -> str:
    """Slack's error code ("channel_not_found"), or the HTTP status when the body had none."""
    data = error.response.data
    code = data.get("error") if isinstance(data, dict) else None
    return str(code) if code else f"HTTP {error.response.status_code}"


def describe_error(error: Exception) -> str:
    """For a log line: the Slack error code, or the kind of failure (never a token or text)."""
    return error_code(error) if isinstance(error, SlackApiError) else type(error).__name__


class SlackSetupError(PlatformSetupError):
    """Slack refused a token or the app's setup at start; the message says what to fix."""


# Slack's answers that mean a token or the app's setup is wrong: no wait changes them. Any
# other error at start (the network, Slack's own trouble) is tried again.
SETUP_REFUSALS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
        "missing_scope",
        "no_permission",
        "team_access_not_granted",
    }
)


@dataclass(frozen=True)
class SlackClients:
    read: AsyncWebClient  # the Bolt app's client too
    bot: AsyncWebClient  # delivers with the bot token
    user: AsyncWebClient | None  # a workspace admin's token: delete members' messages, unarchive


def build_clients(settings: SlackSettings) -> SlackClients:
    def client(token: SecretStr, *, read: bool = False) -> AsyncWebClient:
        handlers = (
            [AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(READ_RETRIES)]
            if read
            else []
        )
        base_url = settings.api_url or AsyncWebClient.BASE_URL
        return AsyncWebClient(
            token=token.get_secret_value(), base_url=base_url, retry_handlers=handlers
        )

    user = client(settings.user_token) if settings.user_token else None
    return SlackClients(client(settings.bot_token, read=True), client(settings.bot_token), user)


@dataclass(frozen=True)
class BotIdentity:
    user_id: str
    bot_id: str
    team: str
    url: str = ""  # the workspace's address, e.g. https://riverside.slack.com/


_TOKEN_KINDS = {
    "bot_token": "the xoxb- Bot User OAuth Token",
    "user_token": "the xoxp- User OAuth Token of a workspace admin",
}


async def identify(client: AsyncWebClient, *, token_name: str = "bot_token") -> BotIdentity:
    """auth.test: who the token belongs to, or a clear error when it does not work."""
    try:
        answer = await client.auth_test()
    except SlackApiError as error:
        if error_code(error) not in SETUP_REFUSALS:
            raise
        raise SlackSetupError(
            f"Slack refused slack.{token_name} ({error_code(error)}): check that the environment "
            f"variable named in the config holds {_TOKEN_KINDS.get(token_name, 'a valid token')}"
        ) from None
    return BotIdentity(
        str(answer.get("user_id") or ""),
        str(answer.get("bot_id") or ""),
        str(answer.get("team") or ""),
        str(answer.get("url") or ""),
    )
