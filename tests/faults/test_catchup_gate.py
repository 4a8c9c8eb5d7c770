"""The gate that holds a chat's live messages while its history is caught up on: the core's
"last seen" can never move past a message it has not handled."""

from __future__ import annotations

import asyncio

from adapters.catchup_gate import CatchUpGate


class Arrivals:
    """Live messages handed to the gate as adapters do (at once, in arrival order), and what
    reached the core, in order."""

    def __init__(self, gate: CatchUpGate) -> None:
        self.gate = gate
        self.handled: list[tuple[str, float]] = []

    def arrive(self, chat: str, order: float) -> asyncio.Task[None]:
        async def hand_over() -> None:
            self.handled.append((chat, order))

        return asyncio.create_task(self.gate.handle(chat, order, hand_over))


async def test_live_messages_wait_for_the_catch_up_then_go_in_order() -> None:
    live = Arrivals(CatchUpGate(["a", "b"]))
    round_ = live.gate.hold_all()
    arrivals = [live.arrive("a", order) for order in (5.0, 3.0, 6.0, 7.0)]
    await asyncio.sleep(0.01)
    assert live.handled == []  # held while "a" is caught up on

    # The catch-up read the history up to 5 and handed those messages over itself.
    live.gate.release("a", round_, caught_up_to=5.0)
    await asyncio.gather(*arrivals)
    assert live.handled == [("a", 6.0), ("a", 7.0)]


async def test_an_edit_is_handed_over_even_if_its_message_was_caught_up_on() -> None:
    live = Arrivals(CatchUpGate(["a"]))
    round_ = live.gate.hold_all()
    done: list[str] = []

    async def edit() -> None:
        done.append("edit")

    held = asyncio.create_task(live.gate.handle("a", None, edit))
    live.gate.release("a", round_, caught_up_to=5.0)
    await held
    assert done == ["edit"]


async def test_a_chat_caught_up_does_not_wait_for_another() -> None:
    live = Arrivals(CatchUpGate(["a", "b"]))
    round_ = live.gate.hold_all()
    held = live.arrive("b", 1.0)
    live.gate.release("a", round_)
    await live.arrive("a", 2.0)
    assert live.handled == [("a", 2.0)]
    assert not held.done()
    live.gate.release("b", round_)
    await held
    assert live.handled == [("a", 2.0), ("b", 1.0)]


async def test_a_release_from_an_older_round_does_not_open_the_gate() -> None:
    live = Arrivals(CatchUpGate(["a"]))
    first = live.gate.hold_all()
    second = live.gate.hold_all()  # the session was lost during the first catch-up
    held = live.arrive("a", 1.0)
    live.gate.release("a", first)
    await asyncio.sleep(0.01)
    assert not held.done()
    assert not live.gate.is_open("a")
    live.gate.release("a", second)
    await held
    assert live.handled == [("a", 1.0)]


async def test_chats_that_are_not_moderated_are_not_held() -> None:
    live = Arrivals(CatchUpGate(["a"]))
    live.gate.hold_all()
    await live.arrive("elsewhere", 1.0)
    assert live.handled == [("elsewhere", 1.0)]
