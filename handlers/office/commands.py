"""The office's commands in the chat, for administrators and zone-level union officers:

- ``/moi [code]``: an invite — the role (administrators), then the unit or level chosen down
  the tree with buttons (numbered lists on text channels), or typed as ``/moi <code>``; the bot
  sends the code, the deep link and the QR card, ready to forward;
- ``/mokhoa [code [YYYY-MM]]``: reopen a locked month of a unit (administrators); the unit's
  officers are told through the outbox (handlers/reports/unlock_notice.py);
- ``/chuabaocao``: who has not reported the month being collected, with their officers;
- ``/quantri``: a one-time link into the office console (administrators).

Thin: every step asks services/office/powers.py, which checks from the database who may do what
where. Button data and typed codes only say what is asked. Stateless: every button carries what
its step needs, so a restart loses nothing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.common.buttons import Office as Buttons
from handlers.common.context import (
    BotContext,
    choices_are_typed,
    keyboard,
    language_of,
    say,
    served_channels,
    show,
    today,
)
from handlers.common.registered import as_registered
from handlers.office import views
from handlers.reports import unlock_notice
from infra.i18n import day
from infra.invite_card import render_invite_card
from infra.message_split import split_text
from infra.rendering import off_the_loop
from models import Role
from services import office
from services.access import Viewer
from services.errors import N_
from services.invites import CreatedInvite
from services.office import powers
from services.office.powers import Mode
from services.periods import Period

DEFAULT_UNLOCK_DAYS: Final = 7  # as `admin unlock` (bot/admin/ --days)
FOR_STAFF: Final = powers.NotOfficeStaff.message

# What a step found, shown after its session is closed: a function of the update and language.
Shown = Callable[[Update, BotContext, str], Awaitable[None]]


async def _run(
    update: Update, context: BotContext, step: Callable[[AsyncSession, Viewer], Awaitable[Shown]]
) -> None:
    """Identify, refuse who may not (``as_registered``: unknown, revoked, or a DomainError
    of the service), then show what the step found."""

    async def identified(session: AsyncSession, viewer: Viewer) -> tuple[Shown, str]:
        return await step(session, viewer), language_of(context, viewer)

    done = await as_registered(
        update, context, identified, refused=None, unregistered=FOR_STAFF, revoked=FOR_STAFF
    )
    if done is not None:
        shown, lang = done
        await shown(update, context, lang)


def _level(level: powers.Level, mode: Mode) -> Shown:
    async def shown(update: Update, context: BotContext, lang: str) -> None:
        text = views.level_text(level, mode, lang, typed=choices_are_typed(context))
        await show(update, text, views.level_buttons(level, mode, lang))

    return shown


def _invite(created: CreatedInvite) -> Shown:
    async def shown(update: Update, context: BotContext, lang: str) -> None:
        settings = context.bot_data.settings
        message = views.invite_message(created, lang, settings, settings.zone)
        await show(update, message.text)
        chat = update.effective_chat
        # Zalo takes pictures by URL from this server: without a public address, the text alone.
        no_pictures = context.bot_data.channel == "zalo" and not context.bot_data.pages_url
        if message.link is None or chat is None or no_pictures:
            return
        with tempfile.TemporaryDirectory() as folder:
            # A QR card is CPU work nobody else should wait for.
            card = await off_the_loop(
                render_invite_card,
                message.link,
                message.caption,
                Path(folder) / f"{created.code}.png",
            )
            with card.open("rb") as picture:
                await chat.send_photo(picture, caption="\n".join(message.caption))

    return shown


def _months(unit: powers.Place, months: list[Period]) -> Shown:
    async def shown(update: Update, context: BotContext, lang: str) -> None:
        if not months:
            await say(update, lang, "{unit} has no locked month to reopen.", unit=unit.name)
            return
        rows = [[(m.label(lang), Buttons.unlock(unit.id, m))] for m in months]
        await say(
            update,
            lang,
            "Which month of {unit} do you want to reopen (for {days} days)?",
            markup=keyboard(*rows),
            unit=unit.name,
            days=DEFAULT_UNLOCK_DAYS,
        )

    return shown


def _text(message: str, **params: Any) -> Shown:
    async def shown(update: Update, context: BotContext, lang: str) -> None:
        await say(update, lang, message, **params)

    return shown


# --- /moi ------------------------------------------------------------------------------------


async def invite_command(update: Update, context: BotContext) -> None:
    """/moi, or /moi <code of a unit or level>."""
    typed = " ".join(context.args or [])

    async def step(session: AsyncSession, viewer: Viewer) -> Shown:
        who = await powers.powers_of(session, viewer.person_id)
        if not who.administers:
            raise powers.NotOfficeStaff()
        if typed:
            found = await powers.find_code(session, viewer.person_id, Mode.OFFICER, typed)
            if found.unit is not None:
                return _invite(await _make(session, viewer, Role.OFFICER, found.unit.id, context))
            assert found.node is not None
            level = await powers.browse(session, viewer.person_id, Mode.OFFICER, found.node.id)
            return _level(level, Mode.OFFICER)
        if who.admin:

            async def roles(update: Update, context: BotContext, lang: str) -> None:
                text, markup = views.role_prompt(lang)
                await show(update, text, markup)

            return roles
        return _level(await powers.browse(session, viewer.person_id, Mode.OFFICER), Mode.OFFICER)

    await _run(update, context, step)


async def _make(
    session: AsyncSession, viewer: Viewer, role: Role, target_id: int | None, context: BotContext
) -> CreatedInvite:
    data = context.bot_data
    return await powers.invite(
        session,
        data.settings.secret,
        person_id=viewer.person_id,
        role=role,
        target_id=target_id,
        valid_days=data.settings.invite_valid_days,
        now=data.clock(),
    )


async def role_chosen(update: Update, context: BotContext) -> None:
    assert update.callback_query is not None and update.callback_query.data is not None
    role = views.ROLE_OF[Buttons.parse(update.callback_query.data)[1]]

    async def step(session: AsyncSession, viewer: Viewer) -> Shown:
        if role is Role.ADMIN:
            return _invite(await _make(session, viewer, Role.ADMIN, None, context))
        mode = Mode.OFFICER if role is Role.OFFICER else Mode.COMMITTEE
        return _level(await powers.browse(session, viewer.person_id, mode), mode)

    await _run(update, context, step)


async def navigate(update: Update, context: BotContext) -> None:
    """One level of the tree (a hint: the service checks the level is within reach)."""
    assert update.callback_query is not None and update.callback_query.data is not None
    _, mode_key, node, page = Buttons.parse(update.callback_query.data)
    mode = Mode(mode_key)

    async def step(session: AsyncSession, viewer: Viewer) -> Shown:
        level = await powers.browse(session, viewer.person_id, mode, int(node), int(page))
        return _level(level, mode)

    await _run(update, context, step)


async def picked(update: Update, context: BotContext) -> None:
    """A unit or level chosen: the invite, or (reopening) the months to choose from."""
    assert update.callback_query is not None and update.callback_query.data is not None
    _, mode_key, target = Buttons.parse(update.callback_query.data)
    mode = Mode(mode_key)

    async def step(session: AsyncSession, viewer: Viewer) -> Shown:
        if mode is Mode.UNLOCK:
            unit = await powers.unit_for_unlock(session, viewer.person_id, int(target))
            months = powers.locked_months(today(context.bot_data), context.bot_data.reporting)
            return _months(unit, months)
        role = Role.OFFICER if mode is Mode.OFFICER else Role.COMMITTEE
        return _invite(await _make(session, viewer, role, int(target), context))

    await _run(update, context, step)


# --- /mokhoa ---------------------------------------------------------------------------------


async def unlock_command(update: Update, context: BotContext) -> None:
    """/mokhoa, /mokhoa <unit code>, or /mokhoa <unit code> <YYYY-MM>."""
    args = list(context.args or [])
    month: Period | None = None
    if len(args) > 1:
        try:
            month = Period.from_key(args[-1])
            args = args[:-1]
        except ValueError:
            month = None
    typed = " ".join(args)

    async def step(session: AsyncSession, viewer: Viewer) -> Shown:
        person = viewer.person_id
        if not typed:
            return _level(await powers.browse(session, person, Mode.UNLOCK), Mode.UNLOCK)
        found = await powers.find_code(session, person, Mode.UNLOCK, typed)
        if found.unit is None:
            assert found.node is not None
            level = await powers.browse(session, person, Mode.UNLOCK, found.node.id)
            return _level(level, Mode.UNLOCK)
        if month is not None:
            return await _reopen(session, viewer, found.unit.id, month, context)
        months = powers.locked_months(today(context.bot_data), context.bot_data.reporting)
        return _months(found.unit, months)

    await _run(update, context, step)


async def unlock_chosen(update: Update, context: BotContext) -> None:
    assert update.callback_query is not None and update.callback_query.data is not None
    _, unit_id, key = Buttons.parse(update.callback_query.data)

    async def step(session: AsyncSession, viewer: Viewer) -> Shown:
        return await _reopen(session, viewer, int(unit_id), Period.from_key(key), context)

    await _run(update, context, step)


async def _reopen(
    session: AsyncSession, viewer: Viewer, unit_id: int, month: Period, context: BotContext
) -> Shown:
    data = context.bot_data
    now = data.clock()
    unlocked = await powers.reopen(
        session,
        person_id=viewer.person_id,
        unit_id=unit_id,
        period=month,
        days=DEFAULT_UNLOCK_DAYS,
        now=now,
        setup=data.reporting,
    )
    told = await unlock_notice.tell_officers(
        session, unlocked, channels=served_channels(data), zone=data.settings.zone, now=now
    )

    async def shown(update: Update, context: BotContext, lang: str) -> None:
        await say(
            update,
            lang,
            "🔓 Reopened {period} for {unit} until {date}. Officers of the unit told: {count}.",
            period=unlocked.period.label(lang),
            unit=unlocked.unit_name,
            date=day(unlocked.until.astimezone(data.settings.zone).date(), lang),
            count=told,
        )

    return shown


# --- /chuabaocao -----------------------------------------------------------------------------


async def missing_command(update: Update, context: BotContext) -> None:
    async def step(session: AsyncSession, viewer: Viewer) -> Shown:
        data = context.bot_data
        found = await powers.missing_reports(
            session, viewer.person_id, setup=data.reporting, today=today(data)
        )

        async def shown(update: Update, context: BotContext, lang: str) -> None:
            chat = update.effective_chat
            assert chat is not None
            for part in split_text(views.missing_text(found, lang)):
                await chat.send_message(part)

        return shown

    await _run(update, context, step)


# --- /quantri --------------------------------------------------------------------------------

NO_PAGES: Final = N_(
    "The office console has no public address here (PUBLIC_BASE_URL is not set). On the "
    "server: python3 run.py admin login-link --person <your id>."
)


async def console_command(update: Update, context: BotContext) -> None:
    async def step(session: AsyncSession, viewer: Viewer) -> Shown:
        data = context.bot_data
        await office.require_admin(session, viewer.person_id)
        if not data.pages_url:
            return _text(NO_PAGES)
        minutes = data.settings.web_link_minutes
        link = await office.issue_office_link(
            session,
            viewer.person_id,
            now=data.clock(),
            valid=timedelta(minutes=minutes),
            actor=office.actor_of(viewer.person_id),
        )
        url = data.pages_url.rstrip("/") + link.path
        return _text(
            N_(
                "Your link to the office console: {url}\nIt works once, for {minutes} "
                "minutes; do not forward it. Type /quantri again for a new one."
            ),
            url=url,
            minutes=minutes,
        )

    await _run(update, context, step)


def build() -> list[object]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("moi", invite_command, filters=private),
        CommandHandler("mokhoa", unlock_command, filters=private),
        CommandHandler("chuabaocao", missing_command, filters=private),
        CommandHandler("quantri", console_command, filters=private),
        CallbackQueryHandler(role_chosen, pattern=Buttons.ROLE),
        CallbackQueryHandler(navigate, pattern=Buttons.NAV),
        CallbackQueryHandler(picked, pattern=Buttons.PICK),
        CallbackQueryHandler(unlock_chosen, pattern=Buttons.UNLOCK),
    ]
