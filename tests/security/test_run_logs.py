"""`schoolgate run --log-level DEBUG` as its own process: the scrubbing is installed by the app
itself, before any adapter is built, so its log output holds no secret and no word of a
message that was not flagged. The soak runs the bot the same way and checks its output with
`tests.security.leaks`."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.adapters.telegram import builders as tg
from tests.fakes.telegram_api import FakeTelegramApi

from .leaks import SECRET_CORES, SECRETS, clean_text, clean_word, leaks

REPO = Path(__file__).resolve().parents[2]
# The console script's entry point, run by this interpreter whether or not it is installed.
SCHOOLGATE = (sys.executable, "-c", "from bot.cli import main; raise SystemExit(main())")
STARTS_WITHIN = 60.0  # seconds: an upper bound for a cold start, never a measure of speed


def config_text(fake: FakeTelegramApi, storage: Path) -> str:
    return f"""
storage:
  path: {storage}
policy:
  escalation: {{alert_after: 1}}
telegram:
  token: ${{SG_TELEGRAM_TOKEN}}
  base_url: {fake.base_url}
  webhook:  # not used while polling, but a secret all the same
    url: https://bot.example.org/telegram
    secret_token: ${{SG_TELEGRAM_WEBHOOK_SECRET}}
schools:
  - id: riverside
    name: Riverside Primary School
    slt:
      - {{name: Ms Okafor, telegram: {tg.SLT}}}
    chats:
      - {{platform: telegram, id: "{tg.CHAT}", name: Year 4 parents}}
"""


async def test_schoolgate_run_at_debug_logs_no_secret_and_no_unflagged_text(
    telegram_with_sentinel_token: FakeTelegramApi, tmp_path: Path
) -> None:
    fake = telegram_with_sentinel_token
    config = tmp_path / "schoolgate.yaml"
    config.write_text(config_text(fake, tmp_path / "db.sqlite3"), encoding="utf-8")
    bot = await asyncio.create_subprocess_exec(
        *SCHOOLGATE,
        *("run", "--config", str(config), "--init", "--log-level", "DEBUG"),
        cwd=REPO,
        env={**os.environ, **SECRETS},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for("getUpdates", within=STARTS_WITHIN)
        fake.push_update(tg.message(tg.CHAT, tg.PARENT, clean_text("run1")))
        fake.push_update(tg.message(tg.CHAT, tg.PARENT, tg.ABUSIVE))
        fake.push_update(tg.command(tg.CHAT, tg.SLT, "/status"))
        await fake.wait_for("sendMessage", 2, chat_id=tg.SLT)  # the alert, the answer to /status
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(bot.communicate(), STARTS_WITHIN)
    log = err.decode()

    assert bot.returncode == 0, log[-2000:]
    assert " DEBUG telegram" in log  # the SDK was heard at DEBUG
    assert leaks(log, SECRETS.values()) == []
    assert leaks(log, SECRET_CORES) == []
    assert leaks(log, [clean_word("run1")]) == []
