"""The short soak: the bot as its own process on all three platforms at once, a share of its
calls failing, killed with SIGKILL once and restarted; counted at the fake platforms.
(`make soak` runs the full one: 10,000 messages, two kills.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak import SCHOOLGATE, SoakSettings, run_soak


@pytest.mark.skipif(not SCHOOLGATE.exists(), reason="the schoolgate command is not installed")
async def test_a_short_soak_loses_nothing_and_sends_nothing_twice_where_the_platform_can_tell(
    tmp_path: Path,
) -> None:
    result = await run_soak(
        SoakSettings(
            messages=1000,
            chats=24,
            kills=1,
            seed=11,
            faults=0.2,
            rate=100.0,
            delivery_timeout=2.0,
            retry_delay=0.2,
            settle_limit=120.0,
            workdir=tmp_path,
        )
    )
    total = result.total
    assert total.flagged > 100  # about 15% of the messages, as the rules core judged them
    assert total.faults > 50  # the fakes did fail the bot's calls
    assert len(result.kills) == 1
    assert (result.crashes, result.tracebacks) == (0, 0)
    # Every flagged message: one reminder and one alert delivered; nothing for the others.
    assert (total.reminded, total.alerted) == (total.flagged, total.flagged)
    assert (total.lost, total.stray) == (0, 0)
    # Discord (enforced nonce) and Slack (metadata in history) confirm before resending.
    assert result.counts["discord"].duplicates == 0
    assert result.counts["slack"].duplicates == 0
    # Telegram cannot be asked: a duplicate there only ever follows a resend the bot counted.
    telegram = result.counts["telegram"]
    assert telegram.duplicates <= telegram.blind_resends
