"""Messages any parents' chat sees every day (bot/data/everyday.yaml). A school's own rule that
flags one of them would remind every parent who asks about PE kit, so the config refuses it."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from rules.custom import CustomRule, CustomRules
from rules.lexicon import normaliser


@cache
def everyday_messages() -> tuple[str, ...]:
    text = resources.files("bot").joinpath("data/everyday.yaml").read_text(encoding="utf-8")
    messages = yaml.safe_load(text)
    if not isinstance(messages, list) or not all(isinstance(m, str) for m in messages):
        raise RuntimeError("bot/data/everyday.yaml is not a list of messages")
    return tuple(messages)


def everyday_messages_matched(rule: CustomRule) -> list[str]:
    """The everyday messages the rule would flag, matched as the rules core matches."""
    compiled = CustomRules.build([rule])
    normalise = normaliser()
    return [m for m in everyday_messages() if compiled.find(normalise(m).text)]
