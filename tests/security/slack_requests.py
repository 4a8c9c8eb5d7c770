"""Slack requests as Slack sends them in HTTP mode: a body and its signature headers."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from tests.adapters.slack.test_http_mode import SECRET


@dataclass(frozen=True)
class Signed:
    """One request exactly as it goes on the wire: the body and its headers."""

    body: str
    headers: dict[str, str]


def sign(body: str, content_type: str, *, secret: str = SECRET, age: int = 0) -> Signed:
    timestamp = str(int(time.time()) - age)
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }
    return Signed(body, headers)


def event(payload: dict[str, Any], **kw: Any) -> Signed:
    return sign(json.dumps(payload), "application/json", **kw)


def form(fields: dict[str, str], **kw: Any) -> Signed:
    return sign(urlencode(fields), "application/x-www-form-urlencoded", **kw)


def interactive(payload: dict[str, Any], **kw: Any) -> Signed:
    return form({"payload": json.dumps(payload)}, **kw)


async def send(url: str, request: Signed) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=request.body, headers=request.headers) as response,
    ):
        return response.status
