"""What every group of admin commands shares: the names of roles and kinds, who acts, the bot's
@username for links, and the shape of a command."""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Awaitable, Callable
from typing import Any

from infra.i18n import tr
from infra.settings import CONSOLE_BOT_USERNAME, Settings
from models import NodeKind, Role, UnitKind
from models.db import UnitOfWork
from services.errors import N_

# A sub-command: its options, the settings and a unit of work in; the exit status out.
Command = Callable[[argparse.Namespace, Settings, UnitOfWork], Awaitable[int]]

ROLE_NAMES = {
    Role.OFFICER: N_("Officer"),
    Role.COMMITTEE: N_("Steering committee member"),
    Role.ADMIN: N_("Administrator"),
}
NODE_KIND_NAMES = {
    NodeKind.PROVINCE: N_("Province"),
    NodeKind.INDUSTRIAL_ZONE: N_("Industrial zone"),
    NodeKind.ECONOMIC_ZONE: N_("Economic zone"),
    NodeKind.COMMUNE: N_("Commune or ward"),
    NodeKind.ENTERPRISE: N_("Enterprise"),
}
UNIT_KIND_NAMES = {
    UnitKind.TRADE_UNION: N_("Grassroots trade union"),
    UnitKind.PARTY_CELL: N_("Party cell"),
    UnitKind.YOUTH_UNION: N_("Youth union branch"),
    UnitKind.WOMENS_UNION: N_("Women's union branch"),
    UnitKind.ZONE_UNION: N_("Zone trade union"),
}
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
