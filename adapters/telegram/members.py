"""New members: reporting each arrival once, and who is in a chat.

Telegram reports an arrival twice (a chat_member update for admin bots and a service message
with new_chat_members), so each is passed on once.

With the optional join gate on, a join request is held: the welcome goes to the person in
private, and accepting the code there approves the request. Nothing about a request is kept in
memory, so a restart loses nothing: the welcome goes in private to whoever is not in the chat
yet (their private chat has their user id), and the core says, from the stored welcome, which
chat's code an acceptance was for.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from telegram import ChatMember, ChatMemberRestricted

# Two reports of one arrival come seconds apart; a later one is a new arrival.
_SAME_ARRIVAL = timedelta(minutes=10)


class JoinTracker:
    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], datetime] = {}

    def first_report(self, chat_id: str, user_id: str, now: datetime) -> bool:
        self._seen = {k: t for k, t in self._seen.items() if now - t < _SAME_ARRIVAL}
        if (chat_id, user_id) in self._seen:
            return False
        self._seen[(chat_id, user_id)] = now
        return True


def is_in_chat(member: ChatMember) -> bool:
    """True for someone who can read the chat; a person whose join request waits is not."""
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER)
