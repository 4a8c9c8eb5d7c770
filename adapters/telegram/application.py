"""Building python-telegram-bot's Application from the `telegram:` config section."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults, ExtBot
from telegram.request import HTTPXRequest

from bot.platform_settings import TelegramSettings

log = logging.getLogger(__name__)

# Longest pause before an update whose message could not be stored is handed over again.
RETRY_CAP = 60.0

TelegramApp = Application[
    ExtBot[None], ContextTypes.DEFAULT_TYPE, dict[Any, Any], dict[Any, Any], dict[Any, Any], None
]

# The updates the adapter handles; chat_member and chat_join_request come only when asked for.
ALLOWED_UPDATES = (
    "message",
    "edited_message",
    "callback_query",
    "chat_member",
    "my_chat_member",
    "chat_join_request",
)


def api_base_url(base_url: str) -> str:
    """The SDK's base URL (the token is appended to it): a server address gets `/bot` added."""
    base = base_url.rstrip("/")
    return base if base.endswith("/bot") else f"{base}/bot"


def usable_updates(raw: list[Any]) -> list[Any]:
    """Updates the SDK can read. A malformed one is logged (by id only: it may hold a message)
    and replaced by an empty update with the same id, so that polling confirms it and moves on
    instead of fetching it again forever. One without a whole-number id is dropped: polling
    confirms with the last id plus one, and anything else there would stop it for good."""
    usable: list[Any] = []
    for item in raw:
        update_id = item.get("update_id") if isinstance(item, dict) else None
        if type(update_id) is not int:
            log.warning("Telegram: skipped an update without a numeric id")
            continue
        try:
            Update.de_json(item, None)
        except Exception as exc:
            log.warning("Telegram: skipped malformed update %s (%s)", update_id, type(exc).__name__)
            usable.append({"update_id": update_id})
            continue
        usable.append(item)
    return usable


class _SkipMalformedUpdates(HTTPXRequest):
    """The getUpdates connection, with `usable_updates` applied to what Telegram returns."""

    __slots__ = ()

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        data = HTTPXRequest.parse_json_payload(payload)
        if isinstance(data.get("result"), list):
            data["result"] = usable_updates(data["result"])
        return data


class HandledBeforeConfirmed(asyncio.Queue[object]):
    """The queue between receiving updates and handling them, where `put` returns only once
    the update has been handled.

    Polling confirms updates to Telegram with the offset of its next getUpdates, which it sends
    as soon as `put` returns; a webhook answers Telegram once `handled` returns. Either way
    Telegram forgets an update only after the core has it, so one fetched but not yet handled
    when the process dies is served again after the restart (the core de-duplicates).

    An update whose message the core could not store (`not_stored`) is not confirmed: polling
    hands it over again after a pause, doubling up to a minute, and moves past it only once it
    is stored (later updates wait, in order, as they would on Telegram's side); the webhook
    answers 503 so that Telegram sends it again."""

    def __init__(self) -> None:
        super().__init__()
        self._not_stored: set[int] = set()

    def not_stored(self, update: Update) -> None:
        """The core could not store the update's message: it is not to be confirmed."""
        self._not_stored.add(update.update_id)

    async def handled(self, item: object) -> bool:
        """Queue an update and wait until it is handled; False when it was not stored."""
        await super().put(item)
        await self.join()
        if not isinstance(item, Update) or item.update_id not in self._not_stored:
            return True
        self._not_stored.discard(item.update_id)
        return False

    async def put(self, item: object) -> None:
        tries = 0
        while not await self.handled(item):
            tries += 1
            pause = min(RETRY_CAP, 2.0 ** (tries - 1))
            log.error(
                "Telegram: update %s not confirmed, since its message could not be stored; "
                "handing it over again in %.0f s (Telegram keeps it meanwhile)",
                getattr(item, "update_id", None),
                pause,
            )
            await asyncio.sleep(pause)


def quiet_http_logs() -> None:
    # httpx logs every request URL at INFO, and a Bot API URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    updater = logging.getLogger("telegram.ext.Updater")
    if not any(isinstance(f, _UnconfirmedAtShutdown) for f in updater.filters):
        updater.addFilter(_UnconfirmedAtShutdown())


class _UnconfirmedAtShutdown(logging.Filter):
    """At shutdown the Updater confirms the updates it fetched; when Telegram cannot be
    reached just then it logs an error with a traceback. Nothing is lost (the updates are
    fetched again at the next start and the core handles each once): say so in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Error while calling `get_updates` one more time"):
            problem = type(record.exc_info[1]).__name__ if record.exc_info else "an error"
            record.msg = "Telegram: could not confirm the last updates at shutdown (%s); " + (
                "they will be fetched again at the next start"
            )
            record.args = (problem,)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def build_application(settings: TelegramSettings) -> TelegramApp:
    quiet_http_logs()
    builder = (
        ApplicationBuilder()
        .token(settings.token.get_secret_value())
        .get_updates_request(_SkipMalformedUpdates(connection_pool_size=1))
        .defaults(Defaults(link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .job_queue(None)
        .update_queue(HandledBeforeConfirmed())
    )
    if settings.base_url:
        builder = builder.base_url(api_base_url(settings.base_url))
    if settings.mode == "webhook":
        builder = builder.updater(None)
    return builder.build()
