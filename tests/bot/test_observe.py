"""Observe mode: a quiet start. Every message is checked and every flag alerts SLT, saying what
enforce mode would have done; no reminder, deletion, notice or welcome reaches a member."""

from __future__ import annotations

import random
from pathlib import Path

from adapters.local import LocalPlatform
from bench import soak_texts
from bot.clock import ManualClock
from bot.config import Config, Mode, parse_config
from bot.model import Alert, ChatRef
from bot.moderator import build_profile
from bot.texts import OBSERVE_MARK
from rules import RulesEngine
from tests.bot.conftest import (
    ABUSIVE,
    CLEAN,
    CLEAN_2,
    SCHOOL,
    SLT,
    STAFF,
    THREAT,
    StartApp,
    private,
)

OTHER_SLT_ID = "slt-obi"
MILD = "Honestly Sarah you are so stupid sometimes"  # low severity: a first one only reminds


def observing(tmp_path: Path, policy: str = "  mode: observe\n") -> Config:
    """The test schools (tests/bot/conftest.py), every chat in observe mode by default."""
    return parse_config(
        SCHOOL + f"storage:\n  path: {tmp_path / 'bot.sqlite3'}\npolicy:\n{policy}", "test.yaml"
    )


# ---- a soak of 1,000 messages ------------------------------------------------------------

MESSAGES = 1_000
SHARE_FLAGGED = 0.35  # of the messages drawn from texts written to break the code
ROSTER = {"head": "Mr Carter", "teacher": "Miss Turner", "pupil": "Noah"}
EVERYDAY = (CLEAN, CLEAN_2, *(t.format(**ROSTER) for t in soak_texts.CLEAN))
BREACHES = (ABUSIVE, THREAT, STAFF, MILD, *(t.format(**ROSTER) for t in soak_texts.ABUSIVE))


async def test_a_thousand_messages_in_observe_mode_reach_no_parent_and_alert_slt_for_each_flag(
    tmp_path: Path, clock: ManualClock, running: StartApp
) -> None:
    """Deletion on for every category the texts touch, so that enforce mode would have
    reminded, deleted and alerted; members join as the messages come in."""
    config = observing(  # SLT's weekly digest off: this counts what the messages cause
        tmp_path,
        "  mode: observe\n  delete: [abuse, threat, discrimination, staff, pupil]\n"
        "  weekly_digest: off\n",
    )
    rng = random.Random(17)
    chats = {"year3": "riverside", "hill6": "hillside"}
    parents = [LocalPlatform.user(f"p-{n}", f"Parent {n}") for n in range(40)]
    engine = RulesEngine()
    profiles = {s.id: build_profile(s) for s in config.schools}
    flagged: dict[tuple[str, str], str] = {}  # (chat, message id) -> school
    async with running(config) as (app, local):
        for n in range(MESSAGES):
            chat = rng.choice(list(chats))
            text = rng.choice(BREACHES if rng.random() < SHARE_FLAGGED else EVERYDAY)
            sent = await local.send(chat, rng.choice(parents), text)
            assert sent is not None
            if engine.evaluate(text, profiles[chats[chat]]).flagged:
                flagged[(chat, sent.message_id)] = chats[chat]
            if n % 50 == 0:
                await local.join(chat, LocalPlatform.user(f"new-{n}", "New parent"))
            clock.advance(minutes=1)
        await app.drain(timeout=60)
        incidents = await app.store.incidents()
        actions = await app.store.actions()

    # A realistic mix: mostly everyday messages, a good share flagged.
    assert 250 <= len(flagged) <= 500
    # Every flag is an incident, and SLT get exactly one alert about each.
    assert {(i.chat.chat_id, i.message_id) for i in incidents} == set(flagged)
    alerts = [s for s in local.seen if s.kind == "alert"]
    by_incident = {i.key: i for i in incidents}
    assert sorted(s.buttons[0].key for s in alerts) == sorted(by_incident)
    slt = {"riverside": SLT.user_id, "hillside": OTHER_SLT_ID}
    for seen in alerts:
        incident = by_incident[seen.buttons[0].key]
        assert seen.user_id == slt[incident.school_id]
        assert seen.text.startswith(OBSERVE_MARK + "\nIn enforce mode the bot would have ")
    # Nothing reached a parent: no reminder, nudge, deletion, notice or welcome.
    assert {s.kind for s in local.seen} == {"message", "alert"}
    assert all(isinstance(action, Alert) for action, _ in local.delivered)
    assert {(a.kind, a.status) for a in actions} == {("alert", "done")}
    assert sum(len(c.messages) for c in local.chats.values()) == MESSAGES
    # What enforce mode would have done is kept with each incident, for the report.
    would = [i.observed for i in incidents]
    assert all(w is not None and "remind" in w for w in would)
    assert any(w is not None and "delete" in w for w in would)
    # Flags enforce mode would only have reminded about reached SLT too.
    assert any(w is not None and "alert" not in w for w in would)


# ---- a chat's mode over its school's ------------------------------------------------------

MIXED = """
schools:
  - id: riverside
    name: Riverside Primary School
    staff:
      - {id: carter, title: Mr, first: James, last: Carter, roles: [headteacher, head]}
    slt:
      - {name: Mrs Shah, local: slt-shah}
    chats:
      - {platform: local, id: year3, name: Year 3 Parents, mode: observe}
      - {platform: local, id: year4, name: Year 4 Parents}
  - id: hillside
    name: Hillside Academy
    moderation: {mode: observe}
    staff:
      - {id: obi, title: Mr, first: Sam, last: Obi, roles: [headteacher, head]}
    slt:
      - {name: Mrs Ade, local: slt-ade}
    chats:
      - {platform: local, id: hill6, name: Year 6 Parents, mode: enforce}
      - {platform: local, id: hill5, name: Year 5 Parents}
local: {}
"""
# chat id -> (whether observed, SLT user id, a message naming the school's head)
CHATS = {
    "year3": (True, "slt-shah", STAFF),
    "year4": (False, "slt-shah", STAFF),
    "hill6": (False, "slt-ade", "Mr Obi is useless and should be sacked"),
    "hill5": (True, "slt-ade", "Mr Obi is useless and should be sacked"),
}


def mixed(tmp_path: Path) -> Config:
    return parse_config(MIXED + f"storage:\n  path: {tmp_path / 'bot.sqlite3'}\n", "test.yaml")


def test_a_chats_mode_overrides_its_schools(tmp_path: Path) -> None:
    config = mixed(tmp_path)
    for chat_id, (observed, _, _) in CHATS.items():
        school = config.school_for_chat("local", chat_id)
        assert school is not None
        mode = config.mode_for(school, ChatRef("local", chat_id))
        assert mode is (Mode.OBSERVE if observed else Mode.ENFORCE), chat_id


async def test_each_chat_is_moderated_in_its_own_mode(tmp_path: Path, running: StartApp) -> None:
    async with running(mixed(tmp_path)) as (app, local):
        for chat_id, (_, _, text) in CHATS.items():
            await local.send(chat_id, LocalPlatform.user(f"p-{chat_id}", "Amy"), text)
            await local.join(chat_id, LocalPlatform.user(f"new-{chat_id}", "Ben"))
        await app.drain()
        incidents = {i.chat.chat_id: i for i in await app.store.incidents()}

    for chat_id, (observed, slt, _) in CHATS.items():
        sender, joiner = f"p-{chat_id}", f"new-{chat_id}"
        reminders = [s for s in local.seen_by(sender) if s.kind == "reminder"]
        welcomes = [s for s in local.seen_by(joiner) if s.kind == "welcome"]
        [alert] = [s.text for s in local.seen_by(slt) if s.buttons[0].key == incidents[chat_id].key]
        assert len(reminders) == (0 if observed else 1), chat_id
        assert len(welcomes) == (0 if observed else 1), chat_id
        assert alert.startswith(OBSERVE_MARK) is observed, chat_id
        assert (incidents[chat_id].observed is not None) is observed, chat_id
    # A staff criticism of medium severity: enforce mode reminds and alerts.
    assert incidents["year3"].observed == ("remind", "alert")


async def test_the_alert_says_what_enforce_mode_would_have_done(
    tmp_path: Path, running: StartApp
) -> None:
    config = observing(tmp_path, "  mode: observe\n  delete: [threat]\n")
    async with running(config) as (app, local):
        await local.send("year3", LocalPlatform.user("p-amy", "Amy"), THREAT)
        await local.send("year3", LocalPlatform.user("p-ben", "Ben"), MILD)
        await app.drain()
        threat, mild = private(local, SLT, "alert")

    assert threat.splitlines()[:3] == [
        OBSERVE_MARK,
        "In enforce mode the bot would have sent the sender a private reminder (or, where none "
        "could reach them, a neutral note in the chat), deleted the message and alerted SLT.",
        "URGENT: Possible breach of the code of conduct",
    ]
    assert "being deleted" not in threat
    assert mild.splitlines()[:2] == [
        OBSERVE_MARK,
        "In enforce mode the bot would have sent the sender a private reminder (or, where none "
        "could reach them, a neutral note in the chat). SLT hear of this one only in observe mode.",
    ]


# ---- switching to enforce ------------------------------------------------------------------


async def test_switching_to_enforce_counts_no_observed_incident_against_the_sender(
    tmp_path: Path, clock: ManualClock, running: StartApp
) -> None:
    """In observe mode repeats escalate as they would have; once enforced, a parent who was
    never told of them starts afresh."""
    amy = LocalPlatform.user("p-amy", "Amy")
    async with running(observing(tmp_path)) as (app, local):
        for _ in range(2):
            await local.send("year3", amy, MILD)
            clock.advance(hours=1)
        await app.drain()
        observed = [i.observed for i in await app.store.incidents()]
    assert observed == [("remind",), ("remind", "alert")]  # the 2nd would have alerted SLT
    alerted = len(private(local, SLT, "alert"))

    enforce = observing(tmp_path, "  mode: enforce\n")
    async with running(enforce, local) as (app, local):  # the same chats, the same database
        await local.send("year3", amy, MILD)
        await app.drain()
        [reminder] = private(local, amy, "reminder")
        latest = (await app.store.incidents())[-1]

    # A first low-severity offence: a reminder only, not the 3rd offence that alerts SLT.
    assert len(private(local, SLT, "alert")) == alerted
    assert "reminder recently" not in reminder
    assert (latest.offence_number, latest.observed) == (1, None)
