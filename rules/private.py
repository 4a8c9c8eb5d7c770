"""Phone numbers, e-mail addresses and social media links in a message, and whose they are.

Found in the original text (phonenumbers for UK numbers), because normalising would damage
them. Sharing one's own number or an organisation's is fine; someone else's personal one is not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

from rules.lexicon import PrivateRule, PrivateWords

_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.%+-]+@([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})(?![\w-])", re.IGNORECASE
)
_LINK = re.compile(
    r"(?:https?://)?(?:www\.|m\.|vm\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})/(@?[\w.-]+)",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d")


class Owner(StrEnum):
    WRITER = "writer"  # "my number", "text me on"
    PUBLIC = "public"  # "the office", "the school's page"
    OTHER = "other"  # "his number", "Mrs Shah's email"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class PrivateItem:
    start: int  # offsets in the original text
    end: int
    rule: PrivateRule


# Given an offset of the original text, whose is what comes next (from the words before it).
OwnerOf = Callable[[int], Owner]


def find_private(text: str, owner_of: OwnerOf, words: PrivateWords) -> Iterator[PrivateItem]:
    """Personal phone numbers, e-mail addresses and profile links that are not the writer's."""
    if _DIGITS.search(text):
        for match in phonenumbers.PhoneNumberMatcher(
            text, "GB", leniency=phonenumbers.Leniency.POSSIBLE
        ):
            if not _uk_shaped(match.raw_string, match.number):
                continue
            owner = owner_of(match.start)
            mobile = str(match.number.national_number).startswith("7")
            if owner is Owner.OTHER or (owner is Owner.UNKNOWN and mobile):
                yield PrivateItem(match.start, match.end, words.phone)
    if "@" in text:
        for m in _EMAIL.finditer(text):
            domain = m.group(1).casefold()
            if domain.endswith(words.public_email_suffixes):
                continue
            owner = owner_of(m.start())
            personal = domain in words.personal_email_domains
            if owner is Owner.OTHER or (owner is Owner.UNKNOWN and personal):
                yield PrivateItem(m.start(), m.end(), words.email)
    if "/" in text:
        for m in _LINK.finditer(text):
            host = m.group(1).casefold().removeprefix("www.")
            path = m.group(2).casefold().lstrip("@")
            if host not in words.social_hosts or path in words.social_non_profiles:
                continue
            if owner_of(m.start()) in (Owner.OTHER, Owner.UNKNOWN):
                yield PrivateItem(m.start(), m.end(), words.social)


def _uk_shaped(raw: str, number: phonenumbers.PhoneNumber) -> bool:
    """A UK number as people write them: 0 or +44 first, ten digits after the trunk."""
    compact = re.sub(r"[^\d+]", "", raw)
    if not (compact.startswith("0") or compact.startswith("+44") or compact.startswith("0044")):
        return False
    return number.country_code == 44 and len(str(number.national_number)) in (9, 10)
