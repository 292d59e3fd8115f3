"""/duyet through the real Application: the zone union's officer sees the report waiting with its
figures, returns it with a comment (its officer is told through the outbox), sees the amendment
come back and approves it; a reviewer of another zone pressing forged buttons is refused."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.channel_updates import ChannelUser
from models import OutboxMessage, ReportReview, Role, UnitKind
from services.periods import ReviewRule
from testkit.chat import Chat, Clock
from testkit.org import make_person, make_tree
from testkit.review_world import amend_first_item, file_report, zone_unions

HUNG = ChannelUser(6680001, "Hùng", "Trần")
MINH = ChannelUser(6680002, "Minh", "Lê")


async def test_return_amend_approve_and_forged_buttons(
    chat: Chat, session: AsyncSession, clock: Clock, lan: ChannelUser
) -> None:
    data = chat.app.bot_data
    data.reporting.calendar = data.reporting.calendar.model_copy(
        update={"review": {UnitKind.TRADE_UNION: ReviewRule(level="zone", by=UnitKind.ZONE_UNION)}}
    )
    setup = data.reporting
    tree = await make_tree(session)
    ours, theirs = await zone_unions(session, tree)
    lan_id = await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))
    await make_person(session, HUNG.user_id, "Trần Văn Hùng", units=(ours,))
    await make_person(session, MINH.user_id, "Lê Văn Minh", units=(theirs,))
    report_id = await file_report(session, lan_id, tree.union.id, setup)

    shown = await chat.send(HUNG, "/duyet")
    assert "CĐCS Công ty May Hà Phong — tháng 11/2026" in shown
    assert "100" in shown
    buttons = {b["text"]: b["callback_data"] for b in chat.last_with_buttons(HUNG).buttons}
    assert set(buttons) == {"✅ Duyệt", "↩ Trả lại kèm nhận xét"}

    # Another zone's reviewer: nothing waits for them, and the buttons, forged, are refused.
    assert "Không có báo cáo nào chờ bạn duyệt" in await chat.send(MINH, "/duyet")
    for data_ in buttons.values():
        said = await chat.callback(MINH, data_)
        assert "Bạn không phải người duyệt báo cáo này" in said or "không còn chờ" in said
    await session.refresh(review_row := await session.get(ReportReview, report_id))  # type: ignore[arg-type]
    assert review_row is not None and review_row.status == "pending"

    await chat.press(HUNG, "Trả lại")
    said = await chat.send(HUNG, "Số lao động chưa khớp với tháng trước")
    assert "Đã trả lại" in said
    notice = await session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.person_id == lan_id, OutboxMessage.kind == "notice"
        )
    )
    assert notice is not None and "Số lao động chưa khớp với tháng trước" in notice.text

    session.expire_all()  # the bot decided in its own session
    await amend_first_item(session, lan_id, tree.union.id, setup, "120")
    shown = await chat.send(HUNG, "/duyet")
    assert "lần sửa 2" in shown and "120" in shown
    said = await chat.press(HUNG, "Duyệt")
    assert "Đã duyệt" in said
    await session.refresh(review_row)
    assert review_row.status == "approved"


async def test_help_and_the_menu_offer_duyet_to_reviewers_by_the_configuration(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    """Trade unions reviewed by their zone union: its officer (no committee role) is offered
    /duyet in /help and the /start menu; the unit's officer and a committee member of the zone
    (not the configured reviewer) are not; with the default configuration nobody is."""
    data = chat.app.bot_data
    tree = await make_tree(session)
    ours, _theirs = await zone_unions(session, tree)
    await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))
    await make_person(session, HUNG.user_id, "Trần Văn Hùng", units=(ours,))
    await make_person(
        session, MINH.user_id, "Lê Văn Minh", role=Role.COMMITTEE, node_id=tree.zone.id
    )

    for person in (HUNG, MINH, lan):  # the default: no review, /duyet offered to nobody
        assert "/duyet" not in await chat.send(person, "/help")

    data.reporting.calendar = data.reporting.calendar.model_copy(
        update={"review": {UnitKind.TRADE_UNION: ReviewRule(level="zone", by=UnitKind.ZONE_UNION)}}
    )
    assert "/duyet — Duyệt báo cáo của các đơn vị cấp dưới" in await chat.send(HUNG, "/help")
    assert "/duyet" in await chat.send(HUNG, "/start")
    for person in (MINH, lan):
        assert "/duyet" not in await chat.send(person, "/help")
        assert "/duyet" not in await chat.send(person, "/start")
