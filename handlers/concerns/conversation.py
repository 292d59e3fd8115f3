"""A worker raises a concern: enterprise (QR link or code), what the union will know, category,
text, preview, send; then /kiemtra with the receipt — on the same line, on the next line after
/kiemtra alone, or as a bare 12-digit message.

Nothing here is persisted: the draft lives in memory only until it is sent (docs/architecture.md).
Nothing about the worker is logged: handlers log nothing, and the error handler logs no update.
Texts are sent without a parse mode, so a worker's text can never become markup for the officers.

Just over 600 lines on purpose: one ConversationHandler (writing and checking share its states,
its rate limit and its never-persisted memory), kept in one place so that what the worker's
path stores, counts and logs can be read, and checked for anonymity, at once.
"""

from __future__ import annotations

import unicodedata
from enum import IntEnum
from typing import Any, Final

from telegram import Message, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers.common import retry_until_seen
from handlers.common.buttons import Concern as Buttons
from handlers.common.buttons import PollButtons
from handlers.common.context import (
    BotContext,
    keyboard,
    language_of,
    refuse,
    say,
    show,
    today,
    user_data,
)
from infra.i18n import day, tr
from infra.message_split import split_text
from infra.metrics import keep_out_of_metrics
from models import ConcernStatus
from services import anonymity, concerns, linking
from services.concerns import STATUS_LABELS, CaseStatus, ReceiptNotRecognised
from services.errors import N_, DomainError
from services.ratelimit import TooManyMessages

END = ConversationHandler.END


class Concern(IntEnum):
    TYPING_ENTERPRISE = 1
    READING_PROMISE = 2
    CHOOSING_CATEGORY = 3
    WRITING = 4
    PREVIEWING = 5
    TYPING_RECEIPT = 6  # after /kiemtra alone


# A receipt mistyped by a digit or two still looks like one; fewer digits than this is some
# other number (a report's answer, say) and is left to whoever waits for it.
_MIN_RECEIPT_DIGITS: Final = 8


class _ReceiptShaped(filters.MessageFilter):
    """Text that is a well-formed receipt: 12 digits, spaces or dashes between them."""

    def filter(self, message: Message) -> bool:
        return anonymity.normalize_receipt(message.text or "") is not None


class _ReceiptAttempt(filters.MessageFilter):
    """Digits and separators only, and enough digits to be meant as a receipt."""

    def filter(self, message: Message) -> bool:
        text = unicodedata.normalize("NFKC", message.text or "")
        if len(text) > anonymity.MAX_RECEIPT_INPUT:
            return False
        digits = sum("0" <= ch <= "9" for ch in text)
        return digits >= _MIN_RECEIPT_DIGITS and all(
            "0" <= ch <= "9" or ch.isspace() or ch in "-._" for ch in text
        )


class _CaseCodeShaped(filters.MessageFilter):
    """The public case code ("TT-7K3M9Q"), which workers type instead of the receipt."""

    def filter(self, message: Message) -> bool:
        text = (message.text or "").strip().upper()
        return text.startswith("TT") and anonymity.normalize_case_code(text) is not None


def _subject(update: Update, context: BotContext) -> str:
    """The worker's rate-limit key for today: a keyed hash, never the id itself."""
    user = update.effective_user
    assert user is not None
    return context.bot_data.concerns.keys.subject(
        context.bot_data.channel, str(user.id), today(context.bot_data)
    )


def _draft(context: BotContext) -> dict[str, Any]:
    return user_data(context).concern_draft()


def _forget(context: BotContext) -> None:
    user_data(context).forget_concern()


async def _throttled(update: Update, context: BotContext) -> bool:
    """Count the message against the per-minute limit; say so when it is exceeded."""
    minute = int(context.bot_data.clock().timestamp() // 60)
    try:
        context.bot_data.concerns.limiter.hit(_subject(update, context), minute)
    except TooManyMessages as refusal:
        await refuse(update, context, language_of(context, None), refusal)
        return True
    return False


async def _may_send_today(update: Update, context: BotContext) -> bool:
    """Whether today's concerns are not used up yet; if they are, say so now, before the worker
    writes a text that could not be sent."""
    setup = context.bot_data.concerns
    async with context.bot_data.uow() as session:
        try:
            await concerns.ensure_can_submit(
                session, _subject(update, context), today(context.bot_data), config=setup.config
            )
        except DomainError as refusal:
            await refuse(update, context, language_of(context, None), refusal)
            return False
    return True


async def start_with_link(update: Update, context: BotContext) -> int:
    """/start c_<enterprise code>, from the QR poster."""
    if await _throttled(update, context):
        return END
    _forget(context)
    if not await _may_send_today(update, context):
        return END
    code = (context.args or [""])[0].removeprefix("c_")
    return await _enterprise(update, context, code)


async def start_without_link(update: Update, context: BotContext) -> int:
    """/tamtu [enterprise code]: with a code, straight to its promise screen; without one, ask
    for the code printed on the poster."""
    if await _throttled(update, context):
        return END
    _forget(context)
    if not await _may_send_today(update, context):
        return END
    if context.args:
        return await _enterprise(update, context, " ".join(context.args))
    await say(
        update,
        language_of(context, None),
        "Type the code of your enterprise, as printed on the poster (for example DN-QC-01).",
    )
    return Concern.TYPING_ENTERPRISE


async def typed_enterprise(update: Update, context: BotContext) -> int:
    """The enterprise code typed by a worker who came without a link (``dn qc 01`` is fine)."""
    assert update.message is not None and update.message.text is not None
    if await _throttled(update, context):
        return Concern.TYPING_ENTERPRISE
    return await _enterprise(update, context, update.message.text)


async def _enterprise(update: Update, context: BotContext, code: str) -> int:
    lang = language_of(context, None)
    setup = context.bot_data.concerns
    async with context.bot_data.uow() as session:
        try:
            enterprise = await concerns.enterprise_by_code(session, code, config=setup.config)
        except DomainError:
            await say(
                update,
                lang,
                "No enterprise has this code. Check the poster and type the "
                "code again, or /cancel.",
            )
            return Concern.TYPING_ENTERPRISE
    draft = _draft(context)
    draft.clear()
    draft.update(enterprise_id=enterprise.enterprise_id, enterprise=enterprise.name)
    union = (
        enterprise.union_name or enterprise.zone_union_name or tr(lang, "the industrial-zone union")
    )
    promise = tr(
        lang,
        "You are writing to {union}.\nYour workplace: {enterprise}.\n\n"
        "What the union will know: your text, its category, and the day you sent it.\n"
        "What it will NOT know: your name, your {app} account, your phone number, the time "
        "of day. The system does not store any of this, so nobody can look it up.\n\n"
        "Do not put your name or details that point to you in the text.",
        union=union,
        enterprise=enterprise.name,
        app=linking.CHANNEL_NAMES.get(context.bot_data.channel, "Telegram"),
    )
    promise += "\n\n" + _carrier(lang, context.bot_data.channel)
    if enterprise.small:
        promise += "\n\n" + tr(
            lang,
            "⚠️ This enterprise has few workers: the union may guess who "
            "wrote from what is written. Write with that in mind.",
        )
    await show(
        update,
        promise,
        keyboard(
            [(tr(lang, "Continue"), Buttons.GO)],
            [(tr(lang, "Cancel"), Buttons.CANCEL)],
            # The same poster also leads to the union's anonymous polls (handlers/polls).
            [
                (
                    tr(lang, "📋 Receive the union's polls"),
                    PollButtons.join(enterprise.enterprise_id),
                )
            ],
        ),
    )
    return Concern.READING_PROMISE


def _carrier(lang: str, channel: str) -> str:
    """What the app itself sees: the bot keeps nothing, but Telegram or Zalo carry the text."""
    if channel in linking.LINKABLE_CHANNELS:  # Telegram, Zalo
        return tr(
            lang,
            "{app} itself carries your message, so {app} knows that you wrote to this bot and "
            "what you wrote.",
            app=linking.channel_name(channel),
        )
    return tr(
        lang,
        "The app that carries your message knows that you wrote to this bot and what you wrote.",
    )


async def promise_read(update: Update, context: BotContext) -> int:
    """After the promise screen: the categories."""
    lang = language_of(context, None)
    categories = context.bot_data.concerns.config.categories
    rows = [[(c.label.get(lang), Buttons.category(c.code))] for c in categories]
    await say(update, lang, "What is it about?", markup=keyboard(*rows))
    return Concern.CHOOSING_CATEGORY


async def category_chosen(update: Update, context: BotContext) -> int:
    """A category button."""
    assert update.callback_query is not None and update.callback_query.data is not None
    code = Buttons.parse(update.callback_query.data)
    lang = language_of(context, None)
    category = context.bot_data.concerns.config.category(code)
    if category is None or "enterprise_id" not in _draft(context):
        await say(update, lang, "This button has expired. Type /tamtu to start again.")
        return END
    _draft(context)["category"] = code
    await say(
        update,
        lang,
        "Write what you want the union to know (up to {limit} characters). Text only.",
        limit=context.bot_data.concerns.config.max_text_length,
    )
    return Concern.WRITING


async def text_written(update: Update, context: BotContext) -> int:
    """The concern's text: cleaned, checked for length, then previewed."""
    message = update.message
    assert message is not None and message.text is not None
    lang = language_of(context, None)
    if await _throttled(update, context):
        return Concern.WRITING
    if message.forward_origin is not None:
        await say(
            update,
            lang,
            "Forwarded messages are not accepted: they carry the name of the "
            "person who first wrote them. Please type your text yourself.",
        )
        return Concern.WRITING
    try:
        text = concerns.clean_text(
            message.text, limit=context.bot_data.concerns.config.max_text_length
        )
    except DomainError as refusal:
        await refuse(update, context, lang, refusal)
        return Concern.WRITING
    draft = _draft(context)
    draft["text"] = text
    category = context.bot_data.concerns.config.category(draft.get("category", ""))
    preview = tr(
        lang,
        "Please check before sending:\n\n{enterprise} · {category}\n\n{text}",
        enterprise=draft.get("enterprise", ""),
        category=category.label.get(lang) if category else "",
        text=text,
    )
    await show(
        update,
        preview,
        keyboard(
            [(tr(lang, "✅ Send"), Buttons.SEND)],
            [(tr(lang, "✅ Send, and tell me the answer here"), Buttons.SEND_PUSH)],
            [(tr(lang, "✏️ Write it again"), Buttons.REWRITE)],
            [(tr(lang, "✖ Cancel"), Buttons.CANCEL)],
        ),
    )
    return Concern.PREVIEWING


async def not_text(update: Update, context: BotContext) -> int | None:
    """Photos, voice, video, files and the like: refused, with the reason."""
    message = update.effective_message
    lang = language_of(context, None)
    if message is not None and (message.photo or message.document or message.video):
        reason = N_(
            "Photos, videos and files are not accepted: they can carry the phone's "
            "details and place, and a picture can show who took it. Please describe it "
            "in words."
        )
    elif message is not None and (message.voice or message.video_note or message.audio):
        reason = N_(
            "Voice messages are not accepted: a voice can be recognised. Please type your text."
        )
    else:
        reason = N_("Please write your text in words.")
    await say(update, lang, reason)
    return None


async def preview_choice(update: Update, context: BotContext) -> int:
    """Send (with or without answers pushed here) or write again."""
    assert update.callback_query is not None and update.callback_query.data is not None
    action = Buttons.parse(update.callback_query.data)
    lang = language_of(context, None)
    draft = _draft(context)
    if action == "rewrite":
        await say(update, lang, "Write your text again:")
        return Concern.WRITING
    if not {"enterprise_id", "category", "text"} <= draft.keys():
        await say(update, lang, "This button has expired. Type /tamtu to start again.")
        return END
    setup = context.bot_data.concerns
    chat = update.effective_chat
    # Sealed with its channel: the officer may answer from another channel than the worker's.
    push = (
        f"{context.bot_data.channel}:{chat.id}"
        if action == "sendpush" and chat is not None
        else None
    )
    async with context.bot_data.uow() as session:
        try:
            sent = await concerns.submit_concern(
                session,
                enterprise_id=draft["enterprise_id"],
                category=draft["category"],
                text=draft["text"],
                subject=_subject(update, context),
                keys=setup.keys,
                today=today(context.bot_data),
                push_chat_id=push,
                config=setup.config,
            )
        except DomainError as refusal:
            await refuse(update, context, lang, refusal)
            return END
    _forget(context)
    follow = (
        tr(lang, "The union's answer will also be sent to this chat.")
        if push
        else tr(lang, "Nothing links this chat to your case: keep the receipt to follow it.")
    )
    text = tr(
        lang,
        "✅ Sent to the union.\n\nCase code: {case}\nSecret receipt: {receipt}\n\n"
        "This receipt is shown only once. Write it down or take a photo of it: with it, "
        "type /kiemtra {receipt} to see the answer. Anyone with the receipt can read the "
        "answers, so keep it to yourself.\n\n{follow}",
        case=sent.case_code,
        receipt=sent.receipt,
        follow=follow,
    )
    await _show_receipt(update, context, text)
    return END


# The case is stored before its receipt is shown, and only the receipt's hash is kept: without
# the retries of handlers/common/retry_until_seen.py a Bot API failure at this moment would leave
# a case nobody can follow, and a worker who sends the concern again.
RECEIPT_RETRY_DELAYS: tuple[float, ...] = retry_until_seen.RETRY_DELAYS


async def _show_receipt(update: Update, context: BotContext, text: str) -> None:
    await retry_until_seen.show_until_seen(
        update, context, text, edit=True, delays=RECEIPT_RETRY_DELAYS, name="concern-receipt"
    )


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel or ✖: nothing is kept."""
    _forget(context)
    await say(update, language_of(context, None), "Cancelled. Nothing was sent or kept.")
    return END


async def timed_out(update: object, context: BotContext) -> None:
    """After a long pause the unsent draft is dropped from memory."""
    _forget(context)


async def check(update: Update, context: BotContext) -> int | None:
    """/kiemtra <receipt>: status and answers; a wrong and an unknown receipt look the same.
    /kiemtra alone asks for the receipt and waits for it (phones put it on the next line)."""
    if await _throttled(update, context):
        return None
    receipt = " ".join(context.args or [])
    if not receipt:
        _forget(context)  # the check replaces any concern being written
        await say(
            update,
            language_of(context, None),
            "Type your secret receipt (12 digits, for example 1234 5678 9012), or /cancel.",
        )
        return Concern.TYPING_RECEIPT
    await _check(update, context, receipt)
    # A concern being written goes on where it was; otherwise nothing is waited for.
    writing = user_data(context).writing_concern()
    return None if writing else END


async def typed_receipt(update: Update, context: BotContext) -> int:
    """What looks like a receipt, typed after /kiemtra alone."""
    assert update.message is not None and update.message.text is not None
    if await _throttled(update, context):
        return Concern.TYPING_RECEIPT
    if anonymity.normalize_receipt(update.message.text) is None:
        await say(
            update,
            language_of(context, None),
            "A receipt is 12 digits, for example 1234 5678 9012. Type it again, or /cancel.",
        )
        return Concern.TYPING_RECEIPT  # nothing was hashed or counted
    found = await _check(update, context, update.message.text)
    return END if found else Concern.TYPING_RECEIPT


async def typed_case_code(update: Update, context: BotContext) -> int:
    """The case code where the receipt was asked for: the two are easily mixed up."""
    await say(
        update,
        language_of(context, None),
        "This is the case code. To see your case, type the secret receipt: the 12 digits shown "
        "below the case code when you sent it. Or /cancel.",
    )
    return Concern.TYPING_RECEIPT


async def receipt_not_text(update: Update, context: BotContext) -> int:
    """A photo (of the receipt, often), a voice note or a sticker where the receipt was asked."""
    await say(
        update,
        language_of(context, None),
        "Please type the 12 digits of your receipt: the bot does not read pictures or voice "
        "messages. Or /cancel.",
    )
    return Concern.TYPING_RECEIPT


async def bare_receipt(update: Update, context: BotContext) -> None:
    """Twelve digits sent on their own, outside any conversation: a receipt check."""
    keep_out_of_metrics()  # as the conversation's updates: the check hashes the receipt
    assert update.message is not None and update.message.text is not None
    if await _throttled(update, context):
        return
    await _check(update, context, update.message.text)


async def _check(update: Update, context: BotContext, receipt: str) -> bool:
    """Look the receipt up and show the case. False when it was not recognised (the worker
    may type it again); True when the case was shown or the check cannot go on today."""
    lang = language_of(context, None)
    setup = context.bot_data.concerns
    async with context.bot_data.uow() as session:
        try:
            status = await concerns.lookup(
                session,
                receipt,
                _subject(update, context),
                setup.keys,
                today(context.bot_data),
                config=setup.config,
            )
        except DomainError as refusal:
            await refuse(update, context, lang, refusal)
            return not isinstance(refusal, ReceiptNotRecognised)
    for part in split_text(render_status(status, context, lang)):
        await show(update, part)
    return True


def render_status(status: CaseStatus, context: BotContext, lang: str) -> str:
    category = context.bot_data.concerns.config.category(status.category)
    lines = [
        tr(
            lang,
            "Case {case} · {enterprise}",
            case=status.case_code,
            enterprise=status.enterprise_name,
        ),
        tr(
            lang,
            "Sent on {date} · {category}",
            date=day(status.created_on, lang),
            category=category.label.get(lang) if category else status.category,
        ),
        tr(
            lang,
            "Status: {status} (since {date})",
            status=(
                tr(lang, "Passed on to {zone}", zone=status.escalated_to)
                if status.status is ConcernStatus.ESCALATED and status.escalated_to
                else tr(lang, STATUS_LABELS[status.status])
            ),
            date=day(status.status_changed_on, lang),
        ),
    ]
    if not status.replies:
        lines.append(tr(lang, "No answer yet."))
    for reply in status.replies:
        lines.append("")
        lines.append(
            tr(
                lang,
                "Answer of {date} from {organisation}:",
                date=day(reply.created_on, lang),
                organisation=reply.signed_as,
            )
        )
        # None: no key opens it where it is stored (services.concerns); the operator is told.
        lines.append(reply.text or tr(lang, "⚠️ This answer cannot be read."))
    return "\n".join(lines)


class _WorkersConversation(ConversationHandler[BotContext]):
    """Every update of the worker's conversation is left out of /metrics: its timing would show
    a submission's slow receipt hash, to the 15 seconds of a scrape (infra/metrics.py)."""

    async def handle_update(
        self, update: Update, application: Any, check_result: Any, context: BotContext
    ) -> object | None:
        keep_out_of_metrics()
        return await super().handle_update(update, application, check_result, context)


def build(timeout_minutes: float = 30) -> ConversationHandler[BotContext]:
    private = filters.ChatType.PRIVATE
    text = private & filters.TEXT & ~filters.COMMAND
    other = private & ~filters.TEXT & ~filters.COMMAND
    return _WorkersConversation(
        entry_points=[
            CommandHandler(
                "start", start_with_link, filters=private & filters.Regex(r"^/start\s+c_")
            ),
            CommandHandler("tamtu", start_without_link, filters=private),
            # An entry point (re-entered from any state): /kiemtra alone then waits for the
            # receipt here, ahead of the other conversations that would take it for theirs.
            CommandHandler("kiemtra", check, filters=private),
        ],
        states={
            Concern.TYPING_ENTERPRISE: [
                MessageHandler(text, typed_enterprise),
                MessageHandler(other, not_text),
            ],
            Concern.READING_PROMISE: [
                CallbackQueryHandler(promise_read, pattern=Buttons.GO_PATTERN)
            ],
            Concern.CHOOSING_CATEGORY: [
                CallbackQueryHandler(category_chosen, pattern=Buttons.CATEGORY_PATTERN)
            ],
            Concern.WRITING: [MessageHandler(text, text_written), MessageHandler(other, not_text)],
            Concern.PREVIEWING: [
                CallbackQueryHandler(preview_choice, pattern=Buttons.PREVIEW_PATTERN),
            ],
            # Only what looks like a receipt (or a case code, or a picture of one) is taken:
            # other text goes on to the other handlers, so a worker who changed their mind,
            # or an officer who typed /kiemtra and then /baocao, is not held here.
            Concern.TYPING_RECEIPT: [
                MessageHandler(text & _ReceiptAttempt(), typed_receipt),
                MessageHandler(text & _CaseCodeShaped(), typed_case_code),
                MessageHandler(other, receipt_not_text),
            ],
            ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
        },
        fallbacks=[
            CommandHandler("cancel", cancel, filters=private),
            CallbackQueryHandler(cancel, pattern=Buttons.CANCEL_PATTERN),
            CommandHandler("tamtu", start_without_link, filters=private),
        ],
        name="concern",
        persistent=False,  # never: see the module docstring
        allow_reentry=True,
        conversation_timeout=timeout_minutes * 60,
    )


def bare_receipt_handler() -> MessageHandler[BotContext, None]:
    """A receipt sent without /kiemtra. Registered after every conversation: inside one, the
    text is that conversation's (an officer's report answer is never taken for a receipt)."""
    return MessageHandler(
        filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND & _ReceiptShaped(),
        bare_receipt,
    )
