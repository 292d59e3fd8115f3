"""What each role can do: the one list behind the menu a registered user sees, the commands
/help lists and the "/" command menu of their Telegram chat (handlers/common/command_menu.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import BotCommand

from infra.i18n import tr
from models import Role
from services import review
from services.access import Viewer
from services.errors import N_
from services.office.powers import zone_level
from services.reporting import ReportingSetup


@dataclass(frozen=True)
class CommandInfo:
    command: str
    description: str  # msgid
    roles: frozenset[Role] | None = None  # None: everyone
    # Also for zone-level union officers (services/office/powers.py), whatever ``roles`` says.
    zone_officers: bool = False
    # Also for those the review configuration makes reviewers (services/review), whatever
    # ``roles`` says.
    reviewers: bool = False


@dataclass(frozen=True)
class Audience:
    """Whom a list of commands is for: roles, and the powers that come from the database."""

    roles: frozenset[Role] = frozenset()
    zone_officer: bool = False
    reviewer: bool = False


EVERYONE = Audience()  # workers and the unregistered: the bot's default menu


# Later features add their commands here; /help, the menu and set_my_commands all follow it.
COMMANDS: list[CommandInfo] = [
    CommandInfo("start", N_("Start, or show your menu")),
    CommandInfo("baocao", N_("Report your unit's monthly figures"), frozenset({Role.OFFICER})),
    CommandInfo("trangthai", N_("Which months are due, sent or late"), frozenset({Role.OFFICER})),
    CommandInfo("hopthu", N_("Workers' concerns to answer"), frozenset({Role.OFFICER})),
    CommandInfo(
        "tonghop",
        N_("Digest: who reported, figures, targets"),
        frozenset({Role.COMMITTEE, Role.ADMIN}),
    ),
    CommandInfo(
        "moi",
        N_("Invite an officer, committee member or administrator (code, link, QR)"),
        frozenset({Role.ADMIN}),
        zone_officers=True,
    ),
    CommandInfo(
        "chuabaocao",
        N_("Units that have not reported this month, with their officers"),
        frozenset({Role.ADMIN}),
        zone_officers=True,
    ),
    CommandInfo("mokhoa", N_("Reopen a locked month for a unit"), frozenset({Role.ADMIN})),
    CommandInfo("quantri", N_("A one-time link to the office console"), frozenset({Role.ADMIN})),
    CommandInfo(
        "baocaoquy",
        N_("Quarterly report to sign (Word)"),
        frozenset({Role.COMMITTEE, Role.ADMIN}),
    ),
    CommandInfo(
        "baocaonam",
        N_("Yearly report to sign (Word)"),
        frozenset({Role.COMMITTEE, Role.ADMIN}),
    ),
    CommandInfo(
        "duyet",
        N_("Review the reports of the units below (when configured)"),
        frozenset(),
        reviewers=True,
    ),
    CommandInfo("tamtu", N_("Raise a concern anonymously (workers)")),
    CommandInfo("kiemtra", N_("Follow a concern with its receipt")),
    CommandInfo("khaosat", N_("Anonymous polls of the union: join, or set one")),
    CommandInfo("huykhaosat", N_("Stop receiving polls")),
    CommandInfo(
        "lienket",
        N_("Use the bot on another app too (Telegram, Zalo)"),
        frozenset({Role.OFFICER, Role.COMMITTEE, Role.ADMIN}),
    ),
    CommandInfo(
        "kenh",
        N_("Choose the app that gets your reminders"),
        frozenset({Role.OFFICER, Role.COMMITTEE, Role.ADMIN}),
    ),
    CommandInfo("help", N_("What you can do here")),
    CommandInfo("lang", N_("Language: Vietnamese / English")),
    CommandInfo("cancel", N_("Stop what you are doing")),
]

ROLE_LABELS = {
    Role.OFFICER: N_("Officer of {scope}"),
    Role.COMMITTEE: N_("Steering committee member for {scope}"),
    Role.ADMIN: N_("Administrator (standing office)"),
}


def commands_for(audience: Audience) -> list[CommandInfo]:
    return [
        c
        for c in COMMANDS
        if c.roles is None
        or c.roles & audience.roles
        or (audience.zone_officer and c.zone_officers)
        or (audience.reviewer and c.reviewers)
    ]


def command_lines(lang: str, audience: Audience) -> str:
    return "\n".join(f"/{c.command} — {tr(lang, c.description)}" for c in commands_for(audience))


def bot_commands(lang: str, audience: Audience) -> list[BotCommand]:
    """The "/" menu of a chat: the same list as /help, in ``lang``."""
    return [BotCommand(c.command, tr(lang, c.description)) for c in commands_for(audience)]


async def audience_of(
    session: AsyncSession, viewer: Viewer | None, setup: ReportingSetup
) -> Audience:
    """From a viewer read from the database this update, and the review configuration."""
    if viewer is None or viewer.revoked or not viewer.roles:
        return EVERYONE
    return Audience(
        roles=viewer.role_set,
        zone_officer=zone_level(viewer),
        reviewer=await review.is_reviewer(session, viewer.person_id, setup),
    )


def render_menu(viewer: Viewer, lang: str, audience: Audience) -> str:
    roles = "\n".join(
        "• " + tr(lang, ROLE_LABELS[r.role], scope=r.scope_name or "") for r in viewer.roles
    )
    return tr(
        lang,
        "Hello {name}.\nYour roles:\n{roles}\n\nCommands:\n{commands}",
        name=viewer.display_name,
        roles=roles or tr(lang, "(none)"),
        commands=command_lines(lang, audience),
    )
