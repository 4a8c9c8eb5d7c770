"""What WhatsApp writes in a chat export in one language, read from `data/<code>.yaml`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml


@dataclass(frozen=True, slots=True)
class Patterns:
    """Patterns matched against a whole text, behind one search for the words each needs, so
    that most texts are cleared by one call."""

    patterns: tuple[re.Pattern[str], ...]
    hint: re.Pattern[str]

    @classmethod
    def compile(cls, patterns: list[str]) -> Patterns:
        return cls(tuple(re.compile(p) for p in patterns), _search(_required_words(patterns)))

    def match(self, text: str) -> re.Match[str] | None:
        if self.hint.search(text) is None:
            return None
        for pattern in self.patterns:
            found = pattern.fullmatch(text)
            if found is not None:
                return found
        return None


@dataclass(frozen=True, slots=True)
class Language:
    name: str
    # WhatsApp's own lines; an `actor` group, where a pattern has one, is who acted, and a
    # `subject` group the name the group was given.
    system: Patterns
    media: Patterns  # a `file` group names the attached file
    deleted: Patterns
    edited: str
    export_names: tuple[re.Pattern[str], ...]
    # A search for every word any system line, placeholder or deletion needs: a text it does
    # not find is plainly a message.
    wording: re.Pattern[str]

    def chat_name(self, file_stem: str) -> str | None:
        for pattern in self.export_names:
            found = pattern.fullmatch(file_stem)
            if found is not None:
                return found.group("chat").strip() or None
        return None


def _required_words(patterns: list[str]) -> set[str]:
    """The longest word each pattern always needs (outside any group)."""
    words = set()
    for pattern in patterns:
        literal = re.sub(r"\\.|\[[^\]]*\]", " ", pattern)
        while True:
            shorter = re.sub(r"\([^()]*\)[?*+]?", " ", literal)
            if shorter == literal:
                break
            literal = shorter
        required = re.findall(r"[\w'-]+", literal)
        if not required:
            raise ValueError(f"pattern {pattern!r} needs a word outside any group")
        words.add(max(required, key=len))
    return words


def _search(words: set[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in sorted(words)))


@cache
def language(code: str = "en") -> Language:
    raw = yaml.safe_load(
        resources.files("bot.whatsapp").joinpath("data", f"{code}.yaml").read_text("utf-8")
    )
    return Language(
        name=str(raw["language"]),
        system=Patterns.compile(raw["system"]),
        media=Patterns.compile(raw["media"]),
        deleted=Patterns.compile(raw["deleted"]),
        edited=str(raw["edited"]),
        export_names=tuple(re.compile(p) for p in raw["export_names"]),
        wording=_search(
            set().union(*(_required_words(raw[part]) for part in ("system", "media", "deleted")))
        ),
    )
