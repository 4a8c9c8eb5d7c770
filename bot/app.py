"""The composition root: builds the running bot from its config.

The only module in `bot` that names adapters. `App` opens the store, starts the outbox and then
each platform, feeding them all into one `Core`; `stop()` undoes that in reverse order, leaving
undelivered actions stored for the next start.

If the database file is deleted or replaced while the bot runs, nothing more is written through
the open connection (bot/store.py), what it holds is saved beside the path, and `fatal()`
returns, for `run` to stop: moderating on without a database would acknowledge messages whose
incidents go nowhere, and the platforms or the catch-up bring back what was not stored once the
database is restored.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import random
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import asdict
from datetime import UTC, timedelta
from typing import Any, cast

from adapters.local import LocalPlatform, Seen
from bot import weekly
from bot.backup import BackupError, save_open_database
from bot.clock import Clock, SystemClock, first_of
from bot.config import Config
from bot.connecting import Backoff, Connector
from bot.core import Core
from bot.health import HealthServer
from bot.logs import protect_logs, secrets_in
from bot.outbox import Outbox
from bot.platform import Platform, PlatformSetupError
from bot.runlock import RunLock
from bot.store import STORAGE_FAULTS, DatabaseGone, Store
from learned import Detector

# The demo drives the local platform through here: this module alone names adapters.
__all__ = ["App", "LocalPlatform", "Seen", "build_platforms", "telegram_links"]

log = logging.getLogger(__name__)

PURGE_EVERY = timedelta(hours=6)
FILE_CHECK_EVERY = 2.0  # seconds between checks that the database file is still in its place

# Imported only when enabled, so a Slack-only school never loads the Discord SDK.
_ADAPTERS = {
    "telegram": ("adapters.telegram", "TelegramPlatform"),
    "discord": ("adapters.discord", "DiscordPlatform"),
    "slack": ("adapters.slack", "SlackPlatform"),
}


def build_platforms(config: Config, *, clock: Clock | None = None) -> list[Platform]:
    """One adapter per enabled platform section of the config."""
    protect_logs(secrets_in(config))  # an SDK may log its token while an adapter is built
    platforms: list[Platform] = []
    for name in config.enabled_platforms:
        if name == "local":
            assert config.local is not None
            platforms.append(LocalPlatform(config.local.capabilities, clock=clock))
            continue
        module_name, class_name = _ADAPTERS[name]
        adapter = getattr(importlib.import_module(module_name), class_name)
        platforms.append(cast(Platform, adapter(config)))
    return platforms


async def telegram_links(config: Config) -> list[tuple[str, str, tuple[str, ...]]]:
    """(school name, link, SLT names) for each school: the Telegram deep link its SLT contacts
    open once so that the bot may send them alerts (`schoolgate telegram-link`)."""
    from adapters.telegram import onboarding_links

    return [(link.school.name, link.url, link.contacts) for link in await onboarding_links(config)]


class App:
    def __init__(
        self,
        config: Config,
        platforms: Sequence[Platform],
        *,
        clock: Clock | None = None,
        detector: Detector | None = None,
        rng: random.Random | None = None,
        create_database: bool = True,
    ) -> None:
        """`create_database=False`: start only on a database that exists (`run` without
        `--init`); `DatabaseMissing` otherwise."""
        # No line logged by the bot or its SDKs may show a token or the words of a member.
        protect_logs(secrets_in(config))
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.platforms: dict[str, Platform] = {p.name: p for p in platforms}
        self.store = Store(
            config.storage.path,
            synchronous=config.storage.synchronous.upper(),
            create=create_database,
        )
        self._run_lock = RunLock(self.store.path)
        self.outbox = Outbox(
            self.store,
            self.platforms,
            self.clock,
            rng=rng,
            base_delay=config.outbox.retry_delay,
            delivery_timeout=config.outbox.delivery_timeout,
        )
        self.core = Core(
            config,
            self.store,
            detector or Detector.shipped(),
            self.clock,
            self.platforms,
            self.outbox.wake,
        )
        self.outbox.on_failure = self.core.on_failure
        self._started: list[Platform] = []
        self._housekeeping: asyncio.Task[None] | None = None
        self._weekly: asyncio.Task[None] | None = None
        self._watching: asyncio.Task[None] | None = None
        delays = Backoff(config.connect.retry_delay, config.connect.max_retry_delay)
        self._connectors = {
            p.name: Connector(
                p,
                self.core,
                self.clock,
                delays=delays,
                rng=rng or random.Random(),
                on_connected=self._connected,
                on_refused=self._must_stop,
            )
            for p in platforms
        }
        # Set once a platform refuses its settings, or the database file is gone: `run` then
        # stops with its message.
        self._fatal: PlatformSetupError | DatabaseGone | None = None
        self._fatal_now = asyncio.Event()
        health = config.health
        self._health = (
            HealthServer(health.listen, health.port, self.health) if health is not None else None
        )

    async def start(self) -> None:
        """Open the store, start the outbox, then every platform side by side. Returns once
        each platform has been tried once: one that could not connect is tried again in the
        background (bot/connecting.py) while the others run. Raises `PlatformSetupError` if a
        platform refused its settings, `DatabaseMissing` if there is no database and it was
        not to be created."""
        try:
            await self.store.open()
            self._run_lock.acquire()  # before anything is delivered: one bot per database
            await self.purge()
            await self.outbox.start()
            self._housekeeping = asyncio.create_task(self._keep_house(), name="housekeeping")
            self._weekly = asyncio.create_task(self._send_weekly_digests(), name="weekly digests")
            self._watching = asyncio.create_task(self._watch_database(), name="database watch")
            if self._health is not None:
                await self._health.start()
            for connector in self._connectors.values():
                connector.start()
            await asyncio.gather(*(c.tried.wait() for c in self._connectors.values()))
            if self._fatal is not None:
                raise self._fatal
        except BaseException:
            await self.stop()  # undo what did start; nothing stored is lost
            raise

    def _connected(self, platform: Platform) -> None:
        self._started.append(platform)
        self.outbox.platform_started(platform.name)

    def _must_stop(self, error: PlatformSetupError | DatabaseGone) -> None:
        if self._fatal is None:
            self._fatal = error
        self._fatal_now.set()

    async def fatal(self) -> PlatformSetupError | DatabaseGone:
        """Return the first reason the bot cannot go on, whenever it comes: a platform refusing
        its settings, or the database file deleted or replaced."""
        await self._fatal_now.wait()
        assert self._fatal is not None
        return self._fatal

    async def _watch_database(self) -> None:
        """Check every few seconds that the database file is still the one opened (each read
        and write checks too); once it is not, save what the open connection holds."""
        while not self.store.gone.is_set():
            await first_of(self.store.gone.wait(), self.clock.sleep(FILE_CHECK_EVERY))
            try:
                self.store.check_file()
            except DatabaseGone:
                break
        saved = await self._save_what_is_open()
        log.error(
            "%s; nothing more is written, and the bot stops. %s",
            self.store.gone_reason,
            saved,
        )
        self._must_stop(DatabaseGone(f"{self.store.gone_reason}. {saved}"))

    async def _save_what_is_open(self) -> str:
        path = self.store.path
        stamp = self.clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = path.with_name(f"{path.name}.saved-{stamp}")
        try:
            summary = await save_open_database(self.store, target)
        except (BackupError, OSError) as exc:
            return (
                f"What it held could not be saved ({exc}): put the latest backup at {path}, "
                "then start the bot again"
            )
        return (
            f"What it held ({summary.incidents} incidents, {summary.pending_actions} actions "
            f"pending) is saved in {target}: check it, move it to {path}, and start the "
            "bot again"
        )

    async def stop(self) -> None:
        for connector in self._connectors.values():
            await connector.cancel()
        for platform in reversed(self._started):
            self.outbox.platform_stopping(platform.name)
            try:
                await platform.stop()
            except Exception:
                log.exception("%s did not stop cleanly", platform.name)
        self._started.clear()
        if self._health is not None:
            await self._health.stop()
        for task in (self._housekeeping, self._weekly, self._watching):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._housekeeping = self._weekly = self._watching = None
        await self.core.moderator.stop()  # messages still being checked are judged first
        await self.outbox.stop()
        await self.store.close()
        self._run_lock.release()

    async def started(self, name: str) -> None:
        """Return once the named platform has started (it may be retrying in the background)."""
        await self._connectors[name].started.wait()

    async def health(self) -> dict[str, Any]:
        """What `GET /healthz` answers (bot/health.py)."""
        states = {name: c.state for name, c in self._connectors.items()}
        pending: int | None = None  # not known while the database cannot be read
        with suppress(*STORAGE_FAULTS):
            async with self.store.read() as s:
                pending = await s.pending_count()
        unstored = len(self.core.moderator.unstored)
        status = "ok" if all(s.connected for s in states.values()) else "connecting"
        if unstored or pending is None:
            status = "not storing"  # the disk is full, or the database file gone
        return {
            "status": status,
            "platforms": {name: asdict(state) for name, state in states.items()},
            "pending_actions": pending,
            "unstored_messages": unstored,
        }

    async def __aenter__(self) -> App:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def drain(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 (tests' API)
        """Return when every message is judged and no action is due or in flight."""
        await self.core.moderator.settle()
        await self.outbox.drain(timeout)

    async def purge(self) -> int:
        """Delete each school's records older than its retention period."""
        removed = 0
        now = self.clock.now()
        for school in self.config.schools:
            days = self.config.settings_for(school).retention_days
            async with self.store.transaction() as s:
                removed += await s.purge(school.id, now - timedelta(days=days))
        if removed:
            log.info("retention: %d expired record(s) deleted", removed)
        return removed

    async def _send_weekly_digests(self) -> None:
        """SLT's weekly digests (bot/weekly.py): any due now, then each at its time."""
        while True:
            try:
                if await weekly.queue_due(
                    self.config, self.store, self.clock, list(self.platforms)
                ):
                    self.outbox.wake()
            except Exception:
                log.exception("the weekly digest could not be prepared; trying again shortly")
                await self.clock.sleep(weekly.RETRY.total_seconds())
                continue
            due = weekly.next_due(self.config, self.clock.now())
            if due is None:
                return
            await self.clock.sleep(max(1.0, (due - self.clock.now()).total_seconds()))

    async def _keep_house(self) -> None:
        while True:
            await self.clock.sleep(PURGE_EVERY.total_seconds())
            try:
                await self.purge()
            except Exception:
                log.exception("retention purge failed; will try again")
