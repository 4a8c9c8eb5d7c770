"""Buttons on alerts and welcomes that keep working after a restart.

Every button is a `DynamicItem` whose `custom_id` is the core's `Button.data`
(`sg:<action>:<key>`). The client registers the class in `setup_hook`, so a press on any
message the bot ever sent is routed by its custom id alone: no view has to be in memory.
"""

from __future__ import annotations

import re
from typing import Any, Self

import discord

from adapters.discord.interactions import run_press
from bot.model import BUTTON_PREFIX, Button, ButtonAction, decode_button

_STYLES = {
    ButtonAction.DISMISS: discord.ButtonStyle.secondary,
    ButtonAction.DELETE: discord.ButtonStyle.danger,
    ButtonAction.CLOSE: discord.ButtonStyle.danger,
    ButtonAction.ACK: discord.ButtonStyle.success,
}
_ACTIONS = "|".join(re.escape(a.value) for a in ButtonAction)
TEMPLATE = re.compile(rf"{re.escape(BUTTON_PREFIX)}:(?:{_ACTIONS}):.+")


class CoreButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=TEMPLATE,
):
    def __init__(self, button: Button) -> None:
        super().__init__(
            discord.ui.Button(
                label=button.label, custom_id=button.data, style=_STYLES[button.action]
            )
        )
        self.action = button.action
        self.key = button.key

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        decoded = decode_button(match.string)
        if decoded is None:  # the template only matches our own ids
            raise ValueError(f"not a schoolgate button: {match.string!r}")
        action, key = decoded
        label = getattr(item, "label", None) or action.value
        return cls(Button(action, key, label))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await run_press(interaction, self.action, self.key)


def view_of(buttons: tuple[Button, ...]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(CoreButton(button))
    return view
