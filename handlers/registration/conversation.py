"""Registration: /start <code> from a deep link, or /start and then the code; confirm; bound."""

from __future__ import annotations

from enum import IntEnum

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers.common.buttons import Registration as Buttons
from handlers.common.context import (
    BotContext,
    choices_are_typed,
    identity_of,
    keyboard,
    language_of,
    say,
    show,
    user_data,
)
from handlers.common.menu import ROLE_LABELS, audience_of, render_menu
from handlers.common.registered import viewer_of
from infra.i18n import day, moment, tr
from services import command_menus, linking, registration
from services.errors import N_, DomainError
from services.linking import LinkOffer
from services.registration import LockedOut, LockoutPolicy


class Registration(IntEnum):
    AWAITING_CODE = 1
    CONFIRMING = 2


def _policy(context: BotContext) -> LockoutPolicy:
    s = context.bot_data.settings
    return LockoutPolicy(attempts=s.code_attempts_allowed, zone=s.zone)


async def start(update: Update, context: BotContext) -> int:
    """/start [code]: offer the code's role, show a registered user's menu, or ask for a code."""
    async with context.bot_data.uow() as session:
        viewer = await viewer_of(session, update, context)
        audience = await audience_of(session, viewer, context.bot_data.reporting)
        if viewer is not None and not context.args:
            # The "/" menu catches up with the roles (set before this feature existed, or under
            # another review configuration); sent later by the outbox.
            await command_menus.refresh(session, viewer.person_id, context.bot_data.clock())
    lang = language_of(context, viewer)
    if context.args:
        return await _offer(update, context, " ".join(context.args))
    if viewer is not None and viewer.revoked:
        await say(
            update,
            lang,
            "Your access has been revoked. If this is a mistake, ask the "
            "standing office for a new invite code.",
        )
        return ConversationHandler.END
    if viewer is not None:
        await show(update, render_menu(viewer, lang, audience))
        return ConversationHandler.END
    await say(
        update,
        lang,
        "Welcome. Officers and committee members: please type the invite "
        "code you received (for example ABCD-EFGH).\n\nWorkers who want to raise a concern "
        "anonymously: type /tamtu (or scan the QR poster).",
    )
    return Registration.AWAITING_CODE


async def receive_code(update: Update, context: BotContext) -> int:
    """A typed code: check it and offer what it grants."""
    assert update.message is not None and update.message.text is not None
    return await _offer(update, context, update.message.text)


# Said whenever what came cannot be a code: everyone presses Start, and a worker who did so is
# not waiting for an invite code at all.
WORKERS_WAY = N_(
    "Workers: to raise a concern with the union without giving your name, type /tamtu (no "
    "invite code or registration needed)."
)


async def not_a_code(update: Update, context: BotContext) -> int:
    """A sticker, photo, voice note… where a code is expected."""
    lang = language_of(context, None)
    await show(
        update,
        tr(lang, "Please type the invite code as text (for example ABCD-EFGH), or /cancel.")
        + "\n\n"
        + tr(lang, WORKERS_WAY),
    )
    return Registration.AWAITING_CODE


# A wrong code tells how many tries are left once this few remain.
WARN_WHEN_TRIES_LEFT = 2


def _wrong_code(lang: str, wrong: registration.CodeInvalid) -> str:
    text = tr(lang, _REFUSALS[registration.CodeInvalid])
    left = wrong.tries_left
    if left is None or left > WARN_WHEN_TRIES_LEFT:
        return text
    if left == 1:
        warning = tr(
            lang,
            "You have 1 more try today; after that you can type a code again only tomorrow.",
        )
    else:
        warning = tr(
            lang,
            "You have {count} more tries today; after that you can type a code again only "
            "tomorrow.",
            count=left,
        )
    return f"{text}\n{warning}"


async def _offer(update: Update, context: BotContext, text: str) -> int:
    identity = identity_of(update, context)
    settings = context.bot_data.settings
    async with context.bot_data.uow() as session:
        viewer = await viewer_of(session, update, context)
        lang = language_of(context, viewer)
        try:
            offer = await registration.check_any_code(
                session, settings.secret, text.strip(), identity, policy=_policy(context)
            )
        except LockedOut as locked:
            await say(
                update,
                lang,
                "Too many wrong codes. Please try again after {time}.",
                time=moment(locked.until, lang, settings.zone),
            )
            return Registration.AWAITING_CODE
        except registration.EnterpriseCodeTyped:
            await say(
                update,
                lang,
                "This is the code of an enterprise. To raise a concern "
                "anonymously, type /tamtu and then this code.",
            )
            return ConversationHandler.END
        except registration.CodeMalformed:
            await show(
                update,
                tr(
                    lang,
                    "That is not an invite code. An invite code has 8 letters and digits, for "
                    "example ABCD-EFGH: type it again, or /cancel.",
                )
                + "\n\n"
                + tr(lang, WORKERS_WAY),
            )
            return Registration.AWAITING_CODE
        except registration.CodeInvalid as wrong:
            await show(update, _wrong_code(lang, wrong))
            return Registration.AWAITING_CODE
        except DomainError as refusal:
            await say(update, lang, _REFUSALS.get(type(refusal), refusal.message))
            if isinstance(refusal, _FINAL_LINK_REFUSALS):
                return ConversationHandler.END
            return Registration.AWAITING_CODE
    if isinstance(offer, LinkOffer):
        return await _offer_link(update, context, offer)
    user_data(context).confirming_invite(offer.invite_id)
    await say(
        update,
        lang,
        "This code makes you:\n{role}\n(valid until {expires})\n\nConfirm?",
        markup=_confirm_keyboard(lang),
        role=tr(lang, ROLE_LABELS[offer.role], scope=offer.scope_name or ""),
        expires=day(offer.expires_at.astimezone(settings.zone).date(), lang),
    )
    return Registration.CONFIRMING


# A link code that is fine but cannot be used by this account: typing it again changes nothing.
_FINAL_LINK_REFUSALS = (
    linking.LinkSameChannel,
    linking.AccountTaken,
    linking.AlreadyLinked,
    linking.PersonRevoked,
)


async def _offer_link(update: Update, context: BotContext, offer: LinkOffer) -> int:
    """A link code from another channel: say whose account this one joins, and ask."""
    lang = offer.language
    user_data(context).confirming_link(offer.link_id, offer.language)
    await say(
        update,
        lang,
        "This code links this {channel} account to {name}, who is registered on {source}: "
        "you will have the same roles here.\n\nConfirm?",
        markup=_confirm_keyboard(lang),
        channel=linking.channel_name(offer.to_channel),
        name=offer.person_name,
        source=linking.channel_name(offer.from_channel),
    )
    return Registration.CONFIRMING


async def _confirm_link(
    update: Update, context: BotContext, link_id: int, person_language: str
) -> int:
    identity = identity_of(update, context)
    lang = person_language
    here = linking.channel_name(identity.channel)
    notice = tr(
        lang,
        "Your {channel} account has been linked: you can now use the bot there too. If this was "
        "not you, tell the standing office at once.",
        channel=here,
    )
    async with context.bot_data.uow() as session:
        try:
            linked = await linking.accept_link(session, link_id, identity, notice=notice)
        except DomainError as refusal:
            await say(update, lang, _REFUSALS.get(type(refusal), refusal.message))
            return ConversationHandler.END
        audience = await audience_of(session, linked.viewer, context.bot_data.reporting)
    lang = language_of(context, linked.viewer)
    await say(
        update,
        lang,
        "Linked: this {channel} account is now {name}'s, with the same roles as on "
        "{source}.\nReminders and digests go to {current}; type /kenh to change that.\n\n{menu}",
        channel=here,
        name=linked.viewer.display_name,
        source=linking.channel_name(linked.from_channel),
        current=linking.channel_name(linked.preferred_channel),
        menu=render_menu(linked.viewer, lang, audience),
    )
    return ConversationHandler.END


_REFUSALS = {
    registration.CodeInvalid: N_(
        "This code is not valid. Check it and type it again, or ask the "
        "standing office for a new one."
    ),
    registration.CodeExpired: N_(
        "This code has expired. Please ask the standing office for a new one."
    ),
    registration.CodeUsed: N_(
        "This code has already been used. Please ask the standing office for a new one."
    ),
}


async def confirm(update: Update, context: BotContext) -> int:
    """Confirm: use the invite (re-checked on the server) and show the new menu."""
    pending = user_data(context)
    pending_link = pending.take_pending_link()
    if pending_link is not None:
        return await _confirm_link(update, context, *pending_link)
    identity = identity_of(update, context)
    invite_id = pending.take_pending_invite()
    async with context.bot_data.uow() as session:
        viewer = await viewer_of(session, update, context)
        lang = language_of(context, viewer)
        if invite_id is None:
            await say(update, lang, "This button has expired. Type /start to begin again.")
            return ConversationHandler.END
        try:
            viewer = await registration.accept_invite(session, invite_id, identity, language=lang)
        except DomainError as refusal:
            await say(update, lang, _REFUSALS.get(type(refusal), refusal.message))
            return ConversationHandler.END
        audience = await audience_of(session, viewer, context.bot_data.reporting)
    await say(
        update,
        lang,
        "Registration complete.\n\n{menu}",
        menu=render_menu(viewer, lang, audience),
    )
    return ConversationHandler.END


async def decline(update: Update, context: BotContext) -> int:
    """Cancel at the confirmation: nothing is used up."""
    user_data(context).forget_pending()
    await say(update, language_of(context, None), "Cancelled. The code has not been used.")
    return ConversationHandler.END


async def confirm_hint(update: Update, context: BotContext) -> int:
    """Anything but a button while confirming: ask again, with the buttons again."""
    lang = language_of(context, None)
    if choices_are_typed(context):
        hint = N_("Please choose Confirm or Cancel (type 1 or 2).")
    else:
        hint = N_("Please tap Confirm or Cancel.")
    await say(update, lang, hint, markup=_confirm_keyboard(lang))
    return Registration.CONFIRMING


def _confirm_keyboard(lang: str) -> InlineKeyboardMarkup:
    return keyboard(
        [(tr(lang, "✅ Confirm"), Buttons.CONFIRM), (tr(lang, "✖ Cancel"), Buttons.DECLINE)]
    )


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel inside registration."""
    user_data(context).forget_pending()
    await say(update, language_of(context, None), "Cancelled.")
    return ConversationHandler.END


class RegistrationConversation(ConversationHandler[BotContext]):
    """Registration, which other paths can end for one user (see ``leaving``)."""

    def forget(self, update: Update) -> None:
        self._update_state(self.END, self._get_key(update))


# The worker's and the receipt's paths, and /cancel: whoever takes one of them is not typing an
# invite code any more. They belong to conversations checked before registration's (the worker's
# /start c_<code> must not become a code), so registration does not see them in its own states.
LEAVING = filters.ChatType.PRIVATE & filters.Regex(
    r"^/(tamtu|kiemtra|cancel)(@\w+)?(\s|$)|^/start(@\w+)?\s+c_"
)


def leaving(conversation: RegistrationConversation) -> MessageHandler[BotContext, None]:
    """For a group after the conversations': after /tamtu, /kiemtra, /cancel or a worker's QR
    link, whatever handled it, registration is over for this user (a leftover "waiting for the
    code" would take the worker's next words for a wrong code)."""

    async def leave(update: Update, context: BotContext) -> None:
        conversation.forget(update)
        user_data(context).forget_pending()

    return MessageHandler(LEAVING, leave)


def build() -> RegistrationConversation:
    private = filters.ChatType.PRIVATE
    return RegistrationConversation(
        entry_points=[CommandHandler("start", start, filters=private)],
        states={
            Registration.AWAITING_CODE: [
                MessageHandler(private & filters.TEXT & ~filters.COMMAND, receive_code),
                MessageHandler(private & ~filters.COMMAND, not_a_code),
            ],
            Registration.CONFIRMING: [
                CallbackQueryHandler(confirm, pattern=Buttons.CONFIRM_PATTERN),
                CallbackQueryHandler(decline, pattern=Buttons.DECLINE_PATTERN),
                MessageHandler(private & ~filters.COMMAND, confirm_hint),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", cancel, filters=private),
            CommandHandler("start", start, filters=private),
        ],
        name="registration",
        allow_reentry=True,
        # Registration holds nothing worth keeping across a restart, and an unregistered user's
        # state is better not written anywhere.
        persistent=False,
    )
