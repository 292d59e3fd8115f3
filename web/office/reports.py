"""Reporting: who reported which month, one report, and reopening a month.

GET  /office/reports?node=…&q=…&from=2026-05&to=2026-10&status=…&kind=…   the matrix
GET  /office/reports.xlsx?(the same)                                       as Excel
GET  /office/reports/<report id>                                           one report
POST /office/reports/unlock   unit, period, days     reopen (admin unlock), officers told
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from handlers.reports.unlock_notice import tell_officers_of_unlock
from infra.i18n import day, tr
from models import UnitKind
from services.errors import N_
from services.office import org, reports
from services.reporting import local_date
from web.base import SECURITY_HEADERS, Pages
from web.office.guard import OfficeCall, office_page

UNIT_KINDS = {
    UnitKind.TRADE_UNION: N_("Grassroots trade union"),
    UnitKind.PARTY_CELL: N_("Party cell"),
    UnitKind.YOUTH_UNION: N_("Youth union branch"),
    UnitKind.WOMENS_UNION: N_("Women's union branch"),
    UnitKind.ZONE_UNION: N_("Zone trade union"),
}
REOPENED = N_("Reopened {period} for {unit} until {date}. Officers of the unit told: {count}.")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _matrix(call: OfficeCall) -> tuple[reports.Matrix, dict[str, Any]]:
    setup = call.pages.data.reporting
    node = call.query("node")
    kind_text = call.query("kind")
    kind = UnitKind(kind_text) if kind_text in {k.value for k in UnitKind} else None
    status = call.query("status")
    status = status if status in reports.FILTERS else ""
    months = reports.month_range(call.query("from"), call.query("to"), local_date(call.now, setup))
    found = await reports.matrix(
        call.session,
        setup,
        call.now,
        node_id=int(node) if node.isdigit() else None,
        months=months,
        status=status or None,
        kind=kind,
    )
    chosen = {
        "node": found.node_id,
        "from": months[0].key,
        "to": months[-1].key,
        "status": status,
        "kind": kind.value if kind else "",
    }
    return found, chosen


def _workbook(lang: str, matrix: reports.Matrix) -> bytes:
    """Units × months, a status per cell. Off the event loop (openpyxl)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = tr(lang, "Reporting")[:31]
    sheet.append([tr(lang, "Reporting") + " — " + matrix.node_name])
    sheet.append(
        [tr(lang, "Code"), tr(lang, "Unit"), tr(lang, "Kind"), tr(lang, "Place")]
        + [month.label(lang) for month in matrix.months]
    )
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in matrix.rows:
        sheet.append(
            [row.code, row.name, tr(lang, UNIT_KINDS[row.kind]), row.place]
            + [
                tr(lang, reports.CELL_NAMES[c.status])
                + (" · " + tr(lang, "amended") if c.amended else "")
                for c in row.cells
            ]
        )
    sheet.freeze_panes = "C3"
    # As the digest's workbook (handlers' _text_stays_text): a name starting with "=" is text,
    # never a formula.
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str) and cell.data_type != "s":
                cell.data_type = "s"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def routes(pages: Pages) -> list[Route]:
    async def listing(call: OfficeCall, *, notice: str | None = None) -> Response:
        found, chosen = await _matrix(call)
        q = call.query("q")
        places = [f for f in await org.search(call.session, q) if f.kind == "node"] if q else []
        return call.render(
            "office/reports.html",
            matrix=found,
            chosen=chosen,
            q=q,
            places=places,
            cell_names=reports.CELL_NAMES,
            filters=reports.FILTERS,
            unit_kinds=UNIT_KINDS,
            notice=notice,
            max_days=reports.MAX_UNLOCK_DAYS,
        )

    async def excel(call: OfficeCall) -> Response:
        found, chosen = await _matrix(call)
        content = await asyncio.to_thread(_workbook, call.lang, found)
        name = f"bao-cao-{chosen['from']}-{chosen['to']}.xlsx"
        return Response(
            content,
            media_type=XLSX,
            headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def one(call: OfficeCall) -> Response:
        detail = await reports.report_detail(
            call.session, call.pages.data.reporting, call.request.path_params["report_id"]
        )
        return call.render("office/report.html", report=detail)

    async def unlock(call: OfficeCall) -> Response:
        unit = call.body.get("unit", "")
        days = call.body.get("days", "7").strip()
        unlocked = await reports.unlock(
            call.session,
            unit_id=int(unit) if unit.isdigit() else 0,
            period_key=call.body.get("period", "").strip(),
            days=int(days) if days.isdigit() else 0,
            now=call.now,
            actor=call.actor,
        )
        settings = call.pages.data.settings
        told = await tell_officers_of_unlock(  # commits
            call.session, settings, unlocked, channels=list(call.pages.data.channels)
        )
        text = call.t(
            REOPENED,
            period=unlocked.period.label(call.lang),
            unit=unlocked.unit_name,
            date=day(unlocked.until.astimezone(settings.zone).date(), call.lang),
            count=told,
        )
        back = call.body.get("back", "")
        if not back.startswith("/office/") or back.startswith("//"):
            back = "/office/reports"  # only a page of the console, never another site
        return call.message(text, status=200, back=back)

    return [
        Route("/office/reports", office_page(pages, listing), methods=["GET"]),
        Route("/office/reports.xlsx", office_page(pages, excel), methods=["GET"]),
        Route("/office/reports/{report_id:int}", office_page(pages, one), methods=["GET"]),
        Route("/office/reports/unlock", office_page(pages, unlock, post=True), methods=["POST"]),
    ]
