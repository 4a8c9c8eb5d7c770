"""`SlackPlatform`: the Slack adapter as the core sees it."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from slack_bolt.async_app import AsyncApp

from adapters.slack.catchup import catch_up_with_retries
from adapters.slack.clients import (
    SlackClients,
    SlackSetupError,
    build_clients,
    describe_error,
    identify,
)
from adapters.slack.delivery import SlackDelivery
from adapters.slack.events import PLATFORM
from adapters.slack.inbound import Inbound
from adapters.slack.names import DisplayNames
from adapters.slack.serving import HttpServing, Serving, SocketServing
from bot.config import Config
from bot.model import Action, ChatRef, Delivery
from bot.platform import Capability, EventSink
from bot.platform_settings import SlackSettings

log = logging.getLogger(__name__)

_ALWAYS = frozenset(
    {Capability.EPHEMERAL, Capability.DIRECT_MESSAGE, Capability.BUTTONS, Capability.LOCK_CHAT}
)
_WITH_USER_TOKEN = frozenset({Capability.DELETE_OTHERS, Capability.REOPEN_CHAT})
# Without membership the bot sees nothing in a channel and can post nothing there.
_NEEDS_MEMBERSHIP = frozenset({Capability.EPHEMERAL, Capability.LOCK_CHAT})


class SlackPlatform:
    """Moderates the configured Slack channels (chat ids are channel ids)."""

    name = PLATFORM

    def __init__(self, config: Config) -> None:
        if config.slack is None:
            raise ValueError("the config has no 'slack:' section")
        self._settings: SlackSettings = config.slack
        self._clients: SlackClients = build_clients(self._settings)
        self._channels = {chat.id: chat.name for _, chat in config.chats_on(PLATFORM)}
        self._outside: set[str] = set()  # configured channels the bot is not a member of
        self._delivery: SlackDelivery | None = None
        self._inbound: Inbound | None = None
        self._serving: Serving | None = None
        self._catching_up: asyncio.Task[None] | None = None
        self._workspace_url = ""  # from auth.test, for links to messages

    @property
    def capabilities(self) -> frozenset[Capability]:
        return _ALWAYS | (_WITH_USER_TOKEN if self._settings.user_token else frozenset())

    def capabilities_in(self, chat: ChatRef) -> frozenset[Capability]:
        if chat.chat_id in self._outside:
            return self.capabilities - _NEEDS_MEMBERSHIP
        return self.capabilities

    def message_link(self, chat: ChatRef, message_id: str) -> str | None:
        """Slack's permalink form: the workspace address, the channel, and the ts without its
        dot (what chat.getPermalink answers, without a call per message)."""
        if not self._workspace_url or not message_id.replace(".", "").isdigit():
            return None
        base = self._workspace_url.rstrip("/")
        return f"{base}/archives/{chat.chat_id}/p{message_id.replace('.', '')}"

    @property
    def http_port(self) -> int | None:
        """The port the HTTP endpoint listens on (http mode, once started)."""
        return self._serving.port if isinstance(self._serving, HttpServing) else None

    async def start(self, events: EventSink) -> None:
        bot = await identify(self._clients.read)
        self._workspace_url = bot.url
        if self._clients.user is not None:
            await identify(self._clients.user, token_name="user_token")
        await self._learn_channels()
        self._delivery = SlackDelivery(self._clients.bot, self._clients.user, bot.user_id)
        names = DisplayNames(self._clients.read)
        self._inbound = Inbound(events, self._channels, names, bot.user_id)
        app = self._build_app()
        self._inbound.register(app)
        self._serving = self._build_serving(app)
        await self._serving.start()
        log.info(
            "Slack connected as bot %s in %s (%s mode)", bot.user_id, bot.team, self._settings.mode
        )
        # After connecting, so that nothing falls between the history read and live events,
        # which wait meanwhile; channels side by side, each let through as soon as it is done.
        # In the background: actions need not wait for it.
        self._catching_up = asyncio.create_task(
            self._catch_up_all(events), name="schoolgate-slack-catch-up"
        )

    async def caught_up(self) -> None:
        """Return once the catch-up begun at start is done."""
        if self._catching_up is not None:
            await asyncio.shield(self._catching_up)

    async def _catch_up_all(self, events: EventSink) -> None:
        await asyncio.gather(*(self._catch_up(channel, events) for channel in self._channels))

    async def _catch_up(self, channel: str, events: EventSink) -> None:
        assert self._inbound is not None
        newest = await catch_up_with_retries(
            self._clients.read, events, channel, self._inbound.with_names
        )
        self._inbound.caught_up(channel, newest)

    async def stop(self) -> None:
        if self._catching_up is not None:
            catching_up, self._catching_up = self._catching_up, None
            catching_up.cancel()
            await asyncio.gather(catching_up, return_exceptions=True)
        if self._serving is not None:
            serving, self._serving = self._serving, None
            await serving.stop()
        if self._inbound is not None:
            await self._inbound.settle()

    async def deliver(self, action: Action) -> Delivery:
        return await self._started().deliver(action)

    async def redeliver(self, action: Action, since: datetime) -> Delivery:
        """Deliver an action an unanswered attempt may already have sent (see delivery.py)."""
        return await self._started().redeliver(action, since)

    def _started(self) -> SlackDelivery:
        if self._delivery is None:
            raise RuntimeError("the Slack adapter has not started")  # transient: retried later
        return self._delivery

    def _build_app(self) -> AsyncApp:
        secret = self._settings.signing_secret
        return AsyncApp(
            client=self._clients.read,
            signing_secret=secret.get_secret_value() if secret else None,
            # Socket Mode has no signatures: Slack authenticates the WebSocket instead.
            request_verification_enabled=self._settings.mode == "http",
            # Message events are acknowledged once the core has them (see inbound.py).
            process_before_response=True,
        )

    def _build_serving(self, app: AsyncApp) -> Serving:
        settings = self._settings
        if settings.mode == "http":
            return HttpServing(app, settings.listen, settings.port, settings.path)
        if settings.app_token is None:  # the settings' validator already insists on it
            raise SlackSetupError("slack.mode 'socket' needs app_token")
        return SocketServing(app, settings.app_token.get_secret_value(), self._clients.read)

    async def _learn_channels(self) -> None:
        """Names of the configured channels, and warnings for the admin where the bot is
        missing, so the cause of silence is in the log rather than guessed at."""
        for channel in self._channels:
            try:
                answer = await self._clients.read.conversations_info(channel=channel)
            except Exception as error:
                reason = describe_error(error)
                log.warning("Slack channel %s: cannot read it (%s)", channel, reason)
                if reason == "channel_not_found":  # private, and the bot was never invited
                    self._outside.add(channel)
                continue
            info = answer.get("channel") or {}
            self._channels[channel] = self._channels[channel] or str(info.get("name") or "")
            if info.get("is_member") is False:
                log.warning(
                    "Slack channel %s: the bot is not a member; invite it with /invite", channel
                )
                self._outside.add(channel)
            if info.get("is_archived"):
                log.warning("Slack channel %s is archived: it is closed until unarchived", channel)
