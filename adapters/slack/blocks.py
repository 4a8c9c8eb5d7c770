"""Block Kit rendering: the core's plain text and buttons as Slack message blocks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.model import Button, ButtonAction

Block = dict[str, Any]

SECTION_LIMIT = 3000  # characters in one section's text
BUTTON_LABEL_LIMIT = 75

_STYLES = {ButtonAction.DELETE: "danger", ButtonAction.CLOSE: "danger", ButtonAction.ACK: "primary"}


def escape(text: str) -> str:
    """Slack's mrkdwn control characters, so quoted words cannot form mentions or links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sections(text: str) -> list[Block]:
    """The text as section blocks, split at line ends where a section would be too long."""
    blocks: list[Block] = []
    chunk = ""
    for line in escape(text).splitlines(keepends=True):
        while len(line) > SECTION_LIMIT:  # one very long line: cut it
            if chunk:
                blocks.append(_section(chunk))
                chunk = ""
            blocks.append(_section(line[:SECTION_LIMIT]))
            line = line[SECTION_LIMIT:]
        if len(chunk) + len(line) > SECTION_LIMIT:
            blocks.append(_section(chunk))
            chunk = ""
        chunk += line
    if chunk.strip():
        blocks.append(_section(chunk))
    return blocks


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text.rstrip("\n") or " "}}


def button_row(buttons: Sequence[Button]) -> Block:
    """One actions block; each button's action_id and value are its `Button.data`."""
    elements: list[Block] = []
    for button in buttons:
        element: Block = {
            "type": "button",
            "action_id": button.data,
            "value": button.data,
            "text": {"type": "plain_text", "text": button.label[:BUTTON_LABEL_LIMIT]},
        }
        style = _STYLES.get(button.action)
        if style:
            element["style"] = style
        elements.append(element)
    return {"type": "actions", "elements": elements}


def message_blocks(
    text: str, buttons: Sequence[Button] = (), *, urgent: bool = False
) -> list[Block]:
    blocks: list[Block] = []
    if urgent:
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": "Urgent"}})
    blocks.extend(sections(text))
    if buttons:
        blocks.append(button_row(buttons))
    return blocks
