"""Bolt listeners: Slack events, slash commands and button presses handed to the core.

Every listener acknowledges Slack at once and never raises afterwards (an exception right
after `ack()` can lose the ack): failures are logged and the event is skipped. Message events
are handled before the acknowledgement goes back, which takes milliseconds, so that nothing is
lost if the process stops mid-way, and one whose message could not be stored is not
acknowledged at all, so that Slack sends it again; commands and button presses are
acknowledged first and answered through their response URL once the core has replied. A
channel's messages reach the core one at a time in the order they arrived, after the channel's
catch-up at start (see adapters/catchup_gate.py); a thread reply is handed over even when the
catch-up read newer messages, since the catch-up reads only some threads.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import Coroutine, Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.response import BoltResponse

from adapters.catchup_gate import CatchUpGate
from adapters.slack.blocks import escape
from adapters.slack.events import (
    MALFORMED,
    RecentIds,
    command_from_slash,
    in_thread,
    member_joined,
    message_from_event,
    press_from_action,
)
from adapters.slack.names import DisplayNames
from bot.model import BUTTON_PREFIX, ChatMessage, Reply
from bot.platform import EventSink, NotStored

log = logging.getLogger(__name__)

SETTLE_SECONDS = 5.0  # how long stop() lets answers under way finish

COMMAND = "/schoolgate"


class Inbound:
    """Turns what Slack sends into calls on the core's `EventSink`."""

    def __init__(
        self,
        events: EventSink,
        channels: Mapping[str, str],  # configured channel id -> name
        names: DisplayNames,
        bot_user_id: str,
    ) -> None:
        self._events = events
        self._channels = channels
        self._names = names
        self._bot_user_id = bot_user_id
        self._seen = RecentIds()
        self._tasks: set[asyncio.Task[None]] = set()
        self._gate = CatchUpGate(channels)
        self._round = self._gate.hold_all()  # until each channel is caught up on

    def register(self, app: AsyncApp) -> None:
        # `@app.message()` would skip edits (subtype message_changed): listen to every message.
        app.event("message")(self.on_message_event)
        app.event("member_joined_channel")(self.on_member_joined)
        app.command(COMMAND)(self.on_command)
        app.action(re.compile(f"^{re.escape(BUTTON_PREFIX)}:"))(self.on_button)

    def caught_up(self, channel: str, newest: float | None) -> None:
        """The channel's history is read up to `newest`: let its live messages through."""
        self._gate.release(channel, self._round, newest)

    async def with_names(self, message: ChatMessage) -> ChatMessage:
        author = dataclasses.replace(
            message.author, display_name=await self._names.of(message.author.user_id)
        )
        chat = dataclasses.replace(message.chat, title=self._channels.get(message.chat.chat_id, ""))
        return dataclasses.replace(message, author=author, chat=chat)

    # ---- listeners (names of parameters are how Bolt passes arguments) -------------------

    async def on_message_event(
        self, body: dict[str, Any], event: dict[str, Any]
    ) -> BoltResponse | None:
        try:
            if not self._first_delivery(body):
                return None
            message = message_from_event(event, self._channels)
            if message is not None:
                # Catch-up reads only the threads it can find (see catchup.py): a thread reply
                # is handed over even if older than what it read; the core ignores a copy.
                unordered = message.edited or in_thread(event)
                order = None if unordered else float(message.message_id)
                await self._gate.handle(
                    message.chat.chat_id, order, lambda: self._hand_over(message)
                )
        except NotStored:
            # Not acknowledged (Bolt answers this instead of its 200, and sends no Socket Mode
            # ack), so Slack sends the event again; its id is forgotten so that it is handled.
            self._seen.forget(str(body.get("event_id")))
            log.warning(
                "Slack message event not acknowledged, since it could not be stored; Slack "
                "sends it again (%s)",
                _describe(body),
            )
            return BoltResponse(status=503, body="not stored yet: send it again")
        except MALFORMED as error:
            log.warning("skipped a malformed Slack message event (%s)", _describe(body, error))
        except Exception:
            log.exception("skipped a Slack message event (%s)", _describe(body))
        return None

    async def _hand_over(self, message: ChatMessage) -> None:
        await self._events.on_message(await self.with_names(message))

    async def on_member_joined(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        try:
            if not self._first_delivery(body):
                return
            joined = member_joined(event, self._channels, self._bot_user_id)
            if joined is not None:
                chat, user = joined
                name = await self._names.of(user.user_id)
                title = self._channels.get(chat.chat_id, "")
                await self._events.on_member_joined(
                    dataclasses.replace(chat, title=title),
                    dataclasses.replace(user, display_name=name),
                )
        except MALFORMED as error:
            log.warning(
                "skipped a malformed Slack member_joined_channel event (%s)", _describe(body, error)
            )
        except Exception:
            log.exception("skipped a Slack member_joined_channel event (%s)", _describe(body))

    async def on_command(
        self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        self._spawn(self._answer_command(command, respond))

    async def on_button(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        self._spawn(self._answer_button(body, respond))

    # ---- work after the acknowledgement ---------------------------------------------------

    async def _answer_command(self, payload: dict[str, Any], respond: AsyncRespond) -> None:
        try:
            await _show(respond, await self._events.on_command(command_from_slash(payload)))
        except Exception:
            log.exception("could not answer a Slack slash command")

    async def _answer_button(self, body: dict[str, Any], respond: AsyncRespond) -> None:
        try:
            press = press_from_action(body)
            if press is None:
                log.warning("ignored a button press with data that is not ours")
                return
            await _show(respond, await self._events.on_button(press))
        except Exception:
            log.exception("could not answer a Slack button press")

    def _first_delivery(self, body: Mapping[str, Any]) -> bool:
        # Slack re-delivers an event it thinks was missed; Socket Mode marks even first
        # deliveries with a retry number, so the event id is what tells them apart.
        event_id = body.get("event_id")
        if event_id is None or self._seen.first_time(str(event_id)):
            return True
        log.debug("skipped re-delivered Slack event %s", event_id)
        return False

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Let answers already under way finish (at stop)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=SETTLE_SECONDS)


async def _show(respond: AsyncRespond, reply: Reply) -> None:
    await respond(
        text=escape(reply.text),
        response_type="ephemeral" if reply.private else "in_channel",
        replace_original=False,
    )


def _describe(body: Mapping[str, Any], error: Exception | None = None) -> str:
    """Enough to find an event in Slack's logs; never its text."""
    event = body.get("event")
    subtype = event.get("subtype") if isinstance(event, Mapping) else None
    problem = f", {type(error).__name__}" if error else ""
    return f"event_id={body.get('event_id')}, subtype={subtype}{problem}"
