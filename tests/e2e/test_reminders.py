"""Reminders and escalations over a month on the test's clock, through the outbox and the real
Application's bot: only units that have not reported, exactly once, quiet hours, failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.reports import reminders as reminder_jobs
from infra.channel_updates import ChannelUser
from infra.settings import Settings
from models import ChannelAccount, OutboxMessage, OutboxStatus, ReportingUnit, Role, UnitKind
from models.db import UnitOfWork
from scheduler import outbox_sender as jobs
from services import reporting
from services.periods import Period
from testkit.chat import Chat, Clock
from testkit.org import Tree, make_person, make_tree

NOVEMBER = Period(2026, 11)  # due Wednesday 25 November 2026
ZONE_OFFICER = ChannelUser(5550009, "Minh", "Lê")
ADMIN = ChannelUser(5550010, "Hà", "Phạm")


class Walk:
    """Plan and send at the clock's moment, as the two jobs do."""

    def __init__(self, chat: Chat, clock: Clock) -> None:
        self.chat, self.clock = chat, clock

    async def at(self, day: int, hour: int = 8, minute: int = 5, month: int = 11) -> int:
        self.clock.set_local(2026, month, day, hour)
        self.clock.now += timedelta(minutes=minute)
        context = type("Ctx", (), {"bot_data": self.chat.app.bot_data, "bot": self.chat.app.bot})
        planned = await reminder_jobs.plan_tick(context)  # type: ignore[arg-type]
        await jobs.drain(self.chat.app.bot_data, self.chat.app.bot)
        return planned

    def texts(self, user: ChannelUser) -> list[str]:
        return [c.text for c in self.chat.api.sent(user.user_id)]


@pytest.fixture
async def world(session: AsyncSession, lan: ChannelUser, hung: ChannelUser) -> Tree:
    tree = await make_tree(session)
    zone_union = ReportingUnit(
        code="CD-KCN-QC",
        kind=UnitKind.ZONE_UNION,
        name="Công đoàn KCN Quang Châu",
        org_node_id=tree.zone.id,
    )
    session.add(zone_union)
    await session.commit()
    await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))
    await make_person(session, hung.user_id, "Trần Văn Hùng", units=(tree.other_union.id,))
    await make_person(session, ZONE_OFFICER.user_id, "Lê Minh", units=(zone_union.id,))
    await make_person(session, ADMIN.user_id, "Phạm Hà", role=Role.ADMIN)
    return tree


async def submit_for(
    session: AsyncSession, settings: Settings, person_id: int, unit_id: int, clock: Clock
) -> None:
    """A complete November report through the service (the conversation is tested elsewhere)."""
    from bot.app import load_reporting_setup

    setup = load_reporting_setup(settings)
    while True:
        view = await reporting.open_draft(
            session,
            person_id=person_id,
            unit_id=unit_id,
            period=NOVEMBER,
            setup=setup,
            now=clock.now,
        )
        if view.question is None:
            break
        kind = view.question.indicator.kind.value
        text = {"yes_no": "có", "percent": "10"}.get(kind, "100" if view.step == 0 else "1")
        await reporting.answer(
            session,
            person_id=person_id,
            draft_id=view.draft_id,
            step=view.step,
            text=text,
            setup=setup,
        )
    await reporting.submit(
        session,
        person_id=person_id,
        draft_id=view.draft_id,
        unit_id=unit_id,
        period=NOVEMBER,
        reason=None,
        setup=setup,
        now=clock.now,
    )


async def person_id(session: AsyncSession, user: ChannelUser) -> int:
    found = await session.scalar(
        select(ChannelAccount.person_id).where(ChannelAccount.external_id == str(user.user_id))
    )
    assert found is not None
    return found


async def test_a_month_of_reminders_goes_only_to_those_who_have_not_reported(
    chat: Chat,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    world: Tree,
    lan: ChannelUser,
    hung: ChannelUser,
) -> None:
    walk = Walk(chat, clock)
    assert await walk.at(21) == 0  # before the first stage (22nd, three days before the 25th)
    assert walk.texts(lan) == []

    # Lan, Hùng, and the zone officer for the zone union's own zone-level report.
    assert await walk.at(22) == 3
    [first] = walk.texts(lan)
    assert "chưa nộp báo cáo tháng 11/2026" in first and "25/11/2026" in first
    assert "còn 3 ngày" in first
    button = chat.api.sent(lan.user_id)[0].buttons[0]
    assert button["callback_data"] == f"rpt:v1:open:{world.union.id}:2026-11"

    # A restart at the same moment, or a second tick: nothing new, nothing sent twice.
    assert await walk.at(22, minute=30) == 0
    assert len(walk.texts(lan)) == 1 and len(walk.texts(hung)) == 1

    await submit_for(session, settings, await person_id(session, lan), world.union.id, clock)
    assert await walk.at(24) == 2  # the day before: Hùng and the zone officer, not Lan
    assert len(walk.texts(lan)) == 1 and len(walk.texts(hung)) == 2
    await walk.at(25)  # due day
    await walk.at(26)
    await walk.at(27)
    await walk.at(28)  # three days after
    assert len(walk.texts(hung)) == 6 and "quá hạn 3 ngày" in walk.texts(hung)[-1]
    assert not [t for t in walk.texts(ZONE_OFFICER) if t.startswith("⚠️")]

    await walk.at(29)  # then the zone officer hears which units are missing
    [escalation] = [t for t in walk.texts(ZONE_OFFICER) if t.startswith("⚠️")]
    assert "CĐCS Công ty Bao bì Nhật Minh" in escalation
    assert "Chi bộ Công ty May Hà Phong" in escalation
    assert "CĐCS Công ty May Hà Phong" not in escalation  # Lan reported
    assert len(walk.texts(hung)) == 6  # no more reminders after the escalation
    assert await walk.at(29, hour=15) == 0
    assert len([t for t in walk.texts(ZONE_OFFICER) if t.startswith("⚠️")]) == 1


async def test_the_reminder_button_opens_that_report(
    chat: Chat, clock: Clock, world: Tree, lan: ChannelUser
) -> None:
    await Walk(chat, clock).at(22)
    opened = await chat.press(lan, "Báo cáo ngay")
    assert "Báo cáo tháng 11/2026 — CĐCS Công ty May Hà Phong" in opened and "Câu 1/" in opened


async def test_no_message_in_quiet_hours_and_none_missed_after(
    chat: Chat,
    session: AsyncSession,
    clock: Clock,
    world: Tree,
    lan: ChannelUser,
) -> None:
    walk = Walk(chat, clock)
    # The bot was down all day on the 22nd and comes back at 22:00: the reminder is still
    # relevant, but waits for the morning.
    assert await walk.at(22, hour=22) == 3
    assert walk.texts(lan) == []
    clock.now += timedelta(hours=8, minutes=50)  # 22:05 + 8:50 = 06:55 on the 23rd: still quiet
    await jobs.drain(chat.app.bot_data, chat.app.bot)
    assert walk.texts(lan) == []
    clock.now += timedelta(minutes=10)  # 07:05
    await jobs.drain(chat.app.bot_data, chat.app.bot)
    assert len(walk.texts(lan)) == 1


async def test_a_unit_that_reports_before_its_turn_is_not_reminded(
    chat: Chat,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    world: Tree,
    lan: ChannelUser,
) -> None:
    clock.set_local(2026, 11, 22, 8)
    context = type("Ctx", (), {"bot_data": chat.app.bot_data, "bot": chat.app.bot})
    await reminder_jobs.plan_tick(context)  # type: ignore[arg-type]
    await submit_for(session, settings, await person_id(session, lan), world.union.id, clock)
    result = await jobs.drain(chat.app.bot_data, chat.app.bot)
    assert result.skipped == 1 and result.sent == 2  # Lan skipped; Hùng and the zone reminded
    assert Walk(chat, clock).texts(lan) == []


async def test_retry_after_is_waited_out_and_sent_once(
    chat: Chat,
    session: AsyncSession,
    clock: Clock,
    world: Tree,
    lan: ChannelUser,
) -> None:
    chat.api.failures[str(lan.user_id)] = [
        (429, "Too Many Requests: retry after 5", {"retry_after": 5})
    ]
    walk = Walk(chat, clock)
    await walk.at(22)
    assert walk.texts(lan) == []
    await jobs.drain(chat.app.bot_data, chat.app.bot)  # too early: still waiting
    assert walk.texts(lan) == []
    clock.now += timedelta(seconds=6)
    await jobs.drain(chat.app.bot_data, chat.app.bot)
    assert len(walk.texts(lan)) == 1
    sent = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENT)
    )
    assert sent == 3  # Lan, Hùng and the zone officer, once each


async def test_a_blocked_bot_marks_the_person_unreachable_and_tells_the_admin(
    chat: Chat,
    session: AsyncSession,
    clock: Clock,
    world: Tree,
    lan: ChannelUser,
) -> None:
    chat.api.failures[str(lan.user_id)] = [(403, "Forbidden: bot was blocked by the user", {})]
    walk = Walk(chat, clock)
    await walk.at(22)
    account = await session.scalar(
        select(ChannelAccount).where(ChannelAccount.external_id == str(lan.user_id))
    )
    assert account is not None and account.reachable is False
    await jobs.drain(chat.app.bot_data, chat.app.bot)
    [notice] = walk.texts(ADMIN)
    assert "Nguyễn Thị Lan" in notice and "chặn bot" in notice
    assert await walk.at(24) == 2  # Hùng and the zone officer: Lan is no longer planned for


async def test_network_errors_are_retried_later(
    chat: Chat,
    session: AsyncSession,
    clock: Clock,
    world: Tree,
    lan: ChannelUser,
) -> None:
    chat.api.failures[str(lan.user_id)] = [(502, "Bad Gateway", {})]
    walk = Walk(chat, clock)
    await walk.at(22)
    assert walk.texts(lan) == []
    clock.now += timedelta(seconds=31)
    await jobs.drain(chat.app.bot_data, chat.app.bot)
    assert len(walk.texts(lan)) == 1


async def test_a_crash_between_claim_and_confirm_loses_nothing(
    chat: Chat,
    uow: UnitOfWork,
    session: AsyncSession,
    clock: Clock,
    world: Tree,
    lan: ChannelUser,
) -> None:
    from services import outbox

    clock.set_local(2026, 11, 22, 8)
    context = type("Ctx", (), {"bot_data": chat.app.bot_data, "bot": chat.app.bot})
    await reminder_jobs.plan_tick(context)  # type: ignore[arg-type]
    async with uow() as own:
        claimed = await outbox.claim(own, clock.now, 10)  # the process dies here
    assert len(claimed) == 3
    async with uow() as own:
        assert await outbox.recover(own) == 3  # at start-up
    result = await jobs.drain(chat.app.bot_data, chat.app.bot)
    assert result.sent == 3 and len(Walk(chat, clock).texts(lan)) == 1
