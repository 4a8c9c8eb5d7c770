"""How Slack reaches the app: Socket Mode (the default; no public URL needed) or HTTP.

In HTTP mode Bolt's aiohttp adapter serves the Events API / interactivity / slash command
endpoint, and Bolt checks the signing secret: a forged or stale signature gets 401.
"""

from __future__ import annotations

import logging
from typing import Protocol

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.clients import SlackSetupError, error_code


class Serving(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class SocketServing:
    def __init__(self, app: AsyncApp, app_token: str, client: AsyncWebClient) -> None:
        self._app = app
        self._app_token = app_token
        self._client = client
        self._handler: AsyncSocketModeHandler | None = None

    async def start(self) -> None:
        # Ask for the WebSocket URL here: the handler would retry a refused app token forever.
        try:
            opened = await self._client.apps_connections_open(app_token=self._app_token)
        except SlackApiError as error:
            raise SlackSetupError(
                f"Slack refused slack.app_token ({error_code(error)}): it must be an xapp- "
                "app-level token with the connections:write scope, and Socket Mode must be on"
            ) from None
        self._handler = AsyncSocketModeHandler(self._app, self._app_token, web_client=self._client)
        self._handler.client.wss_uri = str(opened["url"])
        await self._handler.connect_async()  # type: ignore[no-untyped-call]

    async def stop(self) -> None:
        if self._handler is not None:
            handler, self._handler = self._handler, None
            await handler.close_async()  # type: ignore[no-untyped-call]


class _WithoutBody(logging.Filter):
    """Bolt logs a refused request with its whole body (members' words) at INFO: keep the fact."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Invalid request signature"):
            record.msg = "refused a Slack request with an invalid or stale signature"
            record.args = ()
        return True


def _withhold_refused_bodies() -> None:
    logger = logging.getLogger("slack_bolt.RequestVerification")
    if not any(isinstance(f, _WithoutBody) for f in logger.filters):
        logger.addFilter(_WithoutBody())


class HttpServing:
    def __init__(self, app: AsyncApp, listen: str, port: int, path: str) -> None:
        _withhold_refused_bodies()
        self._app = app
        self._listen = listen
        self._port = port
        self._path = path
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        runner = web.AppRunner(self._app.web_app(path=self._path, port=self._port), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self._listen, self._port).start()
        self._runner = runner

    @property
    def port(self) -> int:
        """The port actually listened on (the config may say 0: any free port)."""
        if self._runner is None or not self._runner.addresses:
            return self._port
        return int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
