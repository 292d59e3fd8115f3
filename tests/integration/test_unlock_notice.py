"""`admin unlock` tells the unit's officers that the month can be sent again (issue 12): else
nobody knows, and the reopened period runs out unused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import OutboxMessage, Person, utcnow
from testkit.org import make_person, make_tree
from tests.integration.conftest import cli


async def test_unlock_tells_the_units_officers_through_the_outbox(
    cli_env: Path,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123456:test-token")  # the CLI beside a Telegram bot
    tree = await make_tree(session)
    lan = await make_person(session, 501, "Nguyễn Thị Lan", units=(tree.union.id,))
    gone = await make_person(session, 502, "Người đã nghỉ", units=(tree.union.id,))
    await make_person(session, 503, "Trần Văn Hùng", units=(tree.other_union.id,))  # not told
    person = await session.get(Person, gone)
    assert person is not None
    person.revoked_at = utcnow()
    await session.commit()

    assert await cli("unlock", "--unit", tree.union.code, "--period", "2026-10", "--days", "3") == 0
    assert "Đã báo cho cán bộ của đơn vị: 1 người." in capsys.readouterr().out
    (notice,) = (await session.scalars(select(OutboxMessage))).all()
    assert notice.person_id == lan and notice.channel == "telegram" and notice.chat_id == "501"
    assert notice.text.startswith(
        "🔓 Cơ quan thường trực đã mở lại kỳ báo cáo tháng 10/2026 của CĐCS Công ty May Hà Phong"
    )
    assert "bây giờ có thể nộp hoặc sửa báo cáo" in notice.text
    assert notice.buttons == [
        [{"text": "📝 Báo cáo ngay", "callback_data": f"rpt:v1:open:{tree.union.id}:2026-10"}]
    ]
    # Reopened again for longer: a new notice (its key names the new end).
    assert await cli("unlock", "--unit", tree.union.code, "--period", "2026-10", "--days", "5") == 0
    assert len((await session.scalars(select(OutboxMessage))).all()) == 2
