"""The rules core's data: word lists, phrase patterns and name lists from `rules/data/`.

Loaded and compiled once per process (`load_lexicon`); everything after that is lookups.
A malformed data file raises `LexiconError` naming the file and the entry. How the phrase
patterns are written: rules/data/phrases/README.md.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import yaml

from rules.model import DEFAULT_CLAUSE, Category, Clause, Severity
from rules.normalise import Normaliser


class LexiconError(ValueError):
    """A data file under rules/data/ is malformed."""


class Mode(StrEnum):
    """What a matched term or phrase does on its own."""

    ALWAYS = "always"  # a finding wherever it appears (slurs, threats)
    AIMED = "aimed"  # a finding unless the writer aims it at themselves ("I'm such an idiot")
    CUE = "cue"  # negative context only: flags a named member of staff or pupil nearby
    CLASS = "class"  # vocabulary for phrase patterns only


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    category: Category
    severity: Severity
    clause: Clause
    reason: str
    mode: Mode


@dataclass(frozen=True, slots=True)
class Term:
    words: tuple[str, ...]
    rule: Rule


class About(StrEnum):
    """Whom a negative-context cue can be about."""

    ANYONE = "anyone"
    STAFF = "staff"
    PUPIL = "pupil"


@dataclass(frozen=True, slots=True)
class Entry:
    """One named phrase pattern as written in rules/data/phrases/, with what it is for and the
    messages it must match and must not match (tests/rules/test_phrase_entries.py tries each).
    The lexicon the engine uses leaves those three empty: reading them is most of what the
    phrase files cost, and only tests and reports need them (`phrase_entries`)."""

    id: str
    description: str
    pattern: str  # before macros and classes are expanded
    match: tuple[str, ...]
    no_match: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Phrase:
    """A rule's patterns that share anchors and exceptions."""

    rule: Rule
    entries: tuple[Entry, ...]
    patterns: tuple[Pattern, ...]  # compiled, one per entry
    # For each pattern, the rule's anchors that its text names (all of them if it names none):
    # a pattern is only tried in sentences holding one of its own anchors.
    pattern_anchors: tuple[frozenset[str], ...]
    unless: tuple[Pattern, ...]  # a match overlapping one of these does not count
    context: tuple[Pattern, ...]  # if given, one must match in the same sentence
    about: About
    also: frozenset[str]  # if given, one of these words or classes must be in the sentence too
    # Anywhere in the message: what shows a match is everyday talk (an invitation to a party at
    # the host's address, a small child being collected), unless one of `cleared_unless` is
    # there too (secrecy, hostility). A match about a member of staff is never cleared.
    cleared_by: tuple[Pattern, ...] = ()
    cleared_unless: tuple[Pattern, ...] = ()


@dataclass(frozen=True, slots=True)
class NameWords:
    """names.yaml: how parents refer to people."""

    titles: frozenset[str]
    role_synonyms: tuple[frozenset[str], ...]
    role_abbreviations: tuple[tuple[str, tuple[str, ...]], ...]  # "head of year" -> ("hoy",)
    ambiguous_roles: frozenset[str]
    determiners: frozenset[str]
    role_stop_after: frozenset[str]
    max_role_holders: int
    common_words: frozenset[str]
    not_person_before: frozenset[str]
    person_after: frozenset[str]
    person_acts: frozenset[str]  # what only a person does ("hasn't got", "shouted")
    person_owns: frozenset[str]  # what only a person has ("Wood's class")
    child_nouns: frozenset[str]  # "that Grace girl"
    at_work: re.Pattern[str]  # after a first name, where they work: "Jo in the office"
    title_before: re.Pattern[str]  # right before a first name, what they do: "TA Jo"
    not_names: frozenset[str]
    first_names: frozenset[str]
    hashtag_negative: frozenset[str]
    school_words: frozenset[str]
    school_kinds: frozenset[str]
    number_words: tuple[str, ...]  # "zero", "one"... for year groups written in words


@dataclass(frozen=True, slots=True)
class PrivateRule:
    rule: str
    severity: Severity
    reason: str


@dataclass(frozen=True, slots=True)
class PrivateWords:
    """private.yaml: whose a number, address or link is."""

    phone: PrivateRule
    email: PrivateRule
    social: PrivateRule
    personal_email_domains: frozenset[str]
    public_email_suffixes: tuple[str, ...]
    social_hosts: frozenset[str]
    social_non_profiles: frozenset[str]
    own_cues: re.Pattern[str]
    public_cues: re.Pattern[str]
    other_cues: re.Pattern[str]
    trade_cues: re.Pattern[str]  # in the sentence: a business contact ("a childminder")


@dataclass(frozen=True, slots=True)
class Lexicon:
    terms: Mapping[str, tuple[Term, ...]]  # first word -> terms starting with it
    classes: Mapping[str, frozenset[str]]  # class name -> words and phrases
    word_classes: Mapping[str, frozenset[str]]  # single word -> classes it belongs to
    phrases: tuple[Phrase, ...]  # in data order
    # word or class -> the (phrase, pattern index) pairs to try where it occurs
    patterns_by_anchor: Mapping[str, tuple[tuple[Phrase, int], ...]]
    allow: Mapping[str, tuple[tuple[str, ...], ...]]  # first word -> allowed phrases
    names: NameWords
    private: PrivateWords
    confusables: Mapping[str, str]
    known_words: tuple[str, ...]  # every word the lexicon can match, in data order (normalising)

    def words_in(self, cls: str) -> frozenset[str]:
        return self.classes.get(cls, frozenset())


# What a space in a pattern stands for: any gap within a sentence that is not a masked person.
_SEP = r"(?:[^\w.!?;\n\x01-\x04]+)"
_MACRO = re.compile(r"\{([A-Z_]+)\}")
# People the engine has found are masked in the text patterns see: staff, pupils, other names.
MASK_STAFF, MASK_PUPIL, MASK_NAMED, MASK_SCHOOL = "\x01", "\x02", "\x03", "\x04"
_PEOPLE = {
    "SCHOOLNAME": MASK_SCHOOL + "+",
    "STAFF": MASK_STAFF + "+",
    "PUPIL": MASK_PUPIL + "+",
    "NAMED": MASK_NAMED + "+",
    "PERSON": f"(?:{MASK_STAFF}+|{MASK_PUPIL}+|{MASK_NAMED}+)",
}


@cache
def load_lexicon() -> Lexicon:
    """Read and compile rules/data/ (once per process)."""
    data = {name: _read(name) for name in _FILES}
    classes: dict[str, set[str]] = {
        str(k).upper(): {_word(w) for w in _list(v, f"classes.yaml: {k}")}
        for k, v in _mapping(data["classes.yaml"], "classes.yaml").items()
    }
    terms: dict[str, list[Term]] = {}
    for where, entry in _entries(data["terms.yaml"], "terms.yaml"):
        rule = _rule(entry, where, default_mode=Mode.AIMED)
        words = [_word(w) for w in _list(entry.get("terms"), f"{where}: terms")]
        for cls in _list(entry.get("classes", []), f"{where}: classes"):
            classes.setdefault(str(cls).upper(), set()).update(words)
        for w in words:
            term = Term(_tokens(w), rule)
            if term.words:
                terms.setdefault(term.words[0], []).append(term)
    frozen = {k: frozenset(v) for k, v in classes.items()}
    phrases = read_phrases(_PHRASES, frozen, examples=False)
    patterns: dict[str, list[tuple[Phrase, int]]] = {}
    for phrase in phrases:
        for i, named in enumerate(phrase.pattern_anchors):
            for anchor in named:
                patterns.setdefault(anchor, []).append((phrase, i))
    allow: dict[str, list[tuple[str, ...]]] = {}
    for text in _list(_mapping(data["allow.yaml"], "allow.yaml").get("phrases"), "allow.yaml"):
        allowed = _tokens(text)
        allow.setdefault(allowed[0], []).append(allowed)
    # A word "has" a class when it is the telling word of a member ("disgrace" of "a disgrace"):
    # enough to decide which phrases to try, and rare enough that few are tried.
    word_classes: dict[str, set[str]] = {}
    for cls, members in frozen.items():
        for member in members:
            key = _telling_word(_tokens(member))
            if key:
                word_classes.setdefault(key, set()).add(cls)
    names = _names(_mapping(data["names.yaml"], "names.yaml"))
    # Violent verbs are known too, so that "k!ll" and "st@b" are read as what they disguise.
    violent = sorted(w for w in frozen.get("VIOLENT_VERB", ()) if w.isalpha())
    known = [
        *("".join(t.words) for first in terms.values() for t in first),
        *sorted(names.titles),
        *violent,
    ]
    return Lexicon(
        terms={k: tuple(v) for k, v in terms.items()},
        classes=frozen,
        word_classes={k: frozenset(v) for k, v in word_classes.items()},
        phrases=phrases,
        patterns_by_anchor={k: tuple(v) for k, v in patterns.items()},
        allow={k: tuple(v) for k, v in allow.items()},
        names=names,
        private=_private(_mapping(data["private.yaml"], "private.yaml")),
        confusables={
            str(k): str(v)
            for k, v in _mapping(data["confusables.yaml"], "confusables.yaml").items()
        },
        known_words=tuple(dict.fromkeys(w for w in known if w.isalpha())),
    )


@cache
def normaliser() -> Normaliser:
    """The normaliser that knows the lexicon's words (shared by engine and profiles)."""
    lex = load_lexicon()
    return Normaliser(lex.known_words, lex.confusables)


_FILES = (
    "classes.yaml",
    "terms.yaml",
    "allow.yaml",
    "names.yaml",
    "private.yaml",
    "confusables.yaml",
)


_PHRASES = resources.files("rules").joinpath("data", "phrases")
_MACROS = "macros.yaml"
# An entry's description and examples, as the phrase files write them: the key, then any lines
# indented further, or as far with a "- ". Cut before the rest is read, unread.
_DESCRIPTIONS_AND_EXAMPLES = re.compile(
    r"^( +)(?:description|match|no_match):.*\n(?:\1(?: |- ).*\n|[ \t]*\n)*", re.M
)
_FILE_KEYS = frozenset({"rules", "phrases"})
_RULE_KEYS = frozenset({"rule", "category", "severity", "mode", "about", "clause", "reason"})
_PHRASE_KEYS = frozenset(
    {"rule", "anchors", "unless", "context", "also", "cleared_by", "cleared_unless", "entries"}
)
_ENTRY_KEYS = frozenset({"id", "description", "pattern", "match", "no_match"})


def phrase_entries() -> tuple[Entry, ...]:
    """Every phrase entry of rules/data/phrases/ with its description and examples, in data
    order (read again: the lexicon leaves them out)."""
    phrases = read_phrases(_PHRASES, load_lexicon().classes, examples=True)
    return tuple(entry for phrase in phrases for entry in phrase.entries)


def read_phrases(
    folder: Traversable, classes: Mapping[str, frozenset[str]], *, examples: bool
) -> tuple[Phrase, ...]:
    """Read and compile the phrase files in `folder` (rules/data/phrases/): macros.yaml, and
    files that each declare their rules, then their phrases (anchors, exceptions and named
    entries, one pattern each). How they are written: the README.md there. Without
    `examples`, entries' descriptions and examples are skipped unread."""
    names = sorted(f.name for f in folder.iterdir() if f.name.endswith(".yaml"))
    where = f"rules/data/phrases/{_MACROS}"
    macros = _expanded_macros(_parse(folder.joinpath(_MACROS), where), _MACROS)
    rule_files: dict[str, str] = {}  # rule id -> the file declaring it
    entry_ids: set[str] = set()
    phrases: list[Phrase] = []
    for name in names:
        if name == _MACROS:
            continue
        where = f"rules/data/phrases/{name}"
        skip = None if examples else _DESCRIPTIONS_AND_EXAMPLES
        data = _parse(folder.joinpath(name), where, skip)
        if not isinstance(data, Mapping):
            raise LexiconError(f"{where}: expected a mapping")
        _known_keys(data, _FILE_KEYS, where)
        rules: dict[str, tuple[Rule, About]] = {}
        for decl in _list(data.get("rules"), f"{where}: rules"):
            rule_where = f"{where}: rule {_name(decl, 'rule', f'{where}: rules')}"
            _known_keys(decl, _RULE_KEYS, rule_where)
            rule = _rule(decl, rule_where, default_mode=Mode.ALWAYS)
            if rule.id in rule_files:
                raise LexiconError(f"{rule_where}: declared again (first in {rule_files[rule.id]})")
            rule_files[rule.id] = where
            rules[rule.id] = rule, _about(decl.get("about", About.ANYONE), rule_where)
        for group in _list(data.get("phrases"), f"{where}: phrases"):
            rule_id = _name(group, "rule", f"{where}: phrases")
            group_where = f"{where}: phrases of {rule_id}"
            _known_keys(group, _PHRASE_KEYS, group_where)
            if rule_id not in rules:
                raise LexiconError(f"{group_where}: the rule is not declared here")
            entries = [
                _entry(e, rule_id, entry_ids, where, examples=examples)
                for e in _list(group.get("entries"), f"{group_where}: entries")
            ]
            phrases.append(_phrase(group, rules[rule_id], entries, classes, macros, where))
        unused = sorted(rules.keys() - {p.rule.id for p in phrases})
        if unused:
            raise LexiconError(f"{where}: rule {unused[0]} is declared but has no phrases")
    return tuple(phrases)


def _phrase(
    group: Mapping[str, Any],
    declared: tuple[Rule, About],
    entries: list[Entry],
    classes: Mapping[str, frozenset[str]],
    macros: Mapping[str, str],
    file: str,
) -> Phrase:
    rule, about = declared
    where = f"{file}: phrases of {rule.id}"

    def anchors(key: str) -> list[str]:
        values = _list(group.get(key, []), f"{where}: {key}")
        return [_anchor(a, classes, f"{where}: {key}") for a in values]

    def compile_all(key: str) -> tuple[Pattern, ...]:
        return tuple(
            _compile(_expand(_pattern(p, f"{where}: {key}"), macros), classes, f"{where}: {key}")
            for p in _list(group.get(key, []), f"{where}: {key}")
        )

    named = anchors("anchors")
    if not named:
        raise LexiconError(f"{where}: anchors: expected at least one word or class")
    if not entries:
        raise LexiconError(f"{where}: entries: expected at least one")
    expanded = [_expand(e.pattern, macros) for e in entries]
    return Phrase(
        rule=rule,
        entries=tuple(entries),
        patterns=tuple(
            _compile(text, classes, f"{file}: entry {e.id}")
            for e, text in zip(entries, expanded, strict=True)
        ),
        pattern_anchors=tuple(_named_anchors(text, named, classes) for text in expanded),
        unless=compile_all("unless"),
        context=compile_all("context"),
        about=about,
        also=frozenset(anchors("also")),
        cleared_by=compile_all("cleared_by"),
        cleared_unless=compile_all("cleared_unless"),
    )


def _entry(value: Any, rule_id: str, seen: set[str], file: str, *, examples: bool) -> Entry:
    entry_id = _name(value, "id", f"{file}: phrases of {rule_id}: entries")
    where = f"{file}: entry {entry_id}"
    _known_keys(value, _ENTRY_KEYS, where)
    if not entry_id.startswith(f"{rule_id}/") or len(entry_id) == len(rule_id) + 1:
        raise LexiconError(f"{where}: an entry's id is its rule's and a name: {rule_id}/...")
    if entry_id in seen:
        raise LexiconError(f"{where}: the id is used twice")
    seen.add(entry_id)
    pattern = _pattern(value.get("pattern"), f"{where}: pattern")
    if not examples:
        return Entry(entry_id, "", pattern, (), ())
    description = value.get("description")
    if not isinstance(description, str) or not description.strip():
        raise LexiconError(f"{where}: description: expected a sentence saying what it finds")

    def texts(key: str) -> tuple[str, ...]:
        found = tuple(_list(value.get(key, []), f"{where}: {key}"))
        if not all(isinstance(text, str) and text.strip() for text in found):
            raise LexiconError(f"{where}: {key}: expected messages (strings)")
        return found

    return Entry(entry_id, description, pattern, texts("match"), texts("no_match"))


def _pattern(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LexiconError(f"{where}: expected a pattern, not {value!r}")
    return value


def _name(value: Any, key: str, where: str) -> str:
    """The id naming a mapping (`rule`, `id`), checked before anything else is."""
    if not isinstance(value, Mapping):
        raise LexiconError(f"{where}: expected a mapping")
    name = value.get(key)
    if not isinstance(name, str) or not name.strip() or name != name.strip():
        raise LexiconError(f"{where}: {key}: expected an id, not {name!r}")
    return name


def _known_keys(value: Mapping[str, Any], known: frozenset[str], where: str) -> None:
    unknown = sorted(str(k) for k in value.keys() - known)
    if unknown:
        expected = ", ".join(sorted(known))
        raise LexiconError(f"{where}: unknown key {unknown[0]!r} (expected: {expected})")


def _about(value: Any, where: str) -> About:
    try:
        return About(value)
    except ValueError as exc:
        raise LexiconError(f"{where}: about: {exc}") from exc


def _expanded_macros(value: Any, name: str) -> dict[str, str]:
    """The macros with the macros they use written out (at most five deep)."""
    raw = _mapping(_mapping(value, f"phrases/{name}").get("macros"), f"phrases/{name}: macros")
    macros = {str(k): _pattern(v, f"rules/data/phrases/{name}: {k}") for k, v in raw.items()}
    for _ in range(5):
        macros = {k: _expand(v, raw) for k, v in macros.items()}
    for k, v in macros.items():
        if any(used in raw for used in _MACRO.findall(v)):
            raise LexiconError(f"rules/data/phrases/{name}: {k}: nested too deep, or in a loop")
    return macros


def _expand(source: str, macros: Mapping[str, str]) -> str:
    """A pattern with its macros written out; {CLASS} and {PERSON} names are left."""
    return _MACRO.sub(lambda m: macros.get(m.group(1), m.group(0)), source)


def _named_anchors(
    source: str, anchors: list[str], classes: Mapping[str, frozenset[str]]
) -> frozenset[str]:
    """The anchors a pattern's text (macros expanded) names: a word it spells out, or a class it
    uses as {CLASS} or one of whose words it spells out."""
    words = set(_WORD.findall(_ESCAPE.sub(" ", source)))
    starts = "\n" + "\n".join(words)  # "star" is named by "stars?": a word starting with it
    named = [
        a
        for a in anchors
        if (
            "{" + a + "}" in source or not words.isdisjoint(classes.get(a, ()))
            if a.isupper()
            else "\n" + a in starts
        )
    ]
    return frozenset(named) or frozenset(anchors)


_WORD = re.compile(r"[a-z]+")
_ESCAPE = re.compile(r"\\[a-z]")


def _anchor(value: Any, classes: Mapping[str, frozenset[str]], where: str) -> str:
    if not isinstance(value, str):  # YAML reads a bare no, on or off as true or false
        raise LexiconError(f"{where}: anchor {value!r} is not a word (quote it)")
    key = value if value.isupper() else _word(value)
    if key.isupper() and key not in classes and key not in _PEOPLE:
        raise LexiconError(f"{where}: anchor {key} is not a word class")
    if " " in key:
        raise LexiconError(f"{where}: anchor '{key}' must be one word or a class")
    return key


def _names(d: Mapping[str, Any]) -> NameWords:
    def words(key: str) -> frozenset[str]:
        return frozenset(_word(w) for w in _list(d.get(key), f"names.yaml: {key}"))

    return NameWords(
        titles=words("titles") | frozenset(w.rstrip(".") for w in words("titles")),
        role_synonyms=tuple(
            frozenset(_word(w) for w in _list(g, "names.yaml: role_synonyms"))
            for g in _list(d.get("role_synonyms"), "names.yaml: role_synonyms")
        ),
        role_abbreviations=tuple(
            (_word(k), tuple(_word(a) for a in _list(v, f"names.yaml: role_abbreviations: {k}")))
            for k, v in _mapping(d.get("role_abbreviations", {}), "names.yaml").items()
        ),
        ambiguous_roles=words("ambiguous_roles"),
        determiners=words("determiners"),
        role_stop_after=words("role_stop_after"),
        max_role_holders=int(d.get("max_role_holders", 2)),
        common_words=words("common_words"),
        not_person_before=words("not_person_before"),
        person_after=words("person_after"),
        person_acts=words("person_acts"),
        person_owns=words("person_owns"),
        child_nouns=words("child_nouns"),
        at_work=re.compile(
            r",? (?:in|from|at|on|who works in|who runs) (?:the |our )?"
            rf"{alternation(words('workplaces'))}(?![a-z])"
            r"|,? (?:the|our|my (?:son's|daughter's|kids'|child's)) "
            rf"{alternation(words('job_titles'))}(?![a-z])"
            rf"|,? \((?:the |our )?{alternation(words('job_titles'))}(?![a-z])[^)\n]{{0,20}}\)"
        ),
        title_before=re.compile(rf"(?<![a-z])(?:{alternation(words('job_titles'))}) $"),
        not_names=words("not_names"),
        first_names=words("first_names"),
        hashtag_negative=words("hashtag_negative"),
        school_words=words("school_words"),
        school_kinds=words("school_kinds"),
        number_words=tuple(_word(w) for w in _list(d.get("number_words"), "names.yaml")),
    )


def _private(d: Mapping[str, Any]) -> PrivateWords:
    def words(key: str) -> list[str]:
        return [_word(w) for w in _list(d.get(key), f"private.yaml: {key}")]

    def rule(key: str) -> PrivateRule:
        entry = _mapping(d.get(key), f"private.yaml: {key}")
        try:
            return PrivateRule(
                str(entry["rule"]), Severity(entry["severity"]), str(entry["reason"])
            )
        except (KeyError, ValueError) as exc:
            raise LexiconError(f"rules/data/private.yaml: {key}: {exc!r}") from exc

    def cues(key: str) -> re.Pattern[str]:
        return re.compile(rf"(?<![a-z0-9]){alternation(set(words(key)))}(?![a-z0-9])")

    return PrivateWords(
        phone=rule("phone"),
        email=rule("email"),
        social=rule("social"),
        personal_email_domains=frozenset(words("personal_email_domains")),
        public_email_suffixes=tuple(words("public_email_suffixes")),
        social_hosts=frozenset(words("social_hosts")),
        social_non_profiles=frozenset(words("social_non_profiles")),
        own_cues=cues("own_cues"),
        public_cues=cues("public_cues"),
        other_cues=cues("other_cues"),
        trade_cues=cues("trade_cues"),
    )


# libyaml's safe loader, where PyYAML was built with it: the same data, ten times as fast.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(name: str) -> Any:
    return _parse(resources.files("rules").joinpath("data", name), f"rules/data/{name}")


def _parse(file: Traversable, where: str, skip: re.Pattern[str] | None = None) -> Any:
    text = file.read_text(encoding="utf-8")
    try:
        return yaml.load(skip.sub("", text) if skip else text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise LexiconError(f"{where}: {exc}".replace("\n", " ")) from exc


def _entries(data: Any, name: str) -> list[tuple[str, Mapping[str, Any]]]:
    out = []
    for i, entry in enumerate(_list(data, name)):
        where = f"rules/data/{name} entry {i + 1}"
        if not isinstance(entry, Mapping):
            raise LexiconError(f"{where}: expected a mapping")
        out.append((f"{where} ({entry.get('rule', '?')})", entry))
    return out


def _rule(entry: Mapping[str, Any], where: str, *, default_mode: Mode) -> Rule:
    try:
        category = Category(entry["category"])
        return Rule(
            id=str(entry["rule"]),
            category=category,
            severity=Severity(entry["severity"]),
            clause=Clause(entry["clause"]) if "clause" in entry else DEFAULT_CLAUSE[category],
            reason=str(entry["reason"]),
            mode=Mode(entry.get("mode", default_mode)),
        )
    except (KeyError, ValueError) as exc:
        raise LexiconError(f"{where}: {exc!r}") from exc


class Pattern:
    """A phrase pattern, compiled the first time it is searched. Parsing the phrase patterns
    (most of a megabyte of regular expressions, word classes written out) is most of what
    loading the rules core costs; a bot or a scan pays only for the patterns its messages reach.
    tests/rules check that every one compiles."""

    __slots__ = ("_compiled", "_where", "source")

    def __init__(self, source: str, where: str) -> None:
        self.source = source
        self._where = where
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        compiled = self._compiled
        if compiled is None:  # two threads may both compile it: the same result either way
            try:
                compiled = self._compiled = re.compile(self.source)
            except re.error as exc:
                raise LexiconError(f"{self._where}: bad pattern: {exc}") from exc
        return compiled

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.search(text, pos, endpos)

    def finditer(
        self, text: str, pos: int = 0, endpos: int = sys.maxsize
    ) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(text, pos, endpos)


def _compile(text: str, classes: Mapping[str, frozenset[str]], where: str) -> Pattern:
    """A pattern (macros already expanded) as the regular expression it stands for."""

    def expand(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in _PEOPLE:
            return _PEOPLE[name]
        if name not in classes:
            raise LexiconError(f"{where}: unknown class or macro {{{name}}}")
        return _class_alternation(classes[name])

    text = _MACRO.sub(expand, _optional_apostrophes(text).replace(" ", "\x00"))
    text = text.replace("\x00", _SEP)
    return Pattern(rf"(?<![a-z0-9])(?:{text})(?![a-z0-9])", where)


def alternation(words: frozenset[str] | set[str]) -> str:
    """A regex matching any of `words` (spaces as gaps, apostrophes optional), built as a trie:
    Python's re tries alternatives one by one, so shared prefixes are factored out to keep a
    class of a hundred phrases as fast as one word."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return "(?:" + _trie_regex(trie) + ")"


@cache
def _class_alternation(words: frozenset[str]) -> str:
    """A word class's alternation, built once however many patterns use the class."""
    return alternation(words)


def _trie_regex(node: Mapping[str, Any]) -> str:
    branches = []
    for ch, child in sorted(node.items()):
        if ch:
            text = _char(ch)
            while len(child) == 1 and "" not in child:  # one way on: no need to recurse
                ((ch, child),) = child.items()
                text += _char(ch)
            branches.append(text + _trie_regex(child))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:  # a word ends here and longer ones go on: the rest is optional, greedy
        return body + "?" if len(branches) > 1 else "(?:" + body + ")?"
    return body


@cache
def _char(ch: str) -> str:
    if ch == " ":
        return _SEP
    if ch == "'":
        return "'?"
    return re.escape(ch)


def _optional_apostrophes(pattern: str) -> str:
    """People drop apostrophes ("im", "dont", "shes"): each one outside [...] becomes optional."""
    if "'" not in pattern:
        return pattern
    out, depth, at = [], 0, 0
    for m in _APOSTROPHE_SYNTAX.finditer(pattern):  # escapes, brackets and apostrophes only
        c = m.group()
        if c == "[":
            depth += 1
        elif c == "]" and depth:
            depth -= 1
        elif c == "'" and not depth:
            out.append(pattern[at : m.end()] + "?")
            at = m.end()
    out.append(pattern[at:])
    return "".join(out)


_APOSTROPHE_SYNTAX = re.compile(r"\\.|[\[\]']", re.DOTALL)


_FILLER = frozenset(
    [
        "a",
        "an",
        "the",
        "in",
        "of",
        "to",
        "for",
        "not",
        "out",
        "on",
        "at",
        "is",
        "are",
        "be",
        "it",
        "and",
        "or",
        "my",
        "your",
        "our",
        "their",
        "his",
        "her",
        "so",
        "such",
        "no",
        "all",
        "up",
        "down",
        "with",
        "by",
        "from",
        "this",
        "that",
        "people",
        "kids",
        "children",
        "family",
        "families",
        "parents",
    ]
)


def _telling_word(words: tuple[str, ...]) -> str | None:
    """The word of a phrase least likely to occur by chance: the longest that is not filler."""
    content = [w for w in words if w not in _FILLER] or list(words)
    return max(content, key=len) if content else None


def _tokens(value: Any) -> tuple[str, ...]:
    """The words of a term as the engine tokenises text ("sod's law" -> sod, s, law)."""
    return tuple(_TOKEN.findall(_word(value)))


_TOKEN = re.compile(r"[a-z0-9]+")


def _word(value: Any) -> str:
    return " ".join(str(value).casefold().split())


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise LexiconError(f"{where}: expected a list")
    return value


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise LexiconError(f"rules/data/{where}: expected a mapping")
    return value
