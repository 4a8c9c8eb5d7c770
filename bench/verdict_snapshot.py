"""Record the rules core's verdict on every reference message, and compare two recordings: a
change meant to keep behaviour (reorganising rules/data, a faster matcher) must show none.

    python -m bench.verdict_snapshot save BEFORE.jsonl
    python -m bench.verdict_snapshot diff BEFORE.jsonl AFTER.jsonl

A recording holds each message's source, case id, text, findings (category, severity, rule id,
span, staff, pupil) and the staff it names; it holds the blind schools' messages too, so keep it
out of the repository. The diff prints the messages whose verdicts differ, by source and case
id; it quotes the text and findings, except for the blind schools', whose messages are never
printed (bench/data/blind/README.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import recording_engine_failures, reference_messages
from rules import RulesEngine


def save(path: Path) -> int:
    engine = RulesEngine()
    with recording_engine_failures() as failures, path.open("w", encoding="utf-8") as out:
        count = 0
        for message in reference_messages():
            verdict = engine.evaluate(message.text, message.profile)
            record = {
                "source": message.source,
                "id": message.id,
                "blind": message.blind,
                "text": message.text,
                "verdict": dataclasses.asdict(verdict),
            }
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    print(f"{count} verdicts written to {path}")
    if failures.records:
        print(f"the rules core failed on {len(failures.records)} message(s)")
        return 1
    return 0


def _read(path: Path) -> dict[tuple[str, str, str], dict[str, Any]]:
    records = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        records[(record["source"], record["id"], record["text"])] = record
    return records


def diff(before_path: Path, after_path: Path) -> int:
    before, after = _read(before_path), _read(after_path)
    differ = 0
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old is not None and new is not None and old["verdict"] == new["verdict"]:
            continue
        differ += 1
        source, case_id, _ = key
        if (old or new or {}).get("blind"):
            print(f"{source} {case_id}: the verdict differs")
            continue
        print(f"{source} {case_id}: {key[2]!r}")
        for label, record in (("before", old), ("after", new)):
            found = record and [
                (f["rule_id"], f["span"]["text"], f["staff_id"], f["pupil"])
                for f in record["verdict"]["findings"]
            ]
            print(f"  {label}: {found if record else 'not recorded'}")
    print(f"{len(before)} before, {len(after)} after, {differ} differ")
    return 1 if differ else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("save").add_argument("path", type=Path)
    compare = commands.add_parser("diff")
    compare.add_argument("before", type=Path)
    compare.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "save":
        return save(args.path)
    return diff(args.before, args.after)


if __name__ == "__main__":
    raise SystemExit(main())
