"""Seeded fault injection for the loopback fake platforms.

A `FaultPlan` decides, call by call, whether a fake answers normally or fails the way a real
platform and network do: 429 with a retry-after, 500, a timeout (no answer until the client
gives up) or a dropped connection. A timeout or a drop comes in the two forms a real network
produces: the request never reached the platform, or the platform acted on it and only its
answer was lost. The second form is the one that can make a client send something twice.

Every fake consults its plan with a name for the call (a Bot API method, a Slack method, or
`POST /channels/{channel}/messages` for Discord) and counts what it injected.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

from aiohttp import web

FaultKind = Literal["429", "500", "timeout", "drop"]
KINDS: tuple[FaultKind, ...] = ("429", "500", "timeout", "drop")
# The most a held request waits for its client to give up, so that a fake always closes.
LONGEST_HOLD = 600.0

T = TypeVar("T")


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    acted: bool = False  # timeout and drop only: the platform carried out the call first
    retry_after: int = 1  # 429 only, in seconds

    @property
    def label(self) -> str:
        return f"{self.kind}{' after acting' if self.acted else ''}"


@dataclass
class _Forced:
    call: str
    fault: Fault
    times: int


def subject_to(
    calls: Mapping[str, Collection[FaultKind]],
) -> Callable[[str], tuple[FaultKind, ...]]:
    """A plan's `subject`: these calls may fail in these ways, no other call fails."""
    return lambda call: tuple(calls.get(call, ()))


class FaultPlan:
    """Which calls fail and how: `share` of the calls fail, each in a way drawn evenly from
    those `subject(call)` allows (every way, for every call, by default); a timeout or a drop
    acted first with probability `acted_share`.

    `force(call, fault)` fails the next matching call whatever the share (for focused tests).
    """

    def __init__(
        self,
        share: float = 0.0,
        *,
        seed: int = 0,
        acted_share: float = 0.5,
        retry_after: int = 1,
        subject: Callable[[str], Collection[FaultKind]] | None = None,
    ) -> None:
        self.share = share
        self.acted_share = acted_share
        self.retry_after = retry_after
        self.subject = subject or (lambda call: KINDS)
        self.injected: Counter[tuple[str, str]] = Counter()  # (call, fault label) -> times
        self.calls = 0  # calls the plan was asked about
        self._rng = random.Random(seed)
        self._forced: list[_Forced] = []

    def force(self, call: str, fault: Fault, *, times: int = 1) -> None:
        self._forced.append(_Forced(call, fault, times))

    def decide(self, call: str) -> Fault | None:
        self.calls += 1
        for forced in self._forced:
            if forced.times > 0 and forced.call == call:
                forced.times -= 1
                return self._count(call, forced.fault)
        kinds = tuple(self.subject(call))
        if self.share <= 0 or not kinds or self._rng.random() >= self.share:
            return None
        kind = self._rng.choice(kinds)
        acted = kind in ("timeout", "drop") and self._rng.random() < self.acted_share
        return self._count(call, Fault(kind, acted, self.retry_after))

    def _count(self, call: str, fault: Fault) -> Fault:
        self.injected[(call, fault.label)] += 1
        return fault

    def total(self, *, acted: bool | None = None) -> int:
        """Faults injected so far; `acted=True` counts only the lost answers."""
        return sum(
            n
            for (_, label), n in self.injected.items()
            if acted is None or label.endswith("after acting") == acted
        )


async def lose_answer(request: web.Request, fault: Fault) -> None:
    """A timeout holds the request until the client gives up; a drop closes the connection."""
    transport = request.transport
    if fault.kind == "drop":
        if transport is not None:
            transport.close()
        return
    waited = 0.0
    while transport is not None and not transport.is_closing() and waited < LONGEST_HOLD:
        await asyncio.sleep(0.05)
        waited += 0.05


async def apply(
    request: web.Request,
    fault: Fault,
    act: Callable[[], Awaitable[T]],
    refuse: Callable[[Fault], web.StreamResponse],
) -> web.StreamResponse:
    """Answer a call the plan chose to fail: `refuse` builds the 429 or 500 answer; for a
    timeout or a drop, `act` carries the call out first when the fault says it acted."""
    if fault.kind in ("429", "500"):
        return refuse(fault)
    if fault.acted:
        await act()
    await lose_answer(request, fault)
    return web.Response(status=504, text="the client gave up before this answer")
