"""Who has not reported: the units of a subtree still missing an open month of a period, with
the officers to call about each (``contacts``). One source for the digest's list and the office's
``/chuabaocao`` (services/office/powers.py), so both always name the same units. Reads only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.digests._shared import (
    _Area,
    _area_of,
    _areas,
    _months_open,
    _reporting_kinds,
    _scope,
    _unit_statuses,
    _UnitStatus,
)
from services.digests.contacts import _officers
from services.digests.periods import DigestPeriod
from services.digests.views import MissingUnit, Scope
from services.periods import Period
from services.reporting import ReportingSetup


def _missing(
    statuses: Iterable[_UnitStatus],
    months_open: tuple[Period, ...],
    scope_path: str,
    areas: Mapping[int | None, _Area],
) -> list[MissingUnit]:
    """The units that owe a report for an open month, by area, then code."""
    missing = [
        MissingUnit(
            status.unit_id,
            status.code,
            status.name,
            status.kind,
            area.code,
            area.name,
            tuple(
                m
                for m, done, due in zip(months_open, status.reported, status.expected, strict=True)
                if due and not done
            ),
        )
        for status in statuses
        if status.expected != status.reported
        for area in (_area_of(status, scope_path, areas),)
    ]
    missing.sort(key=lambda unit: (unit.area_name, unit.code))
    return missing


async def _with_officers(
    session: AsyncSession, scope_path: str, missing: list[MissingUnit]
) -> tuple[MissingUnit, ...]:
    """Each missing unit with its registered officers (whom to call), in two queries."""
    if not missing:
        return ()
    officers = await _officers(session, scope_path)
    return tuple(
        dataclasses.replace(unit, officers=officers.get(unit.unit_id, ())) for unit in missing
    )


@dataclass(frozen=True)
class Missing:
    scope: Scope
    months_open: tuple[Period, ...]
    units: tuple[MissingUnit, ...]


async def missing_units(
    session: AsyncSession,
    *,
    node_id: int,
    period: DigestPeriod,
    setup: ReportingSetup,
    today: date,
) -> Missing:
    """The units under ``node_id`` still missing a report for an open month of ``period`` as of
    ``today``, with their officers, exactly as the digest lists them. The caller checks the
    reader may see this node."""
    scope, scope_path = await _scope(session, node_id)
    months_open = _months_open(period, setup, today)
    statuses = await _unit_statuses(session, scope_path, months_open, _reporting_kinds(setup))
    areas = await _areas(session, scope)
    missing = _missing(statuses, months_open, scope_path, areas)
    return Missing(scope, months_open, await _with_officers(session, scope_path, missing))
