"""Flagged messages whose incident could not be stored (the disk full, the filesystem read-only),
kept in memory and stored again with back-off until they are.

The adapter is told too (`NotStored`) and leaves such a message unacknowledged where its
platform allows, so a crash meanwhile loses nothing: Telegram serves the update again, Slack
sends the event again. Where it cannot (Discord has no acknowledgement; a message checked late
was answered already), a chat's last seen message does not move past a message kept here, so
the catch-up after a restart reads it again. Every attempt that fails says so at ERROR.

Memory is bounded: past `LIMIT` messages, one more is not kept (said at ERROR) and its chat's
last seen message stays put until the process ends, leaving it to the platform and catch-up.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.clock import Clock, backoff
from bot.config import School
from bot.model import ChatMessage, ChatRef
from bot.store import STORAGE_FAULTS
from rules.model import Verdict

log = logging.getLogger(__name__)

LIMIT = 1000  # messages kept at once: up to 40 MB of text at 40,000 characters each
FIRST_DELAY = 1.0  # seconds before the first retry, doubling up to MAX_DELAY
MAX_DELAY = 60.0


@dataclass(frozen=True, slots=True)
class Unstored:
    school: School
    message: ChatMessage
    verdict: Verdict

    @property
    def key(self) -> tuple[str, str, str]:
        chat = self.message.chat
        return chat.platform, chat.chat_id, self.message.message_id


StoreOne = Callable[[Unstored], Awaitable[None]]


def _chat_key(chat: ChatRef) -> tuple[str, str]:
    return chat.platform, chat.chat_id


class UnstoredMessages:
    def __init__(self, store: StoreOne, clock: Clock, *, rng: random.Random | None = None) -> None:
        self._store = store
        self._clock = clock
        self._rng = rng or random.Random()
        self._kept: dict[tuple[str, str, str], Unstored] = {}
        self._held_chats: Counter[tuple[str, str]] = Counter()
        self._dropped_chats: set[tuple[str, str]] = set()  # held until the process ends
        self._retrying: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._kept)

    def holds(self, chat: ChatRef) -> bool:
        """Whether a message in the chat waits to be stored: its last seen stays put."""
        key = _chat_key(chat)
        return key in self._dropped_chats or self._held_chats[key] > 0

    def keep(self, unstored: Unstored, problem: Exception) -> None:
        """Keep a flagged message whose incident could not be stored, and retry it."""
        if unstored.key in self._kept:
            return
        message = unstored.message
        chat = message.chat
        where = f"message {message.message_id} in {chat.platform} chat {chat.chat_id}"
        if len(self._kept) >= LIMIT:
            self._dropped_chats.add(_chat_key(chat))
            log.error(
                "could not store the incident for flagged %s (%s), and %d are kept in memory "
                "already: not keeping this one; the platform sends it again or the catch-up "
                "at the next start reads it",
                where,
                _describe(problem),
                len(self._kept),
            )
            return
        self._kept[unstored.key] = unstored
        self._held_chats[_chat_key(chat)] += 1
        log.error(
            "could not store the incident for flagged %s (%s): kept in memory (%d now) and "
            "stored as soon as the database can be written",
            where,
            _describe(problem),
            len(self._kept),
        )
        if self._retrying is None or self._retrying.done():
            self._retrying = asyncio.create_task(self._retry(), name="store unstored messages")

    async def flush(self) -> None:
        """One last try, at stop; what still cannot be stored is named at ERROR."""
        if self._retrying is not None:
            self._retrying.cancel()
            await asyncio.gather(self._retrying, return_exceptions=True)
            self._retrying = None
        if self._kept and not await self._store_all():
            log.error(
                "stopping with %d flagged message(s) not stored: the platforms send them again "
                "(Telegram, Slack) or the catch-up at the next start reads them (Discord, Slack)",
                len(self._kept),
            )

    async def _retry(self) -> None:
        failures = 0
        while self._kept:
            delay = backoff(failures, first=FIRST_DELAY, cap=MAX_DELAY, rng=self._rng)
            await self._clock.sleep(delay)
            if await self._store_all():
                log.info("every flagged message kept in memory is now stored")
                return
            failures += 1

    async def _store_all(self) -> bool:
        """Store the kept messages in the order they came; False at the first that fails."""
        for key, unstored in list(self._kept.items()):
            try:
                await self._store(unstored)
            except STORAGE_FAULTS as exc:
                log.error(
                    "still cannot store %d flagged message(s) kept in memory (%s); trying again",
                    len(self._kept),
                    _describe(exc),
                )
                return False
            except Exception:
                # A fault in the code, which no retry mends: its chat stays held, so that the
                # catch-up at the next start reads it again.
                log.exception("could not store message %s kept in memory", key[2])
                self._dropped_chats.add(key[:2])
            del self._kept[key]
            chat = _chat_key(unstored.message.chat)
            self._held_chats[chat] -= 1
            if self._held_chats[chat] <= 0:
                del self._held_chats[chat]
        return True


def _describe(problem: Exception) -> str:
    return f"{type(problem).__name__}: {problem}"
