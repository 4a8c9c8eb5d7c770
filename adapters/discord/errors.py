"""Discord's errors in the outbox's terms.

discord.py already waits out 429s and retries 5xx a few times. What still fails becomes:
a long rate limit -> `RetryAfter`; no rights, unknown channel, a bad request, or a message
discord.py itself refuses to build (more than 25 buttons) -> `PermanentFailure` with a plain
reason, since sending it again cannot succeed; anything else (5xx, network) is left to
propagate, so the outbox retries it with back-off.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import discord

from bot.model import PermanentFailure, RetryAfter

CANNOT_DM = 50007  # "Cannot send messages to this user": server DMs are off
UNKNOWN_MESSAGE = 10008
_DEFAULT_WAIT = 5.0


@contextmanager
def delivery_errors(doing: str) -> Iterator[None]:
    """Translate the errors of `doing` ("deleting the message", ...) for the outbox."""
    try:
        yield
    except ValueError as exc:  # raised before any request is made: the same input fails again
        raise PermanentFailure(f"Discord cannot accept {doing}: {exc}") from exc
    except discord.RateLimited as exc:
        raise RetryAfter(exc.retry_after) from exc
    except discord.Forbidden as exc:
        raise PermanentFailure(f"Discord refused {doing}: {_said(exc)}") from exc
    except discord.NotFound as exc:
        raise PermanentFailure(f"{doing} failed, Discord does not know it: {_said(exc)}") from exc
    except discord.HTTPException as exc:
        if exc.status == 429:
            raise RetryAfter(_retry_after(exc)) from exc
        if exc.status < 500:
            raise PermanentFailure(f"Discord rejected {doing}: {_said(exc)}") from exc
        raise


def _said(exc: discord.HTTPException) -> str:
    return f"{exc.text or exc.status} (code {exc.code})"


def _retry_after(exc: discord.HTTPException) -> float:
    header = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return float(header) if header else _DEFAULT_WAIT
    except ValueError:
        return _DEFAULT_WAIT
