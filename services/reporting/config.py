"""What reporting is configured with: the indicator sets, the calendar and the time zone.

``ReportingSetup`` is loaded once at start and passed to every use case. The indicator set a
draft or report was made with is stored as a version row (``current_version_id``) and read back
by id (``indicator_set_of``); both are cached, since a stored version never changes. Deadlines
are days in Vietnam: ``local_date`` turns a moment into that day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import IndicatorSetVersion, UnitKind
from services.errors import NotFound
from services.indicators import IndicatorConfig, IndicatorSet, fingerprint, snapshot
from services.periods import ReportingCalendar
from services.reporting.errors import NoReportingSet


@dataclass
class ReportingSetup:
    """Indicator sets and calendar, loaded once at start; version ids cached by fingerprint."""

    indicators: IndicatorConfig
    calendar: ReportingCalendar
    zone: ZoneInfo
    _version_ids: dict[str, int] = field(default_factory=dict)


# Rows never change once written; keyed by database too, since row ids are only unique within
# one (tests and benchmarks use several in one process; SQLite reuses ids of emptied tables).
_sets_by_version: dict[tuple[str, int], IndicatorSet] = {}


async def current_version_id(session: AsyncSession, setup: ReportingSetup, kind: UnitKind) -> int:
    """The stored version of this kind's current set, stored now if the YAML changed."""
    indicator_set = setup.indicators.for_kind(kind)
    if indicator_set is None:
        raise NoReportingSet()
    print_ = fingerprint(indicator_set)
    if print_ in setup._version_ids:
        return setup._version_ids[print_]
    version_id = await session.scalar(
        select(IndicatorSetVersion.id).where(IndicatorSetVersion.fingerprint == print_)
    )
    if version_id is None:
        row = IndicatorSetVersion(
            unit_kind=kind,
            fingerprint=print_,
            config_version=setup.indicators.version,
            definition=snapshot(indicator_set),
        )
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another instance stored the same version first
            version_id = await session.scalar(
                select(IndicatorSetVersion.id).where(IndicatorSetVersion.fingerprint == print_)
            )
        else:
            # Not remembered yet: until the caller commits, no other transaction can see the
            # row (a second officer's draft pointing at it broke the foreign key on PostgreSQL),
            # and the caller may still roll it back. The next call reads it back and keeps it.
            return row.id
    assert version_id is not None
    setup._version_ids[print_] = version_id
    return version_id


def forget_cached_sets() -> None:
    """For tests that empty the tables between cases (the cache assumes rows live forever)."""
    _sets_by_version.clear()


async def indicator_set_of(session: AsyncSession, version_id: int) -> IndicatorSet:
    key = (str(session.get_bind().engine.url), version_id)
    if key not in _sets_by_version:
        definition = await session.scalar(
            select(IndicatorSetVersion.definition).where(IndicatorSetVersion.id == version_id)
        )
        if definition is None:
            raise NotFound()
        _sets_by_version[key] = IndicatorSet.model_validate(definition)
    return _sets_by_version[key]


def local_date(now: datetime, setup: ReportingSetup) -> date:
    """Deadlines are days in Vietnam, whatever the server's clock says."""
    return now.astimezone(setup.zone).date()
