"""Slash commands and button presses: hand them to the core, show its reply to the caller.

Discord drops an interaction that is not answered within 3 seconds. The core normally answers
at once; when it does not, the interaction is deferred (an ephemeral "thinking...") and the
reply follows up. Authorisation is the core's: it gets the caller with their role ids.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import discord

from adapters.discord.chats import ConfiguredChats
from adapters.discord.events import user_ref
from bot.model import ButtonAction, ButtonPress, ChatRef, Command, CommandName, Reply
from bot.platform import EventSink

log = logging.getLogger(__name__)

ANSWER_WITHIN = 2.0  # seconds; Discord allows 3 for the first response
SORRY = Reply("Sorry, that did not work. Please try again in a minute.")
NOT_HERE = Reply("This command works in the class chats the bot looks after.")


@dataclass
class CoreLink:
    """What interaction handlers need; the client carries it as `client.link`."""

    chats: ConfiguredChats
    events: EventSink | None = None


def _core(interaction: discord.Interaction[Any]) -> tuple[EventSink, ConfiguredChats] | None:
    link = getattr(interaction.client, "link", None)
    if isinstance(link, CoreLink) and link.events is not None:
        return link.events, link.chats
    return None


def where(interaction: discord.Interaction[Any], chats: ConfiguredChats) -> ChatRef | None:
    """The chat an interaction came from; None in a DM."""
    channel = interaction.channel
    if channel is None or interaction.guild_id is None:
        return None
    return chats.ref_of(channel) or chats.ref(channel.id, getattr(channel, "name", ""))


async def run_command(interaction: discord.Interaction[Any], name: CommandName, args: str) -> None:
    core = _core(interaction)
    chat = where(interaction, core[1]) if core else None
    if core is None or chat is None:
        await _show(interaction, NOT_HERE)
        return
    events, _ = core
    await answer(
        interaction,
        events.on_command(Command(name, chat, user_ref(interaction.user), args.strip())),
    )


async def run_press(interaction: discord.Interaction[Any], action: ButtonAction, key: str) -> None:
    core = _core(interaction)
    if core is None:
        await _show(interaction, SORRY)
        return
    events, chats = core
    press = ButtonPress(action, key, user_ref(interaction.user), where(interaction, chats))
    log.info("button %s for %s pressed by user %s", action.value, key, interaction.user.id)
    await answer(interaction, events.on_button(press), private=True)


async def answer(
    interaction: discord.Interaction[Any], work: Awaitable[Reply], *, private: bool | None = None
) -> None:
    """Show the core's reply, deferring first if it is slow to come."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=ANSWER_WITHIN)
    if not done:
        await _defer(interaction)
    try:
        reply = await task
    except Exception:
        log.exception("the core failed on an interaction")
        reply = SORRY
    if private is not None:
        reply = Reply(reply.text, private)
    await _show(interaction, reply)


async def _defer(interaction: discord.Interaction[Any]) -> None:
    try:
        await interaction.response.defer(ephemeral=True, thinking=True)
    except discord.HTTPException as exc:
        log.warning("could not defer interaction %s: %s", interaction.id, exc.status)


async def _show(interaction: discord.Interaction[Any], reply: Reply) -> None:
    try:
        if interaction.response.is_done():
            await interaction.followup.send(reply.text, ephemeral=True)
        else:
            await interaction.response.send_message(reply.text, ephemeral=reply.private)
    except discord.HTTPException as exc:
        # Usually 10062 "Unknown interaction": the 3 seconds had passed.
        log.warning("could not answer interaction %s: %s", interaction.id, exc.status)
