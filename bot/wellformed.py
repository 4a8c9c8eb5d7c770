"""Text from a platform made storable. JSON can carry a lone surrogate ("\\ud800"), which no
database, log file or platform API accepts back: SQLite refuses the whole row, so a flagged
message holding one would be lost. Each becomes U+FFFD, the character shown for it anyway."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, TypeVar, cast

T = TypeVar("T")

_SURROGATE = re.compile("[\ud800-\udfff]")


def well_formed(value: T) -> T:
    """`value` (text, or a dataclass holding text, tuples and other dataclasses) with every
    lone surrogate replaced; the same object when there is none."""
    return cast(T, _clean(value))


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        if not _SURROGATE.search(value):
            return value
        # A pair written as two halves joins up; a half on its own becomes U+FFFD.
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, tuple):
        items = tuple(_clean(v) for v in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changed = {}
        for field in dataclasses.fields(value):
            old = getattr(value, field.name)
            new = _clean(old)
            if new is not old:
                changed[field.name] = new
        return dataclasses.replace(value, **changed) if changed else value
    return value
