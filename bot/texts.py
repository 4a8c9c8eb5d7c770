"""Every sentence the bot says, in one place.

Reminders are polite and private, name the clause and quote it, and say which message they
are about by a link to it or, where the platform has none, its first few words: an insult or
slur is never echoed back. SLT alerts carry everything needed to act in one read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import CodeOfConduct, School
from bot.store import IncidentRow
from rules.model import Category, Clause, Finding, Verdict

CLAUSE_TITLES: dict[Clause, str] = {
    Clause.RESPECT: "Be courteous to everyone",
    Clause.THREATS: "No threats or intimidation",
    Clause.DISCRIMINATION: "No discriminatory remarks",
    Clause.STAFF: "Concerns about staff go to the school",
    Clause.PUPILS: "Be kind about children",
    Clause.PRIVACY: "Keep private information private",
    Clause.COMPLAINTS: "Complaints go through the complaints procedure",
    Clause.CLOSURE: "Closing the group",
}

# What a reminder says about a category: the kind of problem, never the words used.
CATEGORY_PHRASES: dict[Category, str] = {
    Category.ABUSE: "it contains language that could hurt or upset someone",
    Category.THREAT: "it could be read as a threat",
    Category.DISCRIMINATION: "it contains a remark that could be discriminatory",
    Category.STAFF: "it names a member of staff in a negative way",
    Category.PUPIL: "it names a child in a negative way",
    Category.PRIVATE: "it seems to share someone's private or personal information",
    Category.COMPLAINT: "it raises a complaint about the school",
}

# A named member of staff's or pupil's private details being shared: not a criticism of them.
PRIVATE_ABOUT: dict[Category, str] = {
    Category.STAFF: "it seems to share a member of staff's private details",
    Category.PUPIL: "it seems to share a child's private details",
}


def _phrase(finding: Finding) -> str:
    if finding.cause is Category.PRIVATE and finding.category in PRIVATE_ABOUT:
        return PRIVATE_ABOUT[finding.category]
    return CATEGORY_PHRASES[finding.category]


BUTTON_LABELS = {"dismiss": "Not a breach", "delete": "Delete message", "close": "Close chat"}
ACK_LABEL = "I agree to the code of conduct"
MAX_QUOTE = 1500  # characters of a flagged message shown to SLT
# The most characters a platform shows in one message (Slack's blocks split longer text).
TEXT_LIMITS = {"telegram": 4096, "discord": 2000, "slack": 40000, "local": 40000}
DECISION_ROOM = 160  # kept free in an alert for the line that says how it was decided


def text_limit(*platforms: str) -> int:
    """The most characters a message may have to fit on every one of these platforms."""
    return min(TEXT_LIMITS.get(p, TEXT_LIMITS["telegram"]) for p in platforms)


def when(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y} at {local:%H:%M}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def quote_clause(code: CodeOfConduct, clause: Clause) -> str:
    text = " ".join(code.clause(clause).split())
    return f"{CLAUSE_TITLES[clause]}: \u201c{text}\u201d"


def reminder(
    *,
    school: School,
    chat_name: str,
    name: str,
    sent_at: datetime,
    zone: ZoneInfo,
    verdict: Verdict,
    offence_number: int,
    school_told: bool,
    excerpt: str = "",
    link: str | None = None,
) -> str:
    """Which message it is about: a `link` to it where the platform gives one, else its first
    words (`excerpt`), so that the person's words are repeated only where nothing else can
    say which message."""
    code = school.policy
    phrases = list(dict.fromkeys(_phrase(f) for f in verdict.findings))
    which = f" (\u201c{excerpt}\u201d)" if excerpt and not link else ""
    lines = [
        f"Hello {name}," if name else "Hello,",
        "",
        f"This is an automatic, private message from {school.name} about the message you posted "
        f"in \u201c{chat_name}\u201d on {when(sent_at, zone)}{which}. It may not fit the group's "
        f"code of conduct, because {_join(phrases)}.",
        *([f"The message: {link}"] if link else []),
        "",
        "The code of conduct says:",
        *(f"\u2022 {quote_clause(code, clause)}" for clause in verdict.clauses),
        "",
        "Please could you remove the message? Thank you.",
    ]
    if Category.COMPLAINT in verdict.categories or Category.STAFF in verdict.categories:
        lines.append(
            "If you have a concern, the school would like to hear it directly"
            + (
                f": {code.complaints_url}"
                if code.complaints_url
                else ", through its complaints procedure."
            )
        )
    if code.url:
        lines.append(f"The full code of conduct: {code.url}")
    if school_told:
        lines.append(
            "The school's senior leadership team has been told about this message."
            if offence_number < 2
            else f"This is the {ordinal(offence_number)} reminder recently, so the school's "
            "senior leadership team has been told."
        )
    lines.append(
        "If you think this note was sent by mistake, you can ignore it, or let the school know."
    )
    return "\n".join(lines)


# How much of a flagged message a reminder quotes to say which message it is about.
EXCERPT_WORDS = 5
EXCERPT_CHARS = 40
_FIRST_SENTENCE = re.compile(r"(?<=[.!?])\s")
# Words a reminder never echoes back: insults and slurs.
_UNQUOTED = (Category.ABUSE, Category.DISCRIMINATION)


def excerpt(text: str, verdict: Verdict) -> str:
    """The message's first words (within its first sentence, capped), with any insult or slur
    left out (shown as "…")."""
    hidden = sorted((f.span.start, f.span.end) for f in verdict.findings if f.category in _UNQUOTED)
    kept, at = [], 0
    for start, end in hidden:
        if start >= at:
            kept.append(text[at:start] + "\u2026")
        at = max(at, end)
    kept.append(text[at:])
    words = _FIRST_SENTENCE.split("".join(kept).strip(), maxsplit=1)[0].split()
    short = " ".join(words[:EXCERPT_WORDS])
    if len(short) > EXCERPT_CHARS:
        short = short[:EXCERPT_CHARS].rsplit(" ", 1)[0]
    return short + ("\u2026" if short != " ".join(words) and not short.endswith("\u2026") else "")


def nudge(name: str) -> str:
    """The in-chat fallback: names no rule and repeats nothing."""
    who = f"{name}, " if name else ""
    return f"{who}there is a private note for you about a recent message in this group."


REVIEW_NOTE = (
    "For review: only the learned model flagged this message, and it is not sure enough to act "
    "alone, so nothing was sent to the parent. Dismiss it if it is not a breach."
)


OBSERVE_MARK = "Observe mode: nothing was sent to the parent."
_WOULD = {
    "remind": "sent the sender a private reminder (or, where none could reach them, a neutral "
    "note in the chat)",
    "delete": "deleted the message",
    "alert": "alerted SLT",
}


def would_have(kinds: Sequence[str]) -> str:
    """What enforce mode would have done (`Decision.kinds`), for an alert sent in observe mode."""
    done = [_WOULD[kind] for kind in _WOULD if kind in kinds]
    if not done:
        return (
            "In enforce mode the bot would have done nothing: this alert is sent only in "
            "observe mode."
        )
    line = f"In enforce mode the bot would have {_join(done)}."
    if "alert" not in kinds:
        line += " SLT hear of this one only in observe mode."
    return line


def alert(
    *,
    school: School,
    chat_name: str,
    platform: str,
    sender: str,
    sender_id: str,
    sent_at: datetime,
    zone: ZoneInfo,
    text: str,
    edited: bool,
    verdict: Verdict,
    offence_number: int,
    window_days: int,
    history: Sequence[IncidentRow],
    urgent: bool,
    deleting: bool,
    review: bool = False,
    observed: Sequence[str] | None = None,
    link: str | None = None,
    limit: int = 4096,
) -> str:
    """At most `limit` characters (the recipient's platform's limit, see `TEXT_LIMITS`), with
    room left for the line added once the incident is decided: the quoted message is what is
    shortened to fit. `observed`: sent in observe mode, and what enforce mode would have done
    (`Decision.kinds`)."""
    severity = verdict.severity.value if verdict.severity else "low"
    lines = [
        *([OBSERVE_MARK, would_have(observed)] if observed is not None else []),
        ("URGENT: " if urgent else "") + "Possible breach of the code of conduct",
        f"School: {school.name}",
        f"Chat: {chat_name} ({platform})",
        f"From: {sender} ({platform} id {sender_id})",
        f"Sent: {when(sent_at, zone)}" + (" (edited)" if edited else ""),
        "",  # the quoted message, once the room for it is known
        *([f"Link: {link}"] if link else []),
        f"Categories: {', '.join(verdict.categories)} ({severity})",
        "Why: " + " ".join(_sentence(r) for r in verdict.reasons),
        "Clauses: " + ", ".join(CLAUSE_TITLES[c] for c in verdict.clauses),
    ]
    if history:
        lines.append(
            f"History: {ordinal(offence_number)} offence in {window_days} days. Earlier: "
            + "; ".join(f"{when(h.created_at, zone)} ({', '.join(h.categories)})" for h in history)
        )
    else:
        lines.append(f"History: no other offence in {window_days} days.")
    if deleting:
        lines.append("The message is being deleted automatically, as the school's policy asks.")
    if review:
        lines.append(REVIEW_NOTE)
    others = len("\n".join(lines)) + len("Message: \u201c\u2026\u201d")
    room = max(0, min(MAX_QUOTE, limit - DECISION_ROOM - others))
    quoted = text if len(text) <= room else text[:room] + "\u2026"
    lines[lines.index("")] = f"Message: \u201c{quoted}\u201d"
    return "\n".join(lines)


def failure_note(kind: str, chat_name: str, reason: str) -> str:
    what = {
        "delete": "delete the message",
        "close": "close",
        "reopen": "reopen",
    }.get(kind, kind)
    return f"schoolgate could not {what} in \u201c{chat_name}\u201d: {reason}"


def closing_notice(code: CodeOfConduct, reason: str) -> str:
    lines = [
        "This group has been closed by the school for the time being.",
        f"As the code of conduct says: \u201c{' '.join(code.clause(Clause.CLOSURE).split())}\u201d",
    ]
    if reason:
        lines.append(f"Reason: {reason}")
    if code.url:
        lines.append(f"The code of conduct: {code.url}")
    return "\n".join(lines)


def reopening_notice() -> str:
    return (
        "This group is open again. Thank you for keeping it friendly and helpful, "
        "as the code of conduct asks. /rules shows a summary."
    )


def rules(code: CodeOfConduct) -> str:
    lines = [f"{code.title} (version {code.version})", "", code.summary.strip()]
    if code.url:
        lines += ["", f"The full code: {code.url}"]
    if code.complaints_url:
        lines.append(f"Complaints procedure: {code.complaints_url}")
    return "\n".join(lines)


def privacy(code: CodeOfConduct, retention_days: int) -> str:
    return code.privacy.strip().replace("{retention_days}", str(retention_days))


def welcome(school: School) -> str:
    code = school.policy
    return "\n".join(
        [
            f"Welcome! This group follows {school.name}'s code of conduct for parents and carers.",
            "",
            code.summary.strip(),
            *([f"The full code: {code.url}"] if code.url else []),
            "",
            "Please press the button to say you have read it and agree to it.",
        ]
    )


NOT_ALLOWED = (
    "Sorry, only the school's senior leadership team can do that here (the group's admins "
    "can close the chat in an emergency). This request has been noted. /help lists what you "
    "can do."
)
ANONYMOUS = (
    "Sorry, I can't tell who you are while you post anonymously as the group. Please send the "
    "command again as yourself (turn off 'Remain anonymous' in your admin settings)."
)
NOT_A_SCHOOL_CHAT = "Please use this command in the class group chat it is about."
INCIDENTS_USAGE = "Write /incidents, or /incidents 30 for the last 30 days (up to 366)."
INCIDENT_USAGE = (
    "Write /incident and the incident's number, e.g. /incident 42 (/incidents lists them)."
)


def no_incident(number: int) -> str:
    return f"There is no incident #{number} at your school."


def incidents_sent(count: int, pages: int, days: int) -> str:
    period = f"the last {days} day{'s' * (days != 1)}"
    if not count:
        return f"No open incidents in {period}."
    return (
        f"{count} open incident{'s' * (count != 1)} in {period}: sent to you by direct message "
        f"in {pages} message{'s' * (pages != 1)}, each incident with its buttons."
    )


UNKNOWN_ALERT = "This alert is no longer available; records are kept only for a limited time."


# ---- help, and what an alert's decision looks like ------------------------------------

COMMAND_HELP: dict[str, str] = {
    "close": "/close [reason]: close the chat (in an emergency, for admins)",
    "reopen": "/reopen [reason]: open the chat again",
    "status": "/status: whether the chat is open, and who closed it",
    "rules": "/rules: the school's code of conduct for this chat",
    "privacy": "/privacy: what is kept about messages, and for how long",
    "help": "/help: this list",
    "incidents": "/incidents [days]: every open incident of the school (the last 7 days unless "
    "you say), each with its buttons, by direct message",
    "incident": "/incident ID: one incident and its history",
}


def help_text(commands: Sequence[str], *, unknown: str = "", prefix: str = "/") -> str:
    """The commands a caller may use, in order; `unknown` is a command typed that is none of
    ours. `prefix` is how the platform writes a command ("/schoolgate " on Slack)."""
    lines = [f"Sorry, there is no {prefix}{unknown} command." if unknown else "Commands:"]
    if unknown:
        lines.append("You can use:")
    lines += [f"\u2022 {COMMAND_HELP[c].replace('/', prefix, 1)}" for c in commands]
    return "\n".join(lines)


SLACK_CHANNEL_HINT = (
    "In a direct message, name the channel first, e.g. /schoolgate reopen #year-4-parents."
)

DECISIONS = {
    "dismissed": "marked it as not a breach",
    "deleted": "had the message deleted",
    "closed": "closed the chat",
}


def decision(status: str, by: str, at: datetime, zone: ZoneInfo) -> str:
    """Who decided an incident, what and when: replaces the buttons on its alerts."""
    who = (by[:60] + "\u2026" if len(by) > 60 else by) or "someone"
    return f"Decided: {who} {DECISIONS.get(status, status)} on {when(at, zone)}."


def already_decided(line: str) -> str:
    return f"This has already been decided. {line}"


def chat_state(
    name: str, closed: bool, by: str, at: datetime | None, reason: str, zone: ZoneInfo
) -> str:
    if not closed:
        return f"\u201c{name}\u201d is open."
    text = f"\u201c{name}\u201d is closed"
    if by:
        text += f" (closed by {by}"
        text += f" on {when(at, zone)})" if at else ")"
    return text + (f": {reason}" if reason else ".")
