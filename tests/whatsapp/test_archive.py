"""Opening an export: a .txt, or a zip "with media", read in memory under caps."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from bot.whatsapp import archive
from bot.whatsapp.archive import ExportError, read_text_export, read_zip_bytes, read_zip_export
from bot.whatsapp.parser import parse
from tests.whatsapp.conftest import FIXTURES, fixture_text

PHOTO = "00000003-PHOTO-2026-12-07-15-01-00.jpg"


def zipped(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def test_an_iphone_zip_with_media() -> None:
    data = zipped(
        {"_chat.txt": (FIXTURES / "with_media_chat.txt").read_bytes(), PHOTO: b"\xff\xd8jpeg"}
    )
    export = read_zip_bytes(data, "WhatsApp Chat - Year 5 Parents.zip")
    assert export.source == "WhatsApp Chat - Year 5 Parents.zip:_chat.txt"
    assert export.chat_name == "Year 5 Parents"
    assert export.attachments == frozenset({PHOTO})
    assert export.text == fixture_text("with_media_chat.txt")
    chat = parse(export.text, export.source, attachments=export.attachments)
    assert [e.attachment for e in chat.entries if e.kind == "media"] == [
        PHOTO,
        "00000005-AUDIO-2026-12-07-15-03-00.opus",
    ]
    assert chat.problems == (
        "line 4: the attached file 00000005-AUDIO-2026-12-07-15-03-00.opus is not in the zip",
    )


def test_an_android_zip_names_the_chat_after_its_file(tmp_path: Path) -> None:
    path = tmp_path / "chat.zip"
    path.write_bytes(
        zipped(
            {
                "WhatsApp Chat with Year 6 Parents.txt": fixture_text("android_24h.txt").encode(),
                "IMG-20261208-WA0001.jpg": b"jpeg",
                "notes/readme.txt": b"not the chat",
            }
        )
    )
    with path.open("rb") as handle:
        export = read_zip_export(handle, str(path))
    assert export.chat_name == "Year 6 Parents"
    assert export.source.endswith("chat.zip:WhatsApp Chat with Year 6 Parents.txt")
    assert export.text == fixture_text("android_24h.txt")


def test_a_txt_export_named_by_whatsapp() -> None:
    export = read_text_export(b"14/09/2026, 21:40 - Ana: hi\n", "WhatsApp Chat with Year 2.txt")
    assert (export.chat_name, export.attachments) == ("Year 2", None)


def test_text_that_is_not_utf8_is_read_with_a_note() -> None:
    export = read_text_export(b"14/09/2026, 21:40 - Ana: caf\xe9\n", "chat.txt")
    assert export.text == "14/09/2026, 21:40 - Ana: caf\ufffd\n"
    assert export.problems == ("some bytes are not UTF-8 text; they are shown as �",)


def test_a_zip_bomb_is_refused_before_unpacking() -> None:
    bomb = zipped({"_chat.txt": b"0" * (archive.MAX_CHAT_BYTES + 1)})
    assert len(bomb) < archive.MAX_CHAT_BYTES // 500
    with pytest.raises(ExportError) as caught:
        read_zip_bytes(bomb, "bomb.zip")
    assert str(caught.value).startswith("bomb.zip: refused: _chat.txt would unpack to 128.0 MB")
    assert "\n" not in str(caught.value)


def test_a_member_that_deflates_far_beyond_any_chat_is_refused() -> None:
    dense = zipped({"_chat.txt": b"14/09/2026, 21:40 - Ana: a\n" * 200_000})
    with pytest.raises(ExportError, match=r"^dense\.zip: refused: _chat\.txt would unpack to"):
        read_zip_bytes(dense, "dense.zip")


def test_a_zip_whose_headers_understate_its_size_is_not_read_past_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(archive, "MAX_CHAT_BYTES", 1000)
    data = bytearray(zipped({"_chat.txt": b"x" * 5000}, zipfile.ZIP_STORED))
    # Rewrite the sizes both headers declare, as a crafted bomb does.
    for signature, offset in ((b"PK\x03\x04", 18), (b"PK\x01\x02", 20)):
        at = data.index(signature)
        data[at + offset : at + offset + 8] = (10).to_bytes(4, "little") * 2
    with pytest.raises(ExportError) as caught:
        read_zip_bytes(bytes(data), "liar.zip")
    assert str(caught.value) == "liar.zip: not a readable zip file: Bad CRC-32 for file '_chat.txt'"


def test_too_many_files_in_a_zip_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_ZIP_ENTRIES", 3)
    data = zipped({f"{n}.jpg": b"" for n in range(4)})
    with pytest.raises(ExportError, match=r"^many\.zip: refused: 4 files in the zip$"):
        read_zip_bytes(data, "many.zip")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (zipped({"photo.jpg": b"jpeg", "a.txt": b"", "b.txt": b""}), "no chat in this zip"),
        (b"PK\x03\x04 this is not really a zip", "not a readable zip file"),
    ],
)
def test_a_zip_without_a_chat_is_one_error(data: bytes, message: str) -> None:
    with pytest.raises(ExportError) as caught:
        read_zip_bytes(data, "odd.zip")
    assert str(caught.value).startswith(f"odd.zip: {message}")
    assert "\n" not in str(caught.value)
