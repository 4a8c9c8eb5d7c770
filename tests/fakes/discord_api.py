"""A loopback fake of Discord (REST under /api/v10 and the gateway WebSocket), for testing the
adapter with the real discord.py client.

It listens on 127.0.0.1 (port 0). The gateway says HELLO, acknowledges heartbeats, answers
IDENTIFY with READY and a GUILD_CREATE per guild, and lets a test push dispatches
(MESSAGE_CREATE, MESSAGE_UPDATE, INTERACTION_CREATE, GUILD_MEMBER_ADD). REST keeps a small
world (guilds, roles, members, channels with their permission overwrites, messages, DM
channels) so that history, overwrites and messages the bot sent outlive one client. Every REST
request is recorded; a test can inject errors per route (403 code 50007 for DMs, 429 with
retry_after, 500...), or give it a seeded `FaultPlan` (tests/fakes/faults.py) that fails a share
of all REST calls, named like `POST /channels/{channel}/messages`.

Creating a message honours `nonce` with `enforce_nonce` as Discord does: another message from the
same author with the same nonce within the last few minutes (`nonce_window`) is returned instead
of a new one. The nonce is echoed in the answer and in MESSAGE_CREATE, and, as on Discord, it is
not kept: history and fetched messages do not carry it.

Replies are `application/json` exactly: discord.py ignores a body with a charset suffix.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from aiohttp import WSMsgType, web

from tests.fakes.faults import Fault, FaultPlan, apply
from tests.payloads.discord import build

if TYPE_CHECKING:
    # Payload types only: discord.types cannot be imported on its own (circular imports).
    from discord.types.channel import PermissionOverwrite
    from discord.types.member import MemberWithUser
    from discord.types.message import Message
    from discord.types.user import User


JSONDict = dict[str, Any]

TOKEN = "fake-discord-token"
BUCKET_SIZE = 50  # requests per route and second the fake's rate-limit headers allow
# Discord checks a nonce "for uniqueness in the past few minutes".
NONCE_WINDOW = 180.0
# Far longer than any test: the client's own heartbeats never interleave with a test's sync.
HEARTBEAT_MS = 600_000
# The longest a test waits for the client to do something it must do.
WAIT = 10.0
CANNOT_DM = 50007  # "Cannot send messages to this user"

EVERYTHING = (1 << 41) - 1


@dataclass(frozen=True)
class Request:
    """One REST request as the fake received it (path relative to /api/v10)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]

    def matches(self, method: str, pattern: str) -> bool:
        return self.method == method and re.fullmatch(pattern, self.path) is not None


@dataclass
class Failure:
    method: str
    pattern: str
    status: int
    body: JSONDict
    headers: dict[str, str]
    times: int


@dataclass
class _Connection:
    ws: web.WebSocketResponse
    sequence: int = 0
    identified: bool = False
    heartbeats: int = 0
    beat: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def send(self, frame: JSONDict) -> None:
        if not self.ws.closed:
            await self.ws.send_str(json.dumps(frame))

    async def dispatch(self, event: str, data: Any) -> None:
        self.sequence += 1
        await self.send({"op": 0, "t": event, "s": self.sequence, "d": data})


@dataclass
class _Guild:
    id: int
    name: str
    roles: list[JSONDict]
    channels: list[int]
    threads: list[int]
    members: dict[int, MemberWithUser]


class FakeDiscord:
    def __init__(
        self, *, faults: FaultPlan | None = None, heartbeat_ms: int = HEARTBEAT_MS
    ) -> None:
        self.faults = faults or FaultPlan()
        # Discord's own is about 41 s; a long run needs it (the client reconnects after 60 s
        # without a frame), a test's `sync` wants none of the client's own.
        self.heartbeat_ms = heartbeat_ms
        self.nonce_window = NONCE_WINDOW
        self._nonces: dict[tuple[str, str], tuple[Message, float]] = {}  # (author, nonce)
        self.created_at: dict[str, float] = {}  # message id -> time.monotonic() it was created
        self.attachments: dict[str, list[tuple[str, bytes]]] = {}  # message id -> (name, bytes)
        self.ids = build.Snowflakes()
        self.requests: list[Request] = []
        self.identifies: list[JSONDict] = []
        self.app_id = self.ids()
        self.bot = build.user(self.ids(), "schoolgate", bot=True)
        self.owner = build.user(self.ids(), "it-admin")
        self.app_flags = build.APP_FLAG_MESSAGE_CONTENT | build.APP_FLAG_MEMBERS
        self.users: dict[int, User] = {int(self.bot["id"]): self.bot}
        self.guilds: dict[int, _Guild] = {}
        self.channels: dict[int, JSONDict] = {}
        self.messages: dict[int, list[Message]] = {}
        self.dms: dict[int, int] = {}  # user id -> DM channel id
        self.dm_blocked: set[int] = set()  # users who block DMs from server members
        self.commands: dict[int, list[JSONDict]] = {}  # guild id -> synced commands
        # The portal's privileged intents are off: IDENTIFY is answered with close code 4014.
        self.refuse_privileged_intents = False
        self._failures: list[Failure] = []
        self._connections: list[_Connection] = []
        self._recorded = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record_and_fail])
        app.router.add_get("/", self._gateway)
        api = "/api/v10"
        routes: list[tuple[str, str, Callable[[web.Request], Any]]] = [
            ("GET", "/users/@me", self._me),
            ("GET", "/oauth2/applications/@me", self._application),
            ("GET", "/gateway/bot", self._gateway_bot),
            ("PUT", "/applications/{app}/guilds/{guild}/commands", self._sync_commands),
            ("GET", "/applications/{app}/guilds/{guild}/commands", self._list_commands),
            ("POST", "/users/@me/channels", self._open_dm),
            ("GET", "/channels/{channel}", self._get_channel),
            ("PATCH", "/channels/{channel}", self._edit_channel),
            ("GET", "/channels/{channel}/messages", self._history),
            ("POST", "/channels/{channel}/messages", self._send),
            ("GET", "/channels/{channel}/messages/{message}", self._get_message),
            ("PATCH", "/channels/{channel}/messages/{message}", self._edit_message),
            ("DELETE", "/channels/{channel}/messages/{message}", self._delete),
            ("PUT", "/channels/{channel}/permissions/{target}", self._put_overwrite),
            ("DELETE", "/channels/{channel}/permissions/{target}", self._delete_overwrite),
            ("GET", "/guilds/{guild}/members/{user}", self._get_member),
            ("POST", "/interactions/{interaction}/{token}/callback", self._interaction_callback),
            ("POST", "/webhooks/{app}/{token}", self._followup),
            ("PATCH", "/webhooks/{app}/{token}/messages/@original", self._edit_original),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, api + path, handler)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        for conn in list(self._connections):
            await conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    # ---- the world -----------------------------------------------------------------------

    def add_user(self, username: str) -> int:
        who = build.user(self.ids(), username)
        self.users[int(who["id"])] = who
        return int(who["id"])

    def add_guild(self, name: str, *, bot_permissions: int) -> int:
        guild_id = self.ids()
        roles = [
            # @everyone has the id of its guild; members may read and post by default.
            dict(build.role(guild_id, "@everyone", (1 << 10) | (1 << 11) | (1 << 16), 0)),
            dict(build.role(self.ids(), "schoolgate", bot_permissions, 1)),
        ]
        self.guilds[guild_id] = _Guild(guild_id, name, roles, [], [], {})
        self._join(guild_id, int(self.bot["id"]), [int(str(roles[1]["id"]))])
        return guild_id

    def bot_role(self, guild_id: int) -> int:
        return int(self.guilds[guild_id].roles[1]["id"])

    def set_role_permissions(self, guild_id: int, role_id: int, permissions: int) -> None:
        for r in self.guilds[guild_id].roles:
            if int(r["id"]) == role_id:
                r["permissions"] = str(permissions)

    async def change_role_permissions(self, guild_id: int, role_id: int, permissions: int) -> None:
        """An admin edits a role while the bot is connected (GUILD_ROLE_UPDATE)."""
        self.set_role_permissions(guild_id, role_id, permissions)
        (role,) = [r for r in self.guilds[guild_id].roles if int(r["id"]) == role_id]
        await self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild_id), "role": role})

    def add_role(self, guild_id: int, name: str, permissions: int = 0) -> int:
        role = build.role(self.ids(), name, permissions, len(self.guilds[guild_id].roles))
        self.guilds[guild_id].roles.append(dict(role))
        return int(role["id"])

    def add_member(self, guild_id: int, username: str, roles: tuple[int, ...] = ()) -> int:
        user_id = self.add_user(username)
        self._join(guild_id, user_id, list(roles))
        return user_id

    def _join(self, guild_id: int, user_id: int, roles: list[int]) -> MemberWithUser:
        joined = build.member(self.users[user_id], roles, datetime.now(UTC))
        self.guilds[guild_id].members[user_id] = joined
        return joined

    def add_channel(
        self, guild_id: int, name: str, overwrites: list[PermissionOverwrite] | None = None
    ) -> int:
        channel_id = self.ids()
        self.channels[channel_id] = dict(
            build.text_channel(channel_id, guild_id, name, overwrites or [])
        )
        self.guilds[guild_id].channels.append(channel_id)
        self.messages[channel_id] = []
        return channel_id

    def add_thread(self, guild_id: int, parent_id: int, name: str) -> int:
        thread_id = self.ids()
        payload = build.thread_channel(thread_id, guild_id, parent_id, name, int(self.bot["id"]))
        self.channels[thread_id] = dict(payload)
        self.guilds[guild_id].threads.append(thread_id)
        self.messages[thread_id] = []
        return thread_id

    def overwrites(self, channel_id: int) -> dict[int, JSONDict]:
        """The channel's permission overwrites by target id."""
        return {int(o["id"]): o for o in self.channels[channel_id]["permission_overwrites"]}

    def member_payload(self, guild_id: int, user_id: int) -> MemberWithUser:
        return self.guilds[guild_id].members[user_id]

    def guild_of(self, channel_id: int) -> int:
        return int(self.channels[channel_id]["guild_id"])

    def dm_channel_of(self, user_id: int) -> int | None:
        return self.dms.get(user_id)

    def sent_to(self, channel_id: int) -> list[Message]:
        """Messages the bot posted in a channel (or DM channel), oldest first."""
        bot_id = self.bot["id"]
        return [m for m in self.messages.get(channel_id, []) if m["author"]["id"] == bot_id]

    def dms_to(self, user_id: int) -> list[Message]:
        channel = self.dms.get(user_id)
        return self.sent_to(channel) if channel is not None else []

    # ---- what the test does --------------------------------------------------------------

    def fail(
        self,
        method: str,
        pattern: str,
        status: int,
        body: JSONDict,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` requests matching (method, path regex) with an error."""
        self._failures.append(Failure(method, pattern, status, body, headers or {}, times))

    def rate_limit(self, method: str, pattern: str, retry_after: float, *, times: int = 1) -> None:
        # Discord's 429s come through its proxy: discord.py treats one without `Via` as a ban.
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(retry_after),
            "X-RateLimit-Scope": "user",
        }
        body = build.rate_limited(retry_after)
        self.fail(method, pattern, 429, body, times=times, headers=headers)

    def post(
        self,
        channel_id: int,
        author_id: int,
        content: str,
        *,
        attachments: list[Any] | None = None,
    ) -> Message:
        """A member's message, stored in the channel's history (not yet dispatched)."""
        guild_id = self.guild_of(channel_id)
        payload = build.message(
            self.ids(),
            channel_id,
            self.users[author_id],
            content,
            guild_id=guild_id,
            author_member=self.member_payload(guild_id, author_id),
            attachments=attachments,
        )
        self.messages[channel_id].append(payload)
        return payload

    async def say(self, channel_id: int, author_id: int, content: str) -> Message:
        """A member posts a message: stored, and MESSAGE_CREATE sent to connected clients."""
        payload = self.post(channel_id, author_id, content)
        await self.dispatch("MESSAGE_CREATE", payload)
        return payload

    async def edit(self, original: Message, content: str) -> Message:
        edited = dict(original)
        edited["content"] = content
        edited["edited_timestamp"] = build.iso(datetime.now(UTC))
        payload: Message = edited  # type: ignore[assignment]
        history = self.messages[int(original["channel_id"])]
        history[:] = [payload if m["id"] == original["id"] else m for m in history]
        await self.dispatch("MESSAGE_UPDATE", payload)
        return payload

    async def member_joins(self, guild_id: int, username: str, *, blocks_dms: bool = False) -> int:
        user_id = self.add_user(username)
        if blocks_dms:
            self.dm_blocked.add(user_id)
        joined = self._join(guild_id, user_id, [])
        await self.dispatch("GUILD_MEMBER_ADD", {**joined, "guild_id": str(guild_id)})
        return user_id

    async def press(
        self, pressed_on: Message, custom_id: str, user_id: int, *, in_guild: bool = False
    ) -> str:
        """A user presses a button on a message the bot sent; returns the interaction id."""
        channel_id = int(pressed_on["channel_id"])
        caller = self.users[user_id]
        interaction_id = self.ids()
        if in_guild:
            guild_id = self.guild_of(channel_id)
            payload = build.button_press(
                interaction_id,
                self.app_id,
                pressed_on,
                custom_id,
                self._interaction_channel(channel_id),
                caller=caller,
                caller_member=self.member_payload(guild_id, user_id),
                guild_id=guild_id,
            )
        else:
            payload = build.button_press(
                interaction_id,
                self.app_id,
                pressed_on,
                custom_id,
                self._interaction_channel(channel_id),
                caller=caller,
            )
        await self.dispatch("INTERACTION_CREATE", payload)
        return str(interaction_id)

    async def command(self, channel_id: int, user_id: int, name: str, **options: str) -> str:
        """A member types a slash command in a guild channel; returns the interaction id."""
        guild_id = self.guild_of(channel_id)
        synced = {c["name"]: int(c["id"]) for c in self.commands.get(guild_id, [])}
        interaction_id = self.ids()
        payload = build.slash_command(
            interaction_id,
            self.app_id,
            synced.get(name, self.ids()),
            name,
            options,
            self._interaction_channel(channel_id),
            guild_id=guild_id,
            caller=self.users[user_id],
            caller_member=self.member_payload(guild_id, user_id),
        )
        await self.dispatch("INTERACTION_CREATE", payload)
        return str(interaction_id)

    @property
    def connected(self) -> bool:
        """A client is connected and identified: dispatches reach it."""
        return any(conn.identified and not conn.ws.closed for conn in self._connections)

    async def dispatch(self, event: str, data: Any) -> None:
        for conn in list(self._connections):
            if conn.identified:
                await conn.dispatch(event, data)

    async def sync(self) -> None:
        """Return once every connected client has read everything sent to it so far.

        The gateway may ask for a heartbeat (op 1) at any time and the client answers at once,
        in order, so its answer proves it has parsed every earlier frame.
        """
        for conn in list(self._connections):
            if not conn.identified or conn.ws.closed:
                continue
            async with conn.beat:
                seen = conn.heartbeats
                await conn.send({"op": 1, "d": None})
                async with asyncio.timeout(WAIT):
                    await conn.beat.wait_for(_more_than(conn, seen))

    async def drop_connections(self) -> None:
        for conn in list(self._connections):
            await conn.ws.close(code=4000)

    def calls(self, method: str, pattern: str) -> list[Request]:
        return [r for r in self.requests if r.matches(method, pattern)]

    async def wait_for(self, method: str, pattern: str, *, count: int = 1) -> list[Request]:
        """Wait until `count` matching requests were received; returns them."""
        async with self._recorded, asyncio.timeout(WAIT):
            await self._recorded.wait_for(lambda: len(self.calls(method, pattern)) >= count)
        return self.calls(method, pattern)

    async def interaction_reply(self, interaction_id: str) -> JSONDict:
        """The body of the bot's answer to an interaction (its first callback)."""
        pattern = rf"/interactions/{interaction_id}/[^/]+/callback"
        (first, *_) = await self.wait_for("POST", pattern)
        body: JSONDict = first.body
        if body["type"] == 5:  # deferred: the answer is the follow-up message
            token = first.path.split("/")[3]
            (followup, *_) = await self.wait_for("POST", rf"/webhooks/\d+/{token}")
            return {"type": 4, "data": followup.body}
        return body

    # ---- gateway -------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = _Connection(ws)
        self._connections.append(conn)
        try:
            await conn.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}})
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                await self._on_frame(conn, json.loads(msg.data))
        finally:
            self._connections.remove(conn)
        return ws

    async def _on_frame(self, conn: _Connection, frame: JSONDict) -> None:
        op = frame.get("op")
        if op == 1:
            async with conn.beat:
                conn.heartbeats += 1
                conn.beat.notify_all()
            await conn.send({"op": 11})
        elif op == 2:
            self.identifies.append(frame["d"])
            if self.refuse_privileged_intents:
                await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
                return
            conn.identified = True
            ready = build.ready(
                self.bot,
                list(self.guilds),
                f"session-{self.ids()}",
                self.gateway_url,
                self.app_id,
                self.app_flags,
            )
            await conn.dispatch("READY", ready)
            for guild_id in self.guilds:
                await conn.dispatch("GUILD_CREATE", self._guild_payload(guild_id))
        elif op == 6:
            # Sessions are not kept: the client must identify again (and catch up).
            await conn.send({"op": 9, "d": False})

    def _guild_payload(self, guild_id: int) -> JSONDict:
        g = self.guilds[guild_id]
        payload = build.guild(
            g.id,
            g.name,
            int(self.owner["id"]),
            roles=[],
            members=list(g.members.values()),
            channels=[],
            threads=[],
        )
        data: JSONDict = dict(payload)
        data["roles"] = g.roles
        data["channels"] = [self.channels[c] for c in g.channels]
        data["threads"] = [self.channels[t] for t in g.threads]
        return data

    def _interaction_channel(self, channel_id: int) -> JSONDict:
        return {**self.channels[channel_id], "permissions": str(EVERYTHING)}

    # ---- REST ----------------------------------------------------------------------------

    @web.middleware
    async def _record_and_fail(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        if not request.path.startswith("/api/v10/"):
            response: web.StreamResponse = await handler(request)
            return response
        json_body = request.content_type == "application/json"
        raw = await request.read() if json_body else b""  # a multipart body is read by its handler
        body = json.loads(raw) if raw else None
        path = request.path.removeprefix("/api/v10")
        recorded = Request(request.method, path, dict(request.query), body, dict(request.headers))
        async with self._recorded:
            self.requests.append(recorded)
            self._recorded.notify_all()
        for failure in self._failures:
            if failure.times > 0 and recorded.matches(failure.method, failure.pattern):
                failure.times -= 1
                return _json(failure.body, status=failure.status, headers=failure.headers)
        route = request.match_info.route.resource
        call = f"{request.method} {route.canonical.removeprefix('/api/v10') if route else path}"
        fault = self.faults.decide(call)
        if fault is not None:
            return await apply(request, fault, lambda: handler(request), _refusal)
        response = await handler(request)
        response.headers.update(_bucket_headers(call))
        return response

    async def _me(self, request: web.Request) -> web.Response:
        return _json(self.bot)

    async def _application(self, request: web.Request) -> web.Response:
        return _json(build.app_info(self.app_id, "schoolgate", self.owner, self.app_flags))

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _sync_commands(self, request: web.Request) -> web.Response:
        guild_id = int(request.match_info["guild"])
        synced = [
            {
                **command,
                "id": str(self.ids()),
                "application_id": str(self.app_id),
                "guild_id": str(guild_id),
                "version": str(self.ids()),
                "type": command.get("type", 1),
                "default_member_permissions": command.get("default_member_permissions"),
            }
            for command in await request.json()
        ]
        self.commands[guild_id] = synced
        return _json(synced)

    async def _list_commands(self, request: web.Request) -> web.Response:
        return _json(self.commands.get(int(request.match_info["guild"]), []))

    async def _open_dm(self, request: web.Request) -> web.Response:
        recipient = int((await request.json())["recipient_id"])
        if recipient not in self.users:
            return _json(build.api_error(10013, "Unknown User"), status=404)
        if recipient not in self.dms:
            channel_id = self.ids()
            self.dms[recipient] = channel_id
            self.channels[channel_id] = dict(build.dm_channel(channel_id, self.users[recipient]))
            self.messages[channel_id] = []
        return _json(self.channels[self.dms[recipient]])

    def _channel(self, request: web.Request) -> JSONDict | None:
        return self.channels.get(int(request.match_info["channel"]))

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel is None:
            return _unknown_channel()
        return _json(channel)

    async def _edit_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel is None:
            return _unknown_channel()
        changes: JSONDict = await request.json()
        meta = channel.get("thread_metadata")
        for key, value in changes.items():
            if meta is not None and key in ("archived", "locked"):
                meta[key] = value
            else:
                channel[key] = value
        event = "THREAD_UPDATE" if meta is not None else "CHANNEL_UPDATE"
        await self.dispatch(event, channel)
        return _json(channel)

    async def _history(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        if channel_id not in self.messages:
            return _unknown_channel()
        limit = int(request.query.get("limit", "50"))
        history = sorted(self.messages[channel_id], key=lambda m: int(m["id"]))
        if "after" in request.query:
            after = int(request.query["after"])
            page = [m for m in history if int(m["id"]) > after][:limit]
        elif "before" in request.query:
            before = int(request.query["before"])
            page = [m for m in history if int(m["id"]) < before][-limit:]
        else:
            page = history[-limit:]
        return _json(list(reversed(page)))  # Discord answers newest first

    async def _send(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        channel = self.channels.get(channel_id)
        if channel is None:
            return _unknown_channel()
        if channel["type"] == 1 and int(channel["recipients"][0]["id"]) in self.dm_blocked:
            return _json(build.api_error(CANNOT_DM, "Cannot send messages to this user"), 403)
        files: list[tuple[str, bytes]] = []
        if request.content_type == "multipart/form-data":  # a message with files attached
            form = await request.post()
            body = json.loads(str(form["payload_json"]))
            files = [
                (part.filename, part.file.read())
                for name, part in form.items()
                if name.startswith("files[") and isinstance(part, web.FileField)
            ]
        else:
            body = await request.json()
        invalid = _invalid_message(body)
        if invalid:
            return _json(build.api_error(INVALID_FORM_BODY, f"Invalid Form Body: {invalid}"), 400)
        nonce = body.get("nonce")
        key = (str(self.bot["id"]), str(nonce))
        if nonce is not None and body.get("enforce_nonce"):
            earlier = self._nonces.get(key)
            if earlier is not None and time.monotonic() - earlier[1] <= self.nonce_window:
                return _json({**earlier[0], "nonce": nonce})
        guild_id = int(channel["guild_id"]) if "guild_id" in channel else None
        payload = build.message(
            self.ids(),
            channel_id,
            self.bot,
            body.get("content") or "",
            guild_id=guild_id,
            author_member=self.member_payload(guild_id, int(self.bot["id"])) if guild_id else None,
            components=body.get("components"),
        )
        if files:
            payload["attachments"] = [
                {
                    "id": str(number),
                    "filename": name,
                    "size": len(content),
                    "url": f"https://cdn.discordapp.invalid/{number}/{name}",
                    "proxy_url": f"https://media.discordapp.invalid/{number}/{name}",
                }
                for number, (name, content) in ((self.ids(), f) for f in files)
            ]
            self.attachments[str(payload["id"])] = files
        self.messages[channel_id].append(payload)
        self.created_at[str(payload["id"])] = time.monotonic()
        if nonce is not None:
            self._nonces[key] = (payload, time.monotonic())
            payload = {**payload, "nonce": nonce}
        await self.dispatch("MESSAGE_CREATE", payload)
        return _json(payload)

    def _find(self, request: web.Request) -> Message | None:
        channel_id = int(request.match_info["channel"])
        message_id = request.match_info["message"]
        return next((m for m in self.messages.get(channel_id, []) if m["id"] == message_id), None)

    async def _get_message(self, request: web.Request) -> web.Response:
        found = self._find(request)
        if found is None:
            return _json(build.api_error(10008, "Unknown Message"), status=404)
        return _json(found)

    async def _edit_message(self, request: web.Request) -> web.Response:
        """Edit Message: the fields given replace the message's; answers the message."""
        found = self._find(request)
        if found is None:
            return _json(build.api_error(10008, "Unknown Message"), status=404)
        body: JSONDict = await request.json()
        edited = cast(
            "Message",
            {
                **found,
                **{k: v for k, v in body.items() if k in ("content", "components", "embeds")},
                "edited_timestamp": datetime.now(UTC).isoformat(),
            },
        )
        history = self.messages[int(request.match_info["channel"])]
        history[history.index(found)] = edited
        await self.dispatch("MESSAGE_UPDATE", edited)
        return _json(edited)

    async def _delete(self, request: web.Request) -> web.Response:
        found = self._find(request)
        if found is None:
            return _json(build.api_error(10008, "Unknown Message"), status=404)
        channel_id = int(request.match_info["channel"])
        self.messages[channel_id].remove(found)
        event = {"id": found["id"], "channel_id": str(channel_id)}
        if "guild_id" in found:
            event["guild_id"] = found["guild_id"]
        await self.dispatch("MESSAGE_DELETE", event)
        return web.Response(status=204)

    async def _put_overwrite(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel is None:
            return _unknown_channel()
        target = request.match_info["target"]
        body: JSONDict = await request.json()
        entry = {
            "id": target,
            "type": body.get("type", 0),
            "allow": str(body.get("allow", "0")),
            "deny": str(body.get("deny", "0")),
        }
        kept = [o for o in channel["permission_overwrites"] if o["id"] != target]
        channel["permission_overwrites"] = [*kept, entry]
        await self.dispatch("CHANNEL_UPDATE", channel)
        return web.Response(status=204)

    async def _delete_overwrite(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel is None:
            return _unknown_channel()
        target = request.match_info["target"]
        kept = [o for o in channel["permission_overwrites"] if o["id"] != target]
        channel["permission_overwrites"] = kept
        await self.dispatch("CHANNEL_UPDATE", channel)
        return web.Response(status=204)

    async def _get_member(self, request: web.Request) -> web.Response:
        guild = self.guilds.get(int(request.match_info["guild"]))
        found = guild.members.get(int(request.match_info["user"])) if guild else None
        if found is None:
            return _json(build.api_error(10007, "Unknown Member"), status=404)
        return _json(found)

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        body: JSONDict = await request.json()
        data: JSONDict = body.get("data") or {}
        ephemeral = bool(int(data.get("flags", 0)) & (1 << 6))
        answer: JSONDict = {
            "interaction": {
                "id": request.match_info["interaction"],
                "type": 3,
                "response_message_loading": body["type"] == 5,
                "response_message_ephemeral": ephemeral,
            }
        }
        if body["type"] == 4:
            message_id = self.ids()
            answer["interaction"]["response_message_id"] = str(message_id)
            answer["resource"] = {
                "type": 4,
                "message": build.message(message_id, 0, self.bot, data.get("content") or ""),
            }
        return _json(answer)

    async def _followup(self, request: web.Request) -> web.Response:
        body: JSONDict = await request.json()
        return _json(build.message(self.ids(), 0, self.bot, body.get("content") or ""))

    async def _edit_original(self, request: web.Request) -> web.Response:
        body: JSONDict = await request.json()
        return _json(build.message(self.ids(), 0, self.bot, body.get("content") or ""))


def _bucket_headers(call: str) -> dict[str, str]:
    """Discord's rate-limit headers, on every REST answer: a roomy bucket per route that
    refills each second. discord.py paces itself by them (and without them allows one request
    at a time per route); the fault plan's 429s stand for the limit being hit."""
    return {
        "X-RateLimit-Limit": str(BUCKET_SIZE),
        "X-RateLimit-Remaining": str(BUCKET_SIZE - 1),
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Reset-After": "1.000",
        "X-RateLimit-Bucket": hashlib.sha1(call.encode()).hexdigest()[:16],
    }


def _refusal(fault: Fault) -> web.Response:
    if fault.kind == "429":
        # Through Discord's proxy (a 429 without `Via` reads as a ban to discord.py).
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(fault.retry_after),
            "X-RateLimit-Scope": "user",
        }
        return _json(build.rate_limited(fault.retry_after), status=429, headers=headers)
    return _json({"message": "500: Internal Server Error", "code": 0}, status=500)


def _more_than(conn: _Connection, seen: int) -> Callable[[], bool]:
    return lambda: conn.heartbeats > seen


INVALID_FORM_BODY = 50035
MAX_CONTENT = 2000  # characters of a message's content
MAX_ROWS = 5  # action rows a message may carry, of at most five buttons each


def _invalid_message(body: JSONDict) -> str:
    """Why Discord would answer 400 to this message, or "" (the limits the bot must respect)."""
    if len(body.get("content") or "") > MAX_CONTENT:
        return f"content: must be {MAX_CONTENT} or fewer in length"
    rows = body.get("components") or []
    if len(rows) > MAX_ROWS or any(len(row.get("components", [])) > 5 for row in rows):
        return "components: too many components"
    return ""


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(data).encode(),
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def _unknown_channel() -> web.Response:
    return _json(build.api_error(10003, "Unknown Channel"), status=404)
