"""How Slack reaches the app: Socket Mode (the default; no public URL needed) or HTTP.

In HTTP mode Bolt's aiohttp adapter serves the Events API / interactivity / slash command
endpoint, and Bolt checks the signing secret: a forged or stale signature gets 401. Bolt accepts
a validly signed request again and again for five minutes, so a replay (the same signed request
sent twice) is refused here with 401 too.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.clients import SETUP_REFUSALS, SlackSetupError, error_code
from adapters.webhook_bodies import refuse_unreadable

log = logging.getLogger(__name__)


class Serving(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class _SkipUnreadable(AsyncSocketModeHandler):
    """Bolt builds its request before any listener runs, and an envelope it cannot read there
    (a field of the wrong type) would be logged with a traceback and left unacknowledged, so
    Slack would send it again. Such an envelope is logged in one line and acknowledged."""

    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        try:
            await super().handle(client, req)  # type: ignore[arg-type]
        except Exception as exc:
            log.warning("skipped a malformed Slack %s envelope (%s)", req.type, type(exc).__name__)
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))


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
            if error_code(error) not in SETUP_REFUSALS:
                raise
            raise SlackSetupError(
                f"Slack refused slack.app_token ({error_code(error)}): it must be an xapp- "
                "app-level token with the connections:write scope, and Socket Mode must be on"
            ) from None
        self._handler = _SkipUnreadable(self._app, self._app_token, web_client=self._client)
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


# Bolt accepts a timestamp up to five minutes either side of the time a request arrives, so a
# replay can come at most twice that long after the original.
REPLAY_WINDOW = 2 * 5 * 60


class RefuseReplays(AsyncMiddleware):
    """Refuses a signed request whose signature was seen before.

    Slack signs every delivery afresh, its own retries included (which the event id
    de-duplicates), so the same signature twice is someone sending a captured request again:
    without this, a replayed "Close chat" would close a chat that SLT had since reopened.
    Runs after Bolt's signature check, so only genuine signatures are remembered. The memory is
    the process's: a replay within five minutes of a restart is not caught.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen: set[str] = set()
        self._expiry: deque[tuple[float, str]] = deque()  # (when to forget, signature), in order

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],  # Bolt passes it by this name
    ) -> BoltResponse | None:
        values = req.headers.get("x-slack-signature") or ()
        if not values:  # Socket Mode: Slack authenticates the connection instead
            return await next()
        now = self._clock()
        while self._expiry and self._expiry[0][0] < now:
            self._seen.discard(self._expiry.popleft()[1])
        signature = str(values[0])
        if signature in self._seen:
            log.warning("refused a replayed Slack request (its signature was seen before)")
            return BoltResponse(status=401, body="")
        self._seen.add(signature)
        self._expiry.append((now + REPLAY_WINDOW, signature))
        return await next()


class HttpServing:
    def __init__(self, app: AsyncApp, listen: str, port: int, path: str) -> None:
        _withhold_refused_bodies()
        app.use(RefuseReplays())
        self._app = app
        self._listen = listen
        self._port = port
        self._path = path
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        server = self._app.web_app(path=self._path, port=self._port)
        server.middlewares.append(refuse_unreadable("Slack"))
        runner = web.AppRunner(server, access_log=None)
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
