"""What WhatsApp writes in a chat export in one language, read from `data/<code>.yaml`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml


@dataclass(frozen=True, slots=True)
class Language:
    name: str
    system: tuple[re.Pattern[str], ...]
    media: tuple[re.Pattern[str], ...]
    deleted: tuple[re.Pattern[str], ...]
    edited: str
    export_names: tuple[re.Pattern[str], ...]
    # One search that every system line passes, so that most messages are cleared at once.
    system_hint: re.Pattern[str]

    def system_line(self, text: str) -> re.Match[str] | None:
        """The match where the text is one of WhatsApp's own lines; its `actor` group, where
        the pattern has one, is who acted."""
        if self.system_hint.search(text) is None:
            return None
        for pattern in self.system:
            found = pattern.fullmatch(text)
            if found is not None:
                return found
        return None

    def subject(self, text: str) -> str | None:
        """The group's name, where a system line gives it (created, renamed)."""
        for pattern in self.system:
            found = pattern.fullmatch(text)
            if found is not None:
                return found.groupdict().get("subject")
        return None

    def media_file(self, line: str) -> tuple[bool, str | None]:
        """Whether the line stands for media, and the attached file's name where it has one."""
        for pattern in self.media:
            found = pattern.fullmatch(line)
            if found is not None:
                return True, found.groupdict().get("file")
        return False, None

    def is_deleted(self, text: str) -> bool:
        return any(pattern.fullmatch(text) for pattern in self.deleted)

    def chat_name(self, file_stem: str) -> str | None:
        for pattern in self.export_names:
            found = pattern.fullmatch(file_stem)
            if found is not None:
                return found.group("chat").strip() or None
        return None


def _hint(patterns: list[str]) -> re.Pattern[str]:
    """A search for the longest word each pattern always needs (outside any group)."""
    words = set()
    for pattern in patterns:
        literal = re.sub(r"\\.|\[[^\]]*\]", " ", pattern)
        while True:
            shorter = re.sub(r"\([^()]*\)[?*+]?", " ", literal)
            if shorter == literal:
                break
            literal = shorter
        words.add(max(re.findall(r"[\w'-]+", literal), key=len))
    return re.compile("|".join(re.escape(w) for w in sorted(words)))


@cache
def language(code: str = "en") -> Language:
    raw = yaml.safe_load(
        resources.files("bot.whatsapp").joinpath("data", f"{code}.yaml").read_text("utf-8")
    )
    return Language(
        name=str(raw["language"]),
        system=tuple(re.compile(p) for p in raw["system"]),
        media=tuple(re.compile(p) for p in raw["media"]),
        deleted=tuple(re.compile(p) for p in raw["deleted"]),
        edited=str(raw["edited"]),
        export_names=tuple(re.compile(p) for p in raw["export_names"]),
        system_hint=_hint(list(raw["system"])),
    )
