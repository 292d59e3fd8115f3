"""The steering committee's dashboard: the chat digest's figures on one page, for a phone.

    GET /dashboard                       the member's own part of the tree (a redirect)
    GET /dashboard/<node>?period=…       one node's page: headline, reporting by area, missing
                                         units, annual targets, 12-month trends, concerns; an
                                         enterprise's page lists its units
    GET /dashboard/<node>/excel?period=… the Excel file the chat sends, for the same node

The workers' polls of the node's subtree open during the period are a section of their own
(web/dashboard/polls.py, templates/dashboard/polls.html) and a sheet of the Excel file.

Opened as a Telegram Mini App from /tonghop (``?tg=1``: Telegram's signed data signs in) or by a
one-time link (Zalo, the console). One source: every figure comes from
``services.digests.build_digest`` (with its month-by-month trend) and ``unit_table``, exactly as
the chat's digest; nothing is counted here. Every request finds the person from the session and
checks, from the database, that they still hold a committee (or admin) role over the node in the
URL: the node id is only a hint, like a button's callback data.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from handlers.digests.excel import render_excel
from handlers.digests.labels import (
    area_name,
    change,
    count,
    file_name,
    percent,
    period_button,
    period_label,
    suppressed,
)
from infra.i18n import tr
from infra.rendering import off_the_loop
from models import NodeKind, Person, Role
from services import access, digests
from services.digests import Digest, DigestPeriod, Rate, TrendSeries, UnitTable
from services.errors import N_
from services.indicators import IndicatorKind
from services.periods import Period
from services.targets import MeasureKind, TargetStatus
from web.base import SECURITY_HEADERS, Pages
from web.dashboard import charts
from web.dashboard import polls as poll_section

TREND_MONTHS = 12
MAX_MISSING = 40  # listed on the page; the Excel file has them all
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

NOT_SIGNED_IN = N_(
    "Your session has ended or this page was not opened from the chat. Type /tonghop in the "
    "chat to open the dashboard again."
)
NOT_A_MEMBER = N_("This page is for steering committee members.")
NOT_YOURS = N_("You may not see the digest of this part of the organisation.")
NO_SUCH_PAGE = N_("This page does not exist.")


def dashboard_path(node_id: int, period: DigestPeriod, *, telegram: bool = False) -> str:
    return f"/dashboard/{node_id}?period={period.key}" + ("&tg=1" if telegram else "")


def period_choices(today: date) -> list[DigestPeriod]:
    """The selector: the last 12 months, the last four quarters, this year and the last."""
    this_month = Period.of(today)
    months = [DigestPeriod.from_month(this_month.shift(-i)) for i in range(12)]
    quarter = DigestPeriod.of_quarter(today.year, (today.month - 1) // 3 + 1)
    quarters = [quarter.shift(-i) for i in range(4)]
    years = [DigestPeriod.of_year(today.year), DigestPeriod.of_year(today.year - 1)]
    return [*months, *quarters, *years]


def default_period(today: date) -> DigestPeriod:
    """Last month, as /tonghop offers first: the month whose reports are all in by now."""
    return DigestPeriod.from_month(Period.of(today).previous())


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    before: str | None = None  # the end of the previous period
    delta: str | None = None


def _figures(digest: Digest, lang: str) -> list[Figure]:
    figures = [
        Figure(
            stock.label.get(lang),
            count(stock.value, lang),
            count(stock.previous, lang) if stock.previous is not None else None,
            change(stock.value, stock.previous, lang),
        )
        for stock in digest.headline.stocks
        if stock.value is not None
    ]
    density = digest.headline.density
    if density is not None:
        before = digest.headline.density_previous
        figures.append(
            Figure(
                tr(lang, "Union density (members / workers)"),
                percent(density, lang),
                percent(before, lang) if before is not None else None,
            )
        )
    return figures


def _status(progress: digests.TargetProgress, lang: str) -> tuple[str, str]:
    """(text, css class) of a target's assessment."""
    if progress.status is None:
        return tr(lang, "no data yet"), "none"
    if progress.reached:
        return tr(lang, "reached"), "good"
    if progress.status is TargetStatus.ON_TRACK:
        return tr(lang, "on track"), "good"
    return tr(lang, "behind"), "bad"


def _targets(digest: Digest, lang: str) -> list[dict[str, Any]]:
    shown = []
    for target in digest.targets:
        status, tone = _status(target, lang)
        share = target.measure is MeasureKind.SHARE
        if share:
            value = percent(float(target.value) / 100, lang) if target.value is not None else "—"
            goal = percent(float(target.target) / 100, lang)
        else:
            value, goal = count(target.value, lang), count(target.target, lang)
        shown.append(
            {
                "label": target.label.get(lang),
                "value": value,
                "goal": goal,
                "share": share,
                "achieved": percent(target.achieved, lang),
                "expected": percent(target.expected, lang),
                "status": status,
                "tone": tone,
                "bar": charts.progress(target.achieved, None if share else target.expected),
                "yes": count(target.numerator or 0, lang),
                "of": count(target.denominator or 0, lang),
            }
        )
    return shown


def _month_short(month: Period) -> str:
    return f"{month.month:02d}/{month.year % 100:02d}"


def _trend_lines(digest: Digest, lang: str) -> list[dict[str, Any]]:
    trend = digest.trend
    if trend is None:
        return []

    def entry(label: str, values: tuple[Any, ...], shown: list[str]) -> dict[str, Any] | None:
        known = [(i, text) for i, text in enumerate(shown) if values[i] is not None]
        if not known:
            return None
        first, last = known[0], known[-1]
        return {
            "label": label,
            "chart": charts.line(values),
            "first": f"{_month_short(trend.months[first[0]])}: {first[1]}",
            "last": f"{_month_short(trend.months[last[0]])}: {last[1]}",
        }

    def of(series: TrendSeries) -> dict[str, Any] | None:
        return entry(series.label.get(lang), series.values, [count(v, lang) for v in series.values])

    lines = [line for s in trend.stocks if (line := of(s))]
    density = entry(
        tr(lang, "Union density (members / workers)"),
        trend.density,
        [percent(v, lang) for v in trend.density],
    )
    if density:
        lines.append(density)
    lines.extend(line for s in trend.flows if (line := of(s)))
    return lines


def _rates_chart(digest: Digest, lang: str) -> dict[str, Any] | None:
    trend = digest.trend
    if trend is None or not any(rate.expected for rate in trend.reporting):
        return None
    last = trend.reporting[-1]
    return {
        "chart": charts.rate_bars(
            [(rate.reporting_rate, rate.on_time_rate) for rate in trend.reporting]
        ),
        "first": _month_short(trend.months[0]),
        "last": _month_short(trend.months[-1]),
        "now": percent(last.reporting_rate, lang),
        "on_time": percent(last.on_time_rate, lang),
    }


def _areas(digest: Digest, lang: str, telegram: bool) -> list[dict[str, Any]]:
    return [
        {
            "rank": area.rank,
            "name": area_name(area, lang),
            "href": None
            if area.direct
            else dashboard_path(area.node_id, digest.period, telegram=telegram),
            "rate": percent(area.rate.reporting_rate, lang),
            "on_time": percent(area.rate.on_time_rate, lang),
            "submitted": count(area.rate.submitted, lang),
            "expected": count(area.rate.expected, lang),
            "bar": charts.progress(area.rate.reporting_rate, None),
            "inner": charts.progress(area.rate.on_time_rate, None),
            "approved": _approved(area.rate, lang) if digest.reviewed else None,
        }
        for area in digest.areas
    ]


def _approved(rate: Rate, lang: str) -> dict[str, str]:
    """Beside what was submitted, when the level above reviews: what it approved."""
    return {"rate": percent(rate.approved_rate, lang), "count": count(rate.approved, lang)}


def _with_approved(value: Decimal | None, approved: Decimal | None, lang: str) -> str:
    """A flow figure, and its approved part when its unit kind is reviewed: "123 (đã duyệt
    100)"."""
    shown = count(value, lang)
    if approved is None or value is None:
        return shown
    return tr(lang, "{value} (approved {approved})", value=shown, approved=count(approved, lang))


def _flows(digest: Digest, lang: str) -> list[dict[str, Any]]:
    rows = []
    for flow in digest.flows:
        spans = (flow.current, flow.previous, flow.last_year, flow.year_to_date)
        if all(value is None for value in spans):
            continue
        rows.append(
            {
                "set": flow.set_label.get(lang),
                "label": flow.label.get(lang),
                "current": _with_approved(flow.current, flow.approved, lang),
                "previous": count(flow.previous, lang),
                "last_year": count(flow.last_year, lang),
                "year_to_date": _with_approved(flow.year_to_date, flow.year_to_date_approved, lang),
            }
        )
    return rows


def _concerns(digest: Digest, lang: str) -> dict[str, Any]:
    total = digest.concerns_total
    cells = (total.new, total.answered, total.overdue)
    lines = [
        {
            "label": line.label.get(lang),
            "cells": [suppressed(c, lang) for c in (line.new, line.answered, line.overdue)],
        }
        for line in digest.concerns
        if not all(c.exact and c.visible == 0 for c in (line.new, line.answered, line.overdue))
    ]
    return {
        "none": all(c.exact and c.visible == 0 for c in cells),
        "lines": lines,
        "total": [suppressed(c, lang) for c in cells],
    }


def _value(kind: IndicatorKind, value: Any, lang: str) -> str:
    if value is None:
        return "—"
    if kind is IndicatorKind.YES_NO:
        return tr(lang, "Yes") if value else tr(lang, "No")
    if kind is IndicatorKind.PERCENT:
        return percent(float(value) / 100, lang)
    return count(value, lang)


def _units(table: UnitTable | None, lang: str) -> list[dict[str, Any]]:
    if table is None:
        return []
    units = []
    for row in table.rows:
        values = [
            {
                "label": column.label.get(lang),
                "value": _value(column.kind, row.values[column.code], lang),
            }
            for column in table.columns
            if column.unit_kind == row.kind and column.code in row.values
        ]
        units.append(
            {
                "code": row.code,
                "name": row.name,
                "kind": row.set_label.get(lang),
                "reported": row.months_reported,
                "open": row.months_open,
                "late": row.months_late,
                "values": values,
            }
        )
    return units


async def load(
    pages: Pages, session: AsyncSession, node_id: int, period: DigestPeriod, today: date
) -> tuple[Digest, UnitTable | None]:
    """The digest with its trend, and for an enterprise its units' rows (the Excel's)."""
    data = pages.data
    digest = await digests.build_digest(
        session,
        node_id=node_id,
        period=period,
        setup=data.reporting,
        targets=data.targets,
        concern_config=data.concerns.config,
        today=today,
        trend_months=TREND_MONTHS,
    )
    table = None
    if digest.scope.kind is NodeKind.ENTERPRISE:
        table = await digests.unit_table(
            session, node_id=node_id, period=period, setup=data.reporting, today=today
        )
    return digest, table


def render(
    pages: Pages,
    digest: Digest,
    table: UnitTable | None,
    lang: str,
    *,
    choices: list[DigestPeriod],
    up: int | None,
    telegram: bool,
    polls: list[Any] | None = None,
) -> Response:
    """The page, from the service's results only (the benchmark times load + render)."""
    period = digest.period
    if period not in choices:
        choices = [period, *choices]
    return pages.render(
        "dashboard/page.html",
        lang,
        digest=digest,
        scope=digest.scope.name,
        period_text=period_label(period, lang),
        choices=[(p.key, period_button(p, lang), p.kind.value) for p in choices],
        chosen=period.key,
        node_id=digest.scope.node_id,
        figures=_figures(digest, lang),
        overall=digest.overall,
        overall_text={
            "rate": percent(digest.overall.reporting_rate, lang),
            "on_time": percent(digest.overall.on_time_rate, lang),
            "submitted": count(digest.overall.submitted, lang),
            "expected": count(digest.overall.expected, lang),
            "late": count(digest.overall.late, lang),
            "missing": count(digest.overall.missing, lang),
        },
        overall_approved=_approved(digest.overall, lang) if digest.reviewed else None,
        areas=_areas(digest, lang, telegram),
        missing=digest.missing[:MAX_MISSING],
        missing_more=max(0, len(digest.missing) - MAX_MISSING),
        several_months=len(digest.months_open) > 1,
        month_short=_month_short,
        targets=_targets(digest, lang),
        rates=_rates_chart(digest, lang),
        trends=_trend_lines(digest, lang),
        flows=_flows(digest, lang),
        concerns=_concerns(digest, lang),
        units=_units(table, lang),
        up=dashboard_path(up, period, telegram=telegram) if up is not None else None,
        excel=f"/dashboard/{digest.scope.node_id}/excel?period={period.key}",
        telegram=telegram,
        polls=polls or [],
    )


def routes(pages: Pages) -> list[Route]:
    data = pages.data

    def today() -> date:
        return data.clock().astimezone(data.settings.zone).date()

    def refuse(lang: str, text: str, status: int, telegram: bool) -> Response:
        return pages.message(lang, tr(lang, text), status=status, telegram=telegram)

    def not_signed_in(request: Request, telegram: bool) -> Response:
        lang = data.settings.default_language
        if telegram and data.settings.bot_token is not None:
            # A Mini App: the script posts Telegram's signed data, then reloads signed in.
            return pages.render("dashboard/sign_in.html", lang, telegram=True)
        return refuse(lang, NOT_SIGNED_IN, 401, telegram)

    async def member(
        request: Request, session: AsyncSession, telegram: bool
    ) -> tuple[access.Viewer, str] | Response:
        """The signed-in committee member or admin, from the database; else the refusal."""
        visitor = await pages.visitor(request, session)
        if visitor is None:
            return not_signed_in(request, telegram)
        person = await session.get(Person, visitor.person_id)
        viewer = await access.viewer_for(session, person) if person is not None else None
        if viewer is None or not (viewer.has(Role.COMMITTEE) or viewer.has(Role.ADMIN)):
            return refuse(visitor.lang, NOT_A_MEMBER, 403, telegram)
        return viewer, visitor.lang

    def chosen_period(request: Request) -> DigestPeriod | None:
        key = request.query_params.get("period")
        if not key:
            return default_period(today())
        try:
            return DigestPeriod.parse(key)
        except ValueError:
            return None

    async def index(request: Request) -> Response:
        telegram = request.query_params.get("tg") == "1"
        async with pages.database() as session:
            found = await member(request, session, telegram)
            if isinstance(found, Response):
                return found
            viewer, lang = found
            home = await access.home_node(session, viewer)
        if home is None:
            return refuse(lang, NOT_A_MEMBER, 403, telegram)
        target = dashboard_path(home, default_period(today()), telegram=telegram)
        return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)

    async def checked(
        request: Request, session: AsyncSession
    ) -> tuple[int, DigestPeriod, access.Viewer, str, bool] | Response:
        telegram = request.query_params.get("tg") == "1"
        found = await member(request, session, telegram)
        if isinstance(found, Response):
            return found
        viewer, lang = found
        period = chosen_period(request)
        node_id = request.path_params["node_id"]
        if period is None or not 0 < node_id < 2**31:
            return refuse(lang, NO_SUCH_PAGE, 404, telegram)
        # Checked on every request, from the database: the id in the address is only a hint.
        if not await access.may_view_node(session, viewer, node_id):
            return refuse(lang, NOT_YOURS, 403, telegram)
        return node_id, period, viewer, lang, telegram

    async def page(request: Request) -> Response:
        async with pages.database() as session:
            found = await checked(request, session)
            if isinstance(found, Response):
                return found
            node_id, period, viewer, lang, telegram = found
            digest, table = await load(pages, session, node_id, period, today())
            listed = await poll_section.load(session, node_id, period, today())
            # Back up one level, never above the member's own part of the tree.
            up = digest.scope.parent_id
            if up is not None and not await access.may_view_node(session, viewer, up):
                up = None
        return render(
            pages,
            digest,
            table,
            lang,
            choices=period_choices(today()),
            up=up,
            telegram=telegram,
            polls=poll_section.section(listed, today(), lang),
        )

    async def excel(request: Request) -> Response:
        async with pages.database() as session:
            found = await checked(request, session)
            if isinstance(found, Response):
                return found
            node_id, period, _viewer, lang, _telegram = found
            digest = await digests.build_digest(
                session,
                node_id=node_id,
                period=period,
                setup=data.reporting,
                targets=data.targets,
                concern_config=data.concerns.config,
                today=today(),
            )
            table = await digests.unit_table(
                session, node_id=node_id, period=period, setup=data.reporting, today=today()
            )
            listed = await poll_section.load(session, node_id, period, today())
        name = file_name(digest.scope.name, period, "xlsx")
        with tempfile.TemporaryDirectory() as folder:
            # The chat's own workbook, rendered off the event loop as the chat does.
            path = await off_the_loop(
                render_excel,
                digest,
                table,
                Path(folder) / name,
                lang,
                poll_section.results_for_excel(listed),
            )
            body = path.read_bytes()
        return Response(
            body,
            media_type=XLSX,
            headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
        )

    return [
        Route("/dashboard", index, methods=["GET"]),
        Route("/dashboard/{node_id:int}", page, methods=["GET"]),
        Route("/dashboard/{node_id:int}/excel", excel, methods=["GET"]),
    ]
