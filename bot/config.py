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
from datetime import datetime, time, timedelta
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
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.model import ChatRef
from bot.platform import Capability
from bot.platform_settings import DiscordSettings, SlackSettings, TelegramSettings
from rules.custom import compile_pattern
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
    """A member of staff, in the shape of `eval/riverside.yaml`."""

    id: Id
    title: Name = ""
    first: Name = ""
    last: Name
    roles: tuple[Name, ...] = ()
    aliases: tuple[Name, ...] = ()


class Contact(_Model):
    """An SLT member or admin: a name and their user id on each platform they use."""

    name: str
    telegram: Id | None = None
    discord: Id | None = None
    slack: Id | None = None
    local: Id | None = None

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


class ChatConfig(_Model):
    platform: PlatformName
    id: Id
    name: str = ""


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
        """The first end of quiet hours after `local` (an aware time in the school's zone)."""
        end = datetime.combine(local.date(), self.end, tzinfo=local.tzinfo)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=local.tzinfo)
        return end


class Escalation(_Model):
    window_days: int = Field(default=30, ge=1)  # offences older than this no longer count
    alert_after: int = Field(default=2, ge=1)  # the Nth offence in the window alerts SLT
    urgent_after: int = Field(default=4, ge=1)  # the Nth offence in the window is urgent


_ALL = tuple(Category)


class PolicySettings(_Model):
    """How a verdict becomes actions. Medium and high severity always alert SLT."""

    remind: tuple[Category, ...] = _ALL  # categories whose sender gets a private reminder
    alert: tuple[Category, ...] = _ALL  # categories that alert SLT (low ones only on repeats)
    urgent: tuple[Category, ...] = (Category.THREAT, Category.DISCRIMINATION)  # alert at once
    delete: tuple[Category, ...] = ()  # categories whose messages are deleted, where possible
    escalation: Escalation = Escalation()
    retention_days: int = Field(default=90, ge=1)
    quiet_hours: QuietHours | None = None
    timezone: str = "Europe/London"  # for quiet hours and the times shown in messages
    welcome: bool = True  # welcome new members with the code and an acknowledge button

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
    admins: tuple[Contact, ...] = ()
    chats: tuple[ChatConfig, ...] = ()
    custom_rules: tuple[CustomRuleConfig, ...] = ()  # the school's own patterns and words

    def chat(self, platform: str, chat_id: str) -> ChatConfig | None:
        return next((c for c in self.chats if c.platform == platform and c.id == chat_id), None)

    def chat_name(self, chat: ChatRef) -> str:
        """The chat's name as the config gives it, else as the platform does."""
        config = self.chat(chat.platform, chat.chat_id)
        return (config.name if config else "") or chat.title or chat.chat_id


class Config(_Model):
    schools: tuple[School, ...]
    storage: StorageSettings = StorageSettings()
    policy: PolicySettings = PolicySettings()
    outbox: OutboxSettings = OutboxSettings()
    telegram: TelegramSettings | None = None
    discord: DiscordSettings | None = None
    slack: SlackSettings | None = None
    local: LocalSettings | None = None

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
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{source}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{source}: cannot read: {exc}"]) from None
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
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError([f"{source}:{line}: not valid YAML: {exc.problem}"]) from None
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
    # A value whose variable is missing is still checked as written; what that finds at its
    # key only repeats the variable's problem.
    unset = [p.loc for p in environment]
    found = [p for p in found if not any(p.loc[: len(loc)] == loc for loc in unset)]
    problems = sorted(environment + found, key=lambda p: (not p.unknown_key, where.line(p.loc)))
    if problems:
        raise ConfigError([where.at(p.loc, p.message) for p in problems])
    return config


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
    """Rules that span several entries: unique school ids, custom rule ids and chats."""
    problems: list[tuple[Loc, str]] = []
    schools: dict[str, int] = {}
    chats: dict[tuple[str, str], str] = {}
    for i, school in enumerate(config.schools):
        if school.id in schools:
            problems.append((("schools", i, "id"), f"school id {school.id!r} is used twice"))
        schools.setdefault(school.id, i)
        rule_ids: set[str] = set()
        for j, rule in enumerate(school.custom_rules):
            if rule.id in rule_ids:
                where = ("schools", i, "custom_rules", j, "id")
                problems.append((where, f"custom rule id {rule.id!r} is used twice"))
            rule_ids.add(rule.id)
        for j, chat in enumerate(school.chats):
            owner = chats.get((chat.platform, chat.id))
            chats.setdefault((chat.platform, chat.id), school.id)
            if owner is not None:
                problems.append(
                    (
                        ("schools", i, "chats", j, "id"),
                        f"{chat.platform} chat {chat.id} is already listed under school {owner!r}",
                    )
                )
    return problems


def warnings(config: Config) -> list[str]:
    """Things that are valid but probably not what the admin wants (printed by check-config)."""
    notes: list[str] = []
    enabled = set(config.enabled_platforms)
    for school in config.schools:
        for platform in sorted({c.platform for c in school.chats} - enabled):
            notes.append(f"school {school.id}: has {platform} chats but no '{platform}:' section")
        if school.chats and not any(
            c.id_on(p) for c in school.slt for p in enabled or set(PLATFORMS)
        ):
            notes.append(f"school {school.id}: no SLT contact on an enabled platform gets alerts")
    return notes
