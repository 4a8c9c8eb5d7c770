"""The bot's configuration: one YAML file parsed into frozen pydantic models.

Every error becomes one `ConfigError` line naming the file, the line and the key path, e.g.
`school.yaml:12: schools[0].chats[1].platform: expected one of ...`. All the problems in a
file are found in one pass: unknown keys first (their suggestion often explains the rest), then
in the order of the file. `${VAR}` in any string is replaced from the environment; a variable
that is not set, or is empty where a secret is expected, is a problem naming the variable and
the key. Secrets stay `SecretStr` so they never reach a log line or an error.
"""

from __future__ import annotations

import difflib
import os
import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.everyday import everyday_messages, everyday_messages_matched
from bot.model import ChatRef
from bot.platform import Capability
from bot.platform_settings import DiscordSettings, SlackSettings, TelegramSettings
from rules.custom import CustomRule, compile_pattern
from rules.model import Category, Clause, Severity
from rules.roster import check_name

PlatformName = Literal["telegram", "discord", "slack", "local"]
PLATFORMS: tuple[PlatformName, ...] = ("telegram", "discord", "slack", "local")


class ConfigError(Exception):
    """A config problem; `str(error)` is one line naming file, line and key path."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(self.problems[0] + suffix)


def _id_to_str(value: object) -> object:
    # Platform ids are written bare in YAML (telegram: 111); they are strings everywhere else.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Id = Annotated[str, BeforeValidator(_id_to_str), Field(min_length=1)]
# A staff name, title, role or alias, or a pupil's name: punctuation or pattern syntax such as
# "(a+)+$" would be read as the letters in it and name whoever writes an "a".
Name = Annotated[str, AfterValidator(lambda text: check_name(text, ""))]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StaffEntry(_Model):
    """A member of staff, as in `examples/riverside.yaml`."""

    id: Id
    title: Name = ""
    first: Name = ""
    last: Name
    roles: tuple[Name, ...] = ()
    aliases: tuple[Name, ...] = ()

    @field_validator("last", mode="before")
    @classmethod
    def _has_surname(cls, last: object) -> object:
        # Before the name check, which would only say "it has no letter".
        if isinstance(last, str) and not last.strip():
            # Alerts and the rules name staff by surname: "Miss , a member of staff" helps nobody.
            raise ValueError("the surname is empty; write it as staff call them, e.g. last: Patel")
        return last


class Contact(_Model):
    """A person the bot knows by id (SLT, the safeguarding lead, an admin, a fallback contact):
    a name, their user id on each platform they use, and for school staff their id in the
    `staff` roster, so that an alert about a message naming them goes to someone else."""

    name: str
    staff: Id | None = None
    telegram: Id | None = None
    discord: Id | None = None
    slack: Id | None = None
    local: Id | None = None
    digest: bool = True  # the weekly digest, where the school sends one; false opts out

    def id_on(self, platform: str) -> str | None:
        value = getattr(self, platform, None) if platform in PLATFORMS else None
        return value if isinstance(value, str) else None


class CustomRuleConfig(_Model):
    """A school's own rule (rules/custom.py): a `pattern` in RE2 syntax, `words`, or both."""

    id: Id
    category: Category
    reason: str = Field(min_length=1)  # completes "This message contains ..."
    severity: Severity = Severity.MEDIUM
    clause: Clause | None = None  # default: the category's clause
    pattern: str | None = None
    words: tuple[str, ...] = ()

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            compile_pattern(pattern)  # raises a one-line reason RE2 gives
        return pattern

    @model_validator(mode="after")
    def _matches_something(self) -> CustomRuleConfig:
        if not self.pattern and not self.words:
            raise ValueError("give a pattern or words to match")
        return self


class Mode(StrEnum):
    """Whether the bot acts on what it finds, or only shows SLT what it would have done."""

    ENFORCE = "enforce"  # reminders, deletions, notices and welcomes go out as the policy says
    OBSERVE = "observe"  # a quiet start: SLT are alerted about every flag, members get nothing


class ChatConfig(_Model):
    platform: PlatformName
    id: Id
    name: str = ""
    mode: Mode | None = None  # overrides the school's `mode` for this chat


class CodeOfConduct(_Model):
    """A school's code of conduct. Keys left out are taken from the built-in default code."""

    title: str
    version: str
    url: str = ""
    complaints_url: str = ""
    summary: str = ""
    privacy: str = ""  # shown by /privacy; `{retention_days}` is filled in
    clauses: dict[Clause, str]

    @model_validator(mode="before")
    @classmethod
    def _fill_from_default(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or _default_code_raw() is data:
            return data
        merged = dict(_default_code_raw())
        merged.update(data)
        clauses = data.get("clauses")
        if isinstance(clauses, Mapping):
            merged["clauses"] = {**_default_code_raw()["clauses"], **clauses}
        return merged

    def clause(self, clause: Clause) -> str:
        return self.clauses.get(clause, "")


@cache
def _default_code_raw() -> dict[str, Any]:
    text = resources.files("bot").joinpath("data/default_code.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise RuntimeError("bot/data/default_code.yaml is not a mapping")
    return data


@cache
def default_code() -> CodeOfConduct:
    """The built-in code of conduct (bot/data/default_code.yaml)."""
    return CodeOfConduct.model_validate(_default_code_raw())


class QuietHours(_Model):
    """Low-severity alerts raised in these hours (the school's time zone) wait until the end."""

    start: time
    end: time

    @field_validator("start", "end", mode="before")
    @classmethod
    def _pad_hour(cls, value: object) -> object:
        # Accept 7:00 as well as 07:00.
        return f"0{value}" if isinstance(value, str) and re.fullmatch(r"\d:\d\d", value) else value

    def contains(self, local: datetime) -> bool:
        moment = local.time()
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # spans midnight

    def next_end(self, local: datetime) -> datetime:
        """The first end of quiet hours after `local` (an aware time in the school's zone).

        Compared as instants, not wall-clock times: on the night the clocks go back the end
        time occurs twice, and an alert held in the repeated hour waits for the second."""
        zone = local.tzinfo
        after = local.astimezone(UTC)
        ends = (
            datetime.combine(local.date() + timedelta(days=day), self.end.replace(fold=fold), zone)
            for day in (0, 1, 2)
            for fold in (0, 1)
        )
        return min(end.astimezone(UTC) for end in ends if end.astimezone(UTC) > after).astimezone(
            zone
        )


DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class WeeklyDigest(_Model):
    """A direct message to each SLT contact once a week (the school's time zone): last week's
    counts and changes, with the report attached where the platform takes a file."""

    day: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = (
        "monday"
    )
    at: time = time(8, 0)

    @field_validator("at", mode="before")
    @classmethod
    def _pad_hour(cls, value: object) -> object:
        return f"0{value}" if isinstance(value, str) and re.fullmatch(r"\d:\d\d", value) else value

    def last_before(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """The latest time a digest was due at or before `moment`, in `zone`."""
        local = moment.astimezone(zone)
        back = (local.weekday() - DAYS.index(self.day)) % 7
        due = datetime.combine(local.date() - timedelta(days=back), self.at, zone)
        return due if due <= local else due - timedelta(days=7)


class Escalation(_Model):
    window_days: int = Field(default=30, ge=1)  # offences older than this no longer count
    alert_after: int = Field(default=2, ge=1)  # the Nth offence in the window alerts SLT
    urgent_after: int = Field(default=4, ge=1)  # the Nth offence in the window is urgent


_ALL = tuple(Category)


class LearnedUse(StrEnum):
    """How flags of the learned stage alone (the rules core found nothing) are acted on."""

    REVIEW = "review"  # below its confident threshold: SLT review it, the parent hears nothing
    ACT = "act"  # like the rules core's flags: the parent is reminded as the policy says
    OFF = "off"  # the rules core alone


class PolicySettings(_Model):
    """How a verdict becomes actions. Medium and high severity always alert SLT."""

    remind: tuple[Category, ...] = _ALL  # categories whose sender gets a private reminder
    alert: tuple[Category, ...] = _ALL  # categories that alert SLT (low ones only on repeats)
    urgent: tuple[Category, ...] = (Category.THREAT, Category.DISCRIMINATION)  # alert at once
    delete: tuple[Category, ...] = ()  # categories whose messages are deleted, where possible
    escalation: Escalation = Escalation()
    retention_days: int = Field(default=90, ge=1)
    quiet_hours: QuietHours | None = None
    # SLT's weekly digest, Mondays at 08:00 unless set; `weekly_digest: off` for none.
    weekly_digest: WeeklyDigest | None = WeeklyDigest()
    timezone: str = "Europe/London"  # for quiet hours and the times shown in messages
    welcome: bool = True  # welcome new members with the code and an acknowledge button
    learned: LearnedUse = LearnedUse.REVIEW
    mode: Mode = Mode.ENFORCE  # per chat too: `chats[].mode`

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/London)") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @field_validator("learned", "weekly_digest", mode="before")
    @classmethod
    def _off(cls, value: object, info: ValidationInfo) -> object:
        # YAML reads an unquoted `off` as false; no weekly digest is None.
        off = "off" if value is False else value
        return None if info.field_name == "weekly_digest" and off == "off" else off


class StorageSettings(_Model):
    path: str = "schoolgate.sqlite3"
    # WAL with NORMAL survives a crash of the process; FULL also a power cut, at some speed.
    synchronous: Literal["normal", "full"] = "normal"


class OutboxSettings(_Model):
    """How actions are delivered."""

    # A call the platform has not answered after this many seconds is abandoned; whether it
    # got through is then unknown, and the next attempt first asks the platform where it can.
    delivery_timeout: float = Field(default=60.0, gt=0)
    retry_delay: float = Field(default=1.0, gt=0)  # first wait after an error; doubles each time


class ConnectSettings(_Model):
    """How a platform that cannot be reached at start is tried again (each on its own)."""

    retry_delay: float = Field(default=1.0, gt=0)  # first wait; doubles after each failure
    max_retry_delay: float = Field(default=60.0, gt=0)  # the longest wait between attempts


class HealthSettings(_Model):
    """`GET /healthz` (bot/health.py). Loopback by default: for this machine's supervisor."""

    listen: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port (it is logged)


class LocalSettings(_Model):
    """The in-process platform of the demo and tests."""

    capabilities: tuple[Capability, ...] = tuple(Capability)


class School(_Model):
    id: Id
    name: str
    policy: CodeOfConduct = Field(default_factory=default_code)
    moderation: PolicySettings | None = None  # overrides the top-level `policy:` for this school
    staff: tuple[StaffEntry, ...] = ()
    pupils: tuple[Name, ...] = ()
    slt: tuple[Contact, ...] = ()
    # The designated safeguarding lead and deputies (see bot/roles.py for what they may do).
    dsl: tuple[Contact, ...] = ()
    dsl_deputies: tuple[Contact, ...] = ()
    # Alerted in place of SLT about a message naming every SLT contact (the chair of governors,
    # to whom the complaints policies send complaints about the head).
    fallback: tuple[Contact, ...] = ()
    admins: tuple[Contact, ...] = ()
    chats: tuple[ChatConfig, ...] = ()
    custom_rules: tuple[CustomRuleConfig, ...] = ()  # the school's own patterns and words

    def chat(self, platform: str, chat_id: str) -> ChatConfig | None:
        return next((c for c in self.chats if c.platform == platform and c.id == chat_id), None)

    def alerted_about(self, named: Sequence[str]) -> tuple[Contact, ...]:
        """Who is alerted about a message naming these staff ids: the SLT contacts it does not
        name; where it names them all, the fallback contacts it does not name. Never the person
        a message is about."""
        left = tuple(c for c in self.slt if c.staff not in named)
        if left or not self.slt:
            return left
        return tuple(c for c in self.fallback if c.staff not in named)

    def chat_name(self, chat: ChatRef) -> str:
        """The chat's name as the config gives it, else as the platform does."""
        config = self.chat(chat.platform, chat.chat_id)
        return (config.name if config else "") or chat.title or chat.chat_id


class Config(_Model):
    schools: tuple[School, ...]
    storage: StorageSettings = StorageSettings()
    policy: PolicySettings = PolicySettings()
    outbox: OutboxSettings = OutboxSettings()
    connect: ConnectSettings = ConnectSettings()
    health: HealthSettings | None = None
    telegram: TelegramSettings | None = None
    discord: DiscordSettings | None = None
    slack: SlackSettings | None = None
    local: LocalSettings | None = None
    _advice: tuple[Advice, ...] = PrivateAttr(default=())

    @property
    def advice(self) -> tuple[Advice, ...]:
        """What `parse_config` found valid but probably wrong on this machine (see `Advice`)."""
        return self._advice

    @field_validator("schools")
    @classmethod
    def _at_least_one(cls, schools: tuple[School, ...]) -> tuple[School, ...]:
        if not schools:
            raise ValueError("list at least one school")
        return schools

    @cached_property
    def _chat_index(self) -> dict[tuple[str, str], School]:
        return {(c.platform, c.id): s for s in self.schools for c in s.chats}

    def chats_on(self, platform: str) -> list[tuple[School, ChatConfig]]:
        return [(s, c) for s in self.schools for c in s.chats if c.platform == platform]

    def school_for_chat(self, platform: str, chat_id: str) -> School | None:
        return self._chat_index.get((platform, chat_id))

    def school(self, school_id: str) -> School | None:
        return next((s for s in self.schools if s.id == school_id), None)

    def settings_for(self, school: School) -> PolicySettings:
        return school.moderation or self.policy

    def mode_for(self, school: School, chat: ChatRef) -> Mode:
        """The chat's own `mode`, else its school's."""
        config = school.chat(chat.platform, chat.chat_id)
        own = config.mode if config is not None else None
        return own or self.settings_for(school).mode

    @property
    def enabled_platforms(self) -> list[str]:
        return [p for p in PLATFORMS if getattr(self, p) is not None]


# ---- loading ---------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's base-60 and octal numbers: `21:00` stays a time string
    and an id like `0123` stays a string."""


_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _NUMBER_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)

Loc = tuple[str | int, ...]
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def load_config(path: str | os.PathLike[str]) -> Config:
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{source}: no such file"]) from None
    except OSError as exc:
        raise ConfigError([f"{source}: cannot read: {exc}"]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            [
                f"{source}:{line}: the file is not saved as UTF-8 (byte {data[exc.start]:#04x} "
                "here is not UTF-8 text): open it in a text editor and save it again choosing "
                "the UTF-8 encoding"
            ]
        ) from None
    return parse_config(text, source)


def parse_config(text: str, source: str) -> Config:
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, such as NUL
        line = text.count("\n", 0, exc.position) + 1
        problem = f"character {exc.character:#06x} is not allowed ({exc.reason})"
        raise ConfigError([f"{source}:{line}: not valid YAML: {problem}"]) from None
    try:
        node = loader.get_single_node()
        if node is not None and _expanded_size(node) > MAX_ENTRIES:
            raise ConfigError(
                [
                    f"{source}: its YAML aliases (*name) expand to more than {MAX_ENTRIES:,} "
                    "entries, far more than any school has: write the entries out instead"
                ]
            )
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError([f"{source}:{line}: not valid YAML: {in_words(exc)}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{source}: not valid YAML: {' '.join(str(exc).split())}"]) from None
    except RecursionError:
        raise ConfigError([f"{source}: not valid YAML: nested too deeply"]) from None
    finally:
        loader.dispose()
    if node is None:
        raise ConfigError([f"{source}:1: the config is empty; it needs at least 'schools:'"])
    where = _Locator(source, node)
    if not isinstance(data, dict):
        raise ConfigError([where.at((), "the config must be a mapping of sections")])
    duplicate = _first_duplicate_key(node, ())
    if duplicate:
        loc, line = duplicate
        raise ConfigError([f"{source}:{line}: {_path(loc)}: key given twice"])
    environment: list[_Problem] = []
    data = _expand_env(data, (), environment)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        found = [
            _Problem(_loc(e), _describe(e), e["type"] == "extra_forbidden") for e in exc.errors()
        ]
    else:
        found = [_Problem(loc, message) for loc, message in _cross_checks(config)]
        config._advice = tuple(
            Advice(where.at(loc, note), stops) for loc, note, stops in _notes_on(config)
        )
    # A value whose variable is missing is still checked as written; what that finds at its
    # key only repeats the variable's problem.
    unset = [p.loc for p in environment]
    found = [p for p in found if not any(p.loc[: len(loc)] == loc for loc in unset)]
    problems = sorted(environment + found, key=lambda p: (not p.unknown_key, where.line(p.loc)))
    if problems:
        raise ConfigError([where.at(p.loc, p.message) for p in problems])
    return config


# Far more than any school's config holds; an alias "bomb" of a few lines expands past it.
MAX_ENTRIES = 100_000


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes the document has once every alias is expanded, counted without expanding
    (each node once, memoised), so that a file of a few lines cannot take minutes and gigabytes
    to load. A node that contains itself counts as too many."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in visiting:
            return MAX_ENTRIES + 1
        visiting.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += size(k) + size(v)
                if total > MAX_ENTRIES:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item)
                if total > MAX_ENTRIES:
                    break
        visiting.discard(key)
        sizes[key] = total = min(total, MAX_ENTRIES + 1)
        return total

    return size(root)


# The YAML parser's words for common slips, in an IT admin's words. The line stays in front.
_PLAIN_YAML: tuple[tuple[str, str], ...] = (
    (
        "found character '\\t'",
        "a tab character: YAML indents with spaces only; replace the tab with spaces",
    ),
    (
        "expected <block end>",
        "this line is indented differently from the lines above it: line it up with the other "
        "keys of its section (spaces, not tabs)",
    ),
    (
        "did not find expected key",
        "this line is indented differently from the lines above it, or a quote above is not closed",
    ),
    (
        "did not find expected '-' indicator",
        "a list item here is indented differently from the items above it",
    ),
    (
        "mapping values are not allowed here",
        "a ':' where one cannot go: put text that contains ': ' in quotes, or check that the "
        "line is indented under the right key",
    ),
    (
        "could not find expected ':'",
        "a key without a ':' after it, or a quote that is not closed",
    ),
    (
        "expected ',' or ']'",
        "a list in [ ] is not closed with ']', or its items are not separated by commas",
    ),
    (
        "expected ',' or '}'",
        "a group in { } is not closed with '}', or its entries are not separated by commas",
    ),
    ("found unexpected end of stream", "the file ends inside quoted text: a quote is not closed"),
    (
        "found unknown escape character",
        "a backslash in \"double-quoted\" text: use 'single quotes' for text with backslashes",
    ),
    ("found undefined alias", "a '*name' refers to an '&name' that is not defined above it"),
    (
        "found character '@'",
        "a value starting with '@' or '`' must be in quotes, e.g. \"@name\"",
    ),
    (
        "found character '`'",
        "a value starting with '@' or '`' must be in quotes, e.g. \"@name\"",
    ),
)


def in_words(exc: yaml.MarkedYAMLError) -> str:
    """What went wrong, without the parser's jargon where a plain description is known."""
    said = f"{exc.context or ''} {exc.problem or ''}"
    for jargon, plain in _PLAIN_YAML:
        if jargon in said:
            return plain
    return f"the layout of this line is not valid YAML ({exc.problem})"


class _Problem(NamedTuple):
    loc: Loc
    message: str
    unknown_key: bool = False


class _Locator:
    """Maps a key path in the data back to its line in the YAML text."""

    def __init__(self, source: str, root: yaml.Node) -> None:
        self.source = source
        self.root = root

    def line(self, loc: Loc) -> int:
        node = self.root
        line = node.start_mark.line + 1
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            key_node, node = child
            line = (key_node or node).start_mark.line + 1
        return line

    def at(self, loc: Loc, message: str) -> str:
        path = _path(loc)
        return f"{self.source}:{self.line(loc)}: {path + ': ' if path else ''}{message}"


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return None, node.value[part]
    return None


def _first_duplicate_key(node: yaml.Node, loc: Loc) -> tuple[Loc, int] | None:
    """The path and line of the first key given twice in one mapping (YAML keeps the last)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                return (*loc, name), key.start_mark.line + 1
            seen.add(name)
            found = _first_duplicate_key(value, (*loc, name))
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found = _first_duplicate_key(item, (*loc, index))
            if found:
                return found
    return None


def _expand_env(value: Any, loc: Loc, problems: list[_Problem]) -> Any:
    """`value` with `${VAR}` replaced from the environment. A variable that is not set is left
    as written, and one that is empty where a secret belongs is used, so that the rest of the
    file is still checked; each is added to `problems`, named but never its value."""
    if isinstance(value, str):

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            found = os.environ.get(name)
            if found is None:
                problems.append(_Problem(loc, f"environment variable {name} is not set"))
                return match.group(0)
            if not found.strip() and _annotation_at(loc) is SecretStr:
                problems.append(_Problem(loc, f"environment variable {name} is set but empty"))
            return found

        return _ENV.sub(lookup, value)
    if isinstance(value, dict):
        return {k: _expand_env(v, (*loc, str(k)), problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, (*loc, i), problems) for i, v in enumerate(value)]
    return value


def _path(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _loc(error: Any) -> Loc:
    # pydantic marks an invalid dict key with a trailing "[key]"; the key itself is the place.
    return tuple(p for p in error["loc"] if p != "[key]")


def _describe(error: Any) -> str:
    kind, loc, value = error["type"], _loc(error), error.get("input")
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key" + _suggest(str(loc[-1]), _keys_at(loc[:-1]))
    if kind == "enum" or kind == "literal_error":
        expected = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        return f"{value!r} is not one of {', '.join(expected)}" + _suggest(str(value), expected)
    if kind in _EXPECTED:
        # Name only the kind of value found: it may be a misplaced secret.
        return f"expected {_EXPECTED[kind]}, got {_KIND.get(type(value), type(value).__name__)}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


_EXPECTED = {
    "tuple_type": "a list",
    "list_type": "a list",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "dict_type": "a mapping of keys",
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "float_type": "a number",
    "time_type": 'a time such as "21:00"',
}


_KIND: dict[type, str] = {
    str: "text",
    int: "a number",
    float: "a number",
    bool: "true/false",
    dict: "a mapping",
    list: "a list",
    type(None): "nothing",
}


def _suggest(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _keys_at(loc: Loc) -> list[str]:
    """The keys allowed at a path."""
    model = _annotation_at(loc)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _annotation_at(loc: Loc) -> Any:
    """The type the model expects at a path (None where it expects nothing), found by walking
    the model classes."""
    annotation: Any = Config
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return None
    return _unwrap(annotation)


def _step(annotation: Any, part: str | int) -> Any:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        return field.annotation if field else None
    args = get_args(annotation)
    if get_origin(annotation) is dict and len(args) == 2:
        return args[1]
    if get_origin(annotation) in (list, tuple) and args:
        return args[0]
    return None


def _unwrap(annotation: Any) -> Any:
    """`X | None` and `Annotated[X, ...]` to X."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _cross_checks(config: Config) -> list[tuple[Loc, str]]:
    """Rules that span several entries (unique school ids, custom rule ids and chats), and
    values that are well-formed but cannot be right (a username where a numeric id belongs)."""
    problems: list[tuple[Loc, str]] = []
    schools: dict[str, int] = {}
    chats: dict[tuple[str, str], str] = {}
    for i, school in enumerate(config.schools):
        if school.id in schools:
            problems.append((("schools", i, "id"), f"school id {school.id!r} is used twice"))
        schools.setdefault(school.id, i)
        rule_ids: set[str] = set()
        for j, rule in enumerate(school.custom_rules):
            where: Loc = ("schools", i, "custom_rules", j)
            if rule.id in rule_ids:
                problems.append(((*where, "id"), f"custom rule id {rule.id!r} is used twice"))
            rule_ids.add(rule.id)
            problems += _everyday_problems(rule, where)
        roster = {s.id for s in school.staff}
        for group in ("slt", "dsl", "dsl_deputies", "fallback", "admins"):
            for j, contact in enumerate(getattr(school, group)):
                if contact.staff is not None and contact.staff not in roster:
                    problems.append(
                        (
                            ("schools", i, group, j, "staff"),
                            f"{contact.staff!r} is not the id of anyone in this school's staff",
                        )
                    )
        for j, chat in enumerate(school.chats):
            at: Loc = ("schools", i, "chats", j, "id")
            owner = chats.get((chat.platform, chat.id))
            chats.setdefault((chat.platform, chat.id), school.id)
            if owner is not None:
                problems.append(
                    (
                        at,
                        f"{chat.platform} chat {chat.id} is already listed under school {owner!r}",
                    )
                )
            wrong = _platform_id_problem(chat.platform, chat.id, chat=True)
            if wrong:
                problems.append((at, wrong))
        for group, role in (
            ("slt", "alerts"),
            ("dsl", "alerts"),
            ("dsl_deputies", "alerts"),
            ("fallback", "alerts"),
            ("admins", "/close and /reopen"),
        ):
            for j, contact in enumerate(getattr(school, group)):
                problems += _contact_problems(contact, ("schools", i, group, j), role)
    return problems


def _contact_problems(contact: Contact, where: Loc, role: str) -> list[tuple[Loc, str]]:
    if not any(contact.id_on(p) for p in PLATFORMS):
        reach = "no alert can reach them" if role == "alerts" else f"they cannot use {role}"
        return [
            (
                where,
                f"{contact.name} has no id on any platform, so {reach}: add their user id, "
                'e.g. telegram: 123456789, discord: "222222222222222222" or slack: U0123ABCD',
            )
        ]
    found: list[tuple[Loc, str]] = []
    for platform in PLATFORMS:
        value = contact.id_on(platform)
        wrong = _platform_id_problem(platform, value, chat=False) if value else None
        if wrong:
            found.append(((*where, platform), wrong))
    return found


# What each platform's ids look like, with where an admin finds the right one.
_ID_SHAPES: dict[tuple[str, bool], tuple[re.Pattern[str], str]] = {
    ("telegram", False): (
        re.compile(r"\d+"),
        "a Telegram user id is a number such as 123456789, not a @username "
        "(docs/telegram.md, step 7)",
    ),
    ("telegram", True): (
        re.compile(r"-?\d+"),
        "a Telegram group id is a number such as -1001234567890, not a @name or a link "
        "(docs/telegram.md, step 5)",
    ),
    ("discord", False): (
        re.compile(r"\d+"),
        'a Discord user id is a long number such as "222222222222222222" '
        "(Developer Mode, then Copy User ID; docs/discord.md, step 5)",
    ),
    ("discord", True): (
        re.compile(r"\d+"),
        'a Discord channel id is a long number such as "555555555555555555" '
        "(Developer Mode, then Copy Channel ID; docs/discord.md, step 5)",
    ),
    ("slack", False): (
        re.compile(r"[UW][A-Z0-9]+"),
        "a Slack member id looks like U0123ABCD, not a name "
        "(profile, then ⋮, then Copy member ID; docs/slack.md, step 7)",
    ),
    ("slack", True): (
        re.compile(r"[CG][A-Z0-9]+"),
        "a Slack channel id looks like C0123ABCD, not the channel's name "
        "(channel details, at the bottom of About; docs/slack.md, step 7)",
    ),
}


def _platform_id_problem(platform: str, value: str, *, chat: bool) -> str | None:
    """Why `value` cannot be a user (or chat) id on the platform, or None if it can be."""
    shape = _ID_SHAPES.get((platform, chat))
    if shape is None or shape[0].fullmatch(value):
        return None
    return f"{value!r}: {shape[1]}"


def _everyday_problems(rule: CustomRuleConfig, where: Loc) -> list[tuple[Loc, str]]:
    """A custom rule that flags ordinary messages would remind every parent who posts one."""
    found: list[tuple[Loc, str]] = []
    for key, pattern, words in (("pattern", rule.pattern or "", ()), ("words", "", rule.words)):
        if not pattern and not words:
            continue
        part = CustomRule(rule.id, rule.category, rule.reason, pattern=pattern, words=words)
        caught = everyday_messages_matched(part)
        if caught:
            found.append(
                (
                    (*where, key),
                    f"this rule would flag everyday messages such as {caught[0]!r} "
                    f"({len(caught)} of the {len(everyday_messages())} tried): match only what "
                    'the school wants to stop, e.g. pattern: "gofundme\\\\.com/\\\\S+" or '
                    "words: [raffle tickets]",
                )
            )
    return found


@dataclass(frozen=True)
class Advice:
    """Something valid that is probably not what the admin wants, or that stops `run`."""

    text: str  # one line naming the file, the line and the key
    stops_run: bool = False


def _notes_on(config: Config) -> list[tuple[Loc, str, bool]]:
    """(key path, note, whether `run` must refuse) for what a valid config may still get wrong."""
    notes: list[tuple[Loc, str, bool]] = []
    enabled = set(config.enabled_platforms)
    for i, school in enumerate(config.schools):
        for platform in sorted({c.platform for c in school.chats} - enabled):
            notes.append(
                (
                    ("schools", i, "chats"),
                    f"school {school.id}: has {platform} chats but no '{platform}:' section",
                    False,
                )
            )
        if school.chats and not any(
            c.id_on(p) for c in school.slt for p in enabled or set(PLATFORMS)
        ):
            notes.append(
                (
                    ("schools", i, "slt"),
                    f"school {school.id}: no SLT contact on an enabled platform gets alerts",
                    False,
                )
            )
        notes += [
            (
                ("schools", i, "slt", j),
                f"school {school.id}: no one is left to alert about a message naming {who.name}, "
                "who is the only SLT contact it could go to; add a 'fallback:' contact such as "
                "the chair of governors",
                False,
            )
            for j, who in enumerate(school.slt)
            if who.staff is not None and not school.alerted_about((who.staff,))
        ]
    notes += [(("storage", "path"), note, stops) for note, stops in _storage_problems(config)]
    if config.telegram is not None and config.telegram.join_gate:
        notes += [
            (
                ("schools", i, "chats", j),
                f"school {school.id}: telegram chat {chat.id} is in observe mode, which sends no "
                "welcome, so with telegram.join_gate on its join requests wait until an admin "
                "approves them in Telegram",
                False,
            )
            for i, school in enumerate(config.schools)
            for j, chat in enumerate(school.chats)
            if chat.platform == "telegram"
            and config.mode_for(school, ChatRef(chat.platform, chat.id)) is Mode.OBSERVE
        ]
    return notes


def _storage_problems(config: Config) -> list[tuple[str, bool]]:
    """(note, whether `run` must refuse) about the database file on this machine."""
    path = Path(config.storage.path)
    folder = path.parent
    if not folder.is_dir():
        return [
            (
                f"the folder {str(folder)!r} does not exist, so the database cannot be made there:"
                f" create it (readable by the bot's user only) or give a path in an existing "
                "folder, e.g. /var/lib/schoolgate/schoolgate.sqlite3",
                True,
            )
        ]
    exposed = [p for p in _database_files(path) if p.exists() and p.stat().st_mode & 0o077]
    return [
        (
            f"{p} can be read by other users of this machine, and it holds parents' messages: "
            f"chmod 600 {p}",
            False,
        )
        for p in exposed
    ]


def _database_files(path: Path) -> list[Path]:
    """The SQLite file and the two files it keeps beside it in WAL mode."""
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def warnings(config: Config) -> list[str]:
    """Things that are valid but probably not what the admin wants (printed by check-config)."""
    return [a.text for a in config.advice]
