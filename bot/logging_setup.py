"""Logging: plain lines, no update bodies, and no library chatter that could dump an update."""

from __future__ import annotations

import logging

# httpx logs every request URL, which contains the bot token; PTB's DEBUG logs print whole updates
# and every call's parameters (chat ids), which may identify a worker. None go below WARNING.
NOISY_LOGGERS = ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite", "asyncio")


def configure(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
