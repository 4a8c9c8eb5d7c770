"""The links SLT contacts open once so that the bot may send them alerts.

A bot cannot start a private chat; the person must. `schoolgate telegram-link` prints these,
and the platform logs them at start.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Bot
from telegram import error as tg

from bot.config import Config, School

from .application import api_base_url, quiet_http_logs
from .errors import TOKEN_REJECTED
from .links import deep_link, onboarding_payload
from .mapping import PLATFORM


@dataclass(frozen=True, slots=True)
class OnboardingLink:
    school: School
    url: str
    contacts: tuple[str, ...]  # names of the school's SLT contacts with a Telegram id


async def onboarding_links(config: Config) -> list[OnboardingLink]:
    """One link per school; asks Telegram (getMe) for the bot's username."""
    if config.telegram is None:
        raise ValueError("the config has no 'telegram:' section")
    quiet_http_logs()
    settings = config.telegram
    token = settings.token.get_secret_value()
    bot = Bot(token, base_url=api_base_url(settings.base_url)) if settings.base_url else Bot(token)
    try:
        async with bot:
            username = bot.username
    except tg.InvalidToken:
        raise RuntimeError(TOKEN_REJECTED) from None
    return [
        OnboardingLink(
            school,
            deep_link(username, onboarding_payload(school)),
            tuple(c.name for c in school.slt if c.id_on(PLATFORM)),
        )
        for school in config.schools
    ]
