"""Logging: plain lines, no update bodies, and no library chatter that could dump an update."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from pythonjsonlogger.json import JsonFormatter

# httpx logs every request URL, which contains the bot token; PTB's DEBUG logs print whole updates
# and every call's parameters (chat ids); SQLAlchemy's INFO logs print statement parameters (a
# worker's user id in the identity lookup). None go below WARNING, whatever LOG_LEVEL says. The
# app itself logs nothing when a concern arrives: a log line's timestamp is the exact time.
NOISY_LOGGERS = (
    "httpx",
    "httpcore",
    "telegram",
    "apscheduler",
    "aiosqlite",
    "asyncio",
    "sqlalchemy",
)


PLAIN = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


class _FixedFieldsJson(JsonFormatter):
    """Only these fields: a library's ``extra`` attributes could carry an update's content."""

    KEEP = frozenset({"time", "level", "logger", "message", "exc_info"})

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in log_data.items() if key in self.KEEP}


def json_formatter() -> logging.Formatter:
    return _FixedFieldsJson(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False,
    )


class RedactSecrets(logging.Filter):
    """Secrets never reach a log line, whoever wrote it.

    PTB puts the whole bot token into ``InvalidToken``'s message (a getMe answered 401 or 404, as
    a mistyped TELEGRAM_API_BASE_URL does with a valid token), httpx puts it in every URL, and an
    exception's text can end up in a line through any ``%s``. The rule "never format a Bot API
    error into a log line" is kept in our code; this filter is the net under it: it renders the
    record, replaces every secret (and a token's part after the colon) and keeps the result."""

    MASK = "[đã ẩn]"
    SHORTEST = 8  # shorter values would blank out ordinary words

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        found: set[str] = set()
        for secret in secrets:
            found.add(secret)
            if ":" in secret:  # Telegram's and Zalo's tokens: <bot id>:<secret part>
                found.add(secret.split(":", 1)[1])
        self._secrets = sorted((s for s in found if len(s) >= self.SHORTEST), key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, self.MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = self.scrub(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info:
            # Both formatters print exc_text when exc_info is gone (python-json-logger too).
            record.exc_text = self.scrub(PLAIN.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True


def configure(
    level: str = "INFO", log_format: str = "plain", secrets: Iterable[str] = ()
) -> None:
    """``log_format`` "json": one object per line with time, level, logger and message only (no
    exception locals, no extra fields a library might attach). ``secrets``: values no line may
    show (infra/settings.py ``Settings.secret_values``)."""
    handler = logging.StreamHandler()
    handler.setFormatter(json_formatter() if log_format == "json" else PLAIN)
    handler.addFilter(RedactSecrets(secrets))
    # No force: where the root logger already has handlers (pytest's capture), they stay.
    logging.basicConfig(level=level, handlers=[handler])
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # APScheduler's "run time of job … was missed by …" warning names the scheduled moment: for
    # a worker's conversation timeout that is their last step plus 30 minutes, to the second.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
