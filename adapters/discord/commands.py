"""The slash commands, synced to each guild that holds a moderated channel.

No `default_permissions`: SLT are often ordinary members of the server, and Discord's hint
would hide the commands from them. Who may close or reopen is the core's decision.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from adapters.discord.interactions import run_command
from bot.model import CommandName

log = logging.getLogger(__name__)


def command_tree(client: discord.Client) -> app_commands.CommandTree[Any]:
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)

    @tree.command(name="close", description="Close this chat (SLT; admins in an emergency)")
    @app_commands.describe(reason="Why the chat is being closed; shown in the closing notice")
    async def close(interaction: discord.Interaction[Any], reason: str = "") -> None:
        await run_command(interaction, CommandName.CLOSE, reason)

    @tree.command(name="reopen", description="Reopen this chat (SLT)")
    @app_commands.describe(reason="Why the chat is reopened; kept for the term report")
    async def reopen(interaction: discord.Interaction[Any], reason: str = "") -> None:
        await run_command(interaction, CommandName.REOPEN, reason)

    @tree.command(name="status", description="Is this chat open, and who closed it (SLT, admins)")
    async def status(interaction: discord.Interaction[Any]) -> None:
        await run_command(interaction, CommandName.STATUS, "")

    @tree.command(name="rules", description="The school's code of conduct for this chat")
    async def rules(interaction: discord.Interaction[Any]) -> None:
        await run_command(interaction, CommandName.RULES, "")

    @tree.command(name="privacy", description="What the bot keeps about messages, and for how long")
    async def privacy(interaction: discord.Interaction[Any]) -> None:
        await run_command(interaction, CommandName.PRIVACY, "")

    @tree.command(name="help", description="The commands you can use here")
    async def help_(interaction: discord.Interaction[Any]) -> None:
        await run_command(interaction, CommandName.HELP, "")

    @tree.command(name="incidents", description="Every open incident of the school (SLT)")
    @app_commands.describe(days="How many days back (default 7)")
    async def incidents(interaction: discord.Interaction[Any], days: int | None = None) -> None:
        await run_command(interaction, CommandName.INCIDENTS, "" if days is None else str(days))

    @tree.command(name="incident", description="One incident and its history (SLT)")
    @app_commands.describe(number="The incident's number, as /incidents lists it")
    async def incident(interaction: discord.Interaction[Any], number: int) -> None:
        await run_command(interaction, CommandName.INCIDENT, str(number))

    del close, reopen, status, rules, privacy, help_, incidents, incident  # on the tree
    return tree


async def sync_to(tree: app_commands.CommandTree[Any], guild_ids: set[int]) -> None:
    """Register the commands in each guild (guild commands appear at once; global ones
    can take an hour)."""
    for guild_id in sorted(guild_ids):
        guild = discord.Object(guild_id)
        tree.copy_global_to(guild=guild)
        try:
            synced = await tree.sync(guild=guild)
        except discord.HTTPException as exc:
            log.error(
                "could not register the slash commands in server %s (%s %s): invite the bot "
                "with the applications.commands scope (docs/discord.md)",
                guild_id,
                exc.status,
                exc.text,
            )
        else:
            log.info("registered %d slash commands in server %s", len(synced), guild_id)
