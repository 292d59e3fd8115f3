"""What each role can do: the menu a registered user sees and the commands /help lists."""

from __future__ import annotations

from dataclasses import dataclass

from infra.i18n import tr
from models import Role
from services.access import Viewer
from services.errors import N_


@dataclass(frozen=True)
class CommandInfo:
    command: str
    description: str  # msgid
    roles: frozenset[Role] | None = None  # None: everyone


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
        frozenset({Role.COMMITTEE}),
    ),
    CommandInfo("tamtu", N_("Raise a concern anonymously (workers)")),
    CommandInfo("kiemtra", N_("Follow a concern with its receipt")),
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


def commands_for(roles: frozenset[Role]) -> list[CommandInfo]:
    return [c for c in COMMANDS if c.roles is None or c.roles & roles]


def command_lines(lang: str, roles: frozenset[Role]) -> str:
    return "\n".join(f"/{c.command} — {tr(lang, c.description)}" for c in commands_for(roles))


def render_menu(viewer: Viewer, lang: str) -> str:
    roles = "\n".join(
        "• " + tr(lang, ROLE_LABELS[r.role], scope=r.scope_name or "") for r in viewer.roles
    )
    return tr(
        lang,
        "Hello {name}.\nYour roles:\n{roles}\n\nCommands:\n{commands}",
        name=viewer.display_name,
        roles=roles or tr(lang, "(none)"),
        commands=command_lines(lang, viewer.role_set),
    )
