"""Who works at a school, in the shape a school's config (and `eval/riverside.yaml`) gives it."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

# Besides letters, digits and spaces, what a name, title or role may be written with: "O'Neill",
# "Smith-Jones", "Mr.", "D&T teacher", "SENCo/DSL".
_NAME_MARKS = frozenset("'\u2019.-&/ ")


@dataclass(frozen=True, slots=True)
class StaffMember:
    """One member of staff. `roles` ("headteacher", "SENCo") and `aliases` ("Mr C") are how
    parents may refer to them besides their name."""

    id: str
    title: str
    first: str
    last: str
    roles: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> StaffMember:
        """Build from a mapping such as one `staff:` entry of a school's YAML.

        Raises ValueError naming the key when a field is missing or has the wrong type.
        """
        return cls(
            id=_text(data, "id"),
            title=_text(data, "title", required=False),
            first=_text(data, "first", required=False),
            last=_text(data, "last"),
            roles=_texts(data, "roles"),
            aliases=_texts(data, "aliases"),
        )

    def check(self) -> None:
        """Raises RosterError when a name, title, role or alias is not one (see check_name)."""
        check_name(self.last, f"staff {self.id!r} last name")
        for key, value in (("title", self.title), ("first name", self.first)):
            if value:
                check_name(value, f"staff {self.id!r} {key}")
        for key, values in (("role", self.roles), ("alias", self.aliases)):
            for value in values:
                check_name(value, f"staff {self.id!r} {key}")

    @property
    def display_name(self) -> str:
        """How a reason names them: "Mr Carter", or the full name when there is no title."""
        if self.title:
            return f"{self.title} {self.last}"
        return f"{self.first} {self.last}".strip()


def _text(data: Mapping[str, object], key: str, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise ValueError(f"staff entry is missing '{key}'")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"staff entry '{key}' must be text, got {type(value).__name__}")
    return str(value).strip()


def _texts(data: Mapping[str, object], key: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"staff entry '{key}' must be a list of text")
    return tuple(v.strip() for v in value if v.strip())


class RosterError(ValueError):
    """A roster entry that cannot be a name; `str(error)` says which and why in one line."""


def check_name(text: str, what: str) -> str:
    """`text` if it can name a person or role: letters with digits, spaces and the marks names
    are written with. Punctuation or pattern syntax ("(a+)+$", "***") would be read as the
    letters left in it, naming whoever writes an "a"; it raises RosterError instead."""
    odd = sorted({c for c in text if not _name_char(c)})
    if odd or not any(c.isalpha() for c in text):
        why = f"it contains {' '.join(odd)}" if odd else "it has no letter"
        raise RosterError(
            f"{what} {text!r}".lstrip() + f" is not a name: {why} (write it with letters,"
            " digits, spaces and ' . - & / only)"
        )
    return text


def _name_char(c: str) -> bool:
    return c in _NAME_MARKS or unicodedata.category(c)[0] in "LMN"
