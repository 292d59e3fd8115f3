"""The audit log: GET /office/audit?actor=…&action=…&page=N (newest first)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from services.office import audit_log
from web.base import Pages
from web.office.guard import OfficeCall, office_page, page_number


def routes(pages: Pages) -> list[Route]:
    async def log(call: OfficeCall) -> Response:
        actor, action = call.query("actor"), call.query("action")
        found = await audit_log.audit_page(
            call.session, actor=actor or None, action=action or None, page=page_number(call)
        )
        return call.render(
            "office/audit.html",
            log=found,
            actor=actor,
            action=action,
            names=audit_log.ACTIONS,
        )

    return [Route("/office/audit", office_page(pages, log), methods=["GET"])]
