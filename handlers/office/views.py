"""What the office's chat commands show: the tree level to choose from, the invite ready to
forward, the list of units that have not reported. Plain rendering, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Final

from telegram import InlineKeyboardMarkup

from handlers.common.buttons import Office as Buttons
from handlers.common.context import keyboard
from infra.i18n import day, number, tr
from infra.settings import CONSOLE_BOT_USERNAME, Settings
from models import Role
from services.errors import N_
from services.invites import CreatedInvite, display_code
from services.linking import CHANNEL_NAMES
from services.office.people import ROLE_NAMES
from services.office.powers import TOP, Level, MissingReports, Mode

# The text before a walk down the tree, by what is being chosen.
CHOOSE: Final = {
    Mode.OFFICER: N_("Choose the unit the new officer will report for"),
    Mode.COMMITTEE: N_("Choose the level of the new steering committee member"),
    Mode.UNLOCK: N_("Choose the unit whose month to reopen"),
}
ROLE_BUTTONS: Final = {
    "o": N_("👤 Officer of a unit"),
    "c": N_("🏛 Steering committee member"),
    "a": N_("🔑 Administrator"),
}


def bot_username(settings: Settings) -> str | None:
    """The @username deep links and QR codes name (as the CLI's ``invite``): BOT_USERNAME; the
    console's own bot when no app is served; None when a bot runs without BOT_USERNAME."""
    if settings.bot_username:
        return settings.bot_username
    return None if settings.channels else CONSOLE_BOT_USERNAME


def deep_link(username: str, code: str) -> str:
    return f"https://t.me/{username}?start={code}"


def level_text(level: Level, mode: Mode, lang: str, *, typed: bool) -> str:
    where = f" — {level.node.name}" if level.node else ""
    lines = [tr(lang, CHOOSE[mode]) + where + ":"]
    if level.pages > 1:
        lines.append(tr(lang, "(page {page} of {pages})", page=level.page + 1, pages=level.pages))
    if not level.nodes and not level.units and not level.may_choose_node:
        lines.append(tr(lang, "Nothing to choose here."))
    if mode is not Mode.COMMITTEE:
        hint = (
            N_("Or type /moi and the unit's code, for example /moi CDCS-01.")
            if mode is Mode.OFFICER
            else N_("Or type /mokhoa and the unit's code, for example /mokhoa CDCS-01.")
        )
        lines.append(tr(lang, hint))
    if typed:
        lines.append(tr(lang, "Type the number of your choice."))
    return "\n".join(lines)


def level_buttons(level: Level, mode: Mode, lang: str) -> InlineKeyboardMarkup:
    node_id = level.node.id if level.node else TOP
    rows: list[list[tuple[str, str]]] = []
    if level.may_choose_node and level.node is not None:
        rows.append(
            [
                (
                    tr(lang, "✅ This level: {name}", name=level.node.name),
                    Buttons.pick(mode.value, node_id),
                )
            ]
        )
    rows += [[(f"📂 {n.name}", Buttons.nav(mode.value, n.id))] for n in level.nodes]
    rows += [[(f"{u.name} ({u.code})", Buttons.pick(mode.value, u.id))] for u in level.units]
    paging: list[tuple[str, str]] = []
    if level.page > 0:
        paging.append((tr(lang, "◀ Previous"), Buttons.nav(mode.value, node_id, level.page - 1)))
    if level.page + 1 < level.pages:
        paging.append((tr(lang, "Next ▶"), Buttons.nav(mode.value, node_id, level.page + 1)))
    if paging:
        rows.append(paging)
    if level.up is not None:
        rows.append([(tr(lang, "◀ Back"), Buttons.nav(mode.value, level.up))])
    return keyboard(*rows)


@dataclass(frozen=True)
class InviteMessage:
    text: str  # the code, what it grants, until when, how to register: ready to forward
    caption: list[str]  # written under the QR code
    link: str | None  # the Telegram deep link (the QR code's content), if there is one


def invite_message(
    created: CreatedInvite, lang: str, settings: Settings, zone: tzinfo
) -> InviteMessage:
    shown = display_code(created.code)
    role = tr(lang, ROLE_NAMES[created.role])
    grants = f"{role} — {created.scope_name}" if created.scope_name else role
    until = day(created.expires_at.astimezone(zone).date(), lang)
    caption = [
        tr(lang, "Invite code: {code}", code=shown),
        tr(lang, "Grants: {role} {scope}", role=role, scope=created.scope_name or "").rstrip(),
        tr(lang, "Valid until: {date}", date=until),
    ]
    username = bot_username(settings)
    link = deep_link(username, created.code) if username else None
    lines = [
        tr(lang, "🎟 Invite to the reporting bot"),
        tr(lang, "Role: {grants}", grants=grants),
        tr(lang, "Invite code: {code}", code=shown),
        tr(lang, "Valid until {date}, for one person, once.", date=until),
        "",
        tr(lang, "How to register:"),
    ]
    if link:
        lines.append(tr(lang, "• On Telegram: open {link} (or scan the QR code)", link=link))
    lines.append(
        tr(lang, "• On any app the bot serves: send the bot the message /start {code}", code=shown)
    )
    return InviteMessage("\n".join(lines), caption, link)


def role_prompt(lang: str) -> tuple[str, InlineKeyboardMarkup]:
    rows = [[(tr(lang, label), Buttons.role(key))] for key, label in ROLE_BUTTONS.items()]
    return tr(lang, "Whom do you want to invite?"), keyboard(*rows)


def missing_text(found: MissingReports, lang: str) -> str:
    month = found.month.label(lang)
    lines: list[str] = []
    for section in found.sections:
        lines.append(
            tr(
                lang,
                "Not yet reported for {month} — {scope}: {count}",
                month=month,
                scope=section.scope_name,
                count=number(len(section.units), lang),
            )
        )
        if not section.units:
            lines.append(tr(lang, "Every unit has reported."))
        for unit in section.units:
            lines.append(f"• {unit.name} ({unit.code}) — {unit.area_name}")
            if not unit.officers:
                lines.append("   " + tr(lang, "no registered officer: invite one with /moi"))
            for officer in unit.officers:
                apps = ", ".join(CHANNEL_NAMES.get(c, c) for c in officer.channels)
                lines.append(f"   – {officer.name}" + (f" ({apps})" if apps else ""))
        lines.append("")
    lines.append(
        tr(
            lang,
            "Call them, or forward this list. The bot reminds them by itself; it keeps no "
            "phone numbers.",
        )
    )
    return "\n".join(lines).strip()


ROLE_OF: Final = {"o": Role.OFFICER, "c": Role.COMMITTEE, "a": Role.ADMIN}
