"""Logging: plain lines, no update bodies, and no library chatter that could dump an update."""

from __future__ import annotations

import logging
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


def configure(level: str = "INFO", log_format: str = "plain") -> None:
    """``log_format`` "json": one object per line with time, level, logger and message only (no
    exception locals, no extra fields a library might attach)."""
    handler = logging.StreamHandler()
    handler.setFormatter(json_formatter() if log_format == "json" else PLAIN)
    # No force: where the root logger already has handlers (pytest's capture), they stay.
    logging.basicConfig(level=level, handlers=[handler])
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # APScheduler's "run time of job … was missed by …" warning names the scheduled moment: for
    # a worker's conversation timeout that is their last step plus 30 minutes, to the second.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
