"""Which Discord channels the bot moderates, and how a channel becomes a `ChatRef`.

A school's `chats` list channel ids (or thread ids). A thread opened under a listed channel
belongs to that channel's chat: its messages carry the channel as `chat_id` and the thread as
`thread_id`, so nobody escapes moderation by starting a thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.config import Config
from bot.model import ChatRef

PLATFORM = "discord"


@dataclass(frozen=True)
class ConfiguredChats:
    titles: dict[int, str]  # configured channel or thread id -> name from the config
    schools: dict[int, str]  # configured id -> school id

    @classmethod
    def from_config(cls, config: Config) -> ConfiguredChats:
        titles: dict[int, str] = {}
        schools: dict[int, str] = {}
        for school, chat in config.chats_on(PLATFORM):
            if not chat.id.isdigit():
                raise ValueError(
                    f"school {school.id!r}: Discord chat id {chat.id!r} is not a channel id "
                    "(a number; copy it with developer mode on, see docs/discord.md)"
                )
            titles[int(chat.id)] = chat.name
            schools[int(chat.id)] = school.id
        return cls(titles, schools)

    @property
    def ids(self) -> list[int]:
        return list(self.titles)

    def ref(self, channel_id: int, title: str = "") -> ChatRef:
        """The chat of a configured channel or thread id."""
        return ChatRef(PLATFORM, str(channel_id), title or self.titles.get(channel_id, ""))

    def ref_for(self, channel_id: int, parent_id: int | None, title: str = "") -> ChatRef | None:
        """The chat a message in this channel belongs to, or None if it is not moderated."""
        if channel_id in self.titles:
            return self.ref(channel_id, title)
        if parent_id is not None and parent_id in self.titles:
            return ChatRef(
                PLATFORM, str(parent_id), self.titles[parent_id], thread_id=str(channel_id)
            )
        return None

    def ref_of(self, channel: object) -> ChatRef | None:
        """`ref_for` for a channel object of any kind discord.py hands us."""
        channel_id = getattr(channel, "id", None)
        if not isinstance(channel_id, int):
            return None
        parent_id = channel.parent_id if isinstance(channel, discord.Thread) else None
        return self.ref_for(channel_id, parent_id, getattr(channel, "name", "") or "")

    def first_per_school(self, channel_ids: list[int]) -> list[ChatRef]:
        """One chat per school among these ids: where a guild-wide event (a join) is reported."""
        seen: set[str] = set()
        chats: list[ChatRef] = []
        for channel_id in channel_ids:
            school = self.schools.get(channel_id)
            if school is not None and school not in seen:
                seen.add(school)
                chats.append(self.ref(channel_id))
        return chats


def target_channel(chat: ChatRef) -> int:
    """Where a message about this chat is posted: the thread if there is one."""
    return int(chat.thread_id or chat.chat_id)
