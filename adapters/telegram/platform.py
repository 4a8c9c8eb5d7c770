"""The Telegram platform: python-telegram-bot's Application wired to the core.

At start it learns who the bot is (getMe), checks its rights in every configured chat and says
plainly what is missing, sets the command menu, then receives updates by long polling (the
default; the offset resumes after a restart, and Telegram keeps updates for 24 hours) or by
webhook.
"""

from __future__ import annotations

import logging

from telegram import error as tg

from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.model import Action, ChatRef, Delivery
from bot.platform import Capability, EventSink, PlatformSetupError

from .application import ALLOWED_UPDATES, TelegramApp, build_application
from .chats import ChatDirectory
from .delivery import Deliverer
from .errors import TOKEN_REJECTED, describe
from .handlers import UpdateRouter
from .links import deep_link, onboarding_payload
from .mapping import PLATFORM
from .menu import register_menu
from .rights import check_rights
from .webhook import WebhookReceiver

log = logging.getLogger(__name__)

# Long-polling wait per getUpdates request, in seconds.
POLL_TIMEOUT = 25


class TelegramPlatform:
    name = PLATFORM

    def __init__(self, config: Config, *, clock: Clock | None = None) -> None:
        if config.telegram is None:
            raise ValueError("the config has no 'telegram:' section")
        self._config = config
        self._settings = config.telegram
        self._clock = clock or SystemClock()
        self._chats = ChatDirectory(config)
        self._app: TelegramApp | None = None
        self._webhook: WebhookReceiver | None = None
        self._deliverer: Deliverer | None = None

    @property
    def capabilities(self) -> frozenset[Capability]:
        return frozenset(Capability)

    def capabilities_in(self, chat: ChatRef) -> frozenset[Capability]:
        return self._chats.capabilities_in(chat)

    def message_link(self, chat: ChatRef, message_id: str) -> str | None:
        """A supergroup's messages have links members can open: t.me/c/<id without -100>/<id>.
        A basic group's have none."""
        if not chat.chat_id.startswith("-100") or not message_id.isdigit():
            return None
        return f"https://t.me/c/{chat.chat_id.removeprefix('-100')}/{message_id}"

    @property
    def webhook_port(self) -> int | None:
        """The port the webhook receiver listens on, once started (useful with port 0)."""
        return self._webhook.port if self._webhook is not None else None

    async def start(self, events: EventSink) -> None:
        if self._app is not None:
            return
        app = build_application(self._settings)
        try:
            await self._start(app, events)
        except BaseException:
            await _shut_down(app, self._webhook)
            self._webhook = None
            raise
        self._app = app

    async def _start(self, app: TelegramApp, events: EventSink) -> None:
        try:
            await app.initialize()  # getMe
        except tg.InvalidToken:
            raise PlatformSetupError(TOKEN_REJECTED) from None
        bot = app.bot
        privacy_off = bot.can_read_all_group_messages
        for chat_id in self._chats.chat_ids:
            if not chat_id.removeprefix("-").isdigit():
                log.warning(
                    "Telegram: chat id %r is not a number such as -1001234567890; "
                    "nothing there is moderated",
                    chat_id,
                )
                continue
            rights = await check_rights(bot, chat_id, privacy_off=privacy_off)
            self._chats.set_rights(chat_id, rights)
        await register_menu(bot)
        join_gate = self._settings.join_gate
        UpdateRouter(
            events, self._chats, self._clock, privacy_off=privacy_off, join_gate=join_gate
        ).install(app)
        self._deliverer = Deliverer(
            bot, self._config, self._chats, self._clock, join_gate=join_gate
        )
        await app.start()
        if self._settings.webhook is not None and self._settings.mode == "webhook":
            self._webhook = WebhookReceiver(app, self._settings.webhook)
            await self._webhook.start()
        elif app.updater is not None:
            await app.updater.start_polling(
                timeout=POLL_TIMEOUT,
                allowed_updates=ALLOWED_UPDATES,
                error_callback=_polling_failed,
            )
        self._log_onboarding(bot.username)

    def _log_onboarding(self, username: str) -> None:
        for school in self._config.schools:
            if any(c.id_on(PLATFORM) for c in school.slt):
                log.info(
                    "Telegram: SLT of %s: open %s once so that the bot can send you alerts",
                    school.name,
                    deep_link(username, onboarding_payload(school)),
                )

    async def stop(self) -> None:
        app, self._app = self._app, None
        self._deliverer = None
        if app is not None:
            await _shut_down(app, self._webhook)
        self._webhook = None

    async def deliver(self, action: Action) -> Delivery:
        if self._deliverer is None:
            raise RuntimeError("the Telegram platform has not started yet")  # retried later
        return await self._deliverer.deliver(action)


async def _shut_down(app: TelegramApp, webhook: WebhookReceiver | None) -> None:
    if webhook is not None:
        await webhook.stop()
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


def _polling_failed(exc: tg.TelegramError) -> None:
    log.warning("Telegram: fetching updates failed (%s); trying again", describe(exc))
