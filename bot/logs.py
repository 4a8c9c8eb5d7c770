"""Every log record scrubbed of secrets and of what people wrote, whoever logs it.

The SDKs log whole payloads at DEBUG (Telegram updates and API parameters, Discord gateway
events, Slack Socket Mode frames) and URLs that hold the bot token. Rather than a filter per
library or per handler, one log record factory renders and scrubs each record as it is made,
so every handler (the console of `schoolgate run`, a file, pytest's capture) gets the same
scrubbed text:

- each configured secret, plain or URL-encoded, becomes `[secret]`;
- from the first field that carries someone's words (`text`, `content`, `caption`,
  `question`, written as a JSON or dict key, a keyword in a repr, or a form field) the rest of
  the line is withheld. What comes before it (which event, which endpoint) is kept.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, quote_plus

from pydantic import BaseModel, SecretStr

SECRET = "[secret]"
WITHHELD = " [withheld: may hold what someone wrote]"
# A secret this short is scrubbed only where it stands on its own (not inside a longer word),
# so that it cannot blank out ordinary words; longer ones are scrubbed wherever they appear.
SHORT_SECRET = 6

_WORD_FIELDS = "text|content|caption|question"
_PAYLOAD = re.compile(
    rf"""['"](?:{_WORD_FIELDS})['"]\s*:"""  # JSON, or a dict's repr
    rf"""|\b(?:{_WORD_FIELDS})="""  # a keyword in an object's repr, or a form field
    rf"""|%22(?:{_WORD_FIELDS})%22"""  # JSON inside a URL-encoded form
)


class Scrubber:
    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._formatter = logging.Formatter()

    def add_secrets(self, secrets: Iterable[str]) -> None:
        new = {
            form
            for secret in secrets
            if secret
            for form in (secret, quote(secret, safe=""), quote_plus(secret))
        }
        if new <= self._secrets:
            return
        self._secrets |= new
        longest_first = sorted(self._secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(_as_pattern, longest_first)))

    def scrub(self, text: str) -> str:
        if self._pattern is not None:
            text = self._pattern.sub(SECRET, text)
        payload = _PAYLOAD.search(text)
        return text[: payload.end()] + WITHHELD if payload else text

    def scrub_record(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging reports it as it always does
            return
        scrubbed = self.scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, ()
        if record.exc_info and not record.exc_text:
            # Rendered now, so that no handler renders the unscrubbed traceback later.
            record.exc_text = self.scrub(self._formatter.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)


def _as_pattern(secret: str) -> str:
    escaped = re.escape(secret)
    return escaped if len(secret) >= SHORT_SECRET else rf"(?<![\w-]){escaped}(?![\w-])"


class _ScrubbingFactory:
    def __init__(self, inner: Callable[..., logging.LogRecord], scrubber: Scrubber) -> None:
        self.inner = inner
        self.scrubber = scrubber

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        self.scrubber.scrub_record(record)
        return record


_SCRUBBER = Scrubber()


def protect_logs(secrets: Iterable[str]) -> None:
    """Scrub every log record of this process from now on; `secrets` join those already known.
    Installed once however often it is called."""
    _SCRUBBER.add_secrets(secrets)
    if not isinstance(logging.getLogRecordFactory(), _ScrubbingFactory):
        logging.setLogRecordFactory(_ScrubbingFactory(logging.getLogRecordFactory(), _SCRUBBER))


def scrubbed(text: str) -> str:
    """`text` as a log line would show it: for what leaves the process by another way (the
    health check's report of a platform's last error)."""
    return _SCRUBBER.scrub(text)


def secrets_in(model: BaseModel) -> list[str]:
    """The values of every `SecretStr` in a config, however deep."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, SecretStr):
            found.append(value.get_secret_value())
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(model)
    return found
