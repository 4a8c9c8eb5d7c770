"""The core as the adapters see it: the `EventSink` every platform feeds, and the fallbacks
chosen when an action cannot be delivered. Nothing here raises back into an adapter but
`NotStored`, which tells it not to acknowledge a message."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping

from bot import texts
from bot.clock import Clock
from bot.commands import Commands
from bot.config import Config, Mode
from bot.model import (
    Action,
    Alert,
    Button,
    ButtonAction,
    ButtonPress,
    ChatMessage,
    ChatRef,
    CloseChat,
    Command,
    Delete,
    Notice,
    Remind,
    ReopenChat,
    Reply,
    UserRef,
    Welcome,
)
from bot.moderator import Moderator
from bot.platform import Capability, LinksMessages, NotStored, Platform
from bot.policy import Policy, alert_elsewhere, alert_recipients
from bot.store import ActionRow, Store
from bot.wellformed import well_formed
from learned import Detector

log = logging.getLogger(__name__)

SORRY = Reply("Sorry, something went wrong. Please try again in a moment.")


class Core:
    def __init__(
        self,
        config: Config,
        store: Store,
        detector: Detector,
        clock: Clock,
        platforms: Mapping[str, Platform],
        wake_outbox: Callable[[], None],
    ) -> None:
        self._config = config
        self._store = store
        self._clock = clock
        self._platforms = platforms
        self._wake_outbox = wake_outbox
        self.moderator = Moderator(
            config,
            store,
            detector,
            clock,
            Policy(config, lambda: list(platforms)),
            self.capabilities,
            wake_outbox,
            self.message_link,
        )
        self.commands = Commands(config, store, clock, wake_outbox, self.capabilities)

    def capabilities(self, chat: ChatRef) -> frozenset[Capability]:
        platform = self._platforms.get(chat.platform)
        return platform.capabilities_in(chat) if platform else frozenset()

    def message_link(self, chat: ChatRef, message_id: str) -> str | None:
        platform = self._platforms.get(chat.platform)
        links = platform if isinstance(platform, LinksMessages) else None
        return links.message_link(chat, message_id) if links is not None else None

    # ---- EventSink ----

    async def on_message(self, message: ChatMessage) -> None:
        try:
            await self.moderator.on_message(well_formed(message))
        except NotStored:
            raise  # the adapter must not acknowledge it (already said at ERROR)
        except Exception:
            # Never the text: only where it came from.
            log.exception(
                "could not moderate message %s in %s chat %s",
                message.message_id,
                message.chat.platform,
                message.chat.chat_id,
            )

    async def on_command(self, command: Command) -> Reply:
        try:
            return await self.commands.on_command(well_formed(command))
        except Exception:
            log.exception("command /%s failed in %s", command.name, command.chat.chat_id)
            return SORRY

    async def on_button(self, press: ButtonPress) -> Reply:
        try:
            return await self.commands.on_button(well_formed(press))
        except Exception:
            log.exception("button %s %s failed", press.action, press.key)
            return SORRY

    async def on_member_joined(self, chat: ChatRef, user: UserRef) -> None:
        try:
            await self._welcome(well_formed(chat), well_formed(user))
        except Exception:
            log.exception("could not welcome a member in %s chat %s", chat.platform, chat.chat_id)

    async def last_seen(self, chat: ChatRef) -> str | None:
        async with self._store.read() as s:
            return (await s.chat_state(chat)).last_seen_id

    # ---- welcome ----

    async def _welcome(self, chat: ChatRef, user: UserRef) -> None:
        school = self._config.school_for_chat(chat.platform, chat.chat_id)
        if school is None or not self._config.settings_for(school).welcome:
            return
        if self._config.mode_for(school, chat) is Mode.OBSERVE:
            return  # members hear nothing from the bot in observe mode
        version = school.policy.version
        seed = f"{chat.platform}|{chat.chat_id}|{user.user_id}|{version}".encode()
        key = "w-" + hashlib.blake2b(seed, digest_size=9).hexdigest()
        now = self._clock.now()
        async with self._store.transaction() as s:
            if await s.has_acknowledged(user, school.id, version):
                return
            welcome = Welcome(
                key=key,
                chat=chat,
                user=user,
                text=texts.welcome(school),
                buttons=(Button(ButtonAction.ACK, key, texts.ACK_LABEL),),
            )
            added = await s.add_actions([welcome], now, school_id=school.id)
        if added:
            self._wake_outbox()

    # ---- fallbacks ----

    async def on_failure(self, row: ActionRow, reason: str) -> None:
        """An action failed for good: take the next best route where there is one."""
        action = row.action
        school = self._config.school(row.school_id) if row.school_id else None
        fallback: list[Action] = []
        if isinstance(action, Remind):
            # A private message was impossible: a neutral note in the chat, naming no rule.
            fallback = [Notice(key=f"{action.key}-n", chat=action.chat, text=action.nudge)]
        elif isinstance(action, Alert) and school is not None:
            fallback = self._alert_elsewhere(action)
            if not fallback:
                log.warning(
                    "SLT contact %s could not be alerted about incident %s: %s",
                    action.recipient.label,
                    action.incident_key,
                    reason,
                )
        elif isinstance(action, Delete | CloseChat | ReopenChat) and school is not None:
            chat = action.chat
            note = texts.failure_note(row.kind, school.chat_name(chat), reason)
            running = list(self._platforms)
            fallback = [
                Alert(
                    key=f"{row.key}-f{i}",
                    chat=chat,
                    recipient=recipient,
                    incident_key="",
                    text=note,
                    buttons=(),
                )
                for i, recipient in enumerate(alert_recipients(school, chat.platform, running))
            ]
        if not fallback:
            return
        async with self._store.transaction() as s:
            await s.add_actions(
                fallback, self._clock.now(), school_id=row.school_id, incident_id=row.incident_id
            )
        self._wake_outbox()

    def _alert_elsewhere(self, alert: Alert) -> list[Action]:
        """The same alert to the same person on another platform they use, tried once. Its
        text was built to fit there too (bot/policy.py)."""
        if alert.key.endswith("-x"):
            return []
        school = self._config.school_for_chat(alert.chat.platform, alert.chat.chat_id)
        if school is None:
            return []
        recipient = alert_elsewhere(school, alert.recipient, list(self._platforms))
        if recipient is None:
            return []
        return [
            Alert(
                key=f"{alert.key}-x",
                chat=alert.chat,
                recipient=recipient,
                incident_key=alert.incident_key,
                text=alert.text,
                buttons=alert.buttons,
                urgent=alert.urgent,
            )
        ]
