"""Discord adapter: moderates a school's parent servers with discord.py."""

from adapters.discord.platform import DiscordPlatform

__all__ = ["DiscordPlatform"]
