"""Which phrase entries (rules/data/phrases/) nothing reaches: no message of the tests' tables,
the evaluation and blind schools, the everyday messages, the training corpus or the development
set, and which only their own examples reach.

    python -m bench.unreached_patterns

An entry is reached by a message when its pattern matches there, whether or not the verdict then
flags it (`RulesEngine.matched_entries`). Prints how many entries each kind of data reaches,
then the ids of the entries that only their own examples reach, those that everyday messages
(none of them a breach) reach, and those nothing reaches. The blind schools' messages are read
but never printed: they only add to the counts. Exit status 1 when an entry is reached by
nothing at all, not even its own examples.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence

from rich.console import Console

from bench.common import recording_engine_failures, reference_messages
from rules import RulesEngine
from rules.lexicon import phrase_entries
from tests.rules.corpus import oakfield_by_name


def _kind(source: str) -> str:
    """The kind of data a message comes from, as the report counts it."""
    head = source.split("/")[0]
    return {"bench": "evaluation schools", "dev": "development set"}.get(head, head)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    console = Console()
    engine = RulesEngine()
    entries = phrase_entries()
    reached: dict[str, Counter[str]] = {e.id: Counter() for e in entries}
    messages: Counter[str] = Counter()
    with recording_engine_failures() as failures:
        for message in reference_messages():
            kind = _kind(message.source)
            messages[kind] += 1
            for entry_id in engine.matched_entries(message.text, message.profile):
                reached[entry_id][kind] += 1
        school = oakfield_by_name()
        for entry in entries:
            for text in entry.match:
                if entry.id in engine.matched_entries(text, school):
                    reached[entry.id]["own examples"] += 1
    console.print(f"{len(entries)} phrase entries, reached by:")
    for kind in [*sorted(messages), "own examples"]:
        count = sum(1 for c in reached.values() if c[kind])
        read = f" (of {messages[kind]} messages)" if kind in messages else ""
        console.print(f"  {kind}: {count}{read}")
    only_own = [i for i, c in reached.items() if c and set(c) == {"own examples"}]
    nothing = [i for i, c in reached.items() if not c]
    console.print(f"\nReached only by their own examples: {len(only_own)}")
    for entry_id in only_own:
        console.print(f"  {entry_id}")
    # Everyday messages break no rule: an entry they reach may be why one is flagged.
    everyday = sorted((c["everyday"], i) for i, c in reached.items() if c["everyday"])
    console.print(f"\nReached by everyday messages (none of them a breach): {len(everyday)}")
    for count, entry_id in reversed(everyday):
        console.print(f"  {entry_id}: {count}")
    console.print(f"\nReached by nothing, not even their own examples: {len(nothing)}")
    for entry_id in nothing:
        console.print(f"  {entry_id}")
    return failures.exit_status(console) or int(bool(nothing))


if __name__ == "__main__":
    raise SystemExit(main())
