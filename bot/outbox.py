"""Delivers stored actions through their platforms: nothing lost, nothing sent twice.

Every action is written to the store (with its incident, in one transaction) before anyone tries
to send it, and marked done in the same breath as the platform confirms it. Rows still pending
when the process stops are delivered after the next start. Within a lane (see `lane_of`: a
chat, one parent's reminders, one SLT contact's alerts about one incident) actions go out in
the order they were stored; lanes run side by side. A failing action is retried with capped
back-off up to `max_attempts` times, about six hours of trying: long enough to ride out a
platform's outage. Attempts are counted rather than hours since the action was stored, since a
digest held overnight, an action queued behind another in its lane, or one pending while the
bot was down would otherwise be given up on at its first failure.

Each attempt is committed before the platform is called. An attempt that ends without the
platform's answer (the process was killed, the call timed out, the connection dropped, a 5xx)
leaves the action "unsure": it may have got through. The next attempt then asks the platform
first (`Redelivers`), so it is sent once. What each platform allows:

- Discord: every message carries a nonce made from the action's key, enforced by Discord for a
  few minutes (a repeat returns the first message); after that the channel's history is read.
- Slack: every message carries the key in its metadata; the conversation's history is read
  before a resend. Ephemeral messages are not kept by Slack and cannot be checked.
- Telegram: the Bot API has no idempotency key and no way for a bot to read what it sent. The
  action is sent again (at least once, never lost) and the row counts the blind resend, so a
  duplicate is possible exactly when an answer was lost after Telegram had acted.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from bot.clock import Clock, backoff, first_of
from bot.model import CloseChat, Delivery, PermanentFailure, ReopenChat, RetryAfter, SettleAlert
from bot.platform import Platform, Redelivers
from bot.store import STORAGE_FAULTS, ActionRow, Store

log = logging.getLogger(__name__)

FailureHandler = Callable[[ActionRow, str], Awaitable[None]]


class Outbox:
    def __init__(
        self,
        store: Store,
        platforms: Mapping[str, Platform],
        clock: Clock,
        *,
        rng: random.Random | None = None,
        on_failure: FailureHandler | None = None,
        max_attempts: int = 480,  # 45 s apart on average once back-off is capped: ~6 hours
        base_delay: float = 1.0,
        # Short enough that an alert is tried again within a minute of a platform recovering.
        max_delay: float = 60.0,
        concurrency: int = 16,  # deliveries in flight at once, per platform
        delivery_timeout: float = 60.0,
    ) -> None:
        self._store = store
        self._platforms = platforms
        self._clock = clock
        self._rng = rng or random.Random()
        self.on_failure = on_failure
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._concurrency = concurrency
        self._delivery_timeout = delivery_timeout
        self._in_flight: dict[str, asyncio.Task[None]] = {}  # lane -> delivery
        self._platform_of: dict[str, str] = {}  # lane in flight -> its platform
        # Platforms that are not (yet, or no longer) running: their actions wait, untried.
        self._waiting: set[str] = set(platforms)
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._stopping = False
        self._store_failures = 0  # attempts in a row whose record the store refused

    def wake(self) -> None:
        """New actions were stored: look for due ones now."""
        self._wake.set()

    def platform_started(self, name: str) -> None:
        """The platform is connected: deliver its actions."""
        self._waiting.discard(name)
        self._wake.set()

    def platform_stopping(self, name: str) -> None:
        """Start no more deliveries on the platform; its actions wait for the next start."""
        if name in self._platforms:
            self._waiting.add(name)

    async def start(self) -> None:
        if self._worker is None:
            self._stopping = False
            self._worker = asyncio.create_task(self._run(), name="outbox")

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking new work; let deliveries in flight finish for `grace` seconds, then
        cancel them. Anything not confirmed stays pending in the store for the next start."""
        if self._worker is None:
            return
        self._stopping = True
        self._wake.set()
        await self._worker
        self._worker = None
        tasks = list(self._in_flight.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def drain(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 (the App's API)
        """Return once nothing is in flight and no stored action is due (for tests and demo)."""
        async with asyncio.timeout(timeout):
            while True:
                self._progress.clear()
                if not self._in_flight and not await self._due_soon():
                    return
                self._wake.set()
                await self._progress.wait()

    async def _due_soon(self) -> bool:
        async with self._store.read() as s:
            due = await s.due_actions(
                self._clock.now(), (), limit=1, waiting_platforms=self._waiting
            )
        return bool(due)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            if self._stopping:
                self._progress.set()
                return
            try:
                delay = await self._dispatch()
            except STORAGE_FAULTS as exc:
                log.error(
                    "outbox: could not read due actions (%s: %s); retrying", type(exc).__name__, exc
                )
                delay = self._base_delay
            except Exception:
                log.exception("outbox: could not read due actions; retrying")
                delay = self._base_delay
            self._progress.set()
            await self._wait(delay)

    async def _dispatch(self) -> float | None:
        """Start deliveries for due actions, up to `concurrency` at a time on each platform, so
        that one platform's slow or failing calls never hold up another's deliveries; return
        seconds until the next one falls due."""
        now = self._clock.now()
        known = set(self._platforms)
        more = False
        # Each running platform's actions, then any left for a platform that is not configured
        # (None), which fail.
        busy = Counter(p if p in known else None for p in self._platform_of.values())
        for name in [*(n for n in self._platforms if n not in self._waiting), None]:
            room = self._concurrency - busy[name]
            if room <= 0:
                continue  # a delivery ending wakes the outbox
            skip = known if name is None else (known - {name}) | self._waiting
            async with self._store.read() as s:
                rows = await s.due_actions(now, self._in_flight, limit=room, waiting_platforms=skip)
            for row in rows:
                if row.lane not in self._in_flight:
                    self._platform_of[row.lane] = row.platform
                    self._in_flight[row.lane] = asyncio.create_task(
                        self._deliver(row), name=f"deliver {row.key}"
                    )
            more = more or len(rows) == room
        if more:
            return 0.0  # more may be waiting
        # A platform with no room is woken by a delivery ending, not by the clock.
        in_flight = Counter(self._platform_of.values())
        full = {name for name, count in in_flight.items() if count >= self._concurrency}
        async with self._store.read() as s:
            upcoming = await s.next_due(self._in_flight, waiting_platforms=self._waiting | full)
        return None if upcoming is None else max(0.0, (upcoming - now).total_seconds())

    async def _wait(self, delay: float | None) -> None:
        if delay == 0.0:
            await asyncio.sleep(0)
        elif delay is None:
            await self._wake.wait()
        else:
            await first_of(self._wake.wait(), self._clock.sleep(delay))

    async def _deliver(self, row: ActionRow) -> None:
        try:
            await self._attempt(row)
            self._store_failures = 0
        except Exception as exc:
            # The store itself failed; the row is still pending and is tried again, after a
            # pause that grows while the store keeps failing (the lane waits meanwhile), so
            # that a full disk is not tried in a tight loop.
            pause = self._backoff(self._store_failures)
            self._store_failures += 1
            if isinstance(exc, STORAGE_FAULTS):
                log.error(
                    "outbox: could not record an attempt at %s %s (%s: %s); trying again in %.1fs",
                    row.kind,
                    row.key,
                    type(exc).__name__,
                    exc,
                    pause,
                )
            else:
                log.exception("outbox: could not record the outcome of %s %s", row.kind, row.key)
            await self._clock.sleep(pause)
        finally:
            self._in_flight.pop(row.lane, None)
            self._platform_of.pop(row.lane, None)
            self._wake.set()
            self._progress.set()

    async def _attempt(self, row: ActionRow) -> None:
        platform = self._platforms.get(row.platform)
        if platform is None:
            await self._fail(row, f"the {row.platform} platform is not running")
            return
        action = row.action
        if isinstance(action, ReopenChat):
            # The lock's saved state is known only once CloseChat has been delivered.
            async with self._store.read() as s:
                state = await s.chat_state(action.chat)
            action = ReopenChat(key=action.key, chat=action.chat, saved_state=state.saved_state)
        elif isinstance(action, SettleAlert):
            # Where the alert went is known only once it has been delivered (it is ahead in
            # the lane); one never delivered has no buttons to replace.
            async with self._store.read() as s:
                alert = await s.action(action.alert_key)
            if alert is None or alert.message is None:
                await self._done(row, Delivery("skipped", note="the alert was not delivered"))
                return
            action = replace(action, message=alert.message)
        unsure = row.unsure_since  # an earlier attempt may have got through
        checks = platform if isinstance(platform, Redelivers) else None
        blind = unsure is not None and checks is None
        began = self._clock.now()
        async with self._store.transaction() as s:
            await s.begin_attempt(row.id, began, blind=blind)
        if blind:
            log.warning(
                "%s %s via %s: an earlier attempt may have got through and %s cannot tell; "
                "sending it again",
                row.kind,
                row.key,
                row.platform,
                row.platform,
            )
        try:
            async with asyncio.timeout(self._delivery_timeout):
                if unsure is not None and checks is not None:
                    delivery = await checks.redeliver(action, unsure)
                else:
                    delivery = await platform.deliver(action)
        except RetryAfter as exc:
            # Refused before anything was done: only an earlier attempt may have got through.
            await self._retry(row, exc.seconds, f"rate limited: {exc}", unsure)
        except PermanentFailure as exc:
            await self._fail(row, exc.reason)
        except Exception as exc:
            note = f"{type(exc).__name__}: {exc}"[:300]
            if row.attempts + 1 >= self._max_attempts:
                await self._fail(row, f"gave up after {row.attempts + 1} attempts ({note})")
            else:
                await self._retry(row, self._backoff(row.attempts), note, unsure or began)
        else:
            await self._done(row, delivery)

    async def _done(self, row: ActionRow, delivery: Delivery) -> None:
        async with self._store.transaction() as s:
            await s.mark_done(row.id, delivery, self._clock.now())
            if isinstance(row.action, CloseChat):
                await s.save_chat_state(row.action.chat, delivery.state)
        log.info("delivered %s %s via %s (%s)", row.kind, row.key, row.platform, delivery.path)

    async def _retry(
        self, row: ActionRow, seconds: float, note: str, unsure_since: datetime | None
    ) -> None:
        now = self._clock.now()
        at: datetime = now + timedelta(seconds=seconds)
        async with self._store.transaction() as s:
            await s.mark_retry(row.id, at, note, now, unsure_since=unsure_since)
        log.warning(
            "%s %s via %s not delivered (attempt %d): %s; retrying in %.1fs",
            row.kind,
            row.key,
            row.platform,
            row.attempts + 1,
            note,
            seconds,
        )

    async def _fail(self, row: ActionRow, reason: str) -> None:
        log.warning("%s %s via %s failed: %s", row.kind, row.key, row.platform, reason)
        # The fallback is stored before the failure: if the process stops in between, the
        # action fails again after the restart and its fallback (keyed by its key) is stored
        # once, rather than never.
        if self.on_failure is not None:
            try:
                await self.on_failure(row, reason)
            except Exception:
                log.exception("outbox: the fallback for %s %s failed", row.kind, row.key)
        async with self._store.transaction() as s:
            await s.mark_failed(row.id, reason, self._clock.now())

    def _backoff(self, attempts: int) -> float:
        return backoff(attempts, first=self._base_delay, cap=self._max_delay, rng=self._rng)
