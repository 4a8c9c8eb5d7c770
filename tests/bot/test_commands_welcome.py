"""Accepting the code on a welcome: the core says which chat's code the person accepted, from
the stored welcome, so that a platform holding them at a join gate can let them in, even after
a restart."""

from __future__ import annotations

from bot.config import Config
from bot.model import Button

from .conftest import CHAT, OTHER_PARENT, PARENT, StartApp


async def welcome_button(running: StartApp, config: Config) -> Button:
    async with running(config) as (app, local):
        await local.join(CHAT, PARENT)
        await app.drain()
        [welcome] = [s for s in local.seen_by(PARENT.user_id) if s.kind == "welcome"]
        [button] = welcome.buttons
        return button


async def test_the_person_welcomed_is_told_which_chat_they_accepted_after_a_restart(
    config: Config, running: StartApp
) -> None:
    button = await welcome_button(running, config)

    async with running(config) as (app, local):  # a new process on the same database
        reply = await local.press(button, PARENT)
        acknowledgements = await app.store.acknowledgements()

    assert reply.accepted_in is not None
    assert (reply.accepted_in.platform, reply.accepted_in.chat_id) == ("local", CHAT)
    assert [(a.user_id, a.chat_id) for a in acknowledgements] == [(PARENT.user_id, CHAT)]


async def test_someone_else_pressing_a_welcome_is_let_in_nowhere(
    config: Config, running: StartApp
) -> None:
    button = await welcome_button(running, config)

    async with running(config) as (_, local):
        reply = await local.press(button, OTHER_PARENT)
        unknown = await local.press("sg:ack:w-unknown", PARENT)

    assert "Thank you" in reply.text  # their own acceptance still counts
    assert reply.accepted_in is None
    assert unknown.accepted_in is None
