"""The public API of the rules core, as the bot uses it."""

from __future__ import annotations

from rules import Category, RulesEngine, SchoolProfile, StaffMember


def test_a_named_member_of_staff_insulted_is_flagged_with_their_id() -> None:
    staff = [StaffMember("carter", "Mr", "James", "Carter", roles=("headteacher",))]
    profile = SchoolProfile.build("s", staff)
    verdict = RulesEngine().evaluate("Mr Carter is a useless clown", profile)
    assert verdict.flagged
    assert Category.STAFF in verdict.categories
    assert verdict.staff == ("carter",)
    assert verdict.mentioned_staff == ("carter",)


def test_ordinary_chat_is_not_flagged() -> None:
    profile = SchoolProfile.build("s", [])
    assert not RulesEngine().evaluate("Is it swimming on Tuesday?", profile).flagged


def test_staff_member_from_mapping() -> None:
    member = StaffMember.from_mapping(
        {"id": "cox", "title": "Mrs", "first": "Helen", "last": "Cox", "roles": ["SENCo"]}
    )
    assert member == StaffMember("cox", "Mrs", "Helen", "Cox", roles=("SENCo",))
