"""The proof that no worker is identifiable (issue 4, docs/architecture.md "Anonymity of workers").

Workers with distinctive ids, usernames, names and language codes raise and follow up concerns
through the real Application, one opting in to pushed answers, with the bot's logging at DEBUG.
Then every table is dumped (on SQLite and on PostgreSQL: the e2e suite runs on both), and every
captured log line is read: none of their values, no chat id, and no timestamp from the moments
they submitted appears anywhere. The bot keeps no persistence file (conversation states are a
table, dumped with the rest), which is checked too.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.concerns import jobs as concern_jobs
from infra.channel_updates import ChannelUser
from infra.logging_setup import json_formatter
from models import ReportingUnit, UnitKind, utcnow
from testkit.anonymity import needles
from testkit.chat import Chat
from testkit.db import cell_texts, dump
from testkit.org import Tree, make_person, make_tree

WORKERS = [
    ChannelUser(
        987_654_321_012,
        "Xuânthùyzq",
        "Qwèrtyvnzq",
        username="worker_zq9x_proof",
        language_code="tlh-Piqd",
    ),
    ChannelUser(
        987_654_321_013,
        "Hoàngbíchzq",
        "Zyxwvnzq",
        username="worker_zq8y_proof",
        language_code="sgn-VN-x-zq",
    ),
]


ISO_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2}|Z)?")


def _parse(stamp: str) -> datetime:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _persistence_files(tmp_path: Path) -> list[Path]:
    return [*tmp_path.rglob("*.pickle"), *Path.cwd().glob("*persistence*")]


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    tree = await make_tree(session)
    session.add(
        ReportingUnit(
            code="CD-KCN-QC",
            kind=UnitKind.ZONE_UNION,
            name="Công đoàn KCN Quang Châu",
            org_node_id=tree.zone.id,
        )
    )
    await session.commit()
    return tree


async def test_no_worker_is_identifiable_in_the_database_or_the_logs(
    chat: Chat,
    session: AsyncSession,
    tree: Tree,
    lan: ChannelUser,
    app_logging: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    # Proves the capture sees the app's own DEBUG lines (the app logs nothing else on this path).
    logging.getLogger("handlers.concerns.conversation").debug("capture probe")
    await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))
    receipts = []
    submission_windows = []
    for number, worker in enumerate(WORKERS):
        began = utcnow()
        # From the poster's link, and with the code typed after /tamtu as people type it.
        promise = await chat.send(worker, "/start c_DN-01" if number == 0 else "/tamtu dn 01")
        assert "KHÔNG biết" in promise
        await chat.press(worker, "Tiếp tục")
        await chat.press(worker, "Tiền lương")
        await chat.send(worker, f"Tổ {number + 1} bị trừ lương khi đi vệ sinh.")
        # The first worker asks for answers in this chat: the sealed chat id is the one place
        # the bot may hold it, and only sealed.
        sent = await chat.press(worker, "báo trả lời" if number == 0 else "✅ Gửi")
        found = re.search(r"\d{4} \d{4} \d{4}", sent)
        assert found is not None
        receipts.append(found.group(0))
        submission_windows.append((began, utcnow()))
        await asyncio.sleep(0.05)  # officer actions below fall outside the windows
    for worker, receipt in zip(WORKERS, receipts, strict=True):
        assert "Chưa có trả lời" in await chat.send(worker, f"/kiemtra {receipt}")
        await chat.send(worker, "/kiemtra 0000 1111 2222")  # a wrong guess is counted too
        # /kiemtra alone, then the receipt on the next line: the wait is kept in memory only.
        assert "12 chữ số" in await chat.send(worker, "/kiemtra")
        assert "Chưa có trả lời" in await chat.send(worker, receipt)

    context = type("Ctx", (), {"bot_data": chat.app.bot_data, "bot": chat.app.bot})
    await concern_jobs.announce_new_concerns(context)  # type: ignore[arg-type]
    await chat.send(lan, "/hopthu")
    cases = [c for c in chat.api.sent(lan.user_id) if c.buttons]
    for number in range(len(WORKERS)):  # both cases, the one whose answer is pushed included
        case = next(c for c in cases if f"Tổ {number + 1} " in c.text)
        button = next(b for b in case.buttons if "Trả lời" in b["text"])
        await chat.callback(lan, button["callback_data"])
        await chat.send(lan, "Công đoàn đã đề nghị công ty dừng việc trừ lương.")
    # The push batch delivers it to the first worker (its random wait left out), and logs
    # nothing about whom it sent to.
    setup = chat.app.bot_data.concerns
    setup.config = setup.config.model_copy(update={"push_jitter_minutes": 0})
    await concern_jobs.push_answers(context)  # type: ignore[arg-type]
    assert any("dừng việc trừ lương" in c.text for c in chat.api.sent(WORKERS[0].user_id))
    for worker, receipt in zip(WORKERS, receipts, strict=True):
        # A bare receipt, with no command: a check like the others.
        assert "Trạng thái:" in await chat.send(worker, receipt)

    cells = await dump(session)
    assert cells, "the dump read nothing"
    forbidden = {value for worker in WORKERS for value in needles(worker)}
    forbidden |= {receipt for receipt in receipts} | {r.replace(" ", "") for r in receipts}
    leaks = [
        (table, column, needle)
        for table, column, value in cells
        for cell in cell_texts(value)
        for needle in forbidden
        if needle in cell
    ]
    assert leaks == []

    # No timestamp anywhere falls in a worker's submission window (dates are fine).
    moments = [
        (table, column, value)
        for table, column, value in cells
        if isinstance(value, datetime)
        and any(start <= value.astimezone(UTC) <= end for start, end in submission_windows)
    ]
    assert moments == []
    # …nor inside text or JSON (an ISO timestamp written into some details column).
    iso_moments = [
        (table, column, stamp)
        for table, column, value in cells
        if not isinstance(value, datetime)
        for cell in cell_texts(value)
        for stamp in ISO_STAMP.findall(cell)
        if any(start <= _parse(stamp) <= end for start, end in submission_windows)
    ]
    assert iso_moments == []

    # The logs at DEBUG carry none of it either.
    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}"
        for record in app_logging.records
    )
    assert "capture probe" in logged, "the log capture is not working"
    assert [n for n in forbidden if n in logged] == []
    # The same lines as LOG_FORMAT=json writes them.
    as_json = "\n".join(json_formatter().format(record) for record in app_logging.records)
    assert "capture probe" in as_json
    assert [n for n in forbidden if n in as_json] == []

    # No persistence file: conversation states live in the database (dumped above), and the
    # worker's conversation is not persisted at all.
    assert not await asyncio.to_thread(_persistence_files, tmp_path)
    assert not [
        c
        for c in cells
        if c[0] == "conversation_states" and any(str(w.user_id) in str(c[2]) for w in WORKERS)
    ]
