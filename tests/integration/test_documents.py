"""The committee's quarterly and yearly report as a Word document, from the demo province: the
title, every table's figures against the digest service, the Vietnamese number formats, an
edited template, a broken tag named, and the admin CLI."""

from __future__ import annotations

import asyncio
import re
import shutil
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from sqlalchemy.ext.asyncio import AsyncSession

from bot import admin
from handlers.digests.labels import count, percent, suppressed
from handlers.documents.render import context as document_context
from handlers.documents.render import render_docx, render_report, soffice
from services import demo, documents
from services.concerns import load_concern_config
from services.digests import Digest
from services.indicators import load_indicator_config
from services.periods import load_calendar
from services.reporting import ReportingSetup, local_date
from services.targets import load_targets
from testkit.env import TEST_SECRET, concern_key_env

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2027, 1, 20, 9, tzinfo=HANOI)  # the demo's history covers the fourth quarter


@pytest.fixture
def setup() -> ReportingSetup:
    return ReportingSetup(indicators=load_indicator_config(), calendar=load_calendar(), zone=HANOI)


async def demo_digest(
    session: AsyncSession, setup: ReportingSetup, period: str = "2026-Q4"
) -> tuple[Digest, str]:
    await demo.seed(session, TEST_SECRET.encode(), setup, NOW)
    node_id = await documents.node_id_of(session, "BN")
    digest = await documents.report_digest(
        session,
        node_id=node_id,
        period=documents.document_period(period),
        setup=setup,
        targets=load_targets(indicators=setup.indicators),
        concern_config=load_concern_config(),
        today=local_date(NOW, setup),
    )
    return digest, await documents.root_name(session, node_id)


def texts(path: Path) -> list[str]:
    document = Document(str(path))
    return [p.text for p in document.paragraphs]


def table_with(path: Path, header: str) -> list[list[str]]:
    for table in Document(str(path)).tables:
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        if header in rows[0]:
            return rows
    raise AssertionError(f"no table with the column {header!r}")


@pytest.mark.parametrize("layout", documents.LAYOUTS)
async def test_the_quarterly_report_carries_the_digests_figures(
    session: AsyncSession, setup: ReportingSetup, tmp_path: Path, layout: str
) -> None:
    digest, root = await demo_digest(session, setup)
    out = render_report(
        digest, root, documents.template_path(layout), tmp_path / "q.docx", pdf=False
    ).docx
    lines = texts(out)
    assert "BÁO CÁO" in lines
    assert "Kết quả thực hiện quý IV/2026" in lines
    assert digest.scope.name in lines
    header = [c.text for t in Document(str(out)).tables[:1] for r in t.rows for c in r.cells]
    assert any("Bắc Ninh, ngày 20 tháng 01 năm 2027" in cell for cell in header)
    assert any("TỈNH BẮC NINH" in cell for cell in header)
    assert any(
        ("ĐẢNG CỘNG SẢN VIỆT NAM" if layout == "party" else "Độc lập - Tự do - Hạnh phúc") in cell
        for cell in header
    )
    assert not any("{{" in line or "{%" in line for line in lines)

    # Reporting by area, ranked, with Vietnamese percentages.
    areas = table_with(out, "Tỷ lệ báo cáo")
    assert len(areas) == 1 + len(digest.areas) >= 3
    for row, area in zip(areas[1:], digest.areas, strict=True):
        assert row[0] == str(area.rank)
        assert row[3] == count(area.rate.submitted, "vi")
        assert row[4] == percent(area.rate.reporting_rate, "vi")
        assert re.fullmatch(r"\d{1,3}(,\d)?%|—", row[4])

    # The figures of the period and the year to date, Vietnamese thousands.
    flows = table_with(out, "Lũy kế năm")
    assert len(flows) == 1 + len(digest.flows)
    for row, flow in zip(flows[1:], digest.flows, strict=True):
        assert row[2] == count(flow.current, "vi")
        assert row[4] == count(flow.year_to_date, "vi")

    # The headline stocks: thousands grouped with a dot, the density with a decimal comma.
    headline = table_with(out, "Cuối kỳ trước")
    assert len(headline) == 1 + len(digest.headline.stocks) + 1
    for row, stock in zip(headline[1:], digest.headline.stocks, strict=False):
        assert row[2] == count(stock.value, "vi")
    assert any(re.fullmatch(r"\d{1,3}(\.\d{3})+", row[2]) for row in headline[1:]), headline
    assert re.fullmatch(r"\d{1,3},\d%", headline[-1][2]), headline[-1]

    targets = table_with(out, "Đánh giá")
    assert len(targets) == 1 + len(digest.targets)
    assert {row[6] for row in targets[1:]} <= {
        "đúng tiến độ",
        "chậm tiến độ",
        "đã hoàn thành",
        "chưa có số liệu",
    }

    concerns = table_with(out, "Mới trong kỳ")
    assert concerns[-1][2] == suppressed(digest.concerns_total.new, "vi")

    missing = table_with(out, "Tháng chưa báo cáo")
    assert [row[1] for row in missing[1:]] == [unit.code for unit in digest.missing]


async def test_the_yearly_report_and_the_organisations_founded(
    session: AsyncSession, setup: ReportingSetup, tmp_path: Path
) -> None:
    digest, root = await demo_digest(session, setup, "2026")
    out = render_report(
        digest, root, documents.template_path("union"), tmp_path / "y.docx", pdf=False
    ).docx
    assert "Kết quả thực hiện năm 2026" in texts(out)
    founded = [f for f in digest.flows if f.code in documents.FOUNDED_CODES]
    assert founded, "the demo's indicator sets count organisations founded"
    assert "3. Thành lập tổ chức" in texts(out)


def test_vietnamese_formats_of_a_decimal() -> None:
    assert count(__import__("decimal").Decimal("1234.5"), "vi") == "1.234,5"
    assert percent(0.972, "vi") == "97,2%"


async def test_a_template_edited_by_the_office_is_used(
    session: AsyncSession, setup: ReportingSetup, tmp_path: Path
) -> None:
    digest, root = await demo_digest(session, setup)
    edited = tmp_path / "edited.docx"
    # The office replaced the place in the date line with the scope's code, and a heading.
    _rewrite(
        documents.template_path("union"),
        edited,
        lambda xml: xml.replace("{{ place }}", "{{ scope_code }}").replace(
            "V. CÁC ĐƠN VỊ CHƯA BÁO CÁO", "V. ĐƠN VỊ CẦN ĐÔN ĐỐC"
        ),
    )
    out = render_docx(document_context(digest, root), edited, tmp_path / "out.docx")
    cells = [c.text for t in Document(str(out)).tables for r in t.rows for c in r.cells]
    assert any("BN, ngày 20 tháng 01 năm 2027" in cell for cell in cells)
    assert "V. ĐƠN VỊ CẦN ĐÔN ĐỐC" in texts(out)


@pytest.mark.parametrize(
    ("broken", "named"),
    [
        ("{{ scope_nam }}", "{{ scope_nam }}"),  # misspelt
        ("{{ scope_name }", "{{ scope_name }"),  # not closed
    ],
)
async def test_a_broken_tag_is_named(
    session: AsyncSession, setup: ReportingSetup, tmp_path: Path, broken: str, named: str
) -> None:
    digest, root = await demo_digest(session, setup)
    edited = tmp_path / "broken.docx"
    _rewrite(
        documents.template_path("party"),
        edited,
        lambda xml: xml.replace("{{ scope_name }}", broken, 1),
    )
    with pytest.raises(documents.TemplateTagError) as refused:
        render_docx(document_context(digest, root), edited, tmp_path / "out.docx")
    assert named in refused.value.params["tag"]


def _rewrite(source: Path, target: Path, change: object) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "word/document.xml":
                data = change(data.decode()).encode()  # type: ignore[operator]
            new.writestr(item, data)


def test_a_month_or_an_unknown_template_is_refused() -> None:
    with pytest.raises(documents.NotADocumentPeriod):
        documents.document_period("2026-10")
    with pytest.raises(documents.TemplateNotFound):
        documents.template_path("congdoan")


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("APP_SECRET", TEST_SECRET)
    for name, value in concern_key_env().items():
        monkeypatch.setenv(name, value)
    return tmp_path


async def test_the_admin_cli_writes_the_report_and_says_whether_a_pdf_was_made(
    session: AsyncSession,
    setup: ReportingSetup,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await demo.seed(session, TEST_SECRET.encode(), setup, NOW)
    out = cli_env / "bao-cao.docx"
    argv = ["report", "--period", "2026-Q4", "--node", "BN", "--out", str(out)]
    code = await asyncio.to_thread(admin.main, [*argv, "--template", "party"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "Kết quả thực hiện quý IV/2026" in texts(out)
    if soffice() is None:
        assert "LibreOffice" in printed.out
        assert not out.with_suffix(".pdf").exists()
    else:
        assert out.with_suffix(".pdf").exists()

    assert await asyncio.to_thread(admin.main, [*argv, "--template", "nope.docx"]) == 1
    assert "nope.docx" in capsys.readouterr().err
    assert (
        await asyncio.to_thread(
            admin.main, ["report", "--period", "2026-11", "--node", "BN", "--out", str(out)]
        )
        == 1
    )
    assert (
        await asyncio.to_thread(
            admin.main, ["report", "--period", "2026-Q4", "--node", "XX", "--out", str(out)]
        )
        == 1
    )
    shutil.rmtree(cli_env / "unused", ignore_errors=True)
