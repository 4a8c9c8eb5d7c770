"""New members: reporting each arrival once, and the optional join-request gate.

Telegram reports an arrival twice (a chat_member update for admin bots and a service message
with new_chat_members), so each is passed on once. With the gate on, a join request is held:
the welcome goes to the person in private, and accepting the code there approves the request,
which also opens the private chat for future reminders.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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


class JoinGate:
    def __init__(self) -> None:
        self._requests: dict[tuple[str, str], int] = {}  # (chat, user) -> private chat id
        self._welcomes: dict[tuple[str, str], str] = {}  # (ack key, user) -> chat

    def requested(self, chat_id: str, user_id: str, user_chat_id: int) -> None:
        self._requests[(chat_id, user_id)] = user_chat_id

    def private_chat(self, chat_id: str, user_id: str) -> int | None:
        """Where a welcome goes while the person's join request waits; None if none waits."""
        return self._requests.get((chat_id, user_id))

    def welcome_sent(self, ack_key: str, chat_id: str, user_id: str) -> None:
        self._welcomes[(ack_key, user_id)] = chat_id

    def accepted(self, ack_key: str, user_id: str) -> str | None:
        """The chat whose join request the acceptance approves, if one waits."""
        chat_id = self._welcomes.pop((ack_key, user_id), None)
        if chat_id is None or self._requests.pop((chat_id, user_id), None) is None:
            return None
        return chat_id
