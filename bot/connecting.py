"""Starting each platform on its own, and trying again until it connects.

A school's server may start before its network does, and one platform's API may be down while
the others work. So each platform is started in its own task: an error while starting is
logged in one line and the start is tried again after a capped, jittered back-off, while the
other platforms moderate as usual. Only a `PlatformSetupError` (the platform refused the bot's
settings) ends the trying: no wait fixes a rejected token. Once started, each SDK reconnects by
itself after a dropped connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from bot.clock import Clock, backoff
from bot.logs import scrubbed
from bot.platform import EventSink, Platform, PlatformSetupError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    first: float = 1.0  # seconds before the second attempt
    cap: float = 60.0  # the longest wait between attempts


@dataclass(frozen=True)
class ConnectionState:
    """What the health check reports for one platform."""

    connected: bool
    attempts: int
    error: str  # why the last attempt failed; empty once connected


class Connector:
    """Starts one platform and keeps trying until it has started or refused the settings."""

    def __init__(
        self,
        platform: Platform,
        events: EventSink,
        clock: Clock,
        *,
        delays: Backoff,
        rng: random.Random,
        on_connected: Callable[[Platform], None],
        on_refused: Callable[[PlatformSetupError], None],
    ) -> None:
        self.platform = platform
        self._events = events
        self._clock = clock
        self._delays = delays
        self._rng = rng
        self._on_connected = on_connected
        self._on_refused = on_refused
        self._attempts = 0
        self._error = ""
        self._connected = False
        self._task: asyncio.Task[None] | None = None
        self.tried = asyncio.Event()  # set once the first attempt has ended, either way
        self.started = asyncio.Event()  # set once the platform has started

    @property
    def state(self) -> ConnectionState:
        return ConnectionState(self._connected, self._attempts, self._error)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"connect {self.platform.name}")

    async def cancel(self) -> None:
        """Stop trying (the platform, if it has started, is stopped by its owner)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        name = self.platform.name
        try:
            while True:
                self._attempts += 1
                try:
                    await self.platform.start(self._events)
                except PlatformSetupError as exc:
                    self._error = str(exc)
                    log.error("%s cannot start: %s", name, exc)
                    self._on_refused(exc)
                    return
                except Exception as exc:
                    await self._leave_nothing_half_open()
                    delay = backoff(
                        self._attempts - 1,
                        first=self._delays.first,
                        cap=self._delays.cap,
                        rng=self._rng,
                    )
                    # An SDK's error may quote a URL with the token in it.
                    self._error = scrubbed(" ".join(f"{type(exc).__name__}: {exc}".split()))[:300]
                    log.warning(
                        "%s could not connect (attempt %d: %s); trying again in %.1fs",
                        name,
                        self._attempts,
                        self._error,
                        delay,
                    )
                    self.tried.set()
                    await self._clock.sleep(delay)
                    continue
                self._connected, self._error = True, ""
                self._on_connected(self.platform)
                self.started.set()
                log.info("%s started (attempt %d)", name, self._attempts)
                return
        except asyncio.CancelledError:
            if not self._connected:
                await self._leave_nothing_half_open()
            raise
        finally:
            self.tried.set()

    async def _leave_nothing_half_open(self) -> None:
        with contextlib.suppress(Exception):
            await self.platform.stop()
