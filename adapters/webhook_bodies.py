"""Webhook bodies the bot cannot read: answered 400 in one log line, never a 500 and a traceback.

A platform sends a request again after a 5xx, so an unreadable body (JSON nested deeper than the
parser goes, bytes that are not UTF-8) would come back for as long as it keeps failing. 400 says
"do not send this again". Telegram's updates are JSON; Slack's are JSON, or a form whose
`payload` field is JSON.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

log = logging.getLogger(__name__)


def read_json(body: bytes) -> object:
    """The body's JSON; ValueError with a plain reason when it cannot be read."""
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("not UTF-8") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except ValueError:
        raise ValueError("not JSON") from None


def unreadable(body: bytes, content_type: str) -> str:
    """Why a Slack request's body cannot be read, or "" when it can."""
    try:
        if content_type == "application/x-www-form-urlencoded":
            fields = parse_qs(body.decode("utf-8"))
            for payload in fields.get("payload", []):
                read_json(payload.encode())
        elif content_type == "application/json":
            read_json(body)
    except UnicodeDecodeError:
        return "not UTF-8"
    except ValueError as exc:
        return str(exc)
    return ""


def refuse_unreadable(platform: str) -> Middleware:
    """aiohttp middleware answering 400 to a request whose body cannot be read."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "POST":
            problem = unreadable(await request.read(), request.content_type)
            if problem:
                log.warning("%s: refused a webhook request whose body is %s", platform, problem)
                return web.Response(status=400, text=f"unreadable body: {problem}")
        return await handler(request)

    return middleware
