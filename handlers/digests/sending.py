"""A committee digest sent by the outbox (scheduled): built when it is sent, from the figures of
that moment, then text messages, one chart and one Excel file (text.py, chart.py, excel.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from handlers.common.context import BotData, today
from handlers.digests.chart import has_chart, render_chart
from handlers.digests.excel import render_excel
from handlers.digests.labels import file_name
from handlers.digests.text import render_text
from infra.rendering import off_the_loop
from models import Person
from services.digests import DigestPeriod, build_digest, unit_table


async def send_digest(data: BotData, bot: Any, session: Any, message: Any) -> None:
    """A committee digest, built when it is sent (current figures): text, chart, Excel."""
    person = await session.get(Person, message.person_id)
    lang = person.language if person else data.settings.default_language
    period = DigestPeriod.parse(message.period)
    on = today(data)
    digest = await build_digest(
        session,
        node_id=message.org_node_id,
        period=period,
        setup=data.reporting,
        targets=data.targets,
        concern_config=data.concerns.config,
        today=on,
    )
    table = await unit_table(
        session, node_id=message.org_node_id, period=period, setup=data.reporting, today=on
    )
    for part in render_text(digest, lang):
        await bot.send_message(message.chat_id, part)
    with tempfile.TemporaryDirectory() as folder:
        # Rendered in a worker thread: a chart is half a second of CPU nobody else should wait.
        if has_chart(digest):
            chart_path = Path(folder) / file_name(digest.scope.name, period, "png")
            chart = await off_the_loop(render_chart, digest, chart_path, lang)
            with chart.open("rb") as picture:
                await bot.send_photo(message.chat_id, picture)
        workbook = await off_the_loop(
            render_excel,
            digest,
            table,
            Path(folder) / file_name(digest.scope.name, period, "xlsx"),
            lang,
        )
        with workbook.open("rb") as document:
            await bot.send_document(message.chat_id, document, filename=workbook.name)
