"""Roles end to end on the local platform: what each role is shown and may do, who an alert
about a member of staff goes to, an incident decided once, /help and unknown commands, which
message a reminder is about, and the wording of reasons."""

from __future__ import annotations

from pathlib import Path

from adapters.local import LocalPlatform
from bot.config import Config, parse_config, warnings
from bot.migrations import MIGRATIONS
from bot.model import ButtonAction, ChatRef
from bot.roles import Act, Role, may, roles_of
from bot.store import Store

from .conftest import (
    ABUSIVE,
    ADMIN,
    CHAT,
    DSL,
    OTHER_PARENT,
    PARENT,
    SCHOOL,
    SLT,
    THREAT,
    StartApp,
    database_at_version,
    make_config,
    private,
)

CARTER = LocalPlatform.user("slt-carter", "Mr Carter")
CHAIR = LocalPlatform.user("gov-patel", "Mr Patel")
ABOUT_SHAH = "Mrs Shah lied to my face about the trip"
ABOUT_BOTH = "Mrs Shah and Mr Carter both lied to my face"


def school_with(slt: str, extra: str = "") -> str:
    """The riverside school of conftest with other SLT contacts (and more keys)."""
    return SCHOOL.replace(
        "    slt:\n      - {name: Mrs Shah, local: slt-shah}\n",
        f"    slt:\n{slt}{extra}",
    )


def config_of(tmp_path: Path, text: str) -> Config:
    return parse_config(text + f"storage:\n  path: {tmp_path / 'bot.sqlite3'}\n", "test.yaml")


LINKED = (
    "      - {name: Mrs Shah, staff: shah, local: slt-shah}\n"
    "      - {name: Mr Carter, staff: carter, local: slt-carter}\n"
)
FALLBACK = "    fallback:\n      - {name: Mr Patel, local: gov-patel}\n"


# ---- 1. roles -------------------------------------------------------------------------


def test_one_function_says_what_roles_a_caller_holds(config: Config) -> None:
    school = config.schools[0]
    assert roles_of(config, school, SLT) == {Role.SLT, Role.MEMBER}
    assert roles_of(config, school, DSL) == {Role.DSL, Role.MEMBER}
    assert roles_of(config, school, ADMIN) == {Role.ADMIN, Role.MEMBER}
    assert roles_of(config, school, PARENT) == {Role.MEMBER}
    # Another school's SLT is only a member here.
    hillside_slt = LocalPlatform.user("slt-obi")
    assert roles_of(config, school, hillside_slt) == {Role.MEMBER}
    anonymous = LocalPlatform.user("slt-shah", anonymous=True)
    assert roles_of(config, school, anonymous) == {Role.MEMBER}
    assert may(frozenset({Role.ADMIN, Role.MEMBER}), Act.CLOSE)
    assert not may(frozenset({Role.ADMIN, Role.MEMBER}), Act.DECIDE)
    assert not may(frozenset({Role.ADMIN}), Act.REOPEN_SLT_CLOSED)
    assert not may(frozenset({Role.ADMIN}), Act.INCIDENTS)


async def test_an_admins_status_shows_the_chat_and_who_closed_it_never_incidents(
    config: Config, running: StartApp
) -> None:
    async with running(config) as (app, local):
        await local.send(CHAT, PARENT, ABUSIVE)
        await app.drain()
        await local.command(CHAT, ADMIN, "/close too heated")
        await app.drain()
        admin = (await local.command(CHAT, ADMIN, "/status")).text
        slt = (await local.command(CHAT, SLT, "/status")).text

    assert "\u201cYear 3 Parents\u201d is closed (closed by Pat on " in admin
    assert admin.endswith(": too heated")
    assert "Amy" not in admin
    assert "Incidents" not in admin
    assert "closed by Pat" in slt
    assert "Incidents in the last 7 days: 1." in slt
    assert "Amy" in slt


async def test_an_admin_may_reopen_what_an_admin_closed_but_not_what_slt_closed(
    config: Config, running: StartApp
) -> None:
    async with running(config) as (app, local):
        await local.command(CHAT, SLT, "/close")
        await app.drain()
        refused = await local.command(CHAT, ADMIN, "/reopen")
        await app.drain()
        assert local.chats[CHAT].can_send_messages is False
        await local.command(CHAT, SLT, "/reopen")
        await app.drain()
        await local.command(CHAT, DSL, "/close")  # the safeguarding lead closes, as admins may
        await app.drain()
        reopened = await local.command(CHAT, ADMIN, "/reopen")
        await app.drain()
        assert local.chats[CHAT].can_send_messages is True
        audit = await app.store.audit_log()

    assert "only the school's senior leadership team" in refused.text
    assert reopened.text.startswith("Reopening")
    assert [(a.actor_id, a.action, a.outcome, a.detail) for a in audit if a.action == "reopen"] == [
        (ADMIN.user_id, "reopen", "refused", "role: admin"),
        (SLT.user_id, "reopen", "ok", ""),
        (ADMIN.user_id, "reopen", "ok", ""),
    ]


async def test_privacy_tells_members_who_sees_what(config: Config, running: StartApp) -> None:
    async with running(config) as (_, local):
        text = (await local.command(CHAT, PARENT, "/privacy")).text
    assert "Only the school's senior leadership team can see them" in text
    assert "The group's admins see only whether the chat is open or closed" in text


# ---- 2. alerts avoid the person named -------------------------------------------------


async def test_an_alert_naming_an_slt_contact_goes_to_the_others_not_to_them(
    tmp_path: Path, running: StartApp
) -> None:
    config = config_of(tmp_path, school_with(LINKED))
    async with running(config) as (app, local):
        await local.send(CHAT, PARENT, ABOUT_SHAH)
        await app.drain()
        await local.send(CHAT, OTHER_PARENT, THREAT)  # names no one: both hear
        await app.drain()

    assert [ABOUT_SHAH in a for a in private(local, CARTER, "alert")] == [True, False]
    assert [ABOUT_SHAH in a for a in private(local, SLT, "alert")] == [False]


async def test_a_message_naming_every_slt_contact_goes_to_the_fallback_who_may_decide_it(
    tmp_path: Path, running: StartApp
) -> None:
    config = config_of(tmp_path, school_with(LINKED, FALLBACK))
    async with running(config) as (app, local):
        await local.send(CHAT, PARENT, ABOUT_BOTH)
        await local.send(CHAT, OTHER_PARENT, THREAT)
        await app.drain()
        assert private(local, SLT, "alert") == private(local, CARTER, "alert")
        [theirs] = [s for s in local.seen_by(CHAIR.user_id) if s.kind == "alert"]
        assert ABOUT_BOTH in theirs.text
        dismiss = next(b for b in theirs.buttons if b.action is ButtonAction.DISMISS)
        decided = await local.press(dismiss, CHAIR)
        # An incident they were not alerted about is not theirs to decide.
        other = next(s for s in local.seen_by(SLT.user_id) if s.kind == "alert")
        refused = await local.press(other.buttons[0], CHAIR)
        await app.drain()
        incidents = {i.text: i.status for i in await app.store.incidents()}

    assert "not a breach" in decided.text
    assert "only the school's senior leadership team" in refused.text
    assert incidents == {ABOUT_BOTH: "dismissed", THREAT: "open"}


def test_warnings_name_the_school_where_no_one_is_left_to_alert(tmp_path: Path) -> None:
    head_only = school_with("      - {name: Mr Carter, staff: carter, local: slt-carter}\n")
    assert warnings(config_of(tmp_path, head_only)) == [
        "test.yaml:11: schools[0].slt[0]: school riverside: no one is left to alert about a "
        "message naming Mr Carter, who is the only SLT contact it could go to; add a "
        "'fallback:' contact such as the chair of governors"
    ]
    assert warnings(config_of(tmp_path, school_with(LINKED))) == []
    with_chair = school_with("      - {name: Mr Carter, staff: carter, local: c}\n", FALLBACK)
    assert warnings(config_of(tmp_path, with_chair)) == []


# ---- 3. an incident is decided once ---------------------------------------------------


async def test_every_alert_about_an_incident_loses_its_buttons_once_it_is_decided(
    tmp_path: Path, running: StartApp
) -> None:
    two = (
        "      - {name: Mrs Shah, local: slt-shah}\n      - {name: Mr Carter, local: slt-carter}\n"
    )
    config = config_of(tmp_path, school_with(two))
    async with running(config) as (app, local):
        await local.send(CHAT, PARENT, THREAT)
        await app.drain()
        [alert] = [s for s in local.seen_by(CARTER.user_id) if s.kind == "alert"]
        close = next(b for b in alert.buttons if b.action is ButtonAction.CLOSE)
        await local.press(close, CARTER)
        await app.drain()
        again = await local.press(close, SLT)
        await app.drain()
        [incident] = await app.store.incidents()
        settled = await app.store.actions(kind="settle_alert")

    assert incident.status == "closed"
    assert again.text.startswith(
        "This has already been decided. Decided: Mr Carter closed the chat"
    )
    for person in (SLT, CARTER):
        [shown] = [s for s in local.seen_by(person.user_id) if s.kind == "alert"]
        assert shown.buttons == ()
        assert "Decided: Mr Carter closed the chat on " in shown.text
    assert sorted((a.status, a.path) for a in settled) == [("done", "edited")] * 2


async def test_an_alert_that_was_never_delivered_has_nothing_to_edit(
    config: Config, running: StartApp
) -> None:
    local = LocalPlatform()
    local.blocks_dms.add(SLT.user_id)  # the alert fails for good
    async with running(config, local) as (app, _):
        await local.send(CHAT, PARENT, THREAT)
        await app.drain()
        [incident] = await app.store.incidents()
        key = incident.key
        local.blocks_dms.clear()
        pressed = await local.press(f"sg:dismiss:{key}", SLT)
        await app.drain()
        [alert] = await app.store.actions(kind="alert")
        settled = await app.store.actions(kind="settle_alert")

    assert "not a breach" in pressed.text
    assert alert.status == "failed"
    assert settled == []


async def test_a_database_from_before_roles_is_migrated_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    with database_at_version(path, 3) as db:
        db.execute(
            "INSERT INTO chats (platform, chat_id, school_id, status, changed_by) "
            "VALUES ('local', 'year3', 'riverside', 'closed', 'local:slt-shah')"
        )
    async with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        state = await store.chat_state(ChatRef("local", "year3"))
    # Who closed it is not known by role: an admin may not reopen it (bot.roles.reopen_act).
    assert (state.closed, state.changed_by, state.changed_by_role) == (
        True,
        "local:slt-shah",
        None,
    )


# ---- 4. /help and unknown commands ----------------------------------------------------


async def test_help_and_unknown_commands_list_what_the_caller_may_use(
    config: Config, running: StartApp
) -> None:
    async with running(config) as (_, local):
        parent = (await local.command(CHAT, PARENT, "/help")).text
        admin = (await local.command(CHAT, ADMIN, "/help")).text
        slt = (await local.command(CHAT, SLT, "/help")).text
        unknown = (await local.command(CHAT, PARENT, "/dance now")).text

    assert parent.splitlines() == [
        "Commands:",
        "\u2022 /rules: the school's code of conduct for this chat",
        "\u2022 /privacy: what is kept about messages, and for how long",
        "\u2022 /help: this list",
    ]
    assert "/close [reason]" in admin
    assert "/status" in admin
    assert "/reopen" in admin
    assert "/close [reason]" in slt
    assert unknown.splitlines()[:2] == ["Sorry, there is no /dance command.", "You can use:"]
    assert "/close" not in unknown


# ---- 5. which message ------------------------------------------------------------------


async def test_the_reminder_quotes_the_first_words_without_the_insult(
    config: Config, running: StartApp
) -> None:
    async with running(config) as (app, local):
        await local.send(CHAT, PARENT, ABUSIVE)
        await app.drain()
    [reminder] = private(local, PARENT, "reminder")
    assert "(\u201cSarah \u2026 and everyone knows\u2026\u201d)" in reminder
    assert "cow" not in reminder


# ---- 6. wording -----------------------------------------------------------------------


async def test_a_named_teachers_phone_number_is_worded_as_private_details(
    config: Config, running: StartApp
) -> None:
    async with running(config) as (app, local):
        await local.send(CHAT, PARENT, "Mr Carter's mobile is 07700 900123 ring him")
        await app.drain()
    [reminder] = private(local, PARENT, "reminder")
    [alert] = private(local, SLT, "alert")
    [why] = [line for line in alert.splitlines() if line.startswith("Why: ")]

    assert "it seems to share a member of staff's private details" in reminder
    assert "names a member of staff in a negative way" not in reminder
    assert "This message shares private details about Mr Carter, a member of staff: " in why
    assert "negative context" not in why
    assert why.count("phone number") == 1


async def test_a_reason_is_not_repeated(config: Config, running: StartApp) -> None:
    async with running(config) as (app, local):
        await local.send(CHAT, PARENT, "Mr Carter you idiot")
        await app.drain()
    [alert] = private(local, SLT, "alert")
    [why] = [line for line in alert.splitlines() if line.startswith("Why: ")]
    assert why == (
        "Why: This message names Mr Carter, a member of staff, in a negative context: "
        "an insult aimed at someone."
    )


def test_make_config_still_builds(tmp_path: Path) -> None:
    assert make_config(tmp_path).schools[0].dsl[0].name.startswith("Mrs Dee")
