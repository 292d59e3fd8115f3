"""Who must be reminded now, and which zone officers must hear of units still missing.

Planning is a pure function of the database and the moment: run it twice, after a restart or
after hours of downtime, and it names the same (person, unit, period, stage) again; the outbox's
idempotency key turns that into exactly one message. Only the stage whose time has come and
whose successor has not is planned: a reminder missed during downtime is still sent while it is
relevant, never a pile of stale ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from grassroots_config import DEFAULT_CONFIG_DIR
from pydantic import Field, field_validator
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    NodeKind,
    OrgNode,
    Person,
    Report,
    ReportingUnit,
    Role,
    RoleAssignment,
    UnitKind,
)
from services import access
from services.config_files import StrictModel, load_yaml_model
from services.periods import Period, due_date, open_periods
from services.reporting import ReportingSetup, local_date

ZONE_KINDS = (NodeKind.INDUSTRIAL_ZONE, NodeKind.ECONOMIC_ZONE, NodeKind.COMMUNE)


def _as_time(value: Any) -> Any:
    # YAML reads an unquoted 08:00 as a number of minutes (sexagesimal): turn it back.
    if isinstance(value, int):
        return time(value // 60, value % 60)
    return value


class Stage(StrictModel):
    code: str = Field(pattern=r"^[a-z0-9+\-]{1,12}$")
    days: int = Field(ge=-31, le=31)
    at: time

    _at = field_validator("at", mode="before")(_as_time)


class QuietHours(StrictModel):
    start: time
    end: time

    _times = field_validator("start", "end", mode="before")(_as_time)

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # across midnight


class MonthlyDigest(StrictModel):
    days_after_due: int = Field(default=1, ge=0, le=20)
    at: time = time(8)

    _at = field_validator("at", mode="before")(_as_time)


class YearlyDigest(StrictModel):
    month: int = Field(default=12, ge=1, le=12)
    day: int = Field(default=20, ge=1, le=31)
    at: time = time(8)

    _at = field_validator("at", mode="before")(_as_time)


class DigestSchedule(StrictModel):
    monthly: MonthlyDigest = MonthlyDigest()
    yearly: YearlyDigest = YearlyDigest()
    relevant_days: int = Field(default=3, ge=1, le=15)


class ReminderConfig(StrictModel):
    stages: tuple[Stage, ...] = Field(min_length=1)
    escalation: Stage
    quiet_hours: QuietHours
    digests: DigestSchedule = DigestSchedule()


def load_reminder_config(path: Path = DEFAULT_CONFIG_DIR / "reminders.yaml") -> ReminderConfig:
    return load_yaml_model(path, ReminderConfig)


@dataclass(frozen=True)
class Recipient:
    person_id: int
    channel: str
    chat_id: str
    language: str


@dataclass(frozen=True)
class ReminderDue:
    recipient: Recipient
    unit_id: int
    unit_name: str
    period: Period
    stage: str
    due: date
    days_left: int  # negative: overdue by that many days
    not_before: datetime  # after the quiet hours when planned inside them


@dataclass(frozen=True)
class EscalationDue:
    recipient: Recipient
    zone_name: str
    period: Period
    due: date
    missing: tuple[str, ...]  # unit names
    not_before: datetime


def _moment(day: date, at: time, setup: ReportingSetup) -> datetime:
    return datetime.combine(day, at, tzinfo=setup.zone)


def current_stage(
    period: Period, config: ReminderConfig, setup: ReportingSetup, now: datetime
) -> Stage | None:
    """The stage whose time has come and whose successor's has not, for this period."""
    due = due_date(period, setup.calendar)
    ladder = sorted((*config.stages, config.escalation), key=lambda s: (s.days, s.at))
    for index, stage in enumerate(ladder):
        starts = _moment(due + timedelta(days=stage.days), stage.at, setup)
        following = ladder[index + 1] if index + 1 < len(ladder) else None
        ends = (
            _moment(due + timedelta(days=following.days), following.at, setup)
            if following
            else starts + timedelta(days=1)
        )
        if starts <= now < ends:
            return stage
    return None


def not_before(now: datetime, config: ReminderConfig, setup: ReportingSetup) -> datetime:
    """Now, or the end of the quiet hours if now is inside them."""
    local = now.astimezone(setup.zone)
    if not config.quiet_hours.contains(local.time()):
        return now
    end_day = local.date() if local.time() < config.quiet_hours.end else local.date() + timedelta(1)
    return _moment(end_day, config.quiet_hours.end, setup)


async def _missing_units(
    session: AsyncSession, period: Period, kinds: list[UnitKind]
) -> list[tuple[ReportingUnit, OrgNode]]:
    reported = select(Report.reporting_unit_id).where(Report.period == period.key)
    rows = await session.execute(
        select(ReportingUnit, OrgNode)
        .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
        .where(
            ReportingUnit.active.is_(True),
            ReportingUnit.kind.in_(kinds),
            ReportingUnit.id.not_in(reported),
            # A month before the unit's first one is not missing: nobody is reminded of it.
            or_(ReportingUnit.first_period.is_(None), ReportingUnit.first_period <= period.key),
        )
        .order_by(ReportingUnit.name)
    )
    return [(unit, node) for unit, node in rows.all()]


async def _recipients(
    session: AsyncSession, person_ids: list[int], channels: Sequence[str]
) -> dict[int, Recipient]:
    """One account per person (their preferred channel's when this process serves it)."""
    targets = await access.delivery_targets(session, person_ids, channels)
    return {
        pid: Recipient(pid, target.channel, target.chat_id, target.language)
        for pid, target in targets.items()
    }


async def _officers(
    session: AsyncSession, unit_ids: list[int], channels: Sequence[str]
) -> dict[int, list[Recipient]]:
    if not unit_ids:
        return {}
    rows = (
        await session.execute(
            select(RoleAssignment.reporting_unit_id, Person.id)
            .join(Person, Person.id == RoleAssignment.person_id)
            .where(
                RoleAssignment.reporting_unit_id.in_(unit_ids),
                RoleAssignment.role == Role.OFFICER,
                RoleAssignment.revoked_at.is_(None),
                Person.revoked_at.is_(None),
            )
            .order_by(RoleAssignment.reporting_unit_id, Person.id)
        )
    ).all()
    recipients = await _recipients(session, [pid for _, pid in rows], channels)
    found: dict[int, list[Recipient]] = {}
    for unit_id, person_id in rows:
        recipient = recipients.get(person_id)
        if recipient is not None and recipient not in found.get(unit_id, []):
            found.setdefault(unit_id, []).append(recipient)
    return found


async def plan(
    session: AsyncSession,
    setup: ReportingSetup,
    config: ReminderConfig,
    now: datetime,
    channels: str | Sequence[str],
) -> tuple[list[ReminderDue], list[EscalationDue]]:
    """Reminders to officers of units that have not reported, and escalations to zone officers,
    due at ``now``. ``channels``: those this process serves (a single name is accepted); each
    person is reached on exactly one of them (``access.pick_account``)."""
    channels = access.served(channels)
    today = local_date(now, setup)
    kinds = [s.unit_kind for s in setup.indicators.sets]
    reminders: list[ReminderDue] = []
    escalations: list[EscalationDue] = []
    send_from = not_before(now, config, setup)
    for period in open_periods(today, setup.calendar):
        stage = current_stage(period, config, setup, now)
        if stage is None:
            continue
        due = due_date(period, setup.calendar)
        missing = await _missing_units(session, period, kinds)
        if stage == config.escalation:
            escalations += await _escalations(session, missing, period, due, channels, send_from)
            continue
        officers = await _officers(session, [u.id for u, _ in missing], channels)
        for unit, _node in missing:
            for recipient in officers.get(unit.id, []):
                reminders.append(
                    ReminderDue(
                        recipient,
                        unit.id,
                        unit.name,
                        period,
                        stage.code,
                        due,
                        (due - today).days,
                        send_from,
                    )
                )
    return reminders, escalations


async def _escalations(
    session: AsyncSession,
    missing: list[tuple[ReportingUnit, OrgNode]],
    period: Period,
    due: date,
    channels: Sequence[str],
    send_from: datetime,
) -> list[EscalationDue]:
    zones = {
        z.id: z for z in await session.scalars(select(OrgNode).where(OrgNode.kind.in_(ZONE_KINDS)))
    }
    by_zone: dict[int, list[str]] = {}
    for unit, node in missing:
        if unit.kind is UnitKind.ZONE_UNION:
            continue
        ancestors = [int(part) for part in node.path.strip("/").split("/") if part]
        zone_id = next((a for a in reversed(ancestors) if a in zones), None)
        if zone_id is not None:
            by_zone.setdefault(zone_id, []).append(unit.name)
    zone_unions = {
        u.org_node_id: u
        for u in await session.scalars(
            select(ReportingUnit).where(
                ReportingUnit.kind == UnitKind.ZONE_UNION,
                ReportingUnit.org_node_id.in_(list(by_zone)),
            )
        )
    }
    officers = await _officers(session, [u.id for u in zone_unions.values()], channels)
    result = []
    for zone_id, names in by_zone.items():
        union = zone_unions.get(zone_id)
        for recipient in officers.get(union.id, []) if union else []:
            result.append(
                EscalationDue(recipient, zones[zone_id].name, period, due, tuple(names), send_from)
            )
    return result


@dataclass(frozen=True)
class DigestDue:
    recipient: Recipient
    node_id: int
    period_key: str  # "2026-10", "2026-Q4", "2026"
    not_before: datetime


def digest_periods(config: ReminderConfig, setup: ReportingSetup, now: datetime) -> list[str]:
    """Digest periods whose time has come and which are still worth sending (catch-up after
    downtime within ``relevant_days``)."""
    schedule = config.digests
    window = timedelta(days=schedule.relevant_days)
    today = local_date(now, setup)
    keys: list[str] = []
    month = Period.of(today)
    for back in range(0, 3):
        period = month.shift(-back)
        fires = _moment(
            due_date(period, setup.calendar) + timedelta(days=schedule.monthly.days_after_due),
            schedule.monthly.at,
            setup,
        )
        if fires <= now < fires + window:
            keys.append(period.key)
            if period.month % 3 == 0:
                keys.append(f"{period.year:04d}-Q{period.month // 3}")
    for year in (today.year, today.year - 1):
        day_ = date(year, schedule.yearly.month, min(schedule.yearly.day, 28))
        fires = _moment(day_, schedule.yearly.at, setup)
        if fires <= now < fires + window:
            keys.append(f"{year:04d}")
    return keys


async def plan_digests(
    session: AsyncSession,
    setup: ReportingSetup,
    config: ReminderConfig,
    now: datetime,
    channels: str | Sequence[str],
) -> list[DigestDue]:
    """Each committee member gets each due digest of their own subtree, on one account."""
    keys = digest_periods(config, setup, now)
    if not keys:
        return []
    rows = (
        await session.execute(
            select(RoleAssignment.org_node_id, Person.id)
            .join(Person, Person.id == RoleAssignment.person_id)
            .where(
                RoleAssignment.role == Role.COMMITTEE,
                RoleAssignment.revoked_at.is_(None),
                RoleAssignment.org_node_id.is_not(None),
                Person.revoked_at.is_(None),
            )
            .order_by(RoleAssignment.id)
        )
    ).all()
    recipients = await _recipients(session, [pid for _, pid in rows], access.served(channels))
    send_from = not_before(now, config, setup)
    return [
        DigestDue(recipients[person_id], node_id, key, send_from)
        for node_id, person_id in rows
        if node_id is not None and person_id in recipients
        for key in keys
    ]
