"""Which one account scheduled messages go to, for people on several channels: reminders,
zone escalations, digests and concern notices, by the channels a process serves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import load_reporting_setup
from infra.settings import Settings
from models import ChannelAccount, Person, ReportingUnit, Role, UnitKind
from services import access, linking, registration, reminders
from services.access import AccountChoice, Identity, pick_account
from services.reminders import load_reminder_config
from services.reporting import ReportingSetup
from testkit.env import TEST_SECRET
from testkit.org import Tree, make_person, make_tree

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
SECRET = TEST_SECRET.encode()


def local(day: int, hour: int = 8, minute: int = 5, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=HANOI).astimezone(UTC)


@pytest.fixture
def setup(database_url: str) -> ReportingSetup:
    return load_reporting_setup(Settings(_env_file=None, database_url=database_url))  # type: ignore[call-arg]


async def add_account(session: AsyncSession, person_id: int, channel: str, external: int) -> None:
    session.add(
        ChannelAccount(
            person_id=person_id,
            channel=channel,
            external_id=str(external),
            chat_id=str(external),
        )
    )
    await session.commit()


async def prefer(session: AsyncSession, person_id: int, channel: str | None) -> None:
    await session.execute(
        update(Person).where(Person.id == person_id).values(preferred_channel=channel)
    )
    await session.commit()


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


@pytest.fixture
async def lan(session: AsyncSession, tree: Tree) -> int:
    """An officer registered on Telegram, then linked on Zalo."""
    person = await make_person(session, 101, "Nguyễn Thị Lan", units=(tree.union.id,))
    await add_account(session, person, "zalo", 9101)
    return person


def test_pick_account_rules() -> None:
    tg = AccountChoice("telegram", "1", True)
    zl = AccountChoice("zalo", "2", True)
    both = ("telegram", "zalo")
    assert pick_account([tg, zl], None, both) == tg  # unset: the first registered channel
    assert pick_account([zl, tg], None, both) == zl
    assert pick_account([tg, zl], "zalo", both) == zl
    assert pick_account([tg, zl], "zalo", ("telegram",)) == tg  # zalo not served here
    assert pick_account([tg, zl], "telegram", ("zalo",)) == zl
    assert pick_account([tg], "zalo", ("zalo",)) is None
    blocked = AccountChoice("zalo", "2", False)
    assert pick_account([tg, blocked], "zalo", both) == tg  # blocked there: the other one
    assert pick_account([tg, AccountChoice("zalo", None, True)], "zalo", both) == tg
    assert pick_account([], "zalo", both) is None


async def test_delivery_targets_follow_the_choice_and_what_is_served(
    session: AsyncSession, lan: int
) -> None:
    async def where(channels: list[str] | str) -> list[tuple[str, str]]:
        targets = await access.chat_targets(session, [lan, lan], channels)
        return [(t.channel, t.chat_id) for t in targets]

    assert await where(["telegram", "zalo"]) == [("telegram", "101")]
    assert await where("telegram") == [("telegram", "101")]  # the old single-channel call
    assert await where(["zalo"]) == [("zalo", "9101")]
    await prefer(session, lan, "zalo")
    assert await where(["telegram", "zalo"]) == [("zalo", "9101")]
    assert await where(["telegram"]) == [("telegram", "101")]
    await session.execute(
        update(ChannelAccount).where(ChannelAccount.channel == "zalo").values(reachable=False)
    )
    await session.commit()
    assert await where(["telegram", "zalo"]) == [("telegram", "101")]
    await access.revoke_person(session, lan, actor="test")
    assert await where(["telegram", "zalo"]) == []


async def test_reminders_reach_each_officer_once_on_the_chosen_channel(
    session: AsyncSession, setup: ReportingSetup, tree: Tree, lan: int
) -> None:
    hung = await make_person(session, 102, "Trần Văn Hùng", units=(tree.other_union.id,))
    zalo_only = await make_person(
        session, 9103, "Lê Thu", units=(tree.other_union.id,), channel="zalo"
    )
    await prefer(session, lan, "zalo")
    config = load_reminder_config()
    due, _ = await reminders.plan(session, setup, config, local(22), ["telegram", "zalo"])
    sent = sorted((d.recipient.person_id, d.recipient.channel, d.recipient.chat_id) for d in due)
    assert sent == sorted(
        [(lan, "zalo", "9101"), (hung, "telegram", "102"), (zalo_only, "zalo", "9103")]
    )
    # A Telegram-only process: Lan on Telegram, the Zalo-only officer not at all.
    due, _ = await reminders.plan(session, setup, config, local(22), "telegram")
    sent = sorted((d.recipient.person_id, d.recipient.channel) for d in due)
    assert sent == sorted([(lan, "telegram"), (hung, "telegram")])


async def test_zone_escalations_and_digests_pick_one_account(
    session: AsyncSession, setup: ReportingSetup, tree: Tree
) -> None:
    zone_union = ReportingUnit(
        code="CD-KCN-QC",
        kind=UnitKind.ZONE_UNION,
        name="Công đoàn KCN Quang Châu",
        org_node_id=tree.zone.id,
    )
    session.add(zone_union)
    await session.commit()
    minh = await make_person(session, 201, "Lê Minh", units=(zone_union.id,))
    await add_account(session, minh, "zalo", 9201)
    await prefer(session, minh, "zalo")
    member = await make_person(
        session, 202, "Phạm Hà", role=Role.COMMITTEE, node_id=tree.province.id
    )
    await add_account(session, member, "zalo", 9202)

    config = load_reminder_config()
    escalation_day = local(25) + timedelta(days=config.escalation.days)
    _, escalations = await reminders.plan(
        session, setup, config, escalation_day, ["telegram", "zalo"]
    )
    assert escalations
    assert {(e.recipient.person_id, e.recipient.channel) for e in escalations} == {(minh, "zalo")}

    digest_day = local(26)  # monthly digest: the day after the due day, 08:00
    digests = await reminders.plan_digests(session, setup, config, digest_day, ["telegram", "zalo"])
    assert digests
    assert {(d.recipient.person_id, d.recipient.channel) for d in digests} == {
        (member, "telegram")  # never chose: the channel of the first account
    }
    assert len(digests) == len({d.period_key for d in digests})  # one per period, not per channel


async def test_preferred_channel_needs_an_account_there(session: AsyncSession, tree: Tree) -> None:
    person = await make_person(session, 301, "Đỗ Tú", units=(tree.union.id,))
    with pytest.raises(linking.UnknownChannel):
        await linking.set_preferred_channel(session, person, "zalo")
    choice = await linking.channel_choice(session, person)
    assert (choice.channels, choice.preferred, choice.current) == (["telegram"], None, "telegram")


async def test_a_link_code_is_single_use_under_a_double_confirm(
    session: AsyncSession, tree: Tree, lan: int
) -> None:
    """The same account confirming twice links once; another account is then refused."""
    await session.execute(
        ChannelAccount.__table__.delete().where(ChannelAccount.channel == "zalo")  # type: ignore[attr-defined]
    )
    await session.commit()
    issued = await linking.issue_link_code(
        session, SECRET, Identity("telegram", "101", "101", "Lan")
    )
    new = Identity("zalo", "9999", "9999", "Lan")
    offer = await registration.check_any_code(session, SECRET, issued.code, new)
    assert isinstance(offer, linking.LinkOffer)
    first = await linking.accept_link(session, offer.link_id, new, notice="x")
    second = await linking.accept_link(session, offer.link_id, new, notice="x")
    assert first.viewer.person_id == second.viewer.person_id == lan
    with pytest.raises(linking.LinkUsed):
        await linking.accept_link(session, offer.link_id, Identity("zalo", "8888", "8888", "X"))
    # An invite-code check never accepts a link code.
    fresh = await linking.issue_link_code(
        session, SECRET, Identity("telegram", "101", "101", "Lan")
    )
    with pytest.raises(registration.CodeInvalid):
        await registration.check_code(session, SECRET, fresh.code, Identity("zalo", "7", "7", "Y"))
