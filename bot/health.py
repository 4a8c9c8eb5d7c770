"""`GET /healthz`: whether each platform is connected and how many actions wait to be sent.

Served only when the config has a `health:` section, on loopback by default: it is for the
machine's own supervisor (a container's HEALTHCHECK, a monitoring agent), and says nothing
about any person or message. The answer is 200 when every platform has started and every
flagged message is stored, else 503 (status "connecting", or "not storing" while flagged
messages wait in memory for the database), with the same JSON either way:

    {"status": "ok", "platforms": {"telegram": {"connected": true, "attempts": 1, "error": ""}},
     "pending_actions": 0, "unstored_messages": 0}
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

Report = Callable[[], Awaitable[dict[str, Any]]]


class HealthServer:
    def __init__(self, listen: str, port: int, report: Report) -> None:
        self._listen = listen
        self._port = port
        self._report = report
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._listen, self._port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        log.info("health check at http://%s:%d/healthz", host, port)

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def _healthz(self, request: web.Request) -> web.Response:
        report = await self._report()
        return web.json_response(report, status=200 if report["status"] == "ok" else 503)
