"""The text of a WhatsApp chat export, read into entries in the file's own order.

Both layouts a phone writes are read, line by line:

    14/09/2026, 21:37 - Name: text              (Android)
    [05/11/2026, 21:12:40] Name: text           (iPhone)

with 24- or 12-hour clocks and 2- or 4-digit years. A line that does not start with a date
and a time continues the message before it, so a message keeps its line breaks. Whether dates
are day or month first is decided from the whole file, never line by line.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import pairwise
from typing import Literal

from bot.whatsapp.language import Language, language

Kind = Literal["message", "media", "deleted", "system"]

# Direction marks WhatsApp puts around phone numbers, names and @mentions, and a byte-order
# mark: invisible, but they would make "Sam" and "\u2068Sam\u2069" two people.
INVISIBLE = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
)
_MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_ANY_MARK = re.compile(f"[{_MARKS}]")

_SPACE = "[ \u202f\u00a0]"
_DATE = r"(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
_TIME = (
    r"(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2}))?"
    rf"(?:{_SPACE}?(?P<ap>[aApP])\.?{_SPACE}?[mM]\.?)?"
)
_IPHONE = re.compile(rf"[{_MARKS}]*\[{_DATE},?{_SPACE}{_TIME}\]{_SPACE}(?P<rest>.*)")
_ANDROID = re.compile(rf"[{_MARKS}]*{_DATE},?{_SPACE}{_TIME}{_SPACE}[-–]{_SPACE}(?P<rest>.*)")


class NotAnExport(Exception):
    """The file is not a WhatsApp chat export; the message names the file and the line."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of the export: a message, a media placeholder, a deleted message, or one of
    WhatsApp's own lines (`system`, with no author)."""

    line: int  # where the entry starts in the file (1-based)
    author: str | None
    time: datetime  # the export's local time, as written
    kind: Kind
    text: str
    edited: bool = False
    unsaved: bool = False  # "~ Name": someone not in the exporting phone's contacts
    attachment: str | None = None  # the media file's name, where the export names it

    @property
    def judged_text(self) -> str:
        """What the rules core reads: a message's text, or the caption under media."""
        if self.kind == "message":
            return self.text
        if self.kind == "media":
            return self.text.partition("\n")[2]
        return ""


@dataclass(frozen=True, slots=True)
class Chat:
    entries: tuple[Entry, ...]
    name: str | None
    layout: Literal["android", "iphone"]
    day_first: bool
    order_assumed: bool  # no date settled it: read day first
    problems: tuple[str, ...] = field(default=())  # "line N: what could not be read"

    @property
    def members(self) -> list[str]:
        return sorted({e.author for e in self.entries if e.author is not None}, key=str.casefold)


@dataclass(slots=True)
class _Raw:
    number: int
    header: re.Match[str]
    lines: list[str]


def header(line: str) -> re.Match[str] | None:
    """The date, time and the rest of a line that starts an entry; None for a continuation."""
    first = line[:1]
    if first.isdigit():
        return _ANDROID.match(line)
    if first == "[":
        return _IPHONE.match(line)
    if first in _MARKS and first:
        return _IPHONE.match(line) or _ANDROID.match(line)
    return None


def clean(text: str) -> str:
    """The text without invisible marks (most texts have none: checked first, in one call)."""
    return text.translate(INVISIBLE) if _ANY_MARK.search(text) else text


def parse(
    text: str,
    source: str,
    *,
    attachments: Collection[str] | None = None,
    day_first: bool | None = None,
    lang: Language | None = None,
    chat_name: str | None = None,
) -> Chat:
    """Read an export's text. `attachments` are the files of the zip it came in, if any;
    `day_first` overrides the date order found in the file."""
    lang = lang or language()
    raws = _split(text, source)
    assumed = False
    if day_first is None:
        day_first, assumed = infer_day_first(
            [(int(r.header["a"]), int(r.header["b"]), int(r.header["y"])) for r in raws]
        )
    builder = _Builder(lang, source, attachments, chat_name)
    for raw in raws:
        builder.add(raw, day_first)
    layout: Literal["android", "iphone"] = "iphone" if raws[0].header.re is _IPHONE else "android"
    return Chat(
        entries=tuple(builder.entries),
        name=chat_name or builder.subject or builder.group_sender,
        layout=layout,
        day_first=day_first,
        order_assumed=assumed,
        problems=tuple(builder.problems),
    )


def _split(text: str, source: str) -> list[_Raw]:
    """The file's lines grouped into entries: a header line and the lines that continue it."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the file
    raws: list[_Raw] = []
    for number, line in enumerate(lines, start=1):
        found = header(line)
        if found is not None:
            raws.append(_Raw(number, found, [found["rest"]]))
        elif raws:
            raws[-1].lines.append(line)
        elif clean(line).strip():
            raise NotAnExport(f"{source}:{number}: not a WhatsApp chat export: {_quote(line)}")
    if not raws:
        raise NotAnExport(f"{source}:1: not a WhatsApp chat export: no dated message in it")
    return raws


def _quote(line: str, limit: int = 60) -> str:
    line = clean(line).strip()
    return repr(line if len(line) <= limit else line[: limit - 1] + "…")


def infer_day_first(dates: Sequence[tuple[int, int, int]]) -> tuple[bool, bool]:
    """(day first?, assumed?) for the dates of a file as (first, second, year) numbers.

    A first number above 12 settles it as a day, a second one as a month; failing that, the
    reading under which the dates run more steadily one way (forwards, or newest first) wins.
    A file that never settles it is read day first, as UK phones write, and says so."""
    if any(a > 12 for a, _, _ in dates):
        return True, False
    if any(b > 12 for _, b, _ in dates):
        return False, False
    day_first = _disorder([(y, b, a) for a, b, y in dates])
    month_first = _disorder([(y, a, b) for a, b, y in dates])
    if day_first != month_first:
        return day_first < month_first, False
    return True, True


def _disorder(dates: list[tuple[int, int, int]]) -> int:
    """How often the dates turn against their main direction."""
    forwards = backwards = 0
    for before, after in pairwise(dates):
        if after > before:
            forwards += 1
        elif after < before:
            backwards += 1
    return min(forwards, backwards)


def _time(found: re.Match[str], day_first: bool) -> datetime | None:
    a, b, year, hour, minute, second, half = found.group("a", "b", "y", "h", "mi", "s", "ap")
    day, month = (int(a), int(b)) if day_first else (int(b), int(a))
    h = int(hour)
    if half is not None:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if half in "pP" else 0)
    y = int(year)
    try:
        return datetime(y + 2000 if y < 100 else y, month, day, h, int(minute), int(second or 0))
    except ValueError:
        return None


def author_name(raw: str) -> tuple[str, bool]:
    """The author without invisible marks, and whether they were marked "~" (unsaved)."""
    name = clean(raw).strip()
    if name.startswith("~"):
        return name[1:].strip(), True
    return name, False


class _Builder:
    """Turns raw entries into `Entry`s, learning the group's names as it goes."""

    def __init__(
        self,
        lang: Language,
        source: str,
        attachments: Collection[str] | None,
        chat_name: str | None,
    ) -> None:
        self.lang = lang
        self.source = source
        self.attachments = attachments
        self.entries: list[Entry] = []
        self.problems: list[str] = []
        self.subject: str | None = None
        self.group_sender: str | None = None
        self.group_names = {chat_name} if chat_name else set()

    def add(self, raw: _Raw, day_first: bool) -> None:
        when = _time(raw.header, day_first)
        if when is None:
            if not self.entries:
                raise NotAnExport(
                    f"{self.source}:{raw.number}: not a WhatsApp chat export: "
                    f"no such date or time in {_quote(raw.header.string)}"
                )
            self.problems.append(
                f"line {raw.number}: no such date or time; read as part of the message before"
            )
            last = self.entries.pop()
            more = "\n".join([raw.header.string, *raw.lines[1:]])
            self.entries.append(replace(last, text=last.text + "\n" + more))
            return
        self.entries.append(self._entry(raw, when))

    def _entry(self, raw: _Raw, when: datetime) -> Entry:
        rest = raw.header["rest"]
        whole = "\n".join(raw.lines) if len(raw.lines) > 1 else rest
        author_part, colon, first_text = rest.partition(": ")
        if not colon:
            return self._system(raw.number, when, whole)
        author, unsaved = author_name(author_part)
        said = whole[len(author_part) + 2 :]
        if self.lang.wording.search(rest) is None:  # none of WhatsApp's own words: a message
            return self._message(raw.number, when, author, unsaved, clean(said), plain=True)
        iphone = raw.header.re is _IPHONE
        if self._is_system(rest, author, first_text, iphone):
            # An iPhone's own line is "sent" by someone; Android's has no author to cut off.
            return self._system(raw.number, when, said if iphone else whole)
        return self._message(raw.number, when, author, unsaved, clean(said))

    def _is_system(self, rest: str, author: str, first_text: str, iphone: bool) -> bool:
        if not iphone:
            # Android writes no author on its own lines: the whole rest must read as one, with
            # the person who acted named before any ": " ("Sam: Ali left" is Sam's message).
            text = clean(rest)
            found = self.lang.system.match(text)
            return found is not None and (
                "actor" not in found.re.groupindex or found.end("actor") < text.find(": ")
            )
        # An iPhone "sends" its own lines from the group's name or the person who acted, and
        # puts a left-to-right mark before them.
        found = self.lang.system.match(clean(first_text).strip())
        if found is None:
            return False
        actor = found.groupdict().get("actor")
        actor_name = author_name(actor)[0] if actor is not None else None
        if (
            first_text.startswith("\u200e")
            or actor_name is None
            or author in self.group_names
            or actor_name in (author, "You")
        ):
            if actor_name != author:
                self.group_names.add(author)
                self.group_sender = self.group_sender or author
            return True
        return False

    def _system(self, number: int, when: datetime, text: str) -> Entry:
        text = clean(text).strip()
        found = self.lang.system.match(text)
        subject = found.groupdict().get("subject") if found is not None else None
        if subject:
            self.subject = subject
            self.group_names.add(subject)
        return Entry(number, None, when, "system", text)

    def _message(
        self,
        number: int,
        when: datetime,
        author: str,
        unsaved: bool,
        text: str,
        *,
        plain: bool = False,
    ) -> Entry:
        edited = False
        body = text.rstrip()
        if body.endswith(self.lang.edited):
            text, edited = body[: -len(self.lang.edited)].rstrip(), True
        if plain:
            return Entry(number, author, when, "message", text, edited, unsaved)
        if self.lang.deleted.match(text.strip()) is not None:
            return Entry(number, author, when, "deleted", text.strip(), edited, unsaved)
        media = self.lang.media.match(text.partition("\n")[0].strip())
        if media is None:
            return Entry(number, author, when, "message", text, edited, unsaved)
        attachment = media.groupdict().get("file")
        if attachment is not None:
            attachment = attachment.strip()
            if self.attachments is not None and attachment not in self.attachments:
                self.problems.append(
                    f"line {number}: the attached file {attachment} is not in the zip"
                )
        return Entry(number, author, when, "media", text.strip(), edited, unsaved, attachment)
