"""/tonghop: the committee's digest on demand — period, then text, chart and Excel for the
member's own subtree, then drill down area → enterprise with buttons, and back up ("◀ Quay
lại") as far as the member's own level.

Every press re-checks on the server that the member may see the node: the node id in the
callback data is only a hint.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.common.buttons import Digest as Buttons
from handlers.common.context import BotContext, keyboard, language_of, say, today
from handlers.common.registered import as_registered, viewer_of
from handlers.digests import dashboard_offer
from handlers.digests.chart import has_chart, render_chart
from handlers.digests.excel import render_excel
from handlers.digests.labels import file_name, period_button
from handlers.digests.text import render_text
from infra.i18n import tr
from infra.rendering import off_the_loop
from models import Role
from services import access, digests
from services.access import Viewer
from services.digests import DigestPeriod
from services.errors import N_
from services.periods import Period

FOR_COMMITTEE = N_("This command is for steering committee members.")
DRILL = N_("See one part in detail:")
BACK = N_("Go back to the level above:")
DRILL_OR_BACK = N_("See one part in detail, or go back (◀ Back):")


def period_choices(today: date) -> list[DigestPeriod]:
    """Last month, this month, this quarter, this year (newest reporting first)."""
    this_month = Period.of(today)
    quarter = (today.month - 1) // 3 + 1
    return [
        DigestPeriod.from_month(this_month.previous()),
        DigestPeriod.from_month(this_month),
        DigestPeriod.of_quarter(today.year, quarter),
        DigestPeriod.of_year(today.year),
    ]


async def start(update: Update, context: BotContext) -> None:
    """/tonghop: choose the period."""

    async def step(session: AsyncSession, viewer: Viewer) -> tuple[int, str, int] | None:
        lang = language_of(context, viewer)
        home = await access.home_node(session, viewer)
        if home is None or not (viewer.has(Role.COMMITTEE) or viewer.has(Role.ADMIN)):
            await say(update, lang, FOR_COMMITTEE)
            return None
        return home, lang, viewer.person_id

    found = await as_registered(
        update, context, step, refused=None, unregistered=FOR_COMMITTEE, revoked=None
    )
    if found is None:
        return
    home, lang, person_id = found
    # The dashboard first: the period menu stays the last message, the one answered.
    await dashboard_offer.offer(update, context, person_id, lang)
    rows = [
        [(period_button(p, lang), Buttons.show(home, p))]
        for p in period_choices(today(context.bot_data))
    ]
    await say(update, lang, "Which period?", markup=keyboard(*rows))


async def show_digest(update: Update, context: BotContext) -> None:
    """A period or an area button: the digest of that node and period."""
    assert update.callback_query is not None and update.callback_query.data is not None
    data = context.bot_data
    async with data.uow() as session:
        viewer = await viewer_of(session, update, context)
        lang = language_of(context, viewer)
        try:
            node_id, period = Buttons.parse(update.callback_query.data)
        except (IndexError, ValueError):
            await say(update, lang, "This button has expired.")
            return
        if viewer is None or not await access.may_view_node(session, viewer, node_id):
            await say(update, lang, "You may not see the digest of this part of the organisation.")
            return
        await update.callback_query.answer()  # now: building the digest takes a moment
        digest = await digests.build_digest(
            session,
            node_id=node_id,
            period=period,
            setup=data.reporting,
            targets=data.targets,
            concern_config=data.concerns.config,
            today=today(data),
        )
        table = await digests.unit_table(
            session, node_id=node_id, period=period, setup=data.reporting, today=today(data)
        )
        # Back up one level, but never above the member's own part of the tree.
        up = digest.scope.parent_id
        if up is not None and not await access.may_view_node(session, viewer, up):
            up = None
    chat = update.effective_chat
    assert chat is not None
    for part in render_text(digest, lang):
        await chat.send_message(part)
    with tempfile.TemporaryDirectory() as folder:
        # Rendered in a worker thread: a chart is half a second of CPU nobody else should wait.
        if has_chart(digest):
            chart_path = Path(folder) / file_name(digest.scope.name, period, "png")
            chart = await off_the_loop(render_chart, digest, chart_path, lang)
            with chart.open("rb") as picture:
                await chat.send_photo(picture)
        workbook = await off_the_loop(
            render_excel,
            digest,
            table,
            Path(folder) / file_name(digest.scope.name, period, "xlsx"),
            lang,
        )
        with workbook.open("rb") as document:
            await chat.send_document(document, filename=workbook.name)
    rows = [[(a.name, Buttons.show(a.node_id, period))] for a in digest.areas if not a.direct]
    if up is not None:
        rows.append([(tr(lang, "◀ Back"), Buttons.show(up, period))])
    if rows:
        prompt = DRILL if up is None else BACK if len(rows) == 1 else DRILL_OR_BACK
        # Below the digest, not in place of the menu pressed (and the query is answered).
        await chat.send_message(tr(lang, prompt), reply_markup=keyboard(*rows))


def build() -> list[object]:
    return [
        CommandHandler("tonghop", start, filters=filters.ChatType.PRIVATE),
        # A node id of at most 9 digits: a longer one is no button the bot sent (and overflows
        # the database's integer), so it is an expired button.
        CallbackQueryHandler(show_digest, pattern=Buttons.PATTERN),
    ]
