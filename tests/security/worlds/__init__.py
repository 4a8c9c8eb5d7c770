"""The same two-school bot on each platform, for tests that must hold on every platform."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from .base import Flagged, Outcome, World
from .discord_world import discord_world
from .local_world import local_world
from .slack_world import slack_world
from .telegram_world import telegram_world

__all__ = ["OPEN_WORLD", "Flagged", "Outcome", "World"]

OPEN_WORLD: dict[str, Callable[[Path], AbstractAsyncContextManager[World]]] = {
    "telegram": telegram_world,
    "discord": discord_world,
    "slack": slack_world,
    "local": local_world,
}
