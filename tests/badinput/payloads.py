"""Malformed platform payloads: a well-formed one with keys removed, values of the wrong kind
put in, or parts moved to where they do not belong, as a careless or hostile sender would.

`mutate` is a plain function of a seeded `random.Random`, so the same damage can be done in a
hypothesis property (through `st.randoms()`) and in a fuzzing run against a fake platform.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Collection
from typing import Any

from hypothesis import strategies as st

JSON = dict[str, Any]
Path = tuple[str | int, ...]

# Values of every JSON kind, and a few that strain a parser: huge numbers, infinities (Python's
# json reads "Infinity"), a lone surrogate, a long string of digits.
WRONG: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    2**63,
    2**70,
    1.5,
    -1e308,
    float("inf"),
    "",
    " ",
    "x",
    "\ud800",
    "9" * 30,
    "1e999",
    "not-a-date",
    [],
    [None],
    {},
    {"id": None},
)


def paths(node: Any, prefix: Path = ()) -> list[Path]:
    """Every key path in a JSON value, parents before children."""
    found: list[Path] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((*prefix, key))
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.append((*prefix, index))
            found += paths(value, (*prefix, index))
    return found


def mutate(base: JSON, rng: random.Random, *, keep: Collection[Path] = ()) -> JSON:
    """A copy of `base` with one to three things wrong, none at or under a path in `keep`."""
    payload = copy.deepcopy(base)
    targets = [p for p in paths(base) if not any(p[: len(k)] == k for k in keep)]
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(targets)
        parent: Any = payload
        try:
            for part in path[:-1]:
                parent = parent[part]
            key = path[-1]
            choice = rng.random()
            if choice < 0.35 and isinstance(parent, dict):
                parent.pop(key, None)
            elif choice < 0.5:
                parent[key] = copy.deepcopy(_get(base, rng.choice(paths(base))))  # misplaced
            else:
                parent[key] = copy.deepcopy(rng.choice(WRONG))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed or replaced this part
    return payload


def _get(node: Any, path: Path) -> Any:
    for part in path:
        node = node[part]
    return node


def mutated(base: JSON, *, keep: Collection[Path] = ()) -> st.SearchStrategy[JSON]:
    return st.randoms(use_true_random=False).map(lambda rng: mutate(base, rng, keep=keep))
