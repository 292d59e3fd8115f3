"""The report documents sent by themselves (config/reporting.yaml ``documents``): planned into
the outbox for each committee member's subtree, built when the message goes out (the figures of
that moment), sent as a Word file."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from grassroots_config import DEFAULT_CONFIG_DIR
from telegram.ext import Application

from handlers.common.context import BotContext, BotData, served_channels, today
from handlers.documents.render import document_name, render_report
from infra.rendering import off_the_loop
from services import access, documents, outbox
from services.digests import DigestPeriod
from services.outbox import Outgoing

KIND = "document"


async def send_document(data: BotData, bot: Any, session: Any, message: Any) -> None:
    """Built now, from the current figures, in the member's scope stored with the message."""
    on = today(data)
    digest = await documents.report_digest(
        session,
        node_id=message.org_node_id,
        period=DigestPeriod.parse(message.period),
        setup=data.reporting,
        targets=data.targets,
        concern_config=data.concerns.config,
        today=on,
    )
    root = await documents.root_name(session, message.org_node_id)
    template = documents.chat_template(data.settings.config_dir or DEFAULT_CONFIG_DIR)
    with tempfile.TemporaryDirectory() as folder:
        rendered = await off_the_loop(
            render_report, digest, root, template, Path(folder) / document_name(digest), pdf=False
        )
        with rendered.docx.open("rb") as file:
            await bot.send_document(message.chat_id, file, filename=rendered.docx.name)


async def plan_tick(context: BotContext) -> int:
    data = context.bot_data
    if not data.leadership.is_leader or data.reporting.calendar.documents is None:
        return 0
    now = data.clock()
    async with data.uow() as session:
        due = await documents.plan_documents(session, data.reporting.calendar, today(data))
        targets = await access.delivery_targets(
            session, {d.person_id for d in due}, served_channels(data)
        )
        items = [
            Outgoing(
                idempotency_key=f"{KIND}:{d.person_id}:{d.node_id}:{d.period_key}",
                kind=KIND,
                person_id=d.person_id,
                channel=targets[d.person_id].channel,
                chat_id=targets[d.person_id].chat_id,
                text="",
                org_node_id=d.node_id,
                period=d.period_key,
            )
            for d in due
            if d.person_id in targets
        ]
        return await outbox.enqueue(session, items, now)


def register(application: Application) -> None:  # type: ignore[type-arg]
    queue = application.job_queue
    if queue is None or not application.bot_data.settings.scheduler_enabled:
        return
    queue.run_repeating(plan_tick, interval=15 * 60, first=45, name="documents-plan")
