"""Live messages wait while a chat's history is caught up on, then go to the core in order.

After a start (or a new gateway session) an adapter reads each chat's history after the last
message the core saw there. The core's "last seen" must never move past a message it has not
handled, or a crash would leave that message behind for good: so live messages in a chat are
held until its catch-up is done, and are then handed to the core one at a time in the order
they arrived. A live message the catch-up already handled is not handed over twice. If the
process dies meanwhile, nothing held was counted as seen, and the next start reads it again.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Iterable


class CatchUpGate:
    def __init__(self, chats: Iterable[str]) -> None:
        self._open: dict[str, asyncio.Event] = {chat: asyncio.Event() for chat in chats}
        self._turns: dict[str, asyncio.Lock] = {chat: asyncio.Lock() for chat in self._open}
        self._caught_up_to: dict[str, float] = {}
        self._round = 0  # each hold starts a new round of catching up

    def hold_all(self) -> int:
        """Hold every chat's live messages (at start, and when a session is lost); returns the
        round that `release` must name."""
        self._round += 1
        for gate in self._open.values():
            gate.clear()
        return self._round

    def release(self, chat: str, round_: int, caught_up_to: float | None = None) -> None:
        """The chat's history is read up to `caught_up_to` (a message id or ts): let its held
        messages through, unless a newer round of holding began meanwhile."""
        if round_ != self._round or chat not in self._open:
            return
        if caught_up_to is not None:
            self._caught_up_to[chat] = max(caught_up_to, self._caught_up_to.get(chat, -math.inf))
        self._open[chat].set()

    async def handle(
        self, chat: str, order: float | None, work: Callable[[], Awaitable[None]]
    ) -> None:
        """Run `work` for a live message in its turn. `order` is its id or ts (None for an
        edit, which catch-up never covers). Call this before any other await, so that turns
        follow arrival."""
        turn = self._turns.get(chat)
        if turn is None:
            await work()
            return
        async with turn:
            await self._open[chat].wait()
            if order is not None and order <= self._caught_up_to.get(chat, -math.inf):
                return  # the catch-up handed it to the core already
            await work()

    def is_open(self, chat: str) -> bool:
        gate = self._open.get(chat)
        return gate is None or gate.is_set()
