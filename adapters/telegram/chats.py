"""The configured Telegram chats: their names, the bot's rights in each, and when recent
messages were sent (Telegram lets a bot delete a message only within 48 hours)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import datetime

from bot.config import Config
from bot.model import ChatRef
from bot.platform import Capability

from .mapping import PLATFORM
from .rights import ChatRights

log = logging.getLogger(__name__)

# Send times kept for deciding whether a delete can still work; ids and times only.
_SEND_TIMES_KEPT = 10_000


class ChatDirectory:
    def __init__(self, config: Config) -> None:
        self._names = {chat.id: chat.name or chat.id for _, chat in config.chats_on(PLATFORM)}
        self._join_gate = config.telegram is not None and config.telegram.join_gate
        self._rights: dict[str, ChatRights] = {}
        self._sent_at: OrderedDict[tuple[str, str], datetime] = OrderedDict()

    @property
    def chat_ids(self) -> list[str]:
        return list(self._names)

    def is_configured(self, chat_id: str) -> bool:
        return chat_id in self._names

    def name(self, chat_id: str) -> str:
        """How logs and reasons name a chat: its config name and id."""
        name = self._names.get(chat_id)
        return f"{name} ({chat_id})" if name and name != chat_id else f"chat {chat_id}"

    def rights(self, chat_id: str) -> ChatRights:
        return self._rights.get(chat_id, ChatRights())

    def set_rights(self, chat_id: str, rights: ChatRights) -> None:
        """Record the bot's rights and say plainly what is missing and what that disables."""
        self._rights[chat_id] = rights
        problems = rights.problems(self.name(chat_id), join_gate=self._join_gate)
        for problem in problems:
            log.warning("Telegram: %s", problem)
        if not problems:
            log.info("Telegram: %s: admin with every right the bot uses", self.name(chat_id))

    def capabilities_in(self, chat: ChatRef) -> frozenset[Capability]:
        return self.rights(chat.chat_id).capabilities(topic=chat.thread_id is not None)

    def saw_message(self, chat_id: str, message_id: str, sent_at: datetime) -> None:
        key = (chat_id, message_id)
        self._sent_at[key] = sent_at
        self._sent_at.move_to_end(key)
        while len(self._sent_at) > _SEND_TIMES_KEPT:
            self._sent_at.popitem(last=False)

    def sent_at(self, chat_id: str, message_id: str) -> datetime | None:
        return self._sent_at.get((chat_id, message_id))
