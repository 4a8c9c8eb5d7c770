"""Every export variant a school receives, read line by line from fixtures."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.whatsapp.parser import Chat, NotAnExport, infer_day_first, parse
from tests.whatsapp.conftest import fixture_text

Row = tuple[int, str | None, str, str, str]  # line, author, time, kind, text


def rows(chat: Chat) -> list[Row]:
    return [(e.line, e.author, e.time.isoformat(), e.kind, e.text) for e in chat.entries]


def read(name: str) -> Chat:
    return parse(fixture_text(name), name)


ENCRYPTED = (
    "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
    "WhatsApp, can read or listen to them."
)


def test_android_24_hour() -> None:
    chat = read("android_24h.txt")
    assert rows(chat) == [
        (1, None, "2026-09-14T21:37:00", "system", ENCRYPTED + " Tap to learn more."),
        (2, None, "2026-09-14T21:37:00", "system", 'Priya Nair created group "Year 3 Parents"'),
        (3, None, "2026-09-14T21:38:00", "system", "Priya Nair added +44 7700 900123"),
        (4, None, "2026-09-14T21:38:00", "system", "Priya Nair added Dan Webb and Gemma Lowe"),
        (
            5,
            "Priya Nair",
            "2026-09-14T21:40:00",
            "message",
            "Welcome everyone! Trip letter below\nCoach leaves at 8:45\n"
            "15/09/2026 is the deadline for the slip\n\nBring a packed lunch",
        ),
        (10, "+44 7700 900123", "2026-09-14T21:41:00", "message", "Thanks @Priya Nair 👍"),
        (11, "Dan Webb", "2026-09-14T21:42:00", "message", "Mrs Shah\nis a disgrace"),
        (13, "Dan Webb", "2026-09-14T21:43:00", "media", "<Media omitted>"),
        (14, "Gemma Lowe", "2026-09-14T21:44:00", "deleted", "This message was deleted"),
        (15, "Priya Nair", "2026-09-14T21:45:00", "deleted", "You deleted this message"),
        (
            16,
            "Dan Webb",
            "2026-09-14T21:46:00",
            "message",
            "Mr Carter is useless and should be sacked",
        ),
        (17, "Gemma Lowe", "2026-09-15T07:02:00", "message", "Dan: please keep it civil"),
        (18, None, "2026-09-15T07:03:00", "system", "Dan Webb left"),
        (19, None, "2026-09-15T07:04:00", "system", "Priya Nair removed Gemma Lowe"),
        (
            20,
            None,
            "2026-09-15T07:05:00",
            "system",
            "Tom Achebe joined using this group's invite link",
        ),
        (
            21,
            None,
            "2026-09-15T07:06:00",
            "system",
            'Priya Nair changed the subject from "Year 3 Parents" to "Year 3: Parents & Carers"',
        ),
        (22, None, "2026-09-15T07:07:00", "system", "Priya Nair changed this group's icon"),
        (23, "Tom Achebe", "2026-09-15T07:08:00", "message", "Priya added me, thanks!"),
    ]
    assert [e.line for e in chat.entries if e.edited] == [16]
    assert not any(e.unsaved for e in chat.entries)
    assert chat.name == "Year 3: Parents & Carers"  # the subject it was last given
    assert (chat.layout, chat.day_first, chat.order_assumed) == ("android", True, False)
    assert chat.members == ["+44 7700 900123", "Dan Webb", "Gemma Lowe", "Priya Nair", "Tom Achebe"]


def test_android_12_hour_two_digit_years_bom_and_crlf() -> None:
    text = fixture_text("android_12h.txt")
    assert text.startswith("\ufeff03/10/26")
    assert "\r\n" in text
    assert "\u202fpm" in text
    chat = parse(text, "android_12h.txt")
    assert rows(chat) == [
        (1, None, "2026-10-03T09:05:00", "system", ENCRYPTED + " Tap to learn more."),
        (2, "Lena Fischer", "2026-10-03T09:06:00", "message", "Morning all, is it PE today?"),
        (3, "Omar Haddad", "2026-10-03T12:15:00", "message", "Yes, kit in bags"),
        (4, "Omar Haddad", "2026-10-03T00:00:00", "message", "(clock set wrong on my phone)"),
        (
            5,
            "Lena Fischer",
            "2026-10-21T20:30:00",
            "message",
            "She'd better watch her back at pickup tomorrow",
        ),
        (6, "Omar Haddad", "2026-10-21T23:59:00", "message", "Calm down Lena"),
    ]
    assert not any("\r" in e.text or "\ufeff" in e.text for e in chat.entries)


def test_iphone_24_hour() -> None:
    chat = read("iphone_24h.txt")
    assert rows(chat) == [
        (1, None, "2026-11-05T21:12:40", "system", ENCRYPTED),
        (2, None, "2026-11-05T21:12:40", "system", "Ruth Okoro created group “Year 4 Parents”"),
        (3, None, "2026-11-05T21:12:41", "system", "Ruth Okoro added Sam Patel"),
        (4, "Kim Lee", "2026-11-05T21:13:02", "message", "Hi, Kim here (Noah's mum)"),
        (5, "Sam Patel", "2026-11-05T21:14:10", "media", "image omitted"),
        (6, "Sam Patel", "2026-11-05T21:14:11", "media", "sticker omitted"),
        (
            7,
            "Ruth Okoro",
            "2026-11-05T21:15:00",
            "media",
            "Homework grid.pdf • 2 pages document omitted",
        ),
        (
            8,
            "Sam Patel",
            "2026-11-05T21:16:30",
            "message",
            "Mr Carter is useless and should be sacked",
        ),
        (9, "Kim Lee", "2026-11-05T21:17:00", "deleted", "This message was deleted."),
        (
            10,
            "Sam Patel",
            "2026-11-05T21:18:00",
            "deleted",
            "This message was deleted by admin Ruth Okoro.",
        ),
        # Reads like a system line, but Sam wrote it about Kim: a message.
        (11, "Sam Patel", "2026-11-05T21:19:00", "message", "Kim left the gate open again, lol"),
        (12, "+44 7700 900456", "2026-11-05T21:20:00", "message", "Who's doing the cake stall?"),
        (13, None, "2026-11-05T21:21:00", "system", "+44 7700 900456 left"),
    ]
    assert [e.line for e in chat.entries if e.unsaved] == [4, 9]
    assert [e.line for e in chat.entries if e.edited] == [8]
    assert chat.name == "Year 4 Parents"
    assert chat.layout == "iphone"
    # Every date is 05/11: nothing says which is the day, so it is read day first, and said.
    assert (chat.day_first, chat.order_assumed) == (True, True)


def test_iphone_12_hour_two_digit_years() -> None:
    chat = read("iphone_12h.txt")
    assert rows(chat) == [
        (1, "Beth Moss", "2027-01-16T08:01:09", "message", "Snow day?"),
        (2, "Carl Dunn", "2027-01-16T12:30:00", "message", "School's open, check the website"),
        (3, "Beth Moss", "2027-01-16T00:00:05", "message", "(my clock is wrong)"),
    ]


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        ("9:05 pm", "21:05:00"),
        ("9:05\u202fpm", "21:05:00"),
        ("9:05\u00a0PM", "21:05:00"),
        ("9:05 p.m.", "21:05:00"),
        ("9:05\u202fa.m.", "09:05:00"),
        ("12:05 am", "00:05:00"),
        ("12:05 pm", "12:05:00"),
        ("21:05", "21:05:00"),
    ],
)
def test_every_way_of_writing_the_clock(clock: str, expected: str) -> None:
    for line in (f"14/09/2026, {clock} - Ana: hi", f"[14/09/26, {clock}] Ana: hi"):
        (entry,) = parse(line + "\n", "clock.txt").entries
        assert entry.time == datetime.fromisoformat(f"2026-09-14T{expected}")


def test_date_order_from_a_number_above_twelve() -> None:
    chat = read("month_first.txt")
    assert (chat.day_first, chat.order_assumed) == (False, False)
    assert [e.time.isoformat() for e in chat.entries] == [
        "2027-02-14T10:00:00",
        "2027-03-01T10:05:00",
    ]


def test_date_order_from_dates_that_would_go_backwards() -> None:
    chat = read("order_settled_by_dates.txt")
    assert (chat.day_first, chat.order_assumed) == (True, False)
    assert [e.time.date().isoformat() for e in chat.entries] == [
        "2027-02-10",
        "2027-02-11",
        "2027-02-12",
        "2027-03-01",
    ]
    swapped = "".join(f"{e.time:%m/%d/%Y, %H:%M} - Ana Silva: {e.text}\n" for e in chat.entries)
    assert parse(swapped, "us.txt").day_first is False


def test_a_file_that_never_settles_the_order_is_read_day_first_and_says_so() -> None:
    chat = read("order_unsettled.txt")
    assert (chat.day_first, chat.order_assumed) == (True, True)
    assert chat.entries[0].time.isoformat() == "2027-03-04T09:00:00"
    assert (
        parse(fixture_text("order_unsettled.txt"), "x", day_first=False).entries[0].time.isoformat()
        == "2027-04-03T09:00:00"
    )


def test_newest_first_dates_settle_the_order_too() -> None:
    assert infer_day_first([(1, 3, 2027), (12, 2, 2027), (11, 2, 2027)]) == (True, False)
    assert infer_day_first([(3, 1, 2027), (2, 12, 2027), (2, 11, 2027)]) == (False, False)


def test_the_files_order_is_kept_where_the_clock_goes_backwards() -> None:
    chat = read("clock_backwards.txt")
    assert [(e.line, e.time.strftime("%H:%M")) for e in chat.entries] == [
        (1, "18:00"),
        (2, "17:05"),
        (3, "17:10"),
    ]


def test_media_named_in_an_export_with_media() -> None:
    chat = parse(
        fixture_text("with_media_chat.txt"),
        "chat.zip:_chat.txt",
        attachments={"00000003-PHOTO-2026-12-07-15-01-00.jpg"},
    )
    assert [(e.line, e.kind, e.attachment) for e in chat.entries] == [
        (1, "system", None),
        (2, "media", "00000003-PHOTO-2026-12-07-15-01-00.jpg"),
        (3, "message", None),
        (4, "media", "00000005-AUDIO-2026-12-07-15-03-00.opus"),
    ]
    assert chat.problems == (
        "line 4: the attached file 00000005-AUDIO-2026-12-07-15-03-00.opus is not in the zip",
    )


def test_a_caption_under_android_media_is_what_gets_judged() -> None:
    media, plain = read("android_with_media.txt").entries
    assert (media.kind, media.attachment) == ("media", "IMG-20261208-WA0001.jpg")
    assert media.judged_text == "Mr Carter is useless and should be sacked"
    assert plain.judged_text == "Harvest festival list"


def test_system_and_deleted_entries_are_never_judged() -> None:
    chat = read("android_24h.txt")
    judged = {e.kind: e.judged_text for e in chat.entries}
    assert judged["system"] == judged["deleted"] == ""
    assert judged["media"] == ""  # no caption


def test_a_line_with_a_date_that_does_not_exist_stays_in_the_message_before() -> None:
    text = "30/01/2027, 10:00 - Ana: see you on\n31/02/2027, 10:01 - the day after\n"
    chat = parse(text, "bad.txt")
    assert [e.text for e in chat.entries] == ["see you on\n31/02/2027, 10:01 - the day after"]
    assert chat.problems == ("line 2: no such date or time; read as part of the message before",)


@pytest.mark.parametrize(
    ("text", "line", "shown"),
    [
        ("hello there\n14/09/2026, 21:37 - Ana: hi\n", 1, "'hello there'"),
        ("\n\n%PDF-1.7 binary\n", 3, "'%PDF-1.7 binary'"),
        ("14/09/2026 no time here\n", 1, "'14/09/2026 no time here'"),
    ],
)
def test_not_an_export_names_the_first_line_it_could_not_read(
    text: str, line: int, shown: str
) -> None:
    with pytest.raises(NotAnExport) as caught:
        parse(text, "notes.txt")
    assert str(caught.value) == f"notes.txt:{line}: not a WhatsApp chat export: {shown}"


def test_an_empty_file_is_not_an_export() -> None:
    with pytest.raises(NotAnExport, match=r"^empty\.txt:1: not a WhatsApp chat export"):
        parse("", "empty.txt")


@pytest.mark.parametrize(
    "line",
    [
        "You created group “Year 2 Parents”",
        "You added Ali Khan",
        "You were added",
        "Ali Khan was removed",
        "You're now an admin",
        "Ali Khan is no longer an admin",
        "Ali Khan changed the group description",
        "Ali Khan changed the settings so only admins can send messages to this group",
        "Ali Khan changed the group name from “Y2” to “Year 2: all parents”",
        "Ali Khan changed their phone number to a new number. Tap to message or add the number.",
        "+44 7700 900123 changed to +44 7700 900789",
        "Ali Khan joined from the community",
        "Ali Khan pinned a message",
        "Ali Khan turned on disappearing messages. New messages will disappear after 7 days.",
        "Your security code with Ali Khan changed. Tap to learn more.",
        "Missed group video call",
        "Ali Khan started a call",
    ],
)
def test_whatsapps_own_lines_in_english(line: str) -> None:
    android, iphone = (
        parse(f"14/09/2026, 21:37 - {line}\n", "a.txt").entries[0],
        parse(f"[14/09/2026, 21:37:00] Year 2 Parents: \u200e{line}\n", "i.txt").entries[0],
    )
    assert (android.kind, android.author, android.text) == ("system", None, line)
    assert (iphone.kind, iphone.author, iphone.text) == ("system", None, line)


def test_a_message_the_phone_never_received_is_not_judged() -> None:
    (entry,) = parse(
        "14/09/2026, 21:37 - Ali: Waiting for this message. This may take a while.\n", "a.txt"
    ).entries
    assert (entry.kind, entry.judged_text) == ("deleted", "")
