"""The office's commands in the chat (issue 16): /moi, /mokhoa, /chuabaocao, /quantri, for
administrators and, in their own zone, the zone union's officers — through the real
Application, with forged buttons and typed codes refused from the database."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import load_reporting_setup
from bot.channels.console import make_console
from infra.channel_updates import ChannelUser
from infra.settings import Settings
from models import (
    Invite,
    NodeKind,
    OrgNode,
    OutboxMessage,
    Report,
    ReportingUnit,
    ReportUnlock,
    Role,
    RoleAssignment,
    UnitKind,
)
from models.db import UnitOfWork
from services import demo
from services.invites import create_invite
from services.reporting import current_version_id
from testkit.chat import Chat, Clock
from testkit.org import Ref, Tree, make_person, make_tree, ref
from testkit.zalo_chat import ZaloChat, register

ADMIN = ChannelUser(7770001, "Thu Hà", "Phạm", language_code="vi")
ZONE = ChannelUser(7770002, "Minh", "Đỗ", language_code="vi")  # Công đoàn KCN Quang Châu
LAN = ChannelUser(7770003, "Lan", "Nguyễn", language_code="vi")  # officer of CDCS-01
NEWCOMER = ChannelUser(7770009, "Tú", "Lê", language_code="vi")
ZALO_ADMIN = "9f8e7d6c5b4a39281706"  # Zalo ids are strings


@dataclass(frozen=True)
class World:
    tree: Tree
    zone_union: Ref  # CDKCN-QC, on the zone KCN Quang Châu
    other_zone: Ref  # KCN Đình Trám
    other_enterprise: Ref
    other_union: Ref  # CDCS-03, in KCN Đình Trám
    other_zone_union: Ref
    admin: int
    zone_officer: int
    lan: int


async def world(session: AsyncSession) -> World:
    tree = await make_tree(session)
    province = await session.get(OrgNode, tree.province.id)
    assert province is not None
    zone2 = OrgNode(
        code="KCN-DT", kind=NodeKind.INDUSTRIAL_ZONE, name="KCN Đình Trám", parent_id=province.id
    )
    session.add(zone2)
    await session.flush()
    zone2.path = f"{province.path}{zone2.id}/"
    enterprise = OrgNode(
        code="DN-03", kind=NodeKind.ENTERPRISE, name="Công ty Điện tử Sao Mai", parent_id=zone2.id
    )
    session.add(enterprise)
    await session.flush()
    enterprise.path = f"{zone2.path}{enterprise.id}/"
    zone_union = ReportingUnit(
        code="CDKCN-QC",
        kind=UnitKind.ZONE_UNION,
        name="Công đoàn KCN Quang Châu",
        org_node_id=tree.zone.id,
    )
    union3 = ReportingUnit(
        code="CDCS-03",
        kind=UnitKind.TRADE_UNION,
        name="CĐCS Công ty Điện tử Sao Mai",
        org_node_id=enterprise.id,
    )
    zone_union2 = ReportingUnit(
        code="CDKCN-DT",
        kind=UnitKind.ZONE_UNION,
        name="Công đoàn KCN Đình Trám",
        org_node_id=zone2.id,
    )
    session.add_all([zone_union, union3, zone_union2])
    await session.commit()
    refs = {
        "zone_union": ref(zone_union),
        "other_zone": ref(zone2),
        "other_enterprise": ref(enterprise),
        "other_union": ref(union3),
        "other_zone_union": ref(zone_union2),
    }
    admin = await make_person(session, ADMIN.user_id, "Phạm Thu Hà", role=Role.ADMIN)
    zone_officer = await make_person(
        session, ZONE.user_id, "Đỗ Minh", units=(refs["zone_union"].id,)
    )
    lan = await make_person(session, LAN.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))
    return World(tree, **refs, admin=admin, zone_officer=zone_officer, lan=lan)


async def invites(session: AsyncSession) -> list[Invite]:
    session.expire_all()
    return list((await session.scalars(select(Invite).order_by(Invite.id))).all())


def invite_code(text: str) -> str:
    found = re.search(r"start=([A-Z0-9]{8})", text)
    assert found, text
    return found.group(1)


async def test_an_admin_invites_an_officer_down_the_tree_and_the_invite_registers(
    chat: Chat, session: AsyncSession
) -> None:
    w = await world(session)
    roles = await chat.send(ADMIN, "/moi")
    assert "Bạn muốn mời ai?" in roles
    assert [b["text"] for b in chat.last_with_buttons(ADMIN).buttons] == [
        "👤 Cán bộ một đơn vị",
        "🏛 Thành viên Ban Chỉ đạo",
        "🔑 Quản trị viên",
    ]
    top = await chat.press(ADMIN, "Cán bộ một đơn vị")
    assert "Chọn đơn vị mà cán bộ mới sẽ báo cáo — Tỉnh Bắc Giang" in top
    assert "/moi CDCS-01" in top
    await chat.press(ADMIN, "KCN Quang Châu")
    labels = [b["text"] for b in chat.last_with_buttons(ADMIN).buttons]
    assert "Công đoàn KCN Quang Châu (CDKCN-QC)" in labels  # the zone's own union
    assert "◀ Quay lại" in labels
    await chat.press(ADMIN, "Công ty TNHH May Hà Phong")
    before = len(chat.api.calls)
    sent = await chat.press(ADMIN, "CĐCS Công ty May Hà Phong (CDCS-01)")
    assert "🎟 Lời mời dùng bot báo cáo" in sent
    assert "Vai trò: Cán bộ — CĐCS Công ty May Hà Phong" in sent
    assert "Mã mời: " in sent and "dùng một lần" in sent
    code = invite_code(sent)
    assert f"https://t.me/test_bot?start={code}" in sent
    assert f"/start {code[:4]}-{code[4:]}" in sent
    (photo,) = [c for c in chat.api.calls[before:] if c.method == "sendPhoto"]
    assert photo.chat_id == str(ADMIN.user_id)
    (picture,) = photo.files.values()
    assert picture[1].startswith(b"\x89PNG")
    assert f"Mã mời: {code[:4]}-{code[4:]}" in photo.text

    (made,) = await invites(session)
    assert made.role is Role.OFFICER and made.reporting_unit_id == w.tree.union.id
    assert made.created_by == f"person:{w.admin}"
    # The invite works: the newcomer registers with the deep link.
    assert "Mã này cấp cho bạn vai trò" in await chat.send(NEWCOMER, f"/start {code}")
    assert "Đăng ký thành công" in await chat.press(NEWCOMER, "Xác nhận")


async def test_an_admin_invites_a_committee_member_and_an_administrator(
    chat: Chat, session: AsyncSession
) -> None:
    w = await world(session)
    await chat.send(ADMIN, "/moi")
    await chat.press(ADMIN, "Thành viên Ban Chỉ đạo")
    labels = [b["text"] for b in chat.last_with_buttons(ADMIN).buttons]
    assert labels[0] == "✅ Chọn cấp này: Tỉnh Bắc Giang"
    assert not any("(CDCS" in label for label in labels)  # levels, not units
    await chat.press(ADMIN, "KCN Đình Trám")
    # No enterprise is a committee's level.
    assert [b["text"] for b in chat.last_with_buttons(ADMIN).buttons] == [
        "✅ Chọn cấp này: KCN Đình Trám",
        "◀ Quay lại",
    ]
    sent = await chat.press(ADMIN, "Chọn cấp này")
    assert "Vai trò: Thành viên Ban Chỉ đạo — KCN Đình Trám" in sent
    await chat.send(ADMIN, "/moi")
    assert "Vai trò: Quản trị viên" in await chat.press(ADMIN, "Quản trị viên")
    committee, admin = await invites(session)
    assert committee.role is Role.COMMITTEE and committee.org_node_id == w.other_zone.id
    assert admin.role is Role.ADMIN


async def test_a_zone_officer_invites_in_their_zone_only(chat: Chat, session: AsyncSession) -> None:
    w = await world(session)
    # No choice of role: straight to their zone.
    level = await chat.send(ZONE, "/moi")
    assert "Chọn đơn vị mà cán bộ mới sẽ báo cáo — KCN Quang Châu" in level
    labels = [b["text"] for b in chat.last_with_buttons(ZONE).buttons]
    assert "◀ Quay lại" not in labels  # nothing above their zone
    assert not any("Đình Trám" in label for label in labels)
    await chat.press(ZONE, "Công ty CP Bao bì Nhật Minh")
    sent = await chat.press(ZONE, "CĐCS Công ty Bao bì Nhật Minh")
    assert "Vai trò: Cán bộ — CĐCS Công ty Bao bì Nhật Minh" in sent
    assert "Mã mời: " in await chat.send(ZONE, "/moi cdcs-01")  # typed, any case
    assert len(await invites(session)) == 2

    # Another zone's unit: refused by a forged button, a forged level and a typed code.
    refusal = "không thuộc khu của bạn"
    assert refusal in await chat.callback(ZONE, f"ofc:v1:pick:o:{w.other_union.id}")
    assert refusal in await chat.callback(ZONE, f"ofc:v1:nav:o:{w.other_zone.id}:0")
    assert refusal in await chat.callback(ZONE, f"ofc:v1:nav:o:{w.tree.province.id}:0")
    assert refusal in await chat.send(ZONE, "/moi CDCS-03")
    assert refusal in await chat.send(ZONE, "/moi KCN-DT")
    # Nor other roles, nor reopening, nor the console.
    admins_only = "Chỉ quản trị viên của cơ quan thường trực"
    assert admins_only in await chat.callback(ZONE, "ofc:v1:role:a")
    assert admins_only in await chat.callback(ZONE, f"ofc:v1:pick:c:{w.tree.zone.id}")
    assert admins_only in await chat.send(ZONE, "/mokhoa CDCS-01")
    assert admins_only in await chat.callback(ZONE, f"ofc:v1:unlock:{w.tree.union.id}:2026-10")
    assert "chỉ dành cho quản trị viên" in await chat.send(ZONE, "/quantri")
    assert len(await invites(session)) == 2
    assert await session.scalar(select(func.count()).select_from(ReportUnlock)) == 0

    # An ordinary officer administers nothing; a revoked zone officer neither.
    staff_only = "Lệnh này dành cho quản trị viên của cơ quan thường trực và cán bộ công đoàn KCN"
    assert staff_only in await chat.send(LAN, "/moi")
    assert staff_only in await chat.callback(LAN, f"ofc:v1:pick:o:{w.tree.union.id}")
    role = await session.scalar(
        select(RoleAssignment).where(RoleAssignment.person_id == w.zone_officer)
    )
    assert role is not None
    role.revoked_at = datetime.now(UTC)
    await session.commit()
    assert staff_only in await chat.callback(ZONE, f"ofc:v1:pick:o:{w.tree.union.id}")
    assert len(await invites(session)) == 2


async def test_help_shows_the_office_commands_to_whom_may_use_them(
    chat: Chat, session: AsyncSession
) -> None:
    await world(session)
    admin_help = await chat.send(ADMIN, "/help")
    for command in ("/moi", "/mokhoa", "/chuabaocao", "/quantri"):
        assert command in admin_help
    zone_help = await chat.send(ZONE, "/help")
    assert "/moi" in zone_help and "/chuabaocao" in zone_help
    assert "/mokhoa" not in zone_help and "/quantri" not in zone_help
    officer_help = await chat.send(LAN, "/help")
    assert "/moi" not in officer_help and "/chuabaocao" not in officer_help
    assert "/chuabaocao" in await chat.send(ZONE, "/start")  # the menu after /start too


async def test_an_admin_reopens_a_locked_month_and_the_officers_are_told(
    chat: Chat, session: AsyncSession, clock: Clock
) -> None:
    w = await world(session)
    clock.set_local(2026, 11, 20)  # October locked on 10 November
    months = await chat.send(ADMIN, "/mokhoa CDCS-01")
    assert "Mở lại tháng nào của CĐCS Công ty May Hà Phong (trong 7 ngày)?" in months
    labels = [b["text"] for b in chat.last_with_buttons(ADMIN).buttons]
    assert labels[0] == "tháng 10/2026" and "tháng 11/2026" not in labels
    done = await chat.press(ADMIN, "tháng 10/2026")
    assert "Đã mở lại kỳ báo cáo tháng 10/2026 của CĐCS Công ty May Hà Phong" in done
    assert "Đã báo cho cán bộ của đơn vị: 1 người." in done
    session.expire_all()
    unlock = await session.scalar(select(ReportUnlock))
    assert unlock is not None and unlock.reporting_unit_id == w.tree.union.id
    assert unlock.period == "2026-10" and unlock.unlocked_by == f"person:{w.admin}"
    (notice,) = (await session.scalars(select(OutboxMessage))).all()
    assert notice.person_id == w.lan and notice.chat_id == str(LAN.user_id)
    assert notice.text.startswith("🔓 Cơ quan thường trực đã mở lại kỳ báo cáo tháng 10/2026")
    assert notice.buttons == [
        [{"text": "📝 Báo cáo ngay", "callback_data": f"rpt:v1:open:{w.tree.union.id}:2026-10"}]
    ]
    # The month still open is not "reopened"; down the tree works as the typed code.
    assert "chưa khóa" in await chat.callback(ADMIN, f"ofc:v1:unlock:{w.tree.union.id}:2026-11")
    await chat.send(ADMIN, "/mokhoa")
    await chat.press(ADMIN, "KCN Quang Châu")
    await chat.press(ADMIN, "Công ty CP Bao bì Nhật Minh")
    assert "Mở lại tháng nào của CĐCS Công ty Bao bì Nhật Minh" in await chat.press(
        ADMIN, "CDCS-02"
    )


async def test_missing_reports_in_scope_with_their_officers(
    chat: Chat, session: AsyncSession, clock: Clock, settings: Settings
) -> None:
    w = await world(session)
    clock.set_local(2026, 11, 20)
    setup = load_reporting_setup(settings)
    session.add(
        Report(
            reporting_unit_id=w.tree.other_union.id,
            period="2026-11",
            indicator_set_version_id=await current_version_id(session, setup, UnitKind.TRADE_UNION),
            submitted_at=clock.now,
            submitted_by_person_id=w.lan,
        )
    )
    await session.commit()
    everything = await chat.send(ADMIN, "/chuabaocao")
    assert "Chưa báo cáo tháng 11/2026 — Tỉnh Bắc Giang: 5" in everything
    listed = set(re.findall(r"\((C[A-Z]+-[A-Z0-9]+)\)", everything))
    assert listed == {"CDCS-01", "CB-01", "CDKCN-QC", "CDCS-03", "CDKCN-DT"}
    assert (
        "• CĐCS Công ty May Hà Phong (CDCS-01) — KCN Quang Châu\n   – Nguyễn Thị Lan (Telegram)"
        in everything
    )
    assert (
        "Chi bộ Công ty May Hà Phong (CB-01) — KCN Quang Châu\n   chưa có cán bộ đăng ký"
        in everything
    )

    mine = await chat.send(ZONE, "/chuabaocao")
    assert "Chưa báo cáo tháng 11/2026 — KCN Quang Châu: 3" in mine
    assert set(re.findall(r"\((C[A-Z]+-[A-Z0-9]+)\)", mine)) == {"CDCS-01", "CB-01", "CDKCN-QC"}
    assert "Đỗ Minh (Telegram)" in mine and "Đình Trám" not in mine
    staff_only = "Lệnh này dành cho quản trị viên"
    assert staff_only in await chat.send(LAN, "/chuabaocao")


async def test_quantri_gives_a_one_time_console_link_to_admins_only(
    chat: Chat, session: AsyncSession, pages_url: str
) -> None:
    await world(session)
    answer = await chat.send(ADMIN, "/quantri")
    assert "dùng được một lần, trong 30 phút" in answer
    found = re.search(r"(http://\S+/office/l/\S+)", answer)
    assert found, answer
    async with httpx.AsyncClient() as client:
        first = await client.post(found.group(1))
        assert first.status_code == 303 and first.headers["location"] == "/office"
        again = await client.post(found.group(1))
        assert again.status_code == 410
    assert "chỉ dành cho quản trị viên" in await chat.send(LAN, "/quantri")
    assert "chỉ dành cho quản trị viên" in await chat.send(ZONE, "/quantri")


async def test_quantri_without_public_pages_says_how_to_get_a_link(
    chat: Chat, session: AsyncSession
) -> None:
    await world(session)
    chat.app.bot_data.pages_url = None
    assert "login-link" in await chat.send(ADMIN, "/quantri")


async def test_the_numbered_list_path_in_the_console(
    settings: Settings, uow: UnitOfWork, session: AsyncSession, clock: Clock
) -> None:
    setup = load_reporting_setup(settings)
    await demo.seed(session, settings.secret, setup, clock.now)
    out = io.StringIO()
    console = make_console(settings, uow, setup, clock=clock, out=out)
    application = console.application
    async with application:
        await application.start()

        async def choose(label: str) -> None:
            shown = out.getvalue().splitlines()
            lines = [x for x in reversed(shown) if re.match(rf"\s+\d+\. .*{label}", x)]
            assert lines, out.getvalue()
            line = lines[0]
            await console.handle_line(line.strip().split(".")[0])

        await console.handle_line("/as admin")
        await console.handle_line("/moi")
        await choose("Cán bộ một đơn vị")
        assert "Gõ số của lựa chọn." in out.getvalue()
        await choose("Khu công nghiệp Quế Võ")
        await choose("Công đoàn KCN Quế Võ")
        await application.stop()
    text = out.getvalue()
    assert "Vai trò: Cán bộ — Công đoàn KCN Quế Võ" in text
    assert "📎" in text  # the QR card, kept as a file
    made = (await session.scalars(select(Invite).order_by(Invite.id.desc()))).first()
    zone_union = await session.scalar(
        select(ReportingUnit.id).where(ReportingUnit.code == "CDKCN-QV")
    )
    assert made is not None and made.reporting_unit_id == zone_union


async def test_an_admin_on_zalo_invites_by_numbers_and_gets_the_card_by_link(
    zalo: ZaloChat,
    session: AsyncSession,
    settings: Settings,
) -> None:
    w = await world(session)
    await create_invite(
        session, settings.secret, role=Role.ADMIN, actor="test", valid_days=14, code="ZALQ2345"
    )
    assert "Đăng ký thành công" in await register(zalo, ZALO_ADMIN, "ZALQ2345")
    roles = await zalo.send(ZALO_ADMIN, "/moi")
    assert "1. 👤 Cán bộ một đơn vị" in roles
    top = await zalo.send(ZALO_ADMIN, "1")
    assert "Gõ số của lựa chọn." in top and "1. 📂 KCN Quang Châu" in top
    zone = await zalo.send(ZALO_ADMIN, "1")
    number = next(
        line.strip().split(".")[0]
        for line in zone.splitlines()
        if "Công đoàn KCN Quang Châu (CDKCN-QC)" in line
    )
    sent = await zalo.send(ZALO_ADMIN, number)
    assert "Vai trò: Cán bộ — Công đoàn KCN Quang Châu" in sent
    assert "nhắn cho bot tin /start " in sent
    (photo,) = zalo.api.wait_for("sendPhoto")  # the QR card, by URL from this server
    assert str(photo["photo"]).startswith(zalo.base_url + "/files/")
    made = (await invites(session))[-1]
    assert made.reporting_unit_id == w.zone_union.id
    # Without a public address Zalo cannot fetch pictures: the invite comes as text alone.
    zalo.app.bot_data.pages_url = None
    alone = await zalo.send(ZALO_ADMIN, "/moi CDCS-02")
    assert "Vai trò: Cán bộ — CĐCS Công ty Bao bì Nhật Minh" in alone
    assert zalo.api.count("sendPhoto") == 1
    assert "lỗi" not in alone.lower()
