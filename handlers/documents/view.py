"""/baocaoquy and /baocaonam: the quarterly or yearly report of the member's own subtree as a Word
document in the chat (the quarter or year of last month; "/baocaoquy 2026-Q3" for another).
The node is the member's own scope, found by the service from the database, never from the
message."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from grassroots_config import DEFAULT_CONFIG_DIR
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import CommandHandler, filters

from handlers.common.context import BotContext, language_of, say, today
from handlers.common.registered import as_registered
from handlers.documents.render import document_name, render_report
from infra.rendering import off_the_loop
from services import documents
from services.access import Viewer
from services.digests import Digest, PeriodKind
from services.errors import N_

FOR_COMMITTEE = N_("Report documents are for steering committee members.")


def _handler(kind: PeriodKind) -> Callable[[Update, BotContext], Coroutine[Any, Any, None]]:
    async def command(update: Update, context: BotContext) -> None:
        data = context.bot_data
        args = context.args or []

        async def step(session: AsyncSession, viewer: Viewer) -> tuple[Digest, str, str]:
            node_id = await documents.committee_node(session, viewer)
            on = today(data)
            period = (
                documents.document_period(args[0]) if args else documents.default_period(kind, on)
            )
            digest = await documents.report_digest(
                session,
                node_id=node_id,
                period=period,
                setup=data.reporting,
                targets=data.targets,
                concern_config=data.concerns.config,
                today=on,
            )
            return digest, await documents.root_name(session, node_id), language_of(context, viewer)

        found = await as_registered(
            update, context, step, refused=None, unregistered=FOR_COMMITTEE, revoked=FOR_COMMITTEE
        )
        if found is None:
            return
        digest, root, lang = found
        chat = update.effective_chat
        assert chat is not None
        template = documents.chat_template(data.settings.config_dir or DEFAULT_CONFIG_DIR)
        with tempfile.TemporaryDirectory() as folder:
            try:
                rendered = await off_the_loop(
                    render_report,
                    digest,
                    root,
                    template,
                    Path(folder) / document_name(digest),
                    pdf=False,  # seconds of LibreOffice per request; the CLI makes PDFs
                )
            except documents.TemplateTagError as refusal:
                await say(update, lang, refusal.message, **refusal.params)
                return
            with rendered.docx.open("rb") as document:
                await chat.send_document(document, filename=rendered.docx.name)

    return command


def build() -> list[object]:
    return [
        CommandHandler("baocaoquy", _handler(PeriodKind.QUARTER), filters=filters.ChatType.PRIVATE),
        CommandHandler("baocaonam", _handler(PeriodKind.YEAR), filters=filters.ChatType.PRIVATE),
    ]
