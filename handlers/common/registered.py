"""Identify the user, refuse who may not go on, run the step, answer a refusal: once for all.

Every command of registered people (officers, committee members, admins) starts the same way:
one session for the update, the person behind the chat account looked up from the database
(never from the update's data), someone unknown or revoked refused, then the step; a domain
refusal is answered in the user's language, its numbers and dates written their way and its
times in the configured zone. Workers never come here: their concerns are anonymous and nothing
looks them up (docs/anonymity.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from handlers.common.context import (
    BotContext,
    Refusal,
    identity_of,
    language_of,
    refuse,
)
from services import access
from services.access import Viewer
from services.errors import N_, DomainError

T = TypeVar("T")
R = TypeVar("R")

FOR_REGISTERED = N_("This command is for registered officers. Type /start.")

Step = Callable[[AsyncSession, Viewer], Awaitable[T]]
AfterRefusal = Callable[[AsyncSession, Viewer, str, DomainError], Awaitable[R]]


async def viewer_of(session: AsyncSession, update: Update, context: BotContext) -> Viewer | None:
    """The registered person behind this update's account, or None."""
    identity = identity_of(update, context)
    return await access.identify(session, identity.channel, identity.external_id)


async def as_registered(
    update: Update,
    context: BotContext,
    step: Step[T],
    *,
    refused: R,
    unregistered: Refusal = FOR_REGISTERED,
    revoked: Refusal | None = FOR_REGISTERED,
    after_refusal: AfterRefusal[R] | None = None,
) -> T | R:
    """Open one session for the update, identify the user and run ``step``.

    Someone unknown is told ``unregistered``, someone revoked ``revoked`` (None: the step's
    service refuses them itself), and ``refused`` is returned. A DomainError from the step is
    answered in the user's language (after a rollback: nothing half done stays), then
    ``after_refusal`` (if any) shows the user where they are and says what follows; else
    ``refused`` is returned.
    """
    async with context.bot_data.uow() as session:
        viewer = await viewer_of(session, update, context)
        lang = language_of(context, viewer)
        if viewer is None:
            await refuse(update, context, lang, unregistered)
            return refused
        if viewer.revoked and revoked is not None:
            await refuse(update, context, lang, revoked)
            return refused
        try:
            return await step(session, viewer)
        except DomainError as refusal:
            await session.rollback()
            await refuse(update, context, lang, refusal)
            if after_refusal is None:
                return refused
            return await after_refusal(session, viewer, lang, refusal)
