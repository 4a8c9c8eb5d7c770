"""Receiving updates by webhook: Telegram POSTs each update to a public HTTPS URL.

Every request must carry the secret token given to setWebhook in the
X-Telegram-Bot-Api-Secret-Token header; anything else is refused with 403. Updates are read
exactly as polling reads them (malformed ones skipped) and queued for the Application; the
answer goes back once the update is handled, 503 when its message could not be stored.
"""

from __future__ import annotations

import hmac
import logging

from aiohttp import web
from telegram import Update

from adapters.webhook_bodies import read_json
from bot.platform_settings import TelegramWebhook

from .application import ALLOWED_UPDATES, HandledBeforeConfirmed, TelegramApp, usable_updates

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookReceiver:
    def __init__(self, app: TelegramApp, settings: TelegramWebhook) -> None:
        self._app = app
        self._settings = settings
        self._secret = settings.secret_token.get_secret_value().encode()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> None:
        server = web.Application()
        server.router.add_post(self._settings.path, self._receive)
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._settings.listen, self._settings.port).start()
        self.port = int(self._runner.addresses[0][1])
        log.info(
            "Telegram: webhook listening on %s:%s%s",
            self._settings.listen,
            self.port,
            self._settings.path,
        )
        await self._app.bot.set_webhook(
            url=self._settings.url,
            secret_token=self._settings.secret_token.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
        )

    async def stop(self) -> None:
        # The webhook stays set: Telegram keeps updates for 24 hours until the bot is back.
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        sent = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(sent, self._secret):
            log.warning("Telegram: refused a webhook request without the right secret token")
            return web.Response(status=403, text="wrong or missing secret token")
        try:
            data = read_json(await request.read())
        except ValueError as exc:
            log.warning("Telegram: refused a webhook request whose body is %s", exc)
            return web.Response(status=400, text=f"unreadable body: {exc}")
        # Answer 200 even for a malformed update: Telegram would otherwise send it again. Not
        # for one whose message could not be stored: Telegram is to send that again.
        queue = self._app.update_queue
        assert isinstance(queue, HandledBeforeConfirmed)
        for item in usable_updates([data]):
            if not await queue.handled(Update.de_json(item, self._app.bot)):
                return web.Response(status=503, text="not stored yet: send it again")
        return web.Response(status=200)
