"""A loopback fake of Slack: the Web API, response URLs and a Socket Mode WebSocket.

It speaks enough of Slack's JSON for slack-sdk and slack-bolt to run for real against it and
records every call, every response-URL post and every Socket Mode acknowledgement, so tests
assert on what the adapter actually sent. Tests push events, slash commands and button presses
as Socket Mode envelopes, set the channel history that `conversations.history` serves, and can
make the next calls of a method fail (429 with Retry-After, 500, or a Slack error code), or
give it a seeded `FaultPlan` (tests/fakes/faults.py) that fails a share of all Web API calls.

Like Slack, it keeps what the bot posts in the channel's history, with the `metadata` the bot
attached, which `conversations.history` returns only when asked with `include_all_metadata`.
A message in the history with a `thread_ts` other than its own ts is a reply in that thread:
as on Slack, `conversations.history` leaves it out (unless it was also sent to the channel)
and shows the parent's `reply_count` and `latest_reply`, and `conversations.replies` serves
the thread. A message whose ts is no number (Slack never sends one; tests of robustness do)
is served by `conversations.history` whatever the range asked for, as the newest.
`post_message` is a member writing in a channel: the message joins the history and its event
goes out over Socket Mode the way the Events API delivers, retried while unacknowledged
(at once, after a minute, after five minutes) and lost when no retry finds a connection.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from tests.fakes.faults import Fault, FaultPlan, apply

TEAM_ID = "T0SCHOOL"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0SCHOOL"

# A safety net so that a broken test fails instead of hanging; never a measure of speed.
WAIT_LIMIT = 15.0
# The Events API: an event not acknowledged within 3 seconds is retried at once, then after a
# minute, then after five minutes; after that it is dropped.
ACK_WITHIN = 3.0
RETRY_DELAYS = (0.0, 60.0, 300.0)


@dataclass(frozen=True)
class Call:
    """One Web API request as the fake received it."""

    method: str
    params: dict[str, Any]
    token: str
    status: int  # the HTTP status the fake answered with
    answer: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.answer.get("ok") is True

    def json_param(self, name: str) -> Any:
        """A parameter that slack-sdk may send either as JSON or as a JSON-encoded form field."""
        value = self.params.get(name)
        return json.loads(value) if isinstance(value, str) else value


@dataclass
class _Failure:
    status: int
    error: str
    retry_after: int | None
    when: Callable[[Mapping[str, Any]], bool] | None


@dataclass(frozen=True)
class SharedFile:
    """A file uploaded and completed into a conversation (files.completeUploadExternal)."""

    channel: str
    file_id: str
    name: str
    content: bytes
    comment: str


@dataclass
class FakeSlack:
    """The fake server. `await start()`, point the adapter at `api_url`, `await close()`."""

    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # posts to response URLs
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)  # envelope id -> ack message
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel -> messages
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # conversations.info extras
    users: dict[str, str] = field(default_factory=dict)  # user id -> display name
    archived: set[str] = field(default_factory=set)  # channels archived (no posting)
    connections: int = 0  # Socket Mode connections opened so far
    faults: FaultPlan = field(default_factory=FaultPlan)
    posted_at: dict[str, float] = field(default_factory=dict)  # ts -> time.monotonic() posted
    events_lost: int = 0  # member messages whose every delivery attempt failed
    files: list[SharedFile] = field(default_factory=list)  # files completed into a conversation
    retry_delays: tuple[float, ...] = RETRY_DELAYS
    ack_within: float = ACK_WITHIN

    def __post_init__(self) -> None:
        self._failures: dict[str, list[_Failure]] = {}
        self._last_ts = 0.0
        self._envelopes = itertools.count(1)
        self._event_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._uploads: dict[str, tuple[str, bytes]] = {}  # file id -> (name, bytes so far)
        self._deliveries: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Condition()
        self._socket: web.WebSocketResponse | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack-sdk reads some methods by GET
        app.router.add_post("/respond/{key}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/link", self._link)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        address = self._runner.addresses[0]
        self.port = int(address[1])

    async def close(self) -> None:
        for task in list(self._deliveries):
            task.cancel()
        await asyncio.gather(*self._deliveries, return_exceptions=True)
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"  # slack-sdk needs the trailing slash

    def response_url(self, key: str) -> str:
        return f"http://127.0.0.1:{self.port}/respond/{key}"

    # ---- test controls ------------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str = "internal_error",
        retry_after: int | None = None,
        times: int = 1,
        when: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (whose parameters match `when`) fail.
        Status 429 answers `ratelimited` with a Retry-After header."""
        failure = _Failure(status, "ratelimited" if status == 429 else error, retry_after, when)
        self._failures.setdefault(method, []).extend([failure] * times)

    def calls_to(self, method: str, *, ok_only: bool = True) -> list[Call]:
        return [c for c in self.calls if c.method == method and (c.ok or not ok_only)]

    def methods(self) -> list[str]:
        """The methods called successfully, in order."""
        return [c.method for c in self.calls if c.ok]

    async def wait_for(self, predicate: Callable[[], bool], what: str = "a condition") -> None:
        """Wait until `predicate()` holds after something was recorded."""

        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        try:
            await asyncio.wait_for(until(), WAIT_LIMIT)
        except TimeoutError:
            raise AssertionError(f"the fake Slack never saw {what}") from None

    @property
    def connected(self) -> bool:
        """A Socket Mode connection is open: envelopes reach the app."""
        return self._socket is not None

    async def wait_connected(self) -> None:
        await self.wait_for(lambda: self._socket is not None, "a Socket Mode connection")

    async def push(self, kind: str, payload: Mapping[str, Any], *, retry_attempt: int = 0) -> str:
        """Send one Socket Mode envelope; returns its envelope id."""
        await self.wait_connected()
        return await self._send_envelope(kind, payload, retry_attempt)

    def post_message(self, channel: str, user: str, text: str) -> str:
        """A member posts in a channel: the message joins the history and its event is
        delivered like the Events API does it. Returns the message's ts."""
        ts = self.next_ts()
        message = {"type": "message", "user": user, "text": text, "ts": ts}
        self.history.setdefault(channel, []).append(message)
        self.posted_at[ts] = time.monotonic()
        body = {
            "token": "verification-token",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": {**message, "channel": channel, "channel_type": "channel", "event_ts": ts},
            "type": "event_callback",
            "event_id": f"Ev{next(self._event_ids):08d}",
            "event_time": int(float(ts)),
        }
        task = asyncio.create_task(self._deliver_event(body))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)
        return ts

    async def _deliver_event(self, body: dict[str, Any]) -> None:
        # The first attempt, then one retry per delay after the previous attempt failed.
        for attempt, delay in enumerate((0.0, *self.retry_delays)):
            await asyncio.sleep(delay)
            if self._socket is None:
                continue  # no connection: this attempt is lost
            envelope_id = await self._send_envelope("events_api", body, attempt)
            try:
                await asyncio.wait_for(self.wait_ack(envelope_id), self.ack_within)
            except (TimeoutError, AssertionError):
                continue
            return
        self.events_lost += 1

    async def _send_envelope(self, kind: str, payload: Mapping[str, Any], attempt: int) -> str:
        socket = self._socket
        assert socket is not None
        envelope_id = f"env-{next(self._envelopes)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": dict(payload),
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope["retry_attempt"] = attempt
            envelope["retry_reason"] = "timeout" if attempt else ""
        await socket.send_str(json.dumps(envelope))
        return envelope_id

    async def wait_ack(self, envelope_id: str) -> dict[str, Any]:
        await self.wait_for(lambda: envelope_id in self.acks, f"an ack of {envelope_id}")
        return self.acks[envelope_id]

    async def deliver(self, kind: str, payload: Mapping[str, Any], **kw: Any) -> dict[str, Any]:
        """Push an envelope and wait for the app to acknowledge it."""
        return await self.wait_ack(await self.push(kind, payload, **kw))

    # ---- the Web API --------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await _params(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        token = token or str(params.pop("token", ""))
        queued = self._failures.get(method, [])
        failure = next((f for f in queued if f.when is None or f.when(params)), None)
        if failure is not None:
            queued.remove(failure)
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            answer: dict[str, Any] = {"ok": False, "error": failure.error}
            await self._record(Call(method, params, token, failure.status, answer))
            return web.json_response(answer, status=failure.status, headers=headers)
        fault = self.faults.decide(method)
        if fault is not None:
            return await self._fail(request, fault, method, params, token)
        answer = self._answer(method, params)
        await self._record(Call(method, params, token, 200, answer))
        return web.json_response(answer)

    async def _fail(
        self,
        request: web.Request,
        fault: Fault,
        method: str,
        params: dict[str, Any],
        token: str,
    ) -> web.StreamResponse:
        """Answer as the fault plan decided; a call that never reached Slack is recorded with
        status 0."""

        async def act() -> None:
            await self._record(Call(method, params, token, 200, self._answer(method, params)))

        def refuse(fault: Fault) -> web.Response:
            status = 429 if fault.kind == "429" else 500
            answer = {"ok": False, "error": "ratelimited" if status == 429 else "internal_error"}
            headers = {"Retry-After": str(fault.retry_after)} if status == 429 else {}
            self.calls.append(Call(method, params, token, status, answer))
            return web.json_response(answer, status=status, headers=headers)

        if not fault.acted and fault.kind in ("timeout", "drop"):
            await self._record(Call(method, params, token, 0, {"ok": False, "error": "lost"}))
        return await apply(request, fault, act, refuse)

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        if method in {"chat.postMessage", "chat.postEphemeral"} and channel in self.archived:
            return {"ok": False, "error": "is_archived"}
        if method == "conversations.archive":
            self.archived.add(channel)
        if method == "conversations.unarchive":
            self.archived.discard(channel)
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._file_ids):08d}"
            self._uploads[file_id] = (str(params["filename"]), b"")
            url = f"http://127.0.0.1:{self.port}/upload/{file_id}"
            return {"ok": True, "upload_url": url, "file_id": file_id}
        if method == "files.completeUploadExternal":
            return self._complete_upload(params)
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://riverside.slack.com/",
                "team": "Riverside",
                "user": "schoolgate",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}
        if method == "chat.postMessage":
            return self._post(channel, params)
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.next_ts()}
        if method == "chat.update":
            return self._update(channel, params)
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", ""))}}
        if method == "conversations.history":
            return self._history(channel, params)
        if method == "conversations.replies":
            return self._replies(channel, params)
        if method == "conversations.info":
            archived = channel in self.archived
            info = {
                "id": channel,
                "name": channel.lower(),
                "is_member": True,
                "is_archived": archived,
            }
            return {"ok": True, "channel": {**info, **self.channels.get(channel, {})}}
        if method == "users.info":
            user = str(params.get("user", ""))
            name = self.users.get(user, "")
            return {"ok": True, "user": {"id": user, "profile": {"display_name": name}}}
        if method in {
            "chat.delete",
            "conversations.archive",
            "conversations.unarchive",
            "conversations.invite",
        }:
            return {"ok": True}
        return {"ok": False, "error": "unknown_method"}

    def _post(self, channel: str, params: dict[str, Any]) -> dict[str, Any]:
        """A message from the bot, kept in the channel's history as Slack keeps it."""
        ts = self.next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": str(params.get("text") or ""),
            "ts": ts,
        }
        metadata = params.get("metadata")
        if metadata:
            message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
        blocks = params.get("blocks")
        if blocks:
            message["blocks"] = json.loads(blocks) if isinstance(blocks, str) else blocks
        self.history.setdefault(channel, []).append(message)
        self.posted_at[ts] = time.monotonic()
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _update(self, channel: str, params: dict[str, Any]) -> dict[str, Any]:
        """chat.update of one of the bot's messages: its text and blocks replaced."""
        ts = str(params.get("ts") or "")
        found = [m for m in self.history.get(channel, []) if m.get("ts") == ts]
        if not found:
            return {"ok": False, "error": "message_not_found"}
        message = found[0]
        message["text"] = str(params.get("text") or "")
        blocks = params.get("blocks")
        message["blocks"] = json.loads(blocks) if isinstance(blocks, str) else blocks or []
        message["edited"] = {"user": BOT_USER_ID, "ts": self.next_ts()}
        return {"ok": True, "channel": channel, "ts": ts, "text": message["text"]}

    def _history(self, channel: str, params: dict[str, Any]) -> dict[str, Any]:
        """Newest first, `limit` per page, paged by an opaque cursor; metadata only when asked.
        Top-level messages only, with each parent's thread summed up as Slack does."""
        oldest = float(params.get("oldest") or 0)
        latest = float(params.get("latest") or "inf")
        top = [m for m in self.history.get(channel, []) if not _reply_only(m)]
        newer = [m for m in top if oldest < _when(m) < latest or _when(m) == math.inf]
        newest_first = sorted(newer, key=_when, reverse=True)
        start = int(params.get("cursor") or 0)
        limit = int(params.get("limit") or 100)
        page = [self._with_thread(channel, m) for m in newest_first[start : start + limit]]
        if str(params.get("include_all_metadata")).lower() not in ("1", "true"):
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(newest_first)
        answer: dict[str, Any] = {"ok": True, "messages": page, "has_more": more}
        if more:
            answer["response_metadata"] = {"next_cursor": str(start + limit)}
        return answer

    def _thread_of(self, channel: str, parent_ts: str) -> list[dict[str, Any]]:
        """A thread's replies, oldest first."""
        replies = [
            m
            for m in self.history.get(channel, [])
            if m.get("thread_ts") == parent_ts and m.get("ts") != parent_ts
        ]
        return sorted(replies, key=_when)

    def _with_thread(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        replies = self._thread_of(channel, str(message.get("ts")))
        if not replies:
            return message
        users = list(dict.fromkeys(str(m.get("user")) for m in replies))
        return {
            **message,
            "thread_ts": message["ts"],
            "reply_count": len(replies),
            "reply_users_count": len(users),
            "latest_reply": replies[-1]["ts"],
            "reply_users": users[:5],
            "is_locked": False,
            "subscribed": False,
        }

    def _replies(self, channel: str, params: dict[str, Any]) -> dict[str, Any]:
        """A thread oldest first, `limit` replies per page; as on Slack, every page begins
        with the parent, and `oldest` / `latest` (exclusive unless `inclusive`) bound the
        replies."""
        parent_ts = str(params.get("ts", ""))
        parent = next((m for m in self.history.get(channel, []) if m.get("ts") == parent_ts), None)
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        oldest = float(params.get("oldest") or 0)
        latest = float(params.get("latest") or "inf")
        inclusive = str(params.get("inclusive")).lower() in ("1", "true")

        def within(message: dict[str, Any]) -> bool:
            when = _when(message)
            if inclusive:
                return oldest <= when <= latest
            return oldest < when < latest

        replies = [m for m in self._thread_of(channel, parent_ts) if within(m)]
        start = int(params.get("cursor") or 0)
        limit = int(params.get("limit") or 1000)
        page = [self._with_thread(channel, parent), *replies[start : start + limit]]
        more = start + limit < len(replies)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def next_ts(self) -> str:
        """A new message's ts: the time now in microseconds, always increasing, like Slack's."""
        self._last_ts = max(time.time(), self._last_ts + 0.000001)
        return f"{self._last_ts:.6f}"

    async def _upload(self, request: web.Request) -> web.Response:
        """Where files.getUploadURLExternal sends the file's bytes."""
        file_id = request.match_info["file_id"]
        if file_id not in self._uploads:
            return web.Response(status=404, text="no such upload")
        self._uploads[file_id] = (self._uploads[file_id][0], await request.read())
        return web.Response(text=f"OK - {len(self._uploads[file_id][1])}")

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        listed = json.loads(str(params.get("files") or "[]"))
        done = []
        for item in listed:
            if item.get("id") not in self._uploads:
                return {"ok": False, "error": "file_not_found"}
            name, content = self._uploads.pop(item["id"])
            channel = str(params.get("channel_id", ""))
            comment = str(params.get("initial_comment", ""))
            self.files.append(SharedFile(channel, item["id"], name, content, comment))
            done.append({"id": item["id"], "title": item.get("title", name), "name": name})
        return {"ok": True, "files": done}

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self._record_response({"key": request.match_info["key"], **body})
        return web.Response(text="ok")

    # ---- Socket Mode --------------------------------------------------------------------

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        await socket.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        async with self._changed:
            self._socket = socket
            self.connections += 1
            self._changed.notify_all()
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            ack = json.loads(message.data)
            async with self._changed:
                self.acks[str(ack.get("envelope_id"))] = ack
                self._changed.notify_all()
        async with self._changed:
            if self._socket is socket:
                self._socket = None
            self._changed.notify_all()
        return socket

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    async def _record_response(self, body: dict[str, Any]) -> None:
        async with self._changed:
            self.responses.append(body)
            self._changed.notify_all()


def _when(message: Mapping[str, Any]) -> float:
    """A message's ts as a number, or infinity for one that is no number."""
    try:
        return float(message["ts"])
    except (KeyError, TypeError, ValueError):
        return math.inf


def _reply_only(message: Mapping[str, Any]) -> bool:
    """A reply in a thread that was not also sent to the channel."""
    thread = message.get("thread_ts")
    in_thread = thread is not None and thread != message.get("ts")
    return in_thread and message.get("subtype") != "thread_broadcast"


async def _params(request: web.Request) -> dict[str, Any]:
    """slack-sdk sends a JSON body for some methods, form fields or a query string for others."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        params.update(body if isinstance(body, dict) else {})
    else:
        params.update(parse_qsl(await request.text(), keep_blank_values=True))
    return params
