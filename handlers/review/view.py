"""/duyet: the reports waiting for the reviewer (their own scope only), each with its figures,
last month's and the reasons given for big jumps; approve, or return with a comment (typed as
the next message); an approved one can be reopened. Every press is re-checked by the service
from the database: the report id on a button is only a hint."""

from __future__ import annotations

from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers.common.buttons import Review as Buttons
from handlers.common.context import BotContext, keyboard, say, served_channels
from handlers.common.registered import as_registered
from handlers.digests.labels import count
from handlers.review.notices import tell_officers
from infra.i18n import tr
from services import review
from services.access import Viewer
from services.errors import N_

END: Final = ConversationHandler.END
WRITING: Final = 1
RETURNING: Final = "review_returning"  # user_data: the report being returned (in memory)
FOR_REVIEWERS = N_("This command is for the reviewers of the level above.")


def render_waiting(item: review.Waiting, lang: str) -> str:
    head = f"📄 {item.unit_name} — {item.period.label(lang)}"
    if item.revision > 1:
        head += " " + tr(lang, "(amended, revision {revision})", revision=item.revision)
    lines = [head]
    for figure in item.figures:
        shown = count(figure.value, lang) if figure.present else "—"
        line = f"• {figure.label.get(lang)}: {shown}"
        if figure.last_month is not None:
            line += " " + tr(lang, "(last month {value})", value=count(figure.last_month, lang))
        if figure.note:
            line += "\n   " + tr(lang, "reason for the change: {note}", note=figure.note)
        lines.append(line)
    if item.last_comment:
        lines.append(tr(lang, "Returned before with: {comment}", comment=item.last_comment))
    return "\n".join(lines)


def _buttons(report_id: int, lang: str) -> InlineKeyboardMarkup:
    return keyboard(
        [
            (tr(lang, "✅ Approve"), Buttons.approve(report_id)),
            (tr(lang, "↩ Return with a comment"), Buttons.send_back(report_id)),
        ]
    )


async def start(update: Update, context: BotContext) -> None:
    """/duyet: every report waiting, one message each with its buttons."""
    data = context.bot_data

    async def step(session: AsyncSession, viewer: Viewer) -> tuple[list[review.Waiting], str]:
        return await review.waiting(session, viewer.person_id, data.reporting), viewer.language

    found = await as_registered(
        update, context, step, refused=None, unregistered=FOR_REVIEWERS, revoked=FOR_REVIEWERS
    )
    if found is None:
        return
    items, lang = found
    if not items:
        await say(update, lang, "No report is waiting for your review.")
        return
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(tr(lang, "Reports waiting for your review: {count}", count=len(items)))
    for item in items:
        await chat.send_message(
            render_waiting(item, lang), reply_markup=_buttons(item.report_id, lang)
        )


async def decide(update: Update, context: BotContext) -> None:
    """✅ Approve, or 🔓 Reopen an approved report."""
    query = update.callback_query
    assert query is not None and query.data is not None
    action, report_id = Buttons.parse(query.data)
    data = context.bot_data

    async def step(session: AsyncSession, viewer: Viewer) -> tuple[review.Decision, str]:
        if action == "ok":
            decision = await review.approve(
                session,
                person_id=viewer.person_id,
                report_id=report_id,
                setup=data.reporting,
                now=data.clock(),
            )
        else:
            decision = await review.reopen(
                session,
                person_id=viewer.person_id,
                report_id=report_id,
                comment=None,
                setup=data.reporting,
                now=data.clock(),
            )
            await tell_officers(session, decision, served_channels(data), data.clock())
        return decision, viewer.language

    found = await as_registered(update, context, step, refused=None, unregistered=FOR_REVIEWERS)
    await query.answer()
    if found is None:
        return
    decision, lang = found
    if action == "ok":
        await say(
            update,
            lang,
            "✅ Approved: {unit}, {period}. The report is locked; reopen it if it must change.",
            markup=keyboard([(tr(lang, "🔓 Reopen"), Buttons.reopen(decision.report_id))]),
            unit=decision.unit_name,
            period=decision.period.label(lang),
        )
    else:
        await say(
            update,
            lang,
            "🔓 Reopened: {unit}, {period}. Its officers were told they can amend it.",
            unit=decision.unit_name,
            period=decision.period.label(lang),
        )


async def ask_comment(update: Update, context: BotContext) -> int:
    """↩ Return: the comment is the next message (the service checks the scope when it comes,
    and here already, so nobody is asked to write for a report they cannot return)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _action, report_id = Buttons.parse(query.data)
    data = context.bot_data

    async def step(session: AsyncSession, viewer: Viewer) -> str:
        waiting = await review.waiting(session, viewer.person_id, data.reporting)
        if report_id not in {w.report_id for w in waiting}:
            raise review.NotWaiting()
        return viewer.language

    lang = await as_registered(update, context, step, refused=None, unregistered=FOR_REVIEWERS)
    await query.answer()
    if lang is None:
        return END
    if context.user_data is not None:
        context.user_data[RETURNING] = report_id
    await say(update, lang, "Write why the report goes back (one message; /cancel to stop):")
    return WRITING


async def comment_written(update: Update, context: BotContext) -> int:
    assert update.message is not None
    report_id = (context.user_data or {}).pop(RETURNING, None)
    if report_id is None:
        return END
    data = context.bot_data
    text = update.message.text or ""

    async def step(session: AsyncSession, viewer: Viewer) -> tuple[review.Decision, str, int]:
        decision = await review.return_report(
            session,
            person_id=viewer.person_id,
            report_id=report_id,
            comment=text,
            setup=data.reporting,
            now=data.clock(),
        )
        told = await tell_officers(session, decision, served_channels(data), data.clock())
        return decision, viewer.language, told

    found = await as_registered(update, context, step, refused=None, unregistered=FOR_REVIEWERS)
    if found is None:
        return END
    decision, lang, told = found
    await say(
        update,
        lang,
        "↩ Returned: {unit}, {period}. Officers told: {count}.",
        unit=decision.unit_name,
        period=decision.period.label(lang),
        count=told,
    )
    return END


async def cancel(update: Update, context: BotContext) -> int:
    if context.user_data is not None:
        context.user_data.pop(RETURNING, None)
    await say(update, context.bot_data.settings.default_language, "Cancelled.")
    return END


def build() -> list[object]:
    private = filters.ChatType.PRIVATE
    returning = ConversationHandler(
        entry_points=[CallbackQueryHandler(ask_comment, pattern=Buttons.BACK_PATTERN)],
        states={
            WRITING: [MessageHandler(private & filters.TEXT & ~filters.COMMAND, comment_written)]
        },
        fallbacks=[CommandHandler("cancel", cancel, filters=private)],
        name="review_return",
        persistent=False,
        allow_reentry=True,
        conversation_timeout=30 * 60,
    )
    return [
        CommandHandler("duyet", start, filters=private),
        returning,
        CallbackQueryHandler(decide, pattern=Buttons.DECIDE_PATTERN),
    ]
