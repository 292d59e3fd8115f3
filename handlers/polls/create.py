"""/khaosat for those who ask: a step-by-step conversation to set a poll — the area, each
question and its options, the closing date, whether results show before the close — then a
preview and "Create". Administrators poll any area, zone union officers their zone (the service
checks, from the database). /khaosat with an enterprise code, or from someone who may not set
polls, is the worker's /khaosat (handlers/polls/worker.py).

The draft lives in this user's memory only, until it is created or cancelled.
"""

from __future__ import annotations

from datetime import date
from enum import IntEnum
from typing import Any, Final

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers.common.buttons import PollSetup
from handlers.common.context import BotContext, keyboard, language_of, refuse, say, show, today
from handlers.common.registered import viewer_of
from handlers.polls import worker
from handlers.polls.views import poll_text
from infra.i18n import day, tr
from services import polls
from services.errors import DomainError
from services.polls import PollDraft, PollView, Question, Text

END: Final = ConversationHandler.END
_DRAFT: Final = "poll_setup"


class Step(IntEnum):
    AREA = 1
    QUESTION = 2
    OPTIONS = 3
    MORE = 4
    CLOSES = 5
    EARLY = 6
    PREVIEW = 7


def _draft(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None
    return context.user_data.setdefault(_DRAFT, {})  # type: ignore[no-any-return]


def _forget(context: BotContext) -> None:
    if context.user_data is not None:
        context.user_data.pop(_DRAFT, None)


def _text(line: str) -> Text:
    """ "Vietnamese | English": the English is optional."""
    vi, _, en = line.partition("|")
    return Text(vi.strip(), en.strip() or None)


def _date(typed: str, today_: date) -> date | None:
    """dd/mm/yyyy or dd/mm (this year)."""
    parts = typed.strip().replace("-", "/").replace(".", "/").split("/")
    try:
        if len(parts) == 2:
            return date(today_.year, int(parts[1]), int(parts[0]))
        if len(parts) == 3:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return None
    return None


async def start(update: Update, context: BotContext) -> int:
    """/khaosat: those who may set polls start here; everyone else is a worker."""
    if context.args:  # /khaosat <enterprise code>: the worker's path, nobody is looked up
        await worker.start(update, context)
        return END
    async with context.bot_data.uow() as session:
        viewer = await viewer_of(session, update, context)
        allowed = viewer is not None and await polls.may_poll_somewhere(session, viewer)
    if viewer is None or not allowed:
        await worker.start(update, context)
        return END
    _forget(context)
    await say(
        update,
        language_of(context, viewer),
        "New poll. Type the code of the area to poll (for example KCN-QC): every enterprise "
        "in it will receive the poll. /cancel to stop.",
    )
    return Step.AREA


async def area(update: Update, context: BotContext) -> int:
    assert update.message is not None and update.message.text is not None
    lang = language_of(context, None)
    async with context.bot_data.uow() as session:
        viewer = await viewer_of(session, update, context)
        if viewer is None:
            return END
        try:
            node_id, name = await polls.audience_by_code(session, viewer, update.message.text)
        except DomainError as refusal:
            await refuse(update, context, lang, refusal)
            return Step.AREA
    _draft(context).update(node_id=node_id, area=name, questions=[])
    await _ask_question(update, context)
    return Step.QUESTION


async def _ask_question(update: Update, context: BotContext) -> None:
    await say(
        update,
        language_of(context, None),
        "Question {number}: type it in Vietnamese; add the English after | if you like.",
        number=len(_draft(context)["questions"]) + 1,
    )


async def question(update: Update, context: BotContext) -> int:
    assert update.message is not None and update.message.text is not None
    _draft(context)["question"] = _text(update.message.text)
    await say(
        update,
        language_of(context, None),
        "Now the options, one per line (2 to 9 lines). English after | if you like.",
    )
    return Step.OPTIONS


async def options(update: Update, context: BotContext) -> int:
    assert update.message is not None and update.message.text is not None
    lang = language_of(context, None)
    lines = [line for line in update.message.text.splitlines() if line.strip()]
    if not 2 <= len(lines) <= polls.MAX_OPTIONS:
        await say(update, lang, "Type 2 to 9 options, one per line.")
        return Step.OPTIONS
    draft = _draft(context)
    draft["questions"].append(Question(draft.pop("question"), tuple(map(_text, lines))))
    rows = [[(tr(lang, "✅ No more questions"), PollSetup.DONE)]]
    if len(draft["questions"]) < polls.MAX_QUESTIONS:
        rows.insert(0, [(tr(lang, "➕ Another question"), PollSetup.MORE)])
    await say(update, lang, "Question added.", markup=keyboard(*rows))
    return Step.MORE


async def more(update: Update, context: BotContext) -> int:
    assert update.callback_query is not None
    if update.callback_query.data == PollSetup.MORE:
        await _ask_question(update, context)
        return Step.QUESTION
    await say(
        update,
        language_of(context, None),
        "The poll opens today. Type its closing date (for example 30/11/2026): answers are "
        "taken until the end of that day.",
    )
    return Step.CLOSES


async def closes(update: Update, context: BotContext) -> int:
    assert update.message is not None and update.message.text is not None
    lang = language_of(context, None)
    now = today(context.bot_data)
    closing = _date(update.message.text, now)
    if closing is None or closing < now:
        await say(update, lang, "Type a date from today on, for example 30/11/2026.")
        return Step.CLOSES
    _draft(context)["closes_on"] = closing
    await say(
        update,
        lang,
        "May those who answered see the results before the poll closes?",
        markup=keyboard(
            [(tr(lang, "No, only after the close"), PollSetup.EARLY_NO)],
            [(tr(lang, "Yes"), PollSetup.EARLY_YES)],
        ),
    )
    return Step.EARLY


def _as_draft(context: BotContext) -> PollDraft:
    draft = _draft(context)
    now = today(context.bot_data)
    return PollDraft(
        tuple(draft["questions"]), draft["node_id"], now, draft["closes_on"], draft["early"]
    )


async def early(update: Update, context: BotContext) -> int:
    assert update.callback_query is not None
    lang = language_of(context, None)
    draft = _draft(context)
    draft["early"] = update.callback_query.data == PollSetup.EARLY_YES
    made = _as_draft(context)
    view = PollView(
        0,
        made.questions,
        made.audience_node_id,
        draft["area"],
        made.opens_on,
        made.closes_on,
        made.results_before_close,
        False,
    )
    lines = [poll_text(view, lang), ""]
    for q in made.questions:
        lines.append(f"• {q.text.vi}: " + " / ".join(o.vi for o in q.options))
    lines.append("")
    lines.append(tr(lang, "Closes at the end of {date}.", date=day(made.closes_on, lang)))
    await show(
        update,
        "\n".join(lines),
        keyboard(
            [(tr(lang, "✅ Create the poll"), PollSetup.CREATE)],
            [(tr(lang, "✖ Cancel"), PollSetup.CANCEL)],
        ),
    )
    return Step.PREVIEW


async def create(update: Update, context: BotContext) -> int:
    lang = language_of(context, None)
    async with context.bot_data.uow() as session:
        viewer = await viewer_of(session, update, context)
        if viewer is None:
            return END
        try:
            await polls.create_poll(
                session, viewer, _as_draft(context), today=today(context.bot_data)
            )
        except DomainError as refusal:
            await refuse(update, context, lang, refusal)
            return END
    _forget(context)
    await say(
        update,
        lang,
        "✅ The poll is created. It goes out to the poll lists in the next batches; those who "
        "answered receive the results after the close.",
    )
    return END


async def cancel(update: Update, context: BotContext) -> int:
    _forget(context)
    await say(update, language_of(context, None), "Cancelled.")
    return END


def build(timeout_minutes: float = 30) -> ConversationHandler[BotContext]:
    private = filters.ChatType.PRIVATE
    text = private & filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        entry_points=[CommandHandler("khaosat", start, filters=private)],
        states={
            Step.AREA: [MessageHandler(text, area)],
            Step.QUESTION: [MessageHandler(text, question)],
            Step.OPTIONS: [MessageHandler(text, options)],
            Step.MORE: [CallbackQueryHandler(more, pattern=PollSetup.QUESTIONS_PATTERN)],
            Step.CLOSES: [MessageHandler(text, closes)],
            Step.EARLY: [CallbackQueryHandler(early, pattern=PollSetup.EARLY_PATTERN)],
            Step.PREVIEW: [CallbackQueryHandler(create, pattern=PollSetup.CREATE_PATTERN)],
        },
        fallbacks=[
            CommandHandler("cancel", cancel, filters=private),
            CallbackQueryHandler(cancel, pattern=PollSetup.CANCEL_PATTERN),
        ],
        name="poll-setup",
        persistent=False,  # a short conversation; the draft is in memory until created
        allow_reentry=True,
        conversation_timeout=timeout_minutes * 60,
    )
