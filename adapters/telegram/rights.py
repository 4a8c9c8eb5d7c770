"""What the bot may do in each configured chat, learnt at start and kept up to date.

Telegram hides ordinary messages from a bot that is not an admin while privacy mode is on, and
only an admin bot can delete, restrict (close the chat), manage topics or whisper ephemeral
messages. The check turns the bot's membership into capabilities and into plain sentences that
say what is missing and what that disables.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Bot, ChatMember, ChatMemberAdministrator, ChatMemberOwner
from telegram import error as tg

from bot.platform import Capability

# Everything works through DMs and buttons even where the bot has no rights in the group.
_ALWAYS = frozenset({Capability.DIRECT_MESSAGE, Capability.BUTTONS})


@dataclass(frozen=True, slots=True)
class ChatRights:
    present: bool = False  # the bot is a member of the chat
    admin: bool = False
    can_delete: bool = False
    can_restrict: bool = False
    can_manage_topics: bool = False
    can_invite: bool = False  # approve join requests
    reads_all: bool = False  # sees every message: an admin, or privacy mode turned off
    is_forum: bool = False

    def capabilities(self, *, topic: bool = False) -> frozenset[Capability]:
        found = set(_ALWAYS)
        if self.admin:
            found.add(Capability.EPHEMERAL)
        if self.can_delete:
            found.add(Capability.DELETE_OTHERS)
        if self.can_manage_topics if topic else self.can_restrict:
            found |= {Capability.LOCK_CHAT, Capability.REOPEN_CHAT}
        return frozenset(found)

    def problems(self, name: str, *, join_gate: bool = False) -> list[str]:
        """What is missing in chat `name` and what that disables, one sentence each."""
        if not self.present:
            return [
                f"the bot is not in {name}: add it to the group as an admin and restart; "
                "nothing is moderated there until then"
            ]
        found: list[str] = []
        if not self.reads_all:
            found.append(
                f"privacy mode: the bot sees only commands in {name}; make it an admin "
                "(or turn privacy mode off in BotFather and add the bot to the group again)"
            )
        if not self.admin:
            found.append(
                f"the bot is not an admin in {name}: it cannot delete messages or close the "
                "chat, and parents who have not started the bot get a neutral nudge in the "
                "chat instead of a private reminder"
            )
            return found
        if not self.can_delete:
            found.append(
                f"in {name} the bot lacks the admin right 'Delete messages': flagged messages "
                "cannot be deleted (SLT are told instead)"
            )
        if not self.can_restrict:
            found.append(
                f"in {name} the bot lacks the admin right 'Ban users': /close cannot stop "
                "members posting"
            )
        if self.is_forum and not self.can_manage_topics:
            found.append(
                f"in {name} the bot lacks the admin right 'Manage topics': topics cannot be closed"
            )
        if join_gate and not self.can_invite:
            found.append(
                f"in {name} the bot lacks the admin right 'Invite users via link': the join "
                "gate cannot approve join requests"
            )
        return found


def rights_of(member: ChatMember, *, privacy_off: bool, is_forum: bool) -> ChatRights:
    """Rights from the bot's own membership (getChatMember or a my_chat_member update)."""
    if member.status in (ChatMember.LEFT, ChatMember.BANNED):
        return ChatRights(is_forum=is_forum)
    if isinstance(member, ChatMemberOwner):
        return ChatRights(
            present=True,
            admin=True,
            can_delete=True,
            can_restrict=True,
            can_manage_topics=True,
            can_invite=True,
            reads_all=True,
            is_forum=is_forum,
        )
    if isinstance(member, ChatMemberAdministrator):
        return ChatRights(
            present=True,
            admin=True,
            can_delete=member.can_delete_messages,
            can_restrict=member.can_restrict_members,
            can_manage_topics=bool(member.can_manage_topics),
            can_invite=member.can_invite_users,
            reads_all=True,
            is_forum=is_forum,
        )
    return ChatRights(present=True, reads_all=privacy_off, is_forum=is_forum)


async def check_rights(bot: Bot, chat_id: str, *, privacy_off: bool) -> ChatRights:
    """Ask Telegram; a chat the bot cannot see counts as one it is not in."""
    try:
        chat = await bot.get_chat(chat_id)
        member = await bot.get_chat_member(chat_id, bot.id)
    except (tg.Forbidden, tg.BadRequest):
        return ChatRights()
    return rights_of(member, privacy_off=privacy_off, is_forum=bool(chat.is_forum))
