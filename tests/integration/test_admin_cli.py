"""The admin CLI against the test database: invite with link and QR, lists, revoke, import."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Invite, Person, ReportUnlock, utcnow
from testkit.env import TEST_SECRET, concern_key_env
from testkit.org import make_tree
from tests.integration.conftest import cli


async def test_invite_prints_code_link_and_writes_a_qr(
    cli_env: Path, session: AsyncSession, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = await make_tree(session)
    assert (
        await cli("invite", "--role", "officer", "--unit", tree.union.code, "--qr", "qr.png") == 0
    )
    out = capsys.readouterr().out
    assert "Mã mời:" in out and "Cấp quyền: Cán bộ CĐCS Công ty May Hà Phong" in out
    code = next(line.split(": ")[1] for line in out.splitlines() if line.startswith("Mã mời"))
    assert f"https://t.me/congdoan_test_bot?start={code.replace('-', '')}" in out
    with Image.open(cli_env / "qr.png") as image:
        assert image.size[0] > 100
    invite = await session.scalar(select(Invite))
    assert invite is not None and invite.created_by.startswith("cli")


async def test_invite_for_an_unknown_unit_fails_clearly(
    cli_env: Path, session: AsyncSession, capsys: pytest.CaptureFixture[str]
) -> None:
    await make_tree(session)
    assert await cli("invite", "--role", "officer", "--unit", "NOPE") == 1
    assert "Không có đơn vị hoặc cấp tổ chức mã NOPE" in capsys.readouterr().err
    assert await cli("invite", "--role", "committee") == 1
    assert "cần có cấp tổ chức" in capsys.readouterr().err


async def test_list_units_and_people_and_revoke(
    cli_env: Path, session: AsyncSession, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = await make_tree(session)
    assert await cli("list-units", "--under", tree.zone.code) == 0
    out = capsys.readouterr().out
    assert "CDCS-01" in out and "CB-01" in out and "3 đơn vị" in out
    # A header line, and the kinds in Vietnamese rather than the codes of the database.
    header = out.splitlines()[0].split()
    assert header[:2] == ["Mã", "Loại"] and "Tên" in header
    assert "Công đoàn cơ sở" in out and "Chi bộ" in out and "trade_union" not in out
    session.add(Person(display_name="Trần Văn Hùng"))
    await session.commit()
    person_id = await session.scalar(select(Person.id))
    assert await cli("revoke", str(person_id)) == 0
    assert "Đã thu hồi quyền: Trần Văn Hùng" in capsys.readouterr().out
    await make_person_with_role(session, tree.union.id)
    assert await cli("list-people") == 0
    people = capsys.readouterr().out
    assert "đã thu hồi" in people
    assert people.splitlines()[0].split()[:4] == ["Mã", "số", "Họ", "tên"]
    assert "Cán bộ: CDCS-01" in people and "officer:" not in people
    assert await cli("revoke", "999999") == 1


async def make_person_with_role(session: AsyncSession, unit_id: int) -> int:
    from testkit.org import make_person

    return await make_person(session, 5550001, "Nguyễn Thị Lan", units=(unit_id,))


async def test_list_nodes_shows_the_tree_with_vietnamese_kinds(
    cli_env: Path, session: AsyncSession, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = await make_tree(session)
    assert await cli("list-nodes") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["Mã", "Loại"]
    body = "\n".join(lines)
    assert "Tỉnh" in body and "Khu công nghiệp" in body and "Doanh nghiệp" in body
    assert "industrial_zone" not in body and "enterprise" not in body
    # Indented under their parent, in tree order.
    codes = [line.split()[0] for line in lines[1:-1]]
    assert codes == [tree.province.code, tree.zone.code, "DN-01", "DN-02"]
    assert lines[-1] == "4 cấp tổ chức"
    assert await cli("list-nodes", "--under", tree.zone.code) == 0
    under = capsys.readouterr().out
    assert tree.province.code not in under.split() and "3 cấp tổ chức" in under
    assert await cli("list-nodes", "--under", "NOPE") == 1


async def test_counts_of_one_are_singular_in_english(
    cli_env: Path,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await make_tree(session)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    assert await cli("list-units", "--under", "DN-02") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 unit"
    assert await cli("list-units") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "3 units"


async def test_health_reports_ok_on_a_migrated_database(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli("health") == 0
    assert capsys.readouterr().out.strip() == "ok"


async def test_import_reports_bad_rows_with_line_numbers(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = cli_env / "bad.csv"
    bad.write_text(
        "kind,code,name,parent_code\n"
        "province,BG,Tỉnh Bắc Giang,\n"
        "enterprise,DN-9,Công ty X,NOWHERE\n",
        encoding="utf-8",
    )
    assert await cli("import-org", str(bad)) == 1
    err = capsys.readouterr().err
    assert "Chưa nhập dữ liệu nào" in err and "dòng 3" in err


async def test_unlock_reopens_a_locked_period(
    cli_env: Path, session: AsyncSession, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = await make_tree(session)
    assert await cli("unlock", "--unit", tree.union.code, "--period", "2026-10", "--days", "3") == 0
    assert "Đã mở lại tháng 10/2026 cho CDCS-01" in capsys.readouterr().out
    unlock = await session.scalar(select(ReportUnlock))
    assert (
        unlock is not None and unlock.period == "2026-10" and unlock.unlocked_by.startswith("cli")
    )
    assert await cli("unlock", "--unit", tree.union.code, "--period", "tháng 10") == 1
    assert "2026-10" in capsys.readouterr().err
    assert await cli("unlock", "--unit", "NOPE", "--period", "2026-10") == 1


async def test_without_a_bot_name_the_console_bot_is_named(
    cli_env: Path,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No token and no BOT_USERNAME is console mode: links name the console's bot, never a
    literal placeholder."""
    tree = await make_tree(session)
    monkeypatch.delenv("BOT_USERNAME", raising=False)
    assert await cli("invite", "--role", "officer", "--unit", tree.union.code) == 0
    out = capsys.readouterr().out
    assert "https://t.me/demo_congdoan_bot?start=" in out and "<BOT_USERNAME>" not in out
    assert await cli("posters", "--enterprise", tree.enterprise.code) == 0
    with Image.open(cli_env / "posters" / f"{tree.enterprise.code}.png") as image:
        assert image.size == (1240, 1754)


async def test_with_a_token_but_no_bot_name_links_and_qr_codes_are_refused(
    cli_env: Path,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tree = await make_tree(session)
    monkeypatch.delenv("BOT_USERNAME", raising=False)
    monkeypatch.setenv("BOT_TOKEN", "123456:ABCdef_ghi-jkl")
    assert await cli("invite", "--role", "officer", "--unit", tree.union.code) == 1
    err = capsys.readouterr().err
    assert "Chưa đặt BOT_USERNAME" in err
    assert await session.scalar(select(Invite)) is None  # no code wasted
    assert await cli("posters", "--under", tree.zone.code) == 1
    assert "Chưa đặt BOT_USERNAME" in capsys.readouterr().err
    assert not (cli_env / "invites").exists() and not (cli_env / "posters").exists()
    # A code alone (Zalo-only bots have no Telegram link): asked for, it is given.
    assert await cli("invite", "--role", "officer", "--unit", tree.union.code, "--no-link") == 0
    out = capsys.readouterr().out
    assert "Mã mời:" in out and "t.me" not in out
    assert not (cli_env / "invites").exists()


async def test_an_invite_qr_carries_a_caption(
    cli_env: Path, session: AsyncSession, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = await make_tree(session)
    assert await cli("invite", "--role", "officer", "--unit", tree.union.code, "--days", "3") == 0
    out = capsys.readouterr().out
    code = next(line.split(": ")[1] for line in out.splitlines() if line.startswith("Mã mời"))
    expiry = next(line.split(": ")[1] for line in out.splitlines() if line.startswith("Hiệu lực"))
    path = cli_env / "invites" / f"{code.replace('-', '')}.png"
    with Image.open(path) as image:
        caption = image.info["Description"]
        assert code in caption and "CĐCS Công ty May Hà Phong" in caption and expiry in caption
        # Below the QR code, the caption is drawn: dark pixels in the bottom band.
        assert image.height > image.width
        band = image.convert("L").crop((0, image.width, image.width, image.height))
        assert band.getextrema()[0] < 100


async def test_posters_for_every_enterprise_or_one(
    cli_env: Path, session: AsyncSession, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = await make_tree(session)
    assert await cli("posters", "--under", tree.zone.code, "--out", "out") == 0
    out = capsys.readouterr().out
    assert "2 áp phích" in out
    for code in (tree.enterprise.code, tree.small_enterprise.code):
        with Image.open(cli_env / "out" / f"{code}.png") as image:
            assert image.size == (1240, 1754)
    assert await cli("posters", "--enterprise", "NOPE") == 1


async def test_text_key_rotation_re_encrypts_and_reseal_needs_the_old_key(
    cli_env: Path,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from services import anonymity, concerns

    tree = await make_tree(session)
    old = concern_key_env()
    for name, value in old.items():
        monkeypatch.setenv(name, value)
    keys = anonymity.ConcernKeys.from_strings(
        text_key=old["CONCERN_TEXT_KEY"],
        receipt_pepper=old["RECEIPT_PEPPER"],
        rate_secret=TEST_SECRET,
        push_public_key=old["CONCERN_PUSH_PUBLIC_KEY"],
        push_private_key=old["CONCERN_PUSH_PRIVATE_KEY"],
    )
    config = concerns.load_concern_config()
    await concerns.submit_concern(
        session,
        enterprise_id=tree.enterprise.id,
        category="wages",
        text="Lương chậm.",
        subject="s",
        keys=keys,
        today=utcnow().date(),
        config=config,
    )
    new = concern_key_env()
    monkeypatch.setenv("CONCERN_TEXT_KEY", new["CONCERN_TEXT_KEY"])
    monkeypatch.setenv("CONCERN_TEXT_KEYS_OLD", old["CONCERN_TEXT_KEY"])
    assert await cli("rotate-concern-keys") == 0
    assert "1 nội dung" in capsys.readouterr().out
    assert await cli("reseal-concern-push") == 1
    assert "OLD_CONCERN_PUSH_PRIVATE_KEY" in capsys.readouterr().err
