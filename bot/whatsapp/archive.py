"""Opening what a parent forwards: the chat's `.txt`, or the `.zip` WhatsApp makes "with media".

A zip is read in memory under caps on what it may unpack to, so a zip bomb is refused before
it can fill memory, and nothing from it is ever written to disk.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from bot.whatsapp.language import Language, language

ZIP_MAGIC = b"PK\x03\x04"
# A chat of a million messages is about 100 MB; a parents' class chat is far smaller.
MAX_CHAT_BYTES = 128 * 1024 * 1024
MAX_ZIP_ENTRIES = 50_000
# Chat text deflates about 4 to 10 times; a ratio far beyond that is a bomb, not a chat.
MAX_RATIO = 100
_RATIO_CHECKED_ABOVE = 1024 * 1024


class ExportError(Exception):
    """The export cannot be opened; the message is one line naming the file."""


@dataclass(frozen=True, slots=True)
class Export:
    text: str
    source: str  # how messages about it name it: the file, or "file.zip:_chat.txt"
    chat_name: str | None  # as the export's file names give it
    attachments: frozenset[str] | None  # the media files beside the chat; None for a .txt
    problems: tuple[str, ...] = ()


def is_zip(head: bytes) -> bool:
    return head.startswith(ZIP_MAGIC)


def read_text_export(data: bytes, source: str, lang: Language | None = None) -> Export:
    """A `.txt` export (or any text) already read; bytes that are not UTF-8 are replaced."""
    if len(data) > MAX_CHAT_BYTES:
        raise ExportError(f"{source}: too large for a chat export ({_mb(len(data))})")
    text, problems = _decode(data)
    stem = PurePosixPath(source.replace("\\", "/")).stem
    return Export(text, source, (lang or language()).chat_name(stem), None, problems)


def read_zip_export(file: BinaryIO, source: str, lang: Language | None = None) -> Export:
    """The chat inside a zip, with the names of the media files beside it."""
    lang = lang or language()
    try:
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise ExportError(f"{source}: refused: {len(infos)} files in the zip")
            member = _chat_member(infos, lang)
            if member is None:
                raise ExportError(
                    f"{source}: no chat in this zip (expected _chat.txt or "
                    "'WhatsApp Chat with ….txt')"
                )
            data = _read_capped(archive, member, source)
    except zipfile.BadZipFile as exc:
        raise ExportError(f"{source}: not a readable zip file: {exc}") from None
    except (zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ExportError(f"{source}: the zip cannot be unpacked: {exc}") from None
    text, problems = _decode(data)
    name = PurePosixPath(member.filename).name
    attachments = frozenset(
        PurePosixPath(i.filename).name for i in infos if not i.is_dir() and i is not member
    )
    chat_name = lang.chat_name(PurePosixPath(name).stem) or lang.chat_name(
        PurePosixPath(source.replace("\\", "/")).stem
    )
    return Export(text, f"{source}:{name}", chat_name, attachments, problems)


def read_zip_bytes(data: bytes, source: str, lang: Language | None = None) -> Export:
    return read_zip_export(io.BytesIO(data), source, lang)


def _chat_member(infos: list[zipfile.ZipInfo], lang: Language) -> zipfile.ZipInfo | None:
    texts = [
        i
        for i in infos
        if not i.is_dir() and i.filename.lower().endswith(".txt") and "__MACOSX" not in i.filename
    ]
    named = [i for i in texts if PurePosixPath(i.filename).name == "_chat.txt"] or [
        i for i in texts if lang.chat_name(PurePosixPath(i.filename).stem) is not None
    ]
    if named:
        return named[0]
    return texts[0] if len(texts) == 1 else None


def _read_capped(archive: zipfile.ZipFile, member: zipfile.ZipInfo, source: str) -> bytes:
    """The member's bytes, refused before unpacking where its header says it is too big, and
    while unpacking where it turns out bigger than its header said."""
    if member.flag_bits & 0x1:
        raise ExportError(f"{source}: refused: {member.filename} is encrypted")
    declared, packed = member.file_size, max(member.compress_size, 1)
    if declared > MAX_CHAT_BYTES or (
        declared > _RATIO_CHECKED_ABOVE and declared / packed > MAX_RATIO
    ):
        raise ExportError(
            f"{source}: refused: {member.filename} would unpack to {_mb(declared)} from "
            f"{_mb(packed)} (a zip bomb?)"
        )
    with archive.open(member) as stream:
        data = stream.read(MAX_CHAT_BYTES + 1)
    if len(data) > MAX_CHAT_BYTES:
        raise ExportError(
            f"{source}: refused: {member.filename} unpacks to more than {_mb(MAX_CHAT_BYTES)} "
            "(a zip bomb?)"
        )
    return data


def _decode(data: bytes) -> tuple[str, tuple[str, ...]]:
    try:
        return data.decode("utf-8"), ()
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), (
            "some bytes are not UTF-8 text; they are shown as �",
        )


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f} MB"
