"""Confirmations that must reach the user although the Bot API fails at that very moment.

A worker's concern and an officer's report are stored before their receipt is shown. A Bot API
failure then (a 5xx, a timeout, a 429 beyond the rate limiter's own retries) would leave
something stored whose receipt nobody saw: a worker who sends the concern again, an officer who
thinks the report did not go. So the message is tried again, in the background (the chat's own
next update is handled only after this one, and must not wait behind the retries), for about half
a minute.
faults/bot_api_storm.py found it.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Sequence
from datetime import timedelta

from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from handlers.common.context import BotContext

RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0)


async def show_until_seen(
    update: Update,
    context: BotContext,
    text: str,
    *,
    edit: bool,
    delays: Sequence[float] = RETRY_DELAYS,
    name: str,
) -> None:
    """Show ``text``: the pressed button's message edited (``edit``) or a new message; when
    the Bot API fails, try again in the background. Nothing is logged (a log line would tell
    when a worker's concern was sent: docs/anonymity.md)."""
    query = update.callback_query
    if query is not None:
        try:
            await query.answer()
        except TelegramError:
            pass  # only the button's spinner: the message is what matters
    target = _Target(update, edit=edit)
    try:
        await target.put(text)
    except (NetworkError, RetryAfter) as error:  # BadRequest is a NetworkError too
        if isinstance(error, BadRequest) and not target.can_fall_back:
            raise
        context.application.create_task(
            target.retry(text, error, tuple(delays)), update=update, name=name
        )
    if query is not None and not edit and query.message is not None:
        try:
            await query.edit_message_reply_markup(None)
        except TelegramError:
            pass  # the old buttons stay: every press is re-checked by the service anyway


class _Target:
    """Where the message goes: the pressed button's message, edited, or a new message (also
    when that message cannot be edited)."""

    def __init__(self, update: Update, *, edit: bool) -> None:
        query = update.callback_query
        self.query = query if edit and query is not None and query.message is not None else None
        self.chat = update.effective_chat

    @property
    def can_fall_back(self) -> bool:
        return self.query is not None and self.chat is not None

    async def put(self, text: str) -> None:
        if self.query is None:
            assert self.chat is not None
            await self.chat.send_message(text)
            return
        try:
            await self.query.edit_message_text(text)
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return  # an earlier try got through after all (it timed out on the way back)
            if self.chat is None:
                raise
            self.query = None  # the message cannot be edited any more: a new message
            await self.chat.send_message(text)

    async def retry(self, text: str, error: Exception, delays: tuple[float, ...]) -> None:
        for delay in delays:
            await asyncio.sleep(retry_after(error) or delay)
            try:
                await self.put(text)
                return
            except (NetworkError, RetryAfter) as again:
                error = again
        # Given up, silently (see above): the user is told nothing more.


def retry_after(error: Exception) -> float:
    """Seconds a 429 asks to wait (at most 30); 0 for any other error."""
    if not isinstance(error, RetryAfter):
        return 0.0
    with warnings.catch_warnings():  # PTB 22: retry_after is becoming a timedelta
        warnings.simplefilter("ignore")
        wait = error.retry_after
    seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
    return min(seconds, 30.0)
