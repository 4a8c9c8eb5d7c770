"""Time as the bot sees it: injectable, so tests move time on instead of sleeping."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""

    async def sleep(self, seconds: float) -> None:
        """Wait until `seconds` from now on this clock."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """A clock that only moves when told to; sleepers wake when it passes their deadline."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        waker: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(
            self._sleepers, (self._now + timedelta(seconds=seconds), next(self._order), waker)
        )
        await waker

    def advance(self, seconds: float = 0.0, **delta: float) -> datetime:
        """Move time on (seconds, or timedelta keywords like days=3) and wake due sleepers."""
        self._now += timedelta(seconds=seconds, **delta)
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, waker = heapq.heappop(self._sleepers)
            if not waker.done():
                waker.set_result(None)
        return self._now

    def set(self, moment: datetime) -> datetime:
        return self.advance((moment - self._now).total_seconds())


async def first_of(*waits: Awaitable[Any]) -> None:
    """Wait until the first of several awaitables finishes; cancel the rest."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def backoff(attempts: int, *, first: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait after `attempts` failures in a row: doubling from `first` up to `cap`,
    jittered to between half and all of that, so that many retries do not land together."""
    ceiling = min(cap, first * 2.0 ** min(attempts, 64))
    return ceiling * (0.5 + rng.random() / 2)
