"""The office console's reporting, configuration and concern services without a browser:
the matrix's statuses and filters, reopening a month by unit id, an edited configuration saved
as a new version (and read back at start in preference to the file), refusals that write
nothing, the Vietnamese wording of a refusal, and concern counts suppressed per enterprise."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from grassroots_config import DEFAULT_CONFIG_DIR
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AuditEntry,
    Concern,
    ConcernStatus,
    OfficeConfigVersion,
    Report,
    ReportUnlock,
    UnitKind,
)
from services.concerns import load_concern_config
from services.digests import DigestPeriod
from services.indicators import load_indicator_config
from services.office import concern_counts, config_edits, reports
from services.periods import Period, load_calendar
from services.reporting import ReportingSetup, current_version_id
from services.targets import load_targets
from testkit.org import Tree, make_person, make_tree
from web.office.config_words import refusal_words

NOW = datetime(2026, 11, 20, 3, tzinfo=UTC)  # 20 November 2026, 10:00 in Vietnam
TARGETS = DEFAULT_CONFIG_DIR / "targets.yaml"


@pytest.fixture
def setup() -> ReportingSetup:
    from zoneinfo import ZoneInfo

    return ReportingSetup(
        indicators=load_indicator_config(),
        calendar=load_calendar(DEFAULT_CONFIG_DIR / "reporting.yaml"),
        zone=ZoneInfo("Asia/Ho_Chi_Minh"),
    )


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


async def test_the_matrix_gives_each_unit_and_month_its_status(
    session: AsyncSession, setup: ReportingSetup, tree: Tree
) -> None:
    officer = await make_person(session, 1, "Cán bộ", units=(tree.union.id,))
    version = await current_version_id(session, setup, UnitKind.TRADE_UNION)
    for period, late, revision in (("2026-09", False, 1), ("2026-10", True, 3)):
        session.add(
            Report(
                reporting_unit_id=tree.union.id,
                period=period,
                indicator_set_version_id=version,
                submitted_at=NOW,
                submitted_by_person_id=officer,
                late=late,
                revision=revision,
            )
        )
    await session.commit()
    months = reports.month_range("2026-09", "2026-11", date(2026, 11, 20))
    found = await reports.matrix(session, setup, NOW, node_id=None, months=months)
    cells = {row.code: [(c.status, c.amended) for c in row.cells] for row in found.rows}
    assert cells[tree.union.code] == [
        (reports.Cell.ON_TIME, False),
        (reports.Cell.LATE, True),
        (reports.Cell.DUE, False),
    ]
    assert cells[tree.cell.code] == [
        (reports.Cell.MISSING, False),
        (reports.Cell.MISSING, False),
        (reports.Cell.DUE, False),
    ]
    assert found.totals == {"on_time": 1, "late": 1, "missing": 4, "amended": 1}
    only_amended = await reports.matrix(
        session, setup, NOW, node_id=None, months=months, status="amended"
    )
    assert [row.code for row in only_amended.rows] == [tree.union.code]
    cells_only = await reports.matrix(
        session, setup, NOW, node_id=None, months=months, kind=UnitKind.PARTY_CELL
    )
    assert [row.code for row in cells_only.rows] == [tree.cell.code]
    # A subtree: the small enterprise has the other union only.
    small = await reports.matrix(
        session, setup, NOW, node_id=tree.small_enterprise.id, months=months
    )
    assert [row.code for row in small.rows] == [tree.other_union.code]


def test_a_month_range_is_checked_and_capped() -> None:
    today = date(2026, 11, 20)
    assert reports.month_range("", "", today)[0].key == "2026-06"
    assert len(reports.month_range("2020-01", "2026-11", today)) == reports.MAX_MONTHS
    with pytest.raises(reports.BadMonths):
        reports.month_range("2026-11", "2026-09", today)
    with pytest.raises(reports.BadMonths):
        reports.month_range("11/2026", "", today)


async def test_reopening_by_unit_id_is_the_clis_unlock(session: AsyncSession, tree: Tree) -> None:
    officer = await make_person(session, 2, "Cán bộ", units=(tree.cell.id,))
    unlocked = await reports.unlock(
        session, unit_id=tree.cell.id, period_key="2026-09", days=5, now=NOW, actor="person:9"
    )
    assert unlocked.officer_ids == [officer]
    assert unlocked.period == Period(2026, 9)
    row = await session.scalar(select(ReportUnlock))
    assert row is not None and row.unlocked_by == "person:9"
    with pytest.raises(reports.BadUnlockDays):
        await reports.unlock(
            session, unit_id=tree.cell.id, period_key="2026-09", days=0, now=NOW, actor="x"
        )


async def test_an_edit_is_a_new_version_in_force_and_read_back_at_start(
    session: AsyncSession, setup: ReportingSetup
) -> None:
    targets = load_targets(TARGETS, setup.indicators)
    text = TARGETS.read_text(encoding="utf-8")
    current = config_edits.in_force("targets", None, text, targets.version)
    edited = text.replace("target: 50", "target: 70", 1).replace("2026.1", "2026.5", 1)
    model, row = await config_edits.save(
        session,
        "targets",
        edited,
        current=current,
        indicators=setup.indicators,
        targets=targets,
        actor="person:3",
        now=NOW,
    )
    assert model.version == "2026.5" and row.version == "2026.5"
    audit = await session.scalar(select(AuditEntry).where(AuditEntry.action == "config.edit"))
    assert audit is not None and audit.details["replaces"] == "2026.1"
    indicators, stored = await config_edits.stored_overrides(session, setup.indicators)
    assert indicators is None  # never edited: the file's
    assert stored is not None and stored.version == "2026.5"
    assert stored.targets[0].target == 70


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        (("target: 50", "target: -5"), "targets[0] (new_party_members)", "phải lớn hơn 0"),
        (("    scope: all", "    scopes: all"), "targets[0] (new_party_members)", "gõ nhầm"),
        (("year: 2026", "year: 2031-2026"), "targets[0]", "năm kết thúc đứng trước"),
        (("{kind: sum", "{kind: total"), "targets[0]", "không phải là một trong"),
    ],
)
async def test_a_bad_edit_writes_nothing_and_says_where_and_why_in_vietnamese(
    session: AsyncSession,
    setup: ReportingSetup,
    change: tuple[str, str],
    where: str,
    words: str,
) -> None:
    targets = load_targets(TARGETS, setup.indicators)
    text = TARGETS.read_text(encoding="utf-8")
    current = config_edits.in_force("targets", None, text, targets.version)
    bad = text.replace(*change, 1).replace("2026.1", "2026.5", 1)
    with pytest.raises(config_edits.ConfigRefused) as refused:
        await config_edits.save(
            session,
            "targets",
            bad,
            current=current,
            indicators=setup.indicators,
            targets=targets,
            actor="person:3",
            now=NOW,
        )
    assert refused.value.where.startswith(where)
    said = refusal_words("vi", refused.value.where, refused.value.problem)
    assert said.startswith("Chưa lưu — chỉ tiêu năm thứ 1"), said
    assert words in said, said
    assert "(got" not in said and "Input should" not in said, said
    count = await session.scalar(select(func.count()).select_from(OfficeConfigVersion))
    assert count == 0


async def test_an_unchanged_text_or_label_is_refused(
    session: AsyncSession, setup: ReportingSetup
) -> None:
    targets = load_targets(TARGETS, setup.indicators)
    text = TARGETS.read_text(encoding="utf-8")
    current = config_edits.in_force("targets", None, text, targets.version)
    kwargs = {
        "current": current,
        "indicators": setup.indicators,
        "targets": targets,
        "actor": "x",
        "now": NOW,
    }
    with pytest.raises(config_edits.NothingEdited):
        await config_edits.save(session, "targets", text + "\n", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(config_edits.SameVersionLabel) as same:
        await config_edits.save(  # type: ignore[arg-type]
            session, "targets", text.replace("target: 50", "target: 51", 1), **kwargs
        )
    assert same.value.params["suggestion"] == "2026.2"


def test_the_yaml_syntax_and_an_unknown_sentence_are_worded_too(tmp_path: Path) -> None:
    from services.config_files import ConfigFileError, parse_yaml_model
    from services.targets import TargetConfig

    with pytest.raises(ConfigFileError) as error:
        parse_yaml_model("version: 1\ntargets: [\n", TargetConfig, "office")
    said = refusal_words("vi", error.value.where, error.value.problem)
    assert said.startswith("Chưa lưu — dòng "), said
    assert "không đọc được YAML" in said
    assert refusal_words("vi", "", "a brand new check") == (
        "Chưa lưu: lỗi (nguyên văn của bước kiểm tra): a brand new check"
    )


async def test_concern_counts_hide_an_enterprises_one_to_four(
    session: AsyncSession, tree: Tree
) -> None:
    config = load_concern_config(DEFAULT_CONFIG_DIR / "concerns.yaml")

    def concern(enterprise: int, category: str) -> None:
        session.add(
            Concern(
                id=secrets.token_hex(16),
                case_code="TT-" + secrets.token_hex(4).upper(),
                receipt_hash=secrets.token_hex(32),
                enterprise_id=enterprise,
                category=category,
                status=ConcernStatus.RECEIVED,
                created_on=date(2026, 11, 18),
                status_changed_on=date(2026, 11, 18),
                released=True,
                text_encrypted=b"x",
            )
        )

    for _ in range(5):
        concern(tree.enterprise.id, "wages")
    concern(tree.enterprise.id, "safety")
    for _ in range(2):
        concern(tree.small_enterprise.id, "wages")
    await session.commit()
    table = await concern_counts.concern_table(
        session,
        config,
        node_id=None,
        period=DigestPeriod.of_month(2026, 11),
        today=date(2026, 11, 20),
    )
    lines = {line.code: line for line in table.enterprises}
    big, small = lines[tree.enterprise.code], lines[tree.small_enterprise.code]
    assert (big.new["wages"].visible, big.new["wages"].exact) == (5, True)
    assert big.new["safety"].below_five and big.new_total.visible == 6
    assert small.new["wages"].below_five and small.new_total.below_five
    # Over enterprises: 5 shown, DN-02's 2 hidden → "≥ 6", never 7.
    assert (table.new_by_category["wages"].visible, table.new_by_category["wages"].hidden) == (
        5,
        1,
    )
    assert table.new_total.lower_bound == 7 and not table.new_total.exact
