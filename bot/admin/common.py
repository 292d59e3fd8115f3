"""What every group of admin commands shares: who acts, the bot's @username for links, a kind's
name, and the shape of a command. The names of roles and kinds are the office console's
(services/office/people.py), one list for both."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from infra.i18n import tr
from infra.settings import CONSOLE_BOT_USERNAME, Settings
from models.db import UnitOfWork
from services.errors import N_

# A sub-command: its options, the settings and a unit of work in; the exit status out.
Command = Callable[[argparse.Namespace, Settings, UnitOfWork], Awaitable[int]]

NO_BOT_NAME = N_(
    "BOT_USERNAME is not set: links and QR codes need the bot's @username. Add it to .env "
    "(for example BOT_USERNAME=congdoan_bacninh_bot) and run the command again."
)


def actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except Exception:  # no login name in some containers
        return "cli"


def bot_name(settings: Settings) -> str | None:
    """The @username links and QR codes name: BOT_USERNAME; in console mode (no token) the
    console's own bot; None when a real bot runs without BOT_USERNAME, since a link to a
    placeholder printed on a poster can never be fixed."""
    if settings.bot_username:
        return settings.bot_username
    return None if settings.channels else CONSOLE_BOT_USERNAME


def deep_link(username: str, code: str) -> str:
    return f"https://t.me/{username}?start={code}"


def kind_name(names: dict[Any, str], kind: Any, lang: str) -> str:
    return tr(lang, names[kind]) if kind in names else str(kind.value)


def no_such(lang: str, code: str | None) -> int:
    """Say on stderr that no unit or node has ``code``; the exit status for it."""
    print(tr(lang, "No such unit or node: {code}", code=code), file=sys.stderr)
    return 1
