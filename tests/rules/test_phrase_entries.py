"""Every phrase entry of rules/data/phrases/ against its own examples: each `match` example is
matched by that entry and each `no_match` example is not, read as messages to Oakfield Primary
(tests/rules/corpus.py). A failure names the entry. Then the loader's checks on malformed files."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from rules import RulesEngine, SchoolProfile
from rules.lexicon import (
    Entry,
    LexiconError,
    Phrase,
    load_lexicon,
    phrase_entries,
    read_phrases,
)
from tests.rules.corpus import oakfield_by_name

ENTRIES = phrase_entries()
PHRASES = resources.files("rules").joinpath("data", "phrases")


@pytest.fixture(scope="module")
def example_school() -> SchoolProfile:
    return oakfield_by_name()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_each_entry_matches_its_examples_and_not_its_near_misses(
    engine: RulesEngine, example_school: SchoolProfile, entry: Entry
) -> None:
    assert entry.match, "an entry needs at least one message it matches"
    missed = [t for t in entry.match if entry.id not in engine.matched_entries(t, example_school)]
    matched = [t for t in entry.no_match if entry.id in engine.matched_entries(t, example_school)]
    assert (missed, matched) == ([], [])


def test_the_data_has_many_entries_each_with_a_near_miss() -> None:
    assert len(ENTRIES) > 500
    assert all(e.no_match for e in ENTRIES)


def test_the_engine_reads_the_same_entries_without_their_descriptions_and_examples() -> None:
    """The lexicon cuts descriptions and examples out of the files' text before reading them."""
    bare = [(e.id, "", e.pattern, (), ()) for e in ENTRIES]
    used = [entry for phrase in load_lexicon().phrases for entry in phrase.entries]
    assert [(e.id, e.description, e.pattern, e.match, e.no_match) for e in used] == bare
    full = read_phrases(PHRASES, load_lexicon().classes, examples=True)
    assert [compiled(p) for p in load_lexicon().phrases] == [compiled(p) for p in full]


def compiled(phrase: Phrase) -> tuple[object, ...]:
    patterns = (phrase.patterns, phrase.unless, phrase.context)
    cleared = (phrase.cleared_by, phrase.cleared_unless)
    return (
        phrase.rule,
        phrase.pattern_anchors,
        phrase.about,
        phrase.also,
        [[p.source for p in group] for group in (*patterns, *cleared)],
    )


class _StrictLoader(yaml.SafeLoader):
    """Refuses a key written twice in one mapping (the loader keeps the last, silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
        twice = sorted({str(k) for k in keys if keys.count(k) > 1})
        if twice:
            raise yaml.constructor.ConstructorError(
                None, None, f"{twice[0]!r} written twice", node.start_mark
            )
        return super().construct_mapping(node, deep=deep)


@pytest.mark.parametrize(
    "name", sorted(f.name for f in PHRASES.iterdir() if f.name.endswith(".yaml"))
)
def test_no_key_is_written_twice_in_a_mapping(name: str) -> None:
    yaml.load(PHRASES.joinpath(name).read_text(encoding="utf-8"), Loader=_StrictLoader)


def test_no_line_of_the_phrase_data_is_longer_than_100_characters() -> None:
    long = [
        f"{f.name}:{n}"
        for f in PHRASES.iterdir()
        if f.name.endswith(".yaml")
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
        if len(line) > 100
    ]
    assert long == []


# The loader's checks, on a folder of phrase files written for each test.

MACROS = "macros:\n  MODS: '(?:{INTENS} )*'\n"
RULE = """\
rules:
  - rule: abuse.example
    category: abuse
    severity: low
    mode: aimed
    reason: an insult aimed at someone
"""
ENTRY = """\
      - id: abuse.example/you-clown
        description: you, then clown
        pattern: "you {MODS}clown"
        match: ["you absolute clown"]
"""


def phrases_in(tmp_path: Path, **files: str) -> Path:
    (tmp_path / "macros.yaml").write_text(MACROS, encoding="utf-8")
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def group(entries: str = ENTRY, anchors: str = "[clown]") -> str:
    return f"phrases:\n  - rule: abuse.example\n    anchors: {anchors}\n    entries:\n{entries}"


def load(folder: Path) -> Any:
    return read_phrases(folder, load_lexicon().classes, examples=True)


def test_a_well_formed_file_loads(tmp_path: Path) -> None:
    (phrase,) = load(phrases_in(tmp_path, abuse=RULE + group()))
    assert phrase.rule.id == "abuse.example"
    assert [e.id for e in phrase.entries] == ["abuse.example/you-clown"]
    assert phrase.patterns[0].search("you absolute clown")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        pytest.param(
            {"abuse": RULE + group(ENTRY + "        matches: [oops]\n")},
            r"abuse\.yaml: entry abuse\.example/you-clown: unknown key 'matches'",
            id="unknown key in an entry",
        ),
        pytest.param(
            {"abuse": RULE + group(ENTRY + ENTRY)},
            r"abuse\.yaml: entry abuse\.example/you-clown: the id is used twice",
            id="entry id twice in a file",
        ),
        pytest.param(
            {"abuse": RULE + group(), "more": RULE.replace("example", "other") + group()},
            r"more\.yaml: phrases of abuse\.example: the rule is not declared here",
            id="phrases of a rule another file declares",
        ),
        pytest.param(
            {"abuse": RULE + group(), "more": RULE + group(ENTRY.replace("clown\n", "fool\n"))},
            r"more\.yaml: rule abuse\.example: declared again \(first in .*abuse\.yaml\)",
            id="rule declared twice",
        ),
        pytest.param(
            {"abuse": RULE + group(ENTRY.replace('"you {MODS}clown"', '""'))},
            r"abuse\.yaml: entry abuse\.example/you-clown: pattern: expected a pattern",
            id="empty pattern",
        ),
        pytest.param(
            {"abuse": RULE + group(ENTRY.replace("abuse.example/you-clown", "you-clown"))},
            r"entry you-clown: an entry's id is its rule's and a name: abuse\.example/",
            id="entry id without its rule",
        ),
        pytest.param(
            {"abuse": RULE + group(ENTRY.replace("        description: you, then clown\n", ""))},
            r"entry abuse\.example/you-clown: description: expected a sentence",
            id="no description",
        ),
        pytest.param(
            {"abuse": RULE + group(anchors="[clown, no]")},
            r"phrases of abuse\.example: anchors: anchor False is not a word \(quote it\)",
            id="a bare no read as false",
        ),
        pytest.param(
            {"abuse": RULE + "phrases: []\n"},
            r"abuse\.yaml: rule abuse\.example is declared but has no phrases",
            id="rule without phrases",
        ),
        pytest.param(
            {"abuse": RULE + group().replace("    anchors:", "    unles: []\n    anchors:")},
            r"phrases of abuse\.example: unknown key 'unles'",
            id="unknown key in phrases",
        ),
        pytest.param(
            {"abuse": RULE + group(ENTRY.replace('clown"', '{NOSUCH}"'))},
            r"entry abuse\.example/you-clown: unknown class or macro \{NOSUCH\}",
            id="unknown class",
        ),
    ],
)
def test_a_malformed_file_is_refused_naming_the_file_and_entry(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    with pytest.raises(LexiconError, match=message):
        load(phrases_in(tmp_path, **files))
