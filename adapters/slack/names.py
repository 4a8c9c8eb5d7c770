"""Display names of Slack users, so that SLT read a name rather than an id like U024BE7LH."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.clients import describe_error

log = logging.getLogger(__name__)

# A name is a nicety: a slow answer must not hold up moderation of the channel.
NAME_WAIT = 2.0


class DisplayNames:
    """users.info, remembered for the most recent `size` users."""

    def __init__(self, client: AsyncWebClient, size: int = 2000) -> None:
        self._client = client
        self._names: OrderedDict[str, str] = OrderedDict()
        self._size = size

    async def of(self, user_id: str) -> str:
        """The user's display name, or "" when Slack will not say (the id is used instead)."""
        if user_id in self._names:
            self._names.move_to_end(user_id)
            return self._names[user_id]
        try:
            async with asyncio.timeout(NAME_WAIT):
                answer = await self._client.users_info(user=user_id)
        except Exception as error:  # a name is a nicety: never lose the message over it
            log.debug("users.info failed for %s: %s", user_id, describe_error(error))
            return ""
        user = answer.get("user") or {}
        profile = user.get("profile") or {}
        name = str(
            profile.get("display_name") or profile.get("real_name") or user.get("name") or ""
        )
        self._names[user_id] = name
        if len(self._names) > self._size:
            self._names.popitem(last=False)
        return name
