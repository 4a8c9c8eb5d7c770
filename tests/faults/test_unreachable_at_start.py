"""`schoolgate run` as its own process, started while Telegram's API refuses connections (as
before a school's network is up): Discord and Slack moderate from the start, /healthz says which
platform is still connecting, and Telegram joins once its server comes up, 20 seconds later.
The process exits only when told to, or when a platform rejects its token."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from adapters.telegram.errors import TOKEN_REJECTED
from tests.fakes.telegram_api import ApiError
from tests.faults.conftest import ABUSIVE
from tests.faults.worlds import (
    DiscordWorld,
    SlackWorld,
    TelegramWorld,
    World,
    render_config,
    schools,
)

SCHOOLGATE = (sys.executable, "-c", "from bot.cli import main; raise SystemExit(main())")
REPO = Path(__file__).resolve().parents[2]
TELEGRAM_DOWN_FOR = 20.0  # seconds Telegram's server refuses connections after the bot starts
# Upper bounds for a cold start on a busy machine, so a broken test fails instead of hanging.
WAIT_LIMIT = 120.0
HEALTH = re.compile(r"health check at (http://\S+/healthz)")


def refusing_port() -> socket.socket:
    """A loopback port that refuses connections: bound, so nothing else takes it, but not
    listening. Closing the socket frees the port for the fake to listen on."""
    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    held.bind(("127.0.0.1", 0))
    return held


async def until(condition: Callable[[], bool], what: str, bot: Bot) -> None:
    """Polled: the fakes and the process share no event to wait on."""
    try:
        async with asyncio.timeout(WAIT_LIMIT):
            while not condition():
                if bot.process.returncode is not None:
                    raise AssertionError(f"the bot exited before {what}:\n{bot.log()[-3000:]}")
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"never saw {what}:\n{bot.log()[-3000:]}") from None


class Bot:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        assert process.stderr is not None
        self._reading = asyncio.create_task(self._read(process.stderr))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        async for line in stream:
            self.lines.append(line.decode(errors="replace").rstrip("\n"))

    def log(self) -> str:
        return "\n".join(self.lines)

    def health_url(self) -> str | None:
        found = HEALTH.search(self.log())
        return found.group(1) if found else None

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), WAIT_LIMIT)
        await self._reading
        return code


@asynccontextmanager
async def schoolgate_run(config: Path, env: dict[str, str]) -> AsyncIterator[Bot]:
    process = await asyncio.create_subprocess_exec(
        *SCHOOLGATE,
        "run",
        "--config",
        str(config),
        "--init",
        cwd=REPO,
        env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
        stderr=asyncio.subprocess.PIPE,
    )
    bot = Bot(process)
    try:
        yield bot
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def health(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return answer.status, json.loads(await answer.text())


async def test_the_other_platforms_moderate_while_one_is_unreachable_and_it_joins_later(
    tmp_path: Path,
) -> None:
    telegram, discord, slack = TelegramWorld(), DiscordWorld(), SlackWorld()
    worlds: list[World] = [telegram, discord, slack]
    held = refusing_port()
    telegram.fake.port = held.getsockname()[1]  # the config names it; nothing answers yet
    await discord.start()
    await slack.start()
    school = schools()[0]
    people: dict[str, tuple[str, str]] = {}  # platform -> (chat, parent)
    for world in worlds:
        chat = world.add_chat("Year 4 parents")
        people[world.name] = (chat, world.add_person("Dawn"))
        school.slt[world.name] = world.add_person("Ms Okafor")
        school.chats.append((world.name, chat, "Year 4 parents"))
    config = tmp_path / "school.yaml"
    config.write_text(
        render_config(
            [school], worlds, database=tmp_path / "db.sqlite3", delivery_timeout=5, retry_delay=1
        )
        + "connect: {retry_delay: 1, max_retry_delay: 4}\nhealth: {port: 0}\n",
        encoding="utf-8",
    )
    env = {k: v for world in worlds for k, v in world.env.items()}

    def reminded(world: World) -> bool:
        parent = people[world.name][1]
        return any(s.dm and s.to == parent for s in world.sent())

    def alerted(world: World) -> bool:
        slt = school.slt[world.name]
        return any(s.dm and s.to == slt for s in world.sent())

    def acted(world: World) -> Callable[[], bool]:
        return lambda: reminded(world) and alerted(world)

    try:
        loop = asyncio.get_running_loop()
        async with schoolgate_run(config, env) as bot:
            began = loop.time()
            for world in (discord, slack):
                await until(world.connected, f"{world.name} connected", bot)
                await world.post(*people[world.name], ABUSIVE)
            for world in (discord, slack):
                await until(acted(world), f"{world.name} acted", bot)
            url = bot.health_url()
            assert url is not None, bot.log()
            status, report = await health(url)
            assert telegram.fake.calls_to("getMe") == []  # nothing could reach it yet
            assert status == 503
            assert {n: p["connected"] for n, p in report["platforms"].items()} == {
                "telegram": False,
                "discord": True,
                "slack": True,
            }
            assert "Connect" in report["platforms"]["telegram"]["error"]

            await asyncio.sleep(max(0.0, began + TELEGRAM_DOWN_FOR - loop.time()))
            held.close()
            await telegram.start(port=telegram.fake.port)
            await until(telegram.connected, "telegram connected", bot)
            await telegram.post(*people["telegram"], ABUSIVE)
            await until(acted(telegram), "telegram acted", bot)
            status, report = await health(url)
            assert status == 200
            assert report["status"] == "ok"
            assert report["platforms"]["telegram"]["attempts"] > 1

            assert await bot.stop() == 0
    finally:
        held.close()
        for world in worlds:
            await world.close()

    attempts = [line for line in bot.lines if "telegram could not connect (attempt" in line]
    assert len(attempts) == report["platforms"]["telegram"]["attempts"] - 1
    assert all("trying again in" in line for line in attempts)
    assert "Traceback" not in bot.log()


async def test_a_token_the_platform_rejects_stops_run_with_status_2_and_the_reason(
    tmp_path: Path,
) -> None:
    """The one start-up failure no wait can fix: `run` exits (a supervisor must not restart it)
    with the reason in its last line, even though the other platform was working."""
    telegram, slack = TelegramWorld(), SlackWorld()
    telegram.fake.fail("getMe", ApiError(401, "Unauthorized"), times=None)
    worlds: list[World] = [telegram, slack]
    for world in worlds:
        await world.start()
    school = schools()[0]
    for world in worlds:
        chat = world.add_chat("Year 4 parents")
        school.slt[world.name] = world.add_person("Ms Okafor")
        school.chats.append((world.name, chat, "Year 4 parents"))
    config = tmp_path / "school.yaml"
    config.write_text(
        render_config(
            [school], worlds, database=tmp_path / "db.sqlite3", delivery_timeout=5, retry_delay=1
        ),
        encoding="utf-8",
    )
    env = {k: v for world in worlds for k, v in world.env.items()}
    try:
        async with schoolgate_run(config, env) as bot:
            code = await asyncio.wait_for(bot.process.wait(), WAIT_LIMIT)
            await bot.stop()
    finally:
        for world in worlds:
            await world.close()

    assert code == 2, bot.log()[-3000:]
    assert bot.lines[-1] == f"schoolgate: {TOKEN_REJECTED}"
    assert "Traceback" not in bot.log()
