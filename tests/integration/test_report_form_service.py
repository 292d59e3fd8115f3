"""The form's use cases (services/reporting/form.py) on the chat's draft: the
same checks as the chat, in any order; a refused value never reaches the draft; a stale page
writes nothing; the chat goes on where the form left off."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import load_reporting_setup
from infra.settings import Settings
from models import Report, ReportDraft, ReportValue, UnitKind
from services import reporting
from services.numbers import Negative, NotANumber
from services.periods import Period
from services.reporting import FormEntry, ReportingSetup
from testkit.env import TEST_SECRET
from testkit.org import Tree, make_person, make_tree

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
NOVEMBER = Period(2026, 11)


@pytest.fixture
def setup(database_url: str) -> ReportingSetup:
    from pydantic import SecretStr

    return load_reporting_setup(
        Settings(_env_file=None, database_url=database_url, app_secret=SecretStr(TEST_SECRET))  # type: ignore[call-arg]
    )


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


@pytest.fixture
async def lan(session: AsyncSession, tree: Tree) -> int:
    return await make_person(session, 1, "Lan", units=(tree.union.id,))


async def opened(session: AsyncSession, lan: int, tree: Tree, setup: ReportingSetup) -> str:
    form = await reporting.open_form(
        session, person_id=lan, unit_id=tree.union.id, period=NOVEMBER, setup=setup, now=NOW
    )
    return form.version


async def save(
    session: AsyncSession,
    lan: int,
    tree: Tree,
    setup: ReportingSetup,
    version: str,
    values: dict[str, str | FormEntry],
    *,
    complete: bool = False,
) -> reporting.FormOutcome:
    entries = {k: v if isinstance(v, FormEntry) else FormEntry(v) for k, v in values.items()}
    return await reporting.save_form(
        session,
        person_id=lan,
        unit_id=tree.union.id,
        period=NOVEMBER,
        version=version,
        entries=entries,
        setup=setup,
        now=NOW,
        complete=complete,
    )


async def answers(session: AsyncSession) -> dict[str, object]:
    session.expire_all()
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None
    return dict(draft.answers)


async def test_refused_values_stay_out_and_a_broken_rule_is_blamed_on_the_later_item(
    session: AsyncSession, tree: Tree, lan: int, setup: ReportingSetup
) -> None:
    version = await opened(session, lan, tree, setup)
    outcome = await save(
        session,
        lan,
        tree,
        setup,
        version,
        {
            "workers": "1.000",
            "union_members": "1.200",  # more than the workers: the later item is blamed
            "new_union_members": "-2",
            "members_introduced_to_party": "abc",
            "technical_initiatives": "",  # optional, empty: skipped as in the chat
            "no_such_item": "5",
        },
    )
    assert set(outcome.errors) == {
        "union_members",
        "new_union_members",
        "members_introduced_to_party",
    }
    assert isinstance(outcome.errors["union_members"], reporting.RuleBroken)
    assert isinstance(outcome.errors["new_union_members"], Negative)
    assert isinstance(outcome.errors["members_introduced_to_party"], NotANumber)
    assert await answers(session) == {
        "workers": {"v": "1000", "note": None},
        "technical_initiatives": {"v": None, "note": None},
    }
    # The chat would ask the first unanswered question next.
    assert outcome.form.draft.step == 1 and not outcome.complete


async def test_a_big_change_needs_a_reason_then_keeps_it(
    session: AsyncSession, tree: Tree, lan: int, setup: ReportingSetup
) -> None:
    version = await reporting.current_version_id(session, setup, UnitKind.TRADE_UNION)
    last = Report(
        reporting_unit_id=tree.union.id,
        period="2026-10",
        indicator_set_version_id=version,
        submitted_at=NOW,
        submitted_by_person_id=lan,
    )
    session.add(last)
    await session.flush()
    session.add(ReportValue(report_id=last.id, indicator_code="workers", value=Decimal(1000)))
    await session.commit()

    page = await opened(session, lan, tree, setup)
    outcome = await save(session, lan, tree, setup, page, {"workers": "2.000"})
    doubt = outcome.doubts["workers"]
    assert (doubt.last, doubt.new) == (Decimal(1000), Decimal(2000))
    assert "workers" not in await answers(session)
    outcome = await save(
        session,
        lan,
        tree,
        setup,
        outcome.form.version,
        {"workers": FormEntry("2.000", "  Tuyển  thêm ")},
    )
    assert not outcome.doubts and (await answers(session))["workers"] == {
        "v": "2000",
        "note": "Tuyển thêm",
    }
    # The same figure again keeps its reason; a figure close to last month's drops it.
    outcome = await save(session, lan, tree, setup, outcome.form.version, {"workers": "2.000"})
    assert not outcome.doubts and (await answers(session))["workers"]["note"] == "Tuyển thêm"  # type: ignore[index]
    await save(session, lan, tree, setup, outcome.form.version, {"workers": "1.100"})
    assert (await answers(session))["workers"] == {"v": "1100", "note": None}


async def test_the_review_needs_every_required_item_and_a_stale_page_writes_nothing(
    session: AsyncSession, tree: Tree, lan: int, setup: ReportingSetup
) -> None:
    version = await opened(session, lan, tree, setup)
    outcome = await save(session, lan, tree, setup, version, {"workers": "10"}, complete=True)
    missing = {
        code for code, e in outcome.errors.items() if isinstance(e, reporting.AnswerRequired)
    }
    assert "union_members" in missing and "technical_initiatives" not in missing
    before = await answers(session)
    with pytest.raises(reporting.DraftChanged):
        await save(session, lan, tree, setup, version, {"workers": "11"})  # the old version
    assert await answers(session) == before
    with pytest.raises(reporting.DraftChanged):
        await reporting.submit_form(
            session,
            person_id=lan,
            unit_id=tree.union.id,
            period=NOVEMBER,
            version=version,
            reason=None,
            setup=setup,
            now=NOW,
        )
    assert await session.scalar(select(Report.id)) is None


async def test_another_units_form_is_refused_before_anything_is_read(
    session: AsyncSession, tree: Tree, lan: int, setup: ReportingSetup
) -> None:
    with pytest.raises(reporting.NotAnOfficer):
        await reporting.open_form(
            session,
            person_id=lan,
            unit_id=tree.other_union.id,
            period=NOVEMBER,
            setup=setup,
            now=NOW,
        )
    with pytest.raises(reporting.NotAnOfficer):
        await reporting.save_form(
            session,
            person_id=lan,
            unit_id=tree.other_union.id,
            period=NOVEMBER,
            version="x",
            entries={"workers": FormEntry("5")},
            setup=setup,
            now=NOW,
        )
    assert await session.scalar(select(ReportDraft.id)) is None
