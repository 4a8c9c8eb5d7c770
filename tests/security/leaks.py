"""Sentinels for checking logs: secrets and clean messages with parts no log line could contain
by chance, and the check itself. Usable on any captured log text, in-process (caplog) or from a
`schoolgate run` subprocess's output."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Environment variable -> secret. Each holds a distinctive alphanumeric core, which survives
# URL-, JSON- and repr-encoding unchanged, so an encoded copy is caught too.
SECRETS: Mapping[str, str] = {
    "SG_TELEGRAM_TOKEN": "7000001:SGtgTOKENq7XvR2",
    "SG_TELEGRAM_WEBHOOK_SECRET": "SGtgWEBHOOKk4Lp9",
    "SG_DISCORD_TOKEN": "SGdcTOKENm2Zt8.GhJ.x",
    "SG_SLACK_BOT_TOKEN": "xoxb-SGslBOTn6Wq3",
    "SG_SLACK_APP_TOKEN": "xapp-1-SGslAPPr5Dk1",
    "SG_SLACK_SIGNING_SECRET": "SGslSIGNINGs9Fy4",
    "SG_SLACK_USER_TOKEN": "xoxp-SGslUSERt3Hv7",
}
SECRET_CORES = tuple(max(re.findall(r"[A-Za-z0-9]+", s), key=len) for s in SECRETS.values())


def clean_text(tag: str) -> str:
    """A message the rules pass, carrying a word found nowhere else: `clean_word(tag)`."""
    return f"Has anyone seen a blue lunchbox with {clean_word(tag)} written on the lid?"


def clean_word(tag: str) -> str:
    return f"plinthowl{tag}"


def leaks(log_text: str, needles: Iterable[str]) -> list[str]:
    """The needles found in the log text (an empty list when nothing leaked)."""
    return [needle for needle in needles if needle in log_text]
