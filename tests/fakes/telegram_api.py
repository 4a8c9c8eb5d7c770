"""A loopback fake of the Telegram Bot API, for testing the adapter with the real SDK.

It listens on 127.0.0.1 (port 0) and answers `POST /bot{token}/{method}` like Telegram does:
`{"ok": true, "result": ...}`, or `{"ok": false, "error_code": ..., "description": ...}`.
Every request is recorded. Tests fill the `getUpdates` queue with `push_update`, describe the
chats and the bot's membership, and inject errors (429 with retry_after, 500, 403) per method,
or give it a seeded `FaultPlan` (tests/fakes/faults.py) that fails a share of all calls.

Telegram offers bots no idempotency key and no way to read back what they sent, and neither
does this fake: a message it sent before losing the answer stays sent. `sent` lists every
message the fake carried out, with when.

Updates stay queued until a later `getUpdates` confirms them with its offset, as on Telegram,
so an update fetched by a poll that was cut short is served again.

A `chat_join_request` update leaves a request waiting, as on Telegram: approving it makes the
person a member, approving or declining one that does not wait is refused.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web

from tests.fakes.faults import Fault, FaultPlan, apply

JSONDict = dict[str, Any]

BOT_ID = 7_000_001
BOT_USERNAME = "schoolgate_test_bot"
TOKEN = "123:ABC"
# How long an empty getUpdates waits for an update before answering [] (Telegram's long poll).
POLL_WAIT = 0.2


@dataclass(frozen=True)
class ApiCall:
    """One recorded request; parameters as sent (form values are strings, as on the wire)."""

    method: str
    params: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.params[key]

    def get(self, key: str) -> str | None:
        return self.params.get(key)

    def json(self, key: str) -> Any:
        """A parameter the SDK sent JSON-encoded (reply_markup, permissions, ...)."""
        return json.loads(self.params[key])


@dataclass(frozen=True)
class ApiError:
    status: int
    description: str
    retry_after: int | None = None

    def body(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def too_many_requests(retry_after: int = 1) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def server_error() -> ApiError:
    return ApiError(500, "Internal Server Error")


def cannot_initiate() -> ApiError:
    return ApiError(403, "Forbidden: bot can't initiate conversation with a user")


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class _Failure:
    method: str
    error: ApiError
    match: dict[str, str]
    times: int | None  # None: every matching call

    def applies(self, method: str, params: dict[str, str]) -> bool:
        if method != self.method or self.times == 0:
            return False
        return all(params.get(k) == v for k, v in self.match.items())


@dataclass(frozen=True)
class SentMessage:
    """A message the fake carried out (whether or not its answer reached the client)."""

    chat_id: int
    text: str
    reply_markup: Any
    message_id: int
    at: float  # time.monotonic() when it was carried out
    answered: bool = True  # False: the fault plan lost the answer after carrying it out


@dataclass(frozen=True)
class Document:
    """A file the bot sent (sendDocument), with the call's other parameters."""

    chat_id: int
    file_name: str
    content: bytes
    params: dict[str, str]


@dataclass
class _Chat:
    info: JSONDict
    members: dict[int, JSONDict] = field(default_factory=dict)


OPEN_PERMISSIONS: JSONDict = {
    "can_send_messages": True,
    "can_send_audios": True,
    "can_send_documents": True,
    "can_send_photos": True,
    "can_send_videos": True,
    "can_send_video_notes": True,
    "can_send_voice_notes": True,
    "can_send_polls": True,
    "can_send_other_messages": True,
    "can_add_web_page_previews": True,
    "can_change_info": False,
    "can_invite_users": True,
    "can_pin_messages": False,
    "can_manage_topics": False,
}

ADMIN_RIGHTS: JSONDict = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": False,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": False,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
    "can_manage_topics": True,
}


class FakeTelegramApi:
    """The fake server. `await start()`, point the SDK at `base_url`, `await close()`."""

    def __init__(
        self,
        token: str = TOKEN,
        *,
        privacy_mode: bool = True,
        ephemeral: bool = True,
        faults: FaultPlan | None = None,
    ) -> None:
        self.token = token
        self.faults = faults or FaultPlan()
        self.sent: list[SentMessage] = []
        self.documents: list[Document] = []
        self.privacy_mode = privacy_mode
        # False: an older server that ignores ephemeral_message_parameters and posts publicly.
        self.ephemeral = ephemeral
        self.calls: list[ApiCall] = []
        self.served: list[int] = []  # update ids, once per getUpdates answer that held them
        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(10_000)
        self._new_update = asyncio.Event()
        self._changed = asyncio.Condition()
        self._failures: list[_Failure] = []
        self._chats: dict[int, _Chat] = {}
        self.join_requests: set[tuple[int, int]] = set()  # (chat, user) waiting for approval
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle ---------------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        """Listen on `port` (0: any free one), e.g. one the bot was told of before the fake
        came up."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """What the SDK's `base_url` should be (the token is appended to it)."""
        return f"http://127.0.0.1:{self.port}/bot"

    # ---- what the test sets up ---------------------------------------------------------

    def push_update(self, update: JSONDict) -> int:
        """Queue an update for getUpdates; gives it the next update_id unless it has one."""
        update = {**update}
        update.setdefault("update_id", next(self._update_ids))
        request = update.get("chat_join_request")
        if isinstance(request, dict):
            self.join_requests.add((int(request["chat"]["id"]), int(request["from"]["id"])))
        self._updates.append(update)
        self._new_update.set()
        return int(update["update_id"])

    def add_chat(
        self,
        chat_id: int,
        title: str,
        *,
        permissions: JSONDict | None = None,
        is_forum: bool = False,
        bot_admin: bool = False,
        bot_rights: JSONDict | None = None,
    ) -> None:
        """A group the bot is in, as getChat and getChatMember describe it."""
        info: JSONDict = {
            "id": chat_id,
            "type": "supergroup",
            "title": title,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
            "permissions": dict(OPEN_PERMISSIONS if permissions is None else permissions),
        }
        if is_forum:
            info["is_forum"] = True
        self._chats[chat_id] = _Chat(info)
        self.set_bot_member(chat_id, admin=bot_admin, rights=bot_rights)

    def set_bot_member(self, chat_id: int, *, admin: bool, rights: JSONDict | None = None) -> None:
        member: JSONDict = {"user": self.bot_user(), "status": "member"}
        if admin:
            member = {**member, "status": "administrator", **ADMIN_RIGHTS, **(rights or {})}
        self._chats[chat_id].members[BOT_ID] = member

    def add_member(self, chat_id: int, user_id: int) -> None:
        """A person in the chat, as getChatMember describes them."""
        user = {"id": user_id, "is_bot": False, "first_name": "Parent"}
        self._chats[chat_id].members[user_id] = {"user": user, "status": "member"}

    def chat_permissions(self, chat_id: int) -> JSONDict:
        return dict(self._chats[chat_id].info["permissions"])

    def fail(self, method: str, error: ApiError, *, times: int | None = 1, **match: object) -> None:
        """Answer matching calls with `error`: `times` times, or always when None.

        `match` compares parameters as sent, e.g. `chat_id=555` fails DMs to user 555 only.
        """
        self._failures.append(_Failure(method, error, {k: str(v) for k, v in match.items()}, times))

    def bot_user(self) -> JSONDict:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Schoolgate",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
        }

    # ---- what the test reads -----------------------------------------------------------

    def calls_to(self, method: str, **match: object) -> list[ApiCall]:
        wanted = {k: str(v) for k, v in match.items()}
        return [
            c
            for c in self.calls
            if c.method == method and all(c.params.get(k) == v for k, v in wanted.items())
        ]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        where: Callable[[ApiCall], bool] | None = None,
        within: float = 10.0,
        **match: object,
    ) -> list[ApiCall]:
        """Wait until at least `count` matching calls were made; return the matching calls.

        An upper bound to wait for asynchronous work (polling, the outbox), not a timing test.
        """

        def found() -> list[ApiCall]:
            return [c for c in self.calls_to(method, **match) if where is None or where(c)]

        async def until_enough() -> list[ApiCall]:
            async with self._changed:
                await self._changed.wait_for(lambda: len(found()) >= count)
            return found()

        try:
            return await asyncio.wait_for(until_enough(), within)
        except TimeoutError:
            seen = [c.method for c in self.calls if c.method != "getUpdates"]
            raise AssertionError(
                f"expected {count} {method} call(s) matching {match or ''}, got "
                f"{len(found())}; calls so far: {seen}"
            ) from None

    @property
    def unconfirmed(self) -> list[int]:
        """Ids of the updates queued and not yet confirmed by a getUpdates offset."""
        return [int(u["update_id"]) for u in self._updates]

    async def wait_confirmed(self, update_id: int, within: float = 10.0) -> None:
        """Wait until the client confirmed (fetched) the update, as getUpdates' offset shows."""

        async def confirmed() -> None:
            async with self._changed:
                await self._changed.wait_for(
                    lambda: (
                        all(u["update_id"] > update_id for u in self._updates)
                        and any(c.method == "getUpdates" for c in self.calls)
                    )
                )

        await asyncio.wait_for(confirmed(), within)

    # ---- the server --------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        files: dict[str, tuple[str, bytes]] = {}
        params = await _read_params(request, files)
        if method == "sendDocument" and "document" in files:
            name, content = files["document"]
            self.documents.append(Document(int(params["chat_id"]), name, content, params))
        self.calls.append(ApiCall(method, params))
        async with self._changed:
            self._changed.notify_all()
        for failure in self._failures:
            if failure.applies(method, params):
                if failure.times is not None:
                    failure.times -= 1
                return web.json_response(failure.error.body(), status=failure.error.status)
        fault = self.faults.decide(method)
        if fault is not None:

            async def act() -> None:
                already = len(self.sent)
                await self._answer(method, params)
                self.sent[already:] = [replace(m, answered=False) for m in self.sent[already:]]

            return await apply(request, fault, act, _refusal)
        try:
            result = await self._answer(method, params)
        except _Refused as refused:
            return web.json_response(refused.error.body(), status=refused.error.status)
        return web.json_response({"ok": True, "result": result})

    async def _answer(self, method: str, params: dict[str, str]) -> Any:
        if method == "getMe":
            return self.bot_user()
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "getChat":
            return self._chat(params).info
        if method == "getChatMember":
            chat = self._chat(params)
            user_id = int(params["user_id"])
            member = chat.members.get(user_id)
            if member is None:
                member = {"user": {"id": user_id, "is_bot": False, "first_name": "?"}}
                member["status"] = "left"
            return member
        if method == "setChatPermissions":
            chat = self._chat(params)
            chat.info["permissions"] = {
                **chat.info["permissions"],
                **json.loads(params["permissions"]),
            }
            return True
        if method in ("sendMessage", "sendDocument"):
            return self._sent_message(params)
        if method == "editMessageText":
            return self._edited_message(params)
        if method in ("approveChatJoinRequest", "declineChatJoinRequest"):
            return self._settle_join_request(params, approve=method.startswith("approve"))
        return True

    def _chat(self, params: dict[str, str]) -> _Chat:
        chat = self._chats.get(int(params["chat_id"]))
        if chat is None:
            raise _Refused(bad_request("chat not found"))
        return chat

    def _settle_join_request(self, params: dict[str, str], *, approve: bool) -> bool:
        request = (int(params["chat_id"]), int(params["user_id"]))
        if request not in self.join_requests:
            raise _Refused(bad_request("HIDE_REQUESTER_MISSING"))
        self.join_requests.discard(request)
        if approve and request[0] in self._chats:
            self.add_member(*request)
        return True

    def _sent_message(self, params: dict[str, str]) -> JSONDict:
        chat_id = int(params["chat_id"])
        chat: JSONDict = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        if chat_id > 0:
            chat["first_name"] = "Parent"
        message: JSONDict = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.bot_user(),
            "text": params.get("text", ""),
        }
        if self.ephemeral and "ephemeral_message_parameters" in params:
            # Bot API 10.2: a message only its receiver sees, with its own kind of id.
            message["ephemeral_message_id"] = message.pop("message_id")
            message["receiver_user_id"] = json.loads(params["ephemeral_message_parameters"])[
                "receiver_user_id"
            ]
        markup = json.loads(params["reply_markup"]) if "reply_markup" in params else None
        number = int(message.get("message_id") or message["ephemeral_message_id"])
        self.sent.append(SentMessage(chat_id, message["text"], markup, number, time.monotonic()))
        return message

    def _edited_message(self, params: dict[str, str]) -> JSONDict:
        """editMessageText on a message the bot sent: the edited Message. Leaving out
        reply_markup removes an inline keyboard, as Telegram does."""
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        found = [
            i for i, m in enumerate(self.sent) if (m.chat_id, m.message_id) == (chat_id, message_id)
        ]
        if not found:
            raise _Refused(bad_request("message to edit not found"))
        old = self.sent[found[-1]]
        text = params.get("text", "")
        markup = json.loads(params["reply_markup"]) if "reply_markup" in params else None
        if text == old.text and markup == old.reply_markup:
            raise _Refused(
                bad_request(
                    "message is not modified: specified new message content and reply markup "
                    "are exactly the same as a current content and reply markup of the message"
                )
            )
        self.sent[found[-1]] = replace(old, text=text, reply_markup=markup)
        chat: JSONDict = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        if chat_id > 0:
            chat["first_name"] = "Parent"
        message: JSONDict = {
            "message_id": message_id,
            "date": int(time.time()),
            "edit_date": int(time.time()),
            "chat": chat,
            "from": self.bot_user(),
            "text": text,
        }
        if markup is not None:
            message["reply_markup"] = markup
        return message

    async def _get_updates(self, params: dict[str, str]) -> list[JSONDict]:
        offset = int(params.get("offset") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            async with self._changed:
                self._changed.notify_all()
        if not self._updates:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), POLL_WAIT)
            except TimeoutError:
                return []
        limit = int(params.get("limit") or 100)
        batch = self._updates[:limit]
        self.served.extend(u["update_id"] for u in batch)
        return batch


def _refusal(fault: Fault) -> web.Response:
    error = too_many_requests(fault.retry_after) if fault.kind == "429" else server_error()
    return web.json_response(error.body(), status=error.status)


class _Refused(Exception):
    def __init__(self, error: ApiError) -> None:
        super().__init__(error.description)
        self.error = error


async def _read_params(
    request: web.Request, files: dict[str, tuple[str, bytes]] | None = None
) -> dict[str, str]:
    """Form, multipart or JSON parameters, each value as the string sent on the wire; files
    uploaded go into `files` as (file name, content)."""
    params: dict[str, str] = {k: v for k, v in request.query.items()}
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            for key, value in body.items():
                params[key] = value if isinstance(value, str) else json.dumps(value)
        return params
    if request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, str):
                params[key] = value
            elif files is not None and isinstance(value, web.FileField):
                files[key] = (value.filename, value.file.read())
    return params
