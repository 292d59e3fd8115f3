"""Logging: plain lines, no update bodies, and no library chatter that could dump an update."""

from __future__ import annotations

import logging

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


def configure(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # APScheduler's "run time of job … was missed by …" warning names the scheduled moment: for
    # a worker's conversation timeout that is their last step plus 30 minutes, to the second.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
