#!/usr/bin/env python3
"""The committee's monthly digest over generated data, against the bare SQL aggregate.

    python benchmarks/digest.py [--units 1000,10000] [--months 24] [--repeat N]
                                [--backend sqlite|postgresql|both] [--quick] [--profile FILE]
                                [--sqlite-analyze]
    python3 run.py bench benchmarks/digest.py --quick

For each backend and each size it builds a fresh database (a temporary SQLite file; a scratch
PostgreSQL database, dropped afterwards), migrates it, and generates in bulk (SQLAlchemy Core
executemany, and INSERT … SELECT for the report values):

  * a province → zones (one per 250 units; every fifth a commune) → enterprises; each zone has a
    zone union; each enterprise a trade union, three in ten a party cell, one in ten a youth
    union, until the number of reporting units is reached; 1 % of the units are dissolved
    (inactive) and stopped reporting halfway;
  * the indicator-set versions of the current configuration (``current_version_id``);
  * ``--months`` months of reports ending December 2026 with a value for every indicator of the
    unit's set: most units report every month, some miss months (3 % of the units miss half),
    some report late (after the due day, flagged ``late`` as the bot would);
  * workers' concerns in some enterprises (none in most, a few, or many), answered, closed,
    escalated or still open. Their text column holds a fixed dummy blob: the digest reads only
    dates, statuses and categories, never a text, so no encryption is needed to measure it.

Then, in the same process, it measures the digest of the whole province for December 2026 as of 12
January 2027 (after the lock day: the month is complete): ``services.digests.build_digest``, best of
``--repeat`` runs after one warm-up (which keeps the figures of the locked months, as the first
digest after the lock does in production), each in its own unit of work as the bot does. In the same
loop (alternating, so both see the same caches) it times the *bare aggregate*: the one GROUP BY the
digest cannot do without, over the same rows — report values joined to their reports, units and org
nodes, filtered by the province's path prefix, for the same months the digest reads (the year to
date, the same months a year earlier, the previous month and the same month a year earlier; with 24
months of data that is all of them). The exact SQL is printed. A cross-check compares the digest's
flow totals with the bare aggregate's sums (any difference is an error).
``unit_table`` (the spreadsheet's rows, sent with every digest) is timed too, for information.

The committee's **dashboard page** (web/dashboard/) is timed in the same loop: ``load`` (the same
``build_digest`` with its 12-month trend) and ``render`` (the Jinja template with its inline SVG
charts) of the province's page, in process, without HTTP. Its bare aggregate is the same GROUP BY:
the trend's months (January to December 2026) are among the months it already reads. The digest
keeps the figures of locked months between requests (services/digests/month_cache.py; December
is locked on 12 January), so the page is timed as a committee member meets it once anyone has
opened it since the month locked, and also as a **first view** with nothing kept (the table
``digest_cache`` emptied before each such run: every figure computed from the reports, then
kept). Before the timed runs the page's digest read from the kept figures is compared, whole, with
the one computed from the reports (``keep_figures=False``), and both with the bare aggregate.

Aims (from the issues): the digest takes at most 3× the bare aggregate, the digest of the
larger size at most 12× the smaller (sizes 10× apart), the dashboard page at most 1.5×. A miss
is printed (MISS), not an error: the exit status is 0 unless something fails (an exception, or
the cross-check).

The time of each SQL statement of the fastest digest run is printed (from the engine's cursor
events; both drivers fetch all rows inside ``execute``), with the rest — Python: building rows,
the dataclasses, SQLAlchemy — as "outside SQL"; so are the page's and the first view's.
``--profile FILE`` profiles one more digest run of the largest size on the first backend, and
one more page (``FILE.page``; pyinstrument when installed, else cProfile).

PostgreSQL gets VACUUM ANALYZE after loading, what autovacuum does to a settled database. SQLite
gets no ANALYZE, because the bot never runs it (``--sqlite-analyze`` runs it, to compare).
PostgreSQL is skipped, visibly, when it is not reachable (BENCH_POSTGRES_URL, TEST_POSTGRES_URL,
default postgresql+asyncpg://postgres@127.0.0.1:5432/test; scratch databases are created on that
server and dropped).
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
import types
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # testkit/script.py says why

from grassroots_config import DEFAULT_CONFIG_DIR
from pydantic import SecretStr
from sqlalchemy import Integer, String, delete, event, insert, literal, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.app import load_reporting_setup
from infra.settings import Settings
from models import (
    Concern,
    ConcernStatus,
    DigestCache,
    NodeKind,
    OrgNode,
    Ownership,
    Person,
    Report,
    ReportingUnit,
    ReportValue,
    UnitKind,
)
from models.db import create_engine, make_uow
from services.concerns import ConcernConfig, load_concern_config
from services.digests import Digest, DigestPeriod, build_digest, unit_table
from services.indicators import IndicatorKind
from services.periods import Period, due_date, open_date
from services.reporting import ReportingSetup, current_version_id
from services.targets import TargetConfig, load_targets
from testkit.db import each_backend, fresh_database
from testkit.profiling import Profiler
from testkit.script import script_parser, versions
from web import dashboard
from web.base import Pages

SECRET = "bench-secret-" + "x" * 40

AIM_RATIO = 3.0  # digest ÷ bare aggregate, at most
AIM_SCALING = 12.0  # digest of the larger size ÷ the smaller (10× the units), at most
AIM_DASHBOARD = 1.5  # dashboard page (service + template) ÷ bare aggregate, at most

DEFAULT_UNITS = (1_000, 10_000)
QUICK_UNITS = (200, 2_000)
DEFAULT_MONTHS = 24
QUICK_MONTHS = 6
DEFAULT_REPEAT = 5
QUICK_REPEAT = 3

LAST_MONTH = Period(2026, 12)  # the digest's month: the latest month of data
TODAY = date(2027, 1, 12)  # after December's lock day: the month is complete
UNITS_PER_ZONE = 250
REPORTS_PER_VALUE_CHUNK = 40_000  # INSERT … SELECT of the values, this many reports at a time
ROWS_PER_EXECUTEMANY = 50_000
DUMMY_CIPHERTEXT = b"benchmark: not a ciphertext; the digest never reads concern texts"

# Value ranges per indicator kind: (lowest, how many values).
VALUE_RANGES = {
    IndicatorKind.FLOW: (0, 6),
    IndicatorKind.STOCK: (20, 3000),
    IndicatorKind.YES_NO: (0, 2),
    IndicatorKind.PERCENT: (0, 101),
}


# --- data -----------------------------------------------------------------------------------


@dataclass
class Dataset:
    units: int  # reporting units, all kinds
    months: tuple[Period, ...]
    province_id: int = 0
    province_path: str = ""
    zones: int = 0
    enterprises: int = 0
    inactive_units: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    reports: int = 0
    late_reports: int = 0
    values: int = 0
    concerns: int = 0
    seconds: float = 0.0
    analyzed: str = ""


async def chunked_insert(connection: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), ROWS_PER_EXECUTEMANY):
        await connection.execute(insert(table), rows[start : start + ROWS_PER_EXECUTEMANY])


async def generate(
    engine: AsyncEngine, setup: ReportingSetup, concern_config: ConcernConfig, data: Dataset
) -> None:
    """Fill an empty, migrated database (see the module's docstring)."""
    started = time.perf_counter()
    rng = random.Random(20261231 + data.units)
    now = datetime.now(UTC)

    # Versions of the indicator sets and the person who "submitted" everything: through the
    # service, as the bot stores them.
    async with AsyncSession(engine) as session:
        versions = {
            s.unit_kind: await current_version_id(session, setup, s.unit_kind)
            for s in setup.indicators.sets
        }
        person = Person(display_name="Cán bộ thử tải", language="vi")
        session.add(person)
        await session.flush()
        person_id = person.id
        await session.commit()

    # The tree, with explicit ids so that paths are known before inserting.
    zones = max(2, data.units // UNITS_PER_ZONE)
    province_id = 1
    province_path = f"/{province_id}/"
    nodes: list[dict[str, Any]] = [
        {
            "id": province_id,
            "code": "BENCH",
            "kind": NodeKind.PROVINCE,
            "name": "Tỉnh Thử tải",
            "parent_id": None,
            "path": province_path,
            "created_at": now,
            "updated_at": now,
        }
    ]
    zone_ids = []
    for z in range(zones):
        zone_id = 2 + z
        zone_ids.append(zone_id)
        commune = z % 5 == 4
        nodes.append(
            {
                "id": zone_id,
                "code": f"BENCH-{'X' if commune else 'KCN'}-{z + 1:03d}",
                "kind": NodeKind.COMMUNE if commune else NodeKind.INDUSTRIAL_ZONE,
                "name": f"{'Xã' if commune else 'KCN'} Thử tải {z + 1}",
                "parent_id": province_id,
                "path": f"{province_path}{zone_id}/",
                "created_at": now,
                "updated_at": now,
            }
        )
    units: list[dict[str, Any]] = []

    def add_unit(kind: UnitKind, code: str, name: str, node_id: int) -> None:
        units.append(
            {
                "id": len(units) + 1,
                "code": code,
                "kind": kind,
                "name": name,
                "org_node_id": node_id,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
        )

    for z, zone_id in enumerate(zone_ids):
        add_unit(UnitKind.ZONE_UNION, f"BENCH-CDKCN-{z + 1:03d}", f"CĐ KCN {z + 1}", zone_id)
    enterprise_zone: dict[int, int] = {}
    e = 0
    while len(units) < data.units:
        zone_id = zone_ids[e % zones]
        node_id = 2 + zones + e
        enterprise_zone[node_id] = zone_id
        nodes.append(
            {
                "id": node_id,
                "code": f"BENCH-DN-{e:05d}",
                "kind": NodeKind.ENTERPRISE,
                "name": f"Công ty TNHH Thử tải số {e}",
                "parent_id": zone_id,
                "path": f"{province_path}{zone_id}/{node_id}/",
                "worker_count": 50 + rng.randrange(5000),
                "ownership": Ownership.FOREIGN if e % 3 == 0 else Ownership.DOMESTIC,
                "created_at": now,
                "updated_at": now,
            }
        )
        add_unit(UnitKind.TRADE_UNION, f"BENCH-CDCS-{e:05d}", f"CĐCS Công ty số {e}", node_id)
        if e % 10 in (0, 3, 6) and len(units) < data.units:
            add_unit(UnitKind.PARTY_CELL, f"BENCH-CB-{e:05d}", f"Chi bộ Công ty số {e}", node_id)
        if e % 10 == 5 and len(units) < data.units:
            add_unit(UnitKind.YOUTH_UNION, f"BENCH-CD-{e:05d}", f"Chi đoàn Công ty số {e}", node_id)
        e += 1
    # 1 % dissolved: inactive now, reported only during the first half of the months.
    for unit in rng.sample(units, max(1, len(units) // 100)):
        unit["active"] = False

    # Reports, month by month as they arrive. Per unit a habit: most report nearly always, on
    # time; some are sloppier; 3 % miss about half of the months.
    habits = {}
    for unit in units:
        draw = rng.random()
        habits[unit["id"]] = (
            (0.98, 0.06) if draw < 0.85 else (0.85, 0.25) if draw < 0.97 else (0.5, 0.4)
        )
    half = len(data.months) // 2
    reports: list[dict[str, Any]] = []
    for index, month in enumerate(data.months):
        opens, due = open_date(month, setup.calendar), due_date(month, setup.calendar)
        for unit in units:
            if not unit["active"] and index >= half:
                continue
            reports_rate, late_rate = habits[unit["id"]]
            if rng.random() >= reports_rate:
                continue
            late = rng.random() < late_rate
            day = (
                due + timedelta(days=1 + rng.randrange(12))
                if late
                else opens + timedelta(days=rng.randrange((due - opens).days + 1))
            )
            submitted = datetime(day.year, day.month, day.day, 2 + rng.randrange(12), tzinfo=UTC)
            reports.append(
                {
                    "id": len(reports) + 1,
                    "reporting_unit_id": unit["id"],
                    "period": month.key,
                    "indicator_set_version_id": versions[unit["kind"]],
                    "submitted_at": submitted,
                    "submitted_by_person_id": person_id,
                    "late": late,
                    "revision": 1,
                    "updated_at": submitted,
                }
            )

    categories = [category.code for category in concern_config.categories]
    concerns = make_concerns(rng, enterprise_zone, data.months, categories)

    async with engine.begin() as connection:
        await chunked_insert(connection, OrgNode.__table__, nodes)
        await chunked_insert(connection, ReportingUnit.__table__, units)
        await chunked_insert(connection, Report.__table__, reports)
        await insert_values(connection, setup, len(reports))
        await chunked_insert(connection, Concern.__table__, concerns)
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in ("org_nodes", "reporting_units", "reports"):
                await connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        values = await connection.scalar(text("SELECT count(*) FROM report_values"))

    data.province_id, data.province_path = province_id, province_path
    data.zones, data.enterprises = zones, len(enterprise_zone)
    data.inactive_units = sum(not u["active"] for u in units)
    data.kinds = Counter(u["kind"].value for u in units)
    data.reports, data.late_reports = len(reports), sum(r["late"] for r in reports)
    data.values, data.concerns = int(values or 0), len(concerns)
    data.seconds = time.perf_counter() - started


async def insert_values(connection: Any, setup: ReportingSetup, reports: int) -> None:
    """A value for every indicator of every report, in the database: INSERT … SELECT from the
    reports joined to their unit and to a small table of (unit kind, code, range) — a spread
    of values from a hash of the report, the unit and the indicator. Rows go in report order,
    as the bot writes them (all values of a report at once)."""
    rows = []
    for indicator_set in setup.indicators.sets:
        for seq, indicator in enumerate(indicator_set.indicators):
            low, span = VALUE_RANGES[indicator.kind]
            rows.append(
                select(
                    literal(indicator_set.unit_kind.value, String).label("kind"),
                    literal(indicator.code, String).label("code"),
                    literal(seq, Integer).label("seq"),
                    literal(low, Integer).label("low"),
                    literal(span, Integer).label("span"),
                )
            )
    codes = union_all(*rows).subquery("codes")
    r, u = Report.__table__, ReportingUnit.__table__
    value = codes.c.low + (r.c.id * 1103 + r.c.reporting_unit_id * 7 + codes.c.seq * 31) % (
        codes.c.span
    )
    for first in range(1, reports + 1, REPORTS_PER_VALUE_CHUNK):
        chosen = (
            select(r.c.id, codes.c.code, value)
            .select_from(
                r.join(u, u.c.id == r.c.reporting_unit_id).join(codes, codes.c.kind == u.c.kind)
            )
            .where(r.c.id.between(first, first + REPORTS_PER_VALUE_CHUNK - 1))
            .order_by(r.c.id, codes.c.seq)
        )
        await connection.execute(
            insert(ReportValue).from_select(["report_id", "indicator_code", "value"], chosen)
        )


def make_concerns(
    rng: random.Random,
    enterprise_zone: dict[int, int],
    months: Sequence[Period],
    categories: Sequence[str],
) -> list[dict[str, Any]]:
    """Most enterprises have none, some a few, a few many (so that some counts show and others
    are suppressed); spread over the months; answered, closed, escalated or still open."""
    first = months[0].first_day
    span = (TODAY - first).days
    concerns: list[dict[str, Any]] = []
    for enterprise_id, zone_id in enterprise_zone.items():
        draw = rng.random()
        count = (
            0
            if draw < 0.6
            else rng.randint(1, 3)
            if draw < 0.85
            else rng.randint(4, 8)
            if draw < 0.97
            else rng.randint(10, 30)
        )
        for _ in range(count):
            number = len(concerns)
            created = first + timedelta(days=rng.randrange(span))
            age = (TODAY - created).days
            draw = rng.random()
            answered_on = escalated_on = None
            overdue = False
            if age < 7 or draw < 0.1:
                status = rng.choice([ConcernStatus.RECEIVED, ConcernStatus.IN_PROGRESS])
            elif draw < 0.65:
                status = ConcernStatus.ANSWERED
            elif draw < 0.85:
                status = ConcernStatus.CLOSED
            else:
                status = ConcernStatus.ESCALATED
                escalated_on = created + timedelta(days=7)
                overdue = rng.random() < 0.5
            if status in (ConcernStatus.ANSWERED, ConcernStatus.CLOSED):
                answered_on = min(TODAY, created + timedelta(days=1 + rng.randrange(10)))
            concerns.append(
                {
                    "id": f"{rng.getrandbits(128):032x}",
                    "case_code": f"TT-{number:07d}",
                    "receipt_hash": f"{number:064x}",
                    "enterprise_id": enterprise_id,
                    "category": rng.choice(categories),
                    "status": status,
                    "created_on": created,
                    "status_changed_on": answered_on or escalated_on or created,
                    "answered_on": answered_on,
                    "escalated_on": escalated_on,
                    "escalated_to_node_id": zone_id if escalated_on else None,
                    "overdue": overdue,
                    "text_encrypted": DUMMY_CIPHERTEXT,
                    "push_sealed": None,
                    "notified": True,
                    "released": True,
                }
            )
    return concerns


async def settle(engine: AsyncEngine, sqlite_analyze: bool) -> str:
    """What a database that has been running a while looks like to the planner."""
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("VACUUM ANALYZE")
            return "VACUUM ANALYZE after loading"
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        if sqlite_analyze:
            await connection.exec_driver_sql("ANALYZE")
            await connection.commit()
            return "ANALYZE after loading (--sqlite-analyze)"
        return "no ANALYZE (the bot never runs it)"


# --- the bare aggregate ---------------------------------------------------------------------


def digest_months(period: DigestPeriod) -> list[str]:
    """The months whose values the digest adds up, as ``build_digest`` chooses them."""
    ytd = period.year_to_date
    months = {
        *ytd,
        *(m.shift(-12) for m in ytd),
        *period.previous().months,
        *period.same_period_last_year().months,
    }
    return sorted(m.key for m in months)


def bare_sql(scope_path: str, months: Sequence[str]) -> str:
    keys = ", ".join(f"'{key}'" for key in months)
    return (
        "SELECT r.period, u.kind, v.indicator_code, SUM(v.value) AS total\n"
        "FROM report_values v\n"
        "JOIN reports r ON r.id = v.report_id\n"
        "JOIN reporting_units u ON u.id = r.reporting_unit_id\n"
        "JOIN org_nodes n ON n.id = u.org_node_id\n"
        f"WHERE r.period IN ({keys})\n"
        f"  AND n.path LIKE '{scope_path}%'\n"
        "GROUP BY r.period, u.kind, v.indicator_code"
    )


# --- measuring ------------------------------------------------------------------------------


def statement_label(statement: str) -> str:
    """Which part of the digest a statement is (by its text; "other" if unrecognised)."""
    sql = " ".join(statement.split()).lower()
    if "from digest_stamps" in sql:
        return "stamps"
    if "from digest_cache" in sql:
        return "kept figures"
    if "into digest_cache" in sql:
        return "keep figures"
    if "from concerns" in sql:
        return "concerns"
    if " over (" in sql:
        return "trend stocks"
    if "group by reporting_units.first_period" in sql:
        return "trend due"
    if "from reports join reporting_units" in sql and "group by reports.period" in sql:
        return "trend rates"
    if "max(reports.period)" in sql and "count(distinct" not in sql:
        return "headline stocks"
    if "from polls" in sql:
        return "polls"
    if "from people" in sql or "from roles" in sql:
        return "officers"
    if "count(distinct" in sql:
        return "share target"
    if "from report_values" in sql and "group by reports.period" in sql:
        return "flow sums"
    if "left outer join reports" in sql:
        return "unit statuses"
    if "org_nodes.parent_id =" in sql:
        return "areas"
    if "where org_nodes.id =" in sql:
        return "scope"
    return "other"


class StatementClock:
    """Times every SQL statement on an engine while ``recording``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.recording = False
        self.seen: list[tuple[str, float]] = []
        self._started: list[float] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.recording:
            self._started.append(time.perf_counter())

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.recording and self._started:
            self.seen.append(
                (statement_label(statement), time.perf_counter() - self._started.pop())
            )

    def start(self) -> None:
        self.seen, self._started, self.recording = [], [], True

    def stop(self) -> list[tuple[str, float]]:
        self.recording = False
        return self.seen


@dataclass
class Measurement:
    backend: str
    data: Dataset
    digest: float = 0.0  # best, seconds
    digest_runs: list[float] = field(default_factory=list)
    bare: float = 0.0
    bare_runs: list[float] = field(default_factory=list)
    table: float = 0.0  # unit_table, best
    dashboard: float = 0.0  # the dashboard page: load + render, best
    dashboard_runs: list[float] = field(default_factory=list)
    page_bytes: int = 0
    first_view: float = 0.0  # the page with nothing kept: computed from the reports, best
    first_view_runs: list[float] = field(default_factory=list)
    first_view_statements: list[tuple[str, float]] = field(default_factory=list)
    statements: list[tuple[str, float]] = field(default_factory=list)  # of the best digest
    page_statements: list[tuple[str, float]] = field(default_factory=list)  # the best page
    bare_rows: int = 0
    summary: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.digest / self.bare if self.bare else float("inf")

    @property
    def dashboard_ratio(self) -> float:
        return self.dashboard / self.bare if self.bare else float("inf")

    @property
    def first_view_ratio(self) -> float:
        return self.first_view / self.bare if self.bare else float("inf")


def check_against_bare(digest: Digest, rows: Sequence[Any], period: DigestPeriod) -> int:
    """The digest's flow totals equal the bare aggregate's sums over the same rows; returns how
    many figures were compared. AssertionError otherwise."""
    sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        kind = getattr(row.kind, "value", row.kind)
        sums[(row.period, kind, row.indicator_code)] += Decimal(str(row.total or 0))
    spans = {
        "current": period.months,
        "previous": period.previous().months,
        "last_year": period.same_period_last_year().months,
        "year_to_date": period.year_to_date,
        "year_to_date_last_year": tuple(m.shift(-12) for m in period.year_to_date),
    }
    compared = 0
    for flow in digest.flows:
        for name, months in spans.items():
            shown = getattr(flow, name)
            expected = sum(
                (sums.get((m.key, flow.unit_kind.value, flow.code), Decimal(0)) for m in months),
                Decimal(0),
            )
            if shown is None:  # no unit of that kind reported in that span
                assert expected == 0, f"{flow.unit_kind}/{flow.code} {name}: — vs {expected}"
            else:
                assert shown == expected, (
                    f"{flow.unit_kind}/{flow.code} {name}: digest {shown}, "
                    f"bare aggregate {expected}"
                )
            compared += 1
    return compared


def describe(digest: Digest) -> list[str]:
    overall = digest.overall
    targets = ", ".join(
        f"{t.code} {t.value if t.value is not None else '—'}"
        f" ({t.status.value if t.status else 'n/a'})"
        for t in digest.targets
    )
    total = digest.concerns_total
    return [
        f"reporting           {overall.submitted:,} of {overall.expected:,} expected "
        f"({(overall.reporting_rate or 0):.1%}), on time {overall.on_time:,} "
        f"({(overall.on_time_rate or 0):.1%}); {len(digest.areas)} areas ranked, "
        f"{len(digest.missing):,} units missing",
        f"flows, targets      {len(digest.flows)} flow totals; targets: {targets}",
        f"concerns            new {total.new.lower_bound}"
        f"{'' if total.new.exact else ' (bound)'}, answered {total.answered.lower_bound}, "
        f"overdue {total.overdue.lower_bound}, over {len(digest.concerns)} categories",
    ]


async def measure(
    engine: AsyncEngine,
    backend: str,
    data: Dataset,
    setup: ReportingSetup,
    targets: TargetConfig,
    concern_config: ConcernConfig,
    repeat: int,
    profile: Profiler | None,
    settings: Settings,
) -> Measurement:
    period = DigestPeriod.of_month(LAST_MONTH.year, LAST_MONTH.month)
    # The pages' helpers need only these of the bot's data.
    pages = Pages(
        types.SimpleNamespace(  # type: ignore[arg-type]
            settings=settings,
            reporting=setup,
            targets=targets,
            concerns=types.SimpleNamespace(config=concern_config),
        )
    )
    choices = dashboard.period_choices(TODAY)
    sql = text(bare_sql(data.province_path, digest_months(period)))
    uow = make_uow(engine)
    clock = StatementClock(engine)
    result = Measurement(backend, data)

    async def digest_once() -> tuple[float, Digest]:
        async with uow() as session:
            started = time.perf_counter()
            digest = await build_digest(
                session,
                node_id=data.province_id,
                period=period,
                setup=setup,
                targets=targets,
                concern_config=concern_config,
                today=TODAY,
            )
            return time.perf_counter() - started, digest

    async def bare_once() -> tuple[float, list[Any]]:
        async with uow() as session:
            started = time.perf_counter()
            rows = (await session.execute(sql)).all()
            return time.perf_counter() - started, list(rows)

    async def table_once() -> float:
        async with uow() as session:
            started = time.perf_counter()
            await unit_table(
                session, node_id=data.province_id, period=period, setup=setup, today=TODAY
            )
            return time.perf_counter() - started

    async def forget() -> None:
        """Empty the kept figures of locked months: the next view is a first one."""
        async with engine.begin() as connection:
            await connection.execute(delete(DigestCache))

    async def dashboard_once() -> tuple[float, int, Digest]:
        async with uow() as session:
            started = time.perf_counter()
            digest, table = await dashboard.load(pages, session, data.province_id, period, TODAY)
            page = dashboard.render(
                pages, digest, table, "vi", choices=choices, up=None, telegram=False
            )
            return time.perf_counter() - started, len(page.body), digest

    # Warm-up (caches, SQLAlchemy's statement cache, the pool), then the cross-check: of the
    # digest computed from the reports (nothing kept yet), and of the page's digest from the
    # figures kept by then.
    await forget()
    _, digest = await digest_once()
    _, rows = await bare_once()
    await table_once()
    _, result.page_bytes, _ = await dashboard_once()
    _, _, kept = await dashboard_once()
    compared = check_against_bare(digest, rows, period)
    compared_kept = check_against_bare(kept, rows, period)
    async with uow() as session:
        computed = await build_digest(
            session,
            node_id=data.province_id,
            period=period,
            setup=setup,
            targets=targets,
            concern_config=concern_config,
            today=TODAY,
            trend_months=dashboard.TREND_MONTHS,
            keep_figures=False,
        )
    assert kept == computed, "the page's digest from the kept figures differs from the computed"
    result.bare_rows = len(rows)
    result.summary = [
        *describe(digest),
        f"cross-check         {compared} flow figures of the digest, computed from the reports, "
        f"and {compared_kept} of the page's, from the kept figures, = the bare aggregate's sums; "
        "the page's whole digest from the kept figures = the one computed from the reports",
    ]

    best_digest = float("inf")
    for _ in range(repeat):
        elapsed, _rows = await bare_once()
        result.bare_runs.append(elapsed)
        clock.start()
        elapsed, _digest = await digest_once()
        seen = clock.stop()
        result.digest_runs.append(elapsed)
        if elapsed < best_digest:
            best_digest, result.statements = elapsed, seen
        result.table = min(result.table or float("inf"), await table_once())
        clock.start()
        elapsed = (await dashboard_once())[0]
        seen = clock.stop()
        if elapsed < min(result.dashboard_runs, default=float("inf")):
            result.page_statements = seen
        result.dashboard_runs.append(elapsed)
        await forget()
        clock.start()
        elapsed = (await dashboard_once())[0]
        seen = clock.stop()
        if elapsed < min(result.first_view_runs, default=float("inf")):
            result.first_view_statements = seen
        result.first_view_runs.append(elapsed)
    result.digest, result.bare = min(result.digest_runs), min(result.bare_runs)
    result.dashboard = min(result.dashboard_runs)
    result.first_view = min(result.first_view_runs)

    if profile is not None:
        profile.enable()
        await digest_once()
        profile.disable()
        profile.report(f"one digest, {backend}, {data.units:,} units")
        page_profile = Profiler(profile.path + ".page")
        page_profile.enable()
        await dashboard_once()
        page_profile.disable()
        page_profile.report(f"one dashboard page, {backend}, {data.units:,} units")
    return result


# --- profiling ------------------------------------------------------------------------------


# --- databases ------------------------------------------------------------------------------


def run_one(
    backend: str,
    units: int,
    months: tuple[Period, ...],
    settings: Settings,
    repeat: int,
    sqlite_analyze: bool,
    profile: Profiler | None,
) -> Measurement:
    with fresh_database(backend, "bench_digest") as url:

        async def go() -> Measurement:
            engine = create_engine(url)
            try:
                # A fresh setup per database: it caches the version ids it stored.
                setup = load_reporting_setup(settings)
                folder = settings.config_dir or DEFAULT_CONFIG_DIR
                targets = load_targets(folder / "targets.yaml", setup.indicators)
                concern_config = load_concern_config(folder / "concerns.yaml")
                data = Dataset(units=units, months=months)
                await generate(engine, setup, concern_config, data)
                data.analyzed = await settle(engine, sqlite_analyze)
                return await measure(
                    engine, backend, data, setup, targets, concern_config, repeat, profile, settings
                )
            finally:
                await engine.dispose()

        return asyncio.run(go())


# --- output ---------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def statements_line(statements: list[tuple[str, float]], total: float) -> str:
    """How many statements, their time per label, and the time outside SQL."""
    per_label: dict[str, list[float]] = defaultdict(list)
    for label, seconds in statements:
        per_label[label].append(seconds)
    in_sql = sum(seconds for _, seconds in statements)
    parts = ", ".join(
        f"{label} {sum(times) * 1000:.1f}" + (f" ({len(times)}×)" if len(times) > 1 else "")
        for label, times in sorted(per_label.items(), key=lambda item: -sum(item[1]))
    )
    return (
        f"{len(statements)} statements, {ms(in_sql)}: {parts} ms; "
        f"outside SQL {ms(max(0.0, total - in_sql))}"
    )


def print_measurement(m: Measurement) -> None:
    d = m.data
    kinds = ", ".join(f"{count:,} {kind}" for kind, count in d.kinds.most_common())
    print(f"\n=== {m.backend}, {d.units:,} units × {len(d.months)} months ===")
    print(
        f"  data                1 province, {d.zones} zones/communes, {d.enterprises:,} "
        f"enterprises; units: {kinds} ({d.inactive_units} inactive)"
    )
    print(
        f"                      {d.reports:,} reports ({d.late_reports:,} late), {d.values:,} "
        f"values, {d.concerns:,} concerns; generated in {d.seconds:.1f} s; {d.analyzed}"
    )
    for line in m.summary:
        print(f"  {line}")
    runs = len(m.digest_runs)
    print(
        f"  build_digest        best {ms(m.digest)} of {runs} "
        f"(all: {', '.join(f'{t * 1000:.0f}' for t in m.digest_runs)} ms)"
    )
    print(
        f"  bare aggregate      best {ms(m.bare)} of {runs} "
        f"(all: {', '.join(f'{t * 1000:.0f}' for t in m.bare_runs)} ms; {m.bare_rows} rows)"
    )
    print(
        f"  ratio digest/bare   {m.ratio:.2f}   aim ≤ {AIM_RATIO:.0f}: "
        f"{verdict(m.ratio <= AIM_RATIO)}"
    )
    print(f"  digest's SQL        {statements_line(m.statements, m.digest)}")
    print(f"  unit_table          best {ms(m.table)} (the spreadsheet's rows; no aim)")
    print(
        f"  dashboard page      best {ms(m.dashboard)} of {runs} "
        f"(all: {', '.join(f'{t * 1000:.0f}' for t in m.dashboard_runs)} ms; "
        f"{m.page_bytes / 1024:.1f} KB of HTML)"
    )
    print(f"  page's SQL          {statements_line(m.page_statements, m.dashboard)}")
    print(
        f"  ratio page/bare     {m.dashboard_ratio:.2f}   aim ≤ {AIM_DASHBOARD}: "
        f"{verdict(m.dashboard_ratio <= AIM_DASHBOARD)}"
    )
    print(
        f"  first view          best {ms(m.first_view)} of {runs} "
        f"(all: {', '.join(f'{t * 1000:.0f}' for t in m.first_view_runs)} ms; nothing kept: "
        f"every figure from the reports, then kept), ÷ bare {m.first_view_ratio:.2f} (no aim)"
    )
    print(f"  first view's SQL    {statements_line(m.first_view_statements, m.first_view)}")


def print_summary(results: list[Measurement]) -> None:
    print("\n=== summary ===")
    print(
        f"  {'backend':<11}{'units':>8}{'months':>7}{'values':>11}{'digest':>12}{'bare':>12}"
        f"{'ratio':>7}  aim ≤ {AIM_RATIO:.0f}{'page':>12}{'ratio':>7}  aim ≤ {AIM_DASHBOARD}"
        f"{'first view':>14}{'ratio':>7}"
    )
    for m in results:
        print(
            f"  {m.backend:<11}{m.data.units:>8,}{len(m.data.months):>7}{m.data.values:>11,}"
            f"{ms(m.digest):>12}{ms(m.bare):>12}{m.ratio:>7.2f}  {verdict(m.ratio <= AIM_RATIO)}"
            f"{ms(m.dashboard):>16}{m.dashboard_ratio:>7.2f}  "
            f"{verdict(m.dashboard_ratio <= AIM_DASHBOARD)}"
            f"{ms(m.first_view):>14}{m.first_view_ratio:>7.2f}"
        )
    by_backend: dict[str, list[Measurement]] = defaultdict(list)
    for m in results:
        by_backend[m.backend].append(m)
    for backend, ms_ in by_backend.items():
        if len(ms_) < 2:
            continue
        small, large = min(ms_, key=lambda m: m.data.units), max(ms_, key=lambda m: m.data.units)
        scaling = large.digest / small.digest
        print(
            f"  {backend}: digest {large.data.units:,} units / {small.data.units:,} units = "
            f"{scaling:.2f}   aim ≤ {AIM_SCALING:.0f}: {verdict(scaling <= AIM_SCALING)}   "
            f"(bare aggregate: {large.bare / small.bare:.2f}; units ×"
            f"{large.data.units / small.data.units:.0f}, values ×"
            f"{large.data.values / max(1, small.data.values):.1f})"
        )


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = script_parser(
        __doc__,
        quick=f"{' and '.join(map(str, QUICK_UNITS))} units × {QUICK_MONTHS} months (CI)",
        profile="profile one digest and one dashboard page (largest size)",
    )
    parser.add_argument(
        "--units", help="comma-separated sizes in reporting units (default 1000,10000)"
    )
    parser.add_argument("--months", type=int, help=f"months of data (default {DEFAULT_MONTHS})")
    parser.add_argument("--repeat", type=int, help=f"timed runs each (default {DEFAULT_REPEAT})")
    parser.add_argument("--sqlite-analyze", action="store_true", help="ANALYZE SQLite too")
    args = parser.parse_args(argv)
    try:
        sizes = (
            tuple(int(part.replace("_", "")) for part in args.units.split(","))
            if args.units
            else (QUICK_UNITS if args.quick else DEFAULT_UNITS)
        )
    except ValueError:
        parser.error("--units: comma-separated whole numbers, e.g. 1000,10000")
    months_count = args.months or (QUICK_MONTHS if args.quick else DEFAULT_MONTHS)
    repeat = args.repeat or (QUICK_REPEAT if args.quick else DEFAULT_REPEAT)
    if min(sizes) < 10 or not 1 <= months_count <= 120 or repeat < 3:
        parser.error("--units at least 10 each, --months 1-120, --repeat at least 3")
    months = tuple(LAST_MONTH.shift(-i) for i in reversed(range(months_count)))

    settings = Settings(_env_file=None, app_secret=SecretStr(SECRET))
    period = DigestPeriod.of_month(LAST_MONTH.year, LAST_MONTH.month)
    print(
        f"digest: the monthly digest of the whole province for {period.key} (as of "
        f"{TODAY.isoformat()}), {' and '.join(f'{s:,}' for s in sizes)} units × "
        f"{months_count} months ({months[0].key} … {months[-1].key}); best of {repeat} after "
        f"a warm-up; {versions(ptb=False)}"
    )
    print("bare aggregate (the same text on every backend and size; the province is node 1):")
    print("\n".join(f"    {line}" for line in bare_sql("/1/", digest_months(period)).split("\n")))
    results: list[Measurement] = []
    profile = Profiler(args.profile) if args.profile else None
    for backend in each_backend(args.backend):
        for units in sorted(sizes):
            wanted = profile if units == max(sizes) else None
            result = run_one(backend, units, months, settings, repeat, args.sqlite_analyze, wanted)
            print_measurement(result)
            results.append(result)
            if wanted is not None:
                profile = None
    if not results:
        print("\nnothing measured")
        return 0
    print_summary(results)
    if args.quick:
        print(
            "  (--quick: a smoke test; at these sizes the digest's fixed cost — six statements, "
            "the targets, the dataclasses — weighs more than the aggregate, so the aims are "
            "judged on the default sizes)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
