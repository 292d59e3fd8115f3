"""What each role can do: the menu a registered user sees and the commands /help lists."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

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
    # Also for reviewers by the configuration (services.review.is_reviewer), whatever ``roles``.
    reviewers: bool = False


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
        frozenset(),  # only reviewers: a committee member or zone union officer by config
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


def commands_for(
    roles: frozenset[Role], *, zone_officer: bool = False, reviewer: bool = False
) -> list[CommandInfo]:
    """The commands of someone with these roles; ``reviewer``: services.review.is_reviewer
    (ask it with ``is_reviewer`` below: one answer for /help, the menu and command lists)."""
    return [
        c
        for c in COMMANDS
        if c.roles is None
        or c.roles & roles
        or (zone_officer and c.zone_officers)
        or (reviewer and c.reviewers)
    ]


async def is_reviewer(session: AsyncSession, viewer: Viewer, setup: ReportingSetup) -> bool:
    """Whether /duyet is offered: services.review decides, from the person's roles now."""
    if viewer.revoked:
        return False
    return await review.is_reviewer(session, viewer.person_id, setup)


def command_lines(
    lang: str, roles: frozenset[Role], *, zone_officer: bool = False, reviewer: bool = False
) -> str:
    return "\n".join(
        f"/{c.command} — {tr(lang, c.description)}"
        for c in commands_for(roles, zone_officer=zone_officer, reviewer=reviewer)
    )


def render_menu(viewer: Viewer, lang: str, *, reviewer: bool = False) -> str:
    """``reviewer``: ``await is_reviewer(...)`` for this viewer."""
    roles = "\n".join(
        "• " + tr(lang, ROLE_LABELS[r.role], scope=r.scope_name or "") for r in viewer.roles
    )
    return tr(
        lang,
        "Hello {name}.\nYour roles:\n{roles}\n\nCommands:\n{commands}",
        name=viewer.display_name,
        roles=roles or tr(lang, "(none)"),
        commands=command_lines(
            lang, viewer.role_set, zone_officer=zone_level(viewer), reviewer=reviewer
        ),
    )
