"""Workers' concerns, counted: GET /office/concerns?node=…&q=…&period=2026-10|2026-Q4|2026.

Counts only, per enterprise and category, with the digests' suppression (an enterprise's count
of 1–4 is "<5"): services/office/concern_counts.py. Never a text, a time or a receipt.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from infra.i18n import tr
from services.digests import DigestPeriod, SuppressedCount
from services.office import concern_counts, org
from services.periods import Period
from services.reporting import local_date
from web.base import Pages
from web.office.guard import OfficeCall, office_page


def shown(lang: str, count: SuppressedCount) -> str:
    """As the digests show a suppressed count: exact, "<5", or "≥ N"."""
    if count.exact:
        return str(count.visible)
    if count.below_five:
        return "<5"
    return tr(lang, "≥ {n}", n=count.lower_bound)


def routes(pages: Pages) -> list[Route]:
    async def table(call: OfficeCall) -> Response:
        today = local_date(call.now, call.pages.data.reporting)
        try:
            period = DigestPeriod.parse(call.query("period"))
        except ValueError:
            period = DigestPeriod.from_month(Period.of(today))
        node = call.query("node")
        found = await concern_counts.concern_table(
            call.session,
            call.pages.data.concerns.config,
            node_id=int(node) if node.isdigit() else None,
            period=period,
            today=today,
        )
        q = call.query("q")
        places = [f for f in await org.search(call.session, q) if f.kind == "node"] if q else []
        return call.render(
            "office/concerns.html",
            table=found,
            q=q,
            places=places,
            shown=lambda count: shown(call.lang, count),
        )

    return [Route("/office/concerns", office_page(pages, table), methods=["GET"])]
