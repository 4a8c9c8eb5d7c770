"""Any list of messages, written out as any phone writes an export, reads back the same."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.whatsapp.parser import parse

LRM = "\u200e"
ENCRYPTED = (
    "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
    "WhatsApp, can read or listen to them."
)
GROUP = "Class Chat"


@dataclass(frozen=True)
class Said:
    author: str | None  # None: WhatsApp's own line
    phone: bool  # the author is a phone number, written between direction marks
    unsaved: bool  # written "~ Name" (iPhone)
    time: datetime
    kind: str
    text: str
    edited: bool


@dataclass(frozen=True)
class Layout:
    iphone: bool
    twelve_hour: bool
    am_pm: str  # how "pm" is written, e.g. "\u202fpm" or " p.m."
    four_digit_year: bool
    day_first: bool


WORDS = st.sampled_from(
    [
        "hello",
        "trip",
        "Friday",
        "bring",
        "a",
        "coat",
        "lunch",
        "😀",
        "thanks",
        "10:30",
        "£2",
        "is",
        "the",
        "on",
        "at",
        "PE",
        "kit",
        "left",
        "added",
        "Mr",
        "Moss:",
        "ok?",
        "(maybe)",
        "don't",
        "—",
        "#year3",
        "@Ana",
        "15/09/2026",
        "café",
    ]
)
LINE = st.lists(WORDS, min_size=1, max_size=6).map(" ".join).filter(lambda s: not s[0].isdigit())
# A continuation line may start with a date, as long as no time follows it.
NEXT_LINE = st.one_of(LINE, LINE.map(lambda s: "15/09/2026 " + s), st.just(""))
TEXT = st.builds(
    lambda first, rest: "\n".join([first, *rest]).rstrip("\n") or first,
    LINE,
    st.lists(NEXT_LINE, max_size=3),
)
NAMES = st.sampled_from(["Ana Silva", "Ben Cole", "Priya", "Tom O'Neill", "Zoë Lee"])
PHONES = st.sampled_from(["+44 7700 900123", "+44 7700 900456"])
SYSTEM = st.sampled_from(
    ["Ana Silva added Ben Cole", "Ben Cole left", "Ana Silva changed this group's icon", ENCRYPTED]
)


@st.composite
def said(draw: st.DrawFn, time: datetime) -> Said:
    kind = draw(st.sampled_from(["message", "message", "message", "media", "deleted", "system"]))
    if kind == "system":
        return Said(None, False, False, time, "system", draw(SYSTEM), False)
    phone = draw(st.booleans())
    author = draw(PHONES if phone else NAMES)
    unsaved = not phone and draw(st.booleans())
    text = {"message": draw(TEXT), "media": "", "deleted": ""}[kind]
    edited = kind == "message" and draw(st.booleans())
    return Said(author, phone, unsaved, time, kind, text, edited)


@st.composite
def chats(draw: st.DrawFn) -> tuple[Layout, list[Said]]:
    layout = Layout(
        iphone=draw(st.booleans()),
        twelve_hour=draw(st.booleans()),
        am_pm=draw(st.sampled_from(["\u202f{}m", " {}m", "\u00a0{}M", " {}.m.", "{}m"])),
        four_digit_year=draw(st.booleans()),
        day_first=draw(st.booleans()),
    )
    start = draw(st.datetimes(datetime(2001, 1, 1), datetime(2098, 1, 1)))
    gaps = draw(st.lists(st.integers(0, 9 * 24 * 3600), min_size=1, max_size=25))
    times, now = [], start
    for gap in gaps:
        now += timedelta(seconds=gap)
        times.append(now.replace(microsecond=0, second=now.second if layout.iphone else 0))
    return layout, [draw(said(t)) for t in times]


def clock(moment: datetime, layout: Layout) -> str:
    seconds = f":{moment:%S}" if layout.iphone else ""
    if not layout.twelve_hour:
        return f"{moment:%H:%M}{seconds}"
    half = layout.am_pm.format("p" if moment.hour >= 12 else "a")
    return f"{(moment.hour + 11) % 12 + 1}:{moment:%M}{seconds}{half}"


def render(layout: Layout, messages: list[Said]) -> str:
    lines = []
    for m in messages:
        year = f"{m.time:%Y}" if layout.four_digit_year else f"{m.time:%y}"
        first, second = (
            (m.time.day, m.time.month) if layout.day_first else (m.time.month, m.time.day)
        )
        stamp = f"{first:02}/{second:02}/{year}, {clock(m.time, layout)}"
        mark = LRM if layout.iphone else ""
        if m.author is None:
            body = f"{GROUP}: {LRM}{m.text}" if layout.iphone else m.text
        else:
            author = f"\u202a{m.author}\u202c" if m.phone else m.author
            if m.unsaved and layout.iphone:
                author = f"~\u202f{author}"
            text = {
                "message": m.text,
                "media": f"{mark}image omitted" if layout.iphone else "<Media omitted>",
                "deleted": f"{mark}This message was deleted",
            }[m.kind]
            if m.edited:
                text += f" {mark}<This message was edited>"
            body = f"{author}: {text}"
        lines.append(f"[{stamp}] {body}" if layout.iphone else f"{stamp} - {body}")
    return "\n".join(lines) + "\n"


def expected_text(m: Said, layout: Layout) -> str:
    if m.kind == "media":
        return "image omitted" if layout.iphone else "<Media omitted>"
    if m.kind == "deleted":
        return "This message was deleted"
    return m.text


@settings(max_examples=300, deadline=None)
@given(chats())
def test_any_rendered_chat_reads_back_the_same(chat: tuple[Layout, list[Said]]) -> None:
    layout, messages = chat
    parsed = parse(render(layout, messages), "chat.txt")
    if parsed.order_assumed and not layout.day_first:
        # Nothing in these dates says which comes first: told, the parser reads them so.
        parsed = parse(render(layout, messages), "chat.txt", day_first=False)
    assert [(e.author, e.time, e.kind, e.text, e.edited) for e in parsed.entries] == [
        (m.author, m.time, m.kind, expected_text(m, layout), m.edited) for m in messages
    ]
    assert [e.unsaved for e in parsed.entries] == [m.unsaved and layout.iphone for m in messages]
    assert parsed.layout == ("iphone" if layout.iphone else "android")
