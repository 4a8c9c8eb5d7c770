"""The command menu Telegram shows. Scopes only change the menu: anyone can still type
/close, so the core checks every caller's role (bot/roles.py)."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllChatAdministrators
from telegram import error as tg

from bot.model import CommandName

from .errors import describe

log = logging.getLogger(__name__)

EVERYONE = (
    BotCommand(CommandName.RULES.value, "The school's code of conduct for this chat"),
    BotCommand(CommandName.PRIVACY.value, "What the bot keeps, and for how long"),
    BotCommand(CommandName.HELP.value, "The commands you can use here"),
)
ADMINS = (
    BotCommand(CommandName.CLOSE.value, "Close the chat: /close reason"),
    BotCommand(CommandName.REOPEN.value, "Reopen the chat"),
    BotCommand(CommandName.STATUS.value, "Is the chat open, and who closed it"),
    *EVERYONE,
)


async def register_menu(bot: Bot) -> None:
    try:
        await bot.set_my_commands(EVERYONE)
        await bot.set_my_commands(ADMINS, scope=BotCommandScopeAllChatAdministrators())
    except tg.TelegramError as exc:
        log.warning("Telegram: could not set the command menu (%s)", describe(exc))
