"""Telegram's errors in the outbox's terms.

429 becomes `RetryAfter` with Telegram's delay; refusals that retrying cannot fix (403, most
400s, a group that became a supergroup) become `PermanentFailure` with a plain reason. Network
errors and timeouts propagate unchanged: the outbox treats them as transient and retries.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from telegram import error as tg

from bot.model import PermanentFailure, RetryAfter

TOKEN_REJECTED = "Telegram rejected the bot token in telegram.token: copy it again from @BotFather"


def retry_seconds(exc: tg.RetryAfter) -> float:
    # PTB 22 returns int or timedelta depending on PTB_TIMEDELTA; accept both, quietly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def describe(exc: tg.TelegramError) -> str:
    return exc.message.removeprefix("Forbidden: ").removeprefix("Bad Request: ")


@contextmanager
def delivery_errors(what: str) -> Iterator[None]:
    """Translate errors raised inside the block; `what` starts the reason, e.g. "DM to 555"."""
    try:
        yield
    except tg.RetryAfter as exc:
        raise RetryAfter(retry_seconds(exc)) from exc
    except tg.ChatMigrated as exc:
        raise PermanentFailure(
            f"{what}: the group was upgraded to a supergroup with id {exc.new_chat_id}; "
            "put that id in the config"
        ) from exc
    except (tg.Forbidden, tg.BadRequest) as exc:
        raise PermanentFailure(f"{what}: Telegram refused: {describe(exc)}") from exc
